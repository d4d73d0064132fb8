//! Update attempts: for each update (KB), the install attempts reconstructed from every source that names it
//! (CBS sessions, Sessions.xml, Setup/System events, ReportingEvents, WindowsUpdate.log, WER), with the phases
//! seen, when they started and ended (UTC and local), who drove them and how they ended.

use crate::model::CodeRef;
pub use crate::model::{Attempt, Outcome};
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

/// Every attempt of every update the timeline names, oldest first within each update.
pub fn reconstruct(timeline: &Timeline) -> Vec<Attempt> {
    let mut by_kb: BTreeMap<&str, Vec<&Event>> = BTreeMap::new();
    for event in &timeline.events {
        if let (Some(kb), Some(_)) = (event.kb.as_deref(), phase_of(event)) {
            by_kb.entry(kb).or_default().push(event);
        }
    }
    let mut attempts = Vec::new();
    for (kb, events) in by_kb {
        let mut group: Vec<&Event> = Vec::new();
        for event in events {
            let far = match (group.last().and_then(|e| e.instant()), event.instant()) {
                (Some(a), Some(b)) => (b.millis() - a.millis()) / 1000 > ATTEMPT_GAP_SECONDS,
                _ => false,
            };
            if far && !group.is_empty() {
                attempts.push(summarise(kb, &group));
                group.clear();
            }
            group.push(event);
        }
        if !group.is_empty() {
            attempts.push(summarise(kb, &group));
        }
    }
    attempts
}

fn summarise(kb: &str, events: &[&Event]) -> Attempt {
    let mut phases: Vec<String> = Vec::new();
    for event in events {
        if let Some(phase) = phase_of(event)
            && !phases.iter().any(|p| p == phase)
        {
            phases.push(phase.to_string());
        }
    }
    let failed = events.iter().rev().find(|e| {
        matches!(e.action, Action::InstallFailed | Action::DownloadFailed | Action::UninstallFailed | Action::Rollback)
            || (e.action == Action::FailureReport && e.code.is_some_and(patchdx_codes::is_failure))
    });
    let succeeded = events.iter().any(|e| matches!(e.action, Action::InstallSucceeded | Action::UninstallSucceeded));
    let reboot = events.iter().any(|e| e.action == Action::RebootRequired);
    let outcome = match (failed, succeeded, reboot) {
        (Some(_), _, _) => Outcome::Failed,
        (None, true, _) => Outcome::Succeeded,
        (None, false, true) => Outcome::RebootPending,
        _ => Outcome::Unknown,
    };
    let sources: BTreeSet<String> = events.iter().map(|e| e.source.label().to_string()).collect();
    let clients: BTreeSet<String> = events.iter().filter_map(|e| e.client.clone()).collect();
    Attempt {
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
    }
}
