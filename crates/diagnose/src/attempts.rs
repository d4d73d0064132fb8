//! Update attempts: for each update (KB), the install attempts reconstructed from every source that names it
//! (CBS sessions, Sessions.xml, Setup/System events, ReportingEvents, WindowsUpdate.log, WER), with the phases
//! seen, when they started and ended (UTC and local), who drove them and how they ended.

pub use crate::model::{Attempt, Outcome};
use crate::model::{AttemptId, CodeRef, EventId, Finding};
use crate::timeline::Timeline;
use patchdx_formats::event::{Action, Event};
use std::collections::{BTreeMap, BTreeSet};

/// Records of one attempt lie within this many seconds of each other.
const ATTEMPT_GAP_SECONDS: i64 = 2 * 3600;

fn phase_of(event: &Event) -> Option<&'static str> {
    Some(match event.action {
        Action::DownloadStarted | Action::DownloadSucceeded | Action::DownloadFailed => "download",
        Action::InstallStarted | Action::InstallSucceeded | Action::InstallFailed => "install",
        Action::UninstallStarted | Action::UninstallSucceeded | Action::UninstallFailed => "uninstall",
        Action::StateChanged => "staging",
        Action::RebootRequired => "reboot",
        Action::PendingOperations => "startup processing",
        Action::Rollback => "rollback",
        Action::FailureReport => "failure report",
        _ => return None,
    })
}

/// Every attempt of every update the timeline names, oldest first within each update; a failed attempt is
/// resolved by the first later attempt of the same update that succeeded.
pub fn reconstruct(timeline: &Timeline) -> Vec<Attempt> {
    let mut by_kb: BTreeMap<&str, Vec<(EventId, &Event)>> = BTreeMap::new();
    for (index, event) in timeline.events.iter().enumerate() {
        if let (Some(kb), Some(_)) = (event.kb.as_deref(), phase_of(event)) {
            by_kb.entry(kb).or_default().push((EventId(index), event));
        }
    }
    let mut attempts = Vec::new();
    for (kb, events) in by_kb {
        let first_of_update = attempts.len();
        let mut group: Vec<(EventId, &Event)> = Vec::new();
        for (id, event) in events {
            let far = match (group.last().and_then(|(_, e)| e.instant()), event.instant()) {
                (Some(a), Some(b)) => (b.millis() - a.millis()) / 1000 > ATTEMPT_GAP_SECONDS,
                _ => false,
            };
            if far && !group.is_empty() {
                attempts.push(summarise(AttemptId(attempts.len()), kb, &group));
                group.clear();
            }
            group.push((id, event));
        }
        if !group.is_empty() {
            attempts.push(summarise(AttemptId(attempts.len()), kb, &group));
        }
        resolve(&mut attempts[first_of_update..]);
    }
    attempts
}

/// Marks each failed attempt of one update with the first later attempt that succeeded. A success that is
/// older than the failure resolves nothing.
fn resolve(attempts: &mut [Attempt]) {
    for i in 0..attempts.len() {
        if attempts[i].outcome != Outcome::Failed {
            continue;
        }
        let failed_at = attempts[i].end_utc.or(attempts[i].end_local);
        attempts[i].resolved_by = attempts[i + 1..]
            .iter()
            .find(|later| {
                later.outcome == Outcome::Succeeded
                    && match (failed_at, later.end_utc.or(later.end_local)) {
                        (Some(failed), Some(succeeded)) => succeeded > failed,
                        _ => false,
                    }
            })
            .map(|later| later.id);
    }
}

/// The attempt a finding belongs to: the one whose records include the finding's outcome record.
pub(crate) fn link(findings: &mut [Finding], attempts: &[Attempt]) {
    for finding in findings {
        let Some(outcome) = finding.outcome.event else { continue };
        finding.attempt = attempts.iter().find(|a| a.events.binary_search(&outcome).is_ok()).map(|a| a.id);
    }
}

fn summarise(id: AttemptId, kb: &str, records: &[(EventId, &Event)]) -> Attempt {
    let events: Vec<&Event> = records.iter().map(|(_, e)| *e).collect();
    let events = events.as_slice();
    let mut phases: Vec<String> = Vec::new();
    for event in events {
        if let Some(phase) = phase_of(event)
            && !phases.iter().any(|p| p == phase)
        {
            phases.push(phase.to_string());
        }
    }
    let failed_at = events.iter().rposition(|e| {
        matches!(e.action, Action::InstallFailed | Action::DownloadFailed | Action::UninstallFailed | Action::Rollback)
            || (e.action == Action::FailureReport && e.code.is_some_and(patchdx_codes::is_failure))
    });
    let succeeded = events.iter().any(|e| matches!(e.action, Action::InstallSucceeded | Action::UninstallSucceeded));
    let reboot = events.iter().any(|e| e.action == Action::RebootRequired);
    let failed = failed_at.map(|at| events[at]);
    let outcome = match (failed, succeeded, reboot) {
        (Some(_), _, _) => Outcome::Failed,
        (None, true, _) => Outcome::Succeeded,
        (None, false, true) => Outcome::RebootPending,
        _ => Outcome::Unknown,
    };
    let sources: BTreeSet<String> = events.iter().map(|e| e.source.label().to_string()).collect();
    let clients: BTreeSet<String> = events.iter().filter_map(|e| e.client.clone()).collect();
    Attempt {
        machine: None,
        id,
        kb: kb.to_string(),
        title: events.iter().find_map(|e| e.title.clone()),
        start_utc: events.iter().filter_map(|e| e.utc).min(),
        end_utc: events.iter().filter_map(|e| e.utc).max(),
        start_local: events.iter().filter_map(|e| e.local).min(),
        end_local: events.iter().filter_map(|e| e.local).max(),
        phases,
        sources: sources.into_iter().collect(),
        clients: clients.into_iter().collect(),
        outcome,
        code: failed.and_then(|e| e.code).map(|c| CodeRef::new(c, None)),
        records: events.len(),
        events: records.iter().map(|(id, _)| *id).collect(),
        failure: failed_at.map(|at| records[at].0),
        resolved_by: None,
    }
}
