//! One event shape for every evidence source, so that all of them can be laid on one UTC timeline and
//! matched by the same rules: what happened, to which update, when (local and UTC), with which code, and
//! where it is written (file and line, or event record id).

use crate::time::CivilTime;
use patchdx_bundle::Warning;
use serde::Serialize;

crate::named_enum! {
    /// Which kind of evidence an event comes from.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Source {
        Cbs = "cbs",
        Dism = "dism",
        WindowsUpdateLog = "windows-update-log",
        ReportingEvents = "reporting-events",
        /// Setup.evtx (Microsoft-Windows-Servicing, WUSA).
        SetupEvtx = "setup-evtx",
        /// System.evtx (WindowsUpdateClient, Servicing, Kernel-Boot, EventLog, User32 shutdowns).
        SystemEvtx = "system-evtx",
        /// Application.evtx (WER 1001 servicing and Windows Update failure reports).
        ApplicationEvtx = "application-evtx",
        /// Microsoft-Windows-WindowsUpdateClient/Operational.evtx.
        WindowsUpdateClientEvtx = "windows-update-client-evtx",
        /// Any other .evtx.
        OtherEvtx = "other-evtx",
        Sfc = "sfc",
        Panther = "panther",
        SetupDiag = "setup-diag",
        CmTrace = "cm-trace",
        SessionsXml = "sessions-xml",
        PendingXml = "pending-xml",
        /// SetupAPI's device-install log (setupapi.dev.log).
        SetupApi = "setupapi",
        /// Windows Setup's compatibility results (CompatData_*.xml, ScanResult.xml, Panther's appcompat.xml).
        SetupCompat = "setup-compat",
    }
}

impl Source {
    pub fn label(self) -> &'static str {
        match self {
            Source::Cbs => "CBS",
            Source::Dism => "DISM",
            Source::WindowsUpdateLog => "WindowsUpdate.log",
            Source::ReportingEvents => "ReportingEvents",
            Source::SetupEvtx => "Setup.evtx",
            Source::SystemEvtx => "System.evtx",
            Source::ApplicationEvtx => "Application.evtx",
            Source::WindowsUpdateClientEvtx => "WUClient/Operational.evtx",
            Source::OtherEvtx => "evtx",
            Source::Sfc => "SFC",
            Source::Panther => "Panther",
            Source::SetupDiag => "SetupDiag",
            Source::CmTrace => "ConfigMgr",
            Source::SessionsXml => "Sessions.xml",
            Source::PendingXml => "pending.xml",
            Source::SetupApi => "SetupAPI",
            Source::SetupCompat => "CompatData",
        }
    }

    /// Parses a `--source` value or a rule's `source:`: the stable name (`reporting-events`) or the label,
    /// case-insensitive.
    pub fn parse(name: &str) -> Option<Source> {
        Source::ALL
            .iter()
            .copied()
            .find(|s| s.name().eq_ignore_ascii_case(name) || s.label().eq_ignore_ascii_case(name))
    }
}

/// Every source, in declaration order.
pub const ALL_SOURCES: &[Source] = Source::ALL;

crate::named_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    pub enum Level {
        Verbose = "verbose",
        Info = "info",
        Warning = "warning",
        Error = "error",
        Critical = "critical",
    }
}

crate::named_enum! {
    /// What happened, in terms shared by all sources.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Action {
        ScanStarted = "scan-started",
        ScanSucceeded = "scan-succeeded",
        ScanFailed = "scan-failed",
        DownloadStarted = "download-started",
        DownloadSucceeded = "download-succeeded",
        DownloadFailed = "download-failed",
        InstallStarted = "install-started",
        InstallSucceeded = "install-succeeded",
        InstallFailed = "install-failed",
        UninstallStarted = "uninstall-started",
        UninstallSucceeded = "uninstall-succeeded",
        UninstallFailed = "uninstall-failed",
        /// A servicing package changed state (Setup.evtx 2, Sessions.xml phases).
        StateChanged = "state-changed",
        RebootRequired = "reboot-required",
        /// Boot-time (startup) processing of pending operations, pending.xml contents.
        PendingOperations = "pending-operations",
        Boot = "boot",
        Shutdown = "shutdown",
        SessionStarted = "session-started",
        SessionEnded = "session-ended",
        RepairStarted = "repair-started",
        RepairSucceeded = "repair-succeeded",
        RepairFailed = "repair-failed",
        CorruptionFound = "corruption-found",
        /// A feature upgrade / setup phase or rollback (Panther, SetupDiag).
        SetupPhase = "setup-phase",
        Rollback = "rollback",
        /// A WER report about a servicing or update failure (Application.evtx 1001).
        FailureReport = "failure-report",
        Error = "error",
        Warning = "warning",
        Note = "note",
    }
}

/// One event of any source.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Event {
    pub source: Source,
    /// Inside-archive path of the file.
    pub file: String,
    /// 1-based line of a text file.
    pub line: Option<u64>,
    /// Event record id of an .evtx record.
    pub record: Option<u64>,
    /// Time as the source wrote it (wall clock, no zone).
    pub local: Option<CivilTime>,
    /// Time in UTC (filled by the source when it knows, else by the timeline from the file's offset).
    pub utc: Option<CivilTime>,
    pub level: Level,
    pub action: Action,
    pub kb: Option<String>,
    pub package: Option<String>,
    /// Update title as Windows Update names it (`2022-09 Cumulative Update for … (KB5017315)`).
    pub title: Option<String>,
    pub update_id: Option<String>,
    pub code: Option<u32>,
    /// Who acted: a CBS client, WU caller, DISM command, installer…
    pub client: Option<String>,
    /// Servicing / setup phase where the source names one.
    pub phase: Option<String>,
    /// The line or the rendered event message, cut to a reasonable length.
    pub message: String,
    /// Typed facts beyond the common fields (not part of the timeline document).
    #[serde(skip)]
    pub facts: Facts,
}

/// What a reader knows about an event beyond the fields every event has, typed, so that later stages read
/// facts instead of parsing the message again. (Boxed strings: every event carries these fields, most of them
/// empty.)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Facts {
    /// The code's name as the log wrote it next to the value (`ERROR_SXS_COMPONENT_STORE_CORRUPT`).
    pub code_name: Option<Box<str>>,
    /// The servicing session the record belongs to (a CBS session id).
    pub session: Option<Box<str>>,
    /// The advanced installer the record is about (`Container Installer`, `Task Scheduler`, …).
    pub installer: Option<Box<str>>,
    /// What the line says is damaged (components, member file, problem, package), where it says anything.
    pub damage: Option<Box<crate::damage::Damage>>,
    /// What the line says in its source's own terms.
    pub record: Record,
}

/// A source-specific record. One box for every kind, so that an event without one costs a null pointer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Record {
    #[default]
    Plain,
    /// Boxed, every kind behind one pointer: most events of a large bundle are CBS events, and an inline record
    /// (or one pointer per kind) would make every event of every source carry its size.
    Of(Box<SourceRecord>),
}

/// The record of one source.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceRecord {
    Cbs(crate::record::CbsRecord),
    Dism(crate::record::DismRecord),
    /// A SetupAPI device-install section (boxed: CBS records are the many, and must not grow to its size).
    DeviceInstall(Box<crate::record::DeviceInstall>),
    /// What Windows Setup states about its run.
    Setup(crate::record::SetupFact),
    /// An entry of setup's compatibility results that blocks or warns about the upgrade (boxed, like a device
    /// install).
    CompatBlock(Box<crate::record::CompatBlock>),
}

impl Event {
    /// A new event with only the required fields set.
    pub fn new(source: Source, file: &str, action: Action, level: Level, message: impl Into<String>) -> Self {
        Event {
            source,
            file: file.to_string(),
            line: None,
            record: None,
            local: None,
            utc: None,
            level,
            action,
            kb: None,
            package: None,
            title: None,
            update_id: None,
            code: None,
            client: None,
            phase: None,
            message: message.into(),
            facts: Facts::default(),
        }
    }

    /// The source's own record, when the event has one.
    pub fn source_record(&self) -> Option<&SourceRecord> {
        match &self.facts.record {
            Record::Of(record) => Some(record),
            Record::Plain => None,
        }
    }

    /// The CBS record of a CBS event.
    pub fn cbs(&self) -> Option<&crate::record::CbsRecord> {
        match self.source_record()? {
            SourceRecord::Cbs(record) => Some(record),
            _ => None,
        }
    }

    /// The program that asked for the operation, where the log names it (see [`crate::record::DismRecord`]).
    pub fn caller(&self) -> Option<&str> {
        match self.source_record()? {
            SourceRecord::Dism(record) => record.caller.as_deref(),
            _ => None,
        }
    }

    /// The device-install section of a SetupAPI event.
    pub fn device_install(&self) -> Option<&crate::record::DeviceInstall> {
        match self.source_record()? {
            SourceRecord::DeviceInstall(install) => Some(install),
            _ => None,
        }
    }

    /// What a Windows Setup event states about its run.
    pub fn setup_fact(&self) -> Option<&crate::record::SetupFact> {
        match self.source_record()? {
            SourceRecord::Setup(fact) => Some(fact),
            _ => None,
        }
    }

    /// The compatibility block a setup compatibility event reports.
    pub fn compat_block(&self) -> Option<&crate::record::CompatBlock> {
        match self.source_record()? {
            SourceRecord::CompatBlock(block) => Some(block),
            _ => None,
        }
    }

    /// The instant used to order the timeline: UTC when known, else local.
    pub fn instant(&self) -> Option<CivilTime> {
        self.utc.or(self.local)
    }
}

/// How sure an inference is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

/// A file's UTC offset (local minus UTC) and how it was found.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct OffsetInference {
    pub offset_seconds: Option<i64>,
    /// `evtx timestamps are UTC`, `±HHMM in every line`, `CSI UTC stamps`, `tz: +0530 header`, `matched the
    /// same event in …`, `unknown`.
    pub method: String,
    pub confidence: Confidence,
}

impl OffsetInference {
    pub fn unknown() -> Self {
        OffsetInference { offset_seconds: None, method: "unknown".to_string(), confidence: Confidence::Low }
    }

    pub fn known(offset_seconds: i64, method: impl Into<String>, confidence: Confidence) -> Self {
        OffsetInference { offset_seconds: Some(offset_seconds), method: method.into(), confidence }
    }
}

/// Everything read from one file of one source.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct SourceFile {
    pub path: String,
    pub source: Source,
    /// Lines (text) or records (evtx) read.
    pub records: u64,
    pub first_local: Option<CivilTime>,
    pub last_local: Option<CivilTime>,
    pub offset: OffsetInference,
    #[serde(skip)]
    pub events: Vec<Event>,
    #[serde(skip)]
    pub warnings: Vec<Warning>,
    /// Anything the reader wants a person to know about this file (dialect, truncation, empty).
    pub note: Option<String>,
    /// What a CBS file says about itself (span, offsets line by line, rotation), for CBS files.
    #[serde(skip)]
    pub cbs: Option<Box<crate::record::CbsLog>>,
    /// The host names and OS builds the file states, to tell machines apart.
    #[serde(skip)]
    pub identity: crate::identity::Identity,
}

impl SourceFile {
    pub fn new(path: &str, source: Source) -> Self {
        SourceFile {
            path: path.to_string(),
            source,
            records: 0,
            first_local: None,
            last_local: None,
            offset: OffsetInference::unknown(),
            events: Vec::new(),
            warnings: Vec::new(),
            note: None,
            cbs: None,
            identity: Default::default(),
        }
    }

    /// Sets first/last local time from the events.
    pub fn compute_range(&mut self) {
        self.first_local = self.events.iter().filter_map(|e| e.local).min();
        self.last_local = self.events.iter().filter_map(|e| e.local).max();
    }

    /// Fills `utc` from `local` for events that lack it, using the file's offset.
    pub fn apply_offset(&mut self) {
        if let Some(offset) = self.offset.offset_seconds {
            for event in &mut self.events {
                if event.utc.is_none() {
                    event.utc = event.local.map(|t| t.shifted(-offset));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// Events are the bulk of an analysis's memory: a field added to every event costs its size on each of
    /// hundreds of thousands. Grow this bound only on purpose.
    #[test]
    fn an_event_stays_small() {
        let size = std::mem::size_of::<super::Event>();
        assert!(size <= 340, "an Event is {size} bytes");
    }
}
