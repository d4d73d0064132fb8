//! Scans CBS text chunk by chunk: a multi-pattern search finds the few lines that can matter, and only those
//! are parsed. Each worker reads and scans its own file (or range of a large one) with its own buffer.

use super::OffsetSample;
use super::line::{self, CbsEventKind, Level};

use crate::record::CbsRecord;
use crate::time::CivilTime;
use patchdx_linescan::{Engine, LineScanner};
use std::sync::OnceLock;

/// Literal markers; a line without any of them is never parsed. Each stands for a family of lines:
/// `ailed`/`ailure` (Failed…, failed, failure status, WER: Generating failure report), `Error` (the level column,
/// CSI `(F)` lines, Inner Error), `ESULT`/`Result =`/`on result`/`hr…` (HRESULT =, Result =, Operation result:,
/// hr = 0x…), `rrupt` (corruption markers, `(p)` rows, Total Detected/Repaired Corruption), `by client`
/// (session start), `Exec:` (Exec: Processing started/complete), `finalize`, `rtup:` (Startup: …) and
/// `tup processing compl` (Startup processing completed), `g.xml` (pending.xml), `[SR]`, `TI: ` (TI init, Last
/// boot time), `@200`…`@203` (CSI UTC stamps of the years 2000–2039: a 3-byte `@20` would slow the whole
/// search, see below), and the once-per-start `rting TrustedInstaller` (Windows 7 has no `TI:` line),
/// `Loaded Serv`, `Universal Time`, `Archived backup`, and the advanced installers' blocks (`xecuting advanced`
/// for their begin and end lines, `nstaller name: `, `New component` and `Completion status` for the continuation
/// lines that name the installer, what it installs and how it ended), and `Hashes for file` (CSI's file hash
/// mismatches, which carry no other marker). Broader literals (`nitializ`, `esult`, `rocessing `) were tried: they pick out many more
/// lines (`Processing CompDB file`, `Startup processing thread terminated`), nearly all of no value, and every
/// picked line costs a parse.
// The literals come in eight groups because the search tells groups apart exactly but the literals inside
// a group only by their first four bytes, position by position (see patchdx-linescan): a group whose literals
// share few byte values at the same position lets few false candidates through. The grouping below was
// found with `examples/trigger_order.rs` (a local search over groupings that counts false candidates on the
// 1 GiB bench corpus): 10,700 false candidates per 133 MB, against 87,000 for the same literals grouped by
// their order. Every literal is at least 4 bytes long; a shorter one would send the whole search to the
// slower portable engine.
#[doc(hidden)]
pub const TRIGGER_GROUPS: &[&[&str]] = &[
    &["@201", "Loaded Serv", "g.xml", "nstaller name: "],
    &["rting TrustedInstaller", "rtup:", "Exec:", "Hashes for file"],
    &["@203", "@200", "xecuting advanced", "Completion status"],
    &["[SR]", "hr =", "(F) ", "hr: ", "by client"],
    &["TI: ", "finalize", "Error", "hr:0"],
    &["ESULT", "tup processing compl", "ailed"],
    &["Result =", "@202", "on result", "ailure"],
    &["(p)\t", "Archived backup", "Universal Time", "rrupt", "New component"],
];

/// The same literals in the order the portable engine searches fastest: aho-corasick's packed searcher puts
/// literal i in bucket i mod 8, and this order (found by a local search over orders on the bench corpus)
/// gives buckets whose literals share few byte values: 15.9 GB/s against about 9 GB/s for a naive order.
#[doc(hidden)]
pub const PORTABLE_ORDER: &[&str] = &[
    "Result =",
    "(p)\t",
    "TI: ",
    "[SR]",
    "ESULT",
    "hr =",
    "tup processing compl",
    "Archived backup",
    "ailed",
    "(F) ",
    "finalize",
    "rting TrustedInstaller",
    "Error",
    "@201",
    "@202",
    "Loaded Serv",
    "Universal Time",
    "hr:0",
    "@203",
    "on result",
    "hr: ",
    "rtup:",
    "by client",
    "Exec:",
    "g.xml",
    "rrupt",
    "@200",
    "ailure",
    "xecuting advanced",
    "nstaller name: ",
    "Completion status",
    "New component",
    "Hashes for file",
];

/// The trigger searcher with the engine asked for (the portable one where the CPU cannot run the kernel).
#[doc(hidden)]
pub fn trigger_scanner(engine: Engine) -> LineScanner {
    LineScanner::with_portable_order(TRIGGER_GROUPS, engine, PORTABLE_ORDER)
        .expect("static literals: eight groups, none empty, the portable order holds the same ones")
}

/// Names the engine the CBS scan should use: `portable` to search without the AVX-512 kernel (to compare
/// engines or rule one out), `avx512-vbmi` for the default. The CPU still decides: where it cannot run the
/// kernel, the portable engine searches.
pub const ENGINE_VARIABLE: &str = "PATCHDX_SCAN_ENGINE";

/// A value of [`ENGINE_VARIABLE`] that names no engine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{ENGINE_VARIABLE}={0} names no CBS scan engine (avx512-vbmi, portable)")]
pub struct UnknownEngine(pub String);

/// The engine [`ENGINE_VARIABLE`] asks for: `Err` with its value when that names no engine (the default
/// is used then).
pub fn engine_asked_for() -> Result<Engine, UnknownEngine> {
    match std::env::var(ENGINE_VARIABLE) {
        Err(_) => Ok(Engine::Avx512),
        Ok(name) => Engine::from_name(&name).ok_or(UnknownEngine(name)),
    }
}

fn matcher() -> &'static LineScanner {
    static MATCHER: OnceLock<LineScanner> = OnceLock::new();
    MATCHER.get_or_init(|| trigger_scanner(engine_asked_for().unwrap_or(Engine::Avx512)))
}

/// The engine the CBS scan uses on this machine (`avx512-vbmi` or `portable`).
pub fn engine_name() -> &'static str {
    matcher().engine().name()
}

/// A line the scan kept, in a compact form: most files of a large bundle are read only to be set aside as
/// copies of another, so events (with their file path and message) are made only for the files that stay.
#[derive(Debug)]
pub(crate) struct Scanned {
    /// 1-based in the file once merged (relative to the chunk, 0-based, until then).
    pub line: u64,
    pub local: Option<CivilTime>,
    pub record: CbsRecord,
    pub code: Option<u32>,
    pub code_name: Option<String>,
    pub package: Option<String>,
    pub kb: Option<String>,
    /// The advanced installer the line is about (set when the file's lines are put together: a block's
    /// name comes on a continuation line after its begin line).
    pub installer: Option<String>,
    /// The line as quoted, empty for bookkeeping records.
    pub text: String,
}

/// What one chunk yields; line numbers are relative to the chunk (0-based).
#[derive(Debug, Default)]
pub(crate) struct ChunkScan {
    pub index: usize,
    pub newlines: u64,
    pub ends_with_newline: bool,
    pub first_stamp: Option<(u64, CivilTime)>,
    pub last_stamp: Option<(u64, CivilTime)>,
    pub events: Vec<Scanned>,
    pub offsets: Vec<OffsetSample>,
    pub benign: u64,
    pub cut_lines: Vec<(u64, u64)>,
}

const MAX_EVENT_TEXT: usize = 400;
const MAX_OFFSET_SAMPLES_PER_CHUNK: usize = 16;

/// Components as `&'static str`, so that events do not each allocate one.
fn intern_component(component: &str) -> &'static str {
    const KNOWN: &[&str] = &["CBS", "CSI", "DISM", "DPX", "SQM", "TI", "DEPLOY", "CMIADAPTER", "Perf"];
    KNOWN.iter().find(|k| **k == component).copied().unwrap_or("other")
}

fn stamped(line: &[u8]) -> Option<CivilTime> {
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    CivilTime::parse_dashed(line)
}

/// Scans one chunk of UTF-8 text.
pub(crate) fn scan_chunk(index: usize, text: &[u8], cut: &[(usize, u64)]) -> ChunkScan {
    scan_chunk_with(matcher(), index, text, cut)
}

/// Everything one chunk yields, as text, searched by the scanner given: tests compare the engines with it.
#[doc(hidden)]
pub fn scan_chunk_summary(scanner: &LineScanner, text: &[u8]) -> String {
    format!("{:?}", scan_chunk_with(scanner, 0, text, &[]))
}

fn scan_chunk_with(scanner: &LineScanner, index: usize, text: &[u8], cut: &[(usize, u64)]) -> ChunkScan {
    let mut out = ChunkScan { index, ends_with_newline: text.last() == Some(&b'\n'), ..ChunkScan::default() };
    out.first_stamp = first_stamp(text);
    let mut pos = 0usize;
    let mut line_no = 0u64;
    while pos < text.len() {
        let found = scanner.find(text, pos);
        line_no += found.newlines;
        let Some(hit) = found.hit else {
            break;
        };
        let end = memchr::memchr(b'\n', &text[hit.start..]).map_or(text.len(), |i| hit.start + i);
        if is_sfc_progress(text, hit.start, hit.end, end) {
            // Keep searching the rest of the line: another marker there still gets the line examined. No
            // trigger holds a line break, so none was passed.
            pos = hit.end;
            continue;
        }
        let start = memchr::memrchr(b'\n', &text[..hit.start]).map_or(0, |i| i + 1);
        let raw = &text[start..end];
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        examine_line(&mut out, text, start, raw, line_no);
        // Past the line break that ends this line (counted here: the next search starts after it).
        pos = end + 1;
        line_no += u64::from(end < text.len());
    }
    out.newlines = line_no;
    out.last_stamp = last_stamp(text, out.newlines);
    for &(offset, len) in cut {
        let line = bytecount::count(&text[..offset.min(text.len())], b'\n') as u64;
        out.cut_lines.push((line, len));
    }
    out
}

/// `[SR] Beginning Verify and Repair transaction`, `[SR] Verifying 100 components`, `[SR] Verify complete`:
/// SFC's progress lines, a quarter of all the lines the search picks out of a log of `sfc /scannow` runs, and of
/// no diagnostic value. Only when nothing else on the line could matter: no `(` (a `(F)` marker,
/// `HRESULT_FROM_WIN32(`) and no `0x` code after the marker; any other marker is found by searching on.
fn is_sfc_progress(text: &[u8], marker_start: usize, marker_end: usize, line_end: usize) -> bool {
    const PROGRESS: [&[u8]; 3] = [b" Beginning Verify and Repair transaction", b" Verifying ", b" Verify complete"];
    if &text[marker_start..marker_end] != b"[SR]" {
        return false;
    }
    let rest = &text[marker_end..line_end];
    PROGRESS.iter().any(|p| rest.starts_with(p)) && memchr::memchr3(b'(', b'x', b'X', rest).is_none()
}

fn examine_line(out: &mut ChunkScan, chunk: &[u8], start: usize, raw: &[u8], line_no: u64) {
    // Valid UTF-8 (nearly every line) is borrowed; only broken bytes pay for a lossy copy. `from_utf8` first:
    // its word-at-a-time ASCII check is several times faster than the byte loop of `from_utf8_lossy`.
    let text = match std::str::from_utf8(raw) {
        Ok(valid) => std::borrow::Cow::Borrowed(valid),
        Err(_) => String::from_utf8_lossy(raw),
    };
    let text: &str = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let (time, level, component, message) = match crate::text::prefix::parse(text) {
        Some(p) => (Some(p.time), p.level, intern_component(p.component), p.message),
        None => (previous_stamp(chunk, start), Level::Continuation, "", text.trim_start()),
    };
    if let Some(local) = time {
        offset_samples(out, local, component, message, line_no);
    }
    let Some(classified) = line::classify(level, component, message) else {
        return;
    };
    if classified.kind == CbsEventKind::Benign {
        out.benign += 1;
        return;
    }
    // Bookkeeping records are never quoted as evidence; keeping their text would only cost memory.
    let bookkeeping = matches!(
        classified.kind,
        CbsEventKind::SessionStart { .. }
            | CbsEventKind::ExecStarted { .. }
            | CbsEventKind::TrustedInstallerInit
            | CbsEventKind::ServicingStackLoaded { .. }
            | CbsEventKind::LastBootTime { .. }
            | CbsEventKind::BackupArchived { .. }
            | CbsEventKind::StartupPackage { .. }
            | CbsEventKind::StartupQueue
            | CbsEventKind::InstallerBegin { .. }
            | CbsEventKind::InstallerName { .. }
            | CbsEventKind::InstallerComponent { .. }
            | CbsEventKind::InstallerEnd { .. }
    );
    let mut shown: String = if bookkeeping { String::new() } else { text.trim_end().to_string() };
    if shown.len() > MAX_EVENT_TEXT {
        let mut cut = MAX_EVENT_TEXT;
        while !shown.is_char_boundary(cut) {
            cut -= 1;
        }
        shown.truncate(cut);
        shown.push('…');
    }
    let package = crate::text::package_identity(message).map(str::to_string);
    let kb = package
        .as_deref()
        .and_then(crate::text::kb_of)
        .or_else(|| {
            // The text after the first `Identifier:`, up to a second one.
            let rest = &message[crate::text::find!(message, "Identifier:")? + "Identifier:".len()..];
            crate::text::kb_of(crate::text::find!(rest, "Identifier:").map_or(rest, |next| &rest[..next]))
        })
        // KB777778 is the placeholder identifier CBS gives Features on Demand / capabilities, not an update.
        .filter(|kb| kb != "KB777778");
    out.events.push(Scanned {
        line: line_no,
        local: time,
        record: CbsRecord { kind: classified.kind, level, component },
        code: classified.code.as_ref().map(|c| c.value),
        code_name: classified.code.and_then(|c| c.name_in_log),
        package,
        kb,
        installer: None,
        text: shown,
    });
}

/// Local-minus-UTC samples from CSI `@yyyy/m/d:…` stamps and `Universal Time is:` lines.
fn offset_samples(out: &mut ChunkScan, local: CivilTime, component: &str, message: &str, line_no: u64) {
    let utc = if component == "CSI" {
        message.find('@').and_then(|at| CivilTime::parse_csi_stamp(&message.as_bytes()[at + 1..])).map(|(t, _)| t)
    } else if let Some(at) = crate::text::find!(message, "Universal Time is: ") {
        CivilTime::parse_dashed(&message.as_bytes()[at + "Universal Time is: ".len()..])
    } else {
        None
    };
    if let Some(rounded) = utc.and_then(|utc| crate::time::quarter_hour_offset_ms(local, utc)).map(|ms| ms / 1000) {
        // Keep every change of offset; of a steady offset, keep a few samples per chunk.
        let changed = out.offsets.last().is_none_or(|s| s.offset_seconds != rounded);
        let crowded = out.offsets.len() >= MAX_OFFSET_SAMPLES_PER_CHUNK
            && out.offsets.last().is_some_and(|s| s.line + 2000 > line_no);
        match out.offsets.last_mut() {
            // A steady offset in a crowded stretch is counted on the sample before it, so that the count of
            // observations does not depend on how the file was cut into chunks.
            Some(last) if !changed && crowded => last.observations += 1,
            _ => out.offsets.push(OffsetSample {
                line: line_no,
                offset_seconds: rounded,
                source: if component == "CSI" { "CSI stamp" } else { "Universal Time line" },
                observations: 1,
            }),
        }
    }
}

fn first_stamp(text: &[u8]) -> Option<(u64, CivilTime)> {
    let mut line = 0u64;
    let mut start = 0usize;
    // Only look a little way in: a chunk whose first hundreds of lines carry no stamp is not CBS text.
    while start < text.len() && line < 512 {
        let end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |i| start + i);
        if let Some(t) = stamped(&text[start..end]) {
            return Some((line, t));
        }
        start = end + 1;
        line += 1;
    }
    None
}

/// The last stamped line near the end of the chunk; `newlines` is the chunk's count, so that the line number
/// comes from counting only the tail after it rather than the whole chunk a second time.
fn last_stamp(text: &[u8], newlines: u64) -> Option<(u64, CivilTime)> {
    let mut end = text.len();
    if text.last() == Some(&b'\n') {
        end -= 1;
    }
    for _ in 0..512 {
        let start = memchr::memrchr(b'\n', &text[..end]).map_or(0, |i| i + 1);
        if let Some(t) = stamped(&text[start..end]) {
            let line = newlines - bytecount::count(&text[start..], b'\n') as u64;
            return Some((line, t));
        }
        if start == 0 {
            break;
        }
        end = start - 1;
    }
    None
}

/// The stamp of the nearest stamped line before `start` within the chunk.
fn previous_stamp(text: &[u8], start: usize) -> Option<CivilTime> {
    let mut end = start.checked_sub(1)?;
    for _ in 0..256 {
        let line_start = memchr::memrchr(b'\n', &text[..end]).map_or(0, |i| i + 1);
        if let Some(t) = stamped(&text[line_start..end]) {
            return Some(t);
        }
        if line_start == 0 {
            return None;
        }
        end = line_start - 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CSI stamp literals cover 2000–2039: a log of 2008 (Vista) and one of 2031 both give their offset.
    #[test]
    fn csi_stamps_of_every_covered_decade_give_an_offset() {
        for year in [2008, 2019, 2025, 2031] {
            let text = format!(
                "{year}-07-29 22:36:17, Info                  CSI    00000032@{year}/7/29:14:36:17.166 WcpInitialize (wcp.dll version 0.0.0.6) called\n"
            );
            let scanned = scan_chunk(0, text.as_bytes(), &[]);
            let offsets: Vec<i64> = scanned.offsets.iter().map(|o| o.offset_seconds).collect();
            assert_eq!(offsets, [8 * 3600], "{year}");
        }
    }
}
