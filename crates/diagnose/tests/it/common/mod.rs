//! Shared helpers: the bundled samples, analysing a path, and the real fixtures (re-exported from
//! `patchdx_testkit`, which says what happens when they are missing).
#![allow(dead_code)]

use patchdx_diagnose::{Analysis, Finding, Verdict};
pub mod reporting;

pub use patchdx_testkit::fixtures::fixture;
use std::path::{Path, PathBuf};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn sample(relative: &str) -> PathBuf {
    repo().join("tests/data").join(relative)
}

pub fn analyze(path: &Path) -> Analysis {
    let bundle = patchdx_formats::registry::open(path, &Default::default()).expect("input opens");
    patchdx_diagnose::analyze(&bundle, Default::default()).analysis
}

pub fn failed(analysis: &Analysis) -> Vec<&Finding> {
    analysis.findings.iter().filter(|f| f.verdict == Verdict::Failed).collect()
}

pub fn local(t: Option<patchdx_formats::CivilTime>) -> String {
    t.map(|t| t.to_string()).unwrap_or_default()
}
