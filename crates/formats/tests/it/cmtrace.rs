//! CMTrace (ConfigMgr client log) reader on the real WUAHandler.log / UpdatesDeployment.log pair and on a
//! small log written here. Expected values were read off the fixtures with grep and a Python regex.

use patchdx_bundle::FileKind;
use patchdx_formats::cmtrace;
use patchdx_formats::event::{Action, Confidence, Level, SourceFile};
use patchdx_testkit::fixtures::fixture;
use std::path::Path;

fn read_path(path: &Path) -> SourceFile {
    let bundle = patchdx_formats::registry::open(path, &Default::default()).expect("open");
    let entry = &bundle.entries[0];
    assert_eq!(entry.kind, FileKind::CmTrace, "{} detected as {:?}", path.display(), entry.kind);
    cmtrace::read(entry)
}

fn lines(file: &SourceFile, action: Action) -> Vec<u64> {
    file.events.iter().filter(|e| e.action == action).filter_map(|e| e.line).collect()
}

fn time(t: Option<patchdx_formats::CivilTime>) -> String {
    t.map(|t| t.to_string()).unwrap_or_default()
}

/// `time="08:52:44.338+240"`: the bias is minutes to add to local time to get UTC (US Eastern summer
/// time here; the same machine's WindowsUpdate.log shows the same wall clock at 08:53:25).
fn assert_eastern_daylight(file: &SourceFile) {
    assert_eq!(file.offset.offset_seconds, Some(-4 * 3600));
    assert_eq!(file.offset.confidence, Confidence::High);
    assert_eq!(file.note.as_deref(), Some("CMTrace format"));
    assert!(file.events.iter().all(|e| e.client.as_deref() == Some("ConfigMgr")));
}

#[test]
fn wuahandler_scans() {
    let Some(path) = fixture("other/findingsanity_ConfigMgr_WUAHandler.log") else { return };
    let file = read_path(&path);
    assert_eastern_daylight(&file);
    assert_eq!(file.records, 26);
    assert_eq!(time(file.first_local), "2021-07-14 08:52:44.338");
    assert_eq!(time(file.last_local), "2021-07-14 08:58:01.399");
    assert_eq!(file.events.len(), 6);
    assert_eq!(lines(&file, Action::ScanStarted), [10, 19, 24]);
    assert_eq!(lines(&file, Action::ScanSucceeded), [12, 21, 26]);
    let first = &file.events[0];
    assert_eq!(time(first.local), "2021-07-14 08:53:25.968");
    assert_eq!(time(first.utc), "2021-07-14 12:53:25.968");
    assert_eq!(first.phase.as_deref(), Some("WUAHandler"));
}

#[test]
fn updates_deployment_targets_and_errors() {
    let Some(path) = fixture("other/findingsanity_ConfigMgr_UpdatesDeployment.log") else { return };
    let file = read_path(&path);
    assert_eastern_daylight(&file);
    assert_eq!(file.records, 110);
    assert_eq!(time(file.first_local), "2021-07-14 08:52:46.657");
    // Line 83 opens a record that spans four lines; the records after it still parse.
    assert_eq!(time(file.last_local), "2021-07-14 09:34:11.289");
    assert_eq!(file.events.len(), 15);
    assert_eq!(lines(&file, Action::Warning), [8]);
    let error = &file.events[1];
    assert_eq!((error.line, error.action, error.level), (Some(22), Action::Error, Level::Error));
    assert_eq!(error.code, Some(0x87D0_0215));
    assert_eq!(time(error.utc), "2021-07-14 12:53:19.672");
    // Each targeted update once, on its first `added to the targeted list` record.
    assert_eq!(lines(&file, Action::Note), [30, 32, 34, 36, 38, 40, 41, 43, 44, 45, 47, 49, 51]);
    // SUM_11367b68-… is the KB4584642 update the same machine's WindowsUpdate.log installs.
    let edge = file.events.iter().find(|e| e.line == Some(40)).expect("line 40");
    assert_eq!(edge.update_id.as_deref(), Some("11367B68-91E2-4EFB-8E2E-ABD9B063B689"));
}

/// A WUAHandler/UpdatesDeployment-style log written here (UTC+8, so bias -480): KB5014805 fails with
/// 0x80073712, one record spans two lines.
#[test]
fn sample_install_failure_with_negative_bias() {
    let id = "7c9d1b2a-3e4f-4a5b-8c6d-7e8f9a0b1c2d";
    let attrs = |time: &str, component: &str, kind: u8| {
        format!(
            r#"<time="{time}-480" date="09-09-2022" component="{component}" context="" type="{kind}" thread="4242" file="x.cpp:1">"#
        )
    };
    let text = [
        format!("<![LOG[Update (Missing): 2022-06 Cumulative Update for Windows 10 Version 21H2 for x64-based Systems (KB5014805) ({id}, 200)]LOG]!>{}", attrs("15:40:00.100", "WUAHandler", 1)),
        format!("<![LOG[Async installation of updates started.]LOG]!>{}", attrs("15:40:02.000", "WUAHandler", 1)),
        format!("<![LOG[Update 1 ({id}) finished installing (0x80073712), Reboot Required? (No)]LOG]!>{}", attrs("15:58:23.481", "WUAHandler", 3)),
        "<![LOG[Message received: '<?xml version='1.0' ?>".to_string(),
        format!("<Msg/>']LOG]!>{}", attrs("15:59:00.000", "UpdatesDeploymentAgent", 1)),
        format!("<![LOG[Update (Site_A70BBF1F-4768-4A41-AB5B-9ADBBBE009D0/SUM_{id}) Progress: Status = ciStateError, PercentComplete = 100, Result = 0x80073712]LOG]!>{}", attrs("15:59:01.000", "UpdatesDeploymentAgent", 3)),
    ]
    .join("\r\n");
    let dir = std::env::temp_dir().join(format!("patchdx-cmtrace-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("WUAHandler.log");
    std::fs::write(&path, text + "\r\n").expect("write sample");
    let file = read_path(&path);
    let _ = std::fs::remove_dir_all(&dir);

    assert_eq!(file.offset.offset_seconds, Some(8 * 3600));
    assert_eq!(file.records, 6);
    let actions: Vec<(Option<u64>, Action)> = file.events.iter().map(|e| (e.line, e.action)).collect();
    assert_eq!(
        actions,
        [
            (Some(1), Action::Note),
            (Some(2), Action::InstallStarted),
            (Some(3), Action::InstallFailed),
            (Some(6), Action::InstallFailed)
        ]
    );
    let upper = id.to_ascii_uppercase();
    for event in &file.events[2..] {
        assert_eq!(event.code, Some(0x8007_3712));
        assert_eq!(event.update_id.as_deref(), Some(upper.as_str()));
        assert_eq!(event.kb.as_deref(), Some("KB5014805"));
        assert_eq!(event.level, Level::Error);
    }
    assert_eq!(time(file.events[2].local), "2022-09-09 15:58:23.481");
    assert_eq!(time(file.events[2].utc), "2022-09-09 07:58:23.481");
    assert_eq!(
        file.events[0].title.as_deref(),
        Some("2022-06 Cumulative Update for Windows 10 Version 21H2 for x64-based Systems (KB5014805)")
    );
}
