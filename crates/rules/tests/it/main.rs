//! The integration tests of rules, in one binary (one link instead of one per file).
mod patterns;
mod refusals;
