//! Reads one rule file into its rules. A rule that does not follow the schema (an unknown key, a missing field,
//! a value of the wrong kind) is refused on its own, with its id, and the file's other rules still load; only a
//! file that is not YAML, or not a `rules:` list, is refused whole.

use crate::problem::{Problem, ProblemKind};
use crate::schema::Rule;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::collections::BTreeSet;
use std::fmt;

/// The rules of one file that follow the schema, in order, and a problem for each part that does not.
pub(crate) fn rules_of(file: &str, text: &str) -> (Vec<Rule>, Vec<Problem>) {
    // The streaming deserialiser cannot carry on inside a rule after an error, so a broken rule is found by its
    // error's position and the file read again with that rule skipped unread (once per broken rule).
    let mut skip = BTreeSet::new();
    let mut problems = Vec::new();
    let mut heads = None;
    loop {
        let read = serde_saphyr::with_deserializer_from_str(text, |de| FileSeed { skip: &skip }.deserialize(de));
        let err = match read {
            Ok(rules) => return (rules, problems),
            Err(err) => err,
        };
        let message = plain(&err);
        let heads = heads.get_or_insert_with(|| rule_heads(text));
        match err.location().and_then(|at| owner(heads.as_deref()?, at.line(), at.column())) {
            Some(index) if skip.insert(index) => {
                let id = heads.as_deref().and_then(|h| h[index].id.as_deref());
                let at = id.is_none().then(|| format!("rules[{index}]"));
                problems.push(Problem::new(file, id, at, ProblemKind::InvalidRule(message)));
            }
            _ => {
                problems.push(Problem::new(file, None, None, ProblemKind::InvalidFile(message)));
                return (Vec::new(), problems);
            }
        }
    }
}

/// The error on one line, with its position and no source excerpt (lint prints one problem a line).
fn plain(err: &serde_saphyr::Error) -> String {
    let options = serde_saphyr::render_options! { snippets: serde_saphyr::SnippetMode::Off };
    err.render_with_options(options).replace('\n', " ")
}

/// Where each rule of the file starts, and its id when it has a readable one.
struct Head {
    id: Option<String>,
    line: u64,
    column: u64,
}

#[derive(serde::Deserialize)]
struct LooseFile {
    rules: Vec<serde_saphyr::Spanned<LooseRule>>,
}

/// A rule read for its id only (every other key is passed over).
#[derive(serde::Deserialize)]
struct LooseRule {
    #[serde(default)]
    id: Option<String>,
}

fn rule_heads(text: &str) -> Option<Vec<Head>> {
    let file: LooseFile = serde_saphyr::from_str(text).ok()?;
    let heads = file.rules.into_iter().map(|r| Head {
        id: r.value.id,
        line: r.referenced.line(),
        column: r.referenced.column(),
    });
    Some(heads.collect())
}

/// The rule an error at this position is inside: the last one to start before it, if the error is not to the
/// left of it (which would put it at the top level of the file, after the list).
fn owner(heads: &[Head], line: u64, column: u64) -> Option<usize> {
    let index = heads.iter().rposition(|h| (h.line, h.column) <= (line, column))?;
    (column >= heads[index].column).then_some(index)
}

/// The `rules:` of a file, with the rules whose indexes are in `skip` passed over unread.
struct FileSeed<'a> {
    skip: &'a BTreeSet<usize>,
}

impl<'de> DeserializeSeed<'de> for FileSeed<'_> {
    type Value = Vec<Rule>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<Rule>, D::Error> {
        deserializer.deserialize_struct("RuleFile", &["rules"], self)
    }
}

impl<'de> Visitor<'de> for FileSeed<'_> {
    type Value = Vec<Rule>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a rule file: `rules:` and a list of rules")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<Rule>, A::Error> {
        let mut rules = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "rules" if rules.is_some() => return Err(de::Error::duplicate_field("rules")),
                "rules" => rules = Some(map.next_value_seed(RulesSeed { skip: self.skip })?),
                other => return Err(de::Error::unknown_field(other, &["rules"])),
            }
        }
        rules.ok_or_else(|| de::Error::missing_field("rules"))
    }
}

struct RulesSeed<'a> {
    skip: &'a BTreeSet<usize>,
}

impl<'de> DeserializeSeed<'de> for RulesSeed<'_> {
    type Value = Vec<Rule>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<Rule>, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RulesSeed<'_> {
    type Value = Vec<Rule>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of rules")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Rule>, A::Error> {
        let mut rules = Vec::new();
        for index in 0.. {
            if self.skip.contains(&index) {
                if seq.next_element::<IgnoredAny>()?.is_none() {
                    break;
                }
            } else {
                match seq.next_element::<Rule>()? {
                    Some(rule) => rules.push(rule),
                    None => break,
                }
            }
        }
        Ok(rules)
    }
}
