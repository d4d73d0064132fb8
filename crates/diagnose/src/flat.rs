//! The stitched CBS history as one ordered list of events, with helpers to quote them as evidence.

use crate::model::{CodeRef, Evidence};
use patchdx_formats::CivilTime;
use patchdx_formats::cbs::{CbsEvent, CbsEventKind, CbsLog, Level};

pub(crate) struct Flat<'a> {
    pub logs: &'a [CbsLog],
    /// (piece index, event), oldest first.
    pub events: Vec<(usize, &'a CbsEvent)>,
}

impl<'a> Flat<'a> {
    pub fn new(logs: &'a [CbsLog]) -> Self {
        let events =
            logs.iter().enumerate().flat_map(|(piece, log)| log.events.iter().map(move |e| (piece, e))).collect();
        Flat { logs, events }
    }

    pub fn event(&self, index: usize) -> &'a CbsEvent {
        self.events[index].1
    }

    pub fn piece(&self, index: usize) -> &'a CbsLog {
        &self.logs[self.events[index].0]
    }

    pub fn evidence(&self, index: usize) -> Evidence {
        let event = self.event(index);
        Evidence {
            file: self.piece(index).path.clone(),
            line: event.line,
            record: None,
            source: None,
            local_time: event.time,
            utc_time: event.utc,
            code: event.code.map(|c| CodeRef::new(c, event.code_name_in_log.as_deref()).label()),
            text: event.text.clone(),
        }
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
        let event = self.event(index);
        self.piece(index).offset_at(event.line).map(patchdx_formats::time::format_offset)
    }

    /// The time used to order and window events: UTC where known, else local.
    pub fn instant(&self, index: usize) -> Option<CivilTime> {
        let event = self.event(index);
        event.utc.or(event.time)
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
}

/// True for events that can belong to a failure chain.
pub(crate) fn is_failure_record(event: &CbsEvent) -> bool {
    let failing_code = event.code.is_some_and(patchdx_codes::is_failure);
    match &event.kind {
        CbsEventKind::Failure | CbsEventKind::FailedOperation | CbsEventKind::InstallerError => true,
        CbsEventKind::CsiFatal | CbsEventKind::StoreMarkedCorrupt => true,
        CbsEventKind::WerReport { .. }
        | CbsEventKind::ExecComplete { .. }
        | CbsEventKind::SessionFinalized { .. }
        | CbsEventKind::StartupComplete
        | CbsEventKind::OperationResult => failing_code,
        _ => failing_code && event.level == Level::Error,
    }
}

/// Inner causes: records that name what broke rather than pass a code up.
pub(crate) fn is_inner_cause(event: &CbsEvent) -> bool {
    matches!(event.kind, CbsEventKind::CsiFatal | CbsEventKind::StoreMarkedCorrupt | CbsEventKind::InstallerError)
}

/// The session id an event names explicitly, if any.
pub(crate) fn session_of(event: &CbsEvent) -> Option<&str> {
    match &event.kind {
        CbsEventKind::SessionStart { session, .. }
        | CbsEventKind::ExecStarted { session, .. }
        | CbsEventKind::ExecComplete { session }
        | CbsEventKind::SessionFinalized { session, .. } => Some(session),
        _ => None,
    }
}
