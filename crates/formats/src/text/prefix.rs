//! The line prefix that CBS, DISM, Panther and SFC extracts share:
//! `YYYY-MM-DD HH:MM:SS, Level   [0x0f0082] Component  message` (the bracketed code after the level is written
//! by Windows 7 and by Windows 11 24H2 and later). Parsed here once for every reader and for recognition.

use crate::time::CivilTime;
use serde::Serialize;

/// Severity column of a prefixed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Warning,
    Error,
    Perf,
    Other,
    /// A continuation line without its own prefix.
    Continuation,
}

/// The parsed prefix of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefix<'a> {
    pub time: CivilTime,
    pub level: Level,
    /// The level word as written (`Info`, `Error`, `Warning`, …).
    pub level_word: &'a str,
    pub component: &'a str,
    /// Byte offset of the component column in the line (Panther pads it to column 43; text starting at 49 or
    /// later means the column was left blank).
    pub component_at: usize,
    pub message: &'a str,
}

/// Parses the prefix (a leading BOM is skipped); `None` for continuation lines.
pub fn parse(line: &str) -> Option<Prefix<'_>> {
    let bom = if line.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
    let line = &line[bom..];
    let time = CivilTime::parse_dashed(line.as_bytes())?;
    let rest = line.get(19..)?.strip_prefix(',')?.trim_start();
    let (level_word, rest) = rest.split_once(|c: char| c.is_whitespace()).unwrap_or((rest, ""));
    let level = match level_word {
        "Info" => Level::Info,
        "Warning" => Level::Warning,
        "Error" => Level::Error,
        "Perf" => Level::Perf,
        _ => Level::Other,
    };
    let mut rest = rest.trim_start();
    if rest.starts_with("[0x")
        && let Some(end) = rest.find(']')
    {
        rest = rest[end + 1..].trim_start();
    }
    let (component, message) = rest.split_once(|c: char| c.is_whitespace()).unwrap_or((rest, ""));
    let component_at = bom + (component.as_ptr() as usize - line.as_ptr() as usize);
    Some(Prefix { time, level, level_word, component, component_at, message: message.trim_start_matches([' ', '\t']) })
}

/// The component column of a prefixed line and the byte where it starts, by the strict shape recognition
/// trusts: exactly `dddd-dd-dd dd:dd:dd,`, a level word, blanks, an optional `[0x…]` followed by blanks, and a
/// component followed by a blank. Written out by hand: it runs on the first lines of every file of a bundle,
/// where a capturing regex cost more than the rest of recognition together.
pub fn component_column(line: &str) -> Option<(&str, usize)> {
    let b = line.as_bytes();
    const SHAPE: &[u8; 19] = b"dddd-dd-dd dd:dd:dd";
    if b.len() < 21
        || !SHAPE.iter().zip(b).all(|(want, got)| if *want == b'd' { got.is_ascii_digit() } else { want == got })
    {
        return None;
    }
    if b[19] != b',' {
        return None;
    }
    let mut at = 20 + usize::from(b[20] == b' ');
    let level_start = at;
    while at < b.len() && (b[at].is_ascii_alphanumeric() || b[at] == b'_') {
        at += 1;
    }
    let spaces = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_whitespace()).count();
    let gap = spaces(at);
    if at == level_start || gap == 0 {
        return None;
    }
    at += gap;
    if b[at..].starts_with(b"[0x") {
        let digits = b[at + 3..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
        let close = at + 3 + digits;
        if digits > 0 && b.get(close) == Some(&b']') && spaces(close + 1) > 0 {
            at = close + 1 + spaces(close + 1);
        }
    }
    let end = at + b[at..].iter().take_while(|c| !c.is_ascii_whitespace()).count();
    // The component must be followed by a blank, as the message always is.
    if end == at || end >= b.len() {
        return None;
    }
    Some((&line[at..end], at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_of_a_real_shape_line() {
        let line = "2019-07-29 22:36:17, Error                 CSI    00000032@2019/7/29:15:36:17.166 (F) Attempting to mark store corrupt";
        let p = parse(line).expect("prefix");
        assert_eq!(p.level, Level::Error);
        assert_eq!(p.component, "CSI");
        assert_eq!(p.component_at, 43);
        assert!(p.message.starts_with("00000032@2019"));
    }

    #[test]
    fn bracket_code_after_level_is_skipped_in_windows_7_and_24h2_lines() {
        for line in [
            "2017-03-10 10:24:32, Error      [0x018003] CSI    00000c71 (F) Failed execution of queue item Installer: Task Scheduler",
            "2025-04-26 10:24:32, Error      [0x01806a] CSI    00000c71 (F) Failed execution of queue item Installer: Task Scheduler",
        ] {
            let p = parse(line).expect("prefix");
            assert_eq!(p.component, "CSI");
            assert!(p.message.starts_with("00000c71 (F)"));
            assert_eq!(component_column(line), Some(("CSI", 43)));
        }
    }

    #[test]
    fn component_column_of_every_prefixed_shape() {
        let cases = [
            ("2019-07-29 22:34:35, Info                  CBS    Loaded Servicing Stack", Some(("CBS", 43))),
            ("2021-05-01 10:00:00, Info                  DISM   API: PID=1", Some(("DISM", 43))),
            ("2023-01-02 03:04:05,Info MOUPG x", Some(("MOUPG", 25))),
            (
                "2023-01-02 03:04:05, Info                                      [windeploy.exe] x",
                Some(("[windeploy.exe]", 63)),
            ),
            ("2023-01-02 03:04:05, Info                  CBS", None),
            ("2023-01-02 03:04:05 Info                  CBS    x", None),
            ("2023-01-02T03:04:05, Info                  CBS    x", None),
            ("短", None),
        ];
        for (line, want) in cases {
            assert_eq!(component_column(line), want, "{line}");
        }
    }

    #[test]
    fn a_bom_before_the_prefix_is_skipped_and_counted_in_the_column() {
        let p = parse("\u{feff}2019-07-29 22:34:35, Info                  CBS    x").expect("prefix");
        assert_eq!((p.component, p.component_at), ("CBS", 46));
    }
}
