//! The real logs under `../shared/fixtures/` (beside the checkout) and the one rule every test that reads them
//! follows when they are not there: the test FAILS, unless `PATCHDX_SKIP_FIXTURES=1` is set, in which case it
//! prints one loud line naming what it skipped and returns.
//!
//! A missing folder used to turn those tests green while they checked nothing, which hid a broken checkout
//! or CI set-up. Failing by default makes that visible; the variable keeps a deliberate run without the
//! fixtures possible (and says so in the output, test by test).
//!
//! ```no_run
//! let Some(log) = patchdx_testkit::fixtures::fixture("cbs/asrana0002_ws2022_20348_CBS.log") else { return };
//! # let _ = log;
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

/// The variable that, set to `1`, lets tests skip their checks on real logs when the fixtures are missing.
pub const SKIP_VARIABLE: &str = "PATCHDX_SKIP_FIXTURES";

/// `../shared/fixtures` beside the checkout (this crate lives two levels below the workspace root), whether
/// it exists or not.
pub fn fixtures_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
}

/// The fixtures folder; `None` only when it is missing and [`SKIP_VARIABLE`] is `1` (after one loud line).
///
/// # Panics
/// When the folder is missing and the variable is not `1`.
pub fn fixtures_dir() -> Option<PathBuf> {
    let dir = fixtures_path();
    if dir.is_dir() {
        return Some(dir);
    }
    missing(&dir);
    None
}

/// A file or folder under the fixtures (`rel` such as `"evtx/x.evtx"`; `""` is the folder itself); `None`
/// only when it is missing and [`SKIP_VARIABLE`] is `1` (after one loud line).
///
/// # Panics
/// When it is missing and the variable is not `1`.
pub fn fixture(rel: &str) -> Option<PathBuf> {
    let path = fixtures_path().join(rel);
    if path.exists() {
        return Some(path);
    }
    missing(&path);
    None
}

/// Whether the variable asks to skip the checks that need missing fixtures.
pub fn skipping() -> bool {
    std::env::var_os(SKIP_VARIABLE).is_some_and(|value| value == "1")
}

/// Applies the rule to a missing `path`: one loud line and return when skipping, else a panic that says how
/// to fix the run.
fn missing(path: &Path) {
    // The default test harness names each test's thread after the test: that is what was skipped.
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("this test");
    if skipping() {
        // Written to stderr directly rather than with `eprintln!`, which the test harness captures and shows
        // only for failing tests: a skip must be seen in a run that passes.
        let _ = writeln!(
            std::io::stderr().lock(),
            "!!!!! FIXTURES SKIPPED ({SKIP_VARIABLE}=1): {test} checked NOTHING on real logs: {} is missing !!!!!",
            path.display()
        );
        return;
    }
    panic!(
        "fixture missing: {}\n{test} needs the real logs in ../shared/fixtures beside the checkout. Put the shared/ \
         folder there, or set {SKIP_VARIABLE}=1 to skip the checks on real logs on purpose.",
        path.display()
    );
}
