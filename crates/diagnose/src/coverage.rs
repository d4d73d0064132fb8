//! Coverage of each failure: where it falls in the CBS history (inside a piece, in the gap between two pieces,
//! before the oldest or after the newest, or no CBS log at all), and which files span its time and which do
//! not — so the report can say "the CBS history starts after this failure; evidence comes only from
//! ReportingEvents and WindowsUpdate.log".

pub use crate::model::SourceSpan;
use crate::model::{CbsCoverage, Finding};
use crate::timeline::Timeline;
use patchdx_formats::CivilTime;
use patchdx_formats::cbs::history::{History, Piece};
use patchdx_formats::event::Source;
use std::collections::BTreeMap;

/// A minute of slack: the same failure is stamped a few milliseconds apart by different writers.
const SLACK_MS: i64 = 60_000;

pub(crate) fn attach(findings: &mut [Finding], timeline: &Timeline, history: &History) {
    // Span of every file, in the timeline's ordering instant (UTC where known).
    let mut spans: BTreeMap<&str, (String, CivilTime, CivilTime)> = BTreeMap::new();
    for event in &timeline.events {
        let Some(t) = event.instant() else { continue };
        let entry = spans.entry(event.file.as_str()).or_insert((event.source.label().to_string(), t, t));
        entry.1 = entry.1.min(t);
        entry.2 = entry.2.max(t);
    }
    for finding in findings {
        let own_cbs_record = finding
            .outcome
            .event
            .and_then(|id| timeline.events.get(id.0))
            .filter(|e| e.source == Source::Cbs)
            .map(|e| e.file.clone());
        finding.coverage.cbs = match own_cbs_record {
            Some(piece) => CbsCoverage::Covered { piece },
            None => cbs_coverage(history, finding.utc_time, finding.local_time),
        };
        for repeat in &mut finding.repeats {
            let own_cbs =
                repeat.outcome.event.and_then(|id| timeline.events.get(id.0)).filter(|e| e.source == Source::Cbs);
            repeat.cbs = match own_cbs {
                Some(e) => CbsCoverage::Covered { piece: e.file.clone() },
                None => cbs_coverage(history, repeat.utc_time, repeat.local_time),
            };
            repeat.coverage = repeat.cbs.sentence();
        }
        let Some(at) = finding.utc_time.or(finding.local_time) else { continue };
        for (file, (source, first, last)) in &spans {
            let span = SourceSpan {
                source: source.clone(),
                file: (*file).to_string(),
                first_utc: Some(*first),
                last_utc: Some(*last),
            };
            if first.millis() - SLACK_MS <= at.millis() && at.millis() <= last.millis() + SLACK_MS {
                finding.coverage.covered_by.push(span);
            } else {
                finding.coverage.not_covered_by.push(span);
            }
        }
    }
}

/// Where an instant falls in the CBS history. UTC is compared where the instant and the history both have
/// it, else local time.
pub(crate) fn cbs_coverage(history: &History, utc: Option<CivilTime>, local: Option<CivilTime>) -> CbsCoverage {
    if history.pieces.is_empty() {
        return CbsCoverage::NoHistory;
    }
    let utc_bounds = |p: &Piece| p.first_utc.zip(p.last_utc);
    let local_bounds = |p: &Piece| p.first_local.zip(p.last_local);
    match (utc, history.first_utc.is_some() && history.last_utc.is_some()) {
        (Some(t), true) => place(history, t, utc_bounds),
        _ => match (local, history.first_local.is_some() && history.last_local.is_some()) {
            (Some(t), true) => place(history, t, local_bounds),
            _ => CbsCoverage::Unknown,
        },
    }
}

fn name(path: &str) -> String {
    path.rsplit(['/', '\\', '!']).next().unwrap_or(path).to_string()
}

/// Places `t` among the pieces, whose bounds `bounds` gives in the same clock as `t`.
fn place(history: &History, t: CivilTime, bounds: impl Fn(&Piece) -> Option<(CivilTime, CivilTime)>) -> CbsCoverage {
    let bounded: Vec<(&Piece, CivilTime, CivilTime)> =
        history.pieces.iter().filter_map(|p| bounds(p).map(|(a, b)| (p, a, b))).collect();
    if let Some((piece, _, _)) = bounded.iter().find(|(_, a, b)| *a <= t && t <= *b) {
        return CbsCoverage::Covered { piece: piece.path.clone() };
    }
    let local_start = |p: &Piece, fallback: CivilTime| p.first_local.unwrap_or(fallback);
    let local_end = |p: &Piece, fallback: CivilTime| p.last_local.unwrap_or(fallback);
    let Some(&(oldest, oldest_start, _)) = bounded.iter().min_by_key(|(_, a, _)| *a) else {
        return CbsCoverage::Unknown;
    };
    if t < oldest_start {
        return CbsCoverage::BeforeHistory { oldest: name(&oldest.path), starts: local_start(oldest, oldest_start) };
    }
    // The piece that ends last before `t` and the piece that starts first after it.
    let before = bounded.iter().filter(|(_, _, b)| *b < t).max_by_key(|(_, _, b)| *b);
    let after = bounded.iter().filter(|(_, a, _)| *a > t).min_by_key(|(_, a, _)| *a);
    match (before, after) {
        (Some(&(b, _, b_end)), Some(&(a, a_start, _))) => CbsCoverage::Gap {
            before: name(&b.path),
            before_ends: local_end(b, b_end),
            after: name(&a.path),
            after_starts: local_start(a, a_start),
        },
        (Some(&(b, _, b_end)), None) => CbsCoverage::AfterHistory { newest: name(&b.path), ends: local_end(b, b_end) },
        _ => CbsCoverage::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> CivilTime {
        CivilTime::parse_dashed(text.as_bytes()).expect("time")
    }

    fn piece(path: &str, first: &str, last: &str) -> Piece {
        Piece {
            path: path.to_string(),
            first_local: Some(t(first)),
            last_local: Some(t(last)),
            first_utc: None,
            last_utc: None,
            lines: 10,
            gap_before_seconds: None,
            overlapping_events_removed: 0,
        }
    }

    /// Two pieces with a day between them, as in the case bundle, on local time only.
    fn two_pieces() -> History {
        History {
            pieces: vec![
                piece("a.cab!/CbsPersist_1.log", "2022-09-20 08:00:00", "2022-10-10 09:00:00"),
                piece("CBS.log", "2022-10-11 09:00:00", "2022-10-24 17:00:00"),
            ],
            first_local: Some(t("2022-09-20 08:00:00")),
            last_local: Some(t("2022-10-24 17:00:00")),
            ..History::default()
        }
    }

    #[test]
    fn a_failure_is_placed_inside_before_between_or_after_the_pieces() {
        let history = two_pieces();
        let at = |when: &str| cbs_coverage(&history, None, Some(t(when)));
        assert_eq!(at("2022-10-01 12:00:00"), CbsCoverage::Covered { piece: "a.cab!/CbsPersist_1.log".to_string() });
        assert_eq!(
            at("2022-09-09 15:58:23"),
            CbsCoverage::BeforeHistory { oldest: "CbsPersist_1.log".to_string(), starts: t("2022-09-20 08:00:00") }
        );
        assert_eq!(
            at("2022-10-10 16:38:25"),
            CbsCoverage::Gap {
                before: "CbsPersist_1.log".to_string(),
                before_ends: t("2022-10-10 09:00:00"),
                after: "CBS.log".to_string(),
                after_starts: t("2022-10-11 09:00:00"),
            }
        );
        assert_eq!(
            at("2022-11-01 00:00:00"),
            CbsCoverage::AfterHistory { newest: "CBS.log".to_string(), ends: t("2022-10-24 17:00:00") }
        );
        assert_eq!(cbs_coverage(&history, None, None), CbsCoverage::Unknown);
        assert_eq!(cbs_coverage(&History::default(), None, Some(t("2022-10-01 12:00:00"))), CbsCoverage::NoHistory);
    }

    /// The gap is named as a gap, never as "outside" a range that contains it.
    #[test]
    fn the_sentence_of_a_gap_names_both_pieces_and_their_ends() {
        let gap = cbs_coverage(&two_pieces(), None, Some(t("2022-10-10 16:38:25")));
        let sentence = gap.sentence().expect("not covered");
        assert!(sentence.starts_with("this failure falls in the gap between CBS pieces CbsPersist_1.log (ends 2022-10-10 09:00:00) and CBS.log (starts 2022-10-11 09:00:00)"), "{sentence}");
        assert!(gap.sentence_zh().expect("zh").contains("之间的空档"));
        assert_eq!(CbsCoverage::Covered { piece: "CBS.log".to_string() }.sentence(), None);
    }
}
