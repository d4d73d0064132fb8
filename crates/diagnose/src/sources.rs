//! Failures that sources other than CBS record (ReportingEvents, WindowsUpdate.log, event logs, DISM, Panther,
//! Sessions.xml…): grouped per update and code into findings, joined to the CBS finding of the same failure when
//! there is one, and checked against the time the CBS history covers.

use crate::model::{CodeRef, Confidence, EventId, Evidence, Finding, Verdict};
use crate::timeline::Timeline;
use patchdx_formats::CivilTime;
use patchdx_formats::cbs::history::History;
use patchdx_formats::event::{Action, Event, Source};
use std::collections::HashSet;

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

/// One failure as the sources other than CBS record it: its records, in timeline order.
type Group<'t> = Vec<(EventId, &'t Event)>;

/// Adds findings for failures recorded outside CBS, except the events in `taken` (which a more specific
/// diagnosis, such as a setup run's, accounts for); returns how many were joined to existing CBS findings.
pub(crate) fn source_findings(
    findings: &mut Vec<Finding>,
    timeline: &Timeline,
    history: &History,
    taken: &HashSet<EventId>,
) -> usize {
    let mut joined_to_cbs = 0;
    for group in group_failures(timeline, taken) {
        // `findings` grows as groups are read: a group may also join the finding an earlier group made (and is
        // then counted as joined to CBS too).
        match findings.iter_mut().find(|f| same_failure(f, &group)) {
            Some(existing) => {
                existing.corroboration.extend(group.iter().map(|&(id, e)| Evidence::of(id, e)));
                joined_to_cbs += 1;
            }
            None => findings.push(new_finding(&group, history)),
        }
    }
    joined_to_cbs
}

/// The code a group's records state (the first that states one): records that state none — a rollback's
/// steps, a failure line without its code — belong to the failure whose code another record states.
fn group_code(group: &Group) -> Option<u32> {
    group.iter().find_map(|(_, e)| e.code)
}

/// The failure records outside CBS, grouped per failure: the same code (or no code on one side), same update
/// (or none named), and within [`SAME_FAILURE_SECONDS`] of a record already in the group.
fn group_failures<'t>(timeline: &'t Timeline, taken: &HashSet<EventId>) -> Vec<Group<'t>> {
    let mut groups: Vec<Group> = Vec::new();
    let failures = timeline.events.iter().enumerate().filter(|(i, e)| is_failure(e) && !taken.contains(&EventId(*i)));
    for (id, event) in failures.map(|(i, e)| (EventId(i), e)) {
        let key = update_key(event);
        let joined = groups.iter_mut().find(|g| {
            let head = g[0].1;
            let code = group_code(g);
            (code == event.code || code.is_none() || event.code.is_none())
                && (update_key(head) == key || key.is_none())
                && g.iter().any(|(_, e)| close(e.instant(), event.instant()))
        });
        match joined {
            Some(group) => group.push((id, event)),
            None => groups.push(vec![(id, event)]),
        }
    }
    groups
}

/// Whether `finding` is the failure the group records: same code, same KB where the group names one, and a
/// record of the group close to the finding's time.
fn same_failure(finding: &Finding, group: &Group) -> bool {
    let code = group_code(group);
    let kb = group.iter().find_map(|(_, e)| e.kb.as_ref());
    finding.code.as_ref().map(|c| c.value) == code
        && (kb.is_none() || finding.kb.as_ref() == kb)
        && group.iter().any(|(_, e)| close(e.utc, finding.utc_time) || close(e.local, finding.local_time))
}

/// The finding of a failure no existing finding records.
fn new_finding(group: &Group, history: &History) -> Finding {
    let evidence = |&(id, e): &(EventId, &Event)| Evidence::of(id, e);
    let code = group_code(group);
    let kb = group.iter().find_map(|(_, e)| e.kb.clone());
    // The last install/download result of the group states the outcome (Windows Update's own record comes
    // after the servicing session's), else the last record.
    let outcome_at = group
        .iter()
        .rposition(|(_, e)| {
            matches!(e.action, Action::InstallFailed | Action::DownloadFailed | Action::UninstallFailed)
        })
        .unwrap_or(group.len() - 1);
    let outcome = group[outcome_at].1;
    let code_ref = code.map(|c| CodeRef::new(c, None));
    let title = title(group, kb.as_deref(), outcome, code_ref.as_ref());
    let confidence = if group.len() > 1 { Confidence::Medium } else { Confidence::Low };
    let reason = reason(group, history, outcome);
    Finding {
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
        ..Finding::new(Verdict::Failed, title, evidence(&group[0]), evidence(&group[outcome_at]), confidence, reason)
    }
}

/// `KB5014805 download failed with 0x80240022 …`: the update (its KB, else its title), what failed, the code.
fn title(group: &Group, kb: Option<&str>, outcome: &Event, code: Option<&CodeRef>) -> String {
    let named = kb.map(str::to_string).or_else(|| group.iter().find_map(|(_, e)| e.title.clone()));
    let what = match outcome.action {
        Action::DownloadFailed => "download failed",
        Action::UninstallFailed => "uninstall failed",
        Action::RepairFailed => "repair failed",
        Action::Rollback => "setup rolled back",
        _ => "failed",
    };
    // SFC checks system files, it repairs no update: its own summary says what it found (`SFC found corrupt
    // files it could not repair`, `SFC could not perform the requested operation`), up to the file list.
    if outcome.source == Source::Sfc && named.is_none() {
        let said = outcome.message.split(": ").next().unwrap_or(&outcome.message).trim_end_matches('.');
        return match code {
            Some(c) => format!("{said} ({})", c.label()),
            None => said.to_string(),
        };
    }
    // Windows setup's own result names no update: it is the setup (feature update, upgrade, install) that failed.
    let subject = match named {
        Some(name) => name,
        None if outcome.source == Source::Panther && outcome.action == Action::InstallFailed => "setup".to_string(),
        None => "update".to_string(),
    };
    match code {
        Some(c) => format!("{subject} {what} with {}", c.label()),
        None => format!("{subject} {what}"),
    }
}

/// The sources that record the failure, and whether CBS covers its time though it records no such failure.
fn reason(group: &Group, history: &History, outcome: &Event) -> String {
    let mut sources: Vec<&str> = group.iter().map(|(_, e)| e.source.label()).collect();
    sources.dedup();
    let covered = matches!(
        crate::coverage::cbs_coverage(history, outcome.utc, outcome.local),
        crate::model::CbsCoverage::Covered { .. }
    );
    format!(
        "the same failure recorded by {}{}",
        sources.join(", "),
        if covered { "; CBS covers this time but holds no matching failure" } else { "" }
    )
}
