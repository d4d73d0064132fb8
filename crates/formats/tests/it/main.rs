//! The integration tests of formats, in one binary (one link instead of one per file).
mod cmtrace;
mod compat;
mod dism;
mod evtx;
mod hresult_scanner;
mod opening_bad_input;
mod opening_encodings;
mod panther;
mod ranges;
mod recognition;
mod reporting;
mod scan_engines;
mod servicing_xml;
mod setupapi;
mod sfc;
mod wulog;
