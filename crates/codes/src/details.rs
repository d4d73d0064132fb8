//! Servicing details for the codes that matter most: typical causes, what to do (with exact commands) and
//! Microsoft Learn references, in English and Simplified Chinese, from `data/details.tsv`.

use crate::{is_cjk, parse_hex};
use serde::Serialize;
use std::sync::OnceLock;

/// Causes, actions and references for one code.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct CodeDetails {
    pub value: u32,
    pub causes_en: Vec<&'static str>,
    pub causes_zh_cn: Vec<&'static str>,
    pub actions_en: Vec<&'static str>,
    pub actions_zh_cn: Vec<&'static str>,
    pub references: Vec<&'static str>,
}

const DETAILS: &str = include_str!("../data/details.tsv");

fn parse() -> (Vec<CodeDetails>, Vec<String>) {
    let mut out: Vec<CodeDetails> = Vec::new();
    let mut problems = Vec::new();
    for (index, line) in DETAILS.lines().enumerate() {
        let n = index + 1;
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if let Some(head) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            match parse_hex(head) {
                Some(value) => {
                    if out.last().is_some_and(|d| d.value >= value) {
                        problems.push(format!("details.tsv:{n}: 0x{value:08X} is out of order or repeated"));
                    }
                    out.push(CodeDetails { value, ..CodeDetails::default() });
                }
                None => problems.push(format!("details.tsv:{n}: bad header {line:?}")),
            }
            continue;
        }
        let Some(current) = out.last_mut() else {
            problems.push(format!("details.tsv:{n}: entry before the first [0x…] header"));
            continue;
        };
        let fields: Vec<&'static str> = line.split('\t').collect();
        match fields.as_slice() {
            ["cause", en, zh] | ["action", en, zh] if !en.trim().is_empty() && zh.chars().any(is_cjk) => {
                if fields[0] == "cause" {
                    current.causes_en.push(en);
                    current.causes_zh_cn.push(zh);
                } else {
                    current.actions_en.push(en);
                    current.actions_zh_cn.push(zh);
                }
            }
            ["ref", url] if url.starts_with("https://") => current.references.push(url),
            _ => problems.push(format!("details.tsv:{n}: malformed line {line:?}")),
        }
    }
    (out, problems)
}

fn table() -> &'static (Vec<CodeDetails>, Vec<String>) {
    static TABLE: OnceLock<(Vec<CodeDetails>, Vec<String>)> = OnceLock::new();
    TABLE.get_or_init(parse)
}

/// Servicing details for a code (binary search), if patchdx has them.
pub fn details(value: u32) -> Option<&'static CodeDetails> {
    let all = &table().0;
    all.binary_search_by_key(&value, |d| d.value).ok().map(|i| &all[i])
}

/// Problems in `details.tsv` (must be empty; see tests).
pub fn details_problems() -> &'static [String] {
    &table().1
}
