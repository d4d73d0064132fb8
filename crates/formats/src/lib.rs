//! Parsers that turn each evidence source's bytes into typed events carrying their source file and line.
#![forbid(unsafe_code)]

pub mod cbs;
pub mod event;
pub mod hresult;
pub mod time;
// Evidence sources (one module each; keep this list sorted, one line per module):
// (end of source modules)

pub use time::CivilTime;

use patchdx_bundle::{Entry, FileKind};

/// Reads one non-CBS evidence file with the parser its kind calls for (CBS files go through
/// [`cbs::read_all`], which stitches them). `None` for kinds that carry no events.
pub fn read_source(entry: &Entry) -> Option<event::SourceFile> {
    let file = match entry.kind {
        // (source dispatch: one arm per parser)
        _ => return None,
    };
    Some(file)
}
