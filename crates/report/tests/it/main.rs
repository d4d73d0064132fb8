//! The integration tests of report, in one binary (one link instead of one per file).
mod html;
mod machines;
mod observations;
mod sfc_files;
mod timeline_csv;
mod two_codes;
