//! The machines of an input that holds more than one: who each is (host names, builds, UTC offsets, each with
//! the line that says so), why it is not one of the others, and its own analysis.

use super::{Analysis, CaseSummary, Evidence, Overall};
use serde::Serialize;

/// One machine of a multi-machine input, analysed apart from the others.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Machine {
    /// `M1`, `M2`, … in the order their first file comes in the input.
    pub id: String,
    /// The host name when a file states one, else what tells it apart (`build 17763, UTC+08:00`).
    pub label: String,
    /// Host names its files state; `text` is the name, the rest where it is stated first.
    pub hosts: Vec<Evidence>,
    /// OS builds its files state (`19041`), likewise.
    pub builds: Vec<Evidence>,
    /// UTC offsets its files state (`+08:00`).
    pub utc_offsets: Vec<String>,
    /// Why its files are not of each earlier machine: `M1: host SRV01 and host SRV02 (a.evtx and b.evtx)`.
    pub apart_from: Vec<String>,
    pub files: Vec<String>,
    pub verdict: Overall,
    /// This machine's CBS history (an input of several machines has no single one).
    pub cbs_history: patchdx_formats::cbs::history::History,
    pub summary: CaseSummary,
    /// The machine's own analysis, which reports render section by section.
    #[serde(skip)]
    pub analysis: Box<Analysis>,
}
