//! The checks of a rule's metadata that the schema's types cannot express: id, category, both languages,
//! steps, references and examples. Severity and confidence need none: they deserialise only from their names.

use crate::categories;
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
    if categories::find(&rule.category).is_none() {
        say(ProblemKind::UnknownCategory(rule.category.clone()));
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
    if rule.matcher.within_seconds == Some(0) {
        say(ProblemKind::ZeroWindow);
    }
    for reference in &rule.references {
        if !is_https_url(reference) {
            say(ProblemKind::NotHttps(reference.clone()));
        }
    }
    if rule.examples.positive.is_empty() {
        say(ProblemKind::NoPositiveExample);
    }
    if rule.examples.negative.is_empty() {
        say(ProblemKind::NoNegativeExample);
    }
    let mut names = HashSet::new();
    for example in rule.examples.positive.iter().chain(&rule.examples.negative) {
        if !names.insert(example.name.as_str()) {
            say(ProblemKind::DuplicateExample(example.name.clone()));
        }
        if example.log.trim().is_empty() {
            say(ProblemKind::EmptyExample(example.name.clone()));
        }
        if example.file.trim().is_empty() {
            say(ProblemKind::ExampleWithoutFile(example.name.clone()));
        }
    }
    let lists = [
        ("remediation.en", &rule.remediation.en),
        ("remediation.zh-CN", &rule.remediation.zh_cn),
        ("collect.en", &rule.collect.en),
        ("collect.zh-CN", &rule.collect.zh_cn),
        ("commands", &rule.commands),
    ];
    for (what, items) in lists {
        for (i, item) in items.iter().enumerate() {
            if item.trim().is_empty() {
                say(ProblemKind::EmptyItem(format!("{what}[{i}]")));
            }
        }
    }
    found
}

/// `https://` and a host: the report links references, and a plain-http or malformed link is a mistake.
fn is_https_url(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("https://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    !host.is_empty() && !text.chars().any(char::is_whitespace)
}
