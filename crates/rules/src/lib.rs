//! Detection rules shipped as reviewable YAML (`rules/*.yaml`, compiled in; a folder can be loaded instead
//! with `--rules DIR`): loading, `lint`, and matching against timeline events. Loading refuses every rule that
//! has a problem: it is reported in [`RuleSet::problems`] and never matches.
#![forbid(unsafe_code)]

pub mod categories;
mod check;
mod compiled;
mod problem;
mod read;
pub mod schema;

pub use categories::{CATEGORIES, Category};
pub use compiled::{CompiledCondition, CompiledRule, Pattern};
pub use problem::{Problem, ProblemKind, RuleError};
pub use schema::{Confidence, Rule, Severity};

use patchdx_formats::event::Event;
use std::collections::HashSet;
use std::path::Path;

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// The rules that loaded, and every problem found while loading (each refused rule has at least one).
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub rules: Vec<CompiledRule>,
    pub problems: Vec<Problem>,
}

impl RuleSet {
    /// The rules compiled into the binary.
    pub fn builtin() -> RuleSet {
        Self::from_texts(BUILTIN.iter().copied())
    }

    /// Every `*.yaml` / `*.yml` file of a folder, by name.
    pub fn from_dir(dir: &Path) -> Result<RuleSet, RuleError> {
        let listing = |source| RuleError::ReadDir { path: dir.to_path_buf(), source };
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(listing)? {
            let path = entry.map_err(listing)?.path();
            if path.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                paths.push(path);
            }
        }
        paths.sort();
        let mut texts = Vec::new();
        for path in paths {
            let text =
                std::fs::read_to_string(&path).map_err(|source| RuleError::ReadFile { path: path.clone(), source })?;
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            texts.push((name, text));
        }
        Ok(Self::from_texts(texts.iter().map(|(name, text)| (name.as_str(), text.as_str()))))
    }

    /// Rules from texts, each with the file name its problems are reported under.
    pub fn from_texts<'a>(texts: impl IntoIterator<Item = (&'a str, &'a str)>) -> RuleSet {
        let mut set = RuleSet::default();
        let mut ids = HashSet::new();
        for (file, text) in texts {
            let (rules, problems) = read::rules_of(file, text);
            set.problems.extend(problems);
            for rule in rules {
                // Of two rules with one id, the first keeps it, so findings keep naming the rule they named.
                let duplicate = !ids.insert(rule.id.clone());
                let id = rule.id.clone();
                match CompiledRule::compile(rule, file) {
                    Ok(_) if duplicate => {
                        set.problems.push(Problem::new(file, Some(&id), None, ProblemKind::DuplicateId))
                    }
                    Ok(compiled) => set.rules.push(compiled),
                    Err(problems) => {
                        set.problems.extend(problems);
                        if duplicate {
                            set.problems.push(Problem::new(file, Some(&id), None, ProblemKind::DuplicateId));
                        }
                    }
                }
            }
        }
        set
    }

    /// Builds every pattern now (loading only checks their syntax): a rule with a pattern that cannot be built
    /// is refused like any other, with a problem for each such pattern. For `rules lint` and `rules test`.
    pub fn with_patterns_built(mut self) -> RuleSet {
        let mut problems = Vec::new();
        self.rules.retain(|compiled| {
            let before = problems.len();
            let conditions = [("all", &compiled.all), ("any", &compiled.any), ("none", &compiled.none)];
            for (what, list) in conditions {
                for (i, condition) in list.iter().enumerate() {
                    for (field, pattern) in condition.patterns() {
                        if let Err(error) = pattern.build() {
                            problems.push(Problem::new(
                                &compiled.file,
                                Some(&compiled.rule.id),
                                Some(format!("match.{what}[{i}]")),
                                ProblemKind::PatternTooLarge { field, error },
                            ));
                        }
                    }
                }
            }
            problems.len() == before
        });
        self.problems.extend(problems);
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
