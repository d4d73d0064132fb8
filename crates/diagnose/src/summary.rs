//! The case summary support teams write — problem, findings with evidence, coverage, conclusion or what is
//! still unknown, next steps — composed from the findings in English and Simplified Chinese.

pub use crate::model::CaseSummary;
use crate::model::{Finding, Verdict};
use crate::{Analysis, CaseSection};
use std::fmt::Write;

fn when(f: &Finding) -> String {
    match (f.local_time, f.utc_time) {
        (Some(l), Some(u)) => format!("{l} local (UTC{}) = {u} UTC", f.utc_offset.as_deref().unwrap_or("?")),
        (Some(l), None) => format!("{l} (local)"),
        (None, Some(u)) => format!("{u} UTC"),
        _ => "an unknown time".to_string(),
    }
}

fn subject(f: &Finding) -> String {
    f.kb.clone().or_else(|| f.package.clone()).unwrap_or_else(|| "a servicing operation".to_string())
}

/// Writes the summary of an analysis.
pub fn summarize(analysis: &Analysis) -> CaseSummary {
    let failed: Vec<&Finding> = analysis.findings.iter().filter(|f| f.verdict == Verdict::Failed).collect();
    let (mut en, mut zh) = (String::new(), String::new());
    // Problem definition.
    let reported = analysis.case.kb_check.as_ref().map(|k| k.reported.join(", ")).filter(|r| !r.is_empty());
    let _ = writeln!(en, "Problem");
    let _ = writeln!(zh, "问题描述");
    match (&reported, failed.first()) {
        (Some(r), _) => {
            let _ = writeln!(en, "- The customer reports that {r} fails to install.");
            let _ = writeln!(zh, "- 客户报告 {r} 安装失败。");
        }
        (None, Some(f)) => {
            let _ = writeln!(en, "- {} fails to install.", subject(f));
            let _ = writeln!(zh, "- {} 安装失败。", subject(f));
        }
        (None, None) => {
            let _ = writeln!(en, "- The logs were checked for failed update installations.");
            let _ = writeln!(zh, "- 检查日志中是否有更新安装失败。");
        }
    }
    let _ = writeln!(en, "\nFindings");
    let _ = writeln!(zh, "\n调查结果");
    if failed.is_empty() {
        let _ = writeln!(en, "- No failed servicing operation was found in the logs provided.");
        let _ = writeln!(zh, "- 在所提供的日志中未发现失败的服务操作。");
    }
    for f in &failed {
        let code = f.code.as_ref();
        let label = code.map(|c| c.label()).unwrap_or_else(|| "no code".to_string());
        let meaning_en = code.and_then(|c| c.en.clone()).unwrap_or_default();
        let meaning_zh = code.and_then(|c| c.zh_cn.clone()).unwrap_or_default();
        let _ = writeln!(
            en,
            "- {}: {} failed with {label} ({meaning_en}) — evidence {}.",
            when(f),
            subject(f),
            f.outcome.place()
        );
        let _ = writeln!(
            zh,
            "- {}：{} 安装失败，错误码 {label}（{meaning_zh}）— 证据 {}。",
            when(f),
            subject(f),
            f.outcome.place()
        );
        if f.first_cause != f.outcome && f.coverage.cbs.sentence().is_none() {
            let _ = writeln!(
                en,
                "  First cause: {}:{} {}",
                f.first_cause.file,
                f.first_cause.line,
                f.first_cause.text.trim()
            );
            let _ =
                writeln!(zh, "  最初原因：{}:{} {}", f.first_cause.file, f.first_cause.line, f.first_cause.text.trim());
        }
    }
    for statement in case_statements(&analysis.case) {
        let _ = writeln!(en, "- {}", statement.0);
        let _ = writeln!(zh, "- {}", statement.1);
    }
    // Coverage.
    let h = &analysis.cbs.history;
    let _ = writeln!(en, "\nCoverage");
    let _ = writeln!(zh, "\n日志覆盖范围");
    match (h.first_local, h.last_local) {
        (Some(a), Some(b)) => {
            let _ = writeln!(en, "- CBS.log and its rotated pieces cover {a} → {b} (local).");
            let _ = writeln!(zh, "- CBS.log 及其轮转日志覆盖本地时间 {a} → {b}。");
        }
        _ => {
            let _ = writeln!(en, "- No CBS.log was provided.");
            let _ = writeln!(zh, "- 未提供 CBS.log。");
        }
    }
    let uncovered: Vec<&&Finding> = failed.iter().filter(|f| f.coverage.cbs.sentence().is_some()).collect();
    // Without any CBS log that was said once above; the others say where each failure falls.
    for f in uncovered.iter().filter(|f| f.coverage.cbs != crate::model::CbsCoverage::NoHistory) {
        let (Some(sentence), Some(sentence_zh)) = (f.coverage.cbs.sentence(), f.coverage.cbs.sentence_zh()) else {
            continue;
        };
        let at = f.local_time.map(|t| t.to_string()).unwrap_or_else(|| "?".to_string());
        let _ = writeln!(en, "- {} ({at}): {sentence}.", f.id);
        let _ = writeln!(zh, "- {}（{at}）：{sentence_zh}。", f.id);
    }
    // Conclusion.
    let _ = writeln!(en, "\nConclusion");
    let _ = writeln!(zh, "\n结论");
    let best = failed.iter().find_map(|f| f.diagnosis.first());
    match best {
        Some(d) => {
            let _ = writeln!(en, "- {}: {}", d.title.en, d.explanation.en);
            let _ = writeln!(zh, "- {}：{}", d.title.zh_cn, d.explanation.zh_cn);
        }
        None if failed.is_empty() => {
            let _ = writeln!(en, "- Nothing in these logs explains an installation failure.");
            let _ = writeln!(zh, "- 这些日志中没有可以解释安装失败的记录。");
        }
        None => {
            let _ = writeln!(en, "- The failure is recorded, but no rule names its cause; see the evidence above.");
            let _ = writeln!(zh, "- 已记录到失败，但没有规则能确定其原因；请参阅上面的证据。");
        }
    }
    if !uncovered.is_empty() {
        let _ = writeln!(
            en,
            "- Still unknown: which component is damaged. It can only be named from CBS.log captured right after a new failure."
        );
        let _ = writeln!(zh, "- 尚不清楚：具体是哪个组件损坏。只有在再次失败后立即收集 CBS.log 才能确定。");
    }
    // Next steps.
    let _ = writeln!(en, "\nNext steps");
    let _ = writeln!(zh, "\n后续步骤");
    if let Some(d) = best {
        for (n, (step_en, step_zh)) in d.remediation.en.iter().zip(&d.remediation.zh_cn).enumerate() {
            let _ = writeln!(en, "{}. {step_en}", n + 1);
            let _ = writeln!(zh, "{}. {step_zh}", n + 1);
        }
        if !d.collect.en.is_empty() {
            let _ = writeln!(en, "Send back:");
            let _ = writeln!(zh, "请回传：");
            for (c_en, c_zh) in d.collect.en.iter().zip(&d.collect.zh_cn) {
                let _ = writeln!(en, "- {c_en}");
                let _ = writeln!(zh, "- {c_zh}");
            }
        }
    } else {
        let _ = writeln!(
            en,
            "- Reproduce the installation, then collect CBS.log with its CbsPersist pieces, DISM.log, ReportingEvents.log, Sessions.xml and the Setup, System and Application event logs right away."
        );
        let _ = writeln!(
            zh,
            "- 重现安装失败后，立即收集 CBS.log 及其 CbsPersist 日志、DISM.log、ReportingEvents.log、Sessions.xml 以及 Setup、System、Application 事件日志。"
        );
    }
    CaseSummary { en, zh_cn: zh }
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
