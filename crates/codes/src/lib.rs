//! The error-code knowledge base: HRESULT / Win32 / NTSTATUS values with their symbolic names and meanings in
//! English and Simplified Chinese, compiled in from the sorted data files under `data/`.
#![forbid(unsafe_code)]

use serde::Serialize;
use std::sync::OnceLock;

/// One known code.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CodeInfo {
    pub value: u32,
    pub name: &'static str,
    pub en: &'static str,
    pub zh_cn: &'static str,
}

const DATA_FILES: &[(&str, &str)] = &[("servicing.tsv", include_str!("../data/servicing.tsv"))];

/// A problem found in a data file; a unit test keeps this list empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataProblem {
    pub file: &'static str,
    pub line: usize,
    pub what: String,
}

fn parse_all() -> (Vec<CodeInfo>, Vec<DataProblem>) {
    let mut codes = Vec::new();
    let mut problems = Vec::new();
    for (file, text) in DATA_FILES {
        let mut previous: Option<u32> = None;
        for (index, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let fields: Vec<&'static str> = line.split('\t').collect();
            let problem = |what: String| DataProblem { file, line: index + 1, what };
            if fields.len() != 4 || fields.iter().any(|f| f.trim().is_empty()) {
                problems.push(problem(format!("expected 4 non-empty tab-separated fields, got {}", fields.len())));
                continue;
            }
            let Some(value) = parse_hex(fields[0]) else {
                problems.push(problem(format!("bad value {:?}", fields[0])));
                continue;
            };
            if let Some(prev) = previous
                && prev >= value
            {
                problems.push(problem(format!("0x{value:08X} is not sorted after 0x{prev:08X} (or duplicates it)")));
            }
            previous = Some(value);
            codes.push(CodeInfo { value, name: fields[1], en: fields[2], zh_cn: fields[3] });
        }
    }
    codes.sort_by_key(|c| c.value);
    (codes, problems)
}

fn table() -> &'static (Vec<CodeInfo>, Vec<DataProblem>) {
    static TABLE: OnceLock<(Vec<CodeInfo>, Vec<DataProblem>)> = OnceLock::new();
    TABLE.get_or_init(parse_all)
}

/// Every known code, sorted by value.
pub fn all() -> &'static [CodeInfo] {
    &table().0
}

/// Problems in the compiled-in data (must be empty; see tests).
pub fn data_problems() -> &'static [DataProblem] {
    &table().1
}

/// Looks a 32-bit code up exactly.
pub fn lookup(value: u32) -> Option<&'static CodeInfo> {
    let codes = all();
    codes.binary_search_by_key(&value, |c| c.value).ok().map(|i| &codes[i])
}

/// Looks a code up by its symbolic name (`ERROR_FILE_NOT_FOUND`, `CBS_E_STORE_CORRUPTION`).
pub fn lookup_name(name: &str) -> Option<&'static CodeInfo> {
    all().iter().find(|c| c.name.eq_ignore_ascii_case(name)).or_else(|| {
        // HRESULT_FROM_WIN32(ERROR_X) names the Win32 code; our table holds its HRESULT form.
        let win32 = name.strip_prefix("HRESULT_FROM_WIN32(").and_then(|n| n.strip_suffix(')')).unwrap_or(name);
        all().iter().find(|c| c.name.eq_ignore_ascii_case(win32))
    })
}

fn parse_hex(text: &str) -> Option<u32> {
    let digits = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X"))?;
    u32::from_str_radix(digits, 16).ok()
}

/// True when the value is an HRESULT/NTSTATUS that reports failure (severity bit set).
pub fn is_failure(value: u32) -> bool {
    value & 0x8000_0000 != 0
}

/// Parses the spellings a code takes in logs and on the command line: `0x80073712`, `80073712`,
/// `-2147010798`, `2147956498`, and short Win32 codes (`0x3712`, `14098`) which are turned into
/// HRESULT_FROM_WIN32.
pub fn parse_code(text: &str) -> Option<u32> {
    let text = text.trim();
    if let Some(value) = parse_hex(text) {
        return Some(win32_to_hresult_if_small(value));
    }
    if let Some(rest) = text.strip_prefix('-') {
        let magnitude: i64 = rest.parse().ok()?;
        let signed = i32::try_from(-magnitude).ok()?;
        return Some(signed as u32);
    }
    if text.len() == 8 && text.chars().all(|c| c.is_ascii_hexdigit()) {
        // Eight hex digits with no prefix are how ReportingEvents and many tools print an HRESULT.
        if let Ok(value) = u32::from_str_radix(text, 16)
            && (is_failure(value) || !text.chars().all(|c| c.is_ascii_digit()))
        {
            return Some(value);
        }
    }
    let decimal: u64 = text.parse().ok()?;
    let value = u32::try_from(decimal).ok()?;
    Some(win32_to_hresult_if_small(value))
}

/// HRESULT_FROM_WIN32: Win32 error codes are 16-bit; facility 7 with the severity bit makes them HRESULTs.
pub fn win32_to_hresult_if_small(value: u32) -> u32 {
    if value != 0 && value <= 0xFFFF { 0x8007_0000 | value } else { value }
}

/// The facility field of an HRESULT, named where it matters for servicing.
pub fn facility_name(value: u32) -> &'static str {
    if value & 0xC000_0000 == 0xC000_0000 && value & 0x1000_0000 == 0 {
        return "NTSTATUS";
    }
    match (value >> 16) & 0x1FFF {
        0 => "NULL",
        1 => "RPC",
        4 => "ITF",
        7 => "WIN32",
        11 => "SETUPAPI",
        12 => "INTERNET",
        15 => "SXS/CBS",
        21 => "WINDOWSUPDATE",
        36 => "WINDOWSUPDATE",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_files_are_sorted_unique_and_complete() {
        assert_eq!(data_problems(), &[] as &[DataProblem]);
        assert!(all().len() >= 80);
    }

    #[test]
    fn component_store_corrupt_is_known_in_both_languages() {
        let info = lookup(0x80073712).expect("0x80073712 known");
        assert_eq!(info.name, "ERROR_SXS_COMPONENT_STORE_CORRUPT");
        assert!(info.zh_cn.contains("组件存储"));
    }

    #[test]
    fn every_spelling_of_the_case_code_parses_to_the_same_value() {
        for spelling in ["0x80073712", "80073712", "-2147010798", "2147956498", "0x3712", "14098"] {
            assert_eq!(parse_code(spelling), Some(0x80073712), "{spelling}");
        }
        assert_eq!(parse_code("0xC0150004"), Some(0xC0150004));
        assert_eq!(parse_code("0"), Some(0));
        assert_eq!(parse_code("banana"), None);
    }
}
