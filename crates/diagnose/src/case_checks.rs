//! Checks around the case rather than the logs: does the KB the customer reports match the KB the logs show
//! failing, do the instructions sent name either of them, and is this bundle just the previous one again
//! (or older than the failure being reported)?

pub use crate::model::{BundleFingerprint, CaseInput, FileFingerprint, KbCheck, KbMention, PreviousCheck, Statement};
use crate::model::{Finding, Verdict};
use crate::timeline::Timeline;
use patchdx_bundle::Bundle;
use patchdx_formats::CivilTime;
use patchdx_formats::event::Action;
use regex::Regex;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::io::Read;
use std::sync::OnceLock;

fn normalise(kb: &str) -> String {
    let digits: String = kb.chars().filter(char::is_ascii_digit).collect();
    format!("KB{digits}")
}

fn mention_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)(https?://\S*?(?:/kb/|/help/|[?&]q=kb|/kb)(\d{6,8})\S*)|\bKB ?(\d{6,8})\b")
            .expect("static regex")
    })
}

/// KB numbers named in instruction text, links included (`support.example.com/kb/5016737`).
pub fn kb_mentions(text: &str) -> Vec<KbMention> {
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        for caps in mention_regex().captures_iter(line) {
            let (digits, in_link) = match (caps.get(2), caps.get(3)) {
                (Some(d), _) => (d.as_str(), true),
                (None, Some(d)) => (d.as_str(), false),
                _ => continue,
            };
            out.push(KbMention { kb: format!("KB{digits}"), line: index + 1, in_link });
        }
    }
    out
}

pub fn check_kbs(input: &CaseInput, findings: &[Finding], timeline: &Timeline) -> Option<KbCheck> {
    if input.reported_kbs.is_empty() && input.instructions.is_none() {
        return None;
    }
    let mut check =
        KbCheck { reported: input.reported_kbs.iter().map(|k| normalise(k)).collect(), ..KbCheck::default() };
    for finding in findings.iter().filter(|f| f.verdict == Verdict::Failed) {
        if let Some(kb) = &finding.kb {
            *check.failing.entry(kb.clone()).or_insert(0) += 1;
        }
    }
    for event in &timeline.events {
        if matches!(
            event.action,
            Action::InstallStarted | Action::InstallFailed | Action::InstallSucceeded | Action::DownloadStarted
        ) && let Some(kb) = &event.kb
        {
            check.attempted.insert(kb.clone());
        }
    }
    if let Some((_, text)) = &input.instructions {
        check.instruction_mentions = kb_mentions(text);
    }
    let failing: Vec<String> = check.failing.iter().map(|(kb, n)| format!("{kb} ({n} failure(s))")).collect();
    let failing_zh: Vec<String> = check.failing.iter().map(|(kb, n)| format!("{kb}（{n} 次失败）")).collect();
    for reported in &check.reported {
        let statement = if check.failing.contains_key(reported) {
            Statement {
                en: format!("The reported update {reported} is the one the logs show failing."),
                zh_cn: format!("客户报告的更新 {reported} 与日志中失败的更新一致。"),
            }
        } else if check.attempted.contains(reported) {
            Statement {
                en: format!(
                    "The logs show {reported} being installed, but not failing; the failing update is {}.",
                    list_or_none(&failing)
                ),
                zh_cn: format!(
                    "日志显示安装过 {reported}，但没有失败；失败的更新是 {}。",
                    list_or_none_zh(&failing_zh)
                ),
            }
        } else {
            Statement {
                en: format!(
                    "The customer reports {reported}, but no source in the bundle shows an attempt to install it; the failing update in the logs is {}.",
                    list_or_none(&failing)
                ),
                zh_cn: format!(
                    "客户报告的是 {reported}，但日志中没有任何安装它的记录；日志中失败的更新是 {}。",
                    list_or_none_zh(&failing_zh)
                ),
            }
        };
        check.statements.push(statement);
    }
    // Release relation between the reported and the failing update, where titles say their month.
    let title_of = |kb: &str| {
        timeline.events.iter().find_map(|e| (e.kb.as_deref() == Some(kb)).then(|| e.title.clone()).flatten())
    };
    let month = |title: &str| {
        let bytes = title.as_bytes();
        (bytes.len() >= 7
            && bytes[..4].iter().all(u8::is_ascii_digit)
            && bytes[4] == b'-'
            && bytes[5..7].iter().all(u8::is_ascii_digit))
        .then(|| title[..7].to_string())
    };
    for reported in check.reported.clone() {
        for failing in check.failing.keys().cloned().collect::<Vec<_>>() {
            if reported == failing {
                continue;
            }
            let months =
                (title_of(&reported).as_deref().and_then(month), title_of(&failing).as_deref().and_then(month));
            check.statements.push(match months {
                (Some(a), Some(b)) if a == b => Statement {
                    en: format!("{reported} and {failing} are both {a} releases: updates of the same month, one may replace the other."),
                    zh_cn: format!("{reported} 和 {failing} 都是 {a} 发布的更新：同月发布，其中一个可能取代另一个。"),
                },
                (Some(a), Some(b)) => Statement {
                    en: format!("{reported} is a {a} release and {failing} a {b} release: the later one supersedes the earlier only if they are the same update series."),
                    zh_cn: format!("{reported} 于 {a} 发布，{failing} 于 {b} 发布：只有属于同一更新系列时，较新的才会取代较旧的。"),
                },
                _ => Statement {
                    en: format!("Whether {reported} and {failing} supersede one another cannot be inferred from these logs: their titles do not both name a release month."),
                    zh_cn: format!("无法从这些日志推断 {reported} 与 {failing} 之间是否存在取代关系：它们的标题没有都标明发布月份。"),
                },
            });
        }
    }
    let linked: BTreeSet<String> =
        check.instruction_mentions.iter().filter(|m| m.in_link).map(|m| m.kb.clone()).collect();
    let named: BTreeSet<String> = check.instruction_mentions.iter().map(|m| m.kb.clone()).collect();
    if let Some((name, _)) = &input.instructions {
        for kb in &linked {
            if !check.reported.contains(kb) && !check.failing.contains_key(kb) {
                let others: Vec<String> = check
                    .reported
                    .iter()
                    .chain(check.failing.keys())
                    .cloned()
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                check.statements.push(Statement {
                    en: format!(
                        "The link in {name} downloads {kb}, which is neither the reported nor the failing update ({}); the customer would install the wrong package.",
                        others.join(", ")
                    ),
                    zh_cn: format!("{name} 中的链接下载的是 {kb}，既不是客户报告的更新，也不是失败的更新（{}）；客户会安装错误的补丁包。", others.join("、")),
                });
            }
        }
        for kb in check.failing.keys() {
            if !named.contains(kb) {
                check.statements.push(Statement {
                    en: format!("{name} never names {kb}, the update the logs show failing."),
                    zh_cn: format!("{name} 中没有提到日志中实际失败的更新 {kb}。"),
                });
            }
        }
    }
    Some(check)
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() { "none (no failed update with a KB was found)".to_string() } else { items.join(", ") }
}

fn list_or_none_zh(items: &[String]) -> String {
    if items.is_empty() { "无（未发现带 KB 编号的失败更新）".to_string() } else { items.join("、") }
}

/// One file's content fingerprint.
pub fn fingerprint(bundle: &Bundle) -> BundleFingerprint {
    let mut files: Vec<FileFingerprint> = bundle
        .entries
        .iter()
        .filter(|e| !e.kind.is_archive())
        .map(|entry| {
            let mut hasher = Sha256::new();
            let mut buffer = vec![0u8; 1 << 20];
            if let Ok(mut file) = entry.open() {
                while let Ok(n) = file.read(&mut buffer) {
                    if n == 0 {
                        break;
                    }
                    hasher.update(&buffer[..n]);
                }
            }
            FileFingerprint { path: entry.path.clone(), size: entry.size, sha256: hex(&hasher.finalize()) }
        })
        .collect();
    files.sort_by(|a, b| a.sha256.cmp(&b.sha256));
    let mut whole = Sha256::new();
    for f in &files {
        whole.update(f.sha256.as_bytes());
    }
    BundleFingerprint { sha256: hex(&whole.finalize()), files }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How this bundle compares with the previous one of the case.
pub fn compare_with_previous(
    current: &BundleFingerprint,
    previous: &BundleFingerprint,
    previous_name: &str,
) -> PreviousCheck {
    let old: BTreeSet<&str> = previous.files.iter().map(|f| f.sha256.as_str()).collect();
    let (unchanged, new_or_changed): (Vec<&FileFingerprint>, Vec<&FileFingerprint>) =
        current.files.iter().partition(|f| old.contains(f.sha256.as_str()));
    let identical = current.sha256 == previous.sha256;
    let mut statements = Vec::new();
    if identical {
        statements.push(Statement {
            en: format!("This bundle is identical to the previous one ({previous_name}): every file has the same content. Nothing new can be learned from it."),
            zh_cn: format!("此日志包与上一次（{previous_name}）完全相同：所有文件内容一致，无法从中获得新信息。"),
        });
    } else if !unchanged.is_empty() {
        statements.push(Statement {
            en: format!(
                "{} of {} files are unchanged since the previous bundle ({previous_name}).",
                unchanged.len(),
                current.files.len()
            ),
            zh_cn: format!(
                "{} 个文件中有 {} 个与上一次日志包（{previous_name}）相同。",
                current.files.len(),
                unchanged.len()
            ),
        });
    }
    PreviousCheck {
        previous: previous_name.to_string(),
        identical,
        unchanged: unchanged.iter().map(|f| f.path.clone()).collect(),
        new_or_changed: new_or_changed.iter().map(|f| f.path.clone()).collect(),
        statements,
    }
}

/// "The newest event is older than the failure you report."
pub fn freshness(timeline: &Timeline, reported_local: CivilTime) -> Option<Statement> {
    let newest = timeline.events.iter().filter_map(|e| e.local).max()?;
    if newest >= reported_local {
        return None;
    }
    Some(Statement {
        en: format!(
            "The newest event in this bundle ({newest} local) is older than the failure being reported ({reported_local}): these logs were collected before it and cannot show it."
        ),
        zh_cn: format!(
            "此日志包中最新的事件（本地时间 {newest}）早于所报告的故障时间（{reported_local}）：日志是在故障之前收集的，无法反映该故障。"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_plain_mentions_are_both_found() {
        let text = "请下载 KB5015736 的离线安装包：\nhttps://support.example.com/kb/5016737\nsee https://www.catalog.update.microsoft.com/Search.aspx?q=KB5014805";
        let found: Vec<(String, usize, bool)> =
            kb_mentions(text).into_iter().map(|m| (m.kb, m.line, m.in_link)).collect();
        assert_eq!(
            found,
            vec![
                ("KB5015736".to_string(), 1, false),
                ("KB5016737".to_string(), 2, true),
                ("KB5014805".to_string(), 3, true)
            ]
        );
    }
}
