//! The error-code knowledge base: HRESULT / Win32 / NTSTATUS values with their symbolic names and meanings in
//! English and Simplified Chinese, compiled in from the sorted data files under `data/` (one file per family),
//! plus servicing details (causes, actions, references) for the codes that matter most when an update fails.
#![forbid(unsafe_code)]

mod decode;
mod details;
mod setupdiag;

pub use decode::{Decoded, Severity, decode, facility_name, nt_from_hresult};
pub use details::{CodeDetails, details, details_problems};
pub use setupdiag::{SetupStep, describe_extended, describe_extended_zh, parse_setupdiag, setup_steps};

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

/// The data files, by family. Each is sorted by value; values are unique across all of them.
pub const DATA_FILES: &[(&str, &str)] = &[
    ("win32.tsv", include_str!("../data/win32.tsv")),
    ("ktm_clfs.tsv", include_str!("../data/ktm_clfs.tsv")),
    ("appx.tsv", include_str!("../data/appx.tsv")),
    ("cbs.tsv", include_str!("../data/cbs.tsv")),
    ("setupapi.tsv", include_str!("../data/setupapi.tsv")),
    ("wu.tsv", include_str!("../data/wu.tsv")),
    ("mosetup.tsv", include_str!("../data/mosetup.tsv")),
    ("ntstatus.tsv", include_str!("../data/ntstatus.tsv")),
    ("bits_do.tsv", include_str!("../data/bits_do.tsv")),
    ("com_rpc.tsv", include_str!("../data/com_rpc.tsv")),
    ("dotnet.tsv", include_str!("../data/dotnet.tsv")),
    ("dism.tsv", include_str!("../data/dism.tsv")),
];

/// A problem found in a data file; a unit test keeps this list empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataProblem {
    pub file: &'static str,
    pub line: usize,
    pub what: String,
}

struct Table {
    codes: Vec<CodeInfo>,
    families: Vec<&'static str>,
    problems: Vec<DataProblem>,
}

fn parse_all() -> Table {
    let mut entries: Vec<(CodeInfo, &'static str)> = Vec::new();
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
            if !fields[3].chars().any(is_cjk) {
                problems.push(problem(format!("0x{value:08X}: the zh-CN message has no CJK characters")));
            }
            if fields[2].eq_ignore_ascii_case(fields[1]) {
                problems.push(problem(format!("0x{value:08X}: the English message just repeats the symbol")));
            }
            previous = Some(value);
            entries.push((CodeInfo { value, name: fields[1], en: fields[2], zh_cn: fields[3] }, file));
        }
    }
    entries.sort_by_key(|(c, _)| c.value);
    for pair in entries.windows(2) {
        if pair[0].0.value == pair[1].0.value {
            problems.push(DataProblem {
                file: pair[1].1,
                line: 0,
                what: format!("0x{:08X} is defined in both {} and {}", pair[1].0.value, pair[0].1, pair[1].1),
            });
        }
    }
    let families = entries.iter().map(|(_, f)| *f).collect();
    let codes = entries.into_iter().map(|(c, _)| c).collect();
    Table { codes, families, problems }
}

pub(crate) fn is_cjk(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3400}'..='\u{4DBF}').contains(&c)
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(parse_all)
}

/// Every known code, sorted by value.
pub fn all() -> &'static [CodeInfo] {
    &table().codes
}

/// Problems in the compiled-in data (must be empty; see tests).
pub fn data_problems() -> &'static [DataProblem] {
    &table().problems
}

/// Looks a 32-bit code up (binary search, O(log n)). A value in the table is returned as it is; an
/// HRESULT_FROM_NT value (an NTSTATUS with the N bit set, as CSI and CBS write them: `0xD0000034`) that is
/// not in the table itself is returned as the NTSTATUS it wraps, named `HRESULT_FROM_NT(STATUS_…)` and with
/// meanings that say it is the HRESULT form. SetupAPI's own form of its errors (`0xE0000248`) is returned as the
/// HRESULT it stands for (`0x800F0248`).
pub fn lookup(value: u32) -> Option<&'static CodeInfo> {
    let codes = all();
    match codes.binary_search_by_key(&value, |c| c.value) {
        Ok(i) => Some(&codes[i]),
        // SetupAPI writes its errors in their own form (`0xE0000248`); the HRESULT is `0x800F0248`.
        Err(_) if setupapi_to_hresult(value) != value => lookup(setupapi_to_hresult(value)),
        Err(_) => {
            nt_from_hresult(value)?;
            let derived = hresult_from_nt_table();
            derived.binary_search_by_key(&value, |c| c.value).ok().map(|i| &derived[i])
        }
    }
}

/// The HRESULT_FROM_NT form of every NTSTATUS in the table whose HRESULT form is not a table value itself.
/// Built once; the strings live as long as the program (one small allocation per NTSTATUS entry).
fn hresult_from_nt_table() -> &'static [CodeInfo] {
    static DERIVED: OnceLock<Vec<CodeInfo>> = OnceLock::new();
    DERIVED.get_or_init(|| {
        let t = table();
        let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        let mut out: Vec<CodeInfo> = t
            .codes
            .iter()
            .zip(&t.families)
            .filter(|(c, f)| **f == "ntstatus.tsv" && c.value & 0x1000_0000 == 0)
            .map(|(c, _)| (c, c.value | 0x1000_0000))
            .filter(|(_, hr)| nt_from_hresult(*hr).is_some() && t.codes.binary_search_by_key(hr, |c| c.value).is_err())
            .map(|(c, hr)| CodeInfo {
                value: hr,
                name: leak(format!("HRESULT_FROM_NT({})", c.name)),
                en: leak(format!("{} (HRESULT form of NTSTATUS 0x{:08X}).", c.en.trim_end_matches('.'), c.value)),
                zh_cn: leak(format!(
                    "{}（NTSTATUS 0x{:08X} 的 HRESULT 形式）。",
                    c.zh_cn.trim_end_matches('。'),
                    c.value
                )),
            })
            .collect();
        out.sort_by_key(|c| c.value);
        out
    })
}

/// The data file (family) a known code comes from, e.g. `cbs.tsv`; `ntstatus.tsv` for the HRESULT_FROM_NT form
/// of a known NTSTATUS.
pub fn family(value: u32) -> Option<&'static str> {
    let t = table();
    match t.codes.binary_search_by_key(&value, |c| c.value) {
        Ok(i) => Some(t.families[i]),
        Err(_) => lookup(value).map(|_| "ntstatus.tsv"),
    }
}

/// Looks a code up by its symbolic name (`ERROR_FILE_NOT_FOUND`, `CBS_E_STORE_CORRUPTION`).
pub fn lookup_name(name: &str) -> Option<&'static CodeInfo> {
    let find = |n: &str| all().iter().find(|c| c.name.eq_ignore_ascii_case(n));
    if let Some(nt) = name.strip_prefix("HRESULT_FROM_NT(").and_then(|n| n.strip_suffix(')')) {
        return find(nt).and_then(|c| lookup(c.value | 0x1000_0000));
    }
    find(name).or_else(|| {
        // HRESULT_FROM_WIN32(ERROR_X) names the Win32 code; our table holds its HRESULT form.
        let win32 = name.strip_prefix("HRESULT_FROM_WIN32(").and_then(|n| n.strip_suffix(')')).unwrap_or(name);
        find(win32).or_else(|| {
            // The SDK spells some WinINet HRESULTs WININET_E_X; the headers name the Win32 code ERROR_INTERNET_X.
            let upper = win32.to_ascii_uppercase();
            if let Some(rest) = upper.strip_prefix("WININET_E_") {
                find(&format!("ERROR_INTERNET_{rest}"))
            } else {
                find(&format!("WININET_E_{}", upper.strip_prefix("ERROR_INTERNET_")?))
            }
        })
    })
}

pub(crate) fn parse_hex(text: &str) -> Option<u32> {
    let digits = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X"))?;
    u32::from_str_radix(digits, 16).ok()
}

/// Win32 "success" codes that Windows carries as failure HRESULTs: the operation succeeded and only asks for a
/// restart. Servicing writes them with the failure bit set (`[HRESULT = 0x80070bc2 - ERROR_SUCCESS_REBOOT_REQUIRED]`),
/// so the bit alone would call a successful install a failure.
pub const SUCCESS_WITH_RESTART: &[u32] = &[
    0x8007_0BC2, // ERROR_SUCCESS_REBOOT_REQUIRED (3010)
    0x8007_0BC3, // ERROR_SUCCESS_RESTART_REQUIRED (3011)
    0x8007_0669, // ERROR_SUCCESS_REBOOT_INITIATED (1641)
];

/// True when the value is an HRESULT/NTSTATUS that reports failure: the severity bit is set and it is not one
/// of the success codes that only ask for a restart ([`SUCCESS_WITH_RESTART`]).
pub fn is_failure(value: u32) -> bool {
    value & 0x8000_0000 != 0 && !SUCCESS_WITH_RESTART.contains(&value)
}

/// Parses the spellings a code takes in logs and on the command line: `0x80073712`, `80073712`,
/// `-2147010798`, `2147956498`, short Win32 codes (`0x3712`, `14098`) which are turned into
/// HRESULT_FROM_WIN32, and SetupDiag's `0x8007000D-0x2000C` (the result code; see [`parse_setupdiag`]).
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
    if let Ok(decimal) = text.parse::<u64>() {
        let value = u32::try_from(decimal).ok()?;
        return Some(win32_to_hresult_if_small(value));
    }
    parse_setupdiag(text).map(|(error, _)| win32_to_hresult_if_small(error))
}

/// HRESULT_FROM_WIN32: Win32 error codes are 16-bit; facility 7 with the severity bit makes them HRESULTs.
/// SetupAPI's own form of its errors (`0xE0000248`, APPLICATION_ERROR_MASK | ERROR_SEVERITY_ERROR) as the
/// HRESULT it stands for (`0x800F0248`, FACILITY_SETUPAPI); any other value unchanged.
pub fn setupapi_to_hresult(value: u32) -> u32 {
    if value & 0xFFFF_0000 == 0xE000_0000 { 0x800F_0000 | (value & 0xFFFF) } else { value }
}

pub fn win32_to_hresult_if_small(value: u32) -> u32 {
    if value != 0 && value <= 0xFFFF { 0x8007_0000 | value } else { value }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_files_are_sorted_unique_and_complete() {
        assert_eq!(data_problems(), &[] as &[DataProblem]);
        assert!(all().len() >= 1500);
    }

    #[test]
    fn setupapi_own_form_reads_as_its_hresult() {
        let info = lookup(0xE000_0248).expect("SetupAPI's form of SPAPI_E_DEVICE_INSTALL_BLOCKED");
        assert_eq!((info.value, info.name), (0x800F_0248, "SPAPI_E_DEVICE_INSTALL_BLOCKED"));
        assert!(lookup(0xE000_FFFF).is_none());
    }

    #[test]
    fn component_store_corrupt_is_known_in_both_languages() {
        let info = lookup(0x80073712).expect("0x80073712 known");
        assert_eq!(info.name, "ERROR_SXS_COMPONENT_STORE_CORRUPT");
        assert!(info.zh_cn.contains("组件存储"));
        assert_eq!(family(0x80073712), Some("win32.tsv"));
    }

    #[test]
    fn names_resolve_including_aliases() {
        assert_eq!(lookup_name("CBS_E_STORE_CORRUPTION").map(|c| c.value), Some(0x800F0831));
        assert_eq!(lookup_name("HRESULT_FROM_WIN32(ERROR_DISK_FULL)").map(|c| c.value), Some(0x80070070));
        assert_eq!(lookup_name("WININET_E_TIMEOUT").map(|c| c.value), Some(0x80072EE2));
        assert_eq!(lookup_name("ERROR_INTERNET_TIMEOUT").map(|c| c.value), Some(0x80072EE2));
        assert_eq!(lookup_name("WININET_E_SEC_CERT_REVOKED").map(|c| c.value), Some(0x80072F8A));
    }
}
