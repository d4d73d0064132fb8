//! The support case around a bundle: what the engineer says of it, the checks made against it, and the
//! case summary in both languages.

use patchdx_formats::CivilTime;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// What the engineer tells `analyze` about the case.
#[derive(Debug, Default, Clone)]
pub struct CaseInput {
    /// KBs the customer reports as failing (`--reported-kb`).
    pub reported_kbs: Vec<String>,
    /// Text of instructions or links sent to the customer (`--instructions FILE`), with its name.
    pub instructions: Option<(String, String)>,
    /// When the customer says it failed (`--reported-time`, local time of the machine).
    pub reported_failure_local: Option<CivilTime>,
}

/// A statement in both languages.
#[derive(Debug, Clone, Serialize)]
pub struct Statement {
    pub en: String,
    pub zh_cn: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct KbMention {
    pub kb: String,
    pub line: usize,
    /// True when the KB number is part of a link (the package actually downloaded).
    pub in_link: bool,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct KbCheck {
    pub reported: Vec<String>,
    /// KBs of failed findings, with how many failures each.
    pub failing: BTreeMap<String, usize>,
    /// KBs the logs show an install attempt for (any source).
    pub attempted: BTreeSet<String>,
    pub instruction_mentions: Vec<KbMention>,
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FileFingerprint {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

/// Content fingerprints of every file of a bundle, and of the bundle as a whole (order-independent).
#[derive(Debug, Clone, Serialize)]
pub struct BundleFingerprint {
    pub sha256: String,
    pub files: Vec<FileFingerprint>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PreviousCheck {
    pub previous: String,
    pub identical: bool,
    /// Files whose content is in both bundles (by content, whatever their names).
    pub unchanged: Vec<String>,
    pub new_or_changed: Vec<String>,
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct CaseSummary {
    pub en: String,
    pub zh_cn: String,
}
