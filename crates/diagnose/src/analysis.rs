//! The analysis of a bundle, stage by stage: evidence → one UTC timeline → update attempts → findings (the
//! CBS diagnosis and the failures other sources record) → root causes from the rules → coverage → resolution →
//! what is not an update failure set apart as observations → case checks → verdict and case summary. Each stage reads the previous stages' types.

use crate::evidence::MachineEvidence;
use crate::model::{Analysis, CaseInput, CaseSection, CbsSection, SCHEMA};
use crate::timeline::Timeline;
use crate::{
    attempts, case_checks, cbs_diagnosis, coverage, evidence, machines, multi, not_failures, repeats, resolution,
    rules_apply, scans, sources, summary, upgrade, verdict,
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

/// Analyses an opened bundle: each machine it holds apart (see [`crate::machines`]), then the case around it.
pub fn analyze(bundle: &Bundle, options: Options) -> Analyzed {
    let evidence::BundleEvidence { files, warnings, sources } = evidence::read_evidence(bundle);
    let facts = machines::facts_of(&sources);
    let groups = machines::partition(&sources, &facts);
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
    let Analyzed { mut analysis, timeline } = if groups.len() <= 1 {
        let (analysis, timeline) = analyse_machine(MachineEvidence::of(sources), files, warnings, rules, 0);
        Analyzed { analysis, timeline }
    } else {
        multi::analyse_apart(sources, &facts, &groups, files, warnings, |evidence, files, warnings, first_id| {
            analyse_machine(evidence, files, warnings, rules, first_id)
        })
    };
    analysis.input = bundle.root.clone();
    let mut case = CaseSection {
        kb_check: case_checks::check_kbs(&options.case, &analysis.findings, &timeline),
        freshness: options.case.reported_failure_local.and_then(|t| case_checks::freshness(&timeline, t)),
        ..CaseSection::default()
    };
    if let Some(previous) = options.previous {
        let current = case_checks::fingerprint(bundle);
        let old = case_checks::fingerprint(previous);
        case.previous = Some(case_checks::compare_with_previous(&current, &old, &previous.root));
        case.fingerprint = Some(current);
    }
    analysis.case = case;
    analysis.summary = match analysis.machines.is_empty() {
        true => summary::summarize(&analysis),
        false => multi::summarize(&mut analysis),
    };
    Analyzed { analysis, timeline }
}

/// The analysis of one machine's evidence, its findings numbered from `F{first_id + 1}`; the case checks and
/// summary are the caller's.
pub(crate) fn analyse_machine(
    mut evidence: MachineEvidence,
    files: Vec<crate::FileSummary>,
    warnings: Vec<patchdx_bundle::Warning>,
    rules: &RuleSet,
    first_id: usize,
) -> (Analysis, Timeline) {
    let cbs_logs = evidence.cbs_logs();
    let timeline = evidence.timeline();
    let history = evidence.history;
    let attempts = attempts::reconstruct(&timeline);
    let mut diagnosis = cbs_diagnosis::diagnose_cbs(&cbs_logs, &history, &timeline);
    let setup_runs = upgrade::upgrade_findings(&mut diagnosis.findings, &mut diagnosis.observations, &timeline);
    sources::source_findings(&mut diagnosis.findings, &timeline, &history, &setup_runs);
    scans::scan_failures(&mut diagnosis.findings, &mut diagnosis.observations, &timeline);
    cbs_diagnosis::order_and_number(&mut diagnosis.findings, first_id);
    diagnosis.findings = repeats::merge(std::mem::take(&mut diagnosis.findings), &timeline);
    cbs_diagnosis::order_and_number(&mut diagnosis.findings, first_id);
    rules_apply::attach(&mut diagnosis.findings, &timeline, rules);
    coverage::attach(&mut diagnosis.findings, &timeline, &history);
    resolution::attach(&mut diagnosis.findings, &timeline);
    attempts::link(&mut diagnosis.findings, &attempts);
    // Last, once resolution is known: an install a shutdown interrupted is told apart by the success after it.
    not_failures::separate(&mut diagnosis.findings, &mut diagnosis.observations, &timeline);
    cbs_diagnosis::order_and_number(&mut diagnosis.findings, first_id);
    let analysis = Analysis {
        schema: SCHEMA,
        tool_version: env!("CARGO_PKG_VERSION"),
        input: String::new(),
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
        case: CaseSection::default(),
        summary: Default::default(),
        attempts,
        files,
        warnings,
        machines: Vec::new(),
    };
    (analysis, timeline)
}
