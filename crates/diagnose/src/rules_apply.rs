//! Names each finding's root cause with the detection rules: the rules are evaluated on the finding's own
//! evidence records (first cause, cascade, outcome), and every rule that fires is attached, best first.

use crate::model::Finding;
use crate::timeline::Timeline;
use patchdx_rules::schema::{Steps, Text};
use patchdx_rules::{Confidence, RuleSet, Severity};
use serde::Serialize;
use std::collections::HashMap;

/// What a rule says about a finding.
#[derive(Debug, Clone, Serialize)]
pub struct RuleDiagnosis {
    pub rule: String,
    pub category: String,
    pub severity: Severity,
    pub confidence: Confidence,
    pub title: Text,
    pub explanation: Text,
    pub remediation: Steps,
    pub commands: Vec<String>,
    pub collect: Steps,
    pub references: Vec<String>,
}

pub(crate) fn attach(findings: &mut [Finding], timeline: &Timeline, rules: &RuleSet) {
    // Each finding's quoted records, picked out of the timeline in one pass for all findings (the timeline of
    // a large bundle holds hundreds of thousands of events).
    let mut quoted: HashMap<(&str, u64, Option<u64>), Vec<usize>> = HashMap::new();
    for (index, finding) in findings.iter().enumerate() {
        let evidence = std::iter::once(&finding.first_cause)
            .chain(&finding.cascade)
            .chain(std::iter::once(&finding.outcome))
            .chain(&finding.corroboration);
        for e in evidence {
            let owners = quoted.entry((e.file.as_str(), e.line, e.record)).or_default();
            if owners.last() != Some(&index) {
                owners.push(index);
            }
        }
    }
    let mut events_of: Vec<Vec<&patchdx_formats::event::Event>> = vec![Vec::new(); findings.len()];
    for event in &timeline.events {
        if let Some(owners) = quoted.get(&(event.file.as_str(), event.line.unwrap_or(0), event.record)) {
            for &index in owners {
                events_of[index].push(event);
            }
        }
    }
    let diagnoses: Vec<Vec<RuleDiagnosis>> = events_of.iter().map(|events| fired(rules, events)).collect();
    for (finding, diagnosis) in findings.iter_mut().zip(diagnoses) {
        finding.diagnosis = diagnosis;
    }
}

/// The rules that fire on a finding's records, best first.
fn fired(rules: &RuleSet, events: &[&patchdx_formats::event::Event]) -> Vec<RuleDiagnosis> {
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
