//! The integration tests of diagnose, in one binary (one link instead of one per file).
mod advanced_installers;
mod bad_input;
mod cbs_24h2_format;
mod cbs_fixtures;
mod common;
mod encodings_and_containers;
mod fixture_cases;
mod not_update_failures;
mod offset_matching;
mod repair_manifest;
mod repeats;
mod resolution;
mod rules;
mod rules_every_source;
mod timeline;
mod two_codes_one_session;
