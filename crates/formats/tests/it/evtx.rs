//! The .evtx reader on every real event log fixture (exact counts, KBs, codes and times, checked against a
//! record-by-record dump of each file), and on damaged copies made at test time: the `evtx` crate skips
//! cut-off and zeroed chunks silently, so these guard the warnings that say what was lost.

use patchdx_bundle::{FileKind, Severity};
use patchdx_formats::event::{Action, Event, Level, Source, SourceFile};
use patchdx_formats::evtx::read;
use std::path::{Path, PathBuf};

/// An event log fixture; `None` only when it is missing and the fixtures are skipped on purpose.
fn fixture(name: &str) -> Option<PathBuf> {
    patchdx_testkit::fixtures::fixture(&format!("evtx/{name}"))
}

fn read_path(path: &Path) -> SourceFile {
    let bundle = patchdx_formats::registry::open(path, &Default::default()).expect("open");
    let entry = bundle.entries_of(FileKind::Evtx).next().expect("an .evtx entry");
    read(entry)
}

fn read_fixture(name: &str) -> Option<SourceFile> {
    fixture(name).map(|path| read_path(&path))
}

fn utc(event: &Event) -> String {
    event.utc.map(|t| t.to_string()).unwrap_or_default()
}

fn utc_range(file: &SourceFile) -> (String, String) {
    let min = file.events.iter().filter_map(|e| e.utc).min().map(|t| t.to_string()).unwrap_or_default();
    let max = file.events.iter().filter_map(|e| e.utc).max().map(|t| t.to_string()).unwrap_or_default();
    (min, max)
}

fn count(file: &SourceFile, action: Action) -> usize {
    file.events.iter().filter(|e| e.action == action).count()
}

fn kbs(file: &SourceFile, action: Action) -> Vec<&str> {
    file.events.iter().filter(|e| e.action == action).filter_map(|e| e.kb.as_deref()).collect()
}

fn warnings(file: &SourceFile) -> Vec<(Severity, &str)> {
    file.warnings.iter().map(|w| (w.severity, w.message.as_str())).collect()
}

#[test]
fn setup_3gstudent_reports_kb4093137_and_kb4091461_failing_with_0x800f0816() {
    let Some(file) = read_fixture("3gstudent_Setup_KB4093137_0x800f0816.evtx") else { return };
    assert_eq!(file.source, Source::SetupEvtx);
    assert_eq!(file.records, 15);
    assert_eq!(file.events.len(), 15);
    assert!(file.warnings.is_empty(), "{:?}", file.warnings);
    assert_eq!(file.offset.offset_seconds, Some(0));
    assert_eq!(file.offset.method, "evtx timestamps are UTC");
    assert_eq!(utc_range(&file), ("2018-04-30 20:49:08.957".to_string(), "2018-07-24 00:28:49.719".to_string()));
    assert!(file.events.iter().all(|e| e.source == Source::SetupEvtx && e.local.is_none()));

    let failures: Vec<_> = file.events.iter().filter(|e| e.action == Action::InstallFailed).collect();
    assert_eq!(failures.len(), 2);
    let seen: Vec<_> = failures
        .iter()
        .map(|e| (e.record, utc(e), e.kb.as_deref(), e.code, e.phase.as_deref(), e.client.as_deref(), e.level))
        .collect();
    assert_eq!(
        seen,
        [
            (
                Some(12),
                "2018-07-24 00:28:02.375".to_string(),
                Some("KB4093137"),
                Some(0x800f_0816),
                Some("Staged"),
                Some("WindowsUpdateAgent"),
                Level::Error
            ),
            (
                Some(14),
                "2018-07-24 00:28:33.817".to_string(),
                Some("KB4091461"),
                Some(0x800f_0816),
                Some("Staged"),
                Some("WindowsUpdateAgent"),
                Level::Error
            ),
        ]
    );
    assert_eq!(kbs(&file, Action::InstallSucceeded), ["KB4049411", "KB4033631"]);
    assert_eq!(kbs(&file, Action::RebootRequired), ["KB4049411", "KB4033631"]);
    assert_eq!(kbs(&file, Action::InstallStarted), ["KB4049411", "KB4033631", "KB4093137", "KB4091461", "KB4093119"]);
    // KB777778 removed by the retail demo service: an uninstall, not an install.
    assert_eq!(kbs(&file, Action::UninstallStarted), ["KB777778", "KB777778"]);
    assert_eq!(kbs(&file, Action::UninstallSucceeded), ["KB777778", "KB777778"]);
    let removal = file.events.iter().find(|e| e.action == Action::UninstallSucceeded).expect("removal");
    assert_eq!(removal.client.as_deref(), Some("RetailDemoService"));
    assert_eq!(removal.code, None, "ErrorCode 0x0 is no code");
}

#[test]
fn setup_aaronthopliss_dism_installs_kb3135173_and_kb3136561() {
    let Some(file) = read_fixture("aaronthopliss_Setup_win10_1511_dism_KB3135173.evtx") else { return };
    assert_eq!((file.source, file.records, file.events.len()), (Source::SetupEvtx, 4, 4));
    assert!(file.warnings.is_empty(), "{:?}", file.warnings);
    assert_eq!(utc_range(&file), ("2016-02-13 17:25:24.487".to_string(), "2016-02-13 17:28:43.571".to_string()));
    assert_eq!(kbs(&file, Action::InstallStarted), ["KB3135173", "KB3136561"]);
    assert_eq!(kbs(&file, Action::InstallSucceeded), ["KB3135173", "KB3136561"]);
    assert!(
        file.events.iter().all(|e| e.client.as_deref() == Some("DISM Package Manager Provider") && e.code.is_none())
    );
}

#[test]
fn setup_sdkeaglesoftware_installs_kb3192137() {
    let Some(file) = read_fixture("sdkeaglesoftware_Setup_ws2016_KB3192137.evtx") else { return };
    assert_eq!((file.source, file.records), (Source::SetupEvtx, 2));
    assert!(file.warnings.is_empty(), "{:?}", file.warnings);
    let seen: Vec<_> = file.events.iter().map(|e| (e.action, utc(e), e.kb.as_deref())).collect();
    assert_eq!(
        seen,
        [
            (Action::InstallStarted, "2016-09-12 11:35:41.506".to_string(), Some("KB3192137")),
            (Action::InstallSucceeded, "2016-09-12 11:35:41.973".to_string(), Some("KB3192137")),
        ]
    );
}

#[test]
fn setup_feature_enable_maps_selectable_update_events_7_and_9() {
    let Some(file) = read_fixture("anotherc0ne_Setup_ws2022_feature_enable.evtx") else { return };
    assert_eq!((file.source, file.records, file.events.len()), (Source::SetupEvtx, 32, 32));
    assert!(file.warnings.is_empty(), "{:?}", file.warnings);
    assert_eq!(utc_range(&file), ("2023-05-24 01:12:44.032".to_string(), "2023-06-02 04:07:50.851".to_string()));
    assert_eq!((count(&file, Action::InstallStarted), count(&file, Action::InstallSucceeded)), (16, 16));
    assert!(file.events.iter().all(|e| e.kb.is_none() && e.code.is_none()));
    let first = &file.events[0];
    assert_eq!(first.package.as_deref(), Some("ServerManager-Core-Package"));
    assert!(first.message.contains("turn on update ServerManager-Core-RSAT"), "{}", first.message);
}

#[test]
fn setup_wind_cludy_reads_numeric_package_states_and_monthly_cus() {
    let Some(file) = read_fixture("wind-cludy_Setup_win10_monthly_cus.evtx") else { return };
    assert_eq!((file.source, file.records, file.events.len()), (Source::SetupEvtx, 2249, 2249));
    assert!(file.warnings.is_empty(), "{:?}", file.warnings);
    assert_eq!(utc_range(&file), ("2021-10-31 01:49:20.092".to_string(), "2021-12-15 18:32:06.819".to_string()));
    assert_eq!(kbs(&file, Action::InstallSucceeded), ["KB5006365", "KB5006753", "KB5007186", "KB5007273", "KB5008212"]);
    assert_eq!(kbs(&file, Action::RebootRequired), ["KB5007186", "KB5008212"]);
    assert_eq!(count(&file, Action::RebootRequired), 5, "2 packages (event 4) + 3 SMB1 features (event 14)");
    // 2223 SMB1 turn-off attempts (event 8) and 8 cleanups of superseded packages by the Arbiter.
    assert_eq!(count(&file, Action::UninstallStarted), 2231);
    assert_eq!(count(&file, Action::UninstallSucceeded), 3);
    let cleanup = file.events.iter().find(|e| e.record == Some(2237)).expect("record 2237");
    assert_eq!(
        (cleanup.action, cleanup.kb.as_deref(), cleanup.client.as_deref(), cleanup.phase.as_deref()),
        (Action::UninstallStarted, Some("KB4586853"), Some("Arbiter"), Some("Absent"))
    );
    assert!(cleanup.message.contains("Superseded -> Absent"), "{}", cleanup.message);
    let lcu = file.events.iter().find(|e| e.record == Some(2172)).expect("record 2172");
    assert_eq!((lcu.kb.as_deref(), lcu.client.as_deref()), (Some("KB5006753"), Some("UpdateAgentLCU")));
    assert!(lcu.message.contains("Absent -> Installed"), "{}", lcu.message);
}

#[test]
fn setup_empty_log_is_a_notice_not_damage() {
    let Some(file) = read_fixture("anotherc0ne_Setup_empty.evtx") else { return };
    assert_eq!((file.source, file.records, file.events.len()), (Source::SetupEvtx, 0, 0));
    assert_eq!(warnings(&file), [(Severity::Notice, "the event log holds no records")]);
}

#[test]
fn system_menna_islam_kb2999226_and_one_bad_timestamp_warning() {
    let Some(file) = read_fixture("Menna-Islam_System_win7_WUClient_KB2999226_bad_timestamp.evtx") else { return };
    assert_eq!((file.source, file.records, file.events.len()), (Source::SystemEvtx, 697, 10));
    assert_eq!(
        warnings(&file),
        [(
            Severity::Notice,
            "1 record with an impossible timestamp (such as 1601-01-01, a zero FILETIME) kept without a time"
        )]
    );
    let installed: Vec<_> = file.events.iter().filter(|e| e.action == Action::InstallSucceeded).collect();
    assert_eq!(installed.len(), 1);
    let kb = installed[0];
    assert_eq!(
        (kb.record, utc(kb), kb.kb.as_deref(), kb.title.as_deref(), kb.update_id.as_deref()),
        (
            Some(632),
            "2024-12-18 09:37:59.096".to_string(),
            Some("KB2999226"),
            Some("Update for Windows (KB2999226)"),
            Some("c325619b-2c11-4527-b602-431b918e8fb0")
        )
    );
    assert_eq!((count(&file, Action::Boot), count(&file, Action::Shutdown)), (6, 3));
    // The machine's clock said 2010 at one boot: a wrong clock, but a real time, so it is kept.
    assert_eq!(utc_range(&file), ("2010-11-21 03:58:31.093".to_string(), "2024-12-18 09:37:59.096".to_string()));
    assert_eq!(
        file.note.as_deref(),
        Some("697 records: 10 events kept, 687 records of other providers or event ids ignored")
    );
}

#[test]
fn system_anotherc0ne_downloads_installs_kb5026370_and_records_restarts() {
    let Some(file) = read_fixture("anotherc0ne_System_ws2022_WUClient_KB5026370.evtx") else { return };
    assert_eq!((file.source, file.records, file.events.len()), (Source::SystemEvtx, 7857, 273));
    assert!(file.warnings.is_empty(), "{:?}", file.warnings);
    assert_eq!(utc_range(&file), ("2023-05-11 05:58:11.117".to_string(), "2023-06-05 23:03:30.461".to_string()));
    assert_eq!(
        (
            count(&file, Action::DownloadStarted),
            count(&file, Action::InstallStarted),
            count(&file, Action::InstallSucceeded)
        ),
        (16, 14, 13)
    );
    let cu: Vec<_> =
        file.events.iter().filter(|e| e.kb.as_deref() == Some("KB5026370")).map(|e| (e.record, e.action)).collect();
    // The 2023-05 CU only started downloading in this log; no install of it is recorded.
    assert_eq!(cu, [(Some(1481), Action::DownloadStarted)]);
    let started = file.events.iter().find(|e| e.record == Some(1481)).expect("record 1481");
    assert_eq!(utc(started), "2023-05-29 00:54:22.008");
    assert_eq!(
        started.title.as_deref(),
        Some(
            "2023-05 Cumulative Update for Microsoft server operating system version 21H2 for x64-based Systems (KB5026370)"
        )
    );
    assert_eq!(
        count(&file, Action::Boot),
        132,
        "33 boots, each seen by Kernel-General 12, Kernel-Boot 27, EventLog 6005 and 6009"
    );
    assert_eq!(count(&file, Action::Shutdown), 98);
    let boot = file.events.iter().find(|e| e.record == Some(122)).expect("record 122");
    assert_eq!(boot.message, "Kernel-General 12: the operating system started (Windows 10.0.20348.1726)");
    let restart = file.events.iter().find(|e| e.record == Some(271)).expect("record 271");
    assert_eq!(
        (restart.action, restart.client.as_deref(), restart.phase.as_deref()),
        (Action::Shutdown, Some("winlogon.exe"), Some("restart"))
    );
    assert!(restart.message.contains("Operating System: Upgrade (Planned) (reason 0x80020003)"), "{}", restart.message);
    let unexpected = file.events.iter().find(|e| e.record == Some(1885)).expect("record 1885");
    assert_eq!((unexpected.action, unexpected.level), (Action::Shutdown, Level::Critical));
}

#[test]
fn system_gbzrlk021_dirty_header_and_preallocated_chunks_are_not_damage() {
    let Some(file) = read_fixture("gbzrlk021_System_WUClient.evtx") else { return };
    assert_eq!((file.source, file.records, file.events.len()), (Source::SystemEvtx, 1011, 54));
    assert!(file.warnings.is_empty(), "{:?}", file.warnings);
    assert_eq!(utc_range(&file), ("2023-08-01 20:46:46.597".to_string(), "2023-08-02 02:24:00.628".to_string()));
    assert_eq!(
        (
            count(&file, Action::DownloadStarted),
            count(&file, Action::InstallStarted),
            count(&file, Action::InstallSucceeded)
        ),
        (12, 8, 8)
    );
    assert_eq!(kbs(&file, Action::DownloadStarted)[..2], ["KB5028937", "KB4023057"]);
}

#[test]
fn system_nanw01_truncated_copy_says_how_much_is_lost() {
    let Some(file) = read_fixture("nanw01_System_win10_WUClient.evtx") else { return };
    // 22 whole chunks (records 44609-47169) of a 320-chunk log, plus 37,040 bytes of the 23rd, whose
    // header names records 47170-47256: 47170-47200 end before the cut and are recovered.
    assert_eq!((file.source, file.records, file.events.len()), (Source::SystemEvtx, 2561 + 31, 105));
    assert_eq!(
        warnings(&file),
        [(
            Severity::Damaged,
            "298 of 320 chunks could not be read (truncated or zeroed); about 34629 records lost \
             (31 records recovered from the part of the cut-off chunk that is there)"
        )]
    );
    assert_eq!(utc_range(&file), ("2020-12-06 03:53:19.597".to_string(), "2021-01-13 02:53:12.828".to_string()));
    assert_eq!((count(&file, Action::InstallStarted), count(&file, Action::InstallSucceeded)), (22, 22));
}

/// A scratch folder for damaged copies, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("patchdx-evtx-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).expect("write");
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn read_any(path: &Path) -> SourceFile {
    // A file that is not an event log is not detected as one: read it as a caller forcing it would.
    let bundle = patchdx_formats::registry::open(path, &Default::default()).expect("open");
    read(&bundle.entries[0])
}

#[test]
fn damaged_copy_cut_mid_chunk_recovers_the_records_before_the_cut() {
    let Some(path) = fixture("3gstudent_Setup_KB4093137_0x800f0816.evtx") else { return };
    let bytes = std::fs::read(path).expect("read");
    let scratch = Scratch::new("cut");
    // Records 1-11 end by byte 6968 of the chunk; record 12 (the KB4093137 failure) runs to 7376.
    let file = read_path(&scratch.write("Setup.evtx", &bytes[..4096 + 7000]));
    assert_eq!(file.records, 11);
    assert_eq!(file.events.iter().filter_map(|e| e.record).collect::<Vec<_>>(), (1..=11).collect::<Vec<_>>());
    assert_eq!(count(&file, Action::InstallFailed), 0);
    assert_eq!(
        warnings(&file),
        [(
            Severity::Damaged,
            "1 of 1 chunks could not be read (truncated or zeroed); about 4 records lost \
             (11 records recovered from the part of the cut-off chunk that is there)"
        )]
    );
}

#[test]
fn damaged_copy_cut_inside_the_first_record_warns_with_the_records_its_header_names() {
    let Some(path) = fixture("3gstudent_Setup_KB4093137_0x800f0816.evtx") else { return };
    let bytes = std::fs::read(path).expect("read");
    let scratch = Scratch::new("cut-first");
    let file = read_path(&scratch.write("Setup.evtx", &bytes[..4096 + 2000]));
    assert_eq!(file.records, 0);
    assert_eq!(
        warnings(&file),
        [(Severity::Damaged, "1 of 1 chunks could not be read (truncated or zeroed); about 15 records lost")]
    );
}

#[test]
fn damaged_copy_cut_right_after_the_header_warns() {
    let Some(path) = fixture("3gstudent_Setup_KB4093137_0x800f0816.evtx") else { return };
    let bytes = std::fs::read(path).expect("read");
    let scratch = Scratch::new("header");
    let file = read_path(&scratch.write("Setup.evtx", &bytes[..4096]));
    assert_eq!(
        warnings(&file),
        [(
            Severity::Damaged,
            "1 of 1 chunks could not be read (truncated or zeroed); an unknown number of records lost"
        )]
    );
}

#[test]
fn damaged_copy_with_a_zeroed_chunk_counts_the_missing_record_ids() {
    let Some(path) = fixture("gbzrlk021_System_WUClient.evtx") else { return };
    let mut bytes = std::fs::read(path).expect("read");
    // Chunk 3 holds records 357-493.
    let start = 4096 + 3 * 65536;
    bytes[start..start + 65536].fill(0);
    let scratch = Scratch::new("zeroed");
    let file = read_path(&scratch.write("System.evtx", &bytes));
    assert_eq!(file.records, 1011 - 137);
    assert_eq!(
        warnings(&file),
        [(Severity::Damaged, "1 of 9 chunks could not be read (truncated or zeroed); about 137 records lost")]
    );
    assert_eq!(file.source, Source::SystemEvtx);
}

#[test]
fn empty_file_is_unreadable_not_a_panic() {
    let scratch = Scratch::new("empty");
    let file = read_any(&scratch.write("Setup.evtx", b""));
    assert_eq!((file.records, file.source), (0, Source::SetupEvtx));
    assert_eq!(
        warnings(&file),
        [(
            Severity::Unreadable,
            "this .evtx file is empty (0 bytes): there is no event log in it (the copy probably failed)"
        )]
    );
}

/// Deterministic noise (xorshift), so a failure can be reproduced.
fn noise(len: usize) -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

#[test]
fn random_bytes_behind_an_elffile_signature_are_damage_not_a_panic() {
    let mut bytes = noise(4096 + 3 * 65536);
    bytes[..8].copy_from_slice(b"ElfFile\0");
    let scratch = Scratch::new("noise");
    let file = read_path(&scratch.write("System.evtx", &bytes));
    assert_eq!((file.records, file.events.len()), (0, 0));
    assert_eq!(
        warnings(&file),
        [(
            Severity::Damaged,
            "3 of 3 chunks could not be read (truncated or zeroed); an unknown number of records lost"
        )]
    );
}

#[test]
fn random_bytes_without_the_signature_are_unreadable() {
    let scratch = Scratch::new("notevtx");
    let file = read_any(&scratch.write("Application.evtx", &noise(70_000)));
    assert_eq!(
        warnings(&file),
        [(
            Severity::Unreadable,
            "this .evtx file is not a Windows event log: it does not start with the `ElfFile` signature"
        )]
    );
}

#[test]
fn signature_alone_is_unreadable() {
    let scratch = Scratch::new("short");
    let file = read_path(&scratch.write("Setup.evtx", b"ElfFile\0\0\0\0\0"));
    assert_eq!(
        warnings(&file),
        [(
            Severity::Unreadable,
            "this .evtx file is only 12 bytes long, shorter than an event log's 4096-byte file header: it was cut off"
        )]
    );
}
