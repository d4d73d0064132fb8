//! Finds error codes in log text, in all the spellings servicing logs use.

use regex::Regex;
use std::sync::OnceLock;

mod scan;

/// A code found in a line, with the symbolic name the log printed next to it (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundCode {
    pub value: u32,
    pub name_in_log: Option<String>,
}

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

/// Cheap test run before the regex: is there a `0x`/`0X` or a `HRESULT_FROM`? (Runs on every line the CBS scan
/// picks out, so it builds no searcher per call.)
fn might_hold_a_code(bytes: &[u8]) -> bool {
    static FROM: OnceLock<memchr::memmem::Finder<'static>> = OnceLock::new();
    memchr::memchr2_iter(b'x', b'X', bytes).any(|at| at > 0 && bytes[at - 1] == b'0')
        || FROM.get_or_init(|| memchr::memmem::Finder::new("HRESULT_FROM")).find(bytes).is_some()
}

/// All codes in `text`, in order of appearance.
pub fn find_codes(text: &str) -> Vec<FoundCode> {
    if !might_hold_a_code(text.as_bytes()) {
        return Vec::new();
    }
    scan::codes(text)
}

/// The same as [`find_codes`], by the regex the scanner was written from (kept as the reference the tests
/// compare the scanner with on every line of every fixture).
#[doc(hidden)]
pub fn find_codes_by_regex(text: &str) -> Vec<FoundCode> {
    let mut found = Vec::new();
    for caps in code_regex().captures_iter(text) {
        if let Some(hex) = caps.get(1).or_else(|| caps.get(3)) {
            let Ok(value) = u32::from_str_radix(&hex.as_str()[2..], 16) else {
                continue;
            };
            let name = caps.get(2).map(|m| m.as_str().to_string()).filter(|n| n != "Unknown Error" && n != "Unknown");
            found.push(FoundCode { value, name_in_log: name });
        } else if let Some(symbol) = caps.get(4)
            && let Some(info) = patchdx_codes::lookup_name(symbol.as_str())
        {
            let value = patchdx_codes::win32_to_hresult_if_small(info.value);
            found.push(FoundCode { value, name_in_log: Some(format!("HRESULT_FROM_WIN32({})", symbol.as_str())) });
        }
    }
    found
}

/// The code that best describes the line's outcome: the first failure code, else the first code.
pub fn primary_code(text: &str) -> Option<FoundCode> {
    let codes = find_codes(text);
    let failure = codes.iter().position(|c| patchdx_codes::is_failure(c.value));
    match failure {
        Some(i) => codes.into_iter().nth(i),
        None => codes.into_iter().next(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_seen_in_real_cbs_logs() {
        let cases = [
            ("Failed to perform operation.  [HRESULT = 0x8024402c - Unknown Error]", 0x8024402c, None),
            (
                "Failed to resolve package [HRESULT = 0x800f0831 - CBS_E_STORE_CORRUPTION]",
                0x800f0831,
                Some("CBS_E_STORE_CORRUPTION"),
            ),
            ("Failed to FinalizeEx using worker session [HRESULT = 0x8024402c]", 0x8024402c, None),
            ("FC:   CFCAcquirerWUClient::Download(134): Result = 0x8024402C", 0x8024402c, None),
            ("FCAcquirerWUClient: WindowsUpdateDownloadFromUUP returns. [0x8024402C]", 0x8024402c, None),
            (
                "WER: Generating failure report for package: P, status: 0x800f0922, failure source: Execute",
                0x800f0922,
                None,
            ),
            (
                "(F) Attempting to mark store corrupt with category [l:18 ml:19]'CorruptPayloadFile'[gle=0x80004005]",
                0x80004005,
                None,
            ),
            (
                "API: PID=1 TID=2 The package is not applicable - CAddPackageCommandObject::InternalExecute(hr:0x800f081e)",
                0x800f081e,
                None,
            ),
            ("completed startup processing, new state: Installed.  hr = 0x0", 0, None),
        ];
        for (text, value, name) in cases {
            let code = primary_code(text).unwrap_or_else(|| panic!("no code in {text}"));
            assert_eq!(code.value, value, "{text}");
            assert_eq!(code.name_in_log.as_deref(), name, "{text}");
        }
    }

    #[test]
    fn failure_code_wins_over_success_code_on_the_same_line() {
        let code = primary_code("Maint: completed (hr: 0x00000000) then status: 0x800f0922").expect("code");
        assert_eq!(code.value, 0x800f0922);
    }
}
