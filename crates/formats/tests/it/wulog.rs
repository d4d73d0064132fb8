//! WindowsUpdate.log reader on the real fixtures (all three dialects) and on a small Windows 7 log written
//! here. Every expected value was read off the fixture with grep/sed, not taken from the reader's output.

use patchdx_bundle::FileKind;
use patchdx_formats::event::{Action, Confidence, Event, Level, SourceFile};
use patchdx_formats::wulog;
use patchdx_testkit::fixtures::fixture;

fn read_fixture(rel: &str) -> Option<SourceFile> {
    let path = fixture(rel)?;
    let bundle = patchdx_formats::registry::open(&path, &Default::default()).expect("open fixture");
    let entry = &bundle.entries[0];
    assert_eq!(entry.kind, FileKind::WindowsUpdateLog, "{rel} detected as {:?}", entry.kind);
    Some(wulog::read(entry))
}

fn count(file: &SourceFile, action: Action) -> usize {
    file.events.iter().filter(|e| e.action == action).count()
}

fn of(file: &SourceFile, action: Action) -> Vec<&Event> {
    file.events.iter().filter(|e| e.action == action).collect()
}

fn at(file: &SourceFile, line: u64) -> &Event {
    file.events.iter().find(|e| e.line == Some(line)).unwrap_or_else(|| panic!("no event at line {line}"))
}

fn time(t: Option<patchdx_formats::CivilTime>) -> String {
    t.map(|t| t.to_string()).unwrap_or_default()
}

/// The first `*FAILED* [code]` line of each code is kept as an event on that line.
fn assert_traces(file: &SourceFile, expected: &[(u32, u64)]) {
    for &(code, line) in expected {
        let event = at(file, line);
        assert_eq!((event.action, event.code), (Action::Error, Some(code)), "line {line}");
    }
}

#[test]
fn windows7_text_log_with_tz_header() {
    let Some(file) = read_fixture("wulog/rkudache31_win7_WindowsUpdate_oldformat.log") else { return };
    assert!(file.note.as_deref().unwrap_or("").starts_with("Windows 7/8 text log"), "{:?}", file.note);
    assert_eq!(file.records, 12665);
    assert_eq!(file.offset.offset_seconds, Some(5 * 3600 + 1800));
    assert_eq!(file.offset.method, "tz header");
    assert_eq!(file.offset.confidence, Confidence::High);
    assert_eq!(time(file.first_local), "2021-08-28 03:07:48.216");
    assert_eq!(time(file.last_local), "2022-04-19 22:07:37.665");
    // Five `Agent: Finding updates` START/END pairs, nothing else of note (no installs in this log).
    assert_eq!(file.events.len(), 10);
    assert_eq!(count(&file, Action::ScanStarted), 5);
    assert_eq!(count(&file, Action::ScanSucceeded), 5);
    let first = &file.events[0];
    assert_eq!((first.action, first.line), (Action::ScanStarted, Some(61)));
    assert_eq!(time(first.local), "2021-08-29 14:00:23.101");
    assert_eq!(time(first.utc), "2021-08-29 08:30:23.101");
    let last = &file.events[9];
    assert_eq!((last.action, last.line), (Action::ScanSucceeded, Some(3465)));
    assert_eq!(time(last.utc), "2021-10-25 07:19:39.201");
}

#[test]
fn decoded_log_of_a_configmgr_client() {
    let Some(file) = read_fixture("wulog/findingsanity_17763_WindowsUpdate.log") else { return };
    assert!(file.note.as_deref().unwrap_or("").starts_with("Get-WindowsUpdateLog output (YYYY/MM/DD)"));
    assert_eq!(file.records, 5711);
    assert_eq!(file.offset.offset_seconds, None);
    assert_eq!(time(file.first_local), "2021-07-13 10:22:58.955");
    assert_eq!(time(file.last_local), "2021-07-14 08:58:00.471");
    assert_eq!(count(&file, Action::ScanStarted), 65);
    assert_eq!(count(&file, Action::ScanSucceeded), 64);
    assert_eq!(count(&file, Action::ScanFailed), 0);
    assert_eq!(count(&file, Action::DownloadStarted), 5);
    assert_eq!(count(&file, Action::DownloadSucceeded), 4);
    assert_eq!(count(&file, Action::DownloadFailed), 8);
    // KB4584642 (new Edge) installed by CcmExec; the agent records it as "installed, restart pending".
    let install = at(&file, 3873);
    assert_eq!(install.action, Action::InstallStarted);
    assert_eq!(install.kb.as_deref(), Some("KB4584642"));
    assert_eq!(install.update_id.as_deref(), Some("11367B68-91E2-4EFB-8E2E-ABD9B063B689"));
    assert_eq!(install.client.as_deref(), Some("CcmExec"));
    let history = at(&file, 3906);
    assert_eq!((history.action, history.code), (Action::RebootRequired, Some(0x8024_2014)));
    assert_eq!(history.kb.as_deref(), Some("KB4584642"));
    assert_eq!(at(&file, 3911).action, Action::RebootRequired);
    let failed: Vec<(u64, u32)> =
        of(&file, Action::DownloadFailed).iter().map(|e| (e.line.unwrap_or(0), e.code.unwrap_or(0))).collect();
    assert_eq!(
        failed,
        [
            (2396, 0x80D0_5011),
            (2486, 0x80D0_5011),
            (2582, 0x8020_002B),
            (2584, 0x8020_002B),
            (2666, 0x80D0_5001),
            (2670, 0x80D0_5001),
            (2769, 0x80D0_5001),
            (2771, 0x80D0_5001)
        ]
    );
    assert_eq!(at(&file, 2396).kb.as_deref(), Some("KB4023057"));
    assert_traces(&file, &[(0x8024_000C, 12), (0x8007_066F, 3740), (0x8004_1010, 3742)]);
    // Repeats of one trace are folded, not listed: 126 lines say [80041010].
    assert!(file.events.iter().filter(|e| e.code == Some(0x8004_1010)).count() < 20);
}

#[test]
fn dash_date_variant() {
    let Some(file) = read_fixture("wulog/Debajyati_WindowsUpdate_dash_date_variant.log") else { return };
    assert!(file.note.as_deref().unwrap_or("").starts_with("Get-WindowsUpdateLog-style output with dash dates"));
    assert_eq!(file.records, 18773);
    // Lines are not in time order: line 656 is the earliest.
    assert_eq!(time(file.first_local), "2024-04-11 12:47:14.375");
    let scan = of(&file, Action::ScanFailed);
    assert_eq!(scan.len(), 1);
    assert_eq!((scan[0].line, scan[0].code), (Some(4297), Some(0x8024_402F)));
    assert_eq!(scan[0].client.as_deref(), Some("MoUpdateOrchestrator"));
    // Defender scans end with the success code 0x00240010: not a failure.
    assert_eq!(at(&file, 10762).action, Action::ScanSucceeded);
    assert_eq!(at(&file, 10762).code, Some(0x0024_0010));
    let failed: Vec<u64> = of(&file, Action::DownloadFailed).iter().filter_map(|e| e.line).collect();
    assert_eq!(failed, [10372, 10490]);
    assert_eq!((count(&file, Action::InstallStarted), count(&file, Action::InstallSucceeded)), (9, 9));
    assert_traces(&file, &[(0x8024_000E, 115), (0x8024_402C, 4267), (0x80D0_3805, 10352)]);
}

#[test]
fn uup_cumulative_update_download_failures() {
    let Some(file) = read_fixture("wulog/privacytarget_WindowsUpdate_uup_download_failure.log") else { return };
    let start = at(&file, 14);
    assert_eq!(start.action, Action::DownloadStarted);
    assert_eq!(start.kb.as_deref(), Some("KB5035853"));
    assert_eq!(start.update_id.as_deref(), Some("19682DF0-D60C-4C12-B482-78552A546A7F"));
    assert_eq!(start.client.as_deref(), Some("MoUpdateOrchestrator"));
    for (line, code) in [(577, 0x8024_000B), (618, 0x8024_0009), (1235, 0x8007_000E), (1237, 0x8007_000E)] {
        let event = at(&file, line);
        assert_eq!((event.action, event.code), (Action::DownloadFailed, Some(code)), "line {line}");
        assert_eq!(event.kb.as_deref(), Some("KB5035853"), "line {line}");
    }
    assert_eq!((at(&file, 2378).action, at(&file, 2378).code), (Action::ScanFailed, Some(0x8024_402C)));
    let reboot = at(&file, 8614);
    assert_eq!((reboot.action, reboot.kb.as_deref()), (Action::RebootRequired, Some("KB5035853")));
    // `failed with 0x00000000` (line 7456) resets a job; it is no failure.
    assert!(file.events.iter().all(|e| e.line != Some(7456)));
    assert_eq!(count(&file, Action::DownloadFailed), 10);
}

#[test]
fn store_app_deployment_errors() {
    let Some(file) = read_fixture("wulog/josemct_19041_WindowsUpdate_store_0x80073cf0.log") else { return };
    let failed: Vec<(u64, u32)> =
        of(&file, Action::InstallFailed).iter().map(|e| (e.line.unwrap_or(0), e.code.unwrap_or(0))).collect();
    assert_eq!(failed, [(4146, 0x8007_3CF0), (4191, 0x8007_3CF0), (7064, 0x8007_3CF9), (16947, 0x8007_3CF0)]);
    assert_eq!(at(&file, 4146).update_id.as_deref(), Some("243A9749-DDB7-493C-8C19-CED4BAB5E21F"));
    assert_eq!(count(&file, Action::InstallSucceeded), 7);
    // The handler running an app's deployment down, and a deployment completing, are notes with the update id.
    let run_down = at(&file, 4139);
    assert_eq!(
        (run_down.action, run_down.update_id.as_deref()),
        (Action::Note, Some("243A9749-DDB7-493C-8C19-CED4BAB5E21F"))
    );
    let completed = at(&file, 5411);
    assert_eq!(
        (completed.action, completed.update_id.as_deref()),
        (Action::Note, Some("243A9749-DDB7-493C-8C19-CED4BAB5E21F"))
    );
    assert_eq!(file.events.iter().filter(|e| e.message.contains("ShutdownDataSourcesAndDeployment")).count(), 117);
    assert_eq!(
        file.events.iter().filter(|e| e.message.contains("deployment completed: Status: Completed")).count(),
        58
    );
    assert_traces(&file, &[(0x8024_0438, 2555), (0x8024_6007, 21659)]);
}

#[test]
fn feature_update_install_failure() {
    let Some(file) = read_fixture("wulog/ZayrexDev_WindowsUpdate_2025.log") else { return };
    let failed = of(&file, Action::InstallFailed);
    assert_eq!(failed.len(), 1);
    assert_eq!((failed[0].line, failed[0].code), (Some(14100), Some(0x8007_0002)));
    assert_eq!(failed[0].title.as_deref(), Some("Windows 11, version 24H2"));
    assert_eq!(failed[0].level, Level::Error);
    assert_traces(&file, &[(0xC004_F012, 170), (0x8007_0003, 260)]);
}

#[test]
fn bom_file_starting_with_a_failed_trace_and_a_partial_capture() {
    if let Some(file) = read_fixture("wulog/waca0895_WindowsUpdate_2023.log") {
        assert_traces(&file, &[(0x8024_000E, 1), (0x8007_0716, 837), (0x8024_8007, 8222)]);
        assert_eq!(at(&file, 8170).action, Action::RebootRequired);
        assert_eq!((count(&file, Action::InstallStarted), count(&file, Action::InstallSucceeded)), (9, 9));
    }
    if let Some(file) = read_fixture("wulog/raja-fahad_WindowsUpdate_partial.log") {
        assert_eq!(file.records, 5314);
        assert_eq!(time(file.first_local), "2020-11-19 15:25:46.999");
        // The capture starts inside a scan: one more END than START.
        assert_eq!((count(&file, Action::ScanStarted), count(&file, Action::ScanSucceeded)), (159, 160));
    }
}

/// A Windows 7 log written for this test, shaped like the documented legacy format: a failed scan, then an
/// install whose failure the agent reports in a `REPORT EVENT:` line with its own zone.
#[test]
fn legacy_report_event_and_failed_scan() {
    let lines = [
        "2022-09-09\t15:50:00:100\t 900\t1a2c\tMisc\t===========  Logging initialized (build: 7.6.7600.320, tz: +0800)  ===========",
        "2022-09-09\t15:50:01:000\t 900\t1a2c\tAgent\t*************",
        "2022-09-09\t15:50:01:000\t 900\t1a2c\tAgent\t** START **  Agent: Finding updates [CallerId = AutomaticUpdates]",
        "2022-09-09\t15:50:31:000\t 900\t1a2c\tAgent\t  * WARNING: Exit code = 0x8024402C",
        "2022-09-09\t15:50:31:000\t 900\t1a2c\tAgent\t**  END  **  Agent: Finding updates [CallerId = AutomaticUpdates]",
        "2022-09-09\t15:55:00:000\t 900\t2b3c\tAgent\t** START **  Agent: Installing updates [CallerId = AutomaticUpdates]",
        "2022-09-09\t15:55:00:010\t 900\t2b3c\tAgent\t  *   Title = Security Update for Windows (KB5014805)",
        "2022-09-09\t15:55:00:011\t 900\t2b3c\tAgent\t  *   UpdateId = {0F2E8E5B-6A0B-4B38-9D33-AB5C6E7F8091}.201",
        "2022-09-09\t15:58:23:456\t 900\t2b3c\tReport\tREPORT EVENT: {5D6A5E2C-1111-4C4C-8D8D-000000000001}\t2022-09-09 15:58:23:456+0800\t1\t182\t101\t{0F2E8E5B-6A0B-4B38-9D33-AB5C6E7F8091}\t201\t80073712\tAutomaticUpdates\tFailure\tContent Install\tInstallation Failure: Windows failed to install the following update with error 0x80073712: Security Update for Windows (KB5014805).",
        "2022-09-09\t15:58:24:000\t 900\t2b3c\tAgent\t**  END  **  Agent: Installing updates [CallerId = AutomaticUpdates]",
    ];
    let file = read_sample("legacy", &lines);

    assert_eq!(file.offset.offset_seconds, Some(8 * 3600));
    assert_eq!(at(&file, 3).action, Action::ScanStarted);
    assert_eq!(at(&file, 3).client.as_deref(), Some("AutomaticUpdates"));
    assert_eq!((at(&file, 5).action, at(&file, 5).code), (Action::ScanFailed, Some(0x8024_402C)));
    let started = at(&file, 7);
    assert_eq!(started.action, Action::InstallStarted);
    assert_eq!(started.kb.as_deref(), Some("KB5014805"));
    assert_eq!(started.update_id.as_deref(), Some("0F2E8E5B-6A0B-4B38-9D33-AB5C6E7F8091"));
    let failed = at(&file, 9);
    assert_eq!((failed.action, failed.level, failed.code), (Action::InstallFailed, Level::Error, Some(0x8007_3712)));
    assert_eq!(failed.kb.as_deref(), Some("KB5014805"));
    assert_eq!(failed.title.as_deref(), Some("Security Update for Windows (KB5014805)"));
    assert_eq!(failed.update_id.as_deref(), Some("0F2E8E5B-6A0B-4B38-9D33-AB5C6E7F8091"));
    assert_eq!(time(failed.local), "2022-09-09 15:58:23.456");
    assert_eq!(time(failed.utc), "2022-09-09 07:58:23.456");
}

/// `Completed install of CBS update … hr=` names no update: inside an install call of exactly one update the
/// failure is that update's; inside a call of two it stays unattributed rather than guessed.
#[test]
fn handler_failure_is_attributed_only_inside_a_call_of_one_update() {
    let call = |tid: &str, minute: u32, updates: &[(&str, &str)]| {
        let mut lines = vec![format!(
            "2022/09/09 15:{minute:02}:00.1000000 1088  {tid}  Agent           * START * Installing updates CallerId = AutomaticUpdates  Id = 1"
        )];
        for (title, id) in updates {
            lines.push(format!("2022/09/09 15:{minute:02}:00.2000000 1088  {tid}  Agent             Title = {title}"));
            lines.push(format!(
                "2022/09/09 15:{minute:02}:00.3000000 1088  {tid}  Agent             UpdateId = {id}.201"
            ));
        }
        lines.push(format!(
            "2022/09/09 15:{minute:02}:40.0920000 1088  {tid}  Handler         Completed install of CBS update with type=0, requiresReboot=0, installerError=1, hr=0x80073712"
        ));
        lines.push(format!(
            "2022/09/09 15:{minute:02}:40.4100000 1088  {tid}  Agent           * END * Install call completed, ResultCode = 4 (Failed), hr = 0x80073712, reboot required = No"
        ));
        lines
    };
    let mut lines = call("4412", 10, &[("Cumulative Update (KB5014805)", "5B8E3C1A-4F1E-4A57-9D0E-2C4A7F9B6E21")]);
    lines.extend(call(
        "4413",
        20,
        &[
            ("Cumulative Update (KB5014805)", "5B8E3C1A-4F1E-4A57-9D0E-2C4A7F9B6E21"),
            ("Servicing Stack Update (KB5017400)", "C2D9A1E4-7B3F-4D0A-8E61-0F5B3A9C7D12"),
        ],
    ));
    let file = read_sample("call", &lines);

    let failed: Vec<_> = of(&file, Action::InstallFailed)
        .iter()
        .map(|e| (e.line, e.update_id.as_deref(), e.kb.as_deref(), e.code))
        .collect();
    assert_eq!(
        failed,
        vec![
            (Some(4), Some("5B8E3C1A-4F1E-4A57-9D0E-2C4A7F9B6E21"), Some("KB5014805"), Some(0x8007_3712)),
            (Some(11), None, None, Some(0x8007_3712)),
        ]
    );
}

/// Writes CRLF lines as a WindowsUpdate.log in a folder of its own, checks it is recognised as one, reads it.
fn read_sample<S: AsRef<str>>(tag: &str, lines: &[S]) -> SourceFile {
    let dir = std::env::temp_dir().join(format!("patchdx-wulog-{tag}-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("WindowsUpdate.log");
    let text: String = lines.iter().map(|line| format!("{}\r\n", line.as_ref())).collect();
    std::fs::write(&path, text).expect("write sample");
    let bundle = patchdx_formats::registry::open(&path, &Default::default()).expect("open sample");
    assert_eq!(bundle.entries[0].kind, FileKind::WindowsUpdateLog);
    let file = wulog::read(&bundle.entries[0]);
    let _ = std::fs::remove_dir_all(&dir);
    file
}

/// Class: legacy records without `[NAME]` and the Windows 7 handler's post-reboot results. In the rsasbeih
/// log (read with grep): the 2018-10 Security Monthly Quality Rollup KB4462923 is
/// `Package_for_RollupFix~…~7601.24263.1.4` (lines 17391-17392), the 2018-10 Preview KB4462927 is
/// `…~7601.24264.1.4` (17425-17426); after the restart 24263 reports 0x80242016 (17870) and 24264 0x0 (17871);
/// REPORT EVENT 190 lines are installs, 195 the failure, 188/202 steps, 194 a restart request; the download
/// of KB4462923 that failed with 0x80242006 (14891) succeeded the next day (16697).
#[test]
fn legacy_report_events_and_post_reboot_results_of_a_windows7_client() {
    let Some(file) = read_fixture("wulog/rsasbeih_win7-sp1-wsus_WindowsUpdate-0x80242016-postreboot-KB4462923.log")
    else {
        return;
    };
    let failed = at(&file, 17870);
    assert_eq!((failed.action, failed.code), (Action::InstallFailed, Some(0x8024_2016)));
    assert_eq!(failed.package.as_deref(), Some("Package_for_RollupFix~31bf3856ad364e35~amd64~~7601.24263.1.4"));
    assert_eq!(failed.kb.as_deref(), Some("KB4462923"));
    assert_eq!(time(failed.utc), "2018-11-12 06:42:17.220");
    let newer = at(&file, 17871);
    assert_eq!((newer.action, newer.code, newer.kb.as_deref()), (Action::InstallSucceeded, None, Some("KB4462927")));
    assert_eq!(at(&file, 17869).kb.as_deref(), Some("KB4093753"));
    assert_eq!(
        count(&file, Action::InstallSucceeded),
        24 + 7 + 18,
        "190 records, 0x0 post-reboot statuses, LogHistory 0"
    );
    let report = at(&file, 17921);
    assert_eq!(
        (report.action, report.code, report.kb.as_deref()),
        (Action::InstallFailed, Some(0x8024_2016), Some("KB4462923"))
    );
    let installed = at(&file, 17922);
    assert_eq!((installed.action, installed.kb.as_deref()), (Action::InstallSucceeded, Some("KB4093753")));
    assert_eq!(at(&file, 16742).action, Action::Note);
    assert_eq!(at(&file, 17930).action, Action::Note);
    assert_eq!(at(&file, 17487).action, Action::RebootRequired);
    let downloaded = at(&file, 16697);
    assert_eq!(downloaded.action, Action::DownloadSucceeded);
    assert_eq!(downloaded.update_id.as_deref(), Some("7D0B35DC-4C1F-4555-BBA5-A6DDF8C12847"));
    assert_eq!(downloaded.kb.as_deref(), Some("KB4462923"));
}
