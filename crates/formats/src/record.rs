//! Source-specific records: what a line of one source says beyond the facts every event carries, typed, so
//! that the diagnosis reads it instead of parsing text again.

use crate::text::prefix;
use crate::time::CivilTime;
use serde::Serialize;

/// What a DISM.log line's session says about it beyond the common fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DismRecord {
    /// The program that started the DismApi session the line belongs to, as its `Parent process command line:`
    /// names it (`C:\WINDOWS\system32\cleanmgr.exe /autoclean /d C:`).
    pub caller: Option<String>,
}

/// A CBS.log line as the diagnosis reads it: what it says, its level column and its component.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CbsRecord {
    pub kind: CbsEventKind,
    /// The level column as written (`Error`, `Info`, …; `Continuation` for lines without a prefix).
    pub level: prefix::Level,
    /// `CBS`, `CSI`, `DISM`, … (`other` for rare components, empty for continuation lines).
    pub component: &'static str,
}

/// A stretch of a file with one UTC offset (machines change time zone; files record it).
#[derive(Debug, Clone, Serialize)]
pub struct OffsetSegment {
    pub from_line: u64,
    pub offset_seconds: i64,
    pub samples: usize,
    pub source: &'static str,
}

/// A timestamp with the line it was read from.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Stamped {
    pub line: u64,
    pub local: CivilTime,
    pub utc: Option<CivilTime>,
}

/// What a CBS file says about itself beyond its events: its span, its UTC offsets line by line, where it
/// sits in the rotation, and whether it is a copy of another.
#[derive(Debug, Clone, Serialize)]
pub struct CbsLog {
    pub path: String,
    pub kind: patchdx_bundle::FileKind,
    pub encoding: Option<String>,
    pub lines: u64,
    pub first: Option<Stamped>,
    pub last: Option<Stamped>,
    /// The UTC time in a `CbsPersist_YYYYMMDDHHMMSS` name: when CBS rotated this piece out.
    pub name_stamp_utc: Option<CivilTime>,
    pub offsets: Vec<OffsetSegment>,
    pub routine_failure_lines: u64,
    /// Fingerprint of what was read (line count, range and every kept record).
    #[serde(skip)]
    pub content_key: u64,
    /// Index (in the list read together) of the file this one is a copy of; its events are not kept.
    #[serde(skip)]
    pub duplicate_of: Option<usize>,
}

/// UTC offset in force at a line: the segment it falls in, or the first one for lines before any sample.
pub fn offset_at(segments: &[OffsetSegment], line: u64) -> Option<i64> {
    let mut current = segments.first()?.offset_seconds;
    for segment in segments {
        if segment.from_line > line {
            break;
        }
        current = segment.offset_seconds;
    }
    Some(current)
}

pub(crate) fn to_utc(segments: &[OffsetSegment], line: u64, local: CivilTime) -> Option<CivilTime> {
    offset_at(segments, line).map(|o| local.shifted(-o))
}

impl CbsLog {
    pub fn offset_at(&self, line: u64) -> Option<i64> {
        offset_at(&self.offsets, line)
    }

    pub fn to_utc(&self, line: u64, local: CivilTime) -> Option<CivilTime> {
        to_utc(&self.offsets, line, local)
    }
}

/// What a line says, for the lines that matter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum CbsEventKind {
    TrustedInstallerInit,
    ServicingStackLoaded {
        version: String,
    },
    LastBootTime {
        boot: String,
    },
    SessionStart {
        session: String,
        client: String,
    },
    ExecStarted {
        session: String,
        client: String,
    },
    ExecComplete {
        session: String,
    },
    SessionFinalized {
        session: String,
        reboot_required: Option<bool>,
        asynchronous: bool,
        /// The Windows Update download result the line states beside the session's own (`Download error:
        /// 0x80240438 [Unknown Error], … [HRESULT = 0x800f0906 - CBS_E_DOWNLOAD_FAILURE]`): why the payload or
        /// repair content CBS needed could not be had.
        download_error: Option<u32>,
    },
    StartupState {
        state: String,
    },
    StartupComplete,
    StartupPackage {
        new_state: String,
    },
    PendingXml,
    WerReport {
        failure_source: String,
        start_state: String,
        target_state: String,
        client: String,
    },
    CsiFatal,
    StoreMarkedCorrupt,
    CorruptionRow {
        category: String,
        fixed: bool,
        item: String,
    },
    SfcCannotRepair {
        file: String,
    },
    SfcRepaired {
        file: String,
    },
    SfcTransactionComplete {
        all_repaired: bool,
    },
    SummaryDetected {
        count: u32,
    },
    SummaryRepaired {
        count: u32,
    },
    OperationResult,
    InstallerError,
    FailedOperation,
    /// Boot-time processing of the advanced operation queue begins (`Startup: Processing advanced operation
    /// queue`): the advanced installers of the pending operations run next.
    StartupQueue,
    /// CSI begins running an advanced installer (`Begin executing advanced installer phase 39 index 0
    /// (sequence 0)`); its name and component follow on continuation lines.
    InstallerBegin {
        sequence: u32,
    },
    /// `Installer name: 'Container Installer'` under an `InstallerBegin`.
    InstallerName {
        name: String,
    },
    /// `New component: Microsoft-Windows-…, version …, arch …` under an `InstallerBegin`: the installer runs to
    /// install (or update) that component; `Old component` alone means it runs to remove one.
    InstallerComponent {
        identity: String,
    },
    /// CSI finished an advanced installer (`End executing advanced installer (sequence 0)`); its completion
    /// status follows.
    InstallerEnd {
        sequence: u32,
    },
    /// `Completion status: S_OK` / `HRESULT_FROM_WIN32(1753)` under an `InstallerEnd`.
    InstallerStatus,
    /// `(F) Failed execution of queue item Installer: <name> ({guid}) with HRESULT …`: the queue gave up on an
    /// installer; a rollback follows.
    InstallerFailed {
        installer: String,
    },
    /// A row of CSI's error summary after the queue ran: `(F) Installer: <name>  Binary Name: <dll>  ErrorCode:
    /// <hex>  Phase: …`; the code is the installer's own.
    InstallerSummary {
        installer: String,
        binary: String,
    },
    BackupCabFailed,
    /// CBS rotated its log into this CbsPersist file.
    BackupArchived {
        name: String,
    },
    /// CBS fetching payload from Windows Update failed (`DWLD:Failed to do Windows update search [HRESULT =
    /// 0x8024402c …]`, `FC:   CFCAcquirerWUClient::Download(134): Result = 0x80240438`, `Failed to download FOD
    /// from WU`): the line's code is Windows Update's, not the servicing operation's.
    DownloadFailed,
    /// A failure-looking line that is routine noise (SQM uploads, probing for absent registry values…).
    Benign,
    /// A failure line that is not (yet) tied to an outcome.
    Failure,
}
