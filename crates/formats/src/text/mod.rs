//! Text helpers every reader shares, below all of them: reading a file's decoded lines with one error policy,
//! and picking the facts out of a line that several sources write alike (KB numbers, package identities,
//! update GUIDs, hex codes, `key: value` fields).

pub mod prefix;
pub mod shape;
pub mod xml;

use patchdx_bundle::{Entry, Severity, Warning};

/// `str::find` / `str::contains` with the searcher built once per call site: `str` builds one on every call, and
/// that was the costliest part of classifying the lines the CBS scan picks out.
macro_rules! find {
    ($haystack:expr, $needle:literal) => {{
        static FINDER: std::sync::OnceLock<memchr::memmem::Finder<'static>> = std::sync::OnceLock::new();
        FINDER.get_or_init(|| memchr::memmem::Finder::new($needle)).find($haystack.as_bytes())
    }};
}
macro_rules! has {
    ($haystack:expr, $needle:literal) => {
        $crate::text::find!($haystack, $needle).is_some()
    };
}
pub(crate) use {find, has};

/// The text after the first `marker`. memmem rather than `str::find`, which sets up a two-way searcher on every
/// call: this runs on most lines the CBS scan picks out.
pub fn after<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    memchr::memmem::find(text.as_bytes(), marker.as_bytes()).and_then(|i| text.get(i + marker.len()..))
}

/// Leading hex digits (1 to 8, optionally after `0x`) as a code.
pub fn parse_hex(text: &str) -> Option<u32> {
    let text = text.trim_start();
    let text = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")).unwrap_or(text);
    let len = text.bytes().take_while(u8::is_ascii_hexdigit).count();
    if len == 0 || len > 8 {
        return None;
    }
    u32::from_str_radix(&text[..len], 16).ok()
}

/// The package identity (`Name~31bf3856ad364e35~arch~lang~version`) named on a line. Character boundaries are
/// respected whatever stands before the identity.
pub fn package_identity(text: &str) -> Option<&str> {
    let at = find!(text, "~31bf3856ad364e35~")?;
    let start =
        text[..at].rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))).map_or(0, |i| {
            // `i` is the start of the character that ends the name; the name starts after that character.
            i + text[i..].chars().next().map_or(1, char::len_utf8)
        });
    let end = text[at..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '~')))
        .map_or(text.len(), |i| at + i);
    let id = text.get(start..end)?.trim_end_matches('.');
    (!id.is_empty()).then_some(id)
}

/// The KB number carried by a package identity or an `Identifier: KBnnnnnnn` field (6 to 8 digits, not part of
/// a longer word unless it follows `_for_`).
pub fn kb_of(text: &str) -> Option<String> {
    let mut rest = text;
    while let Some(pos) = memchr::memmem::find(rest.as_bytes(), b"KB") {
        let digits: String = rest[pos + 2..].chars().take_while(char::is_ascii_digit).collect();
        let preceded_ok =
            pos == 0 || !rest.as_bytes()[pos - 1].is_ascii_alphanumeric() || rest[..pos].ends_with("_for_");
        if (6..=8).contains(&digits.len()) && preceded_ok {
            return Some(format!("KB{digits}"));
        }
        rest = &rest[pos + 2..];
    }
    None
}

/// A GUID as every reader reports it: upper case, no braces, no `.revision` suffix, so that the same update
/// matches across ReportingEvents, WindowsUpdate.log and ConfigMgr logs.
pub fn bare_guid(text: &str) -> Option<String> {
    let text = text.trim().trim_start_matches('{');
    let guid = text.get(..36)?;
    let shape_ok =
        guid.char_indices().all(|(i, c)| if matches!(i, 8 | 13 | 18 | 23) { c == '-' } else { c.is_ascii_hexdigit() });
    shape_ok.then(|| guid.to_ascii_uppercase())
}

/// Cuts a message to at most `max` bytes on a character boundary, marking the cut with `…`.
pub fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

fn warning(entry: &Entry, severity: Severity, message: String) -> Warning {
    Warning { path: entry.path.clone(), severity, message }
}

/// Calls `f(line_number, line)` for every line of a text entry (1-based; the line break and a `\r` before it
/// removed) and returns the number of lines. The one error policy of every line-based reader: a file that
/// cannot be opened is `Unreadable`; a read error part-way is `Damaged` and what was read before it stays;
/// an over-long line is `Damaged` and its first 64 KiB are read. Never a panic.
pub fn for_each_line(entry: &Entry, warnings: &mut Vec<Warning>, mut f: impl FnMut(u64, &str)) -> u64 {
    let mut reader = match entry.chunks() {
        Ok(reader) => reader,
        Err(err) => {
            warnings.push(warning(entry, Severity::Unreadable, format!("cannot open: {err}")));
            return 0;
        }
    };
    let mut number = 0u64;
    let mut buffer = Vec::new();
    loop {
        let chunk = match reader.next_chunk_with(std::mem::take(&mut buffer)) {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(err) => {
                let message = format!(
                    "read failed after {} bytes ({err}); the rest of the file is not analysed",
                    reader.raw_bytes_read()
                );
                warnings.push(warning(entry, Severity::Damaged, message));
                break;
            }
        };
        let text = chunk.text();
        let mut cut = chunk.cut_lines.iter().peekable();
        let mut start = 0usize;
        while start < text.len() {
            let end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |i| start + i);
            number += 1;
            if cut.peek().is_some_and(|(offset, _)| *offset == start)
                && let Some((_, len)) = cut.next()
            {
                let message = format!("line {number} is {len} bytes long; only its first 64 KiB were read");
                warnings.push(warning(entry, Severity::Damaged, message));
            }
            let raw = &text[start..end];
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            f(number, &String::from_utf8_lossy(raw));
            start = end + 1;
        }
        buffer = chunk.into_buffer();
    }
    number
}

/// The whole decoded text of a small file (XML), line breaks kept. A file larger than `limit` bytes is
/// refused with an `Unreadable` warning rather than held in memory; read problems follow [`for_each_line`]'s
/// policy (what was read before a failure is returned).
pub fn read_text(entry: &Entry, limit: u64, warnings: &mut Vec<Warning>) -> Option<String> {
    if entry.size > limit {
        let message = format!("{} bytes is more than the {limit} bytes read from a file of this kind", entry.size);
        warnings.push(warning(entry, Severity::Unreadable, message));
        return None;
    }
    let mut reader = match entry.chunks() {
        Ok(reader) => reader,
        Err(err) => {
            warnings.push(warning(entry, Severity::Unreadable, format!("cannot open: {err}")));
            return None;
        }
    };
    let mut text = String::new();
    loop {
        match reader.next_chunk() {
            Ok(Some(chunk)) => text.push_str(&String::from_utf8_lossy(chunk.text())),
            Ok(None) => return Some(text),
            Err(err) => {
                let message = format!(
                    "read failed after {} bytes ({err}); the rest of the file is not analysed",
                    reader.raw_bytes_read()
                );
                warnings.push(warning(entry, Severity::Damaged, message));
                return Some(text);
            }
        }
    }
}

/// The first `max_lines` decoded lines of a file joined by `\n` (for telling XML from text).
pub fn head_lines(entry: &Entry, max_lines: usize) -> String {
    let mut head = String::new();
    let Ok(mut reader) = entry.chunks() else { return head };
    if let Ok(Some(chunk)) = reader.next_chunk() {
        for line in chunk.text().split_inclusive(|&b| b == b'\n').take(max_lines) {
            head.push_str(&String::from_utf8_lossy(line));
        }
    }
    head
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_and_kb_are_taken_from_identities() {
        let m = "Exec: Processing complete.  Session: 1_2, Package: Package_for_KB5014805~31bf3856ad364e35~amd64~~17763.3046.1.7, Identifier: KB5014805 [HRESULT = 0x80073712 - ERROR_SXS_COMPONENT_STORE_CORRUPT]";
        assert_eq!(package_identity(m), Some("Package_for_KB5014805~31bf3856ad364e35~amd64~~17763.3046.1.7"));
        assert_eq!(kb_of(m).as_deref(), Some("KB5014805"));
        assert_eq!(kb_of("Package_1_for_KB5000736~31bf3856ad364e35~amd64~~10.0.1.3").as_deref(), Some("KB5000736"));
    }

    /// A multi-byte character right before the identity once made the name start inside it (a panic).
    #[test]
    fn package_identity_after_non_ascii_text_starts_on_a_character_boundary() {
        let m = "Paket: ünd—Package_for_KB5014805~31bf3856ad364e35~amd64~~17763.3046.1.7 fertig";
        assert_eq!(package_identity(m), Some("Package_for_KB5014805~31bf3856ad364e35~amd64~~17763.3046.1.7"));
        assert_eq!(package_identity("—~31bf3856ad364e35~amd64"), Some("~31bf3856ad364e35~amd64"));
    }

    #[test]
    fn guids_and_hex_codes_in_every_spelling() {
        assert_eq!(
            bare_guid("{8c4d9ce0-1b2a-4f3e-9d8c-7b6a5f4e3d2c}.201").as_deref(),
            Some("8C4D9CE0-1B2A-4F3E-9D8C-7B6A5F4E3D2C")
        );
        assert_eq!(bare_guid("not-a-guid"), None);
        assert_eq!(parse_hex(" 0x80070002 rest"), Some(0x8007_0002));
        assert_eq!(parse_hex("8024402C"), Some(0x8024_402C));
        assert_eq!(parse_hex("0x123456789"), None);
        assert_eq!(clip("日本語テキスト", 7), "日本…");
    }
}
