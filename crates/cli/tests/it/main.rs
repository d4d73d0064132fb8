//! The integration tests of cli, in one binary (one link instead of one per file).
mod cli;
mod json_schema;
