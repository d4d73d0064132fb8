//! The rule file format: what a rule matches, the finding it produces and how to fix it, in English and
//! Simplified Chinese, with example log excerpts that must (and must not) fire it.

use serde::{Deserialize, Serialize};

/// Text in both languages.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Text {
    #[serde(default)]
    pub en: String,
    #[serde(default, rename = "zh-CN")]
    pub zh_cn: String,
}

/// A list of steps in both languages.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Steps {
    #[serde(default)]
    pub en: Vec<String>,
    #[serde(default, rename = "zh-CN")]
    pub zh_cn: Vec<String>,
}

patchdx_formats::named_enum! {
    /// How bad the finding is, least first (findings are ordered by it).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    pub enum Severity {
        Info = "info",
        Low = "low",
        Medium = "medium",
        High = "high",
        Critical = "critical",
    }
}

patchdx_formats::named_enum! {
    /// How sure the rule is of its cause when it fires, least first.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    pub enum Confidence {
        Low = "low",
        Medium = "medium",
        High = "high",
    }
}

/// Conditions on one event; every field given must hold.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Source kinds (`cbs`, `dism`, `reporting-events`, `setup-evtx`, …).
    #[serde(default)]
    pub source: Vec<String>,
    /// Actions (`install-failed`, `error`, `corruption-found`, …).
    #[serde(default)]
    pub action: Vec<String>,
    /// Levels (`error`, `warning`, …).
    #[serde(default)]
    pub level: Vec<String>,
    /// Codes in any spelling (`0x80073712`, `0x800f081f`).
    #[serde(default)]
    pub code: Vec<String>,
    /// Regular expression on the event message.
    #[serde(default)]
    pub message: Option<String>,
    /// Regular expression the event message must not match: the condition then holds for the other records
    /// only (`[SR]` results of files that are not the role-owned ones a benign rule names).
    #[serde(default)]
    pub not_message: Option<String>,
    /// Regular expression on the KB, title or package the event names.
    #[serde(default)]
    pub update: Option<String>,
    /// Regular expression on the phase (WER failure source, setup phase).
    #[serde(default)]
    pub phase: Option<String>,
    /// Regular expression on the client (CBS client, WU caller).
    #[serde(default)]
    pub client: Option<String>,
}

/// What a rule matches: every `all` condition and at least one `any` condition (when given) must be met by
/// some event, and no event may meet a `none` condition; `within_seconds` keeps the matched events close.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Match {
    #[serde(default)]
    pub all: Vec<Condition>,
    #[serde(default)]
    pub any: Vec<Condition>,
    #[serde(default)]
    pub none: Vec<Condition>,
    #[serde(default)]
    pub within_seconds: Option<u64>,
}

/// A log excerpt kept next to the rule: `file` is the name it is given (so that its kind is recognised).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub name: String,
    pub file: String,
    pub log: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    #[serde(default)]
    pub positive: Vec<Example>,
    #[serde(default)]
    pub negative: Vec<Example>,
}

/// One detection rule.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub title: Text,
    /// Root-cause category this rule names (`component-store-corruption`, `repair-source-missing`, …): one of
    /// [`crate::CATEGORIES`].
    pub category: String,
    pub severity: Severity,
    pub confidence: Confidence,
    #[serde(rename = "match")]
    pub matcher: Match,
    /// What the finding means, for the report.
    pub explanation: Text,
    pub remediation: Steps,
    /// Exact commands to run, in order.
    #[serde(default)]
    pub commands: Vec<String>,
    /// What to collect next and why.
    #[serde(default)]
    pub collect: Steps,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub examples: Examples,
}

/// A file of rules. Loading reads it rule by rule, so that a rule outside this schema is refused on its own.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    pub rules: Vec<Rule>,
}
