//! Class (issue 14): SetupDiag's own results are read and compared with what the setup logs say; alone, they
//! are the finding.

use crate::common::{analyze, fixture, sample};

const RESULTS: &str = "panther/SetupDiagResults-FindSPFatalError-0xC1900101-0x30018.xml";

/// A scratch folder with the given files (source path, name in the folder).
fn folder(files: &[(std::path::PathBuf, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("scratch");
    for (from, name) in files {
        std::fs::copy(from, dir.path().join(name)).expect("copy");
    }
    dir
}

#[test]
fn setupdiag_results_alone_are_the_finding_with_its_profile_and_decoded_code() {
    let analysis = analyze(&sample(RESULTS));
    assert_eq!(analysis.findings.len(), 1);
    let f = &analysis.findings[0];
    assert_eq!(
        f.title,
        "Windows Setup failed with 0xC1900101-0x30018 (FIRST_BOOT, SYSPREP), as SetupDiag reports (profile FindSPFatalError)"
    );
    assert_eq!((f.first_cause.line, f.client.as_deref()), (4, Some("SetupDiag")));
    assert_eq!(f.items, ["SetupDiag matched profile FindSPFatalError"]);
    assert_eq!(analysis.verdict.exit_code, 1);
}

#[test]
fn setupdiag_results_beside_the_rollback_log_agree_inside_its_one_finding() {
    let Some(setupact) = fixture("panther/baslr_19041_Rollback_setupact_0xC1900101_0x30018.log") else { return };
    let dir = folder(&[(setupact, "setupact.log"), (sample(RESULTS), "SetupDiagResults.xml")]);
    let analysis = analyze(dir.path());
    assert_eq!(analysis.findings.len(), 1);
    let f = &analysis.findings[0];
    assert!(
        f.items.contains(
            &"SetupDiag agrees (SetupDiagResults.xml:4): profile FindSPFatalError, 0xC1900101-0x30018".to_string()
        ),
        "{:?}",
        f.items
    );
    assert!(f.cascade.iter().any(|e| e.file == "SetupDiagResults.xml" && e.line == 4));
}

#[test]
fn setupdiag_results_that_name_another_code_are_shown_beside_the_logs_own_result() {
    let Some(setupact) = fixture("panther/baslr_19041_Rollback_setupact_0xC1900101_0x30018.log") else { return };
    let other =
        std::fs::read_to_string(sample(RESULTS)).expect("sample").replace("0xC1900101-0x30018", "0x8007000D-0x2000C");
    let dir = folder(&[(setupact, "setupact.log")]);
    std::fs::write(dir.path().join("SetupDiagResults.xml"), other).expect("write");
    let analysis = analyze(dir.path());
    assert_eq!(analysis.findings.len(), 1, "one run, one finding: SetupDiag's differing verdict is part of it");
    let f = &analysis.findings[0];
    assert!(
        f.items.iter().any(|i| i.starts_with(
            "SetupDiag (SetupDiagResults.xml:4) differs: profile FindSPFatalError, 0x8007000D-0x2000C; the logs' own result is 0xC1900101-0x30018"
        )),
        "{:?}",
        f.items
    );
}
