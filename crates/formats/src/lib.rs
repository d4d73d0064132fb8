//! Parsers that turn each evidence source's bytes into typed events carrying their source file and line.
#![forbid(unsafe_code)]

#[macro_use]
mod names;
pub mod cbs;
pub mod event;
pub mod hresult;
pub mod time;
// Evidence sources (one module each; keep this list sorted, one line per module):
pub mod cmtrace;
pub mod dism;
pub mod evtx;
pub mod panther;
pub mod reporting;
pub mod servicing_xml;
pub mod sfc;
pub mod wulog;
// (end of source modules)

pub use time::CivilTime;

use patchdx_bundle::{Entry, FileKind};

/// Reads one non-CBS evidence file with the parser its kind calls for (CBS files go through
/// [`cbs::read_all`], which stitches them). `None` for kinds that carry no events.
pub fn read_source(entry: &Entry) -> Option<event::SourceFile> {
    let reader: fn(&Entry) -> event::SourceFile = match entry.kind {
        FileKind::Dism => dism::read,
        FileKind::WindowsUpdateLog => wulog::read,
        FileKind::ReportingEvents => reporting::read,
        FileKind::CmTrace => cmtrace::read,
        FileKind::Evtx => evtx::read,
        FileKind::SfcOutput => sfc::read,
        FileKind::PantherSetupAct | FileKind::PantherSetupErr | FileKind::SetupDiagResults => panther::read,
        FileKind::SessionsXml | FileKind::PendingXml => servicing_xml::read,
        _ => return None,
    };
    Some(reader(entry))
}
