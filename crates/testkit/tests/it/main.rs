//! The integration tests of testkit, in one binary (one link instead of one per file).
mod example_cas07293;
