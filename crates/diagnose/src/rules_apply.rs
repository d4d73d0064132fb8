//! Names each finding's root cause with the detection rules: the rules are evaluated on the finding's own
//! evidence records (first cause, cascade, outcome), and every rule that fires is attached, best first.

use crate::model::Finding;
use crate::timeline::Timeline;
use patchdx_rules::schema::{Steps, Text};
use patchdx_rules::{Confidence, RuleSet, Severity};
use serde::Serialize;
use std::collections::HashSet;

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
    for finding in findings {
        let quoted: HashSet<(&str, u64, Option<u64>)> = std::iter::once(&finding.first_cause)
            .chain(&finding.cascade)
            .chain(std::iter::once(&finding.outcome))
            .chain(&finding.corroboration)
            .map(|e| (e.file.as_str(), e.line, e.record))
            .collect();
        let events: Vec<&patchdx_formats::event::Event> = timeline
            .events
            .iter()
            .filter(|e| quoted.contains(&(e.file.as_str(), e.line.unwrap_or(0), e.record)))
            .collect();
        let mut fired: Vec<RuleDiagnosis> = rules
            .evaluate(&events)
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
        finding.diagnosis = fired;
    }
}
