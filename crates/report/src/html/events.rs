//! The page's timeline table: one row per event of the merged timeline (at most [`MAX_EVENTS`]), the source
//! list its filter offers, and a mark on the rows a finding quotes.

use super::findings::QUOTE_WIDTH;
use super::{clip, time};
use patchdx_diagnose::timeline::Timeline;
use patchdx_formats::event::{Event, Level, Source};
use std::collections::HashSet;

/// Timeline rows written into the page at most; the rest are counted and left to `patchdx timeline`.
pub(super) const MAX_EVENTS: usize = 5000;

pub(super) struct EventRow {
    pub(super) utc: String,
    pub(super) local: String,
    pub(super) source: String,
    pub(super) source_label: &'static str,
    pub(super) level: &'static str,
    pub(super) place: String,
    pub(super) code: String,
    pub(super) kb: String,
    pub(super) message: String,
    pub(super) evidence: bool,
}

fn level(level: Level) -> &'static str {
    match level {
        Level::Verbose => "verbose",
        Level::Info => "info",
        Level::Warning => "warning",
        Level::Error => "error",
        Level::Critical => "critical",
    }
}

/// The key the page's script filters on (the label is what it shows).
fn source_key(source: Source) -> String {
    source.name().to_string()
}

fn event_row(event: &Event, quoted: &HashSet<(&str, u64, Option<u64>)>) -> EventRow {
    let place = match (event.line, event.record) {
        (Some(line), _) => format!("{}:{line}", event.file),
        (None, Some(record)) => format!("{}#{record}", event.file),
        (None, None) => event.file.clone(),
    };
    EventRow {
        utc: time(event.utc),
        local: time(event.local),
        source: source_key(event.source),
        source_label: event.source.label(),
        level: level(event.level),
        place,
        code: event.code.map(|c| format!("0x{c:08X}")).unwrap_or_default(),
        kb: event.kb.clone().unwrap_or_default(),
        message: clip(&event.message, QUOTE_WIDTH),
        evidence: quoted.contains(&(event.file.as_str(), event.line.unwrap_or(0), event.record)),
    }
}

/// The first [`MAX_EVENTS`] events as rows; `quoted` are the `(file, line, record)` the findings quote.
pub(super) fn event_rows(timeline: &Timeline, quoted: &HashSet<(&str, u64, Option<u64>)>) -> Vec<EventRow> {
    timeline.events.iter().take(MAX_EVENTS).map(|e| event_row(e, quoted)).collect()
}

/// Every source on the timeline once, in `Source` order, as `(key, label)` for the filter.
pub(super) fn sources(timeline: &Timeline) -> Vec<(String, &'static str)> {
    let mut sources: Vec<Source> = timeline.events.iter().map(|e| e.source).collect();
    sources.sort();
    sources.dedup();
    sources.into_iter().map(|s| (source_key(s), s.label())).collect()
}
