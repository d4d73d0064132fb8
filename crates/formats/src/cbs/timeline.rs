//! CBS records as timeline events, so that CBS sits on the same UTC timeline as every other source.

use super::{CbsEventKind, CbsLog, Level as CbsLevel};
use crate::event::{Action, Confidence, Event, Level, OffsetInference, Source, SourceFile};

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
        | CbsEventKind::StartupComplete
        | CbsEventKind::StartupPackage { .. }
        | CbsEventKind::PendingXml => Action::PendingOperations,
        CbsEventKind::WerReport { .. } => Action::FailureReport,
        CbsEventKind::StoreMarkedCorrupt
        | CbsEventKind::CorruptionRow { .. }
        | CbsEventKind::SummaryDetected { .. } => Action::CorruptionFound,
        CbsEventKind::SfcCannotRepair { .. } => Action::RepairFailed,
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
        | CbsEventKind::InstallerError => Action::Error,
        CbsEventKind::BackupCabFailed => Action::Warning,
        CbsEventKind::TrustedInstallerInit
        | CbsEventKind::ServicingStackLoaded { .. }
        | CbsEventKind::LastBootTime { .. }
        | CbsEventKind::BackupArchived { .. }
        | CbsEventKind::Benign => Action::Note,
    }
}

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
        _ => return None,
    })
}

/// The CBS log as a timeline source file.
pub fn to_source_file(log: &CbsLog) -> SourceFile {
    let mut file = SourceFile::new(&log.path, Source::Cbs);
    file.records = log.lines;
    file.first_local = log.first.map(|f| f.local);
    file.last_local = log.last.map(|l| l.local);
    file.offset = match log.offsets.as_slice() {
        [] => OffsetInference::unknown(),
        [one] => OffsetInference::known(
            one.offset_seconds,
            format!("{} ({} samples)", one.source, one.samples),
            Confidence::High,
        ),
        many => OffsetInference::known(
            many[many.len() - 1].offset_seconds,
            format!(
                "{}; the offset changes {} times in the file, each line uses its own",
                many[0].source,
                many.len() - 1
            ),
            Confidence::High,
        ),
    };
    file.events = log
        .events
        .iter()
        .map(|e| {
            let failed = e.code.is_some_and(patchdx_codes::is_failure);
            let level = match e.level {
                CbsLevel::Error => Level::Error,
                CbsLevel::Warning => Level::Warning,
                _ if failed => Level::Warning,
                _ => Level::Info,
            };
            let client = match &e.kind {
                CbsEventKind::SessionStart { client, .. } | CbsEventKind::ExecStarted { client, .. } => {
                    Some(client.clone())
                }
                CbsEventKind::WerReport { client, .. } => Some(client.clone()),
                _ => None,
            };
            let phase = match &e.kind {
                CbsEventKind::WerReport { failure_source, .. } => Some(failure_source.clone()),
                _ => None,
            };
            let message = if e.text.is_empty() { describe(&e.kind).unwrap_or_default() } else { e.text.clone() };
            let mut event =
                Event::new(Source::Cbs, &log.path, action_of(&e.kind, failed, e.package.is_some()), level, message);
            event.line = Some(e.line);
            event.local = e.time;
            event.utc = e.utc;
            event.kb = e.kb.clone();
            event.package = e.package.clone();
            event.code = e.code;
            event.client = client;
            event.phase = phase;
            event
        })
        .collect();
    file
}
