//! The JSON documents `analyze --json` and `timeline --json` print validate against the published JSON Schemas
//! (docs/analysis.schema.json, docs/timeline.schema.json), on the example bundle, the sample log and, when the
//! shared fixtures are present, on real customer logs.

use jsonschema::Validator;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn load_schema(name: &str) -> Value {
    let path = repo().join("docs").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn validator(name: &str) -> Validator {
    let schema = load_schema(name);
    if let Err(e) = jsonschema::meta::validate(&schema) {
        panic!("{name} is not a valid JSON Schema: {e} at {}", e.instance_path());
    }
    jsonschema::draft202012::new(&schema).unwrap_or_else(|e| panic!("{name} does not compile: {e}"))
}

fn analysis_validator() -> Validator {
    validator("analysis.schema.json")
}

fn timeline_validator() -> Validator {
    validator("timeline.schema.json")
}

/// Runs patchdx from the repository root and returns its JSON document and exit code.
fn run_json(args: &[&str]) -> (Value, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_patchdx"))
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap_or_else(|e| panic!("patchdx {args:?} runs: {e}"));
    let code = out.status.code().unwrap_or_else(|| panic!("patchdx {args:?} was killed by a signal"));
    assert!(matches!(code, 0..=2), "patchdx {args:?} exited {code}: {}", String::from_utf8_lossy(&out.stderr));
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("patchdx {args:?} did not print JSON ({e}); stderr: {}", String::from_utf8_lossy(&out.stderr))
    });
    (doc, code)
}

/// Every validation error with the JSON pointer of the value it is about.
fn errors(validator: &Validator, doc: &Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| {
            let pointer = e.instance_path().to_string();
            let pointer = if pointer.is_empty() { "(document root)".to_string() } else { pointer };
            format!("{pointer}: {e} [schema {}]", e.schema_path())
        })
        .collect()
}

fn assert_valid(validator: &Validator, doc: &Value, what: &str) {
    let errors = errors(validator, doc);
    assert!(errors.is_empty(), "{what}: {} schema violation(s):\n  {}", errors.len(), errors.join("\n  "));
}

/// `patchdx analyze --json ARGS…`, checked against the schema and against its own exit code.
fn check_analysis(args: &[&str]) -> Value {
    let mut full = vec!["analyze", "--json"];
    full.extend_from_slice(args);
    let (doc, code) = run_json(&full);
    assert_valid(&analysis_validator(), &doc, &format!("patchdx {}", full.join(" ")));
    assert_eq!(doc["verdict"]["exit_code"], code, "verdict.exit_code is the process exit code");
    doc
}

fn check_timeline(args: &[&str]) -> Value {
    let mut full = vec!["timeline", "--json"];
    full.extend_from_slice(args);
    let (doc, _) = run_json(&full);
    assert_valid(&timeline_validator(), &doc, &format!("patchdx {}", full.join(" ")));
    doc
}

#[test]
fn analysis_of_example_bundle_with_case_checks_matches_schema() {
    let doc = check_analysis(&[
        "examples/cas-07293",
        "--reported-kb",
        "KB5015736",
        "--instructions",
        "examples/cas-07293-src/case.md",
        "--previous",
        "examples/cas-07293",
    ]);
    // The optional parts are really exercised, not validated as null.
    assert!(doc["case"]["kb_check"].is_object() && doc["case"]["previous"].is_object(), "{}", doc["case"]);
    assert!(!doc["findings"].as_array().expect("findings").is_empty());
}

#[test]
fn analysis_of_sample_log_matches_schema() {
    let doc = check_analysis(&["tests/data/cbs/kb5014805-wu-install-store-corrupt-0x80073712.log"]);
    assert!(!doc["cbs"]["logs"].as_array().expect("cbs.logs").is_empty());
}

#[test]
fn analysis_of_two_machines_matches_schema_and_names_each_findings_machine() {
    let doc = check_analysis(&["tests/data/machines/two-servers-same-hours"]);
    let machines = doc["machines"].as_array().expect("machines");
    assert_eq!(machines.len(), 2);
    assert_eq!(doc["findings"][0]["machine"], "M1");
    assert_eq!(machines[0]["hosts"], serde_json::json!([]));
    assert_eq!(machines[1]["builds"][0]["text"], "17763");
    check_timeline(&["tests/data/machines/two-servers-same-hours"]);
}

#[test]
fn timeline_of_example_bundle_matches_schema() {
    let doc = check_timeline(&["examples/cas-07293"]);
    assert!(!doc["events"].as_array().expect("events").is_empty());
}

#[test]
fn analysis_of_shared_fixtures_matches_schema() {
    let Some(dir) = patchdx_testkit::fixtures::fixtures_dir() else { return };
    let fixtures = dir.to_str().expect("a UTF-8 path");
    let romi = format!("{fixtures}/cbs/romi1996_1903_CBS_csi_payload_corrupt_fixed.log");
    check_analysis(&[&romi]);
    let doc = check_analysis(&[fixtures]);
    assert!(!doc["warnings"].as_array().expect("warnings").is_empty());
    check_timeline(&[fixtures]);
}

#[test]
fn schemas_reject_documents_of_the_wrong_shape() {
    let analysis = analysis_validator();
    let (doc, _) = run_json(&["analyze", "--json", "examples/cas-07293"]);
    assert_valid(&analysis, &doc, "unmodified example analysis");

    let mut wrong_type = doc.clone();
    wrong_type["verdict"]["exit_code"] = Value::from("1");
    let found = errors(&analysis, &wrong_type);
    assert!(found.iter().any(|e| e.starts_with("/verdict/exit_code:")), "exit_code as a string must fail: {found:?}");

    let mut bad_time = doc.clone();
    bad_time["findings"][0]["first_cause"]["local_time"] = Value::from("2022-09-09 15:58:23");
    let found = errors(&analysis, &bad_time);
    assert!(
        found.iter().any(|e| e.starts_with("/findings/0/first_cause/local_time:")),
        "a time without `T` and milliseconds must fail: {found:?}"
    );

    let mut bad_enum = doc.clone();
    bad_enum["findings"][0]["verdict"] = Value::from("partially-failed");
    assert!(!analysis.is_valid(&bad_enum), "an unknown verdict must fail");

    let mut missing = doc;
    missing.as_object_mut().expect("object").remove("warnings");
    assert!(!analysis.is_valid(&missing), "a missing required field must fail");

    let timeline = timeline_validator();
    let (mut events, _) = run_json(&["timeline", "--json", "examples/cas-07293"]);
    events["events"][0]["level"] = Value::from("fatal");
    let found = errors(&timeline, &events);
    assert!(found.iter().any(|e| e.starts_with("/events/0/level:")), "an unknown level must fail: {found:?}");
}
