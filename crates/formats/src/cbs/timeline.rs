//! CBS records as events: each classified line becomes an [`Event`] in the terms every source shares
//! (action, level, client, phase), with its [`CbsRecord`] kept as a typed fact for the CBS diagnosis.

use super::scan::Scanned;
use super::{CbsEventKind, Level as CbsLevel};
use crate::event::{Action, Event, Level, Record, Source, SourceRecord};
use crate::time::CivilTime;

fn action_of(kind: &CbsEventKind, failed: bool, has_package: bool) -> Action {
    match kind {
        CbsEventKind::SessionStart { .. } => Action::SessionStarted,
        CbsEventKind::ExecStarted { .. } if has_package => Action::InstallStarted,
        CbsEventKind::ExecStarted { .. } => Action::SessionStarted,
        CbsEventKind::ExecComplete { .. } if has_package => {
            if failed {
                Action::InstallFailed
            } else {
                Action::InstallSucceeded
            }
        }
        CbsEventKind::ExecComplete { .. } | CbsEventKind::SessionFinalized { .. } => Action::SessionEnded,
        CbsEventKind::StartupState { .. }
        | CbsEventKind::StartupQueue
        | CbsEventKind::StartupComplete
        | CbsEventKind::StartupPackage { .. }
        | CbsEventKind::PendingXml => Action::PendingOperations,
        CbsEventKind::WerReport { .. } => Action::FailureReport,
        CbsEventKind::StoreMarkedCorrupt
        | CbsEventKind::CorruptionRow { .. }
        | CbsEventKind::SummaryDetected { .. }
        | CbsEventKind::FileHashMismatch { .. }
        | CbsEventKind::PayloadUnrepairable { .. } => Action::CorruptionFound,
        CbsEventKind::DownloadFailed => Action::DownloadFailed,
        CbsEventKind::SfcCannotRepair { .. } | CbsEventKind::SfcCouldNotReproject { .. } => Action::RepairFailed,
        CbsEventKind::SfcRepaired { .. } | CbsEventKind::SummaryRepaired { .. } => Action::RepairSucceeded,
        CbsEventKind::SfcTransactionComplete { all_repaired } => {
            if *all_repaired {
                Action::RepairSucceeded
            } else {
                Action::RepairFailed
            }
        }
        CbsEventKind::OperationResult => {
            if failed {
                Action::RepairFailed
            } else {
                Action::RepairSucceeded
            }
        }
        CbsEventKind::CsiFatal
        | CbsEventKind::Failure
        | CbsEventKind::FailedOperation
        | CbsEventKind::InstallerError
        | CbsEventKind::InstallerFailed { .. }
        | CbsEventKind::InstallerSummary { .. } => Action::Error,
        CbsEventKind::InstallerStatus if failed => Action::Error,
        CbsEventKind::BackupCabFailed => Action::Warning,
        CbsEventKind::TrustedInstallerInit
        | CbsEventKind::ServicingStackLoaded { .. }
        | CbsEventKind::LastBootTime { .. }
        | CbsEventKind::BackupArchived { .. }
        | CbsEventKind::InstallerBegin { .. }
        | CbsEventKind::InstallerName { .. }
        | CbsEventKind::InstallerComponent { .. }
        | CbsEventKind::InstallerEnd { .. }
        | CbsEventKind::InstallerStatus
        | CbsEventKind::Benign => Action::Note,
    }
}

/// The text of a bookkeeping record, whose line is not kept (it is never quoted as evidence).
fn describe(kind: &CbsEventKind) -> Option<String> {
    Some(match kind {
        CbsEventKind::SessionStart { session, client } => format!("Session: {session} initialized by client {client}"),
        CbsEventKind::ExecStarted { session, client } => {
            format!("Exec: Processing started. Client: {client}, Session: {session}")
        }
        CbsEventKind::TrustedInstallerInit => "TI: --- Initializing Trusted Installer ---".to_string(),
        CbsEventKind::ServicingStackLoaded { version } => format!("Loaded Servicing Stack v{version}"),
        CbsEventKind::LastBootTime { boot } => format!("TI: Last boot time: {boot}"),
        CbsEventKind::BackupArchived { name } => format!("Archived backup log: {name}"),
        CbsEventKind::StartupPackage { new_state } => {
            format!("Startup: package completed startup processing, new state: {new_state}")
        }
        CbsEventKind::StartupQueue => "Startup: Processing advanced operation queue".to_string(),
        CbsEventKind::InstallerBegin { sequence } => {
            format!("Begin executing advanced installer (sequence {sequence})")
        }
        CbsEventKind::InstallerName { name } => format!("Installer name: '{name}'"),
        CbsEventKind::InstallerComponent { identity } => format!("New component: {identity}"),
        CbsEventKind::InstallerEnd { sequence } => format!("End executing advanced installer (sequence {sequence})"),
        _ => return None,
    })
}

/// The session a record names explicitly, if any.
fn session_of(kind: &CbsEventKind) -> Option<&str> {
    match kind {
        CbsEventKind::SessionStart { session, .. }
        | CbsEventKind::ExecStarted { session, .. }
        | CbsEventKind::ExecComplete { session }
        | CbsEventKind::SessionFinalized { session, .. } => Some(session),
        _ => None,
    }
}

/// A kept CBS line as an event of the file at `path`, its UTC from the file's offsets.
pub(crate) fn event(scanned: Scanned, path: &str, utc: Option<CivilTime>) -> Event {
    let Scanned { line, local, record, code, code_name, package, kb, installer, text } = scanned;
    let failed = code.is_some_and(patchdx_codes::is_failure);
    let level = match record.level {
        CbsLevel::Error => Level::Error,
        CbsLevel::Warning => Level::Warning,
        _ if failed => Level::Warning,
        _ => Level::Info,
    };
    let (client, phase) = match &record.kind {
        CbsEventKind::SessionStart { client, .. } | CbsEventKind::ExecStarted { client, .. } => {
            (Some(client.clone()), None)
        }
        CbsEventKind::WerReport { client, failure_source, .. } => (Some(client.clone()), Some(failure_source.clone())),
        _ => (None, None),
    };
    let message = if text.is_empty() { describe(&record.kind).unwrap_or_default() } else { text };
    let mut event = Event::new(Source::Cbs, path, action_of(&record.kind, failed, package.is_some()), level, message);
    event.line = Some(line);
    event.local = local;
    event.utc = utc;
    event.code = code;
    event.kb = kb;
    event.facts.code_name = code_name.map(String::into_boxed_str);
    event.facts.installer = installer.map(String::into_boxed_str);
    event.package = package;
    event.client = client;
    event.phase = phase;
    event.facts.session = session_of(&record.kind).map(Box::from);
    event.facts.record = Record::Of(Box::new(SourceRecord::Cbs(record)));
    event
}
