//! The merged timeline as a terminal table, CSV (RFC 4180 quoting) or JSON.

use patchdx_diagnose::timeline::Timeline;
use patchdx_formats::event::Event;
use serde::Serialize;
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

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_string() }
}

pub fn render_timeline_csv(events: &[&Event]) -> String {
    let mut out = String::from(
        "utc,local,source,file,line,record,level,action,kb,title,package,update_id,code,client,phase,message\n",
    );
    for e in events {
        let level = e.level.name().to_string();
        let fields = [
            time(e.utc),
            time(e.local),
            e.source.label().to_string(),
            e.file.clone(),
            e.line.map(|l| l.to_string()).unwrap_or_default(),
            e.record.map(|r| r.to_string()).unwrap_or_default(),
            level,
            action(e).to_string(),
            e.kb.clone().unwrap_or_default(),
            e.title.clone().unwrap_or_default(),
            e.package.clone().unwrap_or_default(),
            e.update_id.clone().unwrap_or_default(),
            code(e),
            e.client.clone().unwrap_or_default(),
            e.phase.clone().unwrap_or_default(),
            e.message.clone(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
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
