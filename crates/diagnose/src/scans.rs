//! Windows Update scans (searches for updates) that failed: WindowsUpdate.log `END … Finding updates … Exit code
//! = 0x8024…`, ReportingEvents 148 AGENT_DETECTION_FAILED, WindowsUpdateClient events 16 and 25. A failed scan
//! installs nothing and the agent retries on its own schedule, so failures that a later scan outlived are an
//! observation (the agent recovered); failures after the last successful scan are a finding: the machine cannot
//! see its updates now.

use crate::model::{CodeRef, Confidence, EventId, Evidence, Finding, Observation, Verdict};
use crate::timeline::Timeline;
use patchdx_formats::event::{Action, Event};

/// Records of one scan in different sources (the agent's END line, its REPORT EVENT copy, ReportingEvents, the
/// event log) lie within this many seconds of each other; they count as one failed scan.
const SAME_SCAN_SECONDS: i64 = 120;

/// The failed scans of one code between two successful scans, in timeline order.
struct Episode<'t> {
    code: Option<u32>,
    records: Vec<(EventId, &'t Event)>,
    /// The first successful scan after the episode, if any.
    recovered: Option<(EventId, &'t Event)>,
}

fn within(a: &Event, b: &Event, seconds: i64) -> bool {
    match (a.instant(), b.instant()) {
        (Some(a), Some(b)) => (b.millis() - a.millis()).abs() <= seconds * 1000,
        _ => false,
    }
}

impl Episode<'_> {
    /// How many scans failed: records less than [`SAME_SCAN_SECONDS`] after the previous one are the same scan.
    fn scans(&self) -> usize {
        let mut scans = 0;
        let mut last: Option<&Event> = None;
        for (_, event) in &self.records {
            if !last.is_some_and(|l| within(l, event, SAME_SCAN_SECONDS)) {
                scans += 1;
            }
            last = Some(event);
        }
        scans
    }
}

fn is_failed_scan(event: &Event) -> bool {
    event.action == Action::ScanFailed && event.code.is_none_or(patchdx_codes::is_failure)
}

/// Splits the failed scans per code into episodes: a successful scan ends the episodes open before it.
fn episodes(timeline: &Timeline) -> Vec<Episode<'_>> {
    let mut done: Vec<Episode> = Vec::new();
    let mut open: Vec<Episode> = Vec::new();
    for (index, event) in timeline.events.iter().enumerate() {
        let id = EventId(index);
        if event.action == Action::ScanSucceeded {
            for mut episode in open.drain(..) {
                episode.recovered = Some((id, event));
                done.push(episode);
            }
        } else if is_failed_scan(event) {
            // A record without a code (`149 AU_UNABLE_TO_CONNECT` after `148 … with error 0x80072ee2`) is the
            // same scan as the failure just before it.
            let close =
                |e: &&mut Episode| e.records.last().is_some_and(|(_, last)| within(last, event, SAME_SCAN_SECONDS));
            let same = if event.code.is_none() {
                open.iter_mut().rev().find(close)
            } else {
                open.iter_mut().find(|e| e.code == event.code)
            };
            match same {
                Some(episode) => episode.records.push((id, event)),
                None => open.push(Episode { code: event.code, records: vec![(id, event)], recovered: None }),
            }
        }
    }
    done.extend(open);
    done
}

fn when(event: &Event) -> String {
    event.local.or(event.utc).map_or_else(|| "?".to_string(), |t| t.to_string())
}

/// `(N scans, first → last)`, or the one scan's time.
fn span(scans: usize, first: &Event, last: &Event) -> String {
    if scans > 1 { format!("{scans} scans, {} → {}", when(first), when(last)) } else { when(first) }
}

/// Adds a finding for each code the scans still fail with (no scan succeeded after the last failure) and one
/// observation per code for the failed scans that a later successful scan ended, however many times that
/// happened (an agent that cannot reach its server for a day writes hundreds of failures and recovers).
pub(crate) fn scan_failures(findings: &mut Vec<Finding>, observations: &mut Vec<Observation>, timeline: &Timeline) {
    let (recovered, current): (Vec<Episode>, Vec<Episode>) =
        episodes(timeline).into_iter().partition(|e| e.recovered.is_some());
    let mut codes: Vec<Option<u32>> = recovered.iter().map(|e| e.code).collect();
    codes.dedup();
    let mut seen = Vec::new();
    for code in codes {
        if seen.contains(&code) {
            continue;
        }
        seen.push(code);
        let runs: Vec<&Episode> = recovered.iter().filter(|e| e.code == code).collect();
        let (Some(first_run), Some(last_run)) = (runs.first(), runs.last()) else { continue };
        let (Some(&(first_id, first)), Some(&(last_id, last)), Some((success_id, success))) =
            (first_run.records.first(), last_run.records.last(), last_run.recovered)
        else {
            continue;
        };
        let label = code.map(|c| CodeRef::new(c, first.facts.code_name.as_deref()).label());
        let with = label.map_or_else(String::new, |l| format!(" with {l}"));
        let scans: usize = runs.iter().map(|e| e.scans()).sum();
        let mut evidence = vec![Evidence::of(first_id, first)];
        if last_id != first_id {
            evidence.push(Evidence::of(last_id, last));
        }
        evidence.push(Evidence::of(success_id, success));
        let (each, at) = if runs.len() > 1 { ("each time ", "last at") } else { ("", "at") };
        observations.push(Observation {
            machine: None,
            kind: "scan-recovered",
            summary: format!(
                "Windows Update's scan for updates failed{with} ({}); {each}a later scan succeeded ({at} {}), so \
                 the agent recovered by itself.",
                span(scans, first, last),
                when(success)
            ),
            evidence,
        });
    }
    for episode in current {
        let (Some(&(first_id, first)), Some(&(last_id, last))) = (episode.records.first(), episode.records.last())
        else {
            continue;
        };
        let code = episode.code.map(|c| CodeRef::new(c, first.facts.code_name.as_deref()));
        let with = code.as_ref().map_or_else(String::new, |c| format!(" with {}", c.label()));
        let scans = episode.scans();
        let mut sources: Vec<&str> = episode.records.iter().map(|(_, e)| e.source.label()).collect();
        sources.sort_unstable();
        sources.dedup();
        let confidence = if scans > 1 || sources.len() > 1 { Confidence::Medium } else { Confidence::Low };
        let reason = format!("the scan failure recorded by {}; no scan succeeded after it", sources.join(", "));
        let title = format!("Windows Update scan failed{with} ({})", span(scans, first, last));
        findings.push(Finding {
            client: episode.records.iter().find_map(|(_, e)| e.client.clone()),
            phase: Some("scan".to_string()),
            code,
            utc_offset: match (last.local, last.utc) {
                (Some(l), Some(u)) => Some(patchdx_formats::time::format_offset((l.millis() - u.millis()) / 1000)),
                _ => None,
            },
            cascade: episode.records.iter().skip(1).map(|&(id, e)| Evidence::of(id, e)).collect(),
            ..Finding::new(
                Verdict::Failed,
                title,
                Evidence::of(first_id, first),
                Evidence::of(last_id, last),
                confidence,
                reason,
            )
        });
    }
}
