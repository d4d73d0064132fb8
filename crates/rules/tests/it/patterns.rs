//! Rule patterns are only parsed when rules load and built on first use: a broken pattern must still be
//! reported (and its rule refused) when loading, and one that parses but cannot be built (too large) by
//! `rules lint`.

use patchdx_rules::RuleSet;

fn rule_file(message: &str) -> String {
    format!(
        r#"rules:
  - id: probe-rule
    title: {{ en: "Probe", zh-CN: "探测" }}
    category: component-store-corruption
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
      negative:
        - name: quiet
          file: CBS.log
          log: "2022-07-13 20:44:52, Info                  CBS    Probed."
"#
    )
}

/// Loads one rule with this message pattern.
fn load(message: &str) -> RuleSet {
    RuleSet::from_texts([("probe.yaml", rule_file(message).as_str())])
}

#[test]
fn a_pattern_that_does_not_parse_is_a_problem_when_the_rules_load() {
    let set = load("Failed to (probe");
    let problems: Vec<String> = set.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        problems,
        ["probe.yaml [probe-rule]: match.all[0]: message: regular expression \"Failed to (probe\" does not compile: \
          unclosed group (at column 11)"]
    );
    assert!(set.rules.is_empty(), "the rule is refused");
}

#[test]
fn a_pattern_too_large_to_build_is_a_problem_for_lint_only() {
    let set = load("(?:probe{1000}){1000}");
    assert!(set.problems.is_empty(), "loading only parses: {:?}", set.problems);
    assert_eq!(set.rules.len(), 1, "loading does not build the pattern");
    let linted = set.with_patterns_built();
    assert_eq!(linted.problems.len(), 1, "{:?}", linted.problems);
    assert!(
        linted.problems[0]
            .to_string()
            .starts_with("probe.yaml [probe-rule]: match.all[0]: message: regular expression cannot be built"),
        "{}",
        linted.problems[0]
    );
    assert!(linted.rules.is_empty(), "a rule whose pattern cannot be built is refused too");
}

#[test]
fn a_pattern_is_built_when_a_record_first_reaches_it() {
    let set = load("Failed to pro+be");
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    let condition = &set.rules[0].all[0];
    let pattern = condition.message.as_ref().expect("a message pattern");
    assert!(pattern.is_match("2022-07-13 20:44:52, Error CBS Failed to prooobe."));
    assert!(pattern.is_match("Failed to probe"));
    assert!(!pattern.is_match("Failed to prbe"));
}

/// `not_message` keeps a condition off the records it matches: here `[SR]` results of files other than the RD
/// Licensing ones.
#[test]
fn not_message_excludes_the_records_it_matches() {
    let text = rule_file("\\[SR\\] Cannot repair member file").replace(
        "        - message: '\\[SR\\] Cannot repair member file'\n",
        "        - message: '\\[SR\\] Cannot repair member file'\n          not_message: '(?i)lserver_pkconfig\\.xml'\n",
    );
    assert!(text.contains("not_message"), "{text}");
    let set = RuleSet::from_texts([("probe.yaml", text.as_str())]);
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    let condition = &set.rules[0].all[0];
    let event = |message: &str| {
        let mut e = patchdx_formats::event::Event::new(
            patchdx_formats::event::Source::Cbs,
            "CBS.log",
            patchdx_formats::event::Action::RepairFailed,
            patchdx_formats::event::Level::Info,
            message.to_string(),
        );
        e.line = Some(1);
        e
    };
    assert!(
        condition.matches(&event("[SR] Cannot repair member file [l:11]'dwmcore.dll' of Microsoft-Windows-Dwm-Core"))
    );
    assert!(!condition.matches(&event("[SR] Cannot repair member file [l:20]'LServer_PKConfig.xml' of Microsoft-Windows-TerminalServices-LicenseServer-LRWIZDLL")));
    assert!(!condition.matches(&event("[SR] Repairing file \\??\\C:\\WINDOWS\\System32\\\\msctf.dll from store")));
}
