//! A rule with any problem is refused: it is reported with its file, id and what is wrong, and it is not in
//! `RuleSet::rules`, so it can match nothing. Before, a misspelt source left its condition with no source
//! filter at all, and the rule matched events of every source.

use patchdx_formats::event::{Action, Event, Level, Source};
use patchdx_rules::{CATEGORIES, ProblemKind, RuleError, RuleSet};
use std::collections::BTreeSet;
use std::path::Path;

/// A rule that passes every check; `condition` is its one `all` condition, `extra` lines go after `confidence`.
fn rule(id: &str, category: &str, condition: &str, extra: &str) -> String {
    format!(
        r#"  - id: {id}
    title: {{ en: "Probe", zh-CN: "探测" }}
    category: {category}
    severity: low
    confidence: low
{extra}    match:
      all:
        - {condition}
    explanation: {{ en: "Probe.", zh-CN: "探测。" }}
    remediation: {{ en: ["Nothing."], zh-CN: ["无。"] }}
    references: ["https://learn.microsoft.com/troubleshoot/windows-client/installing-updates-features-roles/"]
    examples:
      positive:
        - name: probe
          file: CBS.log
          log: "2022-07-13 20:44:52, Error                 CBS    Failed to probe."
      negative:
        - name: quiet
          file: CBS.log
          log: "2022-07-13 20:44:52, Info                  CBS    Probed."
"#
    )
}

const CONDITION: &str = "{ source: [cbs], action: [install-failed], message: 'Failed to probe' }";
const CATEGORY: &str = "component-store-corruption";

fn load(rules: &[String]) -> RuleSet {
    let text = format!("rules:\n{}", rules.concat());
    RuleSet::from_texts([("probe.yaml", text.as_str())])
}

/// An event of every source, action and level, each saying what the probe rules look for.
fn every_event() -> Vec<Event> {
    let mut events = Vec::new();
    for &source in Source::ALL {
        for &action in Action::ALL {
            for &level in Level::ALL {
                events.push(Event::new(source, "CBS.log", action, level, "Failed to probe"));
            }
        }
    }
    events
}

fn fires(set: &RuleSet) -> bool {
    let events = every_event();
    let events: Vec<&Event> = events.iter().collect();
    !set.evaluate(&events).is_empty()
}

/// The rule is refused with exactly this problem, and nothing fires; the same rule written right loads and fires.
fn assert_refused(wrong: &str, right: &str, problem: &str) {
    let set = load(&[wrong.to_string()]);
    let problems: Vec<String> = set.problems.iter().map(ToString::to_string).collect();
    assert_eq!(problems, [problem]);
    assert!(set.rules.is_empty(), "the rule is not loaded");
    assert!(!fires(&set), "a refused rule matches nothing");
    let control = load(&[right.to_string()]);
    assert!(control.problems.is_empty(), "{:?}", control.problems);
    assert!(fires(&control), "the rule written right fires on these events");
}

#[test]
fn a_rule_with_an_unknown_source_is_refused() {
    assert_refused(
        &rule("probe-rule", CATEGORY, "{ source: [cbz], action: [install-failed], message: 'Failed to probe' }", ""),
        &rule("probe-rule", CATEGORY, CONDITION, ""),
        r#"probe.yaml [probe-rule]: match.all[0]: source "cbz" is not a source kind"#,
    );
}

#[test]
fn a_rule_with_an_unknown_action_is_refused() {
    assert_refused(
        &rule("probe-rule", CATEGORY, "{ source: [cbs], action: [instal-failed], message: 'Failed to probe' }", ""),
        &rule("probe-rule", CATEGORY, CONDITION, ""),
        r#"probe.yaml [probe-rule]: match.all[0]: action "instal-failed" is not an action"#,
    );
}

#[test]
fn a_rule_with_an_unknown_category_is_refused() {
    assert_refused(
        &rule("probe-rule", "component-store-corupt", CONDITION, ""),
        &rule("probe-rule", CATEGORY, CONDITION, ""),
        r#"probe.yaml [probe-rule]: category "component-store-corupt" is not a category (the list is crates/rules/src/categories.rs)"#,
    );
}

#[test]
fn a_rule_with_an_unknown_key_is_refused() {
    assert_refused(
        &rule("probe-rule", CATEGORY, CONDITION, "    colour: blue\n"),
        &rule("probe-rule", CATEGORY, CONDITION, ""),
        "probe.yaml [probe-rule]: not a valid rule: unknown field `colour`, expected one of id, title, category, \
         severity, confidence, match, explanation, remediation, commands, collect, references, examples at line 7, \
         column 5",
    );
}

#[test]
fn a_rule_with_an_unknown_key_in_a_condition_is_refused() {
    assert_refused(
        &rule("probe-rule", CATEGORY, "{ source: [cbs], action: [install-failed], mesage: 'Failed to probe' }", ""),
        &rule("probe-rule", CATEGORY, CONDITION, ""),
        "probe.yaml [probe-rule]: not a valid rule: unknown field `mesage`, expected one of source, action, level, \
         code, message, not_message, update, phase, client at line 9, column 54",
    );
}

#[test]
fn a_rule_with_a_bad_regex_is_refused() {
    assert_refused(
        &rule("probe-rule", CATEGORY, "{ source: [cbs], action: [install-failed], message: 'Failed to (probe' }", ""),
        &rule("probe-rule", CATEGORY, CONDITION, ""),
        "probe.yaml [probe-rule]: match.all[0]: message: regular expression \"Failed to (probe\" does not compile: \
         unclosed group (at column 11)",
    );
}

#[test]
fn a_refused_rule_does_not_take_the_other_rules_of_its_file_with_it() {
    let set = load(&[
        rule("first-rule", CATEGORY, CONDITION, ""),
        rule("keyed-rule", CATEGORY, CONDITION, "    colour: blue\n"),
        rule("sourced-rule", CATEGORY, "{ source: [cbz] }", ""),
        rule("last-rule", CATEGORY, CONDITION, ""),
    ]);
    let ids: Vec<&str> = set.rules.iter().map(|r| r.rule.id.as_str()).collect();
    assert_eq!(ids, ["first-rule", "last-rule"]);
    let refused: Vec<Option<&str>> = set.problems.iter().map(|p| p.rule.as_deref()).collect();
    assert_eq!(refused, [Some("keyed-rule"), Some("sourced-rule")]);
    assert!(matches!(set.problems[0].kind, ProblemKind::InvalidRule(_)), "{:?}", set.problems[0]);
    assert_eq!(set.problems[1].kind, ProblemKind::UnknownSource("cbz".to_string()));
    assert_eq!(set.problems[1].at.as_deref(), Some("match.all[0]"));
}

#[test]
fn a_rule_without_an_id_is_named_by_its_place() {
    let set = load(&[
        rule("first-rule", CATEGORY, CONDITION, ""),
        rule("x", CATEGORY, CONDITION, "").replace("  - id: x\n    title", "  - title"),
    ]);
    assert_eq!(set.rules.len(), 1);
    let problems: Vec<String> = set.problems.iter().map(ToString::to_string).collect();
    assert_eq!(problems, ["probe.yaml: rules[1]: not a valid rule: missing field `id` at line 32, column 5"]);
}

#[test]
fn a_second_rule_with_an_id_is_refused() {
    let set =
        load(&[rule("probe-rule", CATEGORY, CONDITION, ""), rule("probe-rule", CATEGORY, "{ source: [dism] }", "")]);
    assert_eq!(set.rules.len(), 1);
    assert_eq!(set.rules[0].all[0].sources, [Source::Cbs], "the first keeps the id");
    let problems: Vec<String> = set.problems.iter().map(ToString::to_string).collect();
    assert_eq!(problems, ["probe.yaml [probe-rule]: id is used by another rule"]);
}

#[test]
fn a_file_that_is_not_a_rule_list_is_refused_whole() {
    let text = format!("rules:\n{}extra: 1\n", rule("probe-rule", CATEGORY, CONDITION, ""));
    let set = RuleSet::from_texts([("probe.yaml", text.as_str())]);
    assert!(set.rules.is_empty());
    let problems: Vec<String> = set.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        problems,
        ["probe.yaml: not a valid rule file: unknown field `extra`, expected one of rules at line 22, column 1"]
    );
}

#[test]
fn references_must_be_https_links() {
    let set = load(&[rule("probe-rule", CATEGORY, CONDITION, "").replace("https://learn.", "http://learn.")]);
    assert!(set.rules.is_empty());
    assert!(
        matches!(&set.problems[..], [p] if matches!(&p.kind, ProblemKind::NotHttps(url) if url.starts_with("http://learn"))),
        "{:?}",
        set.problems
    );
}

#[test]
fn metadata_the_schema_cannot_type_is_checked() {
    let faulty = rule(
        "probe-rule",
        CATEGORY,
        CONDITION,
        "    commands: [\"DISM /Online /Cleanup-Image /RestoreHealth\", \" \"]\n",
    )
    .replace("    match:\n", "    match:\n      within_seconds: 0\n")
    .replace(
        "https://learn.microsoft.com/troubleshoot/windows-client/installing-updates-features-roles/",
        "https:///path",
    )
    .replace(
        "      negative:\n        - name: quiet\n          file: CBS.log\n",
        "      negative:\n        - name: quiet\n          file: ''\n",
    );
    let set = load(&[faulty]);
    assert!(set.rules.is_empty());
    let kinds: Vec<&ProblemKind> = set.problems.iter().map(|p| &p.kind).collect();
    assert_eq!(
        kinds,
        [
            &ProblemKind::ZeroWindow,
            &ProblemKind::NotHttps("https:///path".to_string()),
            &ProblemKind::ExampleWithoutFile("quiet".to_string()),
            &ProblemKind::EmptyItem("commands[1]".to_string()),
        ]
    );
    let without_negative = rule("probe-rule", CATEGORY, CONDITION, "").replace(
        "      negative:\n        - name: quiet\n          file: CBS.log\n          log: \"2022-07-13 20:44:52, Info                  CBS    Probed.\"\n",
        "",
    );
    let set = load(&[without_negative]);
    let problems: Vec<String> = set.problems.iter().map(ToString::to_string).collect();
    assert_eq!(problems, ["probe.yaml [probe-rule]: needs at least one negative example"]);
}

#[test]
fn a_missing_folder_is_an_error_that_names_it() {
    let missing = Path::new(env!("CARGO_MANIFEST_DIR")).join("no-such-rules-folder");
    let err = RuleSet::from_dir(&missing).expect_err("no folder");
    assert!(matches!(err, RuleError::ReadDir { .. }), "{err:?}");
    assert_eq!(err.path(), missing);
    assert_eq!(err.to_string(), format!("cannot list the rules folder {}", missing.display()));
}

/// Every `  - id:` line of the repository's rule files: the rules shipped.
fn shipped_rule_count() -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("rules folder") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|x| x == "yaml") {
            let text = std::fs::read_to_string(&path).expect("rule file");
            count += text.lines().filter(|l| l.starts_with("  - id: ")).count();
        }
    }
    count
}

#[test]
fn the_shipped_rules_all_load_with_zero_problems() {
    let set = RuleSet::builtin().with_patterns_built();
    let problems: Vec<String> = set.problems.iter().map(ToString::to_string).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(set.rules.len(), shipped_rule_count());
    assert!(set.rules.len() >= 78, "{} rules", set.rules.len());
}

#[test]
fn readme_states_the_rule_count() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")).expect("README");
    let spelled = format!("({} rules)", shipped_rule_count());
    assert!(readme.contains(&spelled), "README.md should say {spelled:?}");
}

#[test]
fn the_category_list_is_the_categories_the_shipped_rules_name() {
    let set = RuleSet::builtin();
    let used: BTreeSet<&str> = set.rules.iter().map(|r| r.rule.category.as_str()).collect();
    let listed: BTreeSet<&str> = CATEGORIES.iter().map(|c| c.name).collect();
    let unused: Vec<_> = listed.difference(&used).collect();
    assert!(unused.is_empty(), "categories no rule names (drop them, or add the rule with them): {unused:?}");
}
