//! Stitches CBS.log and its rotated pieces into one ordered history: orders the pieces, drops duplicated
//! pieces and overlapping lines, and states what time the history covers and which pieces are missing.

use super::{CbsEventKind, CbsLog};
use crate::time::CivilTime;
use serde::Serialize;
use std::collections::{BTreeSet, HashSet};

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

fn sort_key(log: &CbsLog) -> (i64, i64) {
    let first = log.first.map(|f| f.utc.unwrap_or(f.local).millis()).unwrap_or(i64::MAX);
    let last = log.last.map(|l| l.utc.unwrap_or(l.local).millis()).unwrap_or(i64::MAX);
    (first, last)
}

fn same_content(a: &CbsLog, b: &CbsLog) -> bool {
    a.lines == b.lines
        && a.first.map(|s| (s.line, s.local)) == b.first.map(|s| (s.line, s.local))
        && a.last.map(|s| (s.line, s.local)) == b.last.map(|s| (s.line, s.local))
        && a.events.len() == b.events.len()
        && a.events.iter().zip(&b.events).all(|(x, y)| x.line == y.line && x.text == y.text)
}

/// Orders `logs` in place (oldest first), removes duplicate pieces from it and overlapping events from the
/// later of two overlapping pieces, and describes the result.
pub fn stitch(logs: &mut Vec<CbsLog>) -> History {
    logs.sort_by_key(sort_key);
    let mut history = History::default();
    let mut kept: Vec<CbsLog> = Vec::new();
    for log in logs.drain(..) {
        if let Some(original) = kept.iter().find(|k| same_content(k, &log)) {
            history.duplicates.push(Duplicate { path: log.path.clone(), same_as: original.path.clone() });
            continue;
        }
        kept.push(log);
    }
    let mut previous_last: Option<CivilTime> = None;
    for index in 0..kept.len() {
        let (first_t, last_t) = {
            let log = &kept[index];
            (log.first.map(|f| f.utc.unwrap_or(f.local)), log.last.map(|l| l.utc.unwrap_or(l.local)))
        };
        let mut removed = 0;
        if let (Some(first), Some(prev_last)) = (first_t, previous_last)
            && first <= prev_last
        {
            // Overlap: drop events an earlier piece already holds (same time and text).
            let seen: HashSet<(Option<CivilTime>, String)> =
                kept[..index].iter().flat_map(|k| k.events.iter().map(|e| (e.time, e.text.clone()))).collect();
            let log = &mut kept[index];
            let before = log.events.len();
            log.events.retain(|e| !seen.contains(&(e.time, e.text.clone())));
            removed = before - log.events.len();
        }
        let log = &kept[index];
        history.pieces.push(Piece {
            path: log.path.clone(),
            first_local: log.first.map(|f| f.local),
            last_local: log.last.map(|l| l.local),
            first_utc: log.first.and_then(|f| f.utc),
            last_utc: log.last.and_then(|l| l.utc),
            lines: log.lines,
            gap_before_seconds: match (previous_last, first_t) {
                (Some(p), Some(f)) => Some((f.millis() - p.millis()) / 1000),
                _ => None,
            },
            overlapping_events_removed: removed,
        });
        if let Some(last) = last_t {
            previous_last = Some(previous_last.map_or(last, |p| p.max(last)));
        }
    }
    history.first_local = kept.iter().filter_map(|l| l.first.map(|f| f.local)).min();
    history.last_local = kept.iter().filter_map(|l| l.last.map(|f| f.local)).max();
    history.first_utc = kept.iter().filter_map(|l| l.first.and_then(|f| f.utc)).min();
    history.last_utc = kept.iter().filter_map(|l| l.last.and_then(|f| f.utc)).max();
    let present: BTreeSet<String> = kept.iter().map(|l| base_stem(&l.path)).collect();
    let mut missing = BTreeSet::new();
    for log in &kept {
        for event in &log.events {
            match &event.kind {
                CbsEventKind::BackupArchived { name } if !present.contains(&base_stem(name)) => {
                    missing.insert(name.clone());
                }
                CbsEventKind::BackupCabFailed => {
                    if let Some(t) = event.time {
                        history.failed_rotations.push(t);
                    }
                }
                _ => {}
            }
        }
    }
    history.missing_pieces = missing.into_iter().collect();
    *logs = kept;
    history
}

/// `…/CbsPersist_20221012031005.cab!/CbsPersist_20221012031005.log` → `cbspersist_20221012031005`.
fn base_stem(path: &str) -> String {
    let name = path.rsplit(['/', '\\', '!']).next().unwrap_or(path);
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    stem.to_ascii_lowercase()
}
