//! `patchdx rules lint|test|list`: check the detection rules and run their examples.

use std::path::PathBuf;

#[derive(clap::Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    action: RulesAction,
    /// Use the rules in this folder instead of the built-in ones.
    #[arg(long, global = true, value_name = "DIR")]
    rules: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum RulesAction {
    /// Validate every rule: schema, names, regexes, ids, category, both languages, references, examples present.
    /// A rule with a problem is not loaded. Exit 1 on any problem.
    Lint,
    /// Run each rule's positive and negative examples. Exit 1 if any example fails.
    Test,
    /// List the rules.
    List,
}

pub fn load(dir: Option<&std::path::Path>) -> anyhow::Result<patchdx_rules::RuleSet> {
    match dir {
        // The error names the folder or file that could not be read.
        Some(dir) => Ok(patchdx_rules::RuleSet::from_dir(dir)?),
        None => Ok(patchdx_rules::RuleSet::builtin()),
    }
}

pub fn run(args: RulesArgs) -> anyhow::Result<u8> {
    let set = load(args.rules.as_deref())?.with_patterns_built();
    match args.action {
        RulesAction::Lint => {
            for problem in &set.problems {
                println!("{problem}");
            }
            match set.problems.len() {
                0 => println!("{} rules, 0 problems", set.rules.len()),
                n => println!("{} rules loaded, {n} problems (a rule with a problem is not loaded)", set.rules.len()),
            }
            Ok(u8::from(!set.problems.is_empty()))
        }
        RulesAction::Test => {
            if !set.problems.is_empty() {
                for problem in &set.problems {
                    println!("{problem}");
                }
                anyhow::bail!("the rules have {} lint problems; fix them first", set.problems.len());
            }
            let results = patchdx_diagnose::rules_runner::run_examples(&set);
            let failed: Vec<_> = results.iter().filter(|r| !r.passed).collect();
            for r in &results {
                let kind = if r.positive { "positive" } else { "negative" };
                let mark = if r.passed { "ok  " } else { "FAIL" };
                println!("{mark} {} / {} ({kind}): {}", r.rule, r.example, r.detail);
            }
            println!("{} passed, {} failed", results.len() - failed.len(), failed.len());
            Ok(u8::from(!failed.is_empty()))
        }
        RulesAction::List => {
            for rule in &set.rules {
                let r = &rule.rule;
                println!("{:<44} {:<32} {:?}/{:?}  {}", r.id, r.category, r.severity, r.confidence, r.title.en);
            }
            Ok(0)
        }
    }
}
