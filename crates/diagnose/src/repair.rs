//! Corruption and repair (DISM Summary blocks with the corruption rows, hash mismatches and unrepairable
//! payloads of their run, store-corrupt flags) and boot-time processing: findings where damage remains,
//! observations where it was repaired. SFC's results are in `sfc_results`.

use crate::failures::SessionBuild;
use crate::flat::Flat;
use crate::model::{CodeRef, Confidence, Evidence, Finding, Observation, Verdict};
use patchdx_formats::cbs::CbsEventKind;

fn same_piece(flat: &Flat, a: usize, b: usize) -> bool {
    flat.same_piece(a, b)
}

pub(crate) fn within(flat: &Flat, a: usize, b: usize, seconds: i64) -> bool {
    match (flat.instant(a), flat.instant(b)) {
        (Some(x), Some(y)) => (x.millis() - y.millis()).abs() <= seconds * 1000,
        _ => same_piece(flat, a, b),
    }
}

/// DISM /ScanHealth or /RestoreHealth summary blocks. A run inside a session that failed is that session's
/// failure (already a finding, with the codes its session states): the run's counts, damage and records join it,
/// so that one failed repair is one finding.
pub(crate) fn store_repairs(
    flat: &Flat,
    sessions: &[SessionBuild],
    claimed: &mut [bool],
    findings: &mut Vec<Finding>,
    observations: &mut Vec<Observation>,
) {
    for index in 0..flat.events.len() {
        let CbsEventKind::SummaryDetected { count: detected } = *flat.kind(index) else {
            continue;
        };
        let run = RepairRun::around(flat, claimed, index, detected);
        for &i in &run.chain {
            claimed[i] = true;
        }
        let session_finding = failed_session_around(sessions, index).and_then(|id| {
            findings.iter_mut().find(|f| f.verdict == Verdict::Failed && f.session.as_deref() == Some(id))
        });
        if let Some(finding) = session_finding {
            run.join(flat, finding);
        } else if detected == 0 {
            observations.push(Observation {
                machine: None,
                kind: "store-health",
                summary: "DISM checked the component store and found no corruption (Total Detected Corruption: 0)."
                    .to_string(),
                evidence: run.chain.iter().map(|&i| flat.evidence(i)).collect(),
            });
        } else {
            findings.push(run.finding(flat));
        }
    }
}

/// One DISM repair run, told by its summary block: the counts, the operation result and the damage records it
/// dealt with.
struct RepairRun {
    /// The `Total Detected Corruption` line, and its count.
    summary: usize,
    detected: u32,
    /// The `Total Repaired Corruption` line, and its count.
    repaired: Option<(usize, u32)>,
    /// The `Operation result` line.
    result: Option<usize>,
    /// Corruption rows and store-corrupt flags of the run.
    damage: Vec<usize>,
    /// Every record of the run, in order.
    chain: Vec<usize>,
}

impl RepairRun {
    /// The run whose `Total Detected Corruption` line is `summary`; damage records already claimed belong to
    /// another chain and are left out.
    fn around(flat: &Flat, claimed: &[bool], summary: usize, detected: u32) -> Self {
        let repaired = (summary + 1..flat.events.len().min(summary + 30))
            .filter(|&i| same_piece(flat, i, summary))
            .find_map(|i| match *flat.kind(i) {
                CbsEventKind::SummaryRepaired { count } => Some((i, count)),
                _ => None,
            });
        let result =
            (summary.saturating_sub(8)..summary).rev().find(|&i| matches!(flat.kind(i), CbsEventKind::OperationResult));
        let damage = damage_before(flat, claimed, summary);
        let mut chain = damage.clone();
        chain.extend(result);
        chain.push(summary);
        chain.extend(repaired.map(|(i, _)| i));
        chain.sort_unstable();
        RepairRun { summary, detected, repaired, result, damage, chain }
    }

    /// Joins the run to the finding of the failed session it ran in: its damage becomes the finding's items,
    /// its records join the chain (which starts at the earliest of them), and the title says what it found and
    /// repaired.
    fn join(&self, flat: &Flat, finding: &mut Finding) {
        let repaired = self.repaired.map_or(0, |(_, n)| n);
        let mut chain: Vec<Evidence> = std::iter::once(finding.first_cause.clone())
            .chain(finding.cascade.drain(..))
            .chain(self.chain.iter().map(|&i| flat.evidence(i)))
            .collect();
        chain.sort_by_key(|e| e.event);
        chain.dedup_by_key(|e| e.event);
        let mut chain = chain.into_iter();
        if let Some(first) = chain.next() {
            finding.first_cause = first;
        }
        finding.cascade = chain.collect();
        finding.items.extend(corruption_items(flat, &self.damage));
        // `… failed with 0x800F0906 CBS_E_DOWNLOAD_FAILURE; the Windows Update download …`: the counts go right
        // after the operation's own code.
        let counts = format!(" ({} corruption(s) detected, {repaired} repaired)", self.detected);
        let at = finding.title.find(';').unwrap_or(finding.title.len());
        finding.title.insert_str(at, &counts);
    }

    /// The finding of a run that detected corruption: failed when it repaired less than it found or its result
    /// is a failure code, else repaired.
    fn finding(&self, flat: &Flat) -> Finding {
        let detected = self.detected;
        let result_code = self.result.and_then(|i| flat.event(i).code).unwrap_or(0);
        let repaired_count = self.repaired.map_or(0, |(_, n)| n);
        let failed = repaired_count < detected || patchdx_codes::is_failure(result_code);
        let outcome_index = self.repaired.map_or(self.summary, |(i, _)| i);
        let first = self.chain.first().copied().unwrap_or(self.summary);
        let verdict = if failed { Verdict::Failed } else { Verdict::Repaired };
        let title = if failed {
            format!("Component store corruption not repaired: {detected} detected, {repaired_count} repaired")
        } else {
            format!("Component store corruption found and repaired: {detected} detected, {repaired_count} repaired")
        };
        let reason = "DISM's own Summary block states the counts";
        Finding {
            client: Some("DISM (store corruption detect/repair)".to_string()),
            phase: Some("component store check".to_string()),
            code: self.result.map(|_| CodeRef::new(result_code, None)),
            cascade: self.chain.iter().skip(1).map(|&i| flat.evidence(i)).collect(),
            items: corruption_items(flat, &self.damage),
            ..flat.finding(verdict, title, first, outcome_index, Confidence::High, reason)
        }
    }
}

/// The id of the failed session whose execution holds the record at `index`.
fn failed_session_around(sessions: &[SessionBuild], index: usize) -> Option<&str> {
    sessions.iter().find_map(|s| {
        let (end, _) = s.failure()?;
        let start = s.exec_start.or(s.start)?;
        (start <= index && index <= end).then_some(s.id.as_str())
    })
}

/// Corruption rows, CSI store-corrupt flags, files whose hashes do not match and payloads CSI could not repair
/// from its backups, of the same repair run (the hour before its summary, in the same piece), oldest first. The
/// hash and payload lines name the damaged files, which the rows of some builds do not; a hash mismatch SFC
/// checked belongs to SFC's results instead.
fn damage_before(flat: &Flat, claimed: &[bool], summary: usize) -> Vec<usize> {
    let mut damage: Vec<usize> = (0..summary)
        .rev()
        .take_while(|&i| same_piece(flat, i, summary) && within(flat, i, summary, 3600))
        .filter(|&i| {
            !claimed[i]
                && match flat.kind(i) {
                    CbsEventKind::CorruptionRow { .. }
                    | CbsEventKind::CsiFatal
                    | CbsEventKind::StoreMarkedCorrupt
                    | CbsEventKind::PayloadUnrepairable { .. } => true,
                    CbsEventKind::FileHashMismatch { .. } => !crate::sfc_results::checked_by_sfc(flat, i),
                    _ => false,
                }
        })
        .collect();
    damage.reverse();
    damage
}

/// `category: item (fixed)` for each corruption row among `damage`.
fn corruption_items(flat: &Flat, damage: &[usize]) -> Vec<String> {
    damage
        .iter()
        .filter_map(|&i| match flat.kind(i) {
            CbsEventKind::CorruptionRow { category, fixed, item } => {
                Some(format!("{category}: {item}{}", if *fixed { " (fixed)" } else { " (NOT fixed)" }))
            }
            _ => None,
        })
        .collect()
}

/// `indexes` in runs whose neighbours are at most `seconds` apart.
pub(crate) fn group_by_time(flat: &Flat, indexes: &[usize], seconds: i64) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for &i in indexes {
        match groups.last_mut() {
            Some(g) if g.last().is_some_and(|&prev| within(flat, i, prev, seconds)) => g.push(i),
            _ => groups.push(vec![i]),
        }
    }
    groups
}

/// Store-corrupt flags that no failure chain or repair run accounts for.
pub(crate) fn unexplained_corruption(flat: &Flat, claimed: &mut [bool], findings: &mut Vec<Finding>) {
    let flagged: Vec<usize> = (0..flat.events.len())
        .filter(|&i| !claimed[i] && matches!(flat.kind(i), CbsEventKind::StoreMarkedCorrupt))
        .collect();
    for group in group_by_time(flat, &flagged, 3600) {
        for &i in &group {
            claimed[i] = true;
        }
        let first = group[0];
        let last = group[group.len() - 1];
        let title = "Component store flagged as corrupt, and no repair run follows in the logs".to_string();
        let reason = "CBS/CSI flagged the store corrupt; no DISM summary shows it repaired";
        let base = flat.finding(Verdict::Failed, title, first, last, Confidence::Medium, reason);
        let event = flat.event(first);
        findings.push(Finding {
            kb: event.kb.clone(),
            package: event.package.clone(),
            code: event.code.map(|c| CodeRef::new(c, event.facts.code_name.as_deref())),
            // Dated by the first flag: that is when the store was found corrupt.
            local_time: event.local,
            utc_time: event.utc,
            utc_offset: flat.offset_label(first),
            cascade: group.iter().skip(1).map(|&i| flat.evidence(i)).collect(),
            ..base
        });
    }
}

/// Boot-time (startup) processing of pending operations, e.g. after an install that needed a reboot.
pub(crate) fn startup_processing(flat: &Flat, observations: &mut Vec<Observation>) {
    let mut index = 0;
    while index < flat.events.len() {
        let CbsEventKind::StartupState { state } = flat.kind(index) else {
            index += 1;
            continue;
        };
        let mut evidence = vec![flat.evidence(index)];
        let mut packages = Vec::new();
        let mut result: Option<u32> = None;
        let mut pending_xml = false;
        let mut end = index + 1;
        while end < flat.events.len() && end < index + 400 && same_piece(flat, end, index) {
            let event = flat.event(end);
            match flat.kind(end) {
                CbsEventKind::StartupState { .. } | CbsEventKind::TrustedInstallerInit => break,
                CbsEventKind::StartupPackage { new_state } => {
                    let name = event.kb.clone().unwrap_or_else(|| event.package.clone().unwrap_or_default());
                    packages.push(format!("{name} → {new_state}"));
                }
                CbsEventKind::PendingXml => {
                    pending_xml = true;
                    evidence.push(flat.evidence(end));
                }
                CbsEventKind::StartupComplete => {
                    result = result.or(event.code);
                    evidence.push(flat.evidence(end));
                }
                _ => {}
            }
            end += 1;
        }
        packages.sort();
        packages.dedup();
        let result_text = result.map_or("no result line".to_string(), |c| CodeRef::new(c, None).label());
        observations.push(Observation {
            machine: None,
            kind: "startup-processing",
            summary: format!(
                "Boot-time (startup) processing, execute state {state}{}; {} package(s) completed startup processing{}; result {result_text}",
                if pending_xml { ", pending.xml processed" } else { "" },
                packages.len(),
                if packages.is_empty() { String::new() } else { format!(" ({})", summarize(&packages, 6)) },
            ),
            evidence,
        });
        index = end;
    }
}

fn summarize(items: &[String], max: usize) -> String {
    if items.len() <= max {
        items.join(", ")
    } else {
        format!("{}, … {} more", items[..max].join(", "), items.len() - max)
    }
}
