//! Rules checked and compiled for matching: patterns checked (and built on first use), codes and names resolved.
//! Compiling is all or nothing: a rule with any problem yields its problems and no [`CompiledRule`], so a
//! misspelt name can never leave a condition without its filter and match more than its author meant.

use crate::check;
use crate::problem::{Problem, ProblemKind};
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
    pub not_message: Option<Pattern>,
    pub update: Option<Pattern>,
    pub phase: Option<Pattern>,
    pub client: Option<Pattern>,
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
    pub fn build(&self) -> Result<(), regex::Error> {
        Regex::new(&self.text).map(|_| ())
    }
}

fn regex(text: &Option<String>, field: &'static str, problems: &mut Vec<ProblemKind>) -> Option<Pattern> {
    let text = text.as_ref()?;
    match regex_syntax::Parser::new().parse(text) {
        Ok(_) => Some(Pattern { text: text.clone(), built: OnceLock::new() }),
        Err(error) => {
            problems.push(ProblemKind::PatternSyntax { field, pattern: text.clone(), error });
            None
        }
    }
}

impl CompiledCondition {
    /// The condition's patterns with the field each applies to.
    pub fn patterns(&self) -> impl Iterator<Item = (&'static str, &Pattern)> {
        [
            ("message", &self.message),
            ("not_message", &self.not_message),
            ("update", &self.update),
            ("phase", &self.phase),
            ("client", &self.client),
        ]
        .into_iter()
        .filter_map(|(field, pattern)| pattern.as_ref().map(|p| (field, p)))
    }

    /// Compiles a condition, or says every problem it has (so lint can list them all).
    pub fn compile(condition: &Condition) -> Result<Self, Vec<ProblemKind>> {
        let mut problems = Vec::new();
        let mut out = CompiledCondition {
            sources: Vec::new(),
            actions: Vec::new(),
            levels: Vec::new(),
            codes: Vec::new(),
            message: regex(&condition.message, "message", &mut problems),
            not_message: regex(&condition.not_message, "not_message", &mut problems),
            update: regex(&condition.update, "update", &mut problems),
            phase: regex(&condition.phase, "phase", &mut problems),
            client: regex(&condition.client, "client", &mut problems),
        };
        for name in &condition.source {
            match Source::parse(name) {
                Some(s) => out.sources.push(s),
                None => problems.push(ProblemKind::UnknownSource(name.clone())),
            }
        }
        for name in &condition.action {
            match Action::from_name(name) {
                Some(a) => out.actions.push(a),
                None => problems.push(ProblemKind::UnknownAction(name.clone())),
            }
        }
        for name in &condition.level {
            match Level::from_name(name) {
                Some(l) => out.levels.push(l),
                None => problems.push(ProblemKind::UnknownLevel(name.clone())),
            }
        }
        for code in &condition.code {
            match patchdx_codes::parse_code(code) {
                Some(v) => out.codes.push(v),
                None => problems.push(ProblemKind::UnknownCode(code.clone())),
            }
        }
        let empty = out.sources.is_empty()
            && out.actions.is_empty()
            && out.levels.is_empty()
            && out.codes.is_empty()
            && out.message.is_none()
            && out.not_message.is_none()
            && out.update.is_none()
            && out.phase.is_none()
            && out.client.is_none();
        if empty && problems.is_empty() {
            problems.push(ProblemKind::EmptyCondition);
        }
        if problems.is_empty() { Ok(out) } else { Err(problems) }
    }

    pub fn matches(&self, event: &Event) -> bool {
        (self.sources.is_empty() || self.sources.contains(&event.source))
            && (self.actions.is_empty() || self.actions.contains(&event.action))
            && (self.levels.is_empty() || self.levels.contains(&event.level))
            && (self.codes.is_empty() || event.code.is_some_and(|c| self.codes.contains(&c)))
            && self.message.as_ref().is_none_or(|re| re.is_match(&event.message))
            && self.not_message.as_ref().is_none_or(|re| !re.is_match(&event.message))
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
    /// Compiles a rule read from `file`, or says every problem it has: its conditions' and its metadata's
    /// (id, category, both languages, references, examples). Ids shared between rules are checked by
    /// [`crate::RuleSet`], which sees them all.
    pub fn compile(rule: Rule, file: &str) -> Result<Self, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut compile_all = |conditions: &[Condition], what: &str| -> Vec<CompiledCondition> {
            let mut compiled = Vec::new();
            for (i, condition) in conditions.iter().enumerate() {
                match CompiledCondition::compile(condition) {
                    Ok(c) => compiled.push(c),
                    Err(kinds) => problems.extend(
                        kinds
                            .into_iter()
                            .map(|kind| Problem::new(file, Some(&rule.id), Some(format!("match.{what}[{i}]")), kind)),
                    ),
                }
            }
            compiled
        };
        let all = compile_all(&rule.matcher.all, "all");
        let any = compile_all(&rule.matcher.any, "any");
        let none = compile_all(&rule.matcher.none, "none");
        if rule.matcher.all.is_empty() && rule.matcher.any.is_empty() {
            problems.push(Problem::new(file, Some(&rule.id), None, ProblemKind::NoCondition));
        }
        problems.extend(check::metadata(&rule).into_iter().map(|kind| Problem::new(file, Some(&rule.id), None, kind)));
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(CompiledRule { rule, file: file.to_string(), all, any, none })
    }
}
