//! The checks of a rule's metadata that the schema's types cannot express: id, category, both languages,
//! steps, references and examples. Severity and confidence need none: they deserialise only from their names.

use crate::problem::ProblemKind;
use crate::schema::Rule;
use std::collections::HashSet;

/// Every metadata problem of one rule.
pub(crate) fn metadata(rule: &Rule) -> Vec<ProblemKind> {
    let mut found = Vec::new();
    let mut say = |kind: ProblemKind| found.push(kind);
    if rule.id.is_empty() || !rule.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        say(ProblemKind::IdNotKebabCase);
    }
    if rule.category.trim().is_empty() {
        say(ProblemKind::EmptyCategory);
    }
    let texts = [("title.en", "title.zh-CN", &rule.title), ("explanation.en", "explanation.zh-CN", &rule.explanation)];
    for (en, zh_cn, text) in texts {
        if text.en.trim().is_empty() {
            say(ProblemKind::MissingText(en));
        }
        if text.zh_cn.trim().is_empty() {
            say(ProblemKind::MissingText(zh_cn));
        } else if !text.zh_cn.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
            say(ProblemKind::NoChineseText(zh_cn));
        }
    }
    if rule.remediation.en.is_empty() || rule.remediation.zh_cn.is_empty() {
        say(ProblemKind::MissingRemediation);
    } else if rule.remediation.en.len() != rule.remediation.zh_cn.len() {
        say(ProblemKind::RemediationMismatch { en: rule.remediation.en.len(), zh_cn: rule.remediation.zh_cn.len() });
    }
    if rule.collect.en.len() != rule.collect.zh_cn.len() {
        say(ProblemKind::CollectMismatch);
    }
    for reference in &rule.references {
        if !reference.starts_with("https://") {
            say(ProblemKind::NotHttps(reference.clone()));
        }
    }
    if rule.examples.positive.is_empty() {
        say(ProblemKind::NoPositiveExample);
    }
    let mut names = HashSet::new();
    for example in rule.examples.positive.iter().chain(&rule.examples.negative) {
        if !names.insert(example.name.as_str()) {
            say(ProblemKind::DuplicateExample(example.name.clone()));
        }
        if example.log.trim().is_empty() {
            say(ProblemKind::EmptyExample(example.name.clone()));
        }
    }
    found
}
