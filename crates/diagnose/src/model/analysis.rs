//! The whole analysis of a bundle, as `analyze --json` prints it (schema `patchdx.analysis/1`).

use super::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// Version of the JSON document `analyze --json` prints (see docs/json-schema.md).
pub const SCHEMA: &str = "patchdx.analysis/1";

/// One input file and what was done with it.
#[derive(Debug, Clone, Serialize)]
pub struct FileSummary {
    pub path: String,
    pub kind: patchdx_bundle::FileKind,
    pub kind_label: &'static str,
    pub size: u64,
    pub encoding: Option<String>,
    pub encoding_evidence: Option<patchdx_bundle::EncodingEvidence>,
    pub analysed: bool,
    pub note: Option<String>,
}

/// The CBS part of an analysis.
#[derive(Debug, Clone, Serialize, Default)]
pub struct CbsSection {
    pub history: patchdx_formats::cbs::history::History,
    pub logs: Vec<patchdx_formats::cbs::CbsLog>,
    pub sessions: Vec<Session>,
    /// How many sessions each client opened (all sessions, including those not listed).
    pub session_counts: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Overall {
    /// Failures that nothing later resolved.
    pub failures: usize,
    pub repaired: usize,
    /// Failures that a later success of the same operation resolved.
    pub resolved: usize,
    pub unreadable_input: bool,
    /// 0 no unresolved failure, 1 an unresolved failure was diagnosed, 2 some input could not be read.
    pub exit_code: i32,
    pub summary: String,
}

/// Everything `patchdx analyze` found.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Analysis {
    pub schema: &'static str,
    pub tool_version: &'static str,
    pub input: String,
    pub verdict: Overall,
    pub findings: Vec<Finding>,
    pub observations: Vec<Observation>,
    pub cbs: CbsSection,
    /// Every file on the timeline (CBS included) with the UTC offset used for it and how it was found.
    pub sources: Vec<crate::timeline::TimelineFile>,
    /// Case checks (present when the case's facts were given: reported KB, instructions, previous bundle).
    pub case: CaseSection,
    /// The case summary in English and Simplified Chinese, written from the findings.
    pub summary: CaseSummary,
    /// Every install attempt of every update, across sources.
    pub attempts: Vec<Attempt>,
    pub files: Vec<FileSummary>,
    pub warnings: Vec<patchdx_bundle::Warning>,
    /// The machines of an input that holds several, each analysed apart (empty for one machine). Findings,
    /// observations, attempts and sources above are then every machine's, each naming its machine.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub machines: Vec<super::Machine>,
}

/// Checks around the case: reported vs evidenced KBs, instructions, the previous bundle, freshness.
#[derive(Debug, Clone, Serialize, Default)]
pub struct CaseSection {
    pub kb_check: Option<KbCheck>,
    pub previous: Option<PreviousCheck>,
    pub freshness: Option<Statement>,
    pub fingerprint: Option<BundleFingerprint>,
}
