//! The hand-written code scanner must find exactly what the regex it replaced (kept here as the reference)
//! finds: same values, same names, same order, on every line of every text fixture and on lines written to
//! probe each rule of the regex.

use patchdx_formats::hresult::{FoundCode, find_codes};
use patchdx_testkit::fixtures::fixtures_dir;
use regex::Regex;
use std::sync::OnceLock;

/// The regex the scanner replaced: every spelling of a code servicing logs use.
fn code_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?x)
            (?:HRESULT\s*=\s*|\bhr\s*[:=]\s*|\bhrStatus:\s*|\bstatus[:=]?\s+|\bresult[:=]?\s*|\bResult\s*=\s*|gle=|\berror:?\s+|\bstatus:\s*)
            (0[xX][0-9A-Fa-f]{1,8})
            (?:\s*-\s*([A-Z][A-Za-z0-9_]+(?:\s[A-Z][a-z]+)?))?
            |
            \[(0[xX][0-9A-Fa-f]{8})\]
            |
            HRESULT_FROM_WIN32\(([A-Z_0-9]+)\)
            ",
        )
        .expect("static regex")
    })
}

/// The codes the regex finds, read the way the scanner reports them.
fn find_codes_by_regex(text: &str) -> Vec<FoundCode> {
    let mut found = Vec::new();
    for caps in code_regex().captures_iter(text) {
        if let Some(hex) = caps.get(1).or_else(|| caps.get(3)) {
            let Ok(value) = u32::from_str_radix(&hex.as_str()[2..], 16) else {
                continue;
            };
            let name = caps.get(2).map(|m| m.as_str().to_string()).filter(|n| n != "Unknown Error" && n != "Unknown");
            found.push(FoundCode { value, name_in_log: name });
        } else if let Some(symbol) = caps.get(4) {
            let symbol = symbol.as_str();
            // A Win32 number (`HRESULT_FROM_WIN32(1753)`, as CSI writes completion statuses) or a symbol.
            let value = if symbol.bytes().all(|b| b.is_ascii_digit()) {
                symbol.parse::<u32>().ok().filter(|n| *n <= 0xFFFF).map(patchdx_codes::win32_to_hresult_if_small)
            } else {
                patchdx_codes::lookup_name(symbol).map(|info| patchdx_codes::win32_to_hresult_if_small(info.value))
            };
            if let Some(value) = value {
                found.push(FoundCode { value, name_in_log: Some(format!("HRESULT_FROM_WIN32({symbol})")) });
            }
        }
    }
    found
}

fn assert_same(line: &str, origin: &str) {
    let fast = find_codes(line);
    let reference = find_codes_by_regex(line);
    assert_eq!(fast, reference, "{origin}: {line:?}");
}

#[test]
fn probe_lines_of_every_rule() {
    let lines = [
        "Failed to perform operation.  [HRESULT = 0x8024402c - Unknown Error]",
        "Failed [HRESULT=0x800f0831 - CBS_E_STORE_CORRUPTION]",
        "x HRESULT =0X80070005",
        "XHRESULT = 0x5 - E_X Done",
        "hr: 0x0 then hr =0x800f081e and hr:0x1 and hr : 0x2 and chr: 0x3",
        "hrStatus: 0x80070002 xhrStatus: 0x4",
        "status 0x5 status: 0x6 status:0x7 status=0x8 status= 0x9 mystatus 0xA status0xB",
        "result 0x5 result:0x6 result=0x7 result0x8 Result = 0x9 Result=0xA HResult = 0xB",
        "gle=0x80004005 gle= 0x5 [gle=0x80004005]",
        "error 0x5 error: 0x6 error:0x7 myerror 0x8 Error 0x9",
        "returns. [0x8024402C] [0x8024402] [0x8024402C1] [0x80244 02C]",
        "HRESULT_FROM_WIN32(ERROR_SXS_COMPONENT_STORE_CORRUPT) HRESULT_FROM_WIN32(NOT_A_NAME) HRESULT_FROM_WIN32()",
        "Completion status: HRESULT_FROM_WIN32(1753) HRESULT_FROM_WIN32(0) HRESULT_FROM_WIN32(99999)",
        "hr = 0x1 - Result = 0x2",
        "hr = 0x1 - Unknown Error hr = 0x2 - Unknown hr = 0x3 - A hr = 0x4 -Ab Cd hr = 0x5 - Ab cd",
        "hr = 0x123456789 hr = 0x hr = 0xg",
        "status: 0x800f0922, failure source: Execute, start state: Staged",
        "Maint: completed (hr: 0x00000000) then status: 0x800f0922",
        "héhr: 0x5 é hr: 0x6",
        "",
        "0x",
        "H",
    ];
    for line in lines {
        assert_same(line, "probe");
    }
    // The probes must exercise matches, not only agree on finding nothing.
    assert_eq!(find_codes("hr = 0x1 - Result = 0x2").len(), 1);
    assert_eq!(find_codes(lines[4]).len(), 4);
    assert_eq!(find_codes(lines[10]).len(), 1);
}

#[test]
fn every_line_of_every_text_fixture() {
    let Some(root) = fixtures_dir() else { return };
    let bundle = patchdx_formats::registry::open(&root, &Default::default()).expect("open fixtures");
    let (mut lines, mut with_codes) = (0usize, 0usize);
    for entry in &bundle.entries {
        let Ok(mut reader) = entry.chunks() else { continue };
        if entry.encoding.is_none() {
            continue;
        }
        while let Ok(Some(chunk)) = reader.next_chunk() {
            for line in String::from_utf8_lossy(chunk.text()).lines() {
                lines += 1;
                with_codes += usize::from(!find_codes(line).is_empty());
                assert_same(line, &entry.path);
            }
        }
    }
    assert!(lines > 500_000, "only {lines} lines compared");
    eprintln!("{lines} fixture lines compared, {with_codes} with codes");
    assert!(with_codes > 10_000, "only {with_codes} lines with codes");
}
