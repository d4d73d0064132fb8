//! Shared by the reader tests: the real fixtures beside the checkout, with a loud notice when they are missing.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub fn fixture(rel: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures").join(rel);
    if path.exists() {
        return Some(path);
    }
    eprintln!("╔══════════════════════════════════════════════════════════════════════╗");
    eprintln!("║ FIXTURE MISSING: {rel}");
    eprintln!("║ NOTHING WAS CHECKED by this test.                                    ║");
    eprintln!("╚══════════════════════════════════════════════════════════════════════╝");
    assert!(std::env::var_os("CI").is_none(), "fixture {rel} missing on CI");
    None
}
