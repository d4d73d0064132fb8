//! Class: the same update failing the same way again is one failure tried N times, not N findings — and only
//! when nothing made it good in between, and only when the attempts really are the same operation. Guards a
//! Store app retried eight times being read as eight problems, and two different updates (or two machines'
//! updates) that happen to fail with the same code being folded into one.

use crate::common::reporting::*;
use crate::common::*;
use patchdx_diagnose::Verdict;

const KB5011493: &str = "2022-03 Cumulative Update for Windows 11 for x64-based Systems (KB5011493)";
const KB5011493_ID: &str = "5B8E3C1A-4F1E-4A57-9D0E-2C4A7F9B6E21";
const DEFENDER: &str = "Security Intelligence Update for Microsoft Defender Antivirus - KB2267602 (Version 1.361.1.0)";
const DEFENDER_ID: &str = "0E0F3D48-9F0B-4A1F-8C0B-3E3B4F6A7D21";

#[test]
fn three_failures_of_one_update_with_one_code_are_one_finding_with_two_repeats() {
    let analysis = analyze_reporting(&[
        install_failed(KB5011493_ID, "2022-03-15 09:21:31", "80073712", KB5011493),
        install_failed(KB5011493_ID, "2022-03-16 03:02:10", "80073712", KB5011493),
        install_failed(KB5011493_ID, "2022-03-17 03:01:55", "80073712", KB5011493),
    ]);
    assert_eq!(analysis.findings.len(), 1, "{:#?}", analysis.findings);
    let f = &analysis.findings[0];
    assert_eq!(f.verdict, Verdict::Failed);
    assert_eq!(f.attempts(), 3);
    assert_eq!(f.outcome.line, 1, "the finding is the first attempt");
    assert_eq!(f.repeats.iter().map(|r| r.outcome.line).collect::<Vec<_>>(), vec![2, 3]);
    assert_eq!(local(f.repeats[1].local_time), "2022-03-17 03:01:55.417");
    assert_eq!(local(f.repeats[1].utc_time), "2022-03-16 19:01:55.417", "+0800 on every record");
    assert!(f.title.ends_with("(3 attempts, 2022-03-15 09:21:31.417 → 2022-03-17 03:01:55.417)"), "{}", f.title);
    assert_eq!((analysis.verdict.failures, analysis.verdict.exit_code), (1, 1));
}

#[test]
fn a_success_after_the_last_attempt_resolves_the_whole_run_of_attempts() {
    let analysis = analyze_reporting(&[
        install_failed(KB5011493_ID, "2022-03-15 09:21:31", "80073712", KB5011493),
        install_failed(KB5011493_ID, "2022-03-16 03:02:10", "80073712", KB5011493),
        install_succeeded(KB5011493_ID, "2022-03-18 10:00:00", KB5011493),
    ]);
    assert_eq!(analysis.findings.len(), 1);
    let f = &analysis.findings[0];
    assert_eq!((f.verdict, f.attempts()), (Verdict::Resolved, 2));
    assert_eq!(f.resolution.as_ref().map(|r| r.by.line), Some(3));
    assert_eq!(analysis.verdict.exit_code, 0);
}

#[test]
fn a_failure_after_a_success_is_a_new_episode_not_a_repeat() {
    let analysis = analyze_reporting(&[
        install_failed(KB5011493_ID, "2022-03-15 09:21:31", "80073712", KB5011493),
        install_succeeded(KB5011493_ID, "2022-03-16 10:00:00", KB5011493),
        install_failed(KB5011493_ID, "2022-03-20 03:02:10", "80073712", KB5011493),
    ]);
    let verdicts: Vec<(Verdict, usize, u64)> =
        analysis.findings.iter().map(|f| (f.verdict, f.attempts(), f.outcome.line)).collect();
    assert_eq!(verdicts, vec![(Verdict::Resolved, 1, 1), (Verdict::Failed, 1, 3)]);
    assert_eq!(analysis.verdict.exit_code, 1);
}

#[test]
fn another_update_or_another_code_is_never_a_repeat() {
    let analysis = analyze_reporting(&[
        install_failed(KB5011493_ID, "2022-03-15 09:21:31", "80073712", KB5011493),
        install_failed(DEFENDER_ID, "2022-03-15 09:25:00", "80073712", DEFENDER),
        install_failed(KB5011493_ID, "2022-03-16 03:02:10", "800F0922", KB5011493),
    ]);
    let seen: Vec<(Option<&str>, &str, usize)> = analysis
        .findings
        .iter()
        .map(|f| (f.kb.as_deref(), f.code.as_ref().map_or("", |c| c.hex.as_str()), f.attempts()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (Some("KB5011493"), "0x80073712", 1),
            (Some("KB2267602"), "0x80073712", 1),
            (Some("KB5011493"), "0x800F0922", 1)
        ]
    );
}

/// The fixture's reading: the Store retries Your Phone (9NMPJ99VJBWV) eight times between 2022-03-01 and
/// 2022-03-15, each ending in WindowsUpdateClient event 20 with 0x80073D02 (the app was in use).
#[test]
fn your_phone_retried_eight_times_is_one_finding() {
    let Some(dir) = fixture("evtx") else { return };
    let analysis = analyze(&dir);
    let phone: Vec<_> =
        analysis.findings.iter().filter(|f| f.title.starts_with("9NMPJ99VJBWV-Microsoft.YourPhone")).collect();
    assert_eq!(phone.len(), 1, "{:#?}", phone.iter().map(|f| &f.title).collect::<Vec<_>>());
    assert_eq!(phone[0].attempts(), 8);
    assert_eq!(phone[0].code.as_ref().map(|c| c.hex.as_str()), Some("0x80073D02"));
    assert_eq!(local(phone[0].utc_time).get(..10), Some("2022-03-01"), "event logs keep UTC");
    assert_eq!(local(phone[0].last_failed_at().0).get(..10), Some("2022-03-15"));
}
