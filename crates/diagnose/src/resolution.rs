//! Resolution: a failure that a later success of the same operation on the same machine made good — the
//! same update installed by a later CBS session, Windows Update event 19 after event 20, a ReportingEvents or
//! DISM success, the same advanced installer run to completion by a later boot-time processing — or that a newer
//! cumulative rollup, committed later, superseded. A success older than the failure resolves nothing.

use crate::model::{EventId, Evidence, Finding, Resolution, Verdict};
use crate::timeline::Timeline;
use patchdx_formats::CivilTime;
use patchdx_formats::cbs::CbsEventKind;
use patchdx_formats::event::{Action, Event};

/// What identifies the operation a failure belongs to, from the records it quotes.
#[derive(Default)]
struct Operation {
    kbs: Vec<String>,
    update_ids: Vec<String>,
    titles: Vec<String>,
    packages: Vec<String>,
    /// The actions that would undo the failure: an install failure is made good by an install success.
    successes: Vec<Action>,
}

impl Operation {
    fn of(finding: &Finding, timeline: &Timeline) -> Operation {
        let mut op = Operation::default();
        let records = std::iter::once(&finding.first_cause)
            .chain(&finding.cascade)
            .chain(std::iter::once(&finding.outcome))
            .chain(&finding.corroboration);
        for event in records.filter_map(|e| e.event).filter_map(|id| timeline.events.get(id.0)) {
            push_new(&mut op.kbs, event.kb.as_deref());
            push_new(&mut op.update_ids, event.update_id.as_deref());
            push_new(&mut op.titles, event.title.as_deref());
            push_new(&mut op.packages, event.package.as_deref());
            for success in successes_for(event.action) {
                if !op.successes.contains(success) {
                    op.successes.push(*success);
                }
            }
        }
        push_new(&mut op.kbs, finding.kb.as_deref());
        push_new(&mut op.packages, finding.package.as_deref());
        op
    }

    /// What `success` shares with this operation, said for the report; `None` when it is another operation.
    fn shared_with(&self, success: &Event) -> Option<String> {
        if let Some(kb) = success.kb.as_deref().filter(|kb| self.kbs.iter().any(|k| k == kb)) {
            return Some(kb.to_string());
        }
        if let Some(id) = success.update_id.as_deref().filter(|id| self.update_ids.iter().any(|u| u == id)) {
            return Some(format!("update {id}"));
        }
        if let Some(package) = success.package.as_deref().filter(|p| self.packages.iter().any(|q| q == p)) {
            return Some(format!("package {package}"));
        }
        if let Some(title) = success.title.as_deref().filter(|t| self.titles.iter().any(|u| u == t)) {
            return Some(title.to_string());
        }
        let newer = success.package.as_deref().filter(|p| self.packages.iter().any(|q| supersedes(p, q)))?;
        Some(format!("superseded by {newer}"))
    }
}

fn push_new(list: &mut Vec<String>, value: Option<&str>) {
    if let Some(value) = value.filter(|v| !v.is_empty())
        && !list.iter().any(|v| v == value)
    {
        list.push(value.to_string());
    }
}

/// The successes that make good a failure recorded with `action`.
fn successes_for(action: Action) -> &'static [Action] {
    match action {
        Action::InstallFailed | Action::FailureReport | Action::Rollback => &[Action::InstallSucceeded],
        Action::UninstallFailed => &[Action::UninstallSucceeded],
        Action::DownloadFailed => &[Action::DownloadSucceeded, Action::InstallSucceeded],
        _ => &[],
    }
}

/// Whether package identity `newer` is a later build of the same cumulative rollup as `older`
/// (`Package_for_RollupFix~31bf3856ad364e35~amd64~~7601.24264.1.4` supersedes `…~7601.24263.1.4`): a
/// newer cumulative update contains the older one, so once it is installed the older one's failure is moot.
fn supersedes(newer: &str, older: &str) -> bool {
    let split = |identity: &str| -> Option<(String, Vec<u32>)> {
        let (head, version) = identity.rsplit_once('~')?;
        let numbers: Option<Vec<u32>> = version.split('.').map(|n| n.parse().ok()).collect();
        Some((head.to_ascii_lowercase(), numbers?))
    };
    let cumulative = |head: &str| head.starts_with("package_for_rollupfix~");
    match (split(newer), split(older)) {
        (Some((new_head, new_version)), Some((old_head, old_version))) => {
            cumulative(&new_head) && new_head == old_head && new_version > old_version
        }
        _ => false,
    }
}

/// Compares two instants on the clock both have: UTC where both have it, else local time.
fn later(a: (Option<CivilTime>, Option<CivilTime>), b: (Option<CivilTime>, Option<CivilTime>)) -> Option<bool> {
    match (a, b) {
        ((Some(a_utc), _), (Some(b_utc), _)) => Some(a_utc > b_utc),
        ((_, Some(a_local)), (_, Some(b_local))) => Some(a_local > b_local),
        _ => None,
    }
}

/// A later boot-time processing that ran the same advanced installer to install (a `New component` under it)
/// and completed without failure: the installer's failure is made good. A rollback boot, which runs the same
/// installer only to remove what it added, resolves nothing.
fn installer_success(finding: &Finding, timeline: &Timeline) -> Option<Resolution> {
    let name = finding.installer.as_ref()?.name.as_str();
    let failed_at = (finding.utc_time, finding.local_time);
    let (mut in_queue, mut installs) = (false, false);
    for (index, event) in timeline.events.iter().enumerate() {
        let Some(record) = event.cbs() else { continue };
        if later((event.utc, event.local), failed_at) != Some(true) {
            continue;
        }
        match record.kind {
            CbsEventKind::StartupQueue => (in_queue, installs) = (true, false),
            CbsEventKind::InstallerComponent { .. } if event.facts.installer.as_deref() == Some(name) => {
                installs = true;
            }
            CbsEventKind::StartupComplete => {
                if in_queue && installs && !event.code.is_some_and(patchdx_codes::is_failure) {
                    return Some(Resolution {
                        local_time: event.local,
                        utc_time: event.utc,
                        operation: format!("advanced installer {name}"),
                        by: Evidence::of(EventId(index), event),
                    });
                }
                (in_queue, installs) = (false, false);
            }
            _ => {}
        }
    }
    None
}

/// Marks every failed finding that a later success resolves, with that success as evidence.
pub(crate) fn attach(findings: &mut [Finding], timeline: &Timeline) {
    for finding in findings.iter_mut().filter(|f| f.verdict == Verdict::Failed) {
        if let Some(resolution) = installer_success(finding, timeline) {
            finding.verdict = Verdict::Resolved;
            finding.resolution = Some(resolution);
            continue;
        }
        let op = Operation::of(finding, timeline);
        if op.successes.is_empty() {
            continue;
        }
        let failed_at = (finding.utc_time, finding.local_time);
        let resolution = timeline.events.iter().enumerate().find_map(|(index, event)| {
            if !op.successes.contains(&event.action) || later((event.utc, event.local), failed_at) != Some(true) {
                return None;
            }
            let operation = op.shared_with(event)?;
            Some(Resolution {
                local_time: event.local,
                utc_time: event.utc,
                operation,
                by: Evidence::of(EventId(index), event),
            })
        });
        if let Some(resolution) = resolution {
            finding.verdict = Verdict::Resolved;
            finding.resolution = Some(resolution);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_rollup_supersedes_an_older_one_and_nothing_else_does() {
        let older = "Package_for_RollupFix~31bf3856ad364e35~amd64~~7601.24263.1.4";
        let newer = "Package_for_RollupFix~31bf3856ad364e35~amd64~~7601.24264.1.4";
        assert!(supersedes(newer, older));
        assert!(!supersedes(older, newer));
        assert!(!supersedes(newer, newer));
        assert!(!supersedes("Package_for_RollupFix~31bf3856ad364e35~x86~~7601.24264.1.4", older));
        assert!(!supersedes(
            "Package_for_KB5000736~31bf3856ad364e35~amd64~~10.0.1.3",
            "Package_for_KB5000736~31bf3856ad364e35~amd64~~10.0.1.2"
        ));
    }
}
