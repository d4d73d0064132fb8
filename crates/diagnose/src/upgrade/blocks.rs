//! Compatibility blocks in a setup run: which hard and soft blocks of setup's compatibility results (CompatData,
//! ScanResult, appcompat.xml) belong to a run, how they are named, and the "blocked before it started" finding.

use super::*;

/// Setup's codes for a compatibility block (MOSETUP_E_COMPAT_SYSREQ_BLOCK 0xC1900200 to
/// MOSETUP_E_COMPAT_RECOVERYREQ_CANCEL 0xC190020B): the scan found something that stops the upgrade before it
/// changes anything.
pub(super) fn is_compat_code(code: u32) -> bool {
    (0xC190_0200..=0xC190_020B).contains(&code)
}

/// A setup record that states a compat code as the run's failure.
pub(super) fn is_compat_result(event: &Event) -> bool {
    is_setup(event)
        && matches!(event.action, Action::Rollback | Action::InstallFailed | Action::Error)
        && event.code.is_some_and(is_compat_code)
}

/// A block of setup's compatibility results, by level.
pub(super) fn block_of(event: &Event, level: BlockLevel) -> Option<&CompatBlock> {
    (event.source == Source::SetupCompat).then(|| event.compat_block()).flatten().filter(|b| b.level == level)
}

/// What blocked, as a title names it.
pub(super) fn blocker(block: &CompatBlock) -> String {
    match block.subject {
        CompatSubject::Unnamed => "a compatibility hard block the report does not name".to_string(),
        _ => block.label(),
    }
}

/// Setup's own check that the machine must restart before it upgrades (`CheckRebootRequired: Windows is required
/// to reboot in order to start upgrade. (PendingFileRename=1, RunONce=0)`, in diagwrn.xml or setupact.log): what a
/// hard block is when the compatibility report does not (or, cut short, no longer) name it. Searched among the
/// run's records, or the whole input's for a block no run reports.
pub(super) fn reboot_check(timeline: &Timeline, run: &[usize]) -> Option<usize> {
    let is_check = |i: &usize| {
        let e = &timeline.events[*i];
        is_setup(e) && e.message.starts_with("CheckRebootRequired: Windows is required to reboot")
    };
    match run.is_empty() {
        true => (0..timeline.events.len()).find(is_check),
        false => run.iter().copied().find(is_check),
    }
}

/// `a pending reboot (setup's CheckRebootRequired: PendingFileRename=1, RunONce=0)`.
pub(super) fn reboot_blocker(message: &str) -> String {
    let detail = message.rsplit_once('(').map(|(_, d)| d.trim_end_matches(')').trim()).filter(|d| !d.is_empty());
    match detail {
        Some(detail) => format!("a pending reboot (setup's CheckRebootRequired: {detail})"),
        None => "a pending reboot (setup's CheckRebootRequired)".to_string(),
    }
}

/// `app "A", driver package "B" and 2 more`.
pub(super) fn blockers(blocks: &[&CompatBlock]) -> String {
    let names: Vec<String> = blocks.iter().take(2).map(|b| blocker(b)).collect();
    match blocks.len() {
        0 => String::new(),
        1 | 2 => names.join(" and "),
        n => format!("{} and {} more", names.join(", "), n - 2),
    }
}

pub(super) fn block_item(block: &CompatBlock) -> String {
    let level = match block.level {
        BlockLevel::Hard => "hard block",
        BlockLevel::Soft => "soft block (not a failure: the upgrade can go on)",
    };
    let mut item = format!("{level}: {}", block.label());
    if let Some(inf) = block.inf.as_deref().filter(|_| block.subject != CompatSubject::DriverPackage) {
        item.push_str(&format!(", driver {inf}"));
    }
    if block.subject == CompatSubject::DriverPackage {
        item.push_str(" will not be migrated");
        if block.signed == Some(false) {
            item.push_str(" (its binaries are not signed)");
        }
    }
    if let Some(message) = &block.message {
        item.push_str(&format!(": {}", patchdx_formats::text::clip(message, 200)));
    }
    item
}

/// The compatibility entries of `level` laid within the run's time (a scan runs before setup's result, up to a
/// run's length earlier), in timeline order; entries without a time only when `untimed` (a compat-coded run
/// with no timed report of its own).
pub(super) fn blocks_of_run(timeline: &Timeline, run: &Run, level: BlockLevel, untimed: bool) -> Vec<usize> {
    let times: Vec<i64> = run.events.iter().filter_map(|&i| timeline.events[i].local.map(CivilTime::millis)).collect();
    let (Some(&min), Some(&max)) = (times.iter().min(), times.iter().max()) else { return Vec::new() };
    let of_level = |i: &usize| block_of(&timeline.events[*i], level).is_some();
    let timed: Vec<usize> = (0..timeline.events.len())
        .filter(of_level)
        .filter(|&i| {
            timeline.events[i].local.is_some_and(|t| (min - SAME_RUN_MILLIS..=max + 60_000).contains(&t.millis()))
        })
        .collect();
    if !timed.is_empty() || !untimed {
        return timed;
    }
    (0..timeline.events.len()).filter(of_level).filter(|&i| timeline.events[i].local.is_none()).collect()
}

/// The finding of a setup run a compatibility block stopped: its first cause the first hard block (else the
/// setup record that states the compat code), every block listed.
pub(super) fn blocked_finding(
    timeline: &Timeline,
    facts: &Facts,
    hard: &[usize],
    soft: &[usize],
    code: Option<u32>,
    result: Option<usize>,
    run: &[usize],
) -> Finding {
    let events = &timeline.events;
    let evidence = |i: usize| Evidence::of(EventId(i), &events[i]);
    let subject = match &facts.target {
        Some(build) => format!("Feature update to build {build}"),
        None => "Windows Setup (feature update or upgrade)".to_string(),
    };
    let blocks: Vec<&CompatBlock> = hard.iter().filter_map(|&i| events[i].compat_block()).collect();
    let code_ref = code.map(|c| CodeRef::new(c, None));
    // A block the report does not name is named by setup's own reboot check, when it logged one.
    let unnamed = !blocks.is_empty() && blocks.iter().all(|b| b.subject == CompatSubject::Unnamed);
    let reboot = unnamed.then(|| reboot_check(timeline, run)).flatten();
    let by = match reboot {
        Some(i) => reboot_blocker(&events[i].message),
        None => blockers(&blocks),
    };
    let title = match (blocks.is_empty(), &code_ref) {
        (false, Some(c)) => format!("{subject} blocked before it started by {by} ({})", c.label()),
        (false, None) => format!("{subject} blocked before it started by {by}"),
        (true, Some(c)) => format!("{subject} blocked before it started with {}", c.label()),
        (true, None) => format!("{subject} blocked before it started"),
    };
    let mut items = Vec::new();
    if let Some(source) = &facts.source {
        items.push(format!("upgrading from build {source}"));
    }
    if let Some(by) = &facts.started_by {
        items.push(format!("started by {by}"));
    }
    items.extend(hard.iter().chain(soft).filter_map(|&i| events[i].compat_block()).map(block_item));
    if let Some(i) = reboot {
        let e = &events[i];
        items.push(format!(
            "setup's own check names the hard block: {} ({}:{})",
            e.message,
            e.file,
            e.line.unwrap_or_default()
        ));
    }
    if blocks.is_empty() {
        items.push(
            "no compatibility report of the input names the block: collect C:\\$WINDOWS.~BT\\Sources\\Panther\\CompatData_*.xml"
                .to_string(),
        );
    }
    // Every hard block is in the file(s) read before the run; `result` or the first hard block is a record.
    let first_cause = hard.first().copied().or(result).unwrap_or_default();
    let outcome = result.unwrap_or_else(|| hard.last().copied().unwrap_or(first_cause));
    let cascade: Vec<Evidence> = hard
        .iter()
        .copied()
        .skip(1)
        .chain(run.iter().copied().filter(|&i| events[i].setup_fact().is_some()))
        .chain(reboot)
        .filter(|&i| i != outcome)
        .map(evidence)
        .collect();
    let (confidence, reason) = match (blocks.is_empty(), code.is_some()) {
        (false, true) => (Confidence::High, "setup's compat code and its compatibility report's hard block agree"),
        (false, false) if reboot.is_some() => {
            (Confidence::High, "the compatibility report's hard block, which setup's own reboot check names")
        }
        (false, false) => (Confidence::High, "Windows Setup's compatibility report names a hard block"),
        (true, _) => (Confidence::Medium, "setup's compat code; no compatibility report in the input names the block"),
    };
    let event = &events[outcome];
    Finding {
        client: facts.started_by.clone(),
        code: code_ref,
        cascade,
        items,
        local_time: event.local,
        utc_time: event.utc,
        ..Finding::new(Verdict::Failed, title, evidence(first_cause), evidence(outcome), confidence, reason.to_string())
    }
}
