//! Repeated attempts: one update (or installer) that fails again and again with the same code is one failure
//! tried N times, not N findings. The first attempt stays the finding (its first cause is where the problem
//! showed first); the later ones become its repeats, with their times and evidence.

use crate::model::{Finding, Repeat, Verdict};
use crate::operation::Operation;
use crate::timeline::Timeline;

/// Merges each failed finding into the first earlier failed one of the same operation (a common KB, update id,
/// package, installer or update title) and code — unless a success of that operation came between them: a
/// failure after a success is a new episode, not a repeat. Findings that name no operation are never merged:
/// two unnamed failures may be anything.
pub(crate) fn merge(findings: Vec<Finding>, timeline: &Timeline) -> Vec<Finding> {
    let mut kept: Vec<(Finding, Operation)> = Vec::with_capacity(findings.len());
    for finding in findings {
        let op = Operation::of(&finding, timeline);
        let code = finding.code.as_ref().map(|c| c.value);
        let at = (finding.utc_time, finding.local_time);
        let earlier = kept.iter_mut().find(|(k, k_op)| {
            k.verdict == Verdict::Failed
                && finding.verdict == Verdict::Failed
                && code.is_some()
                && k.code.as_ref().map(|c| c.value) == code
                && k_op.same_as(&op)
                && k_op.first_success_after(timeline, k.last_failed_at(), Some(at)).is_none()
        });
        match earlier {
            Some((first, _)) => {
                let mut records = finding.cascade;
                records.retain(|e| *e != finding.outcome);
                records.extend(finding.corroboration);
                first.repeats.push(Repeat {
                    local_time: finding.local_time,
                    utc_time: finding.utc_time,
                    session: finding.session,
                    first_cause: finding.first_cause,
                    outcome: finding.outcome,
                    coverage: None,
                    records,
                    cbs: Default::default(),
                });
            }
            None => kept.push((finding, op)),
        }
    }
    let mut kept: Vec<Finding> = kept.into_iter().map(|(finding, _)| finding).collect();
    for finding in kept.iter_mut().filter(|f| !f.repeats.is_empty()) {
        let (first, last) = (finding.local_time.or(finding.utc_time), finding.last_failed_at());
        let when = |t: Option<patchdx_formats::CivilTime>| t.map_or_else(|| "?".to_string(), |t| t.to_string());
        finding.title = format!(
            "{} ({} attempts, {} → {})",
            finding.title,
            finding.attempts(),
            when(first),
            when(last.1.or(last.0))
        );
    }
    kept
}
