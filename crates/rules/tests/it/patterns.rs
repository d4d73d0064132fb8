//! Rule patterns are only parsed when rules load and built on first use: a broken pattern must still be
//! reported when loading, and one that parses but cannot be built (too large) by `rules lint`.

use patchdx_rules::RuleSet;

fn rule_file(message: &str) -> String {
    format!(
        r#"rules:
  - id: probe-rule
    title: {{ en: "Probe", zh-CN: "探测" }}
    category: probe
    severity: low
    confidence: low
    match:
      all:
        - message: '{message}'
    explanation: {{ en: "Probe.", zh-CN: "探测。" }}
    remediation: {{ en: ["Nothing."], zh-CN: ["无。"] }}
    examples:
      positive:
        - name: probe
          file: CBS.log
          log: "2022-07-13 20:44:52, Error                 CBS    Failed to probe."
"#
    )
}

/// Loads one rule with this message pattern from a folder of its own (`case` names it: tests run at once).
fn load(case: &str, message: &str) -> RuleSet {
    let dir = std::env::temp_dir().join(format!("patchdx-rule-patterns-{}-{case}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("probe.yaml"), rule_file(message)).expect("rule file");
    let set = RuleSet::from_dir(&dir).expect("rules folder");
    let _ = std::fs::remove_dir_all(&dir);
    set
}

#[test]
fn a_pattern_that_does_not_parse_is_a_problem_when_the_rules_load() {
    let set = load("unparsed", "Failed to (probe");
    assert!(
        set.problems
            .iter()
            .any(|p| p.message.contains("message: regular expression \"Failed to (probe\" does not compile")),
        "{:?}",
        set.problems
    );
}

#[test]
fn a_pattern_too_large_to_build_is_a_problem_for_lint_only() {
    let set = load("too-large", "(?:probe{1000}){1000}");
    assert!(set.problems.is_empty(), "loading only parses: {:?}", set.problems);
    let linted = set.with_patterns_built();
    assert!(
        linted.problems.iter().any(|p| p.message.contains("message: regular expression cannot be built")),
        "{:?}",
        linted.problems
    );
}

#[test]
fn a_pattern_is_built_when_a_record_first_reaches_it() {
    let set = load("lazy", "Failed to pro+be");
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    let condition = &set.rules[0].all[0];
    let pattern = condition.message.as_ref().expect("a message pattern");
    assert!(pattern.is_match("2022-07-13 20:44:52, Error CBS Failed to prooobe."));
    assert!(pattern.is_match("Failed to probe"));
    assert!(!pattern.is_match("Failed to prbe"));
}
