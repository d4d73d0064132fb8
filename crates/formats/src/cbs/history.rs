//! Stitches CBS.log and its rotated pieces into one ordered history: orders the pieces, drops duplicated
//! pieces and overlapping lines, and states what time the history covers and which pieces are missing.

use super::{CbsEventKind, CbsLog};
use crate::event::{Event, SourceFile};
use crate::time::CivilTime;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};

/// One piece of the history, in order.
#[derive(Debug, Clone, Serialize)]
pub struct Piece {
    pub path: String,
    pub first_local: Option<CivilTime>,
    pub last_local: Option<CivilTime>,
    pub first_utc: Option<CivilTime>,
    pub last_utc: Option<CivilTime>,
    pub lines: u64,
    /// Seconds of silence between the previous piece's last line and this piece's first.
    pub gap_before_seconds: Option<i64>,
    /// Events of this piece dropped because an earlier piece already holds them.
    pub overlapping_events_removed: usize,
}

/// A piece left out because another piece has the same content.
#[derive(Debug, Clone, Serialize)]
pub struct Duplicate {
    pub path: String,
    pub same_as: String,
}

/// The stitched CBS history.
#[derive(Debug, Clone, Serialize, Default)]
pub struct History {
    pub pieces: Vec<Piece>,
    pub duplicates: Vec<Duplicate>,
    pub first_local: Option<CivilTime>,
    pub last_local: Option<CivilTime>,
    pub first_utc: Option<CivilTime>,
    pub last_utc: Option<CivilTime>,
    /// CbsPersist files the logs say were archived but that are not in the bundle.
    pub missing_pieces: Vec<String>,
    /// Rotations that CBS itself reported failing (older history lost on the machine).
    pub failed_rotations: Vec<CivilTime>,
}

/// The CBS facts of a file (files without them sort last and stitch as empty pieces).
fn log_of(file: &SourceFile) -> Option<&CbsLog> {
    file.cbs.as_deref()
}

fn sort_key(file: &SourceFile) -> (i64, i64) {
    let Some(log) = log_of(file) else { return (i64::MAX, i64::MAX) };
    let first = log.first.map(|f| f.utc.unwrap_or(f.local).millis()).unwrap_or(i64::MAX);
    let last = log.last.map(|l| l.utc.unwrap_or(l.local).millis()).unwrap_or(i64::MAX);
    (first, last)
}

fn same_content(fa: &SourceFile, fb: &SourceFile) -> bool {
    let (Some(a), Some(b)) = (log_of(fa), log_of(fb)) else { return false };
    a.lines == b.lines
        && a.first.map(|s| (s.line, s.local)) == b.first.map(|s| (s.line, s.local))
        && a.last.map(|s| (s.line, s.local)) == b.last.map(|s| (s.line, s.local))
        && fa.events.len() == fb.events.len()
        && fa.events.iter().zip(&fb.events).all(|(x, y)| x.line == y.line && x.message == y.message)
}

/// Orders `logs` in place (oldest first), removes duplicate pieces from it and overlapping events from the
/// later of two overlapping pieces, and describes the result.
pub fn stitch(logs: &mut Vec<SourceFile>) -> History {
    logs.sort_by_key(sort_key);
    let mut history = History::default();
    let mut kept = drop_duplicates(std::mem::take(logs), &mut history.duplicates);
    history.pieces = chain_pieces(&mut kept);
    let logs_kept = || kept.iter().filter_map(log_of);
    history.first_local = logs_kept().filter_map(|l| l.first.map(|f| f.local)).min();
    history.last_local = logs_kept().filter_map(|l| l.last.map(|f| f.local)).max();
    history.first_utc = logs_kept().filter_map(|l| l.first.and_then(|f| f.utc)).min();
    history.last_utc = logs_kept().filter_map(|l| l.last.and_then(|f| f.utc)).max();
    note_lost_rotations(&kept, &mut history);
    *logs = kept;
    history
}

/// The pieces (in order) whose content no earlier piece has; the others are listed as duplicates of it.
fn drop_duplicates(ordered: Vec<SourceFile>, duplicates: &mut Vec<Duplicate>) -> Vec<SourceFile> {
    let mut kept: Vec<SourceFile> = Vec::new();
    for log in ordered {
        if let Some(original) = kept.iter().find(|k| same_content(k, &log)) {
            duplicates.push(Duplicate { path: log.path.clone(), same_as: original.path.clone() });
            continue;
        }
        kept.push(log);
    }
    kept
}

/// Describes the ordered pieces one after the other, each with its gap after the pieces before it; a piece that
/// starts before those end loses the events they already hold.
fn chain_pieces(kept: &mut [SourceFile]) -> Vec<Piece> {
    let mut pieces = Vec::with_capacity(kept.len());
    let mut previous_last: Option<CivilTime> = None;
    let mut earlier = EarlierEvents::default();
    for index in 0..kept.len() {
        let (first_t, last_t) = match log_of(&kept[index]) {
            Some(log) => (log.first.map(|f| f.utc.unwrap_or(f.local)), log.last.map(|l| l.utc.unwrap_or(l.local))),
            None => (None, None),
        };
        let mut removed = 0;
        if let (Some(first), Some(prev_last)) = (first_t, previous_last)
            && first <= prev_last
        {
            let (before, rest) = kept.split_at_mut(index);
            removed = remove_overlap(&mut earlier, before, &mut rest[0]);
        }
        let gap_before_seconds = match (previous_last, first_t) {
            (Some(p), Some(f)) => Some((f.millis() - p.millis()) / 1000),
            _ => None,
        };
        pieces.push(piece(&kept[index], gap_before_seconds, removed));
        if let Some(last) = last_t {
            previous_last = Some(previous_last.map_or(last, |p| p.max(last)));
        }
    }
    pieces
}

/// Drops from `log` the events an earlier piece already holds (same time and text); returns how many.
fn remove_overlap(earlier: &mut EarlierEvents, before: &[SourceFile], log: &mut SourceFile) -> usize {
    earlier.extend_to(before);
    let count = log.events.len();
    log.events.retain(|e| !earlier.holds(before, e));
    count - log.events.len()
}

fn piece(file: &SourceFile, gap_before_seconds: Option<i64>, overlapping_events_removed: usize) -> Piece {
    let log = log_of(file);
    Piece {
        path: file.path.clone(),
        first_local: log.and_then(|l| l.first).map(|f| f.local),
        last_local: log.and_then(|l| l.last).map(|l| l.local),
        first_utc: log.and_then(|l| l.first).and_then(|f| f.utc),
        last_utc: log.and_then(|l| l.last).and_then(|l| l.utc),
        lines: log.map_or(0, |l| l.lines),
        gap_before_seconds,
        overlapping_events_removed,
    }
}

/// History lost on the machine or left out of the bundle: archived pieces the logs name that are not among the
/// pieces, and rotations CBS reports failing.
fn note_lost_rotations(kept: &[SourceFile], history: &mut History) {
    let present: BTreeSet<String> = kept.iter().map(|l| base_stem(&l.path)).collect();
    let mut missing = BTreeSet::new();
    for log in kept {
        for event in &log.events {
            let Some(record) = event.cbs() else { continue };
            match &record.kind {
                CbsEventKind::BackupArchived { name } if !present.contains(&base_stem(name)) => {
                    missing.insert(name.clone());
                }
                CbsEventKind::BackupCabFailed => {
                    if let Some(t) = event.local {
                        history.failed_rotations.push(t);
                    }
                }
                _ => {}
            }
        }
    }
    history.missing_pieces = missing.into_iter().collect();
}

/// `…/CbsPersist_20221012031005.cab!/CbsPersist_20221012031005.log` → `cbspersist_20221012031005`.
fn base_stem(path: &str) -> String {
    let name = path.rsplit(['/', '\\', '!']).next().unwrap_or(path);
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    stem.to_ascii_lowercase()
}

/// The events of the pieces before the current one, indexed by (time, hash of text) so that each overlapping
/// piece is checked in one pass; built only once a piece overlaps, and grown piece by piece (rebuilding it for
/// every overlapping piece made stitching many pieces quadratic).
#[derive(Default)]
struct EarlierEvents {
    pieces_indexed: usize,
    by_key: HashMap<EventKey, Vec<(usize, usize)>>,
}

/// An event's local time and the hash of its text.
type EventKey = (Option<CivilTime>, u64);

impl EarlierEvents {
    fn key(event: &Event) -> EventKey {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        event.message.hash(&mut hasher);
        (event.local, hasher.finish())
    }

    fn extend_to(&mut self, pieces: &[SourceFile]) {
        for (piece, log) in pieces.iter().enumerate().skip(self.pieces_indexed) {
            for (at, event) in log.events.iter().enumerate() {
                self.by_key.entry(Self::key(event)).or_default().push((piece, at));
            }
        }
        self.pieces_indexed = self.pieces_indexed.max(pieces.len());
    }

    /// Whether an earlier piece holds an event with this time and exactly this text.
    fn holds(&self, pieces: &[SourceFile], event: &Event) -> bool {
        self.by_key.get(&Self::key(event)).is_some_and(|places| {
            places.iter().any(|&(piece, at)| pieces[piece].events.get(at).is_some_and(|e| e.message == event.message))
        })
    }
}
