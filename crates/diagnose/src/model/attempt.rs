//! Update attempts: one operation on one machine, with its phases, outcome and records.

use super::CodeRef;
use patchdx_formats::CivilTime;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Succeeded,
    Failed,
    RebootPending,
    Unknown,
}

#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    pub kb: String,
    pub title: Option<String>,
    pub start_utc: Option<CivilTime>,
    pub end_utc: Option<CivilTime>,
    pub start_local: Option<CivilTime>,
    pub end_local: Option<CivilTime>,
    /// Phases seen, in order: download, install, staging, reboot, startup processing, rollback…
    pub phases: Vec<String>,
    pub sources: Vec<String>,
    pub clients: Vec<String>,
    pub outcome: Outcome,
    pub code: Option<CodeRef>,
    pub records: usize,
}
