//! The stitched CBS history as one ordered view of the timeline's CBS events (piece by piece in history
//! order, each in line order), with helpers to quote them as evidence.

use crate::model::{EventId, Evidence};
use patchdx_formats::CivilTime;
use patchdx_formats::cbs::{CbsEventKind, CbsLog, Level};
use patchdx_formats::event::{Event, Source};
use patchdx_formats::record::CbsRecord;
use std::collections::HashMap;

/// One CBS event of the view: its piece, its place on the timeline, the event and its CBS record.
pub(crate) struct Item<'a> {
    pub piece: usize,
    pub id: EventId,
    pub event: &'a Event,
    pub record: &'a CbsRecord,
}

pub(crate) struct Flat<'a> {
    pub logs: &'a [CbsLog],
    /// Oldest first.
    pub events: Vec<Item<'a>>,
}

impl<'a> Flat<'a> {
    /// The CBS events of `timeline` that belong to `logs`, piece by piece in the order of `logs`.
    pub fn new(logs: &'a [CbsLog], timeline: &'a [Event]) -> Self {
        let piece_of: HashMap<&str, usize> = logs.iter().enumerate().map(|(i, l)| (l.path.as_str(), i)).collect();
        let mut per_piece: Vec<Vec<Item<'a>>> = logs.iter().map(|_| Vec::new()).collect();
        for (index, event) in timeline.iter().enumerate() {
            if event.source != Source::Cbs {
                continue;
            }
            let (Some(&piece), Some(record)) = (piece_of.get(event.file.as_str()), event.cbs()) else { continue };
            per_piece[piece].push(Item { piece, id: EventId(index), event, record });
        }
        for items in &mut per_piece {
            items.sort_by_key(|item| item.event.line);
        }
        Flat { logs, events: per_piece.into_iter().flatten().collect() }
    }

    pub fn event(&self, index: usize) -> &'a Event {
        self.events[index].event
    }

    pub fn kind(&self, index: usize) -> &'a CbsEventKind {
        &self.events[index].record.kind
    }

    pub fn record(&self, index: usize) -> &'a CbsRecord {
        self.events[index].record
    }

    pub fn piece(&self, index: usize) -> &'a CbsLog {
        &self.logs[self.events[index].piece]
    }

    pub fn same_piece(&self, a: usize, b: usize) -> bool {
        self.events[a].piece == self.events[b].piece
    }

    pub fn evidence(&self, index: usize) -> Evidence {
        Evidence::of(self.events[index].id, self.event(index))
    }

    /// A finding from the record at `first` to the record at `outcome`, timed by the outcome.
    pub fn finding(
        &self,
        verdict: crate::model::Verdict,
        title: String,
        first: usize,
        outcome: usize,
        confidence: crate::model::Confidence,
        reason: &str,
    ) -> crate::model::Finding {
        crate::model::Finding {
            utc_offset: self.offset_label(outcome),
            ..crate::model::Finding::new(
                verdict,
                title,
                self.evidence(first),
                self.evidence(outcome),
                confidence,
                reason.to_string(),
            )
        }
    }

    pub fn offset_label(&self, index: usize) -> Option<String> {
        let line = self.event(index).line?;
        self.piece(index).offset_at(line).map(patchdx_formats::time::format_offset)
    }

    /// The time used to order and window events: UTC where known, else local.
    pub fn instant(&self, index: usize) -> Option<CivilTime> {
        self.event(index).instant()
    }

    /// Index of the earliest event no more than `seconds` before `index` (same piece or earlier).
    pub fn lookback(&self, index: usize, seconds: i64) -> usize {
        let Some(at) = self.instant(index) else {
            return index;
        };
        let mut start = index;
        while start > 0 {
            match self.instant(start - 1) {
                Some(t) if (at.millis() - t.millis()) <= seconds * 1000 => start -= 1,
                _ => break,
            }
        }
        start
    }

    /// True for records that can belong to a failure chain.
    pub fn is_failure_record(&self, index: usize) -> bool {
        let event = self.event(index);
        let failing_code = event.code.is_some_and(patchdx_codes::is_failure);
        match self.kind(index) {
            CbsEventKind::Failure
            | CbsEventKind::DownloadFailed
            | CbsEventKind::FailedOperation
            | CbsEventKind::InstallerError
            | CbsEventKind::InstallerFailed { .. }
            | CbsEventKind::InstallerSummary { .. } => true,
            CbsEventKind::CsiFatal | CbsEventKind::StoreMarkedCorrupt => true,
            CbsEventKind::WerReport { .. }
            | CbsEventKind::ExecComplete { .. }
            | CbsEventKind::SessionFinalized { .. }
            | CbsEventKind::StartupComplete
            | CbsEventKind::InstallerStatus
            | CbsEventKind::OperationResult => failing_code,
            _ => failing_code && self.record(index).level == Level::Error,
        }
    }

    /// Inner causes: records that name what broke rather than pass a code up.
    pub fn is_inner_cause(&self, index: usize) -> bool {
        matches!(
            self.kind(index),
            CbsEventKind::CsiFatal
                | CbsEventKind::StoreMarkedCorrupt
                | CbsEventKind::InstallerError
                | CbsEventKind::InstallerFailed { .. }
                | CbsEventKind::InstallerSummary { .. }
        )
    }

    /// The session id a record names explicitly, if any.
    pub fn session_of(&self, index: usize) -> Option<&'a str> {
        self.event(index).facts.session.as_deref()
    }
}
