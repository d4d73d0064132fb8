//! Update attempts: one operation on one machine (an update named by its KB), with its phases, outcome and
//! records, the findings that explain its failure, and the later attempt that resolves it.

use super::{CodeRef, EventId};
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

/// An attempt's place in the analysis's list of attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttemptId(pub usize);

#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Attempt {
    #[serde(skip)]
    pub id: AttemptId,
    /// The machine (`M1`, …) when the input holds several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub machine: Option<String>,
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
    /// Every record of the attempt, on the timeline, oldest first.
    #[serde(skip)]
    pub events: Vec<EventId>,
    /// The record that states the failure, for a failed attempt.
    #[serde(skip)]
    pub failure: Option<EventId>,
    /// The later attempt of the same operation that succeeded, for a failed attempt that one resolves.
    #[serde(skip)]
    pub resolved_by: Option<AttemptId>,
}
