//! The knowledge base as a whole: data files, details, spellings and decoding.

use patchdx_codes::{
    DATA_FILES, DataProblem, Severity, all, data_problems, decode, describe_extended, details, details_problems,
    lookup, parse_code, parse_setupdiag,
};

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c))
}

#[test]
fn every_data_file_is_sorted_and_complete() {
    for (file, text) in DATA_FILES {
        let mut previous: Option<u32> = None;
        let mut count = 0;
        for (n, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 4, "{file}:{}: {line:?}", n + 1);
            assert!(fields.iter().all(|f| !f.trim().is_empty()), "{file}:{}: empty field", n + 1);
            let value = u32::from_str_radix(fields[0].trim_start_matches("0x"), 16).expect("hex value");
            assert!(previous.is_none_or(|p| p < value), "{file}:{}: not sorted", n + 1);
            assert!(has_cjk(fields[3]), "{file}:{}: zh-CN without CJK", n + 1);
            assert_ne!(fields[2].to_ascii_uppercase(), fields[1].to_ascii_uppercase(), "{file}:{}", n + 1);
            assert!(!fields[2].contains("TODO") && !fields[3].contains("TODO"), "{file}:{}", n + 1);
            previous = Some(value);
            count += 1;
        }
        assert!(count > 0, "{file} is empty");
    }
}

#[test]
fn no_value_is_defined_twice_across_families() {
    assert_eq!(data_problems(), &[] as &[DataProblem]);
    let values: Vec<u32> = all().iter().map(|c| c.value).collect();
    assert!(values.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn at_least_1500_codes() {
    assert!(all().len() >= 1500, "only {} codes", all().len());
}

const SERVICING: &[u32] = &[
    0x80073712, 0x800F081F, 0x800F0906, 0x800F0907, 0x800F0922, 0x800F0831, 0x800F0984, 0x800F0988, 0x800F081E,
    0x800F0823, 0x800F0826, 0x800F082A, 0x80070BC9, 0x80070070, 0x800F0828, 0x80070005, 0x80070020, 0x80070643,
    0x8024402C, 0x80072EE2, 0x80072EFD, 0x8024401C, 0x80246007, 0x80240022, 0x8024200B, 0x800F0816, 0x800F080C,
    0x8007000D, 0x80070002, 0x80070003, 0xC1900101, 0xC1900208, 0xC1900200, 0xC1900107, 0x80070652, 0x800704C7,
    0x8007045B,
];

#[test]
fn servicing_codes_have_details_in_both_languages() {
    assert_eq!(details_problems(), &[] as &[String]);
    for &value in SERVICING {
        assert!(lookup(value).is_some(), "0x{value:08X} has no table entry");
        let d = details(value).unwrap_or_else(|| panic!("0x{value:08X} has no details"));
        assert!(!d.causes_en.is_empty() && d.causes_en.len() == d.causes_zh_cn.len(), "0x{value:08X} causes");
        assert!(!d.actions_en.is_empty() && d.actions_en.len() == d.actions_zh_cn.len(), "0x{value:08X} actions");
        assert!(d.causes_zh_cn.iter().chain(&d.actions_zh_cn).all(|s| has_cjk(s)), "0x{value:08X} zh");
        assert!(d.references.iter().all(|r| r.starts_with("https://learn.microsoft.com/")), "0x{value:08X}");
        assert!(!d.references.is_empty(), "0x{value:08X} references");
    }
    let source_missing = details(0x800F081F).expect("details");
    assert!(source_missing.actions_en.iter().any(|a| a.contains("/Source:wim:") && a.contains("/LimitAccess")));
}

#[test]
fn every_spelling_parses() {
    for spelling in ["0x80073712", "80073712", "-2147010798", "2147956498", "0x3712", "14098"] {
        assert_eq!(parse_code(spelling), Some(0x80073712), "{spelling}");
    }
    assert_eq!(parse_code("0xC0150004"), Some(0xC0150004));
    assert_eq!(parse_code("0x8007000D-0x2000C"), Some(0x8007000D));
    assert_eq!(parse_setupdiag("0x8007000D-0x2000C"), Some((0x8007000D, 0x2000C)));
    assert!(describe_extended(0x2000C).is_some_and(|d| d.contains("Safe OS") && d.contains("applying the image")));
    assert_eq!(parse_code("2024-05-01"), None);
    assert_eq!(parse_code("banana"), None);
}

#[test]
fn unknown_values_decode_structurally() {
    let value = 0x8024_F00D;
    assert!(lookup(value).is_none());
    let d = decode(value);
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.facility_name, "WINDOWSUPDATE");
    assert_eq!(d.code, 0xF00D);
    assert!(!d.customer && !d.ntstatus);
    let customer = decode(0xA00B_1234);
    assert!(customer.customer);
    let nt = decode(0xC0AB_0001);
    assert!(nt.ntstatus && nt.facility_name == "NTSTATUS" && nt.severity == Severity::Error);
}

/// Class: a success that only asks for a restart is never a failure code, although servicing writes it with
/// the failure bit set (`[HRESULT = 0x80070bc2 - ERROR_SUCCESS_REBOOT_REQUIRED]`).
#[test]
fn success_codes_that_ask_for_a_restart_are_not_failures() {
    for value in [0x8007_0BC2, 0x8007_0BC3, 0x8007_0669, 0x0000_0001, 0x0024_0001] {
        assert!(!patchdx_codes::is_failure(value), "0x{value:08X}");
    }
    for value in [0x8007_0BC9, 0x800F_0922, 0x8007_3712, 0xC190_0101] {
        assert!(patchdx_codes::is_failure(value), "0x{value:08X}");
    }
    assert_eq!(decode(0x8007_0BC2).severity, Severity::Success);
}
