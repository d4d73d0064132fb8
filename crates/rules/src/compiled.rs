//! Rules checked and compiled for matching: patterns checked (and built on first use), codes and names resolved.

use crate::schema::{Condition, Rule};
use patchdx_formats::event::{Action, Event, Level, Source};
use regex::Regex;
use std::sync::OnceLock;

#[derive(Debug, Clone)]
pub struct CompiledCondition {
    pub sources: Vec<Source>,
    pub actions: Vec<Action>,
    pub levels: Vec<Level>,
    pub codes: Vec<u32>,
    pub message: Option<Pattern>,
    pub update: Option<Pattern>,
    pub phase: Option<Pattern>,
    pub client: Option<Pattern>,
}

fn parse_action(name: &str) -> Option<Action> {
    Action::from_name(name)
}

fn parse_level(name: &str) -> Option<Level> {
    Level::from_name(name)
}

/// A condition's regular expression, checked when the rules load and built the first time a record reaches
/// it: most conditions are decided by their source, action or code before their pattern is tried, and
/// building every pattern of every rule was a third of the time taken to load the rules.
#[derive(Debug, Clone)]
pub struct Pattern {
    text: String,
    built: OnceLock<Option<Regex>>,
}

impl Pattern {
    pub fn is_match(&self, haystack: &str) -> bool {
        // A pattern that parses yet cannot be built (beyond the size limits) matches nothing; `rules lint`
        // builds every pattern and reports it.
        self.built.get_or_init(|| Regex::new(&self.text).ok()).as_ref().is_some_and(|re| re.is_match(haystack))
    }

    /// Builds the pattern now, as the first match would; the error is why it cannot be built.
    pub fn build(&self) -> Result<(), String> {
        Regex::new(&self.text).map(|_| ()).map_err(|err| err.to_string())
    }
}

fn regex(text: &Option<String>, field: &str, problems: &mut Vec<String>) -> Option<Pattern> {
    let text = text.as_ref()?;
    match regex_syntax::Parser::new().parse(text) {
        Ok(_) => Some(Pattern { text: text.clone(), built: OnceLock::new() }),
        Err(err) => {
            problems.push(format!("{field}: regular expression {text:?} does not compile: {err}"));
            None
        }
    }
}

impl CompiledCondition {
    /// The condition's patterns with the field each applies to.
    pub fn patterns(&self) -> impl Iterator<Item = (&'static str, &Pattern)> {
        [("message", &self.message), ("update", &self.update), ("phase", &self.phase), ("client", &self.client)]
            .into_iter()
            .filter_map(|(field, pattern)| pattern.as_ref().map(|p| (field, p)))
    }

    /// Compiles a condition; every problem found is pushed (so lint can list them all).
    pub fn compile(condition: &Condition, problems: &mut Vec<String>) -> Self {
        let mut out = CompiledCondition {
            sources: Vec::new(),
            actions: Vec::new(),
            levels: Vec::new(),
            codes: Vec::new(),
            message: regex(&condition.message, "message", problems),
            update: regex(&condition.update, "update", problems),
            phase: regex(&condition.phase, "phase", problems),
            client: regex(&condition.client, "client", problems),
        };
        for name in &condition.source {
            match Source::parse(name) {
                Some(s) => out.sources.push(s),
                None => problems.push(format!("source {name:?} is not a source kind")),
            }
        }
        for name in &condition.action {
            match parse_action(name) {
                Some(a) => out.actions.push(a),
                None => problems.push(format!("action {name:?} is not an action")),
            }
        }
        for name in &condition.level {
            match parse_level(name) {
                Some(l) => out.levels.push(l),
                None => problems.push(format!("level {name:?} is not a level")),
            }
        }
        for code in &condition.code {
            match patchdx_codes::parse_code(code) {
                Some(v) => out.codes.push(v),
                None => problems.push(format!("code {code:?} is not a code")),
            }
        }
        let empty = out.sources.is_empty()
            && out.actions.is_empty()
            && out.levels.is_empty()
            && out.codes.is_empty()
            && out.message.is_none()
            && out.update.is_none()
            && out.phase.is_none()
            && out.client.is_none();
        if empty && problems.is_empty() {
            problems.push("a condition must test at least one field".to_string());
        }
        out
    }

    pub fn matches(&self, event: &Event) -> bool {
        (self.sources.is_empty() || self.sources.contains(&event.source))
            && (self.actions.is_empty() || self.actions.contains(&event.action))
            && (self.levels.is_empty() || self.levels.contains(&event.level))
            && (self.codes.is_empty() || event.code.is_some_and(|c| self.codes.contains(&c)))
            && self.message.as_ref().is_none_or(|re| re.is_match(&event.message))
            && self.update.as_ref().is_none_or(|re| {
                [&event.kb, &event.title, &event.package].iter().any(|f| f.as_deref().is_some_and(|t| re.is_match(t)))
            })
            && self.phase.as_ref().is_none_or(|re| event.phase.as_deref().is_some_and(|p| re.is_match(p)))
            && self.client.as_ref().is_none_or(|re| event.client.as_deref().is_some_and(|c| re.is_match(c)))
    }
}

/// A rule ready to match.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    pub rule: Rule,
    /// The YAML file it came from.
    pub file: String,
    pub all: Vec<CompiledCondition>,
    pub any: Vec<CompiledCondition>,
    pub none: Vec<CompiledCondition>,
}

impl CompiledRule {
    pub fn compile(rule: Rule, file: &str) -> (Self, Vec<String>) {
        let mut problems = Vec::new();
        let mut compile_all = |conditions: &[Condition], what: &str| -> Vec<CompiledCondition> {
            conditions
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let mut p = Vec::new();
                    let compiled = CompiledCondition::compile(c, &mut p);
                    problems.extend(p.into_iter().map(|m| format!("match.{what}[{i}]: {m}")));
                    compiled
                })
                .collect()
        };
        let all = compile_all(&rule.matcher.all, "all");
        let any = compile_all(&rule.matcher.any, "any");
        let none = compile_all(&rule.matcher.none, "none");
        if all.is_empty() && any.is_empty() {
            problems.push("match needs at least one `all` or `any` condition".to_string());
        }
        (CompiledRule { rule, file: file.to_string(), all, any, none }, problems)
    }
}
