//! The analysis as one self-contained HTML page: verdict, findings with quoted evidence, a coverage chart of
//! the CBS history (inline SVG), the merged timeline with a filter, warnings, next steps and the case summary.
//!
//! Everything the page shows comes from the analysis through askama templates, which escape every value; the
//! CSS and JS are the crate's own files (`assets/`), inlined, so the page loads nothing from the network.

use askama::Template;
use patchdx_diagnose::Analysis;
use patchdx_diagnose::model::{Evidence, Finding, Verdict};
use patchdx_diagnose::timeline::Timeline;
use patchdx_formats::CivilTime;
use patchdx_formats::event::{Event, Level, Source};
use std::collections::{BTreeMap, HashSet};

const CSS: &str = include_str!("../assets/report.css");
const JS: &str = include_str!("../assets/report.js");

/// Timeline rows written into the page at most; the rest are counted and left to `patchdx timeline`.
const MAX_EVENTS: usize = 5000;
/// Characters of a quoted record shown.
const QUOTE_WIDTH: usize = 600;

struct EvidenceView {
    place: String,
    source: String,
    time: String,
    text: String,
}

struct CodeView {
    label: String,
    en: String,
    zh: String,
    facility: String,
}

struct RootView {
    title_en: String,
    title_zh: String,
    category: String,
    rule: String,
    explanation_en: String,
    explanation_zh: String,
    steps: Vec<(String, String)>,
    commands: Vec<String>,
    collect: Vec<(String, String)>,
    references: Vec<String>,
}

struct FindingView {
    id: String,
    failed: bool,
    title: String,
    when_local: String,
    when_utc: String,
    facts: Vec<(&'static str, String)>,
    code: Option<CodeView>,
    first_cause: EvidenceView,
    cascade: Vec<EvidenceView>,
    outcome: Option<EvidenceView>,
    confidence: String,
    items: Vec<String>,
    corroboration: Vec<EvidenceView>,
    coverage: Option<String>,
    root: Option<RootView>,
    also: Vec<String>,
    repair: Option<patchdx_diagnose::repair_manifest::RepairManifest>,
}

struct ObservationView {
    kind: String,
    summary: String,
    evidence: Vec<EvidenceView>,
}

struct Bar {
    x: String,
    w: String,
    class: &'static str,
    title: String,
}

struct ChartRow {
    y: String,
    text_y: String,
    label: String,
    bars: Vec<Bar>,
}

struct Marker {
    x: String,
    label: String,
    class: &'static str,
    title: String,
}

struct Tick {
    x: String,
    label: String,
}

struct Chart {
    height: String,
    plot_top: String,
    plot_bottom: String,
    axis_text_y: String,
    gap_y: String,
    gap_text_y: String,
    rows: Vec<ChartRow>,
    gaps: Vec<(Bar, String)>,
    markers: Vec<Marker>,
    ticks: Vec<Tick>,
}

struct PieceRow {
    path: String,
    first: String,
    last: String,
    lines: u64,
    gap: String,
}

struct EventRow {
    utc: String,
    local: String,
    source: String,
    source_label: &'static str,
    level: &'static str,
    place: String,
    code: String,
    kb: String,
    message: String,
    evidence: bool,
}

struct WarningRow {
    severity: &'static str,
    path: String,
    message: String,
}

struct FileRow {
    path: String,
    kind: String,
    encoding: String,
    size: u64,
    note: String,
    analysed: bool,
}

struct NextSteps {
    findings: String,
    /// The root cause whose steps these are (the same view a finding shows).
    root: RootView,
}

#[derive(Template)]
#[template(path = "report.html")]
struct Page {
    css: &'static str,
    js: &'static str,
    input: String,
    version: String,
    headline: &'static str,
    headline_class: &'static str,
    failures: usize,
    repaired: usize,
    exit_code: i32,
    exit_meaning: &'static str,
    summary: String,
    case_checks: Vec<(String, String)>,
    findings: Vec<FindingView>,
    observations: Vec<ObservationView>,
    chart: Option<Chart>,
    coverage_text: String,
    pieces: Vec<PieceRow>,
    missing_pieces: String,
    duplicates: Vec<(String, String)>,
    sources: Vec<(String, &'static str)>,
    events: Vec<EventRow>,
    events_total: usize,
    warnings: Vec<WarningRow>,
    files: Vec<FileRow>,
    next_steps: Vec<NextSteps>,
    summary_zh: String,
    summary_en: String,
}

fn clip(text: &str, width: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width).collect();
    out.push('…');
    out
}

fn time(t: Option<CivilTime>) -> String {
    t.map(|t| t.to_string()).unwrap_or_default()
}

fn evidence(ev: &Evidence) -> EvidenceView {
    let place = ev.place();
    let time = match (ev.local_time, ev.utc_time) {
        (Some(l), Some(u)) => format!("{l} local = {u} UTC"),
        (Some(l), None) => format!("{l} local"),
        (None, Some(u)) => format!("{u} UTC"),
        (None, None) => String::new(),
    };
    EvidenceView {
        place,
        source: ev.source.clone().unwrap_or_else(|| "CBS".to_string()),
        time,
        text: clip(&ev.text, QUOTE_WIDTH),
    }
}

fn root_view(d: &patchdx_diagnose::RuleDiagnosis) -> RootView {
    RootView {
        title_en: d.title.en.clone(),
        title_zh: d.title.zh_cn.clone(),
        category: d.category.clone(),
        rule: d.rule.clone(),
        explanation_en: d.explanation.en.clone(),
        explanation_zh: d.explanation.zh_cn.clone(),
        steps: pairs(&d.remediation.en, &d.remediation.zh_cn),
        commands: d.commands.clone(),
        collect: pairs(&d.collect.en, &d.collect.zh_cn),
        references: d.references.clone(),
    }
}

fn pairs(en: &[String], zh: &[String]) -> Vec<(String, String)> {
    en.iter().enumerate().map(|(n, e)| (e.clone(), zh.get(n).cloned().unwrap_or_default())).collect()
}

fn finding(f: &Finding) -> FindingView {
    let when_local = match f.local_time {
        Some(l) => format!(
            "{l} local{}",
            f.utc_offset.as_deref().map(|o| format!(" (UTC{o})")).unwrap_or_else(|| " (UTC offset unknown)".into())
        ),
        None => "local time unknown".to_string(),
    };
    let when_utc = f.utc_time.map(|u| format!("{u} UTC")).unwrap_or_else(|| "UTC unknown".to_string());
    let facts: Vec<(&str, String)> = f.facts().into_iter().map(|(name, value)| (name, value.to_string())).collect();
    let code = f.code.as_ref().map(|c| CodeView {
        label: c.label(),
        en: c.en.clone().unwrap_or_else(|| "not in patchdx's code table".to_string()),
        zh: c.zh_cn.clone().unwrap_or_else(|| "不在 patchdx 的错误码表中".to_string()),
        facility: c.facility.to_string(),
    });
    let root = f.diagnosis.first().map(root_view);
    FindingView {
        id: f.id.clone(),
        failed: f.verdict == Verdict::Failed,
        title: f.title.clone(),
        when_local,
        when_utc,
        facts,
        code,
        first_cause: evidence(&f.first_cause),
        cascade: f.cascade.iter().filter(|e| **e != f.outcome).map(evidence).collect(),
        outcome: (f.outcome != f.first_cause).then(|| evidence(&f.outcome)),
        confidence: format!("{:?} — {}", f.confidence, f.confidence_reason),
        items: f.items.clone(),
        corroboration: f.corroboration.iter().map(evidence).collect(),
        coverage: f.coverage.cbs.sentence(),
        root,
        also: f
            .diagnosis
            .iter()
            .skip(1)
            .map(|d| format!("{} [{}] (rule {})", d.title.en, d.category, d.rule))
            .collect(),
        repair: f.repair.clone(),
    }
}

// Chart geometry (SVG user units; the SVG scales to the page width).
const PLOT_X0: f64 = 190.0;
const PLOT_X1: f64 = 985.0;
const ROW_H: f64 = 20.0;
const ROW_GAP: f64 = 10.0;
const TOP: f64 = 28.0;

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

fn chart(analysis: &Analysis) -> Option<Chart> {
    let history = &analysis.cbs.history;
    let pieces: Vec<(i64, i64, &patchdx_formats::cbs::history::Piece)> =
        history.pieces.iter().filter_map(|p| Some((p.first_utc?.millis(), p.last_utc?.millis(), p))).collect();
    // Other sources, one row per kind of source.
    let mut others: BTreeMap<&'static str, (i64, i64, usize)> = BTreeMap::new();
    for file in analysis.sources.iter().filter(|f| f.source != Source::Cbs) {
        if let Some((a, b)) = utc_span(file) {
            let entry = others.entry(file.source.label()).or_insert((a, b, 0));
            entry.0 = entry.0.min(a);
            entry.1 = entry.1.max(b);
            entry.2 += 1;
        }
    }
    let failures: Vec<(i64, &Finding)> =
        analysis.findings.iter().filter_map(|f| Some((f.utc_time?.millis(), f))).collect();
    let all: Vec<i64> = pieces
        .iter()
        .flat_map(|(a, b, _)| [*a, *b])
        .chain(others.values().flat_map(|(a, b, _)| [*a, *b]))
        .chain(failures.iter().map(|(t, _)| *t))
        .collect();
    let (min, max) = (*all.iter().min()?, *all.iter().max()?);
    let pad = ((max - min) / 30).max(1_800_000);
    let scale = Scale { min: min - pad, max: max + pad };

    let mut rows = Vec::new();
    let mut y = TOP;
    let mut cbs_bars = Vec::new();
    let mut gaps = Vec::new();
    let mut previous_end: Option<i64> = None;
    for (n, (a, b, piece)) in pieces.iter().enumerate() {
        let (x0, x1) = (scale.x(*a), scale.x(*b));
        cbs_bars.push(Bar {
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
            && a - end > 3_600_000
        {
            let (g0, g1) = (scale.x(end), scale.x(*a));
            let label = format!("gap {}", crate::human_duration((a - end) / 1000));
            gaps.push((
                Bar {
                    x: px(g0),
                    w: px((g1 - g0).max(2.0)),
                    class: "gap",
                    title: format!(
                        "no CBS history for {} before {}",
                        crate::human_duration((a - end) / 1000),
                        piece.path
                    ),
                },
                label,
            ));
        }
        previous_end = Some(previous_end.map_or(*b, |e| e.max(*b)));
    }
    rows.push(ChartRow {
        y: px(y),
        text_y: px(y + ROW_H * 0.7),
        label: format!("CBS history ({} piece(s))", pieces.len()),
        bars: cbs_bars,
    });
    // Room under the CBS row for the gap labels.
    y += ROW_H + ROW_GAP + if gaps.is_empty() { 0.0 } else { 12.0 };
    for (label, (a, b, files)) in &others {
        let (x0, x1) = (scale.x(*a), scale.x(*b));
        rows.push(ChartRow {
            y: px(y),
            text_y: px(y + ROW_H * 0.7),
            label: (*label).to_string(),
            bars: vec![Bar {
                x: px(x0),
                w: px((x1 - x0).max(3.0)),
                class: "source",
                title: format!(
                    "{label}: {} → {} UTC ({files} file(s))",
                    CivilTime::from_millis(*a),
                    CivilTime::from_millis(*b)
                ),
            }],
        });
        y += ROW_H + ROW_GAP;
    }
    let plot_bottom = y - ROW_GAP + 4.0;
    let markers = failures
        .iter()
        .map(|(t, f)| Marker {
            x: px(scale.x(*t)),
            label: f.id.clone(),
            class: if f.verdict == Verdict::Failed { "failure" } else { "repaired" },
            title: format!("{} {} — {} local = {} UTC", f.id, f.title, time(f.local_time), time(f.utc_time)),
        })
        .collect();
    Some(Chart {
        height: px(plot_bottom + 26.0),
        plot_top: px(TOP - 6.0),
        plot_bottom: px(plot_bottom),
        axis_text_y: px(plot_bottom + 16.0),
        gap_y: px(TOP),
        gap_text_y: px(TOP + ROW_H + 11.0),
        rows,
        gaps,
        markers,
        ticks: ticks(&scale),
    })
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

fn next_steps(analysis: &Analysis) -> Vec<NextSteps> {
    let mut out: Vec<(String, NextSteps)> = Vec::new();
    for f in &analysis.findings {
        let Some(d) = f.diagnosis.first() else { continue };
        if let Some((_, existing)) = out.iter_mut().find(|(rule, _)| *rule == d.rule) {
            existing.findings.push_str(&format!(", {}", f.id));
            continue;
        }
        out.push((d.rule.clone(), NextSteps { findings: f.id.clone(), root: root_view(d) }));
    }
    out.into_iter().map(|(_, n)| n).collect()
}

/// The whole analysis as one HTML page that needs nothing else (no network, no files beside it).
///
/// `timeline` is the bundle's merged timeline (`read_evidence(&bundle).timeline()`): the analysis names the
/// files on it but does not carry the events.
pub fn render_html(analysis: &Analysis, timeline: &Timeline) -> String {
    let v = &analysis.verdict;
    let (headline, headline_class) = if v.failures > 0 {
        ("Failure diagnosed", "bad")
    } else if v.unreadable_input {
        ("No failure found in what could be read", "warn")
    } else {
        ("No failure found", "good")
    };
    let exit_meaning = match v.exit_code {
        0 => "nothing failed: no failed servicing operation found",
        1 => "a failure was diagnosed",
        _ => "some input could not be read (wins over 1; the report still holds every finding)",
    };
    let case = &analysis.case;
    let mut case_checks = Vec::new();
    if let Some(p) = &case.previous {
        case_checks.extend(p.statements.iter().map(|s| (s.en.clone(), s.zh_cn.clone())));
    }
    if let Some(s) = &case.freshness {
        case_checks.push((s.en.clone(), s.zh_cn.clone()));
    }
    if let Some(k) = &case.kb_check {
        case_checks.extend(k.statements.iter().map(|s| (s.en.clone(), s.zh_cn.clone())));
    }
    let quoted: HashSet<(&str, u64, Option<u64>)> = analysis
        .findings
        .iter()
        .flat_map(|f| {
            std::iter::once(&f.first_cause).chain(&f.cascade).chain(std::iter::once(&f.outcome)).chain(&f.corroboration)
        })
        .map(|e| (e.file.as_str(), e.line, e.record))
        .collect();
    let mut sources: Vec<Source> = timeline.events.iter().map(|e| e.source).collect();
    sources.sort();
    sources.dedup();
    let h = &analysis.cbs.history;
    let coverage_text = match (h.first_local, h.last_local) {
        (Some(a), Some(b)) => {
            let utc = match (h.first_utc, h.last_utc) {
                (Some(x), Some(y)) => format!(" = {x} → {y} UTC"),
                _ => String::new(),
            };
            format!("CBS history covers {a} → {b} local{utc}, in {} piece(s).", h.pieces.len())
        }
        _ => "No CBS.log or CbsPersist piece in the input.".to_string(),
    };
    let page = Page {
        css: CSS,
        js: JS,
        input: analysis.input.clone(),
        version: analysis.tool_version.to_string(),
        headline,
        headline_class,
        failures: v.failures,
        repaired: v.repaired,
        exit_code: v.exit_code,
        exit_meaning,
        summary: v.summary.clone(),
        case_checks,
        findings: analysis.findings.iter().map(finding).collect(),
        observations: analysis
            .observations
            .iter()
            .map(|o| ObservationView {
                kind: o.kind.to_string(),
                summary: o.summary.clone(),
                evidence: o.evidence.iter().map(evidence).collect(),
            })
            .collect(),
        chart: chart(analysis),
        coverage_text,
        pieces: h
            .pieces
            .iter()
            .map(|p| PieceRow {
                path: p.path.clone(),
                first: time(p.first_local),
                last: time(p.last_local),
                lines: p.lines,
                gap: p.gap_before_seconds.filter(|g| *g > 3600).map(crate::human_duration).unwrap_or_default(),
            })
            .collect(),
        missing_pieces: h.missing_pieces.join(", "),
        duplicates: h.duplicates.iter().map(|d| (d.path.clone(), d.same_as.clone())).collect(),
        sources: sources.into_iter().map(|s| (source_key(s), s.label())).collect(),
        events: timeline.events.iter().take(MAX_EVENTS).map(|e| event_row(e, &quoted)).collect(),
        events_total: timeline.events.len(),
        warnings: analysis
            .warnings
            .iter()
            .map(|w| WarningRow {
                severity: match w.severity {
                    patchdx_bundle::Severity::Notice => "notice",
                    patchdx_bundle::Severity::Damaged => "damaged",
                    patchdx_bundle::Severity::Unreadable => "unreadable",
                },
                path: w.path.clone(),
                message: w.message.clone(),
            })
            .collect(),
        files: analysis
            .files
            .iter()
            .map(|f| FileRow {
                path: f.path.clone(),
                kind: f.kind_label.to_string(),
                encoding: f.encoding.clone().unwrap_or_default(),
                size: f.size,
                note: f.note.clone().unwrap_or_default(),
                analysed: f.analysed,
            })
            .collect(),
        next_steps: next_steps(analysis),
        summary_zh: analysis.summary.zh_cn.clone(),
        summary_en: analysis.summary.en.clone(),
    };
    page.render().unwrap_or_else(|e| {
        // Rendering plain data cannot fail; say so in a page rather than panic.
        format!("<!doctype html><title>patchdx</title><p>cannot render the report: {}</p>", escape(&e.to_string()))
    })
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
