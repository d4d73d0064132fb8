//! One UTC timeline of every source: each file's UTC offset is taken from the file itself where it says, and
//! otherwise inferred from the machine's other files (stated with how and how sure), then all events are
//! ordered by UTC.

use patchdx_formats::CivilTime;
use patchdx_formats::event::{Confidence, Event, OffsetInference, Source, SourceFile};
use regex::Regex;
use serde::Serialize;
use std::collections::BTreeMap;

/// A file on the timeline and the offset used for it.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineFile {
    pub path: String,
    pub source: Source,
    pub records: u64,
    pub events: usize,
    pub first_local: Option<CivilTime>,
    pub last_local: Option<CivilTime>,
    pub offset: OffsetInference,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Timeline {
    pub files: Vec<TimelineFile>,
    pub events: Vec<Event>,
}

/// Sources whose times are wall-clock local time (everything but event logs).
fn writes_local_time(source: Source) -> bool {
    !matches!(
        source,
        Source::SetupEvtx
            | Source::SystemEvtx
            | Source::ApplicationEvtx
            | Source::WindowsUpdateClientEvtx
            | Source::OtherEvtx
    )
}

/// The machine's UTC offset as the files that state one agree on, with where it was seen.
fn machine_offset(files: &[SourceFile]) -> Option<(i64, String)> {
    let mut votes: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
    for file in files {
        if let (Some(offset), true) = (file.offset.offset_seconds, file.offset.confidence >= Confidence::Medium)
            && writes_local_time(file.source)
        {
            votes.entry(offset).or_default().push(&file.path);
        }
    }
    let (offset, paths) = votes.into_iter().max_by_key(|(_, paths)| paths.len())?;
    let named = paths.iter().take(2).copied().collect::<Vec<_>>().join(", ");
    Some((offset, named))
}

/// Lays every file on one timeline (files keep their own events; the timeline gets copies).
pub fn build(mut files: Vec<SourceFile>) -> Timeline {
    let machine = machine_offset(&files);
    for file in &mut files {
        if file.offset.offset_seconds.is_none()
            && writes_local_time(file.source)
            && let Some((offset, seen_in)) = &machine
        {
            file.offset = OffsetInference::known(
                *offset,
                format!(
                    "no zone in this file; assumed the machine's offset {} seen in {seen_in}",
                    patchdx_formats::time::format_offset(*offset)
                ),
                Confidence::Medium,
            );
        }
        file.apply_offset();
        // Event logs record UTC; show them in the machine's local time too.
        if !writes_local_time(file.source)
            && let Some((offset, _)) = &machine
        {
            for event in &mut file.events {
                if event.local.is_none() {
                    event.local = event.utc.map(|u| u.shifted(*offset));
                }
            }
        }
    }
    let mut timeline = Timeline::default();
    for file in files {
        timeline.files.push(TimelineFile {
            path: file.path.clone(),
            source: file.source,
            records: file.records,
            events: file.events.len(),
            first_local: file.first_local,
            last_local: file.last_local,
            offset: file.offset.clone(),
            note: file.note.clone(),
        });
        timeline.events.extend(file.events);
    }
    // Stable: events of one file keep their order when they share a second.
    timeline.events.sort_by_key(|e| e.instant());
    timeline
}

/// What `patchdx timeline` keeps.
#[derive(Debug, Default)]
pub struct Filter {
    pub from_utc: Option<CivilTime>,
    pub to_utc: Option<CivilTime>,
    pub kb: Option<String>,
    pub sources: Vec<Source>,
    pub grep: Option<Regex>,
}

impl Filter {
    pub fn keeps(&self, event: &Event) -> bool {
        let instant = event.instant();
        if let (Some(from), Some(t)) = (self.from_utc, instant)
            && t < from
        {
            return false;
        }
        if let (Some(to), Some(t)) = (self.to_utc, instant)
            && t > to
        {
            return false;
        }
        if (self.from_utc.is_some() || self.to_utc.is_some()) && instant.is_none() {
            return false;
        }
        if let Some(kb) = &self.kb {
            let wanted = kb.trim().to_ascii_uppercase();
            let wanted = if wanted.starts_with("KB") { wanted } else { format!("KB{wanted}") };
            let named = event.kb.as_deref() == Some(wanted.as_str())
                || event.title.as_deref().is_some_and(|t| t.to_ascii_uppercase().contains(&wanted))
                || event.package.as_deref().is_some_and(|p| p.to_ascii_uppercase().contains(&wanted));
            if !named {
                return false;
            }
        }
        if !self.sources.is_empty() && !self.sources.contains(&event.source) {
            return false;
        }
        if let Some(re) = &self.grep
            && !re.is_match(&event.message)
        {
            return false;
        }
        true
    }
}

/// Parses `2022-09-09`, `2022-09-09 15:58`, `2022-09-09T15:58:23` (UTC).
pub fn parse_time(text: &str) -> Option<CivilTime> {
    let text = text.trim().replace('T', " ");
    let padded = match text.len() {
        10 => format!("{text} 00:00:00"),
        16 => format!("{text}:00"),
        _ => text,
    };
    CivilTime::parse_dashed(padded.as_bytes())
}
