//! The verdict of an analysis: counts, exit code and the one-paragraph summary.

use crate::model::{Finding, Overall, Verdict};
use patchdx_bundle::{Severity, Warning};
use patchdx_formats::cbs::history::History;

/// The verdict from the findings, the warnings and the CBS history.
pub(crate) fn of(findings: &[Finding], warnings: &[Warning], history: &History) -> Overall {
    let failures = findings.iter().filter(|f| f.verdict == Verdict::Failed).count();
    let repaired = findings.iter().filter(|f| f.verdict == Verdict::Repaired).count();
    let resolved = findings.iter().filter(|f| f.verdict == Verdict::Resolved).count();
    let unreadable = warnings.iter().any(|w| w.severity >= Severity::Damaged);
    let exit_code = if unreadable {
        2
    } else if failures > 0 {
        1
    } else {
        0
    };
    let summary = verdict_summary(Counts { failures, repaired, resolved }, unreadable, findings, history);
    Overall { failures, repaired, resolved, unreadable_input: unreadable, exit_code, summary }
}

pub(crate) struct Counts {
    pub(crate) failures: usize,
    pub(crate) repaired: usize,
    pub(crate) resolved: usize,
}

fn verdict_summary(counts: Counts, unreadable: bool, findings: &[Finding], history: &History) -> String {
    let mut parts = outcome(counts, findings);
    match (history.first_local, history.last_local) {
        (Some(a), Some(b)) => parts.push(format!("CBS history covers {a} → {b} (local time)")),
        _ => parts.push("No CBS history in the input".to_string()),
    }
    if unreadable {
        parts.push("Some input could not be read (see warnings)".to_string());
    }
    parts.join(". ") + "."
}

/// What an analysis found, sentence by sentence: failures (naming the first), resolved ones, repairs.
pub(crate) fn outcome(counts: Counts, findings: &[Finding]) -> Vec<String> {
    let Counts { failures, repaired, resolved } = counts;
    let mut parts = Vec::new();
    if failures == 0 && resolved > 0 {
        parts.push(format!(
            "No unresolved failure: {resolved} failed operation(s), each resolved by a later success of the same operation"
        ));
    } else if failures == 0 {
        parts.push("No failed servicing operation found".to_string());
    } else {
        let first = findings.iter().find(|f| f.verdict == Verdict::Failed);
        parts.push(format!(
            "{failures} failed servicing operation(s) diagnosed{}",
            first.map(|f| format!("; first: {}", f.title)).unwrap_or_default()
        ));
    }
    if failures > 0 && resolved > 0 {
        parts.push(format!("{resolved} other failure(s) were resolved by a later success"));
    }
    if repaired > 0 {
        parts.push(format!("{repaired} repair run(s) fixed what they found"));
    }
    parts
}
