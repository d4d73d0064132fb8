//! The analysis as one self-contained HTML page: verdict, findings with quoted evidence, a coverage chart of
//! the CBS history (inline SVG), the merged timeline with a filter, warnings, next steps and the case summary.
//!
//! Everything the page shows comes from the analysis through askama templates, which escape every value; the
//! CSS and JS are the crate's own files (`assets/`), inlined, so the page loads nothing from the network.
//!
//! This module assembles the page (verdict, case checks, CBS pieces, warnings, files); the view models with
//! more to them have their own modules: [`findings`] (findings, observations, next steps), [`chart`] (the
//! coverage chart's geometry) and [`events`] (the timeline table).

mod chart;
mod events;
mod findings;

use askama::Template;
use chart::Chart;
use events::EventRow;
use findings::{FindingView, NextSteps, ObservationView};
use patchdx_diagnose::Analysis;
use patchdx_diagnose::timeline::Timeline;
use patchdx_formats::CivilTime;
use patchdx_formats::cbs::history::History;

const CSS: &str = include_str!("../../assets/report.css");
const JS: &str = include_str!("../../assets/report.js");

struct PieceRow {
    path: String,
    first: String,
    last: String,
    lines: u64,
    gap: String,
}

/// What one CBS history covers (the input's, or one machine's of several).
struct CoverageView {
    /// Empty for a one-machine input; `M2 (SRV02)` otherwise.
    title: String,
    text: String,
    chart: Option<Chart>,
    pieces: Vec<PieceRow>,
    missing_pieces: String,
    duplicates: Vec<(String, String)>,
}

struct MachineRow {
    id: String,
    label: String,
    identity: String,
    files: usize,
    apart_from: Vec<String>,
    verdict: String,
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
    resolved: usize,
    exit_code: i32,
    exit_meaning: &'static str,
    summary: String,
    case_checks: Vec<(String, String)>,
    findings: Vec<FindingView>,
    observations: Vec<ObservationView>,
    machines: Vec<MachineRow>,
    coverages: Vec<CoverageView>,
    sources: Vec<(String, &'static str)>,
    events: Vec<EventRow>,
    events_total: usize,
    warnings: Vec<WarningRow>,
    files: Vec<FileRow>,
    next_steps: Vec<NextSteps>,
    summary_zh: String,
    summary_en: String,
}

/// A quoted text trimmed and cut to `width` characters, with `…` when cut.
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

/// The verdict's headline and its CSS class.
fn headline(analysis: &Analysis) -> (&'static str, &'static str) {
    let v = &analysis.verdict;
    if v.failures > 0 {
        ("Failure diagnosed", "bad")
    } else if v.resolved > 0 {
        ("Failure resolved: no unresolved failure", "good")
    } else if v.unreadable_input {
        ("No failure found in what could be read", "warn")
    } else {
        ("No failure found", "good")
    }
}

fn exit_meaning(exit_code: i32, resolved: usize) -> &'static str {
    match exit_code {
        0 if resolved > 0 => "no unresolved failure: every failure was resolved by a later success",
        0 => "nothing failed: no failed servicing operation found",
        1 => "a failure was diagnosed",
        _ => "some input could not be read (wins over 1; the report still holds every finding)",
    }
}

/// The case checks' statements (previous bundle, freshness, reported KBs) as (English, Chinese).
fn case_checks(analysis: &Analysis) -> Vec<(String, String)> {
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
    case_checks
}

/// One sentence on what the CBS history covers.
fn coverage_text(h: &History) -> String {
    match (h.first_local, h.last_local) {
        (Some(a), Some(b)) => {
            let utc = match (h.first_utc, h.last_utc) {
                (Some(x), Some(y)) => format!(" = {x} → {y} UTC"),
                _ => String::new(),
            };
            format!("CBS history covers {a} → {b} local{utc}, in {} piece(s).", h.pieces.len())
        }
        _ => "No CBS.log or CbsPersist piece in the input.".to_string(),
    }
}

fn piece_rows(h: &History) -> Vec<PieceRow> {
    h.pieces
        .iter()
        .map(|p| PieceRow {
            path: p.path.clone(),
            first: time(p.first_local),
            last: time(p.last_local),
            lines: p.lines,
            gap: p.gap_before_seconds.filter(|g| *g > 3600).map(crate::human_duration).unwrap_or_default(),
        })
        .collect()
}

fn coverage_view(analysis: &Analysis, title: String) -> CoverageView {
    let h = &analysis.cbs.history;
    CoverageView {
        title,
        text: coverage_text(h),
        chart: chart::chart(analysis),
        pieces: piece_rows(h),
        missing_pieces: h.missing_pieces.join(", "),
        duplicates: h.duplicates.iter().map(|d| (d.path.clone(), d.same_as.clone())).collect(),
    }
}

/// The input's coverage, or each machine's when it holds several.
fn coverage_views(analysis: &Analysis) -> Vec<CoverageView> {
    if analysis.machines.is_empty() {
        return vec![coverage_view(analysis, String::new())];
    }
    analysis.machines.iter().map(|m| coverage_view(&m.analysis, format!("{} ({})", m.id, m.label))).collect()
}

fn machine_rows(analysis: &Analysis) -> Vec<MachineRow> {
    analysis
        .machines
        .iter()
        .map(|m| MachineRow {
            id: m.id.clone(),
            label: m.label.clone(),
            identity: crate::machines::identity(m),
            files: m.files.len(),
            apart_from: crate::machines::reasons_to_show(m).map(str::to_string).collect(),
            verdict: m.verdict.summary.clone(),
        })
        .collect()
}

fn finding_views(analysis: &Analysis) -> Vec<FindingView> {
    analysis
        .findings
        .iter()
        .map(|f| {
            let mut view = findings::finding(f);
            if let Some(machine) = crate::machines::name(analysis, f.machine.as_deref()) {
                view.facts.insert(0, ("machine", machine));
            }
            view
        })
        .collect()
}

fn warning_rows(analysis: &Analysis) -> Vec<WarningRow> {
    analysis
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
        .collect()
}

fn file_rows(analysis: &Analysis) -> Vec<FileRow> {
    analysis
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
        .collect()
}

/// The whole analysis as one HTML page that needs nothing else (no network, no files beside it).
///
/// `timeline` is the bundle's merged timeline (`Analyzed::timeline`, or `patchdx_diagnose::timeline_of`): the analysis names the
/// files on it but does not carry the events.
pub fn render_html(analysis: &Analysis, timeline: &Timeline) -> String {
    let v = &analysis.verdict;
    let (headline, headline_class) = headline(analysis);
    let quoted = findings::quoted_records(analysis);
    let page = Page {
        css: CSS,
        js: JS,
        input: analysis.input.clone(),
        version: analysis.tool_version.to_string(),
        headline,
        headline_class,
        failures: v.failures,
        repaired: v.repaired,
        resolved: v.resolved,
        exit_code: v.exit_code,
        exit_meaning: exit_meaning(v.exit_code, v.resolved),
        summary: v.summary.clone(),
        case_checks: case_checks(analysis),
        findings: finding_views(analysis),
        observations: analysis.observations.iter().map(findings::observation).collect(),
        machines: machine_rows(analysis),
        coverages: coverage_views(analysis),
        sources: events::sources(timeline),
        events: events::event_rows(timeline, &quoted),
        events_total: timeline.events.len(),
        warnings: warning_rows(analysis),
        files: file_rows(analysis),
        next_steps: findings::next_steps(analysis),
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
