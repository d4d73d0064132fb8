//! The built-in detection rules: lint-clean, every example passing through the real parsers, and the exact rule
//! ids they attach to findings of real CBS logs (../shared/fixtures) and of the bundled test data.

use crate::common::fixture;
use patchdx_diagnose::{Analysis, Verdict};
use patchdx_rules::{RuleSet, Severity};
use std::collections::HashSet;
use std::path::Path;

fn analyze(path: &Path) -> Analysis {
    let bundle = patchdx_formats::registry::open(path, &Default::default()).expect("open the input");
    patchdx_diagnose::analyze(&bundle, Default::default()).analysis
}

fn first_rules(analysis: &Analysis, verdict: Verdict) -> Vec<Option<String>> {
    analysis
        .findings
        .iter()
        .filter(|f| f.verdict == verdict)
        .map(|f| f.diagnosis.first().map(|d| d.rule.clone()))
        .collect()
}

#[test]
fn builtin_rules_lint_clean_and_at_least_41() {
    let set = RuleSet::builtin();
    let problems: Vec<String> = set.problems.iter().map(ToString::to_string).collect();
    assert!(problems.is_empty(), "lint problems:\n{}", problems.join("\n"));
    assert!(set.rules.len() >= 41, "only {} built-in rules", set.rules.len());
    let mut ids = HashSet::new();
    for rule in &set.rules {
        assert!(ids.insert(rule.rule.id.clone()), "rule id {} is used twice", rule.rule.id);
        assert!(!rule.rule.examples.negative.is_empty(), "rule {} has no negative example", rule.rule.id);
    }
}

#[test]
fn every_rule_example_passes() {
    let results = patchdx_diagnose::rules_runner::run_examples(&RuleSet::builtin());
    let failures: Vec<String> = results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| {
            format!("{} / {} ({}): {}", r.rule, r.example, if r.positive { "positive" } else { "negative" }, r.detail)
        })
        .collect();
    for failure in &failures {
        eprintln!("FAILED {failure}");
    }
    assert!(failures.is_empty(), "{} example(s) failed:\n{}", failures.len(), failures.join("\n"));
    assert!(results.len() >= 82, "only {} examples ran", results.len());
}

/// EhsanHasani: a language Feature on Demand cannot be downloaded because Windows Update is unreachable; every
/// failed operation ends in 0x8024402c and is named by the connectivity rule first.
#[test]
fn fod_download_failures_are_named_wu_name_not_resolved() {
    let Some(path) = fixture("cbs/EhsanHasani_19041_CBS_fod_download_0x8024402c.log") else {
        return;
    };
    let analysis = analyze(&path);
    let firsts = first_rules(&analysis, Verdict::Failed);
    assert_eq!(firsts.len(), 2, "two failed FoD packages: fa-ir tried nine times, Graphics Tools once");
    assert_eq!(analysis.findings.iter().map(|f| f.attempts()).sum::<usize>(), 10, "ten failed FoD sessions");
    for (i, first) in firsts.iter().enumerate() {
        assert_eq!(first.as_deref(), Some("wu-name-not-resolved-0x8024402c"), "finding {i}");
    }
    for finding in &analysis.findings {
        let ids: Vec<&str> = finding.diagnosis.iter().map(|d| d.rule.as_str()).collect();
        assert_eq!(ids, vec!["wu-name-not-resolved-0x8024402c"], "{}: only the connectivity rule", finding.title);
    }
}

/// The KB5014805 case: Windows Update install fails with 0x80073712.
#[test]
fn kb5014805_store_corrupt_is_named_by_the_store_rule() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/cbs/kb5014805-wu-install-store-corrupt-0x80073712.log");
    let analysis = analyze(&path);
    let firsts = first_rules(&analysis, Verdict::Failed);
    assert!(!firsts.is_empty(), "the failure is found");
    for first in &firsts {
        assert_eq!(first.as_deref(), Some("store-corrupt-0x80073712"));
    }
}

/// romi1996: DISM RestoreHealth found 9 corrupt payload files and repaired all of them.
#[test]
fn romi1996_repaired_store_is_named_repaired_and_nothing_more_severe() {
    let Some(path) = fixture("cbs/romi1996_1903_CBS_csi_payload_corrupt_fixed.log") else {
        return;
    };
    let analysis = analyze(&path);
    assert!(first_rules(&analysis, Verdict::Failed).is_empty(), "nothing failed");
    let repaired: Vec<_> = analysis.findings.iter().filter(|f| f.verdict == Verdict::Repaired).collect();
    assert_eq!(repaired.len(), 1);
    let ids: Vec<&str> = repaired[0].diagnosis.iter().map(|d| d.rule.as_str()).collect();
    assert_eq!(ids, vec!["store-corruption-repaired"]);
    assert_eq!(repaired[0].diagnosis[0].severity, Severity::Info);
}

/// Healthy logs (an SFC run that repaired a file; a 2015 Windows 8.1 log full of routine failure lines) produce
/// no failed finding and no rule of medium severity or above.
#[test]
fn healthy_logs_fire_no_failure_rule() {
    for name in ["cbs/Jrose152_19041_CBS_sfc_repaired.log", "cbs/hofcake_win81_CBS_2015.log"] {
        let Some(path) = fixture(name) else {
            continue;
        };
        let analysis = analyze(&path);
        assert!(first_rules(&analysis, Verdict::Failed).is_empty(), "{name}: no failed finding");
        for finding in &analysis.findings {
            for d in &finding.diagnosis {
                assert!(d.severity < Severity::Medium, "{name}: rule {} ({:?}) fired", d.rule, d.severity);
            }
        }
    }
}
