//! Parsers that turn each evidence source's bytes into typed events carrying their source file and line.
#![forbid(unsafe_code)]

#[macro_use]
mod names;
pub mod cbs;
pub mod damage;
pub mod event;
pub mod hresult;
pub mod identity;
pub mod record;
pub mod registry;
pub mod source;
pub mod text;
pub mod time;
// Evidence sources (one module each; keep this list sorted, one line per module):
pub mod cmtrace;
pub mod compat;
pub mod dism;
pub mod evtx;
pub mod panther;
pub mod reporting;
pub mod servicing_xml;
pub mod setupapi;
pub mod sfc;
pub mod wulog;
// (end of source modules)

pub use time::CivilTime;

use patchdx_bundle::Entry;

/// Reads one evidence file with the source that reads its kind. `None` for kinds no source reads.
pub fn read_source(entry: &Entry) -> Option<event::SourceFile> {
    registry::read(entry)
}
