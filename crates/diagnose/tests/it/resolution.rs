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
