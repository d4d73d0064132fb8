//! Failed servicing operations: finds each operation's final result (a failing session, `Failed to perform
//! operation`, a WER report, failed boot-time processing), then walks back through the `Failed to …` cascade
//! to the first record of the chain — the first cause — and keeps the rest as its cascade.

use crate::flat::Flat;
use crate::model::{CodeRef, Confidence, Evidence, Finding, InstallerFailure, RelatedCode, Session, Verdict};
use patchdx_formats::cbs::{CbsEventKind, Level};
use std::collections::HashMap;

/// A session as reconstructed from its records.
#[derive(Debug, Default, Clone)]
pub(crate) struct SessionBuild {
    pub id: String,
    pub client: Option<String>,
    /// What the session does, as its `Exec: Session processing started` line names it (`DISM Package Manager
    /// Provider Store Corruption Detect/Repair`).
    pub operation: Option<String>,
    pub start: Option<usize>,
    pub exec_start: Option<usize>,
    pub package: Option<String>,
    pub kb: Option<String>,
    /// Index and code of `Exec: Processing complete`.
    pub complete: Option<(usize, u32)>,
    /// Index and code of a (synchronous) `finalized` line.
    pub finalized: Option<(usize, u32)>,
    pub reboot_required: Option<bool>,
    pub last: Option<usize>,
}

impl SessionBuild {
    /// The record and code of the session's failing result (its end, else its execution's), if it failed.
    pub(crate) fn failure(&self) -> Option<(usize, u32)> {
        let failing = |r: Option<(usize, u32)>| r.filter(|(_, c)| patchdx_codes::is_failure(*c));
        match (failing(self.complete), failing(self.finalized)) {
            (Some(a), Some(b)) => Some(if b.0 > a.0 { b } else { a }),
            (a, b) => a.or(b),
        }
    }
}

pub(crate) fn build_sessions(flat: &Flat) -> Vec<SessionBuild> {
    let mut order: Vec<SessionBuild> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for index in 0..flat.events.len() {
        let event = flat.event(index);
        let Some(id) = flat.session_of(index) else {
            continue;
        };
        let slot = *by_id.entry(id.to_string()).or_insert_with(|| {
            order.push(SessionBuild { id: id.to_string(), ..SessionBuild::default() });
            order.len() - 1
        });
        let s = &mut order[slot];
        s.last = Some(index);
        if s.package.is_none() {
            s.package.clone_from(&event.package);
        }
        if s.kb.is_none() {
            s.kb.clone_from(&event.kb);
        }
        match flat.kind(index) {
            CbsEventKind::SessionStart { client, .. } => {
                s.start.get_or_insert(index);
                s.client.get_or_insert_with(|| client.clone());
            }
            CbsEventKind::ExecStarted { client, .. } => {
                s.exec_start.get_or_insert(index);
                if s.operation.is_none() && !client.is_empty() {
                    s.operation = Some(client.clone());
                }
                if s.client.is_none() && !client.is_empty() {
                    s.client = Some(client.clone());
                }
            }
            CbsEventKind::ExecComplete { .. } => s.complete = Some((index, event.code.unwrap_or(0))),
            CbsEventKind::SessionFinalized { reboot_required, asynchronous, .. } => {
                if !asynchronous {
                    s.finalized = Some((index, event.code.unwrap_or(0)));
                }
                if reboot_required.is_some() {
                    s.reboot_required = *reboot_required;
                }
            }
            _ => {}
        }
    }
    order
}

/// A final result to explain.
struct Terminal {
    index: usize,
    code: u32,
    session: Option<usize>,
    window_start: usize,
}

fn window_start_without_session(flat: &Flat, terminal: usize, floor: usize) -> usize {
    // Back to the most recent session/startup anchor, but never more than 10 minutes.
    let time_floor = flat.lookback(terminal, 600).max(floor);
    let mut start = terminal;
    while start > time_floor {
        start -= 1;
        if matches!(
            flat.kind(start),
            CbsEventKind::ExecStarted { .. }
                | CbsEventKind::SessionStart { .. }
                | CbsEventKind::StartupState { .. }
                | CbsEventKind::StartupQueue
                | CbsEventKind::TrustedInstallerInit
        ) {
            return start;
        }
    }
    time_floor
}

fn terminals(flat: &Flat, sessions: &[SessionBuild]) -> Vec<Terminal> {
    let mut out: Vec<Terminal> = Vec::new();
    for (slot, s) in sessions.iter().enumerate() {
        if let Some((index, code)) = s.failure() {
            let window_start = s.exec_start.or(s.start).unwrap_or_else(|| flat.lookback(index, 600));
            out.push(Terminal { index, code, session: Some(slot), window_start });
        }
    }
    // Final results that name no session: each is its own operation unless a failing session covers it.
    for index in 0..flat.events.len() {
        let code = flat.event(index).code.unwrap_or(0);
        let standalone = matches!(
            flat.kind(index),
            CbsEventKind::FailedOperation | CbsEventKind::WerReport { .. } | CbsEventKind::StartupComplete
        ) && patchdx_codes::is_failure(code);
        if !standalone {
            continue;
        }
        let covered = out.iter().any(|t| {
            t.session.is_some()
                && t.code == code
                && index >= t.window_start
                && index <= trailer_end(flat, t.index, code)
        });
        if !covered {
            out.push(Terminal { index, code, session: None, window_start: 0 });
        }
    }
    out.sort_by_key(|t| t.index);
    // Merge standalone results that continue an earlier one (WER, then `Failed to perform operation`).
    let mut merged: Vec<Terminal> = Vec::new();
    for mut t in out {
        if t.session.is_none()
            && let Some(prev) = merged.last_mut()
            && prev.code == t.code
            && t.index <= trailer_end(flat, prev.index, prev.code)
        {
            prev.index = prev.index.max(t.index);
            continue;
        }
        if t.session.is_none() {
            let floor = merged.last().map_or(0, |p| p.index + 1);
            t.window_start = window_start_without_session(flat, t.index, floor);
        }
        merged.push(t);
    }
    merged
}

/// Last index of the records that follow a final result within a few seconds and repeat its code.
fn trailer_end(flat: &Flat, terminal: usize, code: u32) -> usize {
    let Some(at) = flat.instant(terminal) else {
        return terminal;
    };
    let mut end = terminal;
    for index in terminal + 1..flat.events.len().min(terminal + 40) {
        let close = flat.instant(index).is_some_and(|t| t.millis() - at.millis() <= 5_000);
        if !close {
            break;
        }
        if flat.event(index).code == Some(code) && flat.is_failure_record(index) {
            end = index;
        }
    }
    end
}

fn phase_of(flat: &Flat, members: &[usize], first_cause: usize) -> Option<String> {
    for &i in members {
        if let CbsEventKind::WerReport { failure_source, start_state, target_state, .. } = flat.kind(i) {
            return Some(format!("{failure_source} ({start_state} → {target_state})"));
        }
    }
    if members.iter().any(|&i| matches!(flat.kind(i), CbsEventKind::StartupComplete)) {
        return Some("startup (boot-time) processing".to_string());
    }
    let text = flat.event(first_cause).message.to_ascii_lowercase();
    [
        ("download", "download"),
        ("search", "download (Windows Update search)"),
        ("resolve", "resolve"),
        ("stag", "staging"),
        ("plan", "planning"),
        ("commit", "commit"),
        ("install", "install"),
        ("execut", "execute"),
    ]
    .iter()
    .find(|(needle, _)| text.contains(needle))
    .map(|(_, phase)| (*phase).to_string())
}

fn short_package(package: &str) -> &str {
    package.split('~').next().unwrap_or(package)
}

/// How long after a failed boot-time processing that started a rollback its rollback boot may end: the summary
/// of that boot is part of the same failure.
const ROLLBACK_BOOT_MS: i64 = 2 * 3600 * 1000;

/// Diagnoses every failed operation; marks the events it uses in `claimed`.
pub(crate) fn failed_operations(flat: &Flat, sessions: &[SessionBuild], claimed: &mut [bool]) -> Vec<Finding> {
    let mut findings: Vec<Finding> = Vec::new();
    // The last failed boot-time processing that started a rollback: (its finding, code, when).
    let mut rolling_back: Option<(usize, u32, Option<i64>)> = None;
    for terminal in terminals(flat, sessions) {
        let session = terminal.session.map(|s| &sessions[s]);
        let chain = Chain::back_from(flat, &terminal, session, claimed);
        for &i in &chain.records {
            claimed[i] = true;
        }
        let at = flat.instant(terminal.index).map(|t| t.millis());
        if let Some((finding, code, since)) = rolling_back
            && is_rollback_summary(flat, &terminal, code, since, at)
        {
            // The summary of the rollback boot: one failure, not a second one.
            let records = chain.records.iter().map(|&i| flat.evidence(i));
            findings[finding].cascade.extend(records);
            rolling_back = None;
            continue;
        }
        if starts_rollback(flat, &chain) {
            rolling_back = Some((findings.len(), terminal.code, at));
        }
        findings.push(chain.finding(flat, &terminal, session));
    }
    findings
}

/// Whether a failed boot-time processing says a rollback will follow (`A rollback transaction will be created`,
/// `… will be rolled back and a restart initiated`).
fn starts_rollback(flat: &Flat, chain: &Chain) -> bool {
    chain
        .records
        .iter()
        .any(|&i| matches!(flat.kind(i), CbsEventKind::FailedOperation) && flat.event(i).message.contains("rollback"))
}

/// Whether `terminal` is the summary of the rollback boot after a failed boot-time processing with `code`
/// at `since`: boot-time processing that completes with the same code within a few hours.
fn is_rollback_summary(flat: &Flat, terminal: &Terminal, code: u32, since: Option<i64>, at: Option<i64>) -> bool {
    terminal.session.is_none()
        && terminal.code == code
        && matches!(flat.kind(terminal.index), CbsEventKind::StartupComplete)
        && matches!((since, at), (Some(a), Some(b)) if b >= a && b - a <= ROLLBACK_BOOT_MS)
}

/// The records of one failed operation, from its first cause to its final result.
struct Chain {
    /// Every record of the chain, in order.
    records: Vec<usize>,
    first_cause: usize,
    /// Whether the first cause is an inner error record before the failing HRESULTs.
    inner_cause: bool,
    /// The advanced installer whose failure made the operation fail, when one did.
    installer: Option<InstallerChain>,
    /// Windows Update's download results the operation depended on, with their codes (other than the
    /// operation's): the first record of each code, or the session's end that states it.
    downloads: Vec<(u32, usize)>,
}

/// An advanced installer's failure inside an operation's chain.
struct InstallerChain {
    name: String,
    /// The installer's DLL, as CSI's error summary names it.
    binary: Option<String>,
    /// The installer's own code (the error summary's `ErrorCode`, the queue item's HRESULT).
    code: Option<u32>,
    /// The components it was installing in the boot-time processing that failed.
    components: Vec<String>,
}

impl Chain {
    /// Walks back from a final result: the unclaimed records of its window (and of its session, if it has one)
    /// that repeat its failing code, and an inner error shortly before them.
    fn back_from(flat: &Flat, terminal: &Terminal, session: Option<&SessionBuild>, claimed: &[bool]) -> Self {
        let code = terminal.code;
        let end = trailer_end(flat, terminal.index, code);
        let other_session = |i: usize| match (flat.session_of(i), session) {
            (Some(id), Some(s)) => id != s.id,
            (Some(_), None) => false,
            (None, _) => false,
        };
        let members: Vec<usize> = (terminal.window_start..=end)
            .filter(|&i| !claimed[i] && !other_session(i))
            .filter(|&i| flat.event(i).code == Some(code) && flat.is_failure_record(i))
            .collect();
        let first_member = members.first().copied().unwrap_or(terminal.index);
        let inner = inner_cause(flat, claimed, terminal.window_start, first_member);
        let mut first_cause = inner.unwrap_or(first_member);
        let mut records = members;
        let installer = inner.and_then(|i| flat.event(i).facts.installer.as_deref()).map(|name| {
            // The installer's own failing records (its error lines, its completion status, the queue's verdict
            // on it and the summary rows) are the chain's start: the earliest is the first cause.
            let own: Vec<usize> = (terminal.window_start..=end.max(first_member))
                .filter(|&i| !claimed[i] && flat.event(i).facts.installer.as_deref() == Some(name))
                .filter(|&i| flat.event(i).code.is_some_and(patchdx_codes::is_failure))
                .collect();
            if let Some(&earliest) = own.first() {
                first_cause = first_cause.min(earliest);
            }
            records.extend(&own);
            installer_chain(flat, terminal.window_start, name, &own)
        });
        let downloads = download_failures(flat, terminal, session, end, claimed);
        if let Some(&(_, earliest)) = downloads.iter().min_by_key(|(_, i)| *i) {
            // The operation failed because what it had to download could not be had: that is where it went wrong.
            records.extend(downloads.iter().map(|&(_, i)| i));
            first_cause = first_cause.min(earliest);
        }
        records.push(first_cause);
        records.push(terminal.index);
        records.sort_unstable();
        records.dedup();
        Chain { records, first_cause, inner_cause: inner.is_some(), installer, downloads }
    }

    fn finding(&self, flat: &Flat, terminal: &Terminal, session: Option<&SessionBuild>) -> Finding {
        let package = session
            .and_then(|s| s.package.clone())
            .or_else(|| self.records.iter().find_map(|&i| flat.event(i).package.clone()));
        let kb =
            session.and_then(|s| s.kb.clone()).or_else(|| self.records.iter().find_map(|&i| flat.event(i).kb.clone()));
        let operation_code = CodeRef::new(terminal.code, flat.event(terminal.index).facts.code_name.as_deref());
        let (confidence, reason) = self.confidence(terminal, session);
        let cascade: Vec<Evidence> =
            self.records.iter().filter(|&&i| i != self.first_cause).map(|&i| flat.evidence(i)).collect();
        let what = subject(kb.as_deref(), package.as_deref(), session);
        // An installer's own code is the finding's: the operation's code only says that installers failed.
        let (title, code_ref, installer) = match &self.installer {
            Some(ai) => {
                let own = CodeRef::new(ai.code.unwrap_or(terminal.code), None);
                let binary = ai.binary.as_deref().map(|b| format!(" ({b})")).unwrap_or_default();
                let then = if starts_rollback(flat, self) {
                    format!("the operation queue failed with {} and was rolled back", operation_code.label())
                } else {
                    format!("{what} failed with {}", operation_code.label())
                };
                let title = format!("Advanced installer {}{binary} failed with {}; {then}", ai.name, own.label());
                let found = InstallerFailure {
                    name: ai.name.clone(),
                    binary: ai.binary.clone(),
                    code: own.clone(),
                    components: ai.components.clone(),
                };
                (title, own, Some(found))
            }
            None => (format!("{what} failed with {}", operation_code.label()), operation_code, None),
        };
        let related_codes: Vec<RelatedCode> = self
            .downloads
            .iter()
            .map(|&(code, i)| RelatedCode {
                code: CodeRef::new(code, flat.event(i).facts.code_name.as_deref()),
                what: "Windows Update download".to_string(),
                evidence: flat.evidence(i),
            })
            .collect();
        let title = match related_codes.as_slice() {
            [] => title,
            related => {
                let codes: Vec<String> = related.iter().map(|r| r.code.label()).collect();
                format!("{title}; the Windows Update download it needed failed with {}", codes.join(", "))
            }
        };
        Finding {
            installer,
            kb,
            package,
            session: session.map(|s| s.id.clone()),
            client: session.and_then(|s| s.client.clone()),
            phase: phase_of(flat, &self.records, self.first_cause),
            code: Some(code_ref),
            related_codes,
            cascade,
            ..flat.finding(Verdict::Failed, title, self.first_cause, terminal.index, confidence, &reason)
        }
    }

    /// How sure the chain is, and why: an inner error or a session ties its records together; time and code
    /// alone less so; a final result alone explains nothing.
    fn confidence(&self, terminal: &Terminal, session: Option<&SessionBuild>) -> (Confidence, String) {
        if self.first_cause == terminal.index {
            (Confidence::Low, "only the final result was found; no earlier record of the chain".to_string())
        } else if self.inner_cause {
            (Confidence::High, "an inner error record precedes the first failing HRESULT of the chain".to_string())
        } else if session.is_some() {
            (Confidence::High, format!("chain of {} records with the same code inside the session", self.records.len()))
        } else {
            (Confidence::Medium, "chain joined by time and code; the records name no session".to_string())
        }
    }
}

/// The Windows Update download failures an operation depended on, one per code other than its own, each with
/// its first record: CBS's `DWLD`/acquirer failure records of the operation's window (and session), and the
/// `Download error:` its session's end states (quoted when no download record names that code).
fn download_failures(
    flat: &Flat,
    terminal: &Terminal,
    session: Option<&SessionBuild>,
    end: usize,
    claimed: &[bool],
) -> Vec<(u32, usize)> {
    let mut found: Vec<(u32, usize)> = Vec::new();
    let mut note = |code: u32, index: usize| {
        if code != terminal.code && !found.iter().any(|&(c, _)| c == code) {
            found.push((code, index));
        }
    };
    let foreign = |i: usize| matches!((flat.session_of(i), session), (Some(id), Some(s)) if id != s.id);
    let downloads = (terminal.window_start..=end)
        .filter(|&i| !claimed[i] && !foreign(i) && matches!(flat.kind(i), CbsEventKind::DownloadFailed));
    for i in downloads {
        if let Some(code) = flat.event(i).code {
            note(code, i);
        }
    }
    if let Some((finalized, _)) = session.and_then(|s| s.finalized)
        && let CbsEventKind::SessionFinalized { download_error: Some(code), .. } = flat.kind(finalized)
    {
        note(*code, finalized);
    }
    found
}

/// What the records of a failed advanced installer say about it: its binary and own code (CSI's error summary
/// row, else the queue's verdict on it), and the components it was installing since the boot-time processing
/// began.
fn installer_chain(flat: &Flat, window_start: usize, name: &str, own: &[usize]) -> InstallerChain {
    let summary = own.iter().find_map(|&i| match flat.kind(i) {
        CbsEventKind::InstallerSummary { binary, .. } => Some((binary.clone(), flat.event(i).code)),
        _ => None,
    });
    let verdict = own.iter().find(|&&i| matches!(flat.kind(i), CbsEventKind::InstallerFailed { .. }));
    let code = summary.as_ref().and_then(|(_, c)| *c).or_else(|| verdict.and_then(|&i| flat.event(i).code));
    let end = own.last().copied().unwrap_or(window_start);
    let mut components: Vec<String> = Vec::new();
    for i in window_start..=end {
        if let CbsEventKind::InstallerComponent { identity } = flat.kind(i)
            && flat.event(i).facts.installer.as_deref() == Some(name)
            && !components.contains(identity)
        {
            components.push(identity.clone());
        }
    }
    InstallerChain {
        name: name.to_string(),
        binary: summary.map(|(b, _)| b).filter(|b| !b.is_empty()),
        code,
        components,
    }
}

/// An inner error (CSI (F), installer error, store corruption, or any failing Error record) within two minutes
/// before the chain's first record: it is the chain's cause.
fn inner_cause(flat: &Flat, claimed: &[bool], window_start: usize, first_member: usize) -> Option<usize> {
    (window_start..first_member).rev().find(|&i| {
        let failing_error =
            flat.record(i).level == Level::Error && flat.event(i).code.is_some_and(patchdx_codes::is_failure);
        !claimed[i]
            && (flat.is_inner_cause(i) || failing_error)
            && flat.instant(first_member).zip(flat.instant(i)).is_some_and(|(a, b)| a.millis() - b.millis() <= 120_000)
    })
}

/// What failed, for the title: the KB (with its package where the package name does not hold it), else the
/// package, else the client's operation.
fn subject(kb: Option<&str>, package: Option<&str>, session: Option<&SessionBuild>) -> String {
    match (kb, package) {
        (Some(kb), Some(p)) if p.contains(kb) => kb.to_string(),
        (Some(kb), Some(p)) => format!("{kb} ({})", short_package(p)),
        (Some(kb), None) => kb.to_string(),
        (None, Some(p)) => short_package(p).to_string(),
        (None, None) => match (session.and_then(|s| s.operation.as_deref()), session.and_then(|s| s.client.as_deref()))
        {
            // `Exec: Session processing started.  Client: Manual, Session(DISM Package Manager Provider Store
            // Corruption Detect/Repair)`: DISM's ScanHealth/RestoreHealth, not an install.
            (Some(operation), Some(client)) if operation.contains("Corruption Detect/Repair") => {
                format!("component store repair by {client}")
            }
            (_, Some(client)) => format!("servicing operation of {client}"),
            _ => "servicing operation".to_string(),
        },
    }
}

/// Sessions worth listing: failed ones, ones that installed something, ones that asked for a reboot.
pub(crate) fn listed_sessions(flat: &Flat, sessions: &[SessionBuild]) -> Vec<Session> {
    sessions
        .iter()
        .filter(|s| s.package.is_some() || s.failure().is_some() || s.reboot_required == Some(true))
        .map(|s| {
            let first = s.start.or(s.exec_start).or(s.last).unwrap_or(0);
            let end = s.finalized.map(|f| f.0).or(s.complete.map(|c| c.0)).or(s.last);
            let result = s.failure().or(s.finalized).or(s.complete).map(|(_, c)| CodeRef::new(c, None));
            Session {
                id: s.id.clone(),
                client: s.client.clone(),
                file: flat.piece(first).path.clone(),
                start_line: flat.event(first).line,
                start_local: flat.event(first).local,
                start_utc: flat.event(first).utc,
                end_local: end.and_then(|e| flat.event(e).local),
                end_utc: end.and_then(|e| flat.event(e).utc),
                package: s.package.clone(),
                kb: s.kb.clone(),
                result,
                reboot_required: s.reboot_required,
            }
        })
        .collect()
}
