//! The CBS diagnosis: failed operations with their first cause and cascade, corruption and repairs, boot-time
//! processing and rotation problems, read from the stitched CBS history's events on the timeline.

use crate::model::{Finding, Observation, Session};
use crate::timeline::Timeline;
use crate::{failures, flat, repair, repair_manifest, sfc_results};
use patchdx_formats::cbs::{self, CbsLog, history::History};
use std::collections::BTreeMap;

/// The diagnosis of a set of CBS logs already stitched into order.
pub struct CbsDiagnosis {
    pub findings: Vec<Finding>,
    pub observations: Vec<Observation>,
    pub sessions: Vec<Session>,
    pub session_counts: BTreeMap<String, usize>,
}

/// Diagnoses the CBS history: `logs` are the CBS files in history order (then SFC extracts), whose events are
/// on `timeline`.
pub fn diagnose_cbs(logs: &[CbsLog], history: &History, timeline: &Timeline) -> CbsDiagnosis {
    let flat = flat::Flat::new(logs, &timeline.events);
    let sessions = failures::build_sessions(&flat);
    let mut claimed = vec![false; flat.events.len()];
    let mut findings = failures::failed_operations(&flat, &sessions, &mut claimed);
    let mut observations = Vec::new();
    repair::store_repairs(&flat, &sessions, &mut claimed, &mut findings, &mut observations);
    sfc_results::sfc_results(&flat, &mut claimed, &mut findings, &mut observations);
    repair::unexplained_corruption(&flat, &mut claimed, &mut findings);
    repair::startup_processing(&flat, &mut observations);
    history_observations(&flat, history, &mut observations);
    order_and_number(&mut findings, 0);
    repair_manifest::attach(&mut findings, &timeline.events);
    let mut session_counts = BTreeMap::new();
    for s in &sessions {
        *session_counts.entry(s.client.clone().unwrap_or_else(|| "(unknown client)".to_string())).or_insert(0) += 1;
    }
    CbsDiagnosis { findings, observations, sessions: failures::listed_sessions(&flat, &sessions), session_counts }
}

/// Findings in time order, numbered in that order from `F{first_id + 1}` (an input of several machines
/// numbers each machine's findings after the previous machine's).
pub(crate) fn order_and_number(findings: &mut [Finding], first_id: usize) {
    findings.sort_by_key(|f| (f.utc_time.or(f.local_time), f.outcome.line));
    for (n, finding) in findings.iter_mut().enumerate() {
        finding.id = format!("F{}", first_id + n + 1);
    }
}

fn history_observations(flat: &flat::Flat, history: &History, observations: &mut Vec<Observation>) {
    for (index, event) in flat.events.iter().enumerate() {
        if matches!(event.record.kind, cbs::CbsEventKind::BackupCabFailed) {
            observations.push(Observation {
                machine: None,
                kind: "rotation-failure",
                summary: "CBS could not compress its rotated log into a CbsPersist cab; history from before this point may be lost on the machine.".to_string(),
                evidence: vec![flat.evidence(index)],
            });
        }
    }
    if !history.missing_pieces.is_empty() {
        observations.push(Observation {
            machine: None,
            kind: "missing-cbs-pieces",
            summary: format!(
                "The logs name {} rotated CBS piece(s) that are not in the bundle: {}. Collect them from C:\\Windows\\Logs\\CBS\\ if they still exist.",
                history.missing_pieces.len(),
                history.missing_pieces.join(", ")
            ),
            evidence: Vec::new(),
        });
    }
}
