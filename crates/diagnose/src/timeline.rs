//! One UTC timeline of every source: each file's UTC offset is taken from the file itself where it says;
//! otherwise from the events it shares with files whose UTC is known (see the `offset_match` module); otherwise
//! assumed from the machine's other files — always stated with how and how sure. Then all events are ordered
//! by UTC.

use crate::offset_match::{KnownIndex, Outcome};
use patchdx_formats::CivilTime;
use patchdx_formats::event::{Confidence, Event, OffsetInference, Source, SourceFile};
use patchdx_formats::time::format_offset;
use regex::Regex;
use serde::Serialize;
use std::collections::BTreeMap;

/// A file on the timeline and the offset used for it.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineFile {
    /// The machine (`M1`, …) when the input holds several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub machine: Option<String>,
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
    patchdx_formats::registry::time_basis(source) == patchdx_formats::source::TimeBasis::Local
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

/// The offset of a file that states none, or a note on one that states its own, from what matching found.
fn place(file: &mut SourceFile, outcome: Outcome, machine: Option<&(i64, String)>) {
    if file.offset.offset_seconds.is_some() {
        // The file's own statement wins; a disagreement is worth a note (a machine whose zone changed, or a
        // file whose stated zone is wrong), not a silent correction. One pairing against a file that states its
        // zone is more likely a coincidence than a wrong zone, so it takes two.
        if let Outcome::Agreed { offset_seconds, occurrences, evidence, disagreeing_own } = outcome
            && occurrences >= 2
            && !disagreeing_own.is_empty()
        {
            let mut own: Vec<String> = disagreeing_own.iter().map(|&o| format_offset(o)).collect();
            own.sort();
            own.dedup();
            let note = format!(
                "cross-source matching disagrees with the offset this file states: {evidence} gives UTC{}, the \
                 file says UTC{} there; the file's own offset is kept (the machine's zone may have changed, or \
                 one of the files is wrong)",
                format_offset(offset_seconds),
                own.join("/")
            );
            file.note = Some(file.note.take().map_or(note.clone(), |n| format!("{n}; {note}")));
        }
        return;
    }
    let conflict = match outcome {
        Outcome::Agreed { offset_seconds, occurrences, evidence, .. } => {
            // One match could be a coincidence of two similar results; two or more agreeing cannot.
            let confidence = if occurrences >= 2 { Confidence::High } else { Confidence::Medium };
            file.offset = OffsetInference::known(offset_seconds, evidence, confidence);
            return;
        }
        Outcome::Conflict(counts) => {
            let list: Vec<String> = counts
                .iter()
                .map(|(o, n)| format!("UTC{} from {n} event{}", format_offset(*o), if *n == 1 { "" } else { "s" }))
                .collect();
            format!(
                "; matching the same events in other files gave different offsets ({}), so it decided nothing",
                list.join(", ")
            )
        }
        Outcome::None => String::new(),
    };
    match machine {
        Some((offset, seen_in)) => {
            file.offset = OffsetInference::known(
                *offset,
                format!(
                    "no zone in this file; assumed the machine's offset {} seen in {seen_in}{conflict}",
                    format_offset(*offset)
                ),
                Confidence::Medium,
            );
        }
        None if !conflict.is_empty() => file.offset.method = format!("unknown{conflict}"),
        None => {}
    }
}

/// Lays every file on one timeline (files keep their own events; the timeline gets copies).
pub fn build(mut files: Vec<SourceFile>) -> Timeline {
    // Files that state their offset get UTC on every event first: the others are matched against them.
    let stated: Vec<bool> = files.iter().map(|f| f.offset.offset_seconds.is_some()).collect();
    for file in files.iter_mut().filter(|f| f.offset.offset_seconds.is_some()) {
        file.apply_offset();
    }
    let machine = machine_offset(&files);
    let index = KnownIndex::new(&files, |i| stated.get(i).copied().unwrap_or(false));
    let outcomes: Vec<Outcome> = files
        .iter()
        .enumerate()
        .map(|(i, file)| if writes_local_time(file.source) { index.infer(i) } else { Outcome::None })
        .collect();
    for (file, outcome) in files.iter_mut().zip(outcomes) {
        if writes_local_time(file.source) {
            place(file, outcome, machine.as_ref());
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
            machine: None,
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
