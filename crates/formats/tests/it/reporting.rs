//! ReportingEvents.log reader on the two real snapshots of one machine (UTF-16LE with BOM) and on a small
//! UTF-16LE sample written here. Expected values were read off the fixtures with a Python decode.

use patchdx_bundle::FileKind;
use patchdx_formats::event::{Action, Confidence, Level, SourceFile};
use patchdx_formats::reporting;
use patchdx_testkit::fixtures::fixture;
use std::path::Path;

fn read_path(path: &Path) -> SourceFile {
    let bundle = patchdx_formats::registry::open(path, &Default::default()).expect("open");
    let entry = &bundle.entries[0];
    assert_eq!(entry.kind, FileKind::ReportingEvents, "{} detected as {:?}", path.display(), entry.kind);
    reporting::read(entry)
}

fn count(file: &SourceFile, action: Action) -> usize {
    file.events.iter().filter(|e| e.action == action).count()
}

fn lines(file: &SourceFile, action: Action) -> Vec<u64> {
    file.events.iter().filter(|e| e.action == action).filter_map(|e| e.line).collect()
}

fn time(t: Option<patchdx_formats::CivilTime>) -> String {
    t.map(|t| t.to_string()).unwrap_or_default()
}

fn assert_common(file: &SourceFile) {
    assert_eq!(file.offset.offset_seconds, Some(3 * 3600));
    assert_eq!(file.offset.method, "±HHMM on every line");
    assert_eq!(file.offset.confidence, Confidence::High);
    // One offset in the whole file: nothing to say.
    assert_eq!(file.note, None);
    assert!(file.events.iter().all(|e| e.utc.is_some() && e.local.is_some()));
    // The store app installs name no KB.
    assert!(file.events.iter().all(|e| e.kb.is_none()));
}

#[test]
fn earlier_snapshot() {
    let Some(path) = fixture("reporting/dcheva_ReportingEvents_2023-07-06.log") else { return };
    let file = read_path(&path);
    assert_common(&file);
    assert_eq!((file.records, file.events.len()), (1710, 1710));
    assert_eq!(time(file.first_local), "2023-06-17 20:20:23.087");
    assert_eq!(time(file.last_local), "2023-07-06 03:46:15.495");
    assert_eq!(time(file.events[0].utc), "2023-06-17 17:20:23.087");
    assert_eq!(time(file.events[1709].utc), "2023-07-06 00:46:15.495");
    assert_eq!(count(&file, Action::ScanSucceeded), 1654);
    assert_eq!(count(&file, Action::ScanFailed), 22);
    assert_eq!(count(&file, Action::DownloadStarted), 4);
    assert_eq!(count(&file, Action::DownloadSucceeded), 5);
    assert_eq!(count(&file, Action::InstallStarted), 5);
    assert_eq!(count(&file, Action::InstallSucceeded), 5);
    // 163 AGENT_DOWNLOAD_CANCELED (8024000b) and 168 [(null)] "Download queued".
    assert_eq!(count(&file, Action::Warning), 14);
    assert_eq!(count(&file, Action::Note), 1);
    let scan_failed = lines(&file, Action::ScanFailed);
    assert_eq!(scan_failed[..3], [635, 636, 1020]);
    assert_eq!(scan_failed[3..], (1689..=1707).collect::<Vec<u64>>());
    let codes: Vec<u32> =
        file.events.iter().filter(|e| e.action == Action::ScanFailed).filter_map(|e| e.code).collect();
    assert_eq!(codes[..3], [0x8024_402C, 0x8024_402C, 0x8024_0438]);
    assert!(codes[3..].iter().all(|&c| c == 0x8007_2EE2));
    let install = &file.events[2];
    assert_eq!((install.line, install.action), (Some(3), Action::InstallStarted));
    assert_eq!(install.title.as_deref(), Some("9NKNC0LD5NN6-Microsoft.Xbox.TCUI"));
    assert_eq!(install.update_id.as_deref(), Some("83CB05B1-36CD-4EF9-A9C6-136D4B522E64"));
    assert_eq!(install.client.as_deref(), Some("Acquisition;Microsoft.GamingApp_8wekyb3d8bbwe"));
    let cancel = &file.events[1055];
    assert_eq!((cancel.line, cancel.action, cancel.code), (Some(1056), Action::Warning, Some(0x8024_000B)));
    assert_eq!(cancel.client.as_deref(), Some("MoUpdateOrchestrator"));
}

#[test]
fn later_snapshot_overlaps_the_earlier_one() {
    let Some(path) = fixture("reporting/dcheva_ReportingEvents_2023-07-11.log") else { return };
    let file = read_path(&path);
    assert_common(&file);
    assert_eq!((file.records, file.events.len()), (1190, 1190));
    assert_eq!(time(file.first_local), "2023-06-27 01:44:30.939");
    assert_eq!(time(file.last_local), "2023-07-11 13:39:48.997");
    assert_eq!(count(&file, Action::ScanSucceeded), 1135);
    assert_eq!(count(&file, Action::ScanFailed), 20);
    assert_eq!(count(&file, Action::DownloadStarted), 5);
    assert_eq!(count(&file, Action::DownloadSucceeded), 4);
    assert_eq!((count(&file, Action::InstallStarted), count(&file, Action::InstallSucceeded)), (1, 1));
    assert_eq!(count(&file, Action::Warning), 23);
    let first_failure = file.events.iter().find(|e| e.action == Action::ScanFailed).expect("scan failure");
    assert_eq!((first_failure.line, first_failure.code), (Some(112), Some(0x8024_0438)));
    assert_eq!(time(first_failure.local), "2023-06-28 04:15:45.293");
    assert_eq!(time(first_failure.utc), "2023-06-28 01:15:45.293");
    assert_eq!(first_failure.level, Level::Error);
    assert_eq!(first_failure.client.as_deref(), Some("<<PROCESS>>: DllHost.exe"));
    let fod = &file.events[991];
    assert_eq!((fod.line, fod.action), (Some(992), Action::DownloadSucceeded));
    assert_eq!(fod.client.as_deref(), Some("TrustedInstaller FOD"));
}

/// A ReportingEvents.log written here as UTF-16LE with a BOM: KB5014805 fails with 0x80073712 on a
/// machine eight hours ahead of UTC; the second line has another offset (the zone changed).
#[test]
fn utf16_sample_with_install_failure() {
    let text = "{6F1A3D2E-0000-4B4B-8C8C-000000000001}\t2022-09-09 15:40:02:117+0800\t1\t181 [AGENT_INSTALLING_STARTED]\t101\t{7C9D1B2A-3E4F-4A5B-8C6D-7E8F9A0B1C2D}\t200\t0\tUpdateOrchestrator\tSuccess\tContent Install\tInstallation Started: Windows has started installing the following update: 2022-06 Cumulative Update for Windows 10 Version 21H2 for x64-based Systems (KB5014805)\tcV1.0\r\n\
{6F1A3D2E-0000-4B4B-8C8C-000000000002}\t2022-09-09 15:58:23:481+0800\t1\t182 [AGENT_INSTALLING_FAILED]\t101\t{7C9D1B2A-3E4F-4A5B-8C6D-7E8F9A0B1C2D}\t200\t80073712\tUpdateOrchestrator\tFailure\tContent Install\tInstallation Failure: Windows failed to install the following update with error 0x80073712: 2022-06 Cumulative Update for Windows 10 Version 21H2 for x64-based Systems (KB5014805).\tcV1.1\r\n\
{6F1A3D2E-0000-4B4B-8C8C-000000000003}\t2022-09-09 09:10:00:000+0200\t1\t147 [AGENT_DETECTION_FINISHED]\t101\t{00000000-0000-0000-0000-000000000000}\t0\t0\tUpdate;ScanForUpdates\tSuccess\tSoftware Synchronization\tWindows Update Client successfully detected 1 updates.\tcV2\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let dir = std::env::temp_dir().join(format!("patchdx-reporting-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("ReportingEvents.log");
    std::fs::write(&path, bytes).expect("write sample");
    let file = read_path(&path);
    let _ = std::fs::remove_dir_all(&dir);

    assert_eq!(file.events.len(), 3);
    assert_eq!(file.offset.offset_seconds, Some(8 * 3600));
    assert!(file.note.as_deref().unwrap_or("").contains("offsets vary"), "{:?}", file.note);
    let started = &file.events[0];
    assert_eq!(started.action, Action::InstallStarted);
    assert_eq!(started.kb.as_deref(), Some("KB5014805"));
    let failed = &file.events[1];
    assert_eq!((failed.line, failed.action, failed.level), (Some(2), Action::InstallFailed, Level::Error));
    assert_eq!(failed.code, Some(0x8007_3712));
    assert_eq!(failed.kb.as_deref(), Some("KB5014805"));
    assert_eq!(
        failed.title.as_deref(),
        Some("2022-06 Cumulative Update for Windows 10 Version 21H2 for x64-based Systems (KB5014805)")
    );
    assert_eq!(failed.update_id.as_deref(), Some("7C9D1B2A-3E4F-4A5B-8C6D-7E8F9A0B1C2D"));
    assert_eq!(failed.client.as_deref(), Some("UpdateOrchestrator"));
    assert_eq!(time(failed.local), "2022-09-09 15:58:23.481");
    assert_eq!(time(failed.utc), "2022-09-09 07:58:23.481");
    let scan = &file.events[2];
    assert_eq!((scan.action, scan.update_id.as_deref()), (Action::ScanSucceeded, None));
    assert_eq!(time(scan.utc), "2022-09-09 07:10:00");
}

/// Class: legacy (Windows 7/8) records write the agent's event number without its `[NAME]`. Each number is read
/// as the agent's own name for it: 190 AU_SCHEDULED_INSTALL_SUCCESS is an install success, 195
/// AU_SCHEDULED_INSTALL_FAILED an install failure, 191 (installed, restart required) and 194 ask for a
/// restart, 188 (ready to install), 156 (client status) and 202 (reboot completed) are steps, not results.
#[test]
fn legacy_records_without_event_names_are_read_by_their_number() {
    let record = |n: u32, id: &str, code: &str, result: &str, operation: &str, text: &str| {
        format!(
            "{{6F1A3D2E-0000-4B4B-8C8C-0000000000{n:02}}}\t2018-11-12 08:42:17:{n:03}+0200\t1\t{id}\t101\t{{7C9D1B2A-3E4F-4A5B-8C6D-7E8F9A0B1C2D}}\t200\t{code}\tAutomaticUpdates\t{result}\t{operation}\t{text}\r\n"
        )
    };
    let install = "Content Install";
    let rows = [
        record(
            1,
            "147",
            "0",
            "Success",
            "Software Synchronization",
            "Windows Update Client successfully detected 2 updates.",
        ),
        record(
            2,
            "148",
            "80072ee2",
            "Failure",
            "Software Synchronization",
            "Windows Update Client failed to detect with error 0x80072ee2.",
        ),
        record(3, "156", "0", "Success", "Pre-Deployment Check", "Reporting client status."),
        record(4, "167", "0", "Success", "Content Download", "Download started."),
        record(5, "161", "80242006", "Failure", "Content Download", "Error: Download failed."),
        record(6, "162", "0", "Success", "Content Download", "Download succeeded."),
        record(
            7,
            "188",
            "0",
            "Success",
            install,
            "Installation Ready: The following updates are downloaded and ready for installation.",
        ),
        record(
            8,
            "181",
            "0",
            "Success",
            install,
            "Installation Started: Windows successfully started the following update: Update for Windows 7 for x64-based Systems (KB4093753)",
        ),
        record(
            9,
            "191",
            "0",
            "Success",
            install,
            "Installation successful and restart required for the following update: Update for Windows 7 for x64-based Systems (KB4093753)",
        ),
        record(
            10,
            "194",
            "0",
            "Success",
            install,
            "Restart Required: To complete the installation of the following updates, the computer will be restarted within 5 minutes.",
        ),
        record(11, "202", "0", "Success", install, "Reboot completed."),
        record(
            12,
            "190",
            "0",
            "Success",
            install,
            "Installation Successful: Windows successfully installed the following update: Update for Windows 7 for x64-based Systems (KB4093753)",
        ),
        record(
            13,
            "195",
            "80242016",
            "Failure",
            install,
            "Installation Failure: Windows failed to install the following update with error 0x80242016: 2018-10 Security Monthly Quality Rollup for Windows 7 for x64-based Systems (KB4462923).",
        ),
    ];
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(rows.concat().encode_utf16().flat_map(u16::to_le_bytes));
    let dir = std::env::temp_dir().join(format!("patchdx-reporting-legacy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("ReportingEvents.log");
    std::fs::write(&path, bytes).expect("write sample");
    let file = read_path(&path);
    let _ = std::fs::remove_dir_all(&dir);

    let actions: Vec<(u64, Action, Option<u32>)> =
        file.events.iter().map(|e| (e.line.unwrap_or(0), e.action, e.code)).collect();
    assert_eq!(
        actions,
        [
            (1, Action::ScanSucceeded, None),
            (2, Action::ScanFailed, Some(0x8007_2EE2)),
            (3, Action::Note, None),
            (4, Action::DownloadStarted, None),
            (5, Action::DownloadFailed, Some(0x8024_2006)),
            (6, Action::DownloadSucceeded, None),
            (7, Action::Note, None),
            (8, Action::InstallStarted, None),
            (9, Action::RebootRequired, None),
            (10, Action::RebootRequired, None),
            (11, Action::Note, None),
            (12, Action::InstallSucceeded, None),
            (13, Action::InstallFailed, Some(0x8024_2016)),
        ]
    );
    assert_eq!(file.events[11].kb.as_deref(), Some("KB4093753"));
    assert_eq!((file.events[12].level, file.events[12].kb.as_deref()), (Level::Error, Some("KB4462923")));
}

/// The number → name table is the agent's own: every number the fixtures write with a name has that name.
#[test]
fn agent_event_names_agree_with_the_named_fixture_records() {
    for (number, name) in [
        (147, "AGENT_DETECTION_FINISHED"),
        (148, "AGENT_DETECTION_FAILED"),
        (162, "AGENT_DOWNLOAD_SUCCEEDED"),
        (163, "AGENT_DOWNLOAD_CANCELED"),
        (167, "AGENT_DOWNLOAD_STARTED"),
        (181, "AGENT_INSTALLING_STARTED"),
        (183, "AGENT_INSTALLING_SUCCEEDED"),
    ] {
        assert_eq!(reporting::agent_event_name(number), Some(name));
    }
    // `168 [(null)]` ("Download queued"): the agent has no name for it either.
    assert_eq!(reporting::agent_event_name(168), None);
}
