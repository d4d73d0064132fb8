//! What can be wrong with rules: a [`Problem`] says where (file, rule, field) and its [`ProblemKind`] what; a
//! [`RuleError`] is a folder of rules that cannot be read at all. A rule with any problem is not loaded.

use std::fmt;
use std::path::PathBuf;

/// A problem with a rule file or one of its rules, as `rules lint` reports it: `file [rule]: at: what`.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The rule file's name.
    pub file: String,
    /// The id of the rule it concerns; `None` for the whole file (or a rule without an id, see `at`).
    pub rule: Option<String>,
    /// Where in the rule or file: `match.all[0]`, `rules[3]`; `None` for the rule as a whole.
    pub at: Option<String>,
    pub kind: ProblemKind,
}

impl Problem {
    pub fn new(file: &str, rule: Option<&str>, at: Option<String>, kind: ProblemKind) -> Self {
        Problem { file: file.to_string(), rule: rule.map(str::to_string), at, kind }
    }

    /// What is wrong and where in the rule, without the file and rule id: `match.all[0]: source "cbz" is …`.
    pub fn message(&self) -> String {
        match &self.at {
            Some(at) => format!("{at}: {}", self.kind),
            None => self.kind.to_string(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.rule {
            Some(rule) => write!(f, "{} [{rule}]: {}", self.file, self.message()),
            None => write!(f, "{}: {}", self.file, self.message()),
        }
    }
}

impl std::error::Error for Problem {}

/// What is wrong. The messages are the ones `rules lint` prints; new kinds may be added.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ProblemKind {
    /// The file is not YAML, or not a `rules:` list; none of its rules is loaded.
    #[error("not a valid rule file: {0}")]
    InvalidFile(String),
    /// The rule does not follow the schema (an unknown key, a missing field, a value of the wrong kind).
    #[error("not a valid rule: {0}")]
    InvalidRule(String),
    #[error("source {0:?} is not a source kind")]
    UnknownSource(String),
    #[error("action {0:?} is not an action")]
    UnknownAction(String),
    #[error("level {0:?} is not a level")]
    UnknownLevel(String),
    #[error("code {0:?} is not a code")]
    UnknownCode(String),
    #[error("{field}: regular expression {pattern:?} does not compile: {}", syntax_summary(.error))]
    PatternSyntax { field: &'static str, pattern: String, error: regex_syntax::Error },
    /// A pattern that parses but cannot be built (beyond the size limits); found by `with_patterns_built`.
    #[error("{field}: regular expression cannot be built: {error}")]
    PatternTooLarge { field: &'static str, error: regex::Error },
    #[error("a condition must test at least one field")]
    EmptyCondition,
    #[error("match needs at least one `all` or `any` condition")]
    NoCondition,
    #[error("within_seconds must be at least 1")]
    ZeroWindow,
    #[error("category {0:?} is not a category (the list is crates/rules/src/categories.rs)")]
    UnknownCategory(String),
    #[error("id is used by another rule")]
    DuplicateId,
    #[error("id must be kebab-case (a-z, 0-9, -)")]
    IdNotKebabCase,
    /// `title.en`, `explanation.zh-CN`, … is empty.
    #[error("{0} is missing")]
    MissingText(&'static str),
    #[error("{0} has no Chinese text")]
    NoChineseText(&'static str),
    #[error("remediation needs steps in both en and zh-CN")]
    MissingRemediation,
    #[error("remediation has {en} en steps but {zh_cn} zh-CN steps")]
    RemediationMismatch { en: usize, zh_cn: usize },
    #[error("collect needs the same number of en and zh-CN items")]
    CollectMismatch,
    /// A step, command or collect item that is only blanks (`remediation.en[2]`, `commands[0]`).
    #[error("{0} is empty")]
    EmptyItem(String),
    #[error("reference {0:?} is not an https URL")]
    NotHttps(String),
    #[error("needs at least one positive example")]
    NoPositiveExample,
    #[error("needs at least one negative example")]
    NoNegativeExample,
    #[error("example name {0:?} is used twice")]
    DuplicateExample(String),
    #[error("example {0:?} has no log text")]
    EmptyExample(String),
    #[error("example {0:?} names no file")]
    ExampleWithoutFile(String),
}

/// A pattern's syntax error on one line (the regex crate draws a caret under the pattern over three lines,
/// which breaks the one-problem-a-line output of `rules lint`).
fn syntax_summary(error: &regex_syntax::Error) -> String {
    match error {
        regex_syntax::Error::Parse(e) => format!("{} (at column {})", e.kind(), e.span().start.column),
        regex_syntax::Error::Translate(e) => format!("{} (at column {})", e.kind(), e.span().start.column),
        other => other.to_string().replace('\n', " "),
    }
}

/// A folder of rules that cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    #[error("cannot list the rules folder {}", path.display())]
    ReadDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the rule file {}", path.display())]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl RuleError {
    /// The folder or file that could not be read.
    pub fn path(&self) -> &std::path::Path {
        match self {
            RuleError::ReadDir { path, .. } | RuleError::ReadFile { path, .. } => path,
        }
    }
}
