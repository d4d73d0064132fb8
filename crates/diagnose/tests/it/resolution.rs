//! Class: a later success of the same operation resolves an earlier failure — and a success older than the
//! failure resolves nothing. Guards the case of a failure a later install fixed being reported as current.

use crate::common::reporting::*;
use crate::common::*;
use patchdx_diagnose::Verdict;

const TITLE: &str = "2022-03 Cumulative Update for Windows 11 for x64-based Systems (KB5011493)";

fn failure(time: &str) -> String {
    install_failed(UPDATE_ID, time, "80246007", TITLE)
}

fn success(time: &str) -> String {
    install_succeeded(UPDATE_ID, time, TITLE)
}

#[test]
fn a_later_success_of_the_same_update_resolves_the_failure_and_the_exit_code_says_so() {
    let analysis = analyze_reporting(&[failure("2022-03-15 09:21:31"), success("2022-03-17 09:24:26")]);
    assert_eq!(analysis.findings.len(), 1);
    let f = &analysis.findings[0];
    assert_eq!(f.verdict, Verdict::Resolved);
    let r = f.resolution.as_ref().expect("resolved");
    assert_eq!(local(r.local_time), "2022-03-17 09:24:26.417");
    assert_eq!(r.operation, "KB5011493");
    assert_eq!(r.by.line, 2);
    assert_eq!((analysis.verdict.failures, analysis.verdict.resolved, analysis.verdict.exit_code), (0, 1, 0));
    assert!(
        analysis.verdict.summary.starts_with("No unresolved failure: 1 failed operation(s)"),
        "{}",
        analysis.verdict.summary
    );
}

#[test]
fn a_success_older_than_the_failure_resolves_nothing() {
    let analysis = analyze_reporting(&[success("2022-03-10 09:24:26"), failure("2022-03-15 09:21:31")]);
    let f = &analysis.findings[0];
    assert_eq!(f.verdict, Verdict::Failed);
    assert!(f.resolution.is_none());
    assert_eq!((analysis.verdict.failures, analysis.verdict.resolved, analysis.verdict.exit_code), (1, 0, 1));
}

/// The fixture's reading: WindowsUpdateClient event 20 for KB5011493 (0x80246007) on 2022-03-15, event 19
/// "Installation Successful" for it on 2022-03-17 (record 5715).
#[test]
fn wu_event_20_then_19_for_kb5011493_is_resolved_by_record_5715() {
    let Some(path) = fixture("evtx/shang159_win11-22000-zhCN_System-WU20-0x80246007-then-19.evtx") else { return };
    let analysis = analyze(&path);
    let f = analysis.findings.iter().find(|f| f.kb.as_deref() == Some("KB5011493")).expect("the KB5011493 failure");
    assert_eq!(f.code.as_ref().map(|c| c.value), Some(0x8024_6007));
    assert_eq!(f.verdict, Verdict::Resolved);
    let r = f.resolution.as_ref().expect("resolved");
    assert_eq!(r.utc_time.map(|t| t.to_string()).as_deref(), Some("2022-03-17 01:24:26.330"));
    assert_eq!(r.by.record, Some(5715));
    assert_eq!(r.operation, "KB5011493");
}

/// A Windows 7 agent's record: the event number alone (no `[NAME]`), 12 columns, as the rsasbeih
/// WindowsUpdate.log copies them after `REPORT EVENT:`.
fn legacy(time: &str, number: &str, code: &str, result: &str, text: &str) -> String {
    format!(
        "{{E0EE8EBF-DC06-4E25-B1E7-5363A2FEEC21}}\t{time}:718+0200\t1\t{number}\t101\t{{{UPDATE_ID}}}\t200\t{code}\tAutomaticUpdates\t{result}\tContent Install\t{text}\r\n"
    )
}

const ROLLUP: &str = "2018-10 Security Monthly Quality Rollup for Windows 7 for x64-based Systems (KB4462923)";

/// Class: legacy ReportingEvents records name their event by number only. 195 (AU_SCHEDULED_INSTALL_FAILED)
/// is the failure and a later 190 (AU_SCHEDULED_INSTALL_SUCCESS) resolves it; 191 (installed, restart
/// required) and 194 (restart required) are not yet a success.
#[test]
fn legacy_numbered_records_195_then_190_resolve_and_191_does_not() {
    let failure = legacy(
        "2018-11-08 03:01:57",
        "195",
        "80242016",
        "Failure",
        &format!(
            "Installation Failure: Windows failed to install the following update with error 0x80242016: {ROLLUP}."
        ),
    );
    let pending = legacy(
        "2018-11-09 03:05:00",
        "191",
        "0",
        "Success",
        &format!("Installation successful and restart required for the following update: {ROLLUP}"),
    );
    let restart = legacy(
        "2018-11-09 03:05:01",
        "194",
        "0",
        "Success",
        "Restart Required: To complete the installation of the following updates, the computer will be restarted within 5 minutes.",
    );
    let success = legacy(
        "2018-11-12 08:42:17",
        "190",
        "0",
        "Success",
        &format!("Installation Successful: Windows successfully installed the following update: {ROLLUP}"),
    );

    let analysis = analyze_reporting(&[failure.clone(), pending.clone(), restart.clone()]);
    assert_eq!(analysis.findings.len(), 1);
    let f = &analysis.findings[0];
    assert_eq!((f.kb.as_deref(), f.code.as_ref().map(|c| c.value)), (Some("KB4462923"), Some(0x8024_2016)));
    assert_eq!(f.verdict, Verdict::Failed, "a pending restart is not a success");
    assert_eq!(analysis.verdict.exit_code, 1);

    let analysis = analyze_reporting(&[failure, pending, restart, success]);
    assert_eq!(analysis.findings.len(), 1);
    let f = &analysis.findings[0];
    assert_eq!(f.verdict, Verdict::Resolved);
    let r = f.resolution.as_ref().expect("resolved");
    assert_eq!(r.utc_time.map(|t| t.to_string()).as_deref(), Some("2018-11-12 06:42:17.718"));
    assert_eq!((r.operation.as_str(), r.by.line), ("KB4462923", 4));
    assert_eq!((analysis.verdict.failures, analysis.verdict.resolved, analysis.verdict.exit_code), (0, 1, 0));
}

/// The rsasbeih fixture's reading: KB4462923 (`Package_for_RollupFix…7601.24263.1.4`) reports 0x80242016
/// after the restart (line 17870) because the newer rollup KB4462927 (`…7601.24264.1.4`), pended in the same
/// restart, was committed (line 17871): superseded, so resolved; the four 0x80242006 download failures of
/// 2018-11-06 downloaded the next day. Nothing is left failing.
#[test]
fn rsasbeih_post_reboot_failure_is_superseded_by_the_newer_rollup_of_the_same_restart() {
    let Some(path) = fixture("wulog/rsasbeih_win7-sp1-wsus_WindowsUpdate-0x80242016-postreboot-KB4462923.log") else {
        return;
    };
    let analysis = analyze(&path);
    let f = analysis
        .findings
        .iter()
        .find(|f| f.code.as_ref().map(|c| c.value) == Some(0x8024_2016))
        .expect("the post-reboot failure");
    assert_eq!(f.kb.as_deref(), Some("KB4462923"));
    assert_eq!((f.first_cause.line, f.outcome.line), (17870, 17921));
    assert_eq!(f.verdict, Verdict::Resolved);
    let r = f.resolution.as_ref().expect("superseded");
    assert_eq!(r.operation, "superseded by Package_for_RollupFix~31bf3856ad364e35~amd64~~7601.24264.1.4 (KB4462927)");
    assert_eq!(r.by.line, 17871);
    assert_eq!(r.utc_time.map(|t| t.to_string()).as_deref(), Some("2018-11-12 06:42:17.314"));
    // The finding's two clocks name one instant: the agent's record time, in its own zone.
    assert_eq!(local(f.local_time), "2018-11-12 08:42:17.718");
    assert_eq!(f.utc_time.map(|t| t.to_string()).as_deref(), Some("2018-11-12 06:42:17.718"));
    let downloads: Vec<_> =
        analysis.findings.iter().filter(|f| f.code.as_ref().map(|c| c.value) == Some(0x8024_2006)).collect();
    assert_eq!(downloads.len(), 4);
    assert!(downloads.iter().all(|f| f.verdict == Verdict::Resolved));
    assert_eq!((analysis.verdict.failures, analysis.verdict.resolved, analysis.verdict.exit_code), (0, 5, 0));
}
