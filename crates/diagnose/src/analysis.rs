//! The analysis of a bundle, stage by stage: evidence → one UTC timeline → update attempts → findings (the
//! CBS diagnosis and the failures other sources record) → root causes from the rules → coverage → resolution →
//! what is not an update failure set apart as observations → case checks → verdict and case summary. Each stage reads the previous stages' types.

use crate::model::{Analysis, CaseInput, CaseSection, CbsSection, SCHEMA};
use crate::timeline::Timeline;
use crate::{
    attempts, case_checks, cbs_diagnosis, coverage, evidence, not_failures, repeats, resolution, rules_apply, sources,
    summary, verdict,
};
use patchdx_bundle::Bundle;
use patchdx_rules::RuleSet;

/// Where the rules that name root causes come from.
pub enum Rules<'a> {
    /// The rules compiled into patchdx.
    Builtin,
    /// These rules.
    Given(&'a RuleSet),
    /// Rules asked for only once the evidence is read, so that a caller can load them on another thread
    /// meanwhile (parsing and compiling them costs about as much as reading a small bundle).
    Later(Box<dyn FnOnce() -> RuleSet + 'a>),
}

/// What `analyze` needs besides the bundle.
#[non_exhaustive]
pub struct Options<'a> {
    pub rules: Rules<'a>,
    /// What the engineer says about the case (reported KB, instructions, reported failure time).
    pub case: CaseInput,
    /// The bundle the customer sent before, to tell whether this one is new.
    pub previous: Option<&'a Bundle>,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options { rules: Rules::Builtin, case: CaseInput::default(), previous: None }
    }
}

impl<'a> Options<'a> {
    pub fn rules(mut self, rules: Rules<'a>) -> Self {
        self.rules = rules;
        self
    }

    pub fn case(mut self, case: CaseInput) -> Self {
        self.case = case;
        self
    }

    pub fn previous(mut self, previous: Option<&'a Bundle>) -> Self {
        self.previous = previous;
        self
    }
}

/// An analysis, and the timeline it was built from (for reports that show it: nothing reads the bundle a
/// second time).
#[non_exhaustive]
pub struct Analyzed {
    pub analysis: Analysis,
    pub timeline: Timeline,
}

/// Analyses an opened bundle.
pub fn analyze(bundle: &Bundle, options: Options) -> Analyzed {
    let mut evidence = evidence::read_evidence(bundle);
    let cbs_logs = evidence.cbs_logs();
    let timeline = evidence.timeline();
    let evidence::BundleEvidence { files, warnings, history, .. } = evidence;
    let attempts = attempts::reconstruct(&timeline);
    let mut diagnosis = cbs_diagnosis::diagnose_cbs(&cbs_logs, &history, &timeline);
    sources::source_findings(&mut diagnosis.findings, &timeline, &history);
    cbs_diagnosis::order_and_number(&mut diagnosis.findings);
    diagnosis.findings = repeats::merge(std::mem::take(&mut diagnosis.findings), &timeline);
    cbs_diagnosis::order_and_number(&mut diagnosis.findings);
    let builtin;
    let later;
    let rules: &RuleSet = match options.rules {
        Rules::Builtin => {
            builtin = RuleSet::builtin();
            &builtin
        }
        Rules::Given(rules) => rules,
        Rules::Later(load) => {
            later = load();
            &later
        }
    };
    rules_apply::attach(&mut diagnosis.findings, &timeline, rules);
    coverage::attach(&mut diagnosis.findings, &timeline, &history);
    resolution::attach(&mut diagnosis.findings, &timeline);
    attempts::link(&mut diagnosis.findings, &attempts);
    // Last, once resolution is known: an install a shutdown interrupted is told apart by the success after it.
    not_failures::separate(&mut diagnosis.findings, &mut diagnosis.observations, &timeline);
    cbs_diagnosis::order_and_number(&mut diagnosis.findings);
    let mut case = CaseSection {
        kb_check: case_checks::check_kbs(&options.case, &diagnosis.findings, &timeline),
        freshness: options.case.reported_failure_local.and_then(|t| case_checks::freshness(&timeline, t)),
        ..CaseSection::default()
    };
    if let Some(previous) = options.previous {
        let current = case_checks::fingerprint(bundle);
        let old = case_checks::fingerprint(previous);
        case.previous = Some(case_checks::compare_with_previous(&current, &old, &previous.root));
        case.fingerprint = Some(current);
    }
    let mut analysis = Analysis {
        schema: SCHEMA,
        tool_version: env!("CARGO_PKG_VERSION"),
        input: bundle.root.clone(),
        verdict: verdict::of(&diagnosis.findings, &warnings, &history),
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
        summary: Default::default(),
        attempts,
        files,
        warnings,
    };
    analysis.summary = summary::summarize(&analysis);
    Analyzed { analysis, timeline }
}
