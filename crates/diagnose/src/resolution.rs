//! Resolution: a failure that a later success of the same operation on the same machine made good — the
//! same update installed by a later CBS session, Windows Update event 19 after event 20, a ReportingEvents or
//! DISM success, the same advanced installer run to completion by a later boot-time processing — or that a newer
//! cumulative rollup, committed later, superseded. A success older than the failure resolves nothing.

use crate::model::{EventId, Evidence, Finding, Resolution, Verdict};
use crate::operation::Operation;
use crate::timeline::Timeline;
use patchdx_formats::CivilTime;
use patchdx_formats::cbs::CbsEventKind;

/// Whether package identity `newer` is a later build of the same cumulative rollup as `older`
/// (`Package_for_RollupFix~31bf3856ad364e35~amd64~~7601.24264.1.4` supersedes `…~7601.24263.1.4`): a
/// newer cumulative update contains the older one, so once it is installed the older one's failure is moot.
pub(crate) fn supersedes(newer: &str, older: &str) -> bool {
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
pub(crate) fn later(
    a: (Option<CivilTime>, Option<CivilTime>),
    b: (Option<CivilTime>, Option<CivilTime>),
) -> Option<bool> {
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
    let failed_at = finding.last_failed_at();
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
        // Only a success after the last failed attempt makes the operation good. A newer rollup committed in
        // the same restart reports its result beside the older one's, before the agent's report of the
        // failure: it supersedes the failure if it came after the failure's first record.
        let operation = Operation::of(finding, timeline);
        let resolution = operation
            .first_success_after(timeline, finding.last_failed_at(), None)
            .or_else(|| operation.first_superseding_after(timeline, finding.last_attempt_began_at()));
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
