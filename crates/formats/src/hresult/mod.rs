//! Finds error codes in log text, in all the spellings servicing logs use.

use std::sync::OnceLock;

mod scan;

/// A code found in a line, with the symbolic name the log printed next to it (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundCode {
    pub value: u32,
    pub name_in_log: Option<String>,
}

/// Cheap test run before the scanner: is there a `0x`/`0X` or a `HRESULT_FROM`? (Runs on every line the CBS scan
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
