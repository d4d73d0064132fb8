//! Shared helpers: locate the real fixtures beside the checkout and analyse a path.
#![allow(dead_code)]

use patchdx_diagnose::{Analysis, Finding, Verdict};
use std::path::{Path, PathBuf};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A real fixture under `../shared/fixtures/`. Missing fixtures fail under CI and warn loudly elsewhere.
pub fn fixture(relative: &str) -> Option<PathBuf> {
    let path = repo().join("../shared/fixtures").join(relative);
    if path.exists() {
        return Some(path);
    }
    let message = format!(
        "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
         !! FIXTURE MISSING: {} \n\
         !! This test did NOT check anything. Put the shared/ folder beside the\n\
         !! checkout (../shared/fixtures) to run it.\n\
         !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
        path.display()
    );
    if std::env::var_os("CI").is_some() {
        panic!("{message}");
    }
    eprintln!("{message}");
    None
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
