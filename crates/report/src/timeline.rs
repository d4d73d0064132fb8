//! The merged timeline as a terminal table, CSV or JSON.
//!
//! The CSV is written by the `csv` crate (RFC 4180 quoting: a field with a comma, quote or line break is quoted,
//! quotes doubled; one `\n` ends each row) and is meant to be opened in a spreadsheet, so text from the logs is
//! defused against formula injection (see [`defused`]).

use patchdx_diagnose::timeline::Timeline;
use patchdx_formats::event::Event;
use serde::Serialize;
use std::borrow::Cow;
use std::fmt::Write;

fn location(event: &Event) -> String {
    match (event.line, event.record) {
        (Some(line), _) => format!("{}:{line}", event.file),
        (None, Some(record)) => format!("{}#{record}", event.file),
        (None, None) => event.file.clone(),
    }
}

fn code(event: &Event) -> String {
    event.code.map(|c| format!("0x{c:08X}")).unwrap_or_default()
}

fn time(t: Option<patchdx_formats::CivilTime>) -> String {
    t.map(|t| t.to_string()).unwrap_or_else(|| "-".to_string())
}

fn action(event: &Event) -> &'static str {
    event.action.name()
}

/// The offsets used, then one line per event.
pub fn render_timeline_text(timeline: &Timeline, events: &[&Event]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "FILES ON THE TIMELINE ({})", timeline.files.len());
    for file in &timeline.files {
        let offset = file
            .offset
            .offset_seconds
            .map(patchdx_formats::time::format_offset)
            .unwrap_or_else(|| "offset unknown".to_string());
        let _ = writeln!(
            out,
            "  {:<18} {}  UTC{offset} ({}, {:?} confidence)  {} events",
            file.source.label(),
            file.path,
            file.offset.method,
            file.offset.confidence,
            file.events
        );
    }
    let _ = writeln!(out, "\n{} EVENTS (time in UTC, then local)", events.len());
    for event in events {
        let what = [
            event.kb.clone(),
            event.title.clone().or(event.package.clone()),
            Some(code(event)).filter(|c| !c.is_empty()),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        let _ = writeln!(
            out,
            "{}  {}  {:<18} {:<18} {}  {}\n      {}",
            time(event.utc),
            time(event.local),
            event.source.label(),
            action(event),
            what,
            location(event),
            event.message.trim()
        );
    }
    out
}

const CSV_HEADER: [&str; 16] = [
    "utc",
    "local",
    "source",
    "file",
    "line",
    "record",
    "level",
    "action",
    "kb",
    "title",
    "package",
    "update_id",
    "code",
    "client",
    "phase",
    "message",
];

/// A cell of text from the input, made safe to open in a spreadsheet. Excel, LibreOffice and Google Sheets
/// read a cell that starts with `=`, `+`, `-` or `@` as a formula (a log line such as `=cmd|' /C calc'!A0`
/// could run a program), and tab or carriage return can hide such a start; following OWASP's CSV-injection
/// advice, such a cell gets a leading `'`, which makes the spreadsheet show it as text.
fn defused(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

fn defused_or_empty(text: &Option<String>) -> Cow<'_, str> {
    text.as_deref().map(defused).unwrap_or_default()
}

/// One event as a CSV row, in [`CSV_HEADER`]'s order. Only the text that comes from the input (paths, names,
/// titles, messages) is defused: what patchdx writes itself (times or the `-` that says there is none, the
/// source's label, numbers, the level and action names, the hex code) never starts a formula, and a `-` alone
/// is text to a spreadsheet.
fn csv_row(e: &Event) -> [Cow<'_, str>; 16] {
    [
        Cow::Owned(time(e.utc)),
        Cow::Owned(time(e.local)),
        Cow::Borrowed(e.source.label()),
        defused(&e.file),
        Cow::Owned(e.line.map(|l| l.to_string()).unwrap_or_default()),
        Cow::Owned(e.record.map(|r| r.to_string()).unwrap_or_default()),
        Cow::Borrowed(e.level.name()),
        Cow::Borrowed(action(e)),
        defused_or_empty(&e.kb),
        defused_or_empty(&e.title),
        defused_or_empty(&e.package),
        defused_or_empty(&e.update_id),
        Cow::Owned(code(e)),
        defused_or_empty(&e.client),
        defused_or_empty(&e.phase),
        defused(&e.message),
    ]
}

/// The events as CSV: a header row, then one row per event. Fails only if the csv crate does, which writing to
/// memory rows of the header's length does not.
pub fn render_timeline_csv(events: &[&Event]) -> Result<String, csv::Error> {
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(CSV_HEADER)?;
    for e in events {
        csv.write_record(csv_row(e).iter().map(|cell| cell.as_bytes()))?;
    }
    let bytes = csv.into_inner().map_err(|err| csv::Error::from(err.into_error()))?;
    // Every cell was a `str`, so the bytes are UTF-8 and nothing is replaced.
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[derive(Serialize)]
struct TimelineDocument<'a> {
    schema: &'static str,
    files: &'a [patchdx_diagnose::timeline::TimelineFile],
    events: &'a [&'a Event],
}

/// JSON document, schema `patchdx.timeline/1`.
pub fn render_timeline_json(timeline: &Timeline, events: &[&Event]) -> String {
    let doc = TimelineDocument { schema: "patchdx.timeline/1", files: &timeline.files, events };
    serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"cannot serialise timeline: {e}\"}}"))
}
