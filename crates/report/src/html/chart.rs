//! The coverage chart: an inline SVG with one row for the CBS history's pieces (and the gaps between them), one
//! row per other kind of source, a marker per finding and a time axis. This module does the geometry; the
//! template draws the shapes.

use super::time;
use patchdx_diagnose::Analysis;
use patchdx_diagnose::model::{Finding, Verdict};
use patchdx_formats::CivilTime;
use patchdx_formats::cbs::history::Piece;
use patchdx_formats::event::Source;
use std::collections::BTreeMap;

// Chart geometry (SVG user units; the SVG scales to the page width).
const PLOT_X0: f64 = 190.0;
const PLOT_X1: f64 = 985.0;
const ROW_H: f64 = 20.0;
const ROW_GAP: f64 = 10.0;
const TOP: f64 = 28.0;
/// A gap of more than this (milliseconds) between CBS pieces is drawn and labelled.
const GAP_SHOWN: i64 = 3_600_000;

pub(super) struct Bar {
    pub(super) x: String,
    pub(super) w: String,
    pub(super) class: &'static str,
    pub(super) title: String,
}

pub(super) struct ChartRow {
    pub(super) y: String,
    pub(super) text_y: String,
    pub(super) label: String,
    pub(super) bars: Vec<Bar>,
}

pub(super) struct Marker {
    pub(super) x: String,
    pub(super) label: String,
    pub(super) class: &'static str,
    pub(super) title: String,
}

pub(super) struct Tick {
    pub(super) x: String,
    pub(super) label: String,
}

pub(super) struct Chart {
    pub(super) height: String,
    pub(super) plot_top: String,
    pub(super) plot_bottom: String,
    pub(super) axis_text_y: String,
    pub(super) gap_y: String,
    pub(super) gap_text_y: String,
    pub(super) rows: Vec<ChartRow>,
    pub(super) gaps: Vec<(Bar, String)>,
    pub(super) markers: Vec<Marker>,
    pub(super) ticks: Vec<Tick>,
}

fn px(v: f64) -> String {
    format!("{:.1}", v)
}

struct Scale {
    min: i64,
    max: i64,
}

impl Scale {
    fn x(&self, millis: i64) -> f64 {
        let span = (self.max - self.min).max(1) as f64;
        PLOT_X0 + (millis - self.min) as f64 / span * (PLOT_X1 - PLOT_X0)
    }
}

/// What the chart spans, in UTC milliseconds: the CBS pieces, the other sources (merged per kind) and the
/// findings with a UTC time.
struct Spans<'a> {
    pieces: Vec<(i64, i64, &'a Piece)>,
    /// Per source label: first, last and the number of files.
    others: BTreeMap<&'static str, (i64, i64, usize)>,
    /// Each attempt of each finding with a UTC time: when, the finding, which attempt (1 is the finding's own).
    findings: Vec<(i64, &'a Finding, usize)>,
}

impl<'a> Spans<'a> {
    fn of(analysis: &'a Analysis) -> Self {
        let pieces =
            analysis.cbs.history.pieces.iter().filter_map(|p| Some((p.first_utc?.millis(), p.last_utc?.millis(), p)));
        let mut others: BTreeMap<&'static str, (i64, i64, usize)> = BTreeMap::new();
        for file in analysis.sources.iter().filter(|f| f.source != Source::Cbs) {
            if let Some((a, b)) = utc_span(file) {
                let entry = others.entry(file.source.label()).or_insert((a, b, 0));
                entry.0 = entry.0.min(a);
                entry.1 = entry.1.max(b);
                entry.2 += 1;
            }
        }
        let findings = analysis
            .findings
            .iter()
            .flat_map(|f| {
                let times = std::iter::once(f.utc_time).chain(f.repeats.iter().map(|r| r.utc_time));
                times.enumerate().filter_map(move |(n, t)| Some((t?.millis(), f, n + 1)))
            })
            .collect();
        Spans { pieces: pieces.collect(), others, findings }
    }

    /// The time axis: everything shown, padded by a thirtieth of the span (at least half an hour) each side;
    /// `None` when nothing has a UTC time.
    fn scale(&self) -> Option<Scale> {
        let all: Vec<i64> = self
            .pieces
            .iter()
            .flat_map(|(a, b, _)| [*a, *b])
            .chain(self.others.values().flat_map(|(a, b, _)| [*a, *b]))
            .chain(self.findings.iter().map(|(t, ..)| *t))
            .collect();
        let (min, max) = (*all.iter().min()?, *all.iter().max()?);
        let pad = ((max - min) / 30).max(1_800_000);
        Some(Scale { min: min - pad, max: max + pad })
    }
}

fn ticks(scale: &Scale) -> Vec<Tick> {
    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;
    let span = scale.max - scale.min;
    let step = [HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 90 * DAY, 365 * DAY]
        .into_iter()
        .find(|s| span / s <= 9)
        .unwrap_or(365 * DAY);
    let mut out = Vec::new();
    let mut t = scale.min.div_euclid(step) * step + step;
    while t < scale.max && out.len() < 40 {
        let (y, mo, d, h, mi, ..) = CivilTime::from_millis(t).date_time_parts();
        let label =
            if step >= DAY { format!("{y:04}-{mo:02}-{d:02}") } else { format!("{mo:02}-{d:02} {h:02}:{mi:02}") };
        out.push(Tick { x: px(scale.x(t)), label });
        t += step;
    }
    out
}

/// UTC span of a source file on the timeline, from its local range and the offset used for it.
fn utc_span(file: &patchdx_diagnose::timeline::TimelineFile) -> Option<(i64, i64)> {
    let offset = file.offset.offset_seconds?;
    let first = file.first_local?.shifted(-offset).millis();
    let last = file.last_local?.shifted(-offset).millis();
    Some((first.min(last), first.max(last)))
}

/// The CBS row's bars (pieces alternate in shade so neighbours stay apart) and the gaps between pieces, each
/// with its label.
fn cbs_bars(scale: &Scale, pieces: &[(i64, i64, &Piece)]) -> (Vec<Bar>, Vec<(Bar, String)>) {
    let mut bars = Vec::new();
    let mut gaps = Vec::new();
    let mut previous_end: Option<i64> = None;
    for (n, (a, b, piece)) in pieces.iter().enumerate() {
        let (x0, x1) = (scale.x(*a), scale.x(*b));
        bars.push(Bar {
            x: px(x0),
            w: px((x1 - x0).max(2.0)),
            class: if n % 2 == 0 { "piece" } else { "piece alt" },
            title: format!(
                "{}: {} → {} local, {} lines",
                piece.path,
                time(piece.first_local),
                time(piece.last_local),
                piece.lines
            ),
        });
        if let Some(end) = previous_end
            && a - end > GAP_SHOWN
        {
            gaps.push(gap(scale, end, *a, &piece.path));
        }
        previous_end = Some(previous_end.map_or(*b, |e| e.max(*b)));
    }
    (bars, gaps)
}

/// The gap from the end of the CBS history so far to the piece at `path` starting at `start`.
fn gap(scale: &Scale, end: i64, start: i64, path: &str) -> (Bar, String) {
    let (g0, g1) = (scale.x(end), scale.x(start));
    let length = crate::human_duration((start - end) / 1000);
    let bar = Bar {
        x: px(g0),
        w: px((g1 - g0).max(2.0)),
        class: "gap",
        title: format!("no CBS history for {length} before {path}"),
    };
    (bar, format!("gap {length}"))
}

/// One row for a kind of source other than CBS: a single bar from its first to its last event.
fn source_row(scale: &Scale, y: f64, label: &str, (a, b, files): (i64, i64, usize)) -> ChartRow {
    let (x0, x1) = (scale.x(a), scale.x(b));
    ChartRow {
        y: px(y),
        text_y: px(y + ROW_H * 0.7),
        label: label.to_string(),
        bars: vec![Bar {
            x: px(x0),
            w: px((x1 - x0).max(3.0)),
            class: "source",
            title: format!(
                "{label}: {} → {} UTC ({files} file(s))",
                CivilTime::from_millis(a),
                CivilTime::from_millis(b)
            ),
        }],
    }
}

fn marker(scale: &Scale, t: i64, f: &Finding, attempt: usize) -> Marker {
    let (label, local) = match attempt.checked_sub(2).and_then(|n| f.repeats.get(n)) {
        Some(repeat) => (format!("{}#{attempt}", f.id), repeat.local_time),
        None => (f.id.clone(), f.local_time),
    };
    Marker {
        x: px(scale.x(t)),
        class: match f.verdict {
            Verdict::Failed => "failure",
            Verdict::Repaired => "repaired",
            Verdict::Resolved => "resolved",
        },
        title: format!("{label} {} — {} local = {} UTC", f.title, time(local), CivilTime::from_millis(t)),
        label,
    }
}

/// The chart, or `None` when nothing in the analysis has a UTC time to place.
pub(super) fn chart(analysis: &Analysis) -> Option<Chart> {
    let spans = Spans::of(analysis);
    let scale = spans.scale()?;
    let (cbs_bars, gaps) = cbs_bars(&scale, &spans.pieces);
    let mut y = TOP;
    let mut rows = vec![ChartRow {
        y: px(y),
        text_y: px(y + ROW_H * 0.7),
        label: format!("CBS history ({} piece(s))", spans.pieces.len()),
        bars: cbs_bars,
    }];
    // Room under the CBS row for the gap labels.
    y += ROW_H + ROW_GAP + if gaps.is_empty() { 0.0 } else { 12.0 };
    for (label, span) in &spans.others {
        rows.push(source_row(&scale, y, label, *span));
        y += ROW_H + ROW_GAP;
    }
    let plot_bottom = y - ROW_GAP + 4.0;
    Some(Chart {
        height: px(plot_bottom + 26.0),
        plot_top: px(TOP - 6.0),
        plot_bottom: px(plot_bottom),
        axis_text_y: px(plot_bottom + 16.0),
        gap_y: px(TOP),
        gap_text_y: px(TOP + ROW_H + 11.0),
        rows,
        gaps,
        markers: spans.findings.iter().map(|(t, f, n)| marker(&scale, *t, f, *n)).collect(),
        ticks: ticks(&scale),
    })
}
