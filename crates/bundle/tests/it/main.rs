//! The integration tests of bundle, in one binary (one link instead of one per file).
mod bad_input;
mod encodings;
