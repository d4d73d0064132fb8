//! Failures that sources other than CBS record (ReportingEvents, WindowsUpdate.log, event logs, DISM, Panther,
//! Sessions.xml…): grouped per update and code into findings, joined to the CBS finding of the same failure when
//! there is one, and checked against the time the CBS history covers.

use crate::model::{CodeRef, Confidence, EventId, Evidence, Finding, Verdict};
use crate::timeline::Timeline;
use patchdx_formats::CivilTime;
use patchdx_formats::cbs::history::History;
use patchdx_formats::event::{Action, Event, Source};

/// Records of one failure in different sources lie within this many seconds of each other.
const SAME_FAILURE_SECONDS: i64 = 600;

fn is_failure(event: &Event) -> bool {
    event.source != Source::Cbs
        && matches!(
            event.action,
            Action::InstallFailed
                | Action::DownloadFailed
                | Action::UninstallFailed
                | Action::FailureReport
                | Action::RepairFailed
                | Action::Rollback
        )
        && event.code.is_none_or(patchdx_codes::is_failure)
}

fn update_key(event: &Event) -> Option<String> {
    event
        .kb
        .clone()
        .or_else(|| event.update_id.clone())
        .or_else(|| event.title.clone())
        .or_else(|| event.package.clone())
}

fn close(a: Option<CivilTime>, b: Option<CivilTime>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a.millis() - b.millis()).abs() <= SAME_FAILURE_SECONDS * 1000,
        _ => false,
    }
}

/// Adds findings for failures recorded outside CBS; returns how many were joined to existing CBS findings.
pub(crate) fn source_findings(findings: &mut Vec<Finding>, timeline: &Timeline, history: &History) -> usize {
    let failures: Vec<(EventId, &Event)> =
        timeline.events.iter().enumerate().filter(|(_, e)| is_failure(e)).map(|(i, e)| (EventId(i), e)).collect();
    let mut groups: Vec<Vec<(EventId, &Event)>> = Vec::new();
    for (id, event) in failures {
        let key = update_key(event);
        let joined = groups.iter_mut().find(|g| {
            let head = g[0].1;
            head.code == event.code
                && (update_key(head) == key || key.is_none())
                && g.iter().any(|(_, e)| close(e.instant(), event.instant()))
        });
        match joined {
            Some(group) => group.push((id, event)),
            None => groups.push(vec![(id, event)]),
        }
    }
    let mut joined_to_cbs = 0;
    for group in groups {
        let evidence = |&(id, e): &(EventId, &Event)| Evidence::of(id, e);
        let code = group[0].1.code;
        let kb = group.iter().find_map(|(_, e)| e.kb.clone());
        // The same failure diagnosed from CBS: add these records as corroboration.
        if let Some(existing) = findings.iter_mut().find(|f| {
            f.code.as_ref().map(|c| c.value) == code
                && (kb.is_none() || f.kb == kb)
                && group.iter().any(|(_, e)| close(e.utc, f.utc_time) || close(e.local, f.local_time))
        }) {
            existing.corroboration.extend(group.iter().map(evidence));
            joined_to_cbs += 1;
            continue;
        }
        // The last install/download result of the group states the outcome (Windows Update's own record comes
        // after the servicing session's), else the last record.
        let outcome_at = group
            .iter()
            .rposition(|(_, e)| {
                matches!(e.action, Action::InstallFailed | Action::DownloadFailed | Action::UninstallFailed)
            })
            .unwrap_or(group.len() - 1);
        let outcome = group[outcome_at].1;
        let title_subject = kb
            .clone()
            .or_else(|| group.iter().find_map(|(_, e)| e.title.clone()))
            .unwrap_or_else(|| "update".to_string());
        let code_ref = code.map(|c| CodeRef::new(c, None));
        let what = match outcome.action {
            Action::DownloadFailed => "download failed",
            Action::UninstallFailed => "uninstall failed",
            Action::RepairFailed => "repair failed",
            Action::Rollback => "setup rolled back",
            _ => "failed",
        };
        let sources: Vec<&str> = {
            let mut s: Vec<&str> = group.iter().map(|(_, e)| e.source.label()).collect();
            s.dedup();
            s
        };
        let covered = matches!(
            crate::coverage::cbs_coverage(history, outcome.utc, outcome.local),
            crate::model::CbsCoverage::Covered { .. }
        );
        let title = match &code_ref {
            Some(c) => format!("{title_subject} {what} with {}", c.label()),
            None => format!("{title_subject} {what}"),
        };
        let confidence = if group.len() > 1 { Confidence::Medium } else { Confidence::Low };
        let reason = format!(
            "the same failure recorded by {}{}",
            sources.join(", "),
            if covered { "; CBS covers this time but holds no matching failure" } else { "" }
        );
        findings.push(Finding {
            kb,
            package: group.iter().find_map(|(_, e)| e.package.clone()),
            client: group.iter().find_map(|(_, e)| e.client.clone()),
            phase: group.iter().find_map(|(_, e)| e.phase.clone()),
            code: code_ref,
            utc_offset: match (outcome.local, outcome.utc) {
                (Some(l), Some(u)) => Some(patchdx_formats::time::format_offset((l.millis() - u.millis()) / 1000)),
                _ => None,
            },
            cascade: group.iter().skip(1).map(evidence).collect(),
            ..Finding::new(
                Verdict::Failed,
                title,
                evidence(&group[0]),
                evidence(&group[outcome_at]),
                confidence,
                reason,
            )
        });
    }
    joined_to_cbs
}
