//! The case summary support teams write — problem, findings with evidence, coverage, conclusion or what is
//! still unknown, next steps — composed from the findings in English and Simplified Chinese.

pub use crate::model::CaseSummary;
use crate::model::{CbsCoverage, Finding, RuleDiagnosis, Verdict};
use crate::{Analysis, CaseSection};
use patchdx_formats::CivilTime;
use patchdx_formats::cbs::history::History;
use std::fmt::{Display, Write};

fn when(f: &Finding) -> String {
    moment(f.local_time, f.utc_time, f.utc_offset.as_deref())
}

fn moment(local: Option<CivilTime>, utc: Option<CivilTime>, offset: Option<&str>) -> String {
    match (local, utc) {
        (Some(l), Some(u)) => match offset {
            Some(offset) => format!("{l} local (UTC{offset}) = {u} UTC"),
            None => format!("{l} local = {u} UTC"),
        },
        (Some(l), None) => format!("{l} (local)"),
        (None, Some(u)) => format!("{u} UTC"),
        _ => "an unknown time".to_string(),
    }
}

fn subject(f: &Finding) -> String {
    f.kb.clone().or_else(|| f.package.clone()).unwrap_or_else(|| "a servicing operation".to_string())
}

/// The summary in both languages, written a line at a time to each, so that the two keep the same lines.
#[derive(Default)]
struct SummaryText {
    en: String,
    zh: String,
}

impl SummaryText {
    fn line(&mut self, en: impl Display, zh: impl Display) {
        // Writing to a String cannot fail.
        let _ = writeln!(self.en, "{en}");
        let _ = writeln!(self.zh, "{zh}");
    }
}

/// Writes the summary of an analysis.
pub fn summarize(analysis: &Analysis) -> CaseSummary {
    let failed: Vec<&Finding> = analysis.findings.iter().filter(|f| f.verdict == Verdict::Failed).collect();
    let uncovered: Vec<&Finding> = failed
        .iter()
        .copied()
        .filter(|f| f.coverage.cbs.sentence().is_some() || f.repeats.iter().any(|r| r.coverage.is_some()))
        .collect();
    let best = failed.iter().find_map(|f| f.diagnosis.first());
    let mut out = SummaryText::default();
    let resolved: Vec<&Finding> = analysis.findings.iter().filter(|f| f.verdict == Verdict::Resolved).collect();
    problem(&mut out, &analysis.case, &failed);
    findings(&mut out, &analysis.case, &failed);
    resolutions(&mut out, &resolved);
    coverage(&mut out, &analysis.cbs.history, &uncovered);
    conclusion(&mut out, best, failed.is_empty(), !uncovered.is_empty());
    next_steps(&mut out, best);
    CaseSummary { en: out.en, zh_cn: out.zh }
}

/// The problem as the customer reports it (the KBs they name), else as the logs show it.
fn problem(out: &mut SummaryText, case: &CaseSection, failed: &[&Finding]) {
    let reported = case.kb_check.as_ref().map(|k| k.reported.join(", ")).filter(|r| !r.is_empty());
    out.line("Problem", "问题描述");
    match (&reported, failed.first()) {
        (Some(r), _) => out.line(
            format_args!("- The customer reports that {r} fails to install."),
            format_args!("- 客户报告 {r} 安装失败。"),
        ),
        (None, Some(f)) => {
            out.line(format_args!("- {} fails to install.", subject(f)), format_args!("- {} 安装失败。", subject(f)))
        }
        (None, None) => {
            out.line("- The logs were checked for failed update installations.", "- 检查日志中是否有更新安装失败。")
        }
    }
}

/// Each failure with its evidence, then what the checks around the case found.
fn findings(out: &mut SummaryText, case: &CaseSection, failed: &[&Finding]) {
    out.line("\nFindings", "\n调查结果");
    if failed.is_empty() {
        out.line(
            "- No failed servicing operation was found in the logs provided.",
            "- 在所提供的日志中未发现失败的服务操作。",
        );
    }
    for f in failed {
        failure(out, f);
    }
    for (en, zh) in case_statements(case) {
        out.line(format_args!("- {en}"), format_args!("- {zh}"));
    }
}

/// Failures a later success made good: when each failed and when, and by what, it was resolved.
fn resolutions(out: &mut SummaryText, resolved: &[&Finding]) {
    for f in resolved {
        let Some(r) = &f.resolution else { continue };
        let label = f.code.as_ref().map(|c| c.label()).unwrap_or_else(|| "no code".to_string());
        let at = r.local_time.map(|t| t.to_string()).unwrap_or_else(|| "?".to_string());
        let (failed_at, what, place) = (when(f), subject(f), r.by.place());
        out.line(
            format_args!("- {failed_at}: {what} failed with {label}; resolved at {at} by a later success of the same operation — evidence {place}."),
            format_args!("- {failed_at}：{what} 安装失败，错误码 {label}；已于 {at} 由同一操作之后的成功安装解决 — 证据 {place}。"),
        );
    }
}

/// One failure: when, what, its code and meaning, where the evidence is, and the first cause when it is another
/// record and the CBS history covers the failure.
fn failure(out: &mut SummaryText, f: &Finding) {
    let code = f.code.as_ref();
    let label = code.map(|c| c.label()).unwrap_or_else(|| "no code".to_string());
    let meaning_en = code.and_then(|c| c.en.clone()).unwrap_or_default();
    let meaning_zh = code.and_then(|c| c.zh_cn.clone()).unwrap_or_default();
    let (at, what, place) = (when(f), subject(f), f.outcome.place());
    out.line(
        format_args!("- {at}: {what} failed with {label} ({meaning_en}) — evidence {place}."),
        format_args!("- {at}：{what} 安装失败，错误码 {label}（{meaning_zh}）— 证据 {place}。"),
    );
    for (n, r) in f.repeats.iter().enumerate() {
        let at = moment(r.local_time, r.utc_time, f.utc_offset.as_deref());
        let place = r.outcome.place();
        out.line(
            format_args!("  Attempt {} failed the same way at {at} — evidence {place}.", n + 2),
            format_args!("  第 {} 次尝试于 {at} 以同样方式失败 — 证据 {place}。", n + 2),
        );
    }
    if f.first_cause != f.outcome && f.coverage.cbs.sentence().is_none() {
        let (file, line, text) = (&f.first_cause.file, f.first_cause.line, f.first_cause.text.trim());
        out.line(format_args!("  First cause: {file}:{line} {text}"), format_args!("  最初原因：{file}:{line} {text}"));
    }
}

/// The time CBS.log covers, and where each failure it does not cover falls.
fn coverage(out: &mut SummaryText, history: &History, uncovered: &[&Finding]) {
    out.line("\nCoverage", "\n日志覆盖范围");
    match (history.first_local, history.last_local) {
        (Some(a), Some(b)) => out.line(
            format_args!("- CBS.log and its rotated pieces cover {a} → {b} (local)."),
            format_args!("- CBS.log 及其轮转日志覆盖本地时间 {a} → {b}。"),
        ),
        _ => out.line("- No CBS.log was provided.", "- 未提供 CBS.log。"),
    }
    // Without any CBS log that was said once above; the others say where each failure (and each attempt of
    // one) falls.
    for f in uncovered {
        let attempts =
            std::iter::once((f.local_time, &f.coverage.cbs)).chain(f.repeats.iter().map(|r| (r.local_time, &r.cbs)));
        for (n, (at, cbs)) in attempts.enumerate() {
            if *cbs == CbsCoverage::NoHistory {
                continue;
            }
            let (Some(sentence), Some(sentence_zh)) = (cbs.sentence(), cbs.sentence_zh()) else { continue };
            let at = at.map(|t| t.to_string()).unwrap_or_else(|| "?".to_string());
            let (label, label_zh) = match (n, f.repeats.is_empty()) {
                (_, true) => (f.id.clone(), f.id.clone()),
                (n, false) => (format!("{}, attempt {}", f.id, n + 1), format!("{} 第 {} 次尝试", f.id, n + 1)),
            };
            out.line(
                format_args!("- {label} ({at}): {sentence}."),
                format_args!("- {label_zh}（{at}）：{sentence_zh}。"),
            );
        }
    }
}

/// The best diagnosis of the failures, or why there is none; and what cannot be known while a failure lies
/// outside the CBS history.
fn conclusion(out: &mut SummaryText, best: Option<&RuleDiagnosis>, nothing_failed: bool, any_uncovered: bool) {
    out.line("\nConclusion", "\n结论");
    match best {
        Some(d) => out.line(
            format_args!("- {}: {}", d.title.en, d.explanation.en),
            format_args!("- {}：{}", d.title.zh_cn, d.explanation.zh_cn),
        ),
        None if nothing_failed => out.line(
            "- Nothing in these logs explains an installation failure.",
            "- 这些日志中没有可以解释安装失败的记录。",
        ),
        None => out.line(
            "- The failure is recorded, but no rule names its cause; see the evidence above.",
            "- 已记录到失败，但没有规则能确定其原因；请参阅上面的证据。",
        ),
    }
    if any_uncovered {
        out.line(
            "- Still unknown: which component is damaged. It can only be named from CBS.log captured right after a new failure.",
            "- 尚不清楚：具体是哪个组件损坏。只有在再次失败后立即收集 CBS.log 才能确定。",
        );
    }
}

/// The best diagnosis's remediation and what to send back, else how to collect logs that can explain the failure.
fn next_steps(out: &mut SummaryText, best: Option<&RuleDiagnosis>) {
    out.line("\nNext steps", "\n后续步骤");
    let Some(d) = best else {
        out.line(
            "- Reproduce the installation, then collect CBS.log with its CbsPersist pieces, DISM.log, ReportingEvents.log, Sessions.xml and the Setup, System and Application event logs right away.",
            "- 重现安装失败后，立即收集 CBS.log 及其 CbsPersist 日志、DISM.log、ReportingEvents.log、Sessions.xml 以及 Setup、System、Application 事件日志。",
        );
        return;
    };
    for (n, (step_en, step_zh)) in d.remediation.en.iter().zip(&d.remediation.zh_cn).enumerate() {
        out.line(format_args!("{}. {step_en}", n + 1), format_args!("{}. {step_zh}", n + 1));
    }
    if !d.collect.en.is_empty() {
        out.line("Send back:", "请回传：");
        for (c_en, c_zh) in d.collect.en.iter().zip(&d.collect.zh_cn) {
            out.line(format_args!("- {c_en}"), format_args!("- {c_zh}"));
        }
    }
}

fn case_statements(case: &CaseSection) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(p) = &case.previous {
        out.extend(p.statements.iter().map(|s| (s.en.clone(), s.zh_cn.clone())));
    }
    if let Some(s) = &case.freshness {
        out.push((s.en.clone(), s.zh_cn.clone()));
    }
    if let Some(k) = &case.kb_check {
        out.extend(k.statements.iter().map(|s| (s.en.clone(), s.zh_cn.clone())));
    }
    out
}
