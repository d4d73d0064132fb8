//! Names each finding's root cause with the detection rules: the rules are evaluated on the finding's own
//! evidence records (first cause, cascade, outcome, and the further records it keeps for the rules), and every
//! rule that fires is attached, best first. A finding whose best reading is a role-owned file keeps no repair
//! manifest.

pub use crate::model::RuleDiagnosis;
use crate::model::{EventId, Finding};
use crate::timeline::Timeline;
use patchdx_formats::event::Event;
use patchdx_rules::RuleSet;

pub(crate) fn attach(findings: &mut [Finding], timeline: &Timeline, rules: &RuleSet) {
    for finding in findings.iter_mut() {
        // The finding's own records (first cause, cascade, outcome, the same failure in other sources), in
        // timeline order, each once.
        let repeats = finding.repeats.iter().flat_map(|r| [&r.first_cause, &r.outcome].into_iter().chain(&r.records));
        let mut ids: Vec<EventId> = std::iter::once(&finding.first_cause)
            .chain(&finding.cascade)
            .chain(std::iter::once(&finding.outcome))
            .chain(&finding.corroboration)
            .chain(repeats)
            .filter_map(|e| e.event)
            .chain(finding.rule_context.iter().copied())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let events: Vec<&Event> = ids.iter().filter_map(|id| timeline.events.get(id.0)).collect();
        finding.diagnosis = fired(rules, &events);
        // A file a role rewrites by design is not damaged: a recipe to restore it would undo the role's
        // configuration. Only when that is the best reading (no rule names real damage among the records).
        if finding.diagnosis.first().is_some_and(|d| d.category == ROLE_OWNED_FILE) {
            finding.repair = None;
        }
    }
}

/// The category of rules that name files a role rewrites by design (see `patchdx_rules::CATEGORIES`).
const ROLE_OWNED_FILE: &str = "role-owned-file";

/// The rules that fire on a finding's records, best first.
fn fired(rules: &RuleSet, events: &[&Event]) -> Vec<RuleDiagnosis> {
    let mut fired: Vec<RuleDiagnosis> = rules
        .evaluate(events)
        .into_iter()
        .map(|(rule, _)| {
            let r = &rule.rule;
            RuleDiagnosis {
                rule: r.id.clone(),
                category: r.category.clone(),
                severity: r.severity,
                confidence: r.confidence,
                title: r.title.clone(),
                explanation: r.explanation.clone(),
                remediation: r.remediation.clone(),
                commands: r.commands.clone(),
                collect: r.collect.clone(),
                references: r.references.clone(),
            }
        })
        .collect();
    fired.sort_by_key(|d| std::cmp::Reverse((d.confidence, d.severity)));
    fired
}
