//! The analysis as Markdown, for a case record or a ticket: verdict, findings with quoted evidence, case
//! checks, CBS coverage, the case summary in both languages, files and warnings.

use patchdx_diagnose::{Analysis, Finding, Verdict};
use std::fmt::Write;

/// Escapes text for a Markdown table cell or paragraph.
fn cell(text: &str) -> String {
    text.replace('\\', "\\\\").replace('|', "\\|").replace('`', "'").replace('\n', " ")
}

/// Text for an inline code span outside a table: a code span shows backslashes as they are (doubling them, as a
/// table cell needs, would show `C:\\Windows`), so only backticks and line breaks are replaced.
fn code_span(text: &str) -> String {
    text.replace('`', "'").replace('\n', " ")
}

/// A fenced block that cannot be closed early by the quoted text.
fn fenced(lines: &[String]) -> String {
    let longest = lines.iter().map(|l| l.matches('`').count()).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}text\n{}\n{fence}\n", lines.join("\n"))
}

/// One finding: its facts table, the quoted evidence, the items, the root cause and the repair manifest.
fn finding(out: &mut String, f: &Finding, machine: Option<&str>) {
    let tag = match f.verdict {
        Verdict::Failed => "FAILED",
        Verdict::Repaired => "REPAIRED",
        Verdict::Resolved => "RESOLVED",
    };
    let _ = writeln!(out, "### {} {tag}: {}\n", f.id, cell(&f.title));
    facts_table(out, f, machine);
    evidence_blocks(out, f);
    if !f.items.is_empty() {
        let _ = writeln!(out, "\nItems:\n");
        for item in &f.items {
            let _ = writeln!(out, "- `{}`", code_span(item));
        }
    }
    if let Some(d) = f.diagnosis.first() {
        root_cause(out, d);
    }
    if let Some(m) = &f.repair {
        repair(out, m);
    }
    let _ = writeln!(out);
}

/// The two-column table of a finding: when, its facts, the code, confidence and coverage.
fn facts_table(out: &mut String, f: &Finding, machine: Option<&str>) {
    let _ = writeln!(out, "| | |\n|---|---|");
    if let Some(machine) = machine {
        let _ = writeln!(out, "| machine | {} |", cell(machine));
    }
    if let (Some(l), u) = (f.local_time, f.utc_time) {
        let utc = u.map(|u| format!(" = {u} UTC")).unwrap_or_default();
        let _ = writeln!(
            out,
            "| when | {l} local{}{utc} |",
            f.utc_offset.as_deref().map(|o| format!(" (UTC{o})")).unwrap_or_default()
        );
    }
    for (name, value) in f.facts() {
        let _ = writeln!(out, "| {name} | `{}` |", cell(value));
    }
    if let Some(c) = &f.code {
        let _ = writeln!(
            out,
            "| code | `{}` {} / {} |",
            c.label(),
            cell(c.en.as_deref().unwrap_or("not in the code table")),
            cell(c.zh_cn.as_deref().unwrap_or(""))
        );
    }
    for related in &f.related_codes {
        let c = &related.code;
        let _ = writeln!(
            out,
            "| cause | {}: `{}` {} / {} (`{}`) |",
            cell(&related.what),
            c.label(),
            cell(c.en.as_deref().unwrap_or("not in the code table")),
            cell(c.zh_cn.as_deref().unwrap_or("")),
            cell(&related.evidence.place())
        );
    }
    if !f.repeats.is_empty() {
        let again: Vec<String> = f
            .repeats
            .iter()
            .map(|r| format!("{} (`{}`)", crate::time_pair(r.local_time, r.utc_time, None), cell(&r.outcome.place())))
            .collect();
        let _ = writeln!(out, "| attempts | {}: failed again at {} |", f.attempts(), again.join(", "));
    }
    if let Some(r) = &f.resolution {
        let at = r.local_time.map(|t| format!("{t} local")).unwrap_or_default();
        let _ = writeln!(
            out,
            "| resolved | {at} by a later success of the same operation ({}): `{}` |",
            cell(&r.operation),
            cell(&r.by.place())
        );
    }
    let _ = writeln!(out, "| confidence | {:?}: {} |", f.confidence, cell(&f.confidence_reason));
    if let Some(coverage) = f.coverage.cbs.sentence() {
        let _ = writeln!(out, "| coverage | {} |", cell(&coverage));
    }
}

/// The quoted records, fenced: first cause and cascade, then the other sources that saw the same failure.
fn evidence_blocks(out: &mut String, f: &Finding) {
    let _ = writeln!(out, "\nFirst cause, then the cascade and the outcome:\n");
    let mut lines = vec![format!("{}  {}", f.first_cause.place(), f.first_cause.text.trim())];
    lines.extend(f.cascade.iter().map(|e| format!("{}  {}", e.place(), e.text.trim())));
    let _ = write!(out, "{}", fenced(&lines));
    if !f.corroboration.is_empty() {
        let lines: Vec<String> = f.corroboration.iter().map(|e| format!("{}  {}", e.place(), e.text.trim())).collect();
        let _ = writeln!(out, "\nThe same failure in other sources:\n");
        let _ = write!(out, "{}", fenced(&lines));
    }
}

/// The best rule's root cause and explanation in both languages, and its commands.
fn root_cause(out: &mut String, d: &patchdx_diagnose::RuleDiagnosis) {
    let _ = writeln!(
        out,
        "\n**Root cause** ({}, rule `{}`): {} / {}\n",
        d.category,
        d.rule,
        cell(&d.title.en),
        cell(&d.title.zh_cn)
    );
    let _ = writeln!(out, "{}\n\n{}\n", cell(&d.explanation.en), cell(&d.explanation.zh_cn));
    if !d.commands.is_empty() {
        let _ = write!(out, "{}", fenced(&d.commands.clone()));
    }
}

fn repair(out: &mut String, m: &patchdx_diagnose::repair_manifest::RepairManifest) {
    let _ = writeln!(out, "\n**Repair manifest / 修复清单**\n");
    if !m.components.is_empty() {
        let _ = writeln!(
            out,
            "| component | version | arch | public key token | culture | files | state |\n|---|---|---|---|---|---|---|"
        );
        for c in &m.components {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} | {} | {} |",
                cell(&c.name),
                cell(&c.version),
                cell(&c.architecture),
                cell(c.public_key_token.as_deref().unwrap_or("-")),
                cell(c.culture.as_deref().unwrap_or("-")),
                c.files.iter().map(|f| format!("`{}`", cell(f))).collect::<Vec<_>>().join(", "),
                cell(&c.problems.join("; "))
            );
        }
        let _ = writeln!(out);
    }
    if !m.unattributed_files.is_empty() {
        let files: Vec<String> = m.unattributed_files.iter().map(|f| format!("`{}`", cell(f))).collect();
        let _ = writeln!(out, "Files without their component: {}\n", files.join(", "));
    }
    for p in &m.packages {
        let kb = p.kb.as_deref().map(|k| format!("{k} ")).unwrap_or_default();
        let _ = writeln!(out, "- update {kb}`{}`: {}", cell(&p.identity), cell(&p.relation));
    }
    if !m.packages.is_empty() {
        let _ = writeln!(out);
    }
    for step in &m.steps {
        let _ = writeln!(out, "1. {} / {}", cell(&step.en), cell(&step.zh_cn));
    }
    let _ = writeln!(out);
    let commands: Vec<String> = m.commands.iter().map(|c| c.command.clone()).collect();
    let _ = write!(out, "{}", fenced(&commands));
}

/// The whole analysis as one Markdown document.
pub fn render_markdown(analysis: &Analysis) -> String {
    let mut out = String::new();
    let v = &analysis.verdict;
    let _ = writeln!(out, "# patchdx analysis of `{}`\n", cell(&analysis.input));
    let _ = writeln!(
        out,
        "**{}** — {}\n",
        if v.failures > 0 { "Failure diagnosed" } else { "No failure found" },
        cell(&v.summary)
    );
    machines(&mut out, analysis);
    findings(&mut out, analysis);
    observations(&mut out, analysis);
    if analysis.machines.is_empty() {
        cbs_history(&mut out, &analysis.cbs.history, "## CBS history");
    }
    for m in &analysis.machines {
        cbs_history(&mut out, &m.cbs_history, &format!("## CBS history of {} ({})", m.id, cell(&m.label)));
    }
    let _ = writeln!(
        out,
        "\n## Case summary\n\n### 中文\n\n{}\n### English\n\n{}",
        analysis.summary.zh_cn, analysis.summary.en
    );
    warnings(&mut out, analysis);
    files(&mut out, analysis);
    out
}

/// The findings' overview table, then each finding in full.
fn findings(out: &mut String, analysis: &Analysis) {
    if analysis.findings.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "## Findings\n\n| id | verdict | update | code | when (local) | evidence |\n|---|---|---|---|---|---|"
    );
    for f in &analysis.findings {
        let _ = writeln!(
            out,
            "| {} | {:?} | {} | {} | {} | `{}` |",
            f.id,
            f.verdict,
            cell(f.kb.as_deref().or(f.package.as_deref()).unwrap_or("-")),
            f.code.as_ref().map(|c| c.label()).unwrap_or_default(),
            f.local_time.map(|t| t.to_string()).unwrap_or_default(),
            cell(&f.outcome.place())
        );
    }
    let _ = writeln!(out);
    for f in &analysis.findings {
        finding(out, f, crate::machines::name(analysis, f.machine.as_deref()).as_deref());
    }
}

/// The machines of a multi-machine input, each with what identifies it and why it is not another.
fn machines(out: &mut String, analysis: &Analysis) {
    if analysis.machines.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "## Machines\n\n{} machines, each analysed apart.\n\n| machine | identified by | files | not the same machine as | verdict |\n|---|---|---|---|---|",
        analysis.machines.len()
    );
    for m in &analysis.machines {
        let _ = writeln!(
            out,
            "| {} {} | {} | {} | {} | {} |",
            m.id,
            cell(&m.label),
            cell(&crate::machines::identity(m)),
            m.files.len(),
            cell(&crate::machines::reasons_to_show(m).collect::<Vec<_>>().join("; ")),
            cell(&m.verdict.summary)
        );
    }
    let _ = writeln!(out);
}

/// Facts that are not failures, each with its records (the first is the line that decides it).
fn observations(out: &mut String, analysis: &Analysis) {
    if analysis.observations.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Observations\n");
    for o in &analysis.observations {
        let _ = writeln!(out, "- **{}**: {}\n", o.kind, cell(&o.summary));
        if !o.evidence.is_empty() {
            let lines: Vec<String> = o.evidence.iter().map(|e| format!("{}  {}", e.place(), e.text.trim())).collect();
            let _ = write!(out, "{}", fenced(&lines));
            let _ = writeln!(out);
        }
    }
}

/// What the CBS history covers, and its pieces.
fn cbs_history(out: &mut String, h: &patchdx_formats::cbs::history::History, title: &str) {
    let _ = writeln!(out, "{title}\n");
    match (h.first_local, h.last_local) {
        (Some(a), Some(b)) => {
            let _ = writeln!(out, "Covers {a} → {b} (local) in {} piece(s).\n", h.pieces.len());
            let _ = writeln!(out, "| piece | first | last | lines |\n|---|---|---|---|");
            for p in &h.pieces {
                let t = |x: Option<patchdx_formats::CivilTime>| x.map(|t| t.to_string()).unwrap_or_default();
                let _ =
                    writeln!(out, "| `{}` | {} | {} | {} |", cell(&p.path), t(p.first_local), t(p.last_local), p.lines);
            }
        }
        _ => {
            let _ = writeln!(out, "No CBS.log or CbsPersist piece in the input.");
        }
    }
}

fn warnings(out: &mut String, analysis: &Analysis) {
    if analysis.warnings.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Warnings\n\n| file | severity | message |\n|---|---|---|");
    for w in &analysis.warnings {
        let _ = writeln!(out, "| `{}` | {:?} | {} |", cell(&w.path), w.severity, cell(&w.message));
    }
    let _ = writeln!(out);
}

fn files(out: &mut String, analysis: &Analysis) {
    let _ = writeln!(out, "## Files\n\n| file | kind | encoding | size |\n|---|---|---|---|");
    for f in &analysis.files {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            cell(&f.path),
            f.kind_label,
            f.encoding.as_deref().unwrap_or("-"),
            f.size
        );
    }
}
