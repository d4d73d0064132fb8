//! Real cases read by hand: the exact first cause, update, code and phase the diagnosis must name, from
//! every kind of source (event log, DISM, WindowsUpdate.log, CBS).

use crate::common;
use common::*;
use patchdx_diagnose::Analysis;

struct Expect {
    fixture: &'static str,
    finding: usize,
    kb: Option<&'static str>,
    code: Option<&'static str>,
    phase: Option<&'static str>,
    first_line: u64,
    first_record: Option<u64>,
    first_text: &'static str,
}

fn check(analysis: &Analysis, e: &Expect) {
    let f = analysis.findings.get(e.finding).unwrap_or_else(|| panic!("{}: no finding {}", e.fixture, e.finding));
    assert_eq!(f.kb.as_deref(), e.kb, "{}", e.fixture);
    assert_eq!(f.code.as_ref().map(|c| c.hex.as_str()), e.code, "{}", e.fixture);
    assert_eq!(f.phase.as_deref(), e.phase, "{}", e.fixture);
    assert_eq!((f.first_cause.line, f.first_cause.record), (e.first_line, e.first_record), "{}", e.fixture);
    assert!(f.first_cause.text.contains(e.first_text), "{}: {}", e.fixture, f.first_cause.text);
}

#[test]
fn first_cause_update_code_and_phase_of_real_cases() {
    let cases = [
        // Setup.evtx: two cumulative updates fail to stage with CBS_E_DPX_JOB_STATE_SAVED.
        Expect {
            fixture: "evtx/3gstudent_Setup_KB4093137_0x800f0816.evtx",
            finding: 0,
            kb: Some("KB4093137"),
            code: Some("0x800F0816"),
            phase: Some("Staged"),
            first_line: 0,
            first_record: Some(12),
            first_text: "failed to be changed to the Staged state (0x800f0816)",
        },
        Expect {
            fixture: "evtx/3gstudent_Setup_KB4093137_0x800f0816.evtx",
            finding: 1,
            kb: Some("KB4091461"),
            code: Some("0x800F0816"),
            phase: Some("Staged"),
            first_line: 0,
            first_record: Some(14),
            first_text: "KB4091461",
        },
        // DISM offline /Add-Driver cannot reach the mounted image.
        Expect {
            fixture: "dism/HeroLee46_22621_dism_offline_add_driver.log",
            finding: 0,
            kb: None,
            code: None,
            phase: Some("Add-Driver"),
            first_line: 5079,
            first_record: None,
            first_text: "Failed to access the image folder",
        },
        // WindowsUpdate.log: the Windows 11 24H2 feature update returns ERROR_FILE_NOT_FOUND.
        Expect {
            fixture: "wulog/ZayrexDev_WindowsUpdate_2025.log",
            finding: 0,
            kb: None,
            code: Some("0x80070002"),
            phase: Some("Handler"),
            first_line: 14100,
            first_record: None,
            first_text: "Return code is 0x80070002",
        },
        // A Store app deployment aborted with ERROR_INSTALL_FAILED that never completed (the two that the handler
        // ran down and that completed a minute later are observations: see not_update_failures).
        Expect {
            fixture: "wulog/josemct_19041_WindowsUpdate_store_0x80073cf0.log",
            finding: 0,
            kb: None,
            code: Some("0x80073CF9"),
            phase: Some("Handler"),
            first_line: 7064,
            first_record: None,
            first_text: "HR: 0x80073cf9",
        },
        // UUP download of KB5035853 is cancelled, then collides with a running operation.
        Expect {
            fixture: "wulog/privacytarget_WindowsUpdate_uup_download_failure.log",
            finding: 0,
            kb: Some("KB5035853"),
            code: Some("0x8024000B"),
            phase: Some("Handler"),
            first_line: 577,
            first_record: None,
            first_text: "OnDownloadJobFailure",
        },
        Expect {
            fixture: "wulog/privacytarget_WindowsUpdate_uup_download_failure.log",
            finding: 1,
            kb: Some("KB5035853"),
            code: Some("0x80240009"),
            phase: Some("Handler"),
            first_line: 618,
            first_record: None,
            first_text: "OnDownloadJobFailure",
        },
        // Delivery Optimization blocked with no network.
        Expect {
            fixture: "wulog/Debajyati_WindowsUpdate_dash_date_variant.log",
            finding: 0,
            kb: None,
            code: Some("0x80D03805"),
            phase: Some("DownloadManager"),
            first_line: 10372,
            first_record: None,
            first_text: "*FAILED* [80D03805]",
        },
        // CBS: a Persian language pack cannot be downloaded (no Windows Update); nine attempts are one finding,
        // whose first cause is the first record of the first attempt (the async session #1).
        Expect {
            fixture: "cbs/EhsanHasani_19041_CBS_fod_download_0x8024402c.log",
            finding: 0,
            kb: None,
            code: Some("0x8024402C"),
            phase: Some("CBS Other (Absent → Absent)"),
            first_line: 2003,
            first_record: None,
            first_text: "DLWD:WU search failed",
        },
    ];
    for case in &cases {
        let Some(path) = fixture(case.fixture) else { return };
        check(&analyze(&path), case);
    }
}

/// Class: one run of Windows Setup is one finding. baslr: a Windows 10 1909 → 2004 upgrade by the Update
/// Assistant whose rollback log holds three phases (phase 0 at 03:11 written in the recovery environment's
/// UTC clock, phases 1-2 at 05:12-05:13 local) and two post-reboot results; with the rollback's
/// setupapi.dev.log, the first cause is the device install the first boot stopped in.
#[test]
fn baslr_rollback_is_one_upgrade_attempt_with_its_extended_code_and_the_stopped_device_install() {
    let Some(setupact) = fixture("panther/baslr_19041_Rollback_setupact_0xC1900101_0x30018.log") else { return };
    let Some(setupapi) = fixture("other/baslr_Rollback_setupapi.dev.log") else { return };
    let dir = tempfile::tempdir().expect("scratch");
    let rollback = dir.path().join("$WINDOWS.~BT/Sources/Rollback");
    std::fs::create_dir_all(rollback.join("setupapi")).expect("folders");
    std::fs::copy(&setupact, rollback.join("setupact.log")).expect("copy setupact.log");
    std::fs::copy(&setupapi, rollback.join("setupapi/setupapi.dev.log")).expect("copy setupapi.dev.log");
    let analysis = analyze(dir.path());
    assert_eq!(analysis.findings.len(), 1, "{:#?}", analysis.findings.iter().map(|f| &f.title).collect::<Vec<_>>());
    let f = &analysis.findings[0];
    assert_eq!(
        f.title,
        "Feature update to build 10.0.19041.963 rolled back with 0xC1900101-0x30018 (FIRST_BOOT, SYSPREP)"
    );
    assert_eq!(f.client.as_deref(), Some("the Windows Update Assistant"));
    assert_eq!(
        f.items[..3],
        [
            "upgrading from build 10.0.18363".to_string(),
            "started by the Windows Update Assistant".to_string(),
            "rollback count 18: setup had rolled back 18 time(s) on this machine".to_string(),
        ]
    );
    assert_eq!(f.items[3], "3 rollback phase(s) in the logs");
    assert!(f.items[4].starts_with("device install PCI\\VEN_8086&DEV_8C14&SUBSYS_72708086&REV_D5\\3&11583659&0&E2 with driver Intel(R) 8 Series/C220 Series PCI Express Root Port #3 - 8C14 (oem0.inf, lynxpointsystem.inf, 10/03/2016,10.1.1.38): never finished"));
    assert_eq!(
        (f.first_cause.file.as_str(), f.first_cause.line),
        ("$WINDOWS.~BT/Sources/Rollback/setupapi/setupapi.dev.log", 1029)
    );
    assert_eq!((f.outcome.line, local(f.local_time).as_str()), (5680, "2021-05-18 05:13:21"));
    for line in [1, 5248, 5377, 5550] {
        assert!(f.cascade.iter().any(|e| e.line == line), "line {line} in the cascade");
    }
    assert_eq!(f.diagnosis.first().map(|d| d.rule.as_str()), Some("upgrade-rollback-0xc1900101"));

    // Without the setupapi log, the first cause is the rollback's first phase.
    let alone = analyze(&setupact);
    assert_eq!(alone.findings.len(), 1);
    assert_eq!(alone.findings[0].first_cause.line, 1);
}

/// Class: a setup run the user (or its host) cancelled is an observation quoting the result, not a failure.
#[test]
fn copyleft21_cancelled_upgrade_is_an_observation() {
    let Some(path) = fixture("panther/copyleft21_upgrade_setupact.log") else { return };
    let analysis = analyze(&path);
    assert!(analysis.findings.is_empty());
    let o = analysis.observations.iter().find(|o| o.kind == "upgrade-cancelled").expect("the cancelled run");
    assert!(
        o.summary.starts_with(
            "Windows Setup to build 10.0.19041.572 was cancelled (0x800704C7 ERROR_CANCELLED, phase 2: Safe OS phase"
        ),
        "{}",
        o.summary
    );
    assert_eq!(o.evidence[0].line, 262);
    assert_eq!(analysis.verdict.exit_code, 0);
}
