//! Detection rules shipped as reviewable YAML (`rules/*.yaml`, compiled in; a folder can be loaded instead
//! with `--rules DIR`): loading, `lint`, and matching against timeline events.
#![forbid(unsafe_code)]

mod compiled;
pub mod schema;

pub use compiled::{CompiledCondition, CompiledRule};
pub use schema::{Confidence, Rule, Severity};

use patchdx_formats::event::Event;
use std::collections::HashSet;
use std::path::Path;

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// A problem with a rule file or rule, as `lint` reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub file: String,
    pub rule: Option<String>,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.rule {
            Some(rule) => write!(f, "{} [{rule}]: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Loaded rules and every problem found while loading them.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub rules: Vec<CompiledRule>,
    pub problems: Vec<Problem>,
}

impl RuleSet {
    /// The rules compiled into the binary.
    pub fn builtin() -> RuleSet {
        Self::from_texts(BUILTIN.iter().map(|(name, text)| (name.to_string(), text.to_string())))
    }

    /// Every `*.yaml` / `*.yml` file of a folder.
    pub fn from_dir(dir: &Path) -> std::io::Result<RuleSet> {
        let mut texts = Vec::new();
        let mut paths: Vec<_> = std::fs::read_dir(dir)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
            .collect();
        paths.sort();
        for path in paths {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            texts.push((name, std::fs::read_to_string(&path)?));
        }
        Ok(Self::from_texts(texts.into_iter()))
    }

    fn from_texts(texts: impl Iterator<Item = (String, String)>) -> RuleSet {
        let mut set = RuleSet::default();
        for (file, text) in texts {
            match serde_saphyr::from_str::<schema::RuleFile>(&text) {
                Ok(parsed) => {
                    for rule in parsed.rules {
                        let id = rule.id.clone();
                        let (compiled, problems) = CompiledRule::compile(rule, &file);
                        set.problems.extend(problems.into_iter().map(|message| Problem {
                            file: file.clone(),
                            rule: Some(id.clone()),
                            message,
                        }));
                        set.rules.push(compiled);
                    }
                }
                Err(err) => set.problems.push(Problem {
                    file: file.clone(),
                    rule: None,
                    message: format!("not a valid rule file: {err}"),
                }),
            }
        }
        set.problems.extend(lint(&set.rules));
        set
    }

    /// Builds every pattern now (loading only checks their syntax) and adds a problem for each that cannot
    /// be built, for `rules lint` and `rules test`.
    pub fn with_patterns_built(mut self) -> RuleSet {
        for compiled in &self.rules {
            let conditions = compiled.all.iter().chain(&compiled.any).chain(&compiled.none);
            for condition in conditions {
                for (field, pattern) in condition.patterns() {
                    if let Err(err) = pattern.build() {
                        self.problems.push(Problem {
                            file: compiled.file.clone(),
                            rule: Some(compiled.rule.id.clone()),
                            message: format!("{field}: regular expression cannot be built: {err}"),
                        });
                    }
                }
            }
        }
        self
    }

    /// Every rule that fires on these events, with the indexes of the events that made it fire.
    pub fn evaluate<'r>(&'r self, events: &[&Event]) -> Vec<(&'r CompiledRule, Vec<usize>)> {
        self.rules.iter().filter_map(|rule| evaluate(rule, events).map(|hits| (rule, hits))).collect()
    }

    pub fn get(&self, id: &str) -> Option<&CompiledRule> {
        self.rules.iter().find(|r| r.rule.id == id)
    }
}

/// The events that make `rule` fire, or `None`.
pub fn evaluate(rule: &CompiledRule, events: &[&Event]) -> Option<Vec<usize>> {
    if events.iter().any(|e| rule.none.iter().any(|c| c.matches(e))) {
        return None;
    }
    let mut hits = Vec::new();
    for condition in &rule.all {
        let index = events.iter().position(|e| condition.matches(e))?;
        hits.push(index);
    }
    if !rule.any.is_empty() {
        let before = hits.len();
        hits.extend(events.iter().enumerate().filter(|(_, e)| rule.any.iter().any(|c| c.matches(e))).map(|(i, _)| i));
        if hits.len() == before {
            return None;
        }
    }
    hits.sort_unstable();
    hits.dedup();
    if let Some(window) = rule.rule.matcher.within_seconds {
        let instants: Vec<i64> = hits.iter().filter_map(|&i| events[i].instant()).map(|t| t.millis()).collect();
        if let (Some(min), Some(max)) = (instants.iter().min(), instants.iter().max())
            && (max - min) as u64 > window * 1000
        {
            return None;
        }
    }
    Some(hits)
}

fn lint(rules: &[CompiledRule]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut ids = HashSet::new();
    for compiled in rules {
        let rule = &compiled.rule;
        let mut say = |message: String| {
            problems.push(Problem { file: compiled.file.clone(), rule: Some(rule.id.clone()), message })
        };
        if !ids.insert(rule.id.clone()) {
            say("id is used by another rule".to_string());
        }
        if rule.id.is_empty() || !rule.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            say("id must be kebab-case (a-z, 0-9, -)".to_string());
        }
        if rule.category.trim().is_empty() {
            say("category is empty".to_string());
        }
        for (what, text) in [("title", &rule.title), ("explanation", &rule.explanation)] {
            if text.en.trim().is_empty() {
                say(format!("{what}.en is missing"));
            }
            if text.zh_cn.trim().is_empty() {
                say(format!("{what}.zh-CN is missing"));
            } else if !text.zh_cn.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
                say(format!("{what}.zh-CN has no Chinese text"));
            }
        }
        if rule.remediation.en.is_empty() || rule.remediation.zh_cn.is_empty() {
            say("remediation needs steps in both en and zh-CN".to_string());
        } else if rule.remediation.en.len() != rule.remediation.zh_cn.len() {
            say(format!(
                "remediation has {} en steps but {} zh-CN steps",
                rule.remediation.en.len(),
                rule.remediation.zh_cn.len()
            ));
        }
        if rule.collect.en.len() != rule.collect.zh_cn.len() {
            say("collect needs the same number of en and zh-CN items".to_string());
        }
        for reference in &rule.references {
            if !reference.starts_with("https://") {
                say(format!("reference {reference:?} is not an https URL"));
            }
        }
        if rule.examples.positive.is_empty() {
            say("needs at least one positive example".to_string());
        }
        let mut names = HashSet::new();
        for example in rule.examples.positive.iter().chain(&rule.examples.negative) {
            if !names.insert(example.name.clone()) {
                say(format!("example name {:?} is used twice", example.name));
            }
            if example.log.trim().is_empty() {
                say(format!("example {:?} has no log text", example.name));
            }
        }
    }
    problems
}
