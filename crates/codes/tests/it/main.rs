//! The integration tests of codes, in one binary (one link instead of one per file).
mod families;
mod fixtures_codes;
mod knowledge;
