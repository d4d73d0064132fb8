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
use std::collections::{BTreeMap, BTreeSet};
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
    let mut check = KbCheck {
        reported: input.reported_kbs.iter().map(|k| normalise(k)).collect(),
        failing: failing_kbs(findings),
        attempted: attempted_kbs(timeline),
        instruction_mentions: input.instructions.as_ref().map(|(_, text)| kb_mentions(text)).unwrap_or_default(),
        ..KbCheck::default()
    };
    let mut statements = reported_against_logs(&check);
    statements.extend(release_relations(&check, timeline));
    if let Some((name, _)) = &input.instructions {
        statements.extend(instruction_problems(&check, name));
    }
    check.statements = statements;
    Some(check)
}

/// The KBs of failed findings, with how many failures each.
fn failing_kbs(findings: &[Finding]) -> BTreeMap<String, usize> {
    let mut failing = BTreeMap::new();
    for finding in findings.iter().filter(|f| f.verdict == Verdict::Failed) {
        if let Some(kb) = &finding.kb {
            // A finding tried again counts each of its attempts.
            *failing.entry(kb.clone()).or_insert(0) += finding.attempts();
        }
    }
    failing
}

/// The KBs any source shows being downloaded or installed, whatever came of it.
fn attempted_kbs(timeline: &Timeline) -> BTreeSet<String> {
    let mut attempted = BTreeSet::new();
    for event in &timeline.events {
        if matches!(
            event.action,
            Action::InstallStarted | Action::InstallFailed | Action::InstallSucceeded | Action::DownloadStarted
        ) && let Some(kb) = &event.kb
        {
            attempted.insert(kb.clone());
        }
    }
    attempted
}

/// For each reported KB: is it the update the logs show failing, one they show installed without failing, or
/// one they never show at all?
fn reported_against_logs(check: &KbCheck) -> Vec<Statement> {
    let failing: Vec<String> = check.failing.iter().map(|(kb, n)| format!("{kb} ({n} failure(s))")).collect();
    let failing_zh: Vec<String> = check.failing.iter().map(|(kb, n)| format!("{kb}（{n} 次失败）")).collect();
    let (failing, failing_zh) = (list_or_none(&failing), list_or_none_zh(&failing_zh));
    check
        .reported
        .iter()
        .map(|reported| {
            if check.failing.contains_key(reported) {
                Statement {
                    en: format!("The reported update {reported} is the one the logs show failing."),
                    zh_cn: format!("客户报告的更新 {reported} 与日志中失败的更新一致。"),
                }
            } else if check.attempted.contains(reported) {
                Statement {
                    en: format!(
                        "The logs show {reported} being installed, but not failing; the failing update is {failing}."
                    ),
                    zh_cn: format!("日志显示安装过 {reported}，但没有失败；失败的更新是 {failing_zh}。"),
                }
            } else {
                Statement {
                    en: format!(
                        "The customer reports {reported}, but no source in the bundle shows an attempt to install it; the failing update in the logs is {failing}."
                    ),
                    zh_cn: format!(
                        "客户报告的是 {reported}，但日志中没有任何安装它的记录；日志中失败的更新是 {failing_zh}。"
                    ),
                }
            }
        })
        .collect()
}

/// How each reported KB stands to each other failing KB by release month, where their titles name the month:
/// that is as far as the logs go towards telling whether one supersedes the other.
fn release_relations(check: &KbCheck, timeline: &Timeline) -> Vec<Statement> {
    let month_of = |kb: &str| title_of(timeline, kb).as_deref().and_then(release_month);
    let mut out = Vec::new();
    for reported in &check.reported {
        for failing in check.failing.keys().filter(|&failing| failing != reported) {
            out.push(release_relation(reported, failing, month_of(reported), month_of(failing)));
        }
    }
    out
}

/// The title of the first event of `kb` that has one.
fn title_of(timeline: &Timeline, kb: &str) -> Option<String> {
    timeline.events.iter().find_map(|e| (e.kb.as_deref() == Some(kb)).then(|| e.title.clone()).flatten())
}

/// `2022-07` of a title that starts `2022-07 Cumulative Update …`.
fn release_month(title: &str) -> Option<String> {
    let bytes = title.as_bytes();
    (bytes.len() >= 7
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[5..7].iter().all(u8::is_ascii_digit))
    .then(|| title[..7].to_string())
}

fn release_relation(
    reported: &str,
    failing: &str,
    reported_month: Option<String>,
    failing_month: Option<String>,
) -> Statement {
    match (reported_month, failing_month) {
        (Some(a), Some(b)) if a == b => Statement {
            en: format!(
                "{reported} and {failing} are both {a} releases: updates of the same month, one may replace the other."
            ),
            zh_cn: format!("{reported} 和 {failing} 都是 {a} 发布的更新：同月发布，其中一个可能取代另一个。"),
        },
        (Some(a), Some(b)) => Statement {
            en: format!(
                "{reported} is a {a} release and {failing} a {b} release: the later one supersedes the earlier only if they are the same update series."
            ),
            zh_cn: format!(
                "{reported} 于 {a} 发布，{failing} 于 {b} 发布：只有属于同一更新系列时，较新的才会取代较旧的。"
            ),
        },
        _ => Statement {
            en: format!(
                "Whether {reported} and {failing} supersede one another cannot be inferred from these logs: their titles do not both name a release month."
            ),
            zh_cn: format!(
                "无法从这些日志推断 {reported} 与 {failing} 之间是否存在取代关系：它们的标题没有都标明发布月份。"
            ),
        },
    }
}

/// What is wrong with the instructions sent (file `name`): a link that downloads neither the reported nor the
/// failing update, and failing updates they never name.
fn instruction_problems(check: &KbCheck, name: &str) -> Vec<Statement> {
    let linked: BTreeSet<&String> = check.instruction_mentions.iter().filter(|m| m.in_link).map(|m| &m.kb).collect();
    let named: BTreeSet<&String> = check.instruction_mentions.iter().map(|m| &m.kb).collect();
    let others: BTreeSet<&String> = check.reported.iter().chain(check.failing.keys()).collect();
    let others = others.into_iter().cloned().collect::<Vec<String>>();
    let mut out = Vec::new();
    for kb in linked {
        if check.reported.contains(kb) || check.failing.contains_key(kb) {
            continue;
        }
        out.push(Statement {
            en: format!(
                "The link in {name} downloads {kb}, which is neither the reported nor the failing update ({}); the customer would install the wrong package.",
                others.join(", ")
            ),
            zh_cn: format!("{name} 中的链接下载的是 {kb}，既不是客户报告的更新，也不是失败的更新（{}）；客户会安装错误的补丁包。", others.join("、")),
        });
    }
    for kb in check.failing.keys().filter(|kb| !named.contains(kb)) {
        out.push(Statement {
            en: format!("{name} never names {kb}, the update the logs show failing."),
            zh_cn: format!("{name} 中没有提到日志中实际失败的更新 {kb}。"),
        });
    }
    out
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
