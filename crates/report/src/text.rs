//! The terminal report: verdict first, then each finding with its first cause and collapsed cascade, the CBS
//! history's coverage, the files read and every warning.

use anstyle::AnsiColor;
use patchdx_diagnose::{Analysis, Evidence, Finding, Verdict};
use patchdx_formats::cbs::CbsLog;
use std::fmt::Write;

#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    /// Paint the report with ANSI escapes. The caller decides whether its destination wants them (the CLI asks
    /// anstream, and writes through anstream so that a Windows console without ANSI support shows them too).
    pub color: bool,
    /// Show every cascade record and every file instead of a summary.
    pub verbose: bool,
}

// The report's palette: bold for headings, bright-looking (bold) red/green/yellow for verdicts, dim for "more"
// lines, cyan for places and commands.
const BOLD: anstyle::Style = anstyle::Style::new().bold();
const RED: anstyle::Style = AnsiColor::Red.on_default().bold();
const GREEN: anstyle::Style = AnsiColor::Green.on_default().bold();
const YELLOW: anstyle::Style = AnsiColor::Yellow.on_default().bold();
const DIM: anstyle::Style = anstyle::Style::new().dimmed();
const CYAN: anstyle::Style = AnsiColor::Cyan.on_default();

/// Paints text with the palette when colour is on, and leaves it as it is when off.
struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, style: anstyle::Style, text: &str) -> String {
        // `{style:#}` is the reset that ends `{style}`.
        if self.on { format!("{style}{text}{style:#}") } else { text.to_string() }
    }
    fn bold(&self, t: &str) -> String {
        self.paint(BOLD, t)
    }
    fn red(&self, t: &str) -> String {
        self.paint(RED, t)
    }
    fn green(&self, t: &str) -> String {
        self.paint(GREEN, t)
    }
    fn yellow(&self, t: &str) -> String {
        self.paint(YELLOW, t)
    }
    fn dim(&self, t: &str) -> String {
        self.paint(DIM, t)
    }
    fn cyan(&self, t: &str) -> String {
        self.paint(CYAN, t)
    }
}

const QUOTE_WIDTH: usize = 220;

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width).collect();
    out.push('…');
    out
}

fn quote(s: &Style, ev: &Evidence) -> String {
    quote_within(s, ev, QUOTE_WIDTH)
}

/// An observation's first record is the line that decides it: quoted up to this width, so that its last words
/// (often what decides: `… since an equal or higher version of the package … already exists]`) are shown.
const DECIDING_WIDTH: usize = 800;

fn quote_within(s: &Style, ev: &Evidence, width: usize) -> String {
    let place = ev.place();
    let source = ev.source.as_deref().map(|s| format!("[{s}] ")).unwrap_or_default();
    format!("{} {source}{}", s.cyan(&place), clip(ev.text.trim(), width))
}

/// The whole report as text.
pub fn render_text(analysis: &Analysis, options: TextOptions) -> String {
    let s = Style { on: options.color };
    let mut out = String::new();
    let v = &analysis.verdict;
    let _ = writeln!(out, "{} {} — {}", s.bold("patchdx"), analysis.tool_version, analysis.input);
    let _ = writeln!(out, "\n{}\n{}", headline(&s, v), v.summary);

    // Stale or mismatched input is said before anything else: it changes how the rest reads.
    render_case(&mut out, &s, analysis);
    render_machines(&mut out, &s, analysis);
    if !analysis.findings.is_empty() {
        let counts = format!("FINDINGS ({} failed, {} repaired, {} resolved)", v.failures, v.repaired, v.resolved);
        let _ = writeln!(out, "\n{}", s.bold(&counts));
        for finding in &analysis.findings {
            let machine = crate::machines::name(analysis, finding.machine.as_deref());
            render_finding(&mut out, &s, finding, machine.as_deref(), options.verbose);
        }
    }
    render_observations(&mut out, &s, analysis, options.verbose);
    render_attempts(&mut out, &s, analysis, options.verbose);
    if analysis.machines.is_empty() {
        render_history(&mut out, &s, analysis, "CBS HISTORY");
    }
    for m in &analysis.machines {
        render_history(&mut out, &s, &m.analysis, &format!("CBS HISTORY of {} ({})", m.id, m.label));
    }
    if options.verbose || analysis.case.kb_check.is_some() || analysis.case.previous.is_some() {
        let _ = writeln!(
            out,
            "\n{}\n{}\n{}",
            s.bold("CASE SUMMARY (案例总结)"),
            analysis.summary.zh_cn,
            analysis.summary.en
        );
    }
    render_files(&mut out, &s, analysis, options.verbose);
    render_warnings(&mut out, &s, analysis);
    let meaning = match v.exit_code {
        0 if v.resolved > 0 => "no unresolved failure",
        0 => "no failure found",
        1 => "failure diagnosed",
        _ => "some input could not be read",
    };
    let _ = writeln!(out, "\nexit code {} ({meaning})", v.exit_code);
    out
}

/// The verdict in one coloured line.
fn headline(s: &Style, v: &patchdx_diagnose::Overall) -> String {
    if v.failures > 0 {
        s.red("FAILURE DIAGNOSED")
    } else if v.resolved > 0 {
        s.green("FAILURE RESOLVED: no unresolved failure")
    } else if v.unreadable_input {
        s.yellow("NO FAILURE FOUND IN WHAT COULD BE READ")
    } else {
        s.green("NO FAILURE FOUND")
    }
}

/// The machines of a multi-machine input: what identifies each, why it is not one of the others, its verdict.
fn render_machines(out: &mut String, s: &Style, analysis: &Analysis) {
    if analysis.machines.is_empty() {
        return;
    }
    let title = format!("MACHINES ({}): each analysed apart", analysis.machines.len());
    let _ = writeln!(out, "\n{}", s.bold(&title));
    for m in &analysis.machines {
        let _ = writeln!(
            out,
            "  {} {}  {} file(s); {}",
            s.bold(&m.id),
            m.label,
            m.files.len(),
            crate::machines::identity(m)
        );
        for why in crate::machines::reasons_to_show(m) {
            let _ = writeln!(out, "      {} {why}", s.dim("not the same machine as"));
        }
        let _ = writeln!(out, "      {}", m.verdict.summary);
    }
}

fn render_observations(out: &mut String, s: &Style, analysis: &Analysis, verbose: bool) {
    if analysis.observations.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{}", s.bold("OBSERVATIONS"));
    for o in &analysis.observations {
        let machine = o.machine.as_deref().map(|m| format!("{m} ")).unwrap_or_default();
        let _ = writeln!(out, "  • {machine}[{}] {}", o.kind, o.summary);
        let shown = if verbose { o.evidence.len() } else { o.evidence.len().min(3) };
        for (n, ev) in o.evidence[..shown].iter().enumerate() {
            let width = if n == 0 { DECIDING_WIDTH } else { QUOTE_WIDTH };
            let _ = writeln!(out, "      {}", quote_within(s, ev, width));
        }
        if shown < o.evidence.len() {
            let _ = writeln!(out, "      {}", s.dim(&format!("… {} more (--verbose)", o.evidence.len() - shown)));
        }
    }
}

fn render_warnings(out: &mut String, s: &Style, analysis: &Analysis) {
    if analysis.warnings.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{}", s.bold(&format!("WARNINGS ({})", analysis.warnings.len())));
    for w in &analysis.warnings {
        let tag = match w.severity {
            patchdx_bundle::Severity::Notice => s.dim("notice    "),
            patchdx_bundle::Severity::Damaged => s.yellow("damaged   "),
            patchdx_bundle::Severity::Unreadable => s.red("unreadable"),
        };
        let _ = writeln!(out, "  {tag} {}: {}", w.path, w.message);
    }
}

/// One finding: what failed and when, its first cause and cascade, how sure patchdx is, the root cause with
/// its next steps, and the repair manifest.
fn render_finding(out: &mut String, s: &Style, f: &Finding, machine: Option<&str>, verbose: bool) {
    let tag = match f.verdict {
        Verdict::Failed => s.red("FAILED  "),
        Verdict::Repaired => s.green("REPAIRED"),
        Verdict::Resolved => s.green("RESOLVED"),
    };
    let _ = writeln!(out, "\n[{}] {tag} {}", f.id, s.bold(&f.title));
    if let Some(machine) = machine {
        let _ = writeln!(out, "  machine     {machine}");
    }
    render_identity(out, f);
    render_repeats(out, s, f);
    render_resolution(out, s, f);
    render_code(out, s, f);
    render_items(out, f, verbose);
    render_cause_and_cascade(out, s, f, verbose);
    render_confidence_and_sources(out, s, f);
    if let Some(best) = f.diagnosis.first() {
        render_root_cause(out, s, best);
        for other in f.diagnosis.iter().skip(1) {
            let _ = writeln!(out, "  also        {} [{}] (rule {})", other.title.en, other.category, other.rule);
        }
    }
    if let Some(repair) = &f.repair {
        render_repair(out, s, repair, verbose);
    }
}

/// The later attempts that failed the same way: when, the record that says so, and where each falls in the CBS
/// history when it does not cover it.
fn render_repeats(out: &mut String, s: &Style, f: &Finding) {
    if f.repeats.is_empty() {
        return;
    }
    let _ = writeln!(out, "  attempts    {} — the same failure again:", f.attempts());
    for r in &f.repeats {
        let _ = writeln!(out, "              {}", crate::time_pair(r.local_time, r.utc_time, None));
        let _ = writeln!(out, "                {}", quote(s, &r.outcome));
        if let Some(coverage) = &r.coverage {
            let _ = writeln!(out, "                {} {coverage}", s.yellow("coverage"));
        }
    }
}

/// When and by what record a later success of the same operation resolved the failure.
fn render_resolution(out: &mut String, s: &Style, f: &Finding) {
    let Some(r) = &f.resolution else { return };
    let _ = writeln!(
        out,
        "  resolved    {} — {}",
        crate::time_pair(r.local_time, r.utc_time, None),
        s.green(&format!("a later success of the same operation ({})", r.operation))
    );
    let _ = writeln!(out, "              {}", quote(s, &r.by));
}

/// When it failed, and which update, package, session, client and phase.
fn render_identity(out: &mut String, f: &Finding) {
    let _ = writeln!(out, "  when        {}", crate::time_pair(f.local_time, f.utc_time, f.utc_offset.as_deref()));
    if let Some(kb) = &f.kb {
        let _ = writeln!(out, "  update      {kb}");
    }
    if let Some(p) = &f.package {
        let _ = writeln!(out, "  package     {p}");
    }
    match (&f.session, &f.client) {
        (Some(session), Some(client)) => {
            let _ = writeln!(out, "  session     {session} (client {client})");
        }
        (Some(session), None) => {
            let _ = writeln!(out, "  session     {session}");
        }
        (None, Some(client)) => {
            let _ = writeln!(out, "  client      {client}");
        }
        (None, None) => {}
    }
    if let Some(phase) = &f.phase {
        let _ = writeln!(out, "  phase       {phase}");
    }
    if let Some(ai) = &f.installer {
        let binary = ai.binary.as_deref().map(|b| format!(" ({b})")).unwrap_or_default();
        let _ = writeln!(out, "  installer   {}{binary}, its own code {}", ai.name, ai.code.label());
        for component in &ai.components {
            let _ = writeln!(out, "  component   {component}");
        }
    }
}

/// The error code with its meaning in English and Chinese, or the facility when the code table lacks it; then
/// the other codes the operation's records state (the result of a step it depended on), each with its record.
fn render_code(out: &mut String, s: &Style, f: &Finding) {
    if let Some(code) = &f.code {
        render_one_code(out, "code       ", code);
    }
    for related in &f.related_codes {
        let _ = writeln!(out, "  {}", s.bold(&format!("cause       {}, with:", related.what)));
        render_one_code(out, "  code     ", &related.code);
        let _ = writeln!(out, "              {}", quote(s, &related.evidence));
    }
}

fn render_one_code(out: &mut String, label: &str, code: &patchdx_diagnose::CodeRef) {
    match (&code.en, &code.zh_cn) {
        (Some(en), Some(zh)) => {
            let _ = writeln!(out, "  {label} {} — {en}", code.label());
            let _ = writeln!(out, "              {zh}");
        }
        _ => {
            let _ =
                writeln!(out, "  {label} {} — not in patchdx's code table (facility {})", code.label(), code.facility);
        }
    }
}

/// The items the failed operation named (12 unless verbose).
fn render_items(out: &mut String, f: &Finding, verbose: bool) {
    for item in f.items.iter().take(if verbose { usize::MAX } else { 12 }) {
        let _ = writeln!(out, "  item        {item}");
    }
    if !verbose && f.items.len() > 12 {
        let _ = writeln!(out, "  item        … {} more (--verbose)", f.items.len() - 12);
    }
}

/// The first cause, the records that followed it (the first three and the last unless verbose) and the
/// outcome record when it is another one.
fn render_cause_and_cascade(out: &mut String, s: &Style, f: &Finding, verbose: bool) {
    let _ = writeln!(out, "  {} {}", s.bold("first cause"), quote(s, &f.first_cause));
    let cascade: Vec<&Evidence> = f.cascade.iter().filter(|e| **e != f.outcome).collect();
    if !cascade.is_empty() {
        let _ = writeln!(out, "  cascade     {} record(s) after it:", cascade.len());
        let show: Vec<&Evidence> = if verbose || cascade.len() <= 5 {
            cascade.clone()
        } else {
            cascade[..3].iter().chain(cascade[cascade.len() - 1..].iter()).copied().collect()
        };
        for (n, ev) in show.iter().enumerate() {
            if !verbose && cascade.len() > 5 && n == 3 {
                let _ = writeln!(out, "              {}", s.dim(&format!("… {} more (--verbose)", cascade.len() - 4)));
            }
            let _ = writeln!(out, "              {}", quote(s, ev));
        }
    }
    if f.outcome != f.first_cause {
        let _ = writeln!(out, "  outcome     {}", quote(s, &f.outcome));
    }
}

/// How sure the finding is, the other sources that say the same, which sources cover its time, and what the
/// CBS history's coverage means for it.
fn render_confidence_and_sources(out: &mut String, s: &Style, f: &Finding) {
    let _ = writeln!(out, "  confidence  {:?} — {}", f.confidence, f.confidence_reason);
    if !f.corroboration.is_empty() {
        let _ = writeln!(out, "  also in     {} record(s) of other sources:", f.corroboration.len());
        for ev in &f.corroboration {
            let _ = writeln!(out, "              {}", quote(s, ev));
        }
    }
    if !f.coverage.covered_by.is_empty() || !f.coverage.not_covered_by.is_empty() {
        let (covered, not_covered) = (&f.coverage.covered_by, &f.coverage.not_covered_by);
        // A source on both sides (one CBS piece covers the time, another does not) is named by its files.
        let names = |spans: &[patchdx_diagnose::coverage::SourceSpan],
                     other: &[patchdx_diagnose::coverage::SourceSpan]| {
            if spans.is_empty() {
                return "none".to_string();
            }
            let mut labels: Vec<String> = spans
                .iter()
                .map(|s| match other.iter().any(|o| o.source == s.source) {
                    true => format!("{} {}", s.source, s.file.rsplit('/').next().unwrap_or(&s.file)),
                    false => s.source.clone(),
                })
                .collect();
            labels.sort();
            labels.dedup();
            labels.join(", ")
        };
        let _ = writeln!(
            out,
            "  sources     cover this time: {}; do not: {}",
            names(covered, not_covered),
            names(not_covered, covered)
        );
    }
    if let Some(coverage) = f.coverage.cbs.sentence() {
        let _ = writeln!(out, "  {} {coverage}", s.yellow("coverage   "));
    }
}

/// The best rule's root cause in English and Chinese, its numbered next steps, commands and what to collect.
fn render_root_cause(out: &mut String, s: &Style, best: &patchdx_diagnose::RuleDiagnosis) {
    let _ = writeln!(out, "  {} {} [{}] (rule {})", s.bold("root cause "), best.title.en, best.category, best.rule);
    let _ = writeln!(out, "              {}", best.title.zh_cn);
    let _ = writeln!(out, "              {}", best.explanation.en);
    let _ = writeln!(out, "              {}", best.explanation.zh_cn);
    let _ = writeln!(out, "  {}", s.bold("next steps"));
    for (n, (en, zh)) in best.remediation.en.iter().zip(&best.remediation.zh_cn).enumerate() {
        let _ = writeln!(out, "    {}. {en}\n       {zh}", n + 1);
    }
    if !best.commands.is_empty() {
        let _ = writeln!(out, "  commands");
        for command in &best.commands {
            let _ = writeln!(out, "    {}", s.cyan(command));
        }
    }
    if !best.collect.en.is_empty() {
        let _ = writeln!(out, "  collect");
        for (en, zh) in best.collect.en.iter().zip(&best.collect.zh_cn) {
            let _ = writeln!(out, "    • {en}\n      {zh}");
        }
    }
}

fn render_repair(out: &mut String, s: &Style, m: &patchdx_diagnose::repair_manifest::RepairManifest, verbose: bool) {
    let _ = writeln!(out, "  {}", s.bold("repair manifest (修复清单)"));
    let limit = if verbose { usize::MAX } else { 12 };
    for c in m.components.iter().take(limit) {
        let token = c.public_key_token.as_deref().map(|t| format!(" pkt {t}")).unwrap_or_default();
        let culture = c.culture.as_deref().filter(|c| *c != "neutral").map(|c| format!(" {c}")).unwrap_or_default();
        let _ = writeln!(out, "    component {} {} {}{token}{culture}", c.name, c.version, c.architecture);
        if !c.files.is_empty() {
            let shown = if verbose { c.files.len() } else { c.files.len().min(6) };
            let more =
                if shown < c.files.len() { format!(", … {} more", c.files.len() - shown) } else { String::new() };
            let _ = writeln!(out, "      files   {}{more}", c.files[..shown].join(", "));
        }
        if !c.problems.is_empty() {
            let _ = writeln!(out, "      state   {}", c.problems.join("; "));
        }
    }
    if m.components.len() > limit {
        let _ = writeln!(out, "    … {} more component(s) (--verbose)", m.components.len() - limit);
    }
    if !m.unattributed_files.is_empty() {
        let _ = writeln!(out, "    files without their component: {}", m.unattributed_files.join(", "));
    }
    for p in &m.packages {
        let kb = p.kb.as_deref().map(|k| format!("{k} ")).unwrap_or_default();
        let _ = writeln!(out, "    update    {kb}{} — {}", p.identity, p.relation);
    }
    for source in &m.sources {
        let _ = writeln!(out, "    source    {}", source.text.en);
        let _ = writeln!(out, "              {}", source.text.zh_cn);
    }
    let _ = writeln!(out, "    commands");
    for c in &m.commands {
        let _ = writeln!(out, "      {}", s.cyan(&c.command));
        if verbose {
            let _ = writeln!(out, "        {}\n        {}", c.purpose.en, c.purpose.zh_cn);
        }
    }
}

fn render_history(out: &mut String, s: &Style, analysis: &Analysis, title: &str) {
    let h = &analysis.cbs.history;
    let _ = writeln!(out, "\n{}", s.bold(title));
    if h.pieces.is_empty() {
        let _ = writeln!(out, "  no CBS.log or CbsPersist piece in the input");
        return;
    }
    let span = match (h.first_local, h.last_local) {
        (Some(a), Some(b)) => format!("{a} → {b} local"),
        _ => "no timestamped lines".to_string(),
    };
    let utc = match (h.first_utc, h.last_utc) {
        (Some(a), Some(b)) => format!(" = {a} → {b} UTC"),
        _ => String::new(),
    };
    let _ = writeln!(out, "  covers {span}{utc}, in {} piece(s), oldest first:", h.pieces.len());
    for (piece, log) in h.pieces.iter().zip(analysis.cbs.logs.iter()) {
        render_piece(out, s, piece, log);
    }
    for d in &h.duplicates {
        let _ = writeln!(out, "    {} is the same log as {} (ignored)", d.path, d.same_as);
    }
    if !h.missing_pieces.is_empty() {
        let _ = writeln!(out, "  {} {}", s.yellow("not in the bundle:"), h.missing_pieces.join(", "));
    }
    let counts: Vec<String> = analysis.cbs.session_counts.iter().map(|(c, n)| format!("{c} {n}")).collect();
    if !counts.is_empty() {
        let _ = writeln!(out, "  sessions by client: {}", counts.join(", "));
    }
}

/// One piece of the CBS history: its local time range, UTC offset(s), size and the gap before it.
fn render_piece(out: &mut String, s: &Style, piece: &patchdx_formats::cbs::history::Piece, log: &CbsLog) {
    let range = match (piece.first_local, piece.last_local) {
        (Some(a), Some(b)) => format!("{a} → {b}"),
        _ => "no timestamps".to_string(),
    };
    let gap = piece
        .gap_before_seconds
        .filter(|g| *g > 3600)
        .map(|g| format!("  {}", s.yellow(&format!("(gap of {} before it)", crate::human_duration(g)))))
        .unwrap_or_default();
    let _ = writeln!(out, "    {}  {range}  {}  {} lines{gap}", piece.path, offsets(log), piece.lines);
    if piece.overlapping_events_removed > 0 {
        let _ = writeln!(
            out,
            "      overlaps the previous piece: {} repeated records ignored",
            piece.overlapping_events_removed
        );
    }
}

/// The UTC offset a CBS log was read with, or each offset and the line it starts at when it changes.
fn offsets(log: &CbsLog) -> String {
    use patchdx_formats::time::format_offset;
    match log.offsets.as_slice() {
        [] => "offset unknown".to_string(),
        [one] => format!("UTC{}", format_offset(one.offset_seconds)),
        many => format!(
            "UTC offset changes: {}",
            many.iter()
                .map(|o| format!("{} from line {}", format_offset(o.offset_seconds), o.from_line))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn render_files(out: &mut String, s: &Style, analysis: &Analysis, verbose: bool) {
    let _ = writeln!(out, "\n{}", s.bold(&format!("FILES ({})", analysis.files.len())));
    let limit = if verbose { usize::MAX } else { 40 };
    for f in analysis.files.iter().take(limit) {
        let encoding = f.encoding.as_deref().map(|e| format!(", {e}")).unwrap_or_default();
        let note = f.note.as_deref().map(|n| format!(" — {n}")).unwrap_or_default();
        let mark = if f.analysed { s.green("✓") } else { s.dim("·") };
        let _ = writeln!(out, "  {mark} {}  [{}{encoding}, {} bytes]{note}", f.path, f.kind_label, f.size);
    }
    if analysis.files.len() > limit {
        let _ = writeln!(out, "  … {} more files (--verbose)", analysis.files.len() - limit);
    }
}

fn render_case(out: &mut String, s: &Style, analysis: &Analysis) {
    let case = &analysis.case;
    let mut statements = Vec::new();
    if let Some(previous) = &case.previous {
        statements.extend(previous.statements.iter());
    }
    if let Some(freshness) = &case.freshness {
        statements.push(freshness);
    }
    if let Some(kb) = &case.kb_check {
        statements.extend(kb.statements.iter());
    }
    if statements.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{}", s.bold("CASE CHECKS"));
    for statement in statements {
        let _ = writeln!(out, "  {} {}\n    {}", s.yellow("!"), statement.en, statement.zh_cn);
    }
}

fn render_attempts(out: &mut String, s: &Style, analysis: &Analysis, verbose: bool) {
    if analysis.attempts.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{}", s.bold(&format!("UPDATE ATTEMPTS ({})", analysis.attempts.len())));
    let limit = if verbose { usize::MAX } else { 30 };
    for a in analysis.attempts.iter().take(limit) {
        let outcome = match a.outcome {
            patchdx_diagnose::attempts::Outcome::Failed => s.red("failed"),
            patchdx_diagnose::attempts::Outcome::Succeeded => s.green("succeeded"),
            patchdx_diagnose::attempts::Outcome::RebootPending => s.yellow("reboot pending"),
            patchdx_diagnose::attempts::Outcome::Unknown => s.dim("outcome unknown"),
        };
        let when = a.start_local.map(|t| t.to_string()).unwrap_or_else(|| "?".to_string());
        let code = a.code.as_ref().map(|c| format!(" {}", c.label())).unwrap_or_default();
        let machine = a.machine.as_deref().map(|m| format!("{m:<4}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "  {machine}{:<10} {when} local  {outcome}{code}  [{}] from {}",
            a.kb,
            a.phases.join(" → "),
            a.sources.join(", ")
        );
    }
    if analysis.attempts.len() > limit {
        let _ = writeln!(out, "  … {} more (--verbose)", analysis.attempts.len() - limit);
    }
}
