//! Class: what is not an update failure is not reported as one (issue 13, item 5). DISM declining to provision
//! an app whose equal or higher version is provisioned, a maintenance program's DISM session with Error-level
//! probes, an update whose download Windows Update had removed (expired or superseded), and an install a
//! shutdown interrupted that completed minutes later become observations, each quoting first the line that
//! decides it; real failures next to them stay findings.

use crate::common::reporting::{UPDATE_ID, install_failed, install_succeeded};
use crate::common::*;
use patchdx_diagnose::{Analysis, Observation};

fn observations<'a>(analysis: &'a Analysis, kind: &str) -> Vec<&'a Observation> {
    analysis.observations.iter().filter(|o| o.kind == kind).collect()
}

fn titles(analysis: &Analysis) -> Vec<&str> {
    analysis.findings.iter().map(|f| f.title.as_str()).collect()
}

/// AbbrilYudistira (dism.log): /Add-ProvisionedAppxPackage of an AMD Radeon Software package whose newer
/// version is already provisioned: the Appx provider says so (line 55), then 0x800700B7 and 0xC1570118 go up
/// the stack. Nothing failed.
#[test]
fn appx_provisioning_declined_for_an_equal_or_higher_version() {
    let Some(path) = fixture("dism/AbbrilYudistira_22000_dism_appx_0x800700b7.log") else { return };
    let analysis = analyze(&path);
    assert!(analysis.findings.is_empty(), "{:?}", titles(&analysis));
    assert_eq!(analysis.verdict.exit_code, 0);
    let found = observations(&analysis, "appx-already-provisioned");
    assert_eq!(found.len(), 1, "{:#?}", analysis.observations);
    let o = found[0];
    assert_eq!(
        o.summary,
        "Not an update failure: DISM did not provision AdvancedMicroDevicesInc-2.AMDRadeonSoftware_10.20.50016.0_x64__0a9344xs7nr4m \
         because an equal or higher version is already provisioned \
         (AdvancedMicroDevicesInc-2.AMDRadeonSoftware_10.20.50017.0_x64__0a9344xs7nr4m); it reported that as 0xC1570118 and \
         0x800700B7 ERROR_ALREADY_EXISTS, and nothing in the image was changed."
    );
    let deciding = &o.evidence[0];
    assert_eq!(deciding.line, 55);
    assert!(
        deciding.text.ends_with(
            "Msg:[Failed while adding package AdvancedMicroDevicesInc-2.AMDRadeonSoftware_10.20.50016.0_x64__0a9344xs7nr4m \
             since an equal or higher version of the package, \
             AdvancedMicroDevicesInc-2.AMDRadeonSoftware_10.20.50017.0_x64__0a9344xs7nr4m, already exists]"
        ),
        "{}",
        deciding.text
    );
    assert_eq!(deciding.code.as_deref(), Some("0xC1570118"));
    // Then the records of what would have been the finding: the provider's 0x800700B7.
    assert_eq!(o.evidence[1].line, 61);
}

const CLEANMGR: &str = "dism/cleanmgr-dismapi-session-error-probes-0x800f0805.log";

/// Disk Cleanup's DISM session (its parent process line names cleanmgr.exe) logs Error-level probes for a
/// package that is not there.
#[test]
fn disk_cleanup_dism_session_probes_are_an_observation() {
    let analysis = analyze(&sample(CLEANMGR));
    assert!(analysis.findings.is_empty(), "{:?}", titles(&analysis));
    let found = observations(&analysis, "maintenance-task-dism-probe");
    assert_eq!(found.len(), 1, "{:#?}", analysis.observations);
    assert_eq!(
        found[0].summary,
        "Not an update failure: Disk Cleanup (C:\\WINDOWS\\system32\\cleanmgr.exe /autoclean /d C:) opened a DISM \
         session to examine the image; the Error-level lines it logged (0x800F0805 CBS_E_INVALID_PACKAGE) are probes of \
         what is not there, and it installs nothing."
    );
    let lines: Vec<u64> = found[0].evidence.iter().map(|e| e.line).collect();
    assert_eq!(lines, [6, 20, 29], "the parent process line, the first error, the session's end");
    assert!(found[0].evidence[0].text.ends_with(
        "DismApi.dll: Parent process command line: C:\\WINDOWS\\system32\\cleanmgr.exe /autoclean /d C: - DismInitializeInternal"
    ));
}

/// The same session opened by the compatibility appraiser is an observation too; opened by another program it
/// is not (and its errors make no finding either: a DismApi session that names no command is not an update).
#[test]
fn appraiser_sessions_too_but_not_other_callers() {
    let text = std::fs::read_to_string(sample(CLEANMGR)).expect("sample");
    let as_caller = |caller: &str| {
        let dir = tempfile::tempdir().expect("scratch");
        let path = dir.path().join("dism.log");
        std::fs::write(&path, text.replace("C:\\WINDOWS\\system32\\cleanmgr.exe /autoclean /d C:", caller))
            .expect("write");
        analyze(&path)
    };
    let appraiser = as_caller("C:\\WINDOWS\\system32\\CompatTelRunner.exe -m:appraiser.dll -f:DoScheduledTelemetryRun");
    assert!(appraiser.findings.is_empty());
    let found = observations(&appraiser, "maintenance-task-dism-probe");
    assert_eq!(found.len(), 1);
    assert!(found[0].summary.starts_with(
        "Not an update failure: the compatibility appraiser (C:\\WINDOWS\\system32\\CompatTelRunner.exe -m:appraiser.dll"
    ));
    let other = as_caller("C:\\Tools\\imaging-agent.exe --inventory");
    assert!(other.findings.is_empty());
    assert!(observations(&other, "maintenance-task-dism-probe").is_empty(), "{:#?}", other.observations);
}

/// ReportingEvents: the install of an update whose download Windows Update had already removed fails with
/// 0x80246013 WU_E_DM_UPDATEREMOVED; a real failure beside it stays a finding.
#[test]
fn update_whose_download_was_removed_is_an_observation() {
    const OTHER: &str = "0C8E5B7A-3D2F-4A61-9E4B-7F1D2C3B4A59";
    let analysis = crate::common::reporting::analyze_reporting(&[
        install_failed(
            UPDATE_ID,
            "2024-02-20 03:10:44",
            "80246013",
            "2024-01 Cumulative Update for Windows 10 Version 22H2 for x64-based Systems (KB5034122)",
        ),
        install_failed(
            OTHER,
            "2024-02-20 03:11:02",
            "80073712",
            "2024-01 Cumulative Update for .NET Framework 3.5, 4.8 and 4.8.1 for Windows 10 Version 22H2 for x64 (KB5033909)",
        ),
    ]);
    assert_eq!(titles(&analysis).len(), 1, "{:?}", titles(&analysis));
    assert_eq!(analysis.findings[0].kb.as_deref(), Some("KB5033909"));
    let found = observations(&analysis, "update-download-removed");
    assert_eq!(found.len(), 1, "{:#?}", analysis.observations);
    assert_eq!(
        found[0].summary,
        "Not an update failure: Windows Update had already removed the download of KB5034122 (expired or superseded) \
         when it came to install it (0x80246013 WU_E_DM_UPDATEREMOVED); nothing was installed or damaged, and Windows \
         Update searches for and downloads it again if it is still needed."
    );
    let deciding = &found[0].evidence[0];
    assert_eq!(deciding.line, 1);
    assert!(deciding.text.contains("with error 0x80246013: 2024-01 Cumulative Update"), "{}", deciding.text);
}

const APP: &str = "9NBLGGH4NNS1-Microsoft.DesktopAppInstaller";

/// ReportingEvents: a Store app's install stopped by the shutdown (0x8024001E WU_E_SERVICE_STOP) and installed
/// seven minutes later is one install, interrupted: an observation quoting the failure, then the success.
#[test]
fn store_app_interrupted_by_shutdown_then_installed_is_an_observation() {
    let analysis = crate::common::reporting::analyze_reporting(&[
        install_failed(UPDATE_ID, "2024-03-05 18:02:11", "8024001E", APP),
        install_succeeded(UPDATE_ID, "2024-03-05 18:09:40", APP),
    ]);
    assert!(analysis.findings.is_empty(), "{:?}", titles(&analysis));
    assert_eq!(analysis.verdict.exit_code, 0);
    let found = observations(&analysis, "install-interrupted-by-shutdown");
    assert_eq!(found.len(), 1, "{:#?}", analysis.observations);
    assert_eq!(
        found[0].summary,
        format!(
            "Not an update failure: the install of {APP} was stopped by a shutdown (0x8024001E WU_E_SERVICE_STOP) and \
             the same operation completed 7 minute(s) later (update {UPDATE_ID})."
        )
    );
    let lines: Vec<u64> = found[0].evidence.iter().map(|e| e.line).collect();
    assert_eq!(lines, [1, 2], "the failure that says shutdown, then the success");
    assert!(found[0].evidence[1].text.contains("Installation Successful"));
}

/// Not the class: a shutdown failure made good only hours later is a resolved failure, one never made good is a
/// failure, and another code followed by a success minutes later is a resolved failure.
#[test]
fn interruptions_not_made_good_minutes_later_stay_findings() {
    let later = crate::common::reporting::analyze_reporting(&[
        install_failed(UPDATE_ID, "2024-03-05 18:02:11", "8024001E", APP),
        install_succeeded(UPDATE_ID, "2024-03-05 21:30:00", APP),
    ]);
    assert_eq!(later.findings.len(), 1);
    assert_eq!(later.verdict.resolved, 1);
    let never = crate::common::reporting::analyze_reporting(&[install_failed(
        UPDATE_ID,
        "2024-03-05 18:02:11",
        "8024001E",
        APP,
    )]);
    assert_eq!(never.findings.len(), 1);
    assert_eq!(never.verdict.failures, 1);
    let other_code = crate::common::reporting::analyze_reporting(&[
        install_failed(UPDATE_ID, "2024-03-05 18:02:11", "80073D02", APP),
        install_succeeded(UPDATE_ID, "2024-03-05 18:09:40", APP),
    ]);
    assert_eq!(other_code.findings.len(), 1);
    assert!(other_code.observations.iter().all(|o| o.kind != "install-interrupted-by-shutdown"));
}

/// josemct (WindowsUpdate.log): the update handler runs down the deployments of Store apps whose downloads were
/// suspended; two fail right after (0x80073CF0, and a download 0x80240438) and complete within a minute: each an
/// observation quoting the run-down line, then the completion. The deployment that never completed (0x80073CF9)
/// stays the one finding.
#[test]
fn store_deployments_run_down_then_completed() {
    let Some(path) = fixture("wulog/josemct_19041_WindowsUpdate_store_0x80073cf0.log") else { return };
    let analysis = analyze(&path);
    assert_eq!(titles(&analysis), ["update failed with 0x80073CF9 ERROR_INSTALL_FAILED"]);
    assert_eq!(analysis.findings[0].first_cause.line, 7064);
    let found = observations(&analysis, "install-interrupted-by-shutdown");
    let quoted: Vec<(u64, u64)> = found.iter().map(|o| (o.evidence[0].line, o.evidence[1].line)).collect();
    assert_eq!(quoted, [(4139, 5411), (4139, 5325), (16940, 18146)]);
    assert_eq!(
        found[0].summary,
        "Not an update failure: Windows Update's handler ran down the deployment of update \
         243A9749-DDB7-493C-8C19-CED4BAB5E21F (its download was suspended or cancelled), the install failed with \
         0x80073CF0 ERROR_INSTALL_OPEN_PACKAGE_FAILED right after, and the update's deployment completed 54 second(s) \
         later."
    );
    assert!(found[0].evidence[0].text.ends_with(
        "ShutdownDataSourcesAndDeployment: Running down deployment for 243A9749-DDB7-493C-8C19-CED4BAB5E21F"
    ));
    assert!(found[1].summary.contains("the download failed with 0x80240438 WU_E_PT_ENDPOINT_UNREACHABLE"));
}

/// The same class on a log written for the test (an OEM audio app's older package over a newer provisioned
/// one): no finding, the provider's line quoted first, then the session's failure records.
#[test]
fn appx_already_provisioned_written_sample() {
    let analysis = analyze(&sample("dism/add-provisionedappx-equal-or-higher-version-provisioned-0xc1570118.log"));
    assert!(analysis.findings.is_empty(), "{:?}", titles(&analysis));
    let found = observations(&analysis, "appx-already-provisioned");
    assert_eq!(found.len(), 1, "{:#?}", analysis.observations);
    assert_eq!(
        found[0].summary,
        "Not an update failure: DISM did not provision RealtekSemiconductorCorp.RealtekAudioControl_1.1.137.0_x64__dt26b99r8h8gj \
         because an equal or higher version is already provisioned \
         (RealtekSemiconductorCorp.RealtekAudioControl_1.39.256.0_x64__dt26b99r8h8gj); it reported that as 0xC1570118 and \
         0x800700B7 ERROR_ALREADY_EXISTS, and nothing in the image was changed."
    );
    let lines: Vec<u64> = found[0].evidence.iter().map(|e| e.line).collect();
    assert_eq!(lines[..2], [11, 15]);
}

/// The same class in WindowsUpdate.log (Get-WindowsUpdateLog output, written for the test in its line shape):
/// the agent's history line of an install that ended 0x80246013.
#[test]
fn update_whose_download_was_removed_in_windows_update_log() {
    let lines = [
        "2024/02/20 03:10:40.1183326 1904  6120  Agent           * START * Installing updates CallerId = UpdateOrchestrator  Id = 41",
        "2024/02/20 03:10:40.1183861 1904  6120  Agent           Updates to install = 1",
        "2024/02/20 03:10:40.1184020 1904  6120  Agent           Title = 2024-01 Cumulative Update for Windows 10 Version 22H2 for x64-based Systems (KB5034122)",
        "2024/02/20 03:10:40.1184115 1904  6120  Agent           UpdateId = {6A3F0E2B-94C1-4D7A-8E25-1B9C7D40F613}.200",
        "2024/02/20 03:10:44.5521937 1904  6120  Agent           LogHistory called for Caller=UpdateOrchestrator, idUpdate=6A3F0E2B-94C1-4D7A-8E25-1B9C7D40F613.200, operation = Install, resultMapped=80246013, resultUnMapped=0",
        "2024/02/20 03:10:44.5530410 1904  6120  Agent           * END * Installing updates CallerId = UpdateOrchestrator, Id = 41, Exit code = 0x80246013",
    ];
    let dir = tempfile::tempdir().expect("scratch");
    let path = dir.path().join("WindowsUpdate.log");
    std::fs::write(&path, lines.join("\r\n") + "\r\n").expect("write");
    let analysis = analyze(&path);
    assert!(analysis.findings.is_empty(), "{:?}", titles(&analysis));
    let found = observations(&analysis, "update-download-removed");
    assert_eq!(found.len(), 1, "{:#?}", analysis.observations);
    assert_eq!(found[0].evidence[0].line, 5);
    assert!(found[0].evidence[0].text.contains("resultMapped=80246013"));
    assert!(found[0].summary.starts_with("Not an update failure: Windows Update had already removed the download of"));
}
