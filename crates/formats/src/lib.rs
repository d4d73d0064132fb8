//! Parsers that turn each evidence source's bytes into typed events carrying their source file and line.
#![forbid(unsafe_code)]

pub mod cbs;
pub mod event;
pub mod hresult;
pub mod time;
// Evidence sources (one module each; keep this list sorted, one line per module):
// (end of source modules)

pub use time::CivilTime;
