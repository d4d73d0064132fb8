//! The integration tests of report, in one binary (one link instead of one per file).
mod html;
mod observations;
mod timeline_csv;
mod two_codes;
