//! The findings' view model: what the page says about each finding (times, facts, code, quoted evidence, root
//! cause, repair manifest), each observation, and the next steps gathered by rule. Plain strings, ready for the
//! template to escape and print.

use super::clip;
use patchdx_diagnose::Analysis;
use patchdx_diagnose::RuleDiagnosis;
use patchdx_diagnose::model::{Evidence, Finding, Observation, Verdict};

/// Characters of a quoted record shown.
pub(super) const QUOTE_WIDTH: usize = 600;

pub(super) struct EvidenceView {
    pub(super) place: String,
    pub(super) source: String,
    pub(super) time: String,
    pub(super) text: String,
}

pub(super) struct CodeView {
    pub(super) label: String,
    pub(super) en: String,
    pub(super) zh: String,
    pub(super) facility: String,
}

pub(super) struct RootView {
    pub(super) title_en: String,
    pub(super) title_zh: String,
    pub(super) category: String,
    pub(super) rule: String,
    pub(super) explanation_en: String,
    pub(super) explanation_zh: String,
    pub(super) steps: Vec<(String, String)>,
    pub(super) commands: Vec<String>,
    pub(super) collect: Vec<(String, String)>,
    pub(super) references: Vec<String>,
}

/// When and by what a later success resolved a failure.
pub(super) struct ResolutionView {
    pub(super) when: String,
    pub(super) operation: String,
    pub(super) by: EvidenceView,
}

pub(super) struct FindingView {
    pub(super) id: String,
    /// `failed`, `repaired` or `resolved`: the CSS class and, upper-cased, the tag.
    pub(super) state: &'static str,
    pub(super) tag: &'static str,
    pub(super) resolution: Option<ResolutionView>,
    /// Later attempts that failed the same way: when, the record, and their coverage when not covered.
    pub(super) repeats: Vec<(String, EvidenceView, Option<String>)>,
    pub(super) title: String,
    pub(super) when_local: String,
    pub(super) when_utc: String,
    pub(super) facts: Vec<(&'static str, String)>,
    pub(super) code: Option<CodeView>,
    /// Other codes the operation's records state: what each is the result of, the code, and its record.
    pub(super) related: Vec<(String, CodeView, EvidenceView)>,
    pub(super) first_cause: EvidenceView,
    pub(super) cascade: Vec<EvidenceView>,
    pub(super) outcome: Option<EvidenceView>,
    pub(super) confidence: String,
    pub(super) items: Vec<String>,
    pub(super) corroboration: Vec<EvidenceView>,
    pub(super) coverage: Option<String>,
    pub(super) root: Option<RootView>,
    pub(super) also: Vec<String>,
    pub(super) repair: Option<patchdx_diagnose::repair_manifest::RepairManifest>,
}

pub(super) struct ObservationView {
    pub(super) kind: String,
    pub(super) summary: String,
    pub(super) evidence: Vec<EvidenceView>,
}

pub(super) struct NextSteps {
    pub(super) findings: String,
    /// The root cause whose steps these are (the same view a finding shows).
    pub(super) root: RootView,
}

pub(super) fn evidence(ev: &Evidence) -> EvidenceView {
    let place = ev.place();
    let time = match (ev.local_time, ev.utc_time) {
        (Some(l), Some(u)) => format!("{l} local = {u} UTC"),
        (Some(l), None) => format!("{l} local"),
        (None, Some(u)) => format!("{u} UTC"),
        (None, None) => String::new(),
    };
    EvidenceView {
        place,
        source: ev.source.clone().unwrap_or_else(|| "CBS".to_string()),
        time,
        text: clip(&ev.text, QUOTE_WIDTH),
    }
}

fn root_view(d: &RuleDiagnosis) -> RootView {
    RootView {
        title_en: d.title.en.clone(),
        title_zh: d.title.zh_cn.clone(),
        category: d.category.clone(),
        rule: d.rule.clone(),
        explanation_en: d.explanation.en.clone(),
        explanation_zh: d.explanation.zh_cn.clone(),
        steps: pairs(&d.remediation.en, &d.remediation.zh_cn),
        commands: d.commands.clone(),
        collect: pairs(&d.collect.en, &d.collect.zh_cn),
        references: d.references.clone(),
    }
}

fn pairs(en: &[String], zh: &[String]) -> Vec<(String, String)> {
    en.iter().enumerate().map(|(n, e)| (e.clone(), zh.get(n).cloned().unwrap_or_default())).collect()
}

pub(super) fn finding(f: &Finding) -> FindingView {
    let when_local = match f.local_time {
        Some(l) => format!(
            "{l} local{}",
            f.utc_offset.as_deref().map(|o| format!(" (UTC{o})")).unwrap_or_else(|| " (UTC offset unknown)".into())
        ),
        None => "local time unknown".to_string(),
    };
    let when_utc = f.utc_time.map(|u| format!("{u} UTC")).unwrap_or_else(|| "UTC unknown".to_string());
    let facts: Vec<(&str, String)> = f.facts().into_iter().map(|(name, value)| (name, value.to_string())).collect();
    let code = f.code.as_ref().map(code_view);
    let related = f.related_codes.iter().map(|r| (r.what.clone(), code_view(&r.code), evidence(&r.evidence))).collect();
    let root = f.diagnosis.first().map(root_view);
    FindingView {
        id: f.id.clone(),
        state: match f.verdict {
            Verdict::Failed => "failed",
            Verdict::Repaired => "repaired",
            Verdict::Resolved => "resolved",
        },
        tag: match f.verdict {
            Verdict::Failed => "FAILED",
            Verdict::Repaired => "REPAIRED",
            Verdict::Resolved => "RESOLVED",
        },
        repeats: f
            .repeats
            .iter()
            .map(|r| {
                let when = match (r.local_time, r.utc_time) {
                    (Some(l), Some(u)) => format!("{l} local = {u} UTC"),
                    (Some(l), None) => format!("{l} local"),
                    (None, Some(u)) => format!("{u} UTC"),
                    (None, None) => "time unknown".to_string(),
                };
                (when, evidence(&r.outcome), r.coverage.clone())
            })
            .collect(),
        resolution: f.resolution.as_ref().map(|r| ResolutionView {
            when: match (r.local_time, r.utc_time) {
                (Some(l), Some(u)) => format!("{l} local = {u} UTC"),
                (Some(l), None) => format!("{l} local"),
                (None, Some(u)) => format!("{u} UTC"),
                (None, None) => "time unknown".to_string(),
            },
            operation: r.operation.clone(),
            by: evidence(&r.by),
        }),
        title: f.title.clone(),
        when_local,
        when_utc,
        facts,
        code,
        related,
        first_cause: evidence(&f.first_cause),
        cascade: f.cascade.iter().filter(|e| **e != f.outcome).map(evidence).collect(),
        outcome: (f.outcome != f.first_cause).then(|| evidence(&f.outcome)),
        confidence: format!("{:?} — {}", f.confidence, f.confidence_reason),
        items: f.items.clone(),
        corroboration: f.corroboration.iter().map(evidence).collect(),
        coverage: f.coverage.cbs.sentence(),
        root,
        also: f
            .diagnosis
            .iter()
            .skip(1)
            .map(|d| format!("{} [{}] (rule {})", d.title.en, d.category, d.rule))
            .collect(),
        repair: f.repair.clone(),
    }
}

fn code_view(c: &patchdx_diagnose::CodeRef) -> CodeView {
    CodeView {
        label: c.label(),
        en: c.en.clone().unwrap_or_else(|| "not in patchdx's code table".to_string()),
        zh: c.zh_cn.clone().unwrap_or_else(|| "不在 patchdx 的错误码表中".to_string()),
        facility: c.facility.to_string(),
    }
}

pub(super) fn observation(o: &Observation) -> ObservationView {
    ObservationView {
        kind: o.kind.to_string(),
        summary: o.summary.clone(),
        evidence: o.evidence.iter().map(evidence).collect(),
    }
}

/// One entry per rule that explains a finding, naming every finding it explains, in the findings' order.
pub(super) fn next_steps(analysis: &Analysis) -> Vec<NextSteps> {
    let mut out: Vec<(String, NextSteps)> = Vec::new();
    for f in &analysis.findings {
        let Some(d) = f.diagnosis.first() else { continue };
        if let Some((_, existing)) = out.iter_mut().find(|(rule, _)| *rule == d.rule) {
            existing.findings.push_str(&format!(", {}", f.id));
            continue;
        }
        out.push((d.rule.clone(), NextSteps { findings: f.id.clone(), root: root_view(d) }));
    }
    out.into_iter().map(|(_, n)| n).collect()
}

/// The evidence the findings quote, as `(file, line, record)`: the timeline marks these rows.
pub(super) fn quoted_records(analysis: &Analysis) -> std::collections::HashSet<(&str, u64, Option<u64>)> {
    analysis
        .findings
        .iter()
        .flat_map(|f| {
            std::iter::once(&f.first_cause).chain(&f.cascade).chain(std::iter::once(&f.outcome)).chain(&f.corroboration)
        })
        .map(|e| (e.file.as_str(), e.line, e.record))
        .collect()
}
