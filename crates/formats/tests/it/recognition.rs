//! Recognition without false friends: files that share CBS's line shape or Panther's file name but are neither.
//! The Delta Patch Expander's own log (`C:\Windows\Logs\DPX\setupact.log`) is all DPX lines in CBS's shape; a
//! device installer's `%windir%\setupact.log` shares Panther's name; each is named for what it is, and real CBS
//! and Panther logs keep their kinds.

use patchdx_bundle::{FileKind, Recognise};
use patchdx_formats::registry::{self, Registry};
use patchdx_testkit::fixtures::fixture;

/// What the registry makes of `bytes` under the file name `name`.
fn kind(bytes: &[u8], name: &str) -> FileKind {
    let recogniser: &'static dyn Recognise = &Registry;
    patchdx_bundle::detect::detect_kind_and_evidence(bytes, name, None, Some(recogniser)).0
}

fn crlf(lines: &[&str]) -> String {
    lines.iter().map(|l| format!("{l}\r\n")).collect()
}

/// `C:\Windows\Logs\DPX\setupact.log` of a Windows 8.1 machine that took monthly updates as express packages: a
/// `job.xml` not found before each job (routine), the inventory phase, the deltas applied, and later downloads
/// resumed through Windows Update.
fn dpx_setupact() -> String {
    crlf(&[
        r"2014-11-12 09:11:20, Info                  DPX    CreateFileW failed, FileName:\\?\C:\Windows\SoftwareDistribution\Download\5c1e0a9b7d3f42e6a8b0c4d2e6f81357\$dpx$.tmp\job.xml, Error:0x80070002",
        "2014-11-12 09:11:24, Info                  DPX    Started DPX phase: Inventory",
        "2014-11-12 09:11:42, Info                  DPX    Ended DPX phase: Inventory",
        "2014-11-12 09:13:30, Info                  DPX    Started DPX phase: Apply Deltas Provided In File",
        "2014-11-12 09:13:30, Info                  DPX    Ended DPX phase: Apply Deltas Provided In File",
        "2015-06-17 14:39:36, Info                  DPX    Started DPX phase: Resume and Download Job",
        "2015-06-17 14:39:36, Info                  DPX    Started DPX phase: Apply Deltas Provided In File",
        "2015-06-17 14:39:36, Info                  DPX    Ended DPX phase: Apply Deltas Provided In File",
        "2015-06-17 14:39:36, Info                  DPX    Ended DPX phase: Resume and Download Job",
    ])
}

/// The same log on Windows 10, where an expansion failed: the job resumed, a delta could not be expanded for lack
/// of resources, and DPX said so in its exception lines.
fn dpx_setupact_win10_failure() -> String {
    crlf(&[
        "2021-01-12 10:22:33, Info                  DPX    Started DPX phase: Resume and Download Job",
        "2021-01-12 10:22:33, Info                  DPX    Started DPX phase: Apply Deltas Provided In File",
        r"2021-01-12 10:22:34, Info                  DPX    Extracting file Windows10.0-KB4598242-x64_PSFX.cab from \\?\C:\Windows\SoftwareDistribution\Download\0b3f6d2a9c8e4f1d\Windows10.0-KB4598242-x64.cab",
        "2021-01-12 10:25:02, Info                  DPX    DpxException hr=0x800705aa code=0x02060e",
        r"2021-01-12 10:25:02, Info                  DPX    Failed to create file [file://%3f/C:/Windows/SoftwareDistribution/Download/0b3f6d2a9c8e4f1d/inst/_windows10.0-kb4598242-x64.cab_/$dpx$.tmp/7e2c91d0.tmp]",
        "2021-01-12 10:25:02, Info                  DPX    Ended DPX phase: Apply Deltas Provided In File",
        "2021-01-12 10:25:02, Info                  DPX    CJob::Resume completed with status: 0x800705aa",
        "2021-01-12 10:25:02, Info                  DPX    Ended DPX phase: Resume and Download Job",
    ])
}

/// A device co-installer's `%windir%\setupact.log` (display and audio class installers), in the shape of the
/// kaifangliu fixture.
fn driver_setupact() -> String {
    crlf(&[
        "dispci.dll:  ============BEGIN DisplayClassInstaller============",
        r"dispci.dll:  DisplayClassInstaller: Returning 0xe000020e for DIF 0x1e and device PCI\VEN_1414&DEV_008E&SUBSYS_00000000&REV_00\3&1B3B0F3A&0&00",
        "dispci.dll:  ============END DisplayClassInstaller==============",
        "AudMig: Applying saved Audio settings",
    ])
}

#[test]
fn a_dpx_log_is_its_own_kind_by_content_whatever_its_name() {
    for text in [dpx_setupact(), dpx_setupact_win10_failure()] {
        for name in ["setupact.log", "setuperr.log", "DPX_setupact.log", "log1.txt"] {
            assert_eq!(kind(text.as_bytes(), name), FileKind::DpxLog, "{name}: {text}");
        }
    }
    assert_eq!(FileKind::DpxLog.label(), "Delta Patch Expander (DPX) log");
}

#[test]
fn a_dpx_log_is_listed_with_a_note_and_not_read_as_cbs_history() {
    let dir = tempfile::tempdir().expect("scratch");
    let logs = dir.path().join("Windows/Logs/DPX");
    std::fs::create_dir_all(&logs).expect("mkdir");
    std::fs::write(logs.join("setupact.log"), dpx_setupact_win10_failure()).expect("write");
    let bundle = registry::open(dir.path(), &Default::default()).expect("open");
    let entry = &bundle.entries[0];
    assert_eq!((entry.path.as_str(), entry.kind), ("Windows/Logs/DPX/setupact.log", FileKind::DpxLog));
    // No source reads it: it is not stitched into the CBS history nor taken for a Panther log.
    assert!(registry::for_kind(FileKind::DpxLog).is_none());
    assert_eq!(
        registry::note_for(entry, false).as_deref(),
        Some(
            "the Delta Patch Expander's log (express/UUP payload expansion), neither CBS history nor a Windows \
             setup (Panther) log; not analysed: read its DpxException and failure lines by hand"
        )
    );
}

#[test]
fn a_cbs_log_with_dpx_lines_among_its_cbs_lines_stays_cbs() {
    // CBS expanding an express payload itself: DPX's phases between CBS's lines.
    let text = crlf(&[
        "2019-07-29 22:39:12, Info                  CBS    FC:   FCAcquirerWUClient: WindowsUpdateDownloadFromUUP returns. [0x0]",
        "2019-07-29 22:39:12, Info                  CBS    FC:   DeploymentSessionWrapper: Calling PostDownload on Deployment Session object, to perform expand.",
        "2019-07-29 22:39:16, Info                  DPX    Started DPX phase: Apply Deltas Provided In File",
        "2019-07-29 22:39:16, Info                  DPX    Ended DPX phase: Apply Deltas Provided In File",
        "2019-07-29 22:39:16, Info                  DPX    CJob::Resume completed with status: 0x0",
        r"2019-07-29 22:39:17, Info                  CBS    FC:   Acquirer generated ActionList path: [\\?\C:\WINDOWS\CbsTemp\30754339_543620214\Client.OS.rs2.amd64\ActionList.xml]",
        "2015-08-13 11:50:04, Error                 CBS    Failed to process single phase execution. [HRESULT = 0x800f0816 - CBS_E_DPX_JOB_STATE_SAVED]",
    ]);
    for name in ["CBS.log", "log1.txt", "setupact.log"] {
        assert_eq!(kind(text.as_bytes(), name), FileKind::Cbs, "{name}");
    }
    // A CBS.log or CbsPersist piece that happens to open with a run of DPX lines keeps its name's kind.
    for name in ["CBS.log", "CbsPersist_20210112102233.log"] {
        assert_eq!(kind(dpx_setupact().as_bytes(), name), FileKind::Cbs, "{name}");
    }
}

#[test]
fn real_cbs_logs_with_dpx_lines_stay_cbs() {
    // romi1996's CBS.log: a UUP repair download expanded by DPX in the middle of CBS's lines.
    let Some(path) = fixture("cbs/romi1996_1903_CBS_csi_payload_corrupt_fixed.log") else { return };
    let bytes = std::fs::read(path).expect("read");
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    let at = lines.iter().position(|l| l.contains("DPX    Started DPX phase")).expect("a DPX line");
    let excerpt = crlf(&lines[at - 20..at + 20]);
    assert_eq!(kind(excerpt.as_bytes(), "CBS.log"), FileKind::Cbs);
    assert_eq!(kind(excerpt.as_bytes(), "excerpt.txt"), FileKind::Cbs);
    assert_eq!(kind(&bytes, "CBS.log"), FileKind::Cbs);
}

#[test]
fn setupact_log_look_alikes_are_each_named_for_what_they_are() {
    assert_eq!(kind(dpx_setupact().as_bytes(), "setupact.log"), FileKind::DpxLog);
    assert_eq!(kind(driver_setupact().as_bytes(), "setupact.log"), FileKind::DriverSetupLog);
    let Some(path) = fixture("other/kaifangliu_driver_setupact_lookalike.log") else { return };
    let driver = std::fs::read(path).expect("read");
    assert_eq!(kind(&driver, "setupact.log"), FileKind::DriverSetupLog);
}

#[test]
fn real_panther_setup_logs_stay_panther_under_their_own_name_and_as_setupact_log() {
    let Some(dir) = fixture("panther") else { return };
    let mut checked = 0;
    let mut names: Vec<_> = std::fs::read_dir(dir).expect("list").map(|e| e.expect("entry").path()).collect();
    names.sort();
    for path in names {
        let name = path.file_name().and_then(|n| n.to_str()).expect("name").to_string();
        let lower = name.to_ascii_lowercase();
        if !(lower.contains("setupact") || lower.contains("setuperr")) || !lower.ends_with(".log") {
            continue;
        }
        let bytes = std::fs::read(&path).expect("read");
        if bytes.is_empty() {
            continue;
        }
        let panther = [FileKind::PantherSetupAct, FileKind::PantherSetupErr];
        assert!(panther.contains(&kind(&bytes, &name)), "{name}: {:?}", kind(&bytes, &name));
        assert!(panther.contains(&kind(&bytes, "setupact.log")), "{name} as setupact.log");
        checked += 1;
    }
    assert!(checked >= 19, "only {checked} Panther setup logs");
}
