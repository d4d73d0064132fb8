//! Feature updates and in-place upgrades: Windows Setup's records of one run (its rollback phases, its result
//! and extended code, what started it, the build it installed, how often it had rolled back) become one
//! attempt and one finding, whose first cause is the device install its first boot stopped in when SetupAPI's
//! log holds one. A run that a compatibility hard block stopped (setup's compat codes 0xC19002xx, or a hard
//! block of its time in CompatData/ScanResult/appcompat.xml) is "blocked before it started", its first cause
//! the block's record; a hard block no setup log of the input reports is such a finding on its own. Soft blocks
//! are listed, never failures. A run the user cancelled is an observation, not a failure.

use crate::model::{CodeRef, Confidence, EventId, Evidence, Finding, Observation, Verdict};
use crate::timeline::Timeline;
use patchdx_formats::CivilTime;
use patchdx_formats::event::{Action, Event, Level, Source};
use patchdx_formats::record::{BlockLevel, CompatBlock, CompatSubject, SetupFact};
use std::collections::HashSet;

mod blocks;
mod crash;
mod setupdiag;
use blocks::*;
use crash::*;
use setupdiag::*;

/// Records of one setup run lie at most this far apart. A rollback's first phase runs in the recovery
/// environment, whose log times may be UTC while the rest are local: hours apart on the clock, minutes apart
/// in fact.
const SAME_RUN_MILLIS: i64 = 6 * 3_600_000;

/// ERROR_CANCELLED: setup was cancelled (by the user, or the program that hosted it).
const CANCELLED: u32 = 0x8007_04C7;

fn is_setup(event: &Event) -> bool {
    event.source == Source::Panther
}

/// The result line of a run: setup's own result (a `SetupResult`/post-reboot event) with its extended code.
fn is_result(event: &Event) -> bool {
    is_setup(event)
        && matches!(event.action, Action::Rollback | Action::InstallFailed)
        && event.code.is_some_and(patchdx_codes::is_failure)
        && event.phase.as_deref().is_some_and(|p| p.starts_with("0x"))
}

fn is_rollback_start(event: &Event) -> bool {
    is_setup(event)
        && event.action == Action::Rollback
        && (event.message.starts_with("Initiating rollback") || event.message.starts_with("OS Rollback: Rolling back"))
}

/// One run of Windows Setup: the indexes of its records, in time order.
struct Run {
    events: Vec<usize>,
}

/// The setup runs that failed or rolled back: their records grouped by time; a run is kept when it states a
/// failing result or rolled back.
fn runs(timeline: &Timeline) -> Vec<Run> {
    let mut order: Vec<usize> = (0..timeline.events.len())
        .filter(|&i| is_setup(&timeline.events[i]) && timeline.events[i].local.is_some())
        .collect();
    order.sort_by_key(|&i| timeline.events[i].local.map(CivilTime::millis));
    let mut runs: Vec<Run> = Vec::new();
    let mut last: Option<i64> = None;
    for i in order {
        let at = timeline.events[i].local.map_or(0, CivilTime::millis);
        match (runs.last_mut(), last) {
            (Some(run), Some(prev)) if at - prev <= SAME_RUN_MILLIS => run.events.push(i),
            _ => runs.push(Run { events: vec![i] }),
        }
        last = Some(at);
    }
    runs.retain(|r| {
        r.events.iter().any(|&i| {
            let e = &timeline.events[i];
            is_result(e) || is_rollback_start(e) || is_compat_result(e)
        })
    });
    runs
}

/// What the run's records state about it.
#[derive(Default)]
struct Facts {
    started_by: Option<String>,
    target: Option<String>,
    source: Option<String>,
    rollbacks: Option<u32>,
}

fn facts(timeline: &Timeline, run: &Run) -> Facts {
    let mut facts = Facts::default();
    for &i in &run.events {
        match timeline.events[i].setup_fact() {
            Some(SetupFact::StartedBy { host, command_line }) => {
                facts.started_by = facts.started_by.take().or(Some(host.clone()));
                facts.source = facts.source.take().or_else(|| SetupFact::source_build_in(command_line));
            }
            Some(SetupFact::TargetBuild(b)) => facts.target = facts.target.take().or(Some(b.clone())),
            Some(SetupFact::SourceBuild(b)) => facts.source = facts.source.take().or(Some(b.clone())),
            Some(SetupFact::RollbackCount(n)) => facts.rollbacks = Some(facts.rollbacks.map_or(*n, |m| m.max(*n))),
            _ => {}
        }
    }
    facts
}

/// The device install the new system's first boot stopped in (or that failed) during the run: SetupAPI
/// sections without an exit status that were not merely queued, else failed sections, within the run's time.
fn stopped_device_install(timeline: &Timeline, run: &Run) -> Option<usize> {
    let times: Vec<i64> = run.events.iter().filter_map(|&i| timeline.events[i].local.map(CivilTime::millis)).collect();
    let (from, to) = (times.iter().min()? - SAME_RUN_MILLIS, times.iter().max()? + 60_000);
    let candidates: Vec<usize> = (0..timeline.events.len())
        .filter(|&i| {
            let e = &timeline.events[i];
            e.source == Source::SetupApi
                && e.level == Level::Error
                && e.local.is_some_and(|t| (from..=to).contains(&t.millis()))
        })
        .collect();
    let device = |i: &&usize| timeline.events[**i].device_install().is_some_and(|d| d.device.is_some());
    let unfinished = |i: &&usize| timeline.events[**i].device_install().is_some_and(|d| !d.finished);
    candidates
        .iter()
        .filter(unfinished)
        .filter(device)
        .max_by_key(|&&i| timeline.events[i].local.map(CivilTime::millis))
        .or_else(|| candidates.iter().find(device))
        .copied()
}

/// How long before setup gave up (its result, or the start of its rollback) its Error lines still belong to the
/// failure: setup stops within seconds of the error that decides it, and errors minutes earlier are ones it went
/// on after (the "last failure is the fatal one" reading SetupDiag's documentation gives).
const LAST_ERRORS_MILLIS: i64 = 120_000;

/// The Error lines of the run that the rules read beside the finding's evidence (what SetupDiag's rules read: a
/// WIM that would not mount, a migration plug-in that failed, a DISM package setup could not add): those in the
/// last two minutes before setup gave up, and earlier ones that state the result's own code. Lines after that
/// moment belong to the rollback or to setup's own diagnostics.
fn last_errors(timeline: &Timeline, run: &Run, gave_up: usize, code: Option<u32>) -> Vec<EventId> {
    let events = &timeline.events;
    let Some(end) = events[gave_up].local.map(CivilTime::millis) else { return Vec::new() };
    run.events
        .iter()
        .copied()
        .filter(|&i| events[i].action == Action::Error && events[i].level >= Level::Error)
        .filter(|&i| {
            let Some(at) = events[i].local.map(CivilTime::millis) else { return false };
            at <= end && (end - at <= LAST_ERRORS_MILLIS || (code.is_some() && events[i].code == code))
        })
        .map(EventId)
        .collect()
}

/// `0x30018` → `FIRST_BOOT, SYSPREP`: the phase and operation names of Microsoft's table, for titles.
fn extended_short(phase: &str) -> Option<String> {
    let value = patchdx_formats::text::parse_hex(phase)?;
    let described = patchdx_codes::describe_extended(value)?;
    let names: Vec<&str> = described
        .split('(')
        .skip(1)
        .filter_map(|p| p.split(')').next())
        .map(|n| n.trim_start_matches("SP_EXECUTION_OP_").trim_start_matches("SP_EXECUTION_"))
        .collect();
    (!names.is_empty()).then(|| names.join(", "))
}

/// `0x30018` → `phase 3: first boot phase (…); operation 0x18: running Sysprep (…) (0x30018)`, from Microsoft's
/// table of setup phases.
fn extended_label(phase: &str) -> String {
    let value = patchdx_formats::text::parse_hex(phase);
    match value.and_then(patchdx_codes::describe_extended) {
        Some(described) => format!("{described} ({phase})"),
        None => phase.to_string(),
    }
}

/// Adds a finding (or, for a cancelled run, an observation) per failed setup run; returns the timeline events
/// they account for, which the generic per-source grouping must leave alone.
pub(crate) fn upgrade_findings(
    findings: &mut Vec<Finding>,
    observations: &mut Vec<Observation>,
    timeline: &Timeline,
) -> HashSet<EventId> {
    let mut claimed = HashSet::new();
    let all_runs = runs(timeline);
    let verdicts: Vec<usize> =
        (0..timeline.events.len()).filter(|&i| is_setupdiag_verdict(&timeline.events[i])).collect();
    let single_run = all_runs.len() == 1;
    let verdicts = &verdicts;
    for run in all_runs {
        let events = &timeline.events;
        let evidence = |i: usize| Evidence::of(EventId(i), &events[i]);
        let result = run.events.iter().rev().copied().find(|&i| is_result(&events[i]));
        let code = result.and_then(|i| events[i].code);
        let extended = result.and_then(|i| events[i].phase.clone());
        let facts = facts(timeline, &run);
        claimed.extend(run.events.iter().map(|&i| EventId(i)));
        let rolled_back = run.events.iter().any(|&i| events[i].action == Action::Rollback);
        let phases: Vec<usize> = run.events.iter().copied().filter(|&i| is_rollback_start(&events[i])).collect();
        let first_setup = phases.first().copied().or(result).unwrap_or(run.events[0]);
        let outcome = result.unwrap_or_else(|| *run.events.last().unwrap_or(&first_setup));
        if code == Some(CANCELLED) {
            observations.push(Observation {
                machine: None,
                kind: "upgrade-cancelled",
                summary: format!(
                    "Windows Setup{} was cancelled (0x800704C7 ERROR_CANCELLED{}): by the user or the program that started it, not a failure of the update",
                    facts.target.as_deref().map(|b| format!(" to build {b}")).unwrap_or_default(),
                    extended.as_deref().map(|e| format!(", {}", extended_label(e))).unwrap_or_default()
                ),
                evidence: vec![evidence(outcome)],
            });
            continue;
        }
        let compat_code = code
            .filter(|&c| is_compat_code(c))
            .or_else(|| run.events.iter().rev().find(|&&i| is_compat_result(&events[i])).and_then(|&i| events[i].code));
        let hard = blocks_of_run(timeline, &run, BlockLevel::Hard, compat_code.is_some());
        let soft = blocks_of_run(timeline, &run, BlockLevel::Soft, compat_code.is_some());
        claimed.extend(hard.iter().chain(&soft).map(|&i| EventId(i)));
        // Blocked: setup said so with a compat code, or a hard block of the run's time stopped a run that never
        // got as far as rolling back.
        let blocked = compat_code.is_some() || (!hard.is_empty() && !rolled_back);
        if blocked {
            let code = compat_code.or(code);
            let outcome = run.events.iter().rev().copied().find(|&i| is_compat_result(&events[i])).unwrap_or(outcome);
            findings.push(blocked_finding(timeline, &facts, &hard, &soft, code, Some(outcome), &run.events));
            continue;
        }
        let device = stopped_device_install(timeline, &run);
        let first_cause = device.unwrap_or(first_setup);
        let what = if rolled_back { "rolled back" } else { "failed" };
        let clean_install = run.events.iter().any(|&i| events[i].message.contains("clean install"));
        let subject = match (&facts.target, clean_install) {
            (_, true) => "Clean installation of Windows".to_string(),
            (Some(build), false) => format!("Feature update to build {build}"),
            (None, false) => "Windows Setup (feature update or upgrade)".to_string(),
        };
        let code_ref = code.map(|c| CodeRef::new(c, None));
        let title = match (&code_ref, &extended) {
            (Some(c), Some(e)) => match extended_short(e) {
                Some(short) => format!("{subject} {what} with {}-{e} ({short})", c.hex),
                None => format!("{subject} {what} with {}-{e}", c.hex),
            },
            (Some(c), None) => format!("{subject} {what} with {}", c.label()),
            _ => format!("{subject} {what}"),
        };
        let mut items = Vec::new();
        if let Some(source) = &facts.source {
            items.push(format!("upgrading from build {source}"));
        }
        if let Some(by) = &facts.started_by {
            items.push(format!("started by {by}"));
        }
        if let Some(n) = facts.rollbacks {
            items.push(format!("rollback count {n}: setup had rolled back {n} time(s) on this machine"));
        }
        if !phases.is_empty() {
            items.push(format!("{} rollback phase(s) in the logs", phases.len()));
        }
        // A run that got as far as rolling back was not stopped by the blocks of its time: they are listed.
        items.extend(hard.iter().chain(&soft).filter_map(|&i| events[i].compat_block()).map(block_item));
        if let Some(d) = device.and_then(|i| events[i].device_install()) {
            let driver = d.driver_label().map(|l| format!(" with {l}")).unwrap_or_default();
            let step = d.last_step.as_ref().map(|(_, s)| format!("; last step: {s}")).unwrap_or_default();
            let state = if d.finished { "failed" } else { "never finished: the system stopped during it" };
            items.push(format!("device install {}{driver}: {state}{step}", d.device.as_deref().unwrap_or("?")));
        }
        // SetupDiag's own verdict on this run, when its results are in the input: the one with the run's code,
        // else (one run only) any. Agreement is said; a difference shows both.
        let setupdiag = verdicts
            .iter()
            .copied()
            .find(|&i| code.is_some() && events[i].code == code)
            .or_else(|| verdicts.first().copied().filter(|_| single_run));
        if let Some(i) = setupdiag {
            claimed.insert(EventId(i));
            items.push(compare_with_setupdiag(&events[i], code, extended.as_deref()));
        }
        let reason = match device {
            Some(_) => "SetupAPI's log shows the device install the new system's first boot stopped in",
            None => "Windows Setup's own result and rollback records",
        };
        let confidence = if device.is_some() && code.is_some() { Confidence::High } else { Confidence::Medium };
        let cascade: Vec<Evidence> = run
            .events
            .iter()
            .copied()
            .chain(setupdiag)
            .filter(|&i| i != outcome && i != first_cause)
            .filter(|&i| {
                is_rollback_start(&events[i])
                    || is_result(&events[i])
                    || events[i].setup_fact().is_some()
                    || is_setupdiag_verdict(&events[i])
            })
            .map(evidence)
            .collect();
        let rule_context = last_errors(timeline, &run, first_setup, code);
        let event = &events[outcome];
        findings.push(Finding {
            rule_context,
            client: facts.started_by.clone(),
            phase: extended.as_deref().map(extended_label),
            code: code_ref,
            cascade,
            items,
            local_time: event.local,
            utc_time: event.utc,
            ..Finding::new(
                Verdict::Failed,
                title,
                evidence(first_cause),
                evidence(outcome),
                confidence,
                reason.to_string(),
            )
        });
    }
    // SetupDiag's verdicts on runs whose setup logs are not in the input: SetupDiag's word is all there is.
    let unmatched: Vec<usize> = verdicts.iter().copied().filter(|&i| !claimed.contains(&EventId(i))).collect();
    for i in unmatched {
        let event = &timeline.events[i];
        claimed.insert(EventId(i));
        let profile =
            event.message.strip_prefix("SetupDiag: ").and_then(|m| m.split(':').next()).unwrap_or("a failure profile");
        let code_ref = event.code.map(|c| CodeRef::new(c, None));
        let with = match (&code_ref, event.phase.as_deref()) {
            (Some(c), Some(e)) => match extended_short(e) {
                Some(short) => format!(" with {}-{e} ({short})", c.hex),
                None => format!(" with {}-{e}", c.hex),
            },
            (Some(c), None) => format!(" with {}", c.label()),
            _ => String::new(),
        };
        let evidence = Evidence::of(EventId(i), event);
        let reason = "SetupDiag's results only: the setup logs it read are not in the input".to_string();
        findings.push(Finding {
            client: Some("SetupDiag".to_string()),
            phase: event.phase.as_deref().map(extended_label),
            code: code_ref,
            items: vec![format!("SetupDiag matched profile {profile}")],
            local_time: event.local,
            utc_time: event.utc,
            ..Finding::new(
                Verdict::Failed,
                format!("Windows Setup failed{with}, as SetupDiag reports (profile {profile})"),
                evidence.clone(),
                evidence,
                Confidence::Medium,
                reason,
            )
        });
    }
    crash_findings(timeline, &mut claimed, findings);
    // Hard blocks no setup run of the input reports: the scan stopped the upgrade before setup logged a run (or
    // its logs are not in the input). One finding per report.
    let mut files: Vec<&str> = Vec::new();
    for (i, e) in timeline.events.iter().enumerate() {
        if block_of(e, BlockLevel::Hard).is_some()
            && !claimed.contains(&EventId(i))
            && !files.contains(&e.file.as_str())
        {
            files.push(&e.file);
        }
    }
    for file in files {
        let of_file = |level| -> Vec<usize> {
            (0..timeline.events.len())
                .filter(|&i| timeline.events[i].file == file && block_of(&timeline.events[i], level).is_some())
                .filter(|&i| !claimed.contains(&EventId(i)))
                .collect()
        };
        let (hard, soft) = (of_file(BlockLevel::Hard), of_file(BlockLevel::Soft));
        claimed.extend(hard.iter().chain(&soft).map(|&i| EventId(i)));
        findings.push(blocked_finding(timeline, &Facts::default(), &hard, &soft, None, None, &[]));
    }
    claimed
}
