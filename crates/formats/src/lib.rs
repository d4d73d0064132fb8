//! Parsers that turn each evidence source's bytes into typed events carrying their source file and line.
#![forbid(unsafe_code)]

pub mod cbs;
pub mod hresult;
pub mod time;

pub use time::CivilTime;
