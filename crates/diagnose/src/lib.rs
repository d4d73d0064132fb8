//! Turns parsed evidence into a diagnosis: which servicing operations failed, the first cause of each with the
//! cascade after it, what was repaired, what the CBS history covers, and the update attempts across sources.
//! One entry point, [`analyze`]; the stages are described in the `analysis` module.
#![forbid(unsafe_code)]

mod analysis;
pub mod attempts;
pub mod case_checks;
mod cbs_diagnosis;
pub mod coverage;
mod evidence;
mod failures;
mod flat;
mod machines;
pub mod model;
mod multi;
mod not_failures;
mod offset_match;
mod operation;
mod repair;
pub mod repair_manifest;
mod repeats;
mod resolution;
mod rules_apply;
pub mod rules_runner;
mod scans;
mod sfc_results;
mod sources;
pub mod summary;
pub mod timeline;
mod upgrade;
mod verdict;

pub use analysis::{Analyzed, Options, Rules, analyze};
pub use evidence::{BundleEvidence, read_evidence};
pub use model::*;
pub use multi::timeline_of;

/// Compiles the patterns the diagnosis compiles on first use (a few milliseconds), so that a caller with a
/// spare thread can pay for them while the bundle is being read rather than after.
pub fn warm_up() {
    patchdx_formats::damage::warm_up();
}
