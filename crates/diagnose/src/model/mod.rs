//! What a diagnosis says, as data: the analysis of a bundle, its findings with evidence, coverage and repair
//! manifests, update attempts, and the case around it. The stages that build these (diagnosis, rules,
//! coverage, attempts, case checks) depend on this module; it depends on none of them.

mod analysis;
mod attempt;
mod case;
mod coverage;
mod finding;
mod machine;
mod repair;

pub use analysis::*;
pub use attempt::*;
pub use case::*;
pub use coverage::*;
pub use finding::*;
pub use machine::*;
pub use repair::*;
