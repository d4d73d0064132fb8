//! Runs each rule's own examples through the real reading pipeline (bundle → parsers → timeline) and checks
//! that positive examples fire the rule and negative ones do not.

use patchdx_rules::{CompiledRule, RuleSet, schema::Example};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct ExampleResult {
    pub rule: String,
    pub example: String,
    pub positive: bool,
    pub passed: bool,
    pub detail: String,
}

/// Why an example could not be run through the parsers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExampleError {
    #[error("cannot create a scratch folder: {0}")]
    Scratch(std::io::Error),
    #[error("example file name is empty")]
    NoFileName,
    #[error("cannot write the example: {0}")]
    Write(std::io::Error),
    #[error("{0}")]
    Open(#[from] patchdx_bundle::OpenError),
    #[error("the example reads as no events (recognised as {0:?})")]
    NoEvents(Option<patchdx_bundle::FileKind>),
}

fn fires(rule: &CompiledRule, example: &Example) -> Result<bool, ExampleError> {
    let dir = tempfile::tempdir().map_err(ExampleError::Scratch)?;
    let name = std::path::Path::new(&example.file).file_name().map(|n| n.to_owned()).ok_or(ExampleError::NoFileName)?;
    let path = dir.path().join(name);
    let text = example.log.replace("\r\n", "\n").replace('\n', "\r\n");
    std::fs::write(&path, text).map_err(ExampleError::Write)?;
    let bundle = patchdx_formats::registry::open(&path, &Default::default())?;
    let timeline = crate::evidence::MachineEvidence::of(crate::read_evidence(&bundle).sources).timeline();
    if timeline.events.is_empty() {
        return Err(ExampleError::NoEvents(bundle.entries.first().map(|e| e.kind)));
    }
    let events: Vec<&patchdx_formats::event::Event> = timeline.events.iter().collect();
    Ok(patchdx_rules::evaluate(rule, &events).is_some())
}

/// Every example of every rule.
pub fn run_examples(rules: &RuleSet) -> Vec<ExampleResult> {
    let mut results = Vec::new();
    for rule in &rules.rules {
        let cases = rule
            .rule
            .examples
            .positive
            .iter()
            .map(|e| (e, true))
            .chain(rule.rule.examples.negative.iter().map(|e| (e, false)));
        for (example, positive) in cases {
            let (passed, detail) = match fires(rule, example) {
                Ok(fired) if fired == positive => (true, if positive { "fires" } else { "does not fire" }.to_string()),
                Ok(fired) => (false, if fired { "fires but must not" } else { "does not fire but must" }.to_string()),
                Err(err) => (false, err.to_string()),
            };
            results.push(ExampleResult {
                rule: rule.rule.id.clone(),
                example: example.name.clone(),
                positive,
                passed,
                detail,
            });
        }
    }
    results
}
