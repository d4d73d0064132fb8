//! What is not an update failure is not reported as one. Some records look like failed servicing and are not:
//! DISM declining to provision an Appx package because an equal or higher version is already provisioned, a
//! maintenance task (Disk Cleanup, the compatibility appraiser) whose DISM session logs Error-level probes,
//! an update whose download Windows Update had already removed as expired or superseded, and an install that a
//! shutdown interrupted and that went through minutes later. Each such finding becomes an observation that
//! quotes the line that decides it, followed by the finding's own records; a maintenance program's DISM session
//! whose errors made no finding is told apart the same way.

use crate::model::{CodeRef, EventId, Evidence, Finding, Observation, Verdict};
use crate::timeline::Timeline;
use patchdx_formats::CivilTime;
use patchdx_formats::event::{Action, Event, Level, Source};

/// WU_E_DM_UPDATEREMOVED: the download Windows Update was asked to install had been removed (downloads expire
/// 30 days after they are made, and superseded ones are purged).
const UPDATE_REMOVED: u32 = 0x8024_6013;

/// Codes that say an operation stopped because Windows or the update service was shutting down.
const SHUTDOWN_CODES: &[u32] = &[
    0x8024_001E, // WU_E_SERVICE_STOP
    0x8007_045B, // ERROR_SHUTDOWN_IN_PROGRESS
];

/// How soon after an interrupted install its success must come for the two to be one uninterrupted job.
const RESUMED_WITHIN_MS: i64 = 60 * 60 * 1000;

/// Maintenance programs that open DISM sessions to look at the image, not to change it: their Error-level lines
/// are probes of what is absent, not an update failing.
const MAINTENANCE_CALLERS: &[(&str, &str)] =
    &[("cleanmgr.exe", "Disk Cleanup"), ("compattelrunner.exe", "the compatibility appraiser")];

/// Moves every finding that is not an update failure to `observations`; the rest keep their order.
pub(crate) fn separate(findings: &mut Vec<Finding>, observations: &mut Vec<Observation>, timeline: &Timeline) {
    let mut kept = Vec::with_capacity(findings.len());
    for finding in std::mem::take(findings) {
        match observation_of(&finding, timeline) {
            Some(observation) => observations.push(observation),
            None => kept.push(finding),
        }
    }
    *findings = kept;
    maintenance_sessions(timeline, observations);
}

/// The DISM sessions of maintenance programs that ended with errors and are not yet told apart (their errors
/// made no finding): one observation each, quoting the line that names the program, the first error and the
/// session's end.
fn maintenance_sessions(timeline: &Timeline, observations: &mut Vec<Observation>) {
    let mut open: Option<(usize, &str, Vec<usize>)> = None;
    for (at, e) in timeline.events.iter().enumerate() {
        if e.source != Source::Dism {
            continue;
        }
        let Some(caller) = e.caller().filter(|c| maintenance_program(c).is_some()) else { continue };
        if e.action == Action::Note && e.message.contains("Parent process command line:") {
            open = Some((at, caller, Vec::new()));
            continue;
        }
        // Only the events of the session the note opened: the same program, in the same file.
        let Some((note, _, errors)) = open
            .as_mut()
            .filter(|(note, of, _)| *of == caller && timeline.events.get(*note).is_some_and(|n| n.file == e.file))
        else {
            continue;
        };
        if e.action != Action::SessionEnded {
            if e.level == Level::Error {
                errors.push(at);
            }
            continue;
        }
        let (note, errors) = (*note, std::mem::take(errors));
        open = None;
        let quoted = |id: usize| timeline.events.get(id).map(|ev| Evidence::of(EventId(id), ev));
        let told = observations.iter().any(|o| o.evidence.iter().any(|ev| ev.event == Some(EventId(note))));
        let (Some(first), false) = (errors.first(), told) else { continue };
        let mut codes: Vec<String> = Vec::new();
        for code in errors.iter().filter_map(|&i| timeline.events.get(i)?.code) {
            let label = CodeRef::new(code, None).label();
            if !codes.contains(&label) {
                codes.push(label);
            }
        }
        let program = maintenance_program(caller).unwrap_or("a maintenance program");
        let summary = format!(
            "Not an update failure: {program} ({caller}) opened a DISM session to examine the image; the \
             Error-level lines it logged ({}) are probes of what is not there, and it installs nothing.",
            codes.join(", ")
        );
        let evidence = [note, *first, at].into_iter().filter_map(quoted).collect();
        observations.push(Observation { machine: None, kind: "maintenance-task-dism-probe", summary, evidence });
    }
}

/// The name of the maintenance program a DISM caller's command line starts.
fn maintenance_program(caller: &str) -> Option<&'static str> {
    let lower = caller.to_ascii_lowercase();
    MAINTENANCE_CALLERS.iter().find(|(exe, _)| lower.contains(exe)).map(|(_, name)| *name)
}

/// The observation a finding is instead, when one of the classes above decides it.
fn observation_of(finding: &Finding, timeline: &Timeline) -> Option<Observation> {
    let (kind, summary, deciding) = role_owned_files(finding)
        .or_else(|| compat_scan_only(finding, timeline))
        .or_else(|| appx_already_provisioned(finding, timeline))
        .or_else(|| maintenance_probe(finding, timeline))
        .or_else(|| download_removed(finding, timeline))
        .or_else(|| interrupted_then_installed(finding, timeline))?;
    let mut evidence = deciding;
    for record in records(finding) {
        if !evidence.iter().any(|e| e.event == record.event) {
            evidence.push(record.clone());
        }
    }
    Some(Observation { machine: None, kind, summary, evidence })
}

/// The finding's own records: first cause, cascade, outcome, then the same failure in other sources.
fn records(finding: &Finding) -> impl Iterator<Item = &Evidence> {
    std::iter::once(&finding.first_cause)
        .chain(&finding.cascade)
        .chain(std::iter::once(&finding.outcome))
        .chain(&finding.corroboration)
}

fn event<'t>(timeline: &'t Timeline, evidence: &Evidence) -> Option<&'t Event> {
    evidence.event.and_then(|id| timeline.events.get(id.0))
}

/// What the finding is about, for a sentence: its KB, else the update's title, else its package.
fn subject(finding: &Finding, timeline: &Timeline) -> String {
    finding
        .kb
        .clone()
        .or_else(|| records(finding).find_map(|e| event(timeline, e).and_then(|e| e.title.clone())))
        .or_else(|| finding.package.clone())
        .unwrap_or_else(|| "an update".to_string())
}

/// An observation's kind, its sentence, and the lines that decide it (quoted first).
type Decided = (&'static str, String, Vec<Evidence>);

/// SFC's complaint about files a server role rewrites by design (the RD Licensing configuration files), when
/// the rules name nothing else in the finding: SFC cannot restore them, and need not.
fn role_owned_files(finding: &Finding) -> Option<Decided> {
    let only_role_owned =
        !finding.diagnosis.is_empty() && finding.diagnosis.iter().all(|d| d.category == "role-owned-file");
    if !only_role_owned || finding.verdict != Verdict::Failed {
        return None;
    }
    let rule = &finding.diagnosis[0];
    let summary =
        format!("Not a failure: {} (rule {}). The file(s): {}", rule.title.en, rule.rule, finding.items.join("; "));
    Some(("role-owned-files", summary, vec![finding.first_cause.clone()]))
}

/// How long before a DISM failure the provider's own record of why may come.
const DISM_REASON_MS: i64 = 120_000;

/// DISM's Appx provider declining to add a package because an equal or higher version is provisioned
/// (`… C1570118 Msg:[Failed while adding package X since an equal or higher version of the package, Y, already
/// exists]`, then 0x800700B7 ERROR_ALREADY_EXISTS and 0xC1570118 up the stack): nothing was changed. The
/// provider's line is the same session's record just before the failure.
fn appx_already_provisioned(finding: &Finding, timeline: &Timeline) -> Option<Decided> {
    let failed = event(timeline, &finding.first_cause).filter(|e| e.source == Source::Dism)?;
    let failed_at = failed.local?.millis();
    let (at, said) = timeline.events.iter().enumerate().rev().find(|(_, e)| {
        e.source == Source::Dism
            && e.file == failed.file
            && e.client == failed.client
            && e.line <= failed.line
            && e.local.is_some_and(|t| (0..=DISM_REASON_MS).contains(&(failed_at - t.millis())))
            && e.message.contains("an equal or higher version")
    })?;
    let text = &said.message;
    let package = text
        .split_once("adding package ")
        .and_then(|(_, rest)| rest.split_once(" since"))
        .map_or("the package", |(name, _)| name.trim());
    let existing = text
        .split_once("version of the package, ")
        .and_then(|(_, rest)| rest.split_once(", already exists"))
        .map(|(name, _)| format!(" ({})", name.trim()))
        .unwrap_or_default();
    let codes: Vec<String> = said
        .code
        .iter()
        .chain(finding.code.as_ref().map(|c| &c.value))
        .map(|&c| CodeRef::new(c, None).label())
        .collect();
    let summary = format!(
        "Not an update failure: DISM did not provision {package} because an equal or higher version is already \
         provisioned{existing}; it reported that as {}, and nothing in the image was changed.",
        codes.join(" and ")
    );
    Some(("appx-already-provisioned", summary, vec![Evidence::of(EventId(at), said)]))
}

/// A finding of a DISM session that a maintenance program opened (its `Parent process command line:` line
/// names cleanmgr.exe or CompatTelRunner.exe): its Error-level lines are that program probing the image.
fn maintenance_probe(finding: &Finding, timeline: &Timeline) -> Option<Decided> {
    let caller = records(finding)
        .filter_map(|e| event(timeline, e))
        .find(|ev| ev.source == Source::Dism && ev.caller().is_some())
        .and_then(|ev| ev.caller().map(|caller| (ev, caller)));
    let (failed, caller) = caller?;
    let program = maintenance_program(caller)?;
    // The session's own `Parent process command line:` line: the last one of that caller before the failure.
    let deciding = timeline
        .events
        .iter()
        .enumerate()
        .rev()
        .find(|(_, e)| {
            e.source == Source::Dism
                && e.file == failed.file
                && e.line <= failed.line
                && e.caller() == Some(caller)
                && e.message.contains("Parent process command line:")
        })
        .map(|(id, e)| Evidence::of(EventId(id), e))?;
    let code = finding.code.as_ref().map(|c| format!(" ({})", c.label())).unwrap_or_default();
    let summary = format!(
        "Not an update failure: the DISM session that logged these errors{code} was opened by {program} \
         ({caller}) to examine the image; its Error-level lines are probes of what is not there, and it installs \
         nothing."
    );
    Some(("maintenance-task-dism-probe", summary, vec![deciding]))
}

/// MOSETUP_E_COMPAT_SCANONLY: setup's exit code for a compatibility scan that was asked for alone (`setup.exe
/// /Compat ScanOnly`, as management tools run it) and found nothing that blocks the upgrade.
const COMPAT_SCAN_ONLY: u32 = 0xC190_0210;

/// A Windows Setup run that only scanned for compatibility and found no issue: its exit code looks like a
/// failure and means the opposite.
fn compat_scan_only(finding: &Finding, timeline: &Timeline) -> Option<Decided> {
    if finding.code.as_ref().map(|c| c.value) != Some(COMPAT_SCAN_ONLY) {
        return None;
    }
    let deciding = records(finding).find(|e| event(timeline, e).is_some_and(|ev| ev.code == Some(COMPAT_SCAN_ONLY)))?;
    let summary = format!(
        "Not a failure: Windows Setup ran a compatibility scan only and found no compatibility issue ({}); \
         nothing was installed, and the scan is what was asked for (setup.exe /Compat ScanOnly).",
        CodeRef::new(COMPAT_SCAN_ONLY, None).label()
    );
    Some(("compat-scan-only", summary, vec![deciding.clone()]))
}

/// An install that failed with 0x80246013 WU_E_DM_UPDATEREMOVED: Windows Update had already removed the
/// downloaded update (expired, or superseded by a newer one) when the install ran; it is searched for and
/// downloaded again if still needed.
fn download_removed(finding: &Finding, timeline: &Timeline) -> Option<Decided> {
    if finding.code.as_ref().map(|c| c.value) != Some(UPDATE_REMOVED) {
        return None;
    }
    let deciding = records(finding).find(|e| event(timeline, e).is_some_and(|ev| ev.code == Some(UPDATE_REMOVED)))?;
    let summary = format!(
        "Not an update failure: Windows Update had already removed the download of {} (expired or superseded) \
         when it came to install it ({}); nothing was installed or damaged, and Windows Update searches for and \
         downloads it again if it is still needed.",
        subject(finding, timeline),
        CodeRef::new(UPDATE_REMOVED, None).label()
    );
    Some(("update-download-removed", summary, vec![deciding.clone()]))
}

/// An install stopped by a shutdown that a success of the same operation followed within the hour: one install,
/// interrupted and finished. What says it was stopped: the failure's own code (0x8024001E WU_E_SERVICE_STOP,
/// 0x8007045B ERROR_SHUTDOWN_IN_PROGRESS), or the update handler running the app's deployment down just before
/// it failed (`ShutdownDataSourcesAndDeployment: Running down deployment for <update id>`) and the same update's
/// deployment completing after.
fn interrupted_then_installed(finding: &Finding, timeline: &Timeline) -> Option<Decided> {
    let code = finding.code.as_ref()?;
    let what = match event(timeline, &finding.outcome).map(|e| e.action) {
        Some(Action::DownloadFailed) => "download",
        _ => "install",
    };
    let (failed_utc, failed_local) = finding.last_failed_at();
    let after = |utc: Option<CivilTime>, local: Option<CivilTime>| match ((failed_utc, utc), (failed_local, local)) {
        ((Some(a), Some(b)), _) | (_, (Some(a), Some(b))) => {
            Some(b.millis() - a.millis()).filter(|gap| (0..=RESUMED_WITHIN_MS).contains(gap))
        }
        _ => None,
    };
    let later = |gap: i64| {
        if gap < 120_000 {
            format!("{} second(s) later", (gap + 500) / 1000)
        } else {
            format!("{} minute(s) later", (gap + 30_000) / 60_000)
        }
    };
    if SHUTDOWN_CODES.contains(&code.value) {
        let resolution = finding.resolution.as_ref().filter(|_| finding.verdict == Verdict::Resolved)?;
        let gap = after(resolution.utc_time, resolution.local_time)?;
        let deciding = records(finding).find(|e| event(timeline, e).is_some_and(|ev| ev.code == Some(code.value)))?;
        let summary = format!(
            "Not an update failure: the {what} of {} was stopped by a shutdown ({}) and the same operation \
             completed {} ({}).",
            subject(finding, timeline),
            code.label(),
            later(gap),
            resolution.operation
        );
        return Some(("install-interrupted-by-shutdown", summary, vec![deciding.clone(), resolution.by.clone()]));
    }
    let (run_down, id) = run_down_before(finding, timeline)?;
    // The same update's deployment completing (or, for a download, its download) after the failure.
    let (at, success) = timeline.events.iter().enumerate().find(|(_, e)| {
        e.update_id.as_deref() == Some(id.as_str())
            && (e.action == Action::InstallSucceeded
                || (e.action == Action::Note && e.message.contains("deployment completed: Status: Completed"))
                || (what == "download" && e.action == Action::DownloadSucceeded))
            && after(e.utc, e.local).is_some()
    })?;
    let gap = after(success.utc, success.local)?;
    let summary = format!(
        "Not an update failure: Windows Update's handler ran down the deployment of update {id} (its download was \
         suspended or cancelled), the {what} failed with {} right after, and the update's {} completed {}.",
        code.label(),
        if success.action == Action::DownloadSucceeded { "download" } else { "deployment" },
        later(gap)
    );
    let success = Evidence::of(EventId(at), success);
    Some(("install-interrupted-by-shutdown", summary, vec![run_down, success]))
}

/// How long before a failure the handler's running down of the same deployment counts as its cause.
const RUN_DOWN_MS: i64 = 60_000;

/// The update handler's record of running down the deployment of the finding's update, in the minute before the
/// finding's first record, in the same file.
fn run_down_before(finding: &Finding, timeline: &Timeline) -> Option<(Evidence, String)> {
    let failed = event(timeline, &finding.first_cause)?;
    let id = records(finding).filter_map(|e| event(timeline, e)).find_map(|ev| ev.update_id.as_deref())?;
    let failed_at = failed.local?.millis();
    timeline
        .events
        .iter()
        .enumerate()
        .rev()
        .find(|(_, e)| {
            e.file == failed.file
                && e.update_id.as_deref() == Some(id)
                && e.message.contains("ShutdownDataSourcesAndDeployment")
                && e.local.is_some_and(|t| (0..=RUN_DOWN_MS).contains(&(failed_at - t.millis())))
        })
        .map(|(at, e)| (Evidence::of(EventId(at), e), id.to_string()))
}
