//! SetupDiag's rules read the Error lines a Windows Setup run wrote before it gave up; patchdx's rules for them
//! (rules/setupdiag-upgrade.yaml) must reach those lines on the setup run's finding, not only in `rules test`:
//! the last errors before the result are read, errors setup went on after are not.

use crate::common::*;

fn rule_ids(analysis: &patchdx_diagnose::Analysis) -> Vec<Vec<String>> {
    analysis.findings.iter().map(|f| f.diagnosis.iter().map(|d| d.rule.clone()).collect()).collect()
}

fn analyze_setupact(text: &str) -> patchdx_diagnose::Analysis {
    let dir = tempfile::tempdir().expect("scratch folder");
    let path = dir.path().join("setupact.log");
    std::fs::write(&path, text.replace('\n', "\r\n")).expect("write the log");
    analyze(&path)
}

const HEAD: &str = "\
2021-10-06 19:58:12, Info                  MOUPG  SetupHost::Initialize: CmdLine = [/Install /Media /ClientId UpdateOrchestrator]
2021-10-06 19:58:12, Info                  MOUPG  Setup build version is: 10.0.19041.1288 (WinBuild.160101.0800)
";

/// A WIM that would not mount seconds before setup's result: the setup run's finding names it.
#[test]
fn the_last_error_before_the_result_names_the_cause() {
    let log = format!(
        "{HEAD}\
2021-10-06 20:14:52, Error                 SP     CMountWIM::DoExecute: Failed to mount WIM file C:\\$WINDOWS.~BT\\Sources\\SafeOS\\winre.wim. Error 0xC1420127[gle=0xc1420127]
2021-10-06 20:14:52, Error                 SP     Operation failed: Mount WIM file C:\\$WINDOWS.~BT\\Sources\\SafeOS\\winre.wim, index 1 to C:\\$WINDOWS.~BT\\Sources\\SafeOS\\SafeOS.Mount. Error: 0xC1420127[gle=0xc1420127]
2021-10-06 20:14:53, Info                  MOUPG  Setup phase change: [SetupPhaseInstall] -> [SetupPhaseError]
2021-10-06 20:14:53, Info                  MOUPG  ImageExit: Initializing SetupResult: [0xc1420127]
2021-10-06 20:14:53, Info                  MOUPG  ImageExit: Initializing Extended:    [0x10008]
"
    );
    let analysis = analyze_setupact(&log);
    assert_eq!(analysis.findings.len(), 1, "{:?}", rule_ids(&analysis));
    let rules = &rule_ids(&analysis)[0];
    for expected in ["sd-wim-mount-failed", "sd-setup-platform-operation-failed", "upgrade-setup-exited-with-failure"] {
        assert!(rules.iter().any(|r| r == expected), "{expected} missing from {rules:?}");
    }
}

/// The same error ten minutes before a result with another code is one setup went on after: not the cause.
#[test]
fn an_earlier_error_setup_went_on_after_is_not_read() {
    let log = format!(
        "{HEAD}\
2021-10-06 20:04:52, Error                 SP     CMountWIM::DoExecute: Failed to mount WIM file C:\\$WINDOWS.~BT\\Sources\\SafeOS\\winre.wim. Error 0xC1420127[gle=0xc1420127]
2021-10-06 20:14:53, Error                 SP     CSetupPlatform::Initialize: Disk provisioning is not available; hr = 0x80070032
2021-10-06 20:14:53, Info                  MOUPG  Setup phase change: [SetupPhaseInstall] -> [SetupPhaseError]
2021-10-06 20:14:53, Info                  MOUPG  ImageExit: Initializing SetupResult: [0x80070032]
2021-10-06 20:14:53, Info                  MOUPG  ImageExit: Initializing Extended:    [0x50013]
"
    );
    let analysis = analyze_setupact(&log);
    assert_eq!(rule_ids(&analysis), [["upgrade-setup-exited-with-failure"]]);
}

/// docs/setupdiag-rules.md lists every rule the SetupDiag article documents (64), each once, and every patchdx
/// rule id it names is a built-in rule; the counts it states add up to the rows.
#[test]
fn the_setupdiag_map_names_every_documented_rule_and_only_real_rule_ids() {
    let text = std::fs::read_to_string(repo().join("docs/setupdiag-rules.md")).expect("docs/setupdiag-rules.md");
    let rules = patchdx_rules::RuleSet::builtin();
    let mut names = std::collections::BTreeSet::new();
    let (mut covered, mut partly, mut not_covered, mut verdict) = (0, 0, 0, 0);
    for row in text.lines().filter(|l| l.starts_with("| ") && l[2..].starts_with(|c: char| c.is_ascii_digit())) {
        let cells: Vec<&str> = row.split(" | ").collect();
        assert_eq!(cells.len(), 5, "{row}");
        let name = cells[1].trim_matches('`');
        assert!(names.insert(name.to_string()), "{name} listed twice");
        let patchdx = cells[4];
        match () {
            _ if patchdx.starts_with("**not covered**") => not_covered += 1,
            _ if patchdx.starts_with("**partly**") => partly += 1,
            _ if patchdx.starts_with("not a rule") => verdict += 1,
            _ => {
                assert!(patchdx.starts_with("rule"), "{name}: {patchdx}");
                covered += 1;
            }
        }
        for id in patchdx.split('`').skip(1).step_by(2) {
            if id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
                assert!(rules.get(id).is_some(), "{name}: no built-in rule {id}");
            }
        }
    }
    assert_eq!(names.len(), 64);
    for must in ["CompatScanOnly", "BootFailureDetected", "DISMAddPackageFailed", "FindRollbackFailure"] {
        assert!(names.contains(must), "{must}");
    }
    assert_eq!((covered, partly, verdict, not_covered), (35, 10, 1, 18));
    assert!(text.contains("- 45 named by a patchdx rule (35 fully, 10 partly"));
    assert!(text.contains("- 18 not covered"));
}
