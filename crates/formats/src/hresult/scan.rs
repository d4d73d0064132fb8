//! Finds codes by hand instead of by regex: every line the CBS scan picks out is searched for codes, and the
//! regex (a lazy DFA, then a backtracker for the groups) was the costliest step of reading such a line.
//!
//! It accepts exactly what the regex it was written from accepts (kept in `tests/hresult_scanner.rs`), with the
//! same leftmost, non-overlapping
//! order of matches; `tests/hresult_scanner.rs` compares the two on every line of every fixture.

use super::FoundCode;

/// Start of the text that a key before `0x` occupies (`HRESULT = `, `hr: `, `status `, `gle=`, …), or None
/// when no key the regex knows precedes `0x` at `hex_at`.
fn key_start(b: &[u8], hex_at: usize) -> Option<usize> {
    let before_blanks = skip_blanks_back(b, hex_at);
    let blanks = hex_at - before_blanks;
    let ends_word = |end: usize, word: &[u8]| {
        end >= word.len() && &b[end - word.len()..end] == word && boundary_before(b, end - word.len())
    };
    // `HRESULT\s*=\s*`, `\bhr\s*[:=]\s*`, `\bResult\s*=\s*` (blanks on both sides of the separator)
    if before_blanks > 0 && matches!(b[before_blanks - 1], b'=' | b':') {
        let sep = before_blanks - 1;
        let word_end = skip_blanks_back(b, sep);
        if b[sep] == b'=' && word_end >= 7 && &b[word_end - 7..word_end] == b"HRESULT" {
            return Some(word_end - 7);
        }
        if ends_word(word_end, b"hr") {
            return Some(word_end - 2);
        }
        if b[sep] == b'=' && ends_word(word_end, b"Result") {
            return Some(word_end - 6);
        }
        // `\bhrStatus:\s*`, `\bstatus:\s*`, `\bstatus[:=]?\s+`, `\bresult[:=]?\s*`, `\berror:?\s+`: no blank
        // between the word and its separator.
        if b[sep] == b':' && ends_word(sep, b"hrStatus") {
            return Some(sep - 8);
        }
        if b[sep] == b':' && ends_word(sep, b"status") {
            return Some(sep - 6);
        }
        if b[sep] == b'=' && blanks > 0 && ends_word(sep, b"status") {
            return Some(sep - 6);
        }
        if ends_word(sep, b"result") {
            return Some(sep - 6);
        }
        if b[sep] == b':' && blanks > 0 && ends_word(sep, b"error") {
            return Some(sep - 5);
        }
        // `gle=` takes no blanks after it.
        if b[sep] == b'=' && blanks == 0 && sep >= 3 && &b[sep - 3..sep] == b"gle" {
            return Some(sep - 3);
        }
        return None;
    }
    if ends_word(before_blanks, b"result") {
        return Some(before_blanks - 6);
    }
    if blanks > 0 && ends_word(before_blanks, b"status") {
        return Some(before_blanks - 6);
    }
    if blanks > 0 && ends_word(before_blanks, b"error") {
        return Some(before_blanks - 5);
    }
    None
}

/// `\s` of the regex for the text seen here (ASCII blanks; logs carry no other spaces around codes).
fn is_blank(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0B' | b'\x0C')
}

fn skip_blanks_back(b: &[u8], mut at: usize) -> usize {
    while at > 0 && is_blank(b[at - 1]) {
        at -= 1;
    }
    at
}

/// `\b` before a word that starts with a word character: the byte before is not a word character.
fn boundary_before(b: &[u8], at: usize) -> bool {
    at == 0 || !is_word(b[at - 1])
}

/// Word characters of `\b`: ASCII letters, digits, `_`, and (approximately) any byte of a non-ASCII letter.
fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

fn hex_run(b: &[u8], from: usize, max: usize) -> usize {
    b[from.min(b.len())..].iter().take(max).take_while(|c| c.is_ascii_hexdigit()).count()
}

/// ` - CBS_E_STORE_CORRUPTION` / ` - Unknown Error` after a code: the name and where it ends.
fn name_after(text: &str, from: usize) -> Option<(&str, usize)> {
    let b = text.as_bytes();
    let mut at = from;
    while at < b.len() && is_blank(b[at]) {
        at += 1;
    }
    if b.get(at) != Some(&b'-') {
        return None;
    }
    at += 1;
    while at < b.len() && is_blank(b[at]) {
        at += 1;
    }
    let start = at;
    if !b.get(at).is_some_and(u8::is_ascii_uppercase) {
        return None;
    }
    at += 1;
    let rest = b[at..].iter().take_while(|c| c.is_ascii_alphanumeric() || **c == b'_').count();
    if rest == 0 {
        return None;
    }
    at += rest;
    // `(?:\s[A-Z][a-z]+)?`: one more capitalised word after one blank.
    if at + 2 < b.len() && is_blank(b[at]) && b[at + 1].is_ascii_uppercase() {
        let lower = b[at + 2..].iter().take_while(|c| c.is_ascii_lowercase()).count();
        if lower > 0 {
            at += 2 + lower;
        }
    }
    Some((&text[start..at], at))
}

const FROM_WIN32: &[u8] = b"HRESULT_FROM_WIN32(";

/// The HRESULT of `HRESULT_FROM_WIN32(x)`: `x` is a symbol (`ERROR_SXS_COMPONENT_STORE_CORRUPT`) or, as CSI
/// writes completion statuses, the Win32 number (`HRESULT_FROM_WIN32(1753)` = 0x800706D9).
pub(super) fn from_win32(argument: &str) -> Option<u32> {
    if argument.bytes().all(|b| b.is_ascii_digit()) {
        let number: u32 = argument.parse().ok()?;
        return (number <= 0xFFFF).then(|| patchdx_codes::win32_to_hresult_if_small(number));
    }
    patchdx_codes::lookup_name(argument).map(|info| patchdx_codes::win32_to_hresult_if_small(info.value))
}

/// Every code in `text`, in order (see the module docs for what counts).
pub(super) fn codes(text: &str) -> Vec<FoundCode> {
    let b = text.as_bytes();
    let mut found = Vec::new();
    // Where the previous match ended: matches do not overlap, as with the regex.
    let mut consumed = 0usize;
    let mut at = 0usize;
    while at + 1 < b.len() {
        let Some(rel) = memchr::memchr2(b'0', b'H', &b[at..]) else { break };
        let p = at + rel;
        if b[p] == b'H' {
            if b[p..].starts_with(FROM_WIN32) && p >= consumed {
                let args = p + FROM_WIN32.len();
                let len = b[args..]
                    .iter()
                    .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || **c == b'_')
                    .count();
                if len > 0 && b.get(args + len) == Some(&b')') {
                    let symbol = &text[args..args + len];
                    consumed = args + len + 1;
                    at = consumed;
                    if let Some(value) = from_win32(symbol) {
                        found.push(FoundCode { value, name_in_log: Some(format!("HRESULT_FROM_WIN32({symbol})")) });
                    }
                    continue;
                }
            }
            at = p + 1;
            continue;
        }
        if !matches!(b.get(p + 1), Some(b'x' | b'X')) {
            at = p + 1;
            continue;
        }
        // `\[(0x[0-9A-Fa-f]{8})\]`
        if p >= 1 && b[p - 1] == b'[' && p > consumed && hex_run(b, p + 2, 9) == 8 && b.get(p + 10) == Some(&b']') {
            if let Ok(value) = u32::from_str_radix(&text[p + 2..p + 10], 16) {
                found.push(FoundCode { value, name_in_log: None });
            }
            consumed = p + 11;
            at = consumed;
            continue;
        }
        let digits = hex_run(b, p + 2, 8);
        match key_start(b, p) {
            Some(key) if digits > 0 && key >= consumed => {
                let Ok(value) = u32::from_str_radix(&text[p + 2..p + 2 + digits], 16) else {
                    at = p + 1;
                    continue;
                };
                let mut end = p + 2 + digits;
                let mut name_in_log = None;
                if let Some((name, name_end)) = name_after(text, end) {
                    end = name_end;
                    if name != "Unknown Error" && name != "Unknown" {
                        name_in_log = Some(name.to_string());
                    }
                }
                found.push(FoundCode { value, name_in_log });
                consumed = end;
                at = end;
            }
            _ => at = p + 1,
        }
    }
    found
}
