//! Turns parsed evidence into a diagnosis: which servicing operations failed, the first cause of each with the
//! cascade after it, what was repaired, and what time the CBS history covers.
#![forbid(unsafe_code)]

pub mod attempts;
pub mod case_checks;
pub mod coverage;
mod evidence;
mod failures;
mod flat;
pub mod model;
mod offset_match;
mod repair;
pub mod repair_manifest;
pub mod rules_apply;
pub mod rules_runner;
mod sources;
pub mod summary;
pub mod timeline;

pub use evidence::{BundleEvidence, read_evidence};
pub use model::*;

use patchdx_bundle::{Bundle, Severity};
use patchdx_formats::cbs::{self, CbsLog, history::History};
use std::collections::BTreeMap;

/// The diagnosis of a set of CBS logs already stitched into order.
pub struct CbsDiagnosis {
    pub findings: Vec<Finding>,
    pub observations: Vec<Observation>,
    pub sessions: Vec<Session>,
    pub session_counts: BTreeMap<String, usize>,
}

/// Diagnoses the CBS history: `logs` are the CBS files in history order (then SFC extracts), whose events are
/// on `timeline`.
pub fn diagnose_cbs(logs: &[CbsLog], history: &History, timeline: &timeline::Timeline) -> CbsDiagnosis {
    let flat = flat::Flat::new(logs, &timeline.events);
    let sessions = failures::build_sessions(&flat);
    let mut claimed = vec![false; flat.events.len()];
    let mut findings = failures::failed_operations(&flat, &sessions, &mut claimed);
    let mut observations = Vec::new();
    repair::store_repairs(&flat, &mut claimed, &mut findings, &mut observations);
    repair::sfc_results(&flat, &mut claimed, &mut findings, &mut observations);
    repair::unexplained_corruption(&flat, &mut claimed, &mut findings);
    repair::startup_processing(&flat, &mut observations);
    history_observations(&flat, history, &mut observations);
    order_and_number(&mut findings);
    repair_manifest::attach(&mut findings);
    let mut session_counts = BTreeMap::new();
    for s in &sessions {
        *session_counts.entry(s.client.clone().unwrap_or_else(|| "(unknown client)".to_string())).or_insert(0) += 1;
    }
    CbsDiagnosis { findings, observations, sessions: failures::listed_sessions(&flat, &sessions), session_counts }
}

/// Findings in time order, numbered F1, F2, … in that order.
fn order_and_number(findings: &mut [Finding]) {
    findings.sort_by_key(|f| (f.utc_time.or(f.local_time), f.outcome.line));
    for (n, finding) in findings.iter_mut().enumerate() {
        finding.id = format!("F{}", n + 1);
    }
}

fn history_observations(flat: &flat::Flat, history: &History, observations: &mut Vec<Observation>) {
    for (index, event) in flat.events.iter().enumerate() {
        if matches!(event.record.kind, cbs::CbsEventKind::BackupCabFailed) {
            observations.push(Observation {
                kind: "rotation-failure",
                summary: "CBS could not compress its rotated log into a CbsPersist cab; history from before this point may be lost on the machine.".to_string(),
                evidence: vec![flat.evidence(index)],
            });
        }
    }
    if !history.missing_pieces.is_empty() {
        observations.push(Observation {
            kind: "missing-cbs-pieces",
            summary: format!(
                "The logs name {} rotated CBS piece(s) that are not in the bundle: {}. Collect them from C:\\Windows\\Logs\\CBS\\ if they still exist.",
                history.missing_pieces.len(),
                history.missing_pieces.join(", ")
            ),
            evidence: Vec::new(),
        });
    }
}

/// Compiles the patterns the diagnosis compiles on first use (a few milliseconds), so that a caller with a
/// spare thread can pay for them while the bundle is being read rather than after.
pub fn warm_up() {
    repair_manifest::warm_up();
}

/// Analyses an opened bundle with the built-in rules.
pub fn analyze(bundle: &Bundle) -> Analysis {
    analyze_with(bundle, &patchdx_rules::RuleSet::builtin())
}

/// Analyses an opened bundle; root causes are named by `rules`.
pub fn analyze_with(bundle: &Bundle, rules: &patchdx_rules::RuleSet) -> Analysis {
    analyze_case(bundle, rules, &case_checks::CaseInput::default(), None)
}

/// Analyses a bundle of a support case: like [`analyze_with`], plus the case checks.
pub fn analyze_case(
    bundle: &Bundle,
    rules: &patchdx_rules::RuleSet,
    case: &case_checks::CaseInput,
    previous: Option<&Bundle>,
) -> Analysis {
    analyze_case_with_timeline(bundle, rules, case, previous).0
}

/// [`analyze_case`], also handing back the timeline it built (for reports that show it), so that nothing
/// reads the bundle a second time.
pub fn analyze_case_with_timeline(
    bundle: &Bundle,
    rules: &patchdx_rules::RuleSet,
    case: &case_checks::CaseInput,
    previous: Option<&Bundle>,
) -> (Analysis, timeline::Timeline) {
    analyze_case_with_rules_from(bundle, || rules, case, previous)
}

/// [`analyze_case_with_timeline`] with rules that are asked for only once the evidence is read, so that a
/// caller can load them on another thread meanwhile (parsing and compiling them costs a few milliseconds,
/// as much as reading a small bundle).
pub fn analyze_case_with_rules_from<R: std::borrow::Borrow<patchdx_rules::RuleSet>>(
    bundle: &Bundle,
    rules: impl FnOnce() -> R,
    case: &case_checks::CaseInput,
    previous: Option<&Bundle>,
) -> (Analysis, timeline::Timeline) {
    let (mut analysis, timeline) = analyze_bundle(bundle, rules, case);
    if let Some(previous) = previous {
        let current = case_checks::fingerprint(bundle);
        let old = case_checks::fingerprint(previous);
        analysis.case.previous = Some(case_checks::compare_with_previous(&current, &old, &previous.root));
        analysis.case.fingerprint = Some(current);
    }
    analysis.summary = summary::summarize(&analysis);
    (analysis, timeline)
}

fn analyze_bundle<R: std::borrow::Borrow<patchdx_rules::RuleSet>>(
    bundle: &Bundle,
    rules: impl FnOnce() -> R,
    case: &case_checks::CaseInput,
) -> (Analysis, timeline::Timeline) {
    let mut evidence = evidence::read_evidence(bundle);
    let cbs_logs = evidence.cbs_logs();
    let timeline = evidence.timeline();
    let evidence::BundleEvidence { files, warnings, history, .. } = evidence;
    let mut diagnosis = diagnose_cbs(&cbs_logs, &history, &timeline);
    let before = diagnosis.findings.len();
    sources::source_findings(&mut diagnosis.findings, &timeline, &history);
    if diagnosis.findings.len() != before {
        order_and_number(&mut diagnosis.findings);
    }
    rules_apply::attach(&mut diagnosis.findings, &timeline, rules().borrow());
    coverage::attach(&mut diagnosis.findings, &timeline, &history);
    let failures = diagnosis.findings.iter().filter(|f| f.verdict == model::Verdict::Failed).count();
    let repaired = diagnosis.findings.iter().filter(|f| f.verdict == model::Verdict::Repaired).count();
    let unreadable = warnings.iter().any(|w| w.severity >= Severity::Damaged);
    let exit_code = if unreadable {
        2
    } else if failures > 0 {
        1
    } else {
        0
    };
    let summary = verdict_summary(failures, repaired, unreadable, &diagnosis.findings, &history);
    let attempts = attempts::reconstruct(&timeline);
    let case = CaseSection {
        kb_check: case_checks::check_kbs(case, &diagnosis.findings, &timeline),
        freshness: case.reported_failure_local.and_then(|t| case_checks::freshness(&timeline, t)),
        ..CaseSection::default()
    };
    let analysis = Analysis {
        schema: SCHEMA,
        tool_version: env!("CARGO_PKG_VERSION"),
        input: bundle.root.clone(),
        verdict: Overall { failures, repaired, unreadable_input: unreadable, exit_code, summary },
        findings: diagnosis.findings,
        observations: diagnosis.observations,
        cbs: CbsSection {
            history,
            logs: cbs_logs,
            sessions: diagnosis.sessions,
            session_counts: diagnosis.session_counts,
        },
        sources: timeline.files.clone(),
        case,
        summary: summary::CaseSummary::default(),
        attempts,
        files,
        warnings,
    };
    (analysis, timeline)
}

fn verdict_summary(
    failures: usize,
    repaired: usize,
    unreadable: bool,
    findings: &[Finding],
    history: &History,
) -> String {
    let mut parts = Vec::new();
    if failures == 0 {
        parts.push("No failed servicing operation found in the CBS logs".to_string());
    } else {
        let first = findings.iter().find(|f| f.verdict == model::Verdict::Failed);
        parts.push(format!(
            "{failures} failed servicing operation(s) diagnosed{}",
            first.map(|f| format!("; first: {}", f.title)).unwrap_or_default()
        ));
    }
    if repaired > 0 {
        parts.push(format!("{repaired} repair run(s) fixed what they found"));
    }
    match (history.first_local, history.last_local) {
        (Some(a), Some(b)) => parts.push(format!("CBS history covers {a} → {b} (local time)")),
        _ => parts.push("no CBS history in the input".to_string()),
    }
    if unreadable {
        parts.push("some input could not be read (see warnings)".to_string());
    }
    parts.join(". ") + "."
}
