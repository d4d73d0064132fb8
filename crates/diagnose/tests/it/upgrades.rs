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

/// Class: a compatibility scan asked for alone (`/Compat ScanOnly`) that found nothing exits 0xC1900210
/// MOSETUP_E_COMPAT_SCANONLY: an observation quoting setup's result line, not a failure.
#[test]
fn a_scan_only_run_that_found_no_issue_is_an_observation() {
    let lines = [
        "2024-03-14 09:20:11, Info                  MOUPG  SetupHost::Initialize: CmdLine                = [/Auto Upgrade /Compat ScanOnly /Quiet /NoReboot]",
        "2024-03-14 09:20:11, Info                  MOUPG  SetupHost: Setup build version is: 10.0.22621.2428 (ni_release_svc_prod3.231018-1809)",
        "2024-03-14 09:20:12, Info                  SP     Operation completed successfully: Create a temporary local directory",
        "2024-03-14 09:20:12, Info                  SP     Operation completed successfully: Compatibility scan",
        "2024-03-14 09:23:40, Info                  MOUPG  ImageExit: Initializing SetupResult: [0xc1900210]",
        "2024-03-14 09:23:40, Info                  MOUPG  SetupHost: Compat scan only run completed",
    ];
    let dir = tempfile::tempdir().expect("scratch");
    std::fs::write(dir.path().join("setupact.log"), lines.join("\r\n") + "\r\n").expect("write");
    let analysis = analyze(dir.path());
    assert!(analysis.findings.is_empty(), "{:#?}", analysis.findings.iter().map(|f| &f.title).collect::<Vec<_>>());
    let o = analysis.observations.iter().find(|o| o.kind == "compat-scan-only").expect("the scan-only run");
    assert_eq!(o.evidence[0].line, 5);
    assert!(o.summary.starts_with("Not a failure: Windows Setup ran a compatibility scan only and found no compatibility issue (0xC1900210 MOSETUP_E_COMPAT_SCANONLY)"), "{}", o.summary);
    assert_eq!(analysis.verdict.exit_code, 0);
}

/// sollo11 (SOURCES.md's expert reading: "upgrade blocked (pending reboot) + setup UI crash"): the three Panther
/// files together give exactly those two findings; setup's exception record names the code and the module.
#[test]
fn sollo11_is_blocked_by_a_pending_reboot_and_setup_crashed_in_win32ui() {
    let mut files = Vec::new();
    for name in [
        "sollo11_win7-csCZ-to-win10_appcompat-HardBlock-UTF16.xml",
        "sollo11_win7-csCZ-to-win10_diagerr-setupexe-0xC0000005-win32ui.xml",
        "sollo11_win7-csCZ-to-win10_diagwrn-CheckRebootRequired-PendingFileRename.xml",
    ] {
        let Some(path) = fixture(&format!("panther/{name}")) else { return };
        files.push((path, name));
    }
    let analysis = analyze(folder(&files).path());
    let titles: Vec<&str> = analysis.findings.iter().map(|f| f.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Windows Setup (feature update or upgrade) blocked before it started by a pending reboot (setup's CheckRebootRequired: PendingFileRename=1, RunONce=0)",
            "Windows Setup crashed with 0xC0000005 STATUS_ACCESS_VIOLATION in win32ui.dll",
        ]
    );
    let crash = &analysis.findings[1];
    assert_eq!(crash.first_cause.line, 183);
    assert_eq!(crash.items[0], r"crashed in C:\$WINDOWS.~BT\Sources\win32ui.dll");
    assert_eq!(crash.diagnosis.first().map(|d| d.rule.as_str()), Some("sd-setup-process-crashed"));
}
