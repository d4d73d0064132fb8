//! Class: Windows Update scans that failed (ReportingEvents 148 AGENT_DETECTION_FAILED, WindowsUpdate.log's
//! `END … Finding updates` with its exit code, WindowsUpdateClient events 16/25) are reported, not dropped: a
//! finding when no scan succeeded after them, one observation per code when later scans did.

use crate::common::reporting::analyze_reporting;
use crate::common::*;
use patchdx_diagnose::{Analysis, Verdict};

/// A scan record as the Windows 10/11 agent writes it (the Software Synchronization operation, the service id
/// in the update column), from the dcheva ReportingEvents fixture.
fn scan(time: &str, failed_with: Option<&str>) -> String {
    let (event, code, result, text) = match failed_with {
        Some(code) => (
            "148 [AGENT_DETECTION_FAILED]",
            code.to_string(),
            "Failure",
            format!("Windows Update Client failed to detect with error 0x{}.", code.to_ascii_lowercase()),
        ),
        None => (
            "147 [AGENT_DETECTION_FINISHED]",
            "0".to_string(),
            "Success",
            "Windows Update Client successfully detected 5 updates.".to_string(),
        ),
    };
    format!(
        "{{8D539F0F-CF6A-48D6-9B93-52C5091CA8CB}}\t{time}:293+0300\t1\t{event}\t101\t{{8B24B027-1DEE-BABB-9A95-3517DFB9C552}}\t0\t{code}\t<<PROCESS>>: DllHost.exe\t{result}\tSoftware Synchronization\t{text}\tEQ1V5zCYN0mcj3eA.1.1.0.3.0\r\n"
    )
}

fn scan_findings(analysis: &Analysis) -> Vec<&patchdx_diagnose::Finding> {
    analysis.findings.iter().filter(|f| f.phase.as_deref() == Some("scan")).collect()
}

#[test]
fn scans_still_failing_are_one_finding_per_code_with_the_number_of_scans() {
    let analysis = analyze_reporting(&[
        scan("2023-07-05 02:12:21", None),
        scan("2023-07-05 04:12:21", Some("80072EE2")),
        scan("2023-07-05 06:12:21", Some("80072EE2")),
        scan("2023-07-05 08:12:21", Some("80072EE2")),
    ]);
    let scans = scan_findings(&analysis);
    assert_eq!(scans.len(), 1);
    let f = scans[0];
    assert_eq!(f.verdict, Verdict::Failed);
    assert_eq!(f.code.as_ref().map(|c| c.value), Some(0x8007_2EE2));
    assert_eq!(
        f.title,
        "Windows Update scan failed with 0x80072EE2 WININET_E_TIMEOUT (3 scans, 2023-07-05 04:12:21.293 → 2023-07-05 08:12:21.293)"
    );
    assert_eq!((f.first_cause.line, f.outcome.line, f.cascade.len()), (2, 4, 2));
    assert_eq!(f.utc_time.map(|t| t.to_string()).as_deref(), Some("2023-07-05 05:12:21.293"));
    assert!(f.diagnosis.iter().any(|d| d.rule == "wu-timeout-0x80072ee2"), "{:?}", f.diagnosis);
    assert!(analysis.observations.iter().all(|o| o.kind != "scan-recovered"));
    assert_eq!(analysis.verdict.exit_code, 1);
}

#[test]
fn scans_that_a_later_scan_outlived_are_an_observation_not_a_failure() {
    let analysis = analyze_reporting(&[
        scan("2023-06-28 04:15:45", Some("80240438")),
        scan("2023-06-28 04:44:23", None),
        scan("2023-06-29 04:15:45", Some("80240438")),
        scan("2023-06-29 04:16:45", Some("80240438")),
        scan("2023-06-29 09:00:00", None),
    ]);
    assert!(scan_findings(&analysis).is_empty());
    let recovered: Vec<_> = analysis.observations.iter().filter(|o| o.kind == "scan-recovered").collect();
    assert_eq!(recovered.len(), 1);
    assert_eq!(
        recovered[0].summary,
        "Windows Update's scan for updates failed with 0x80240438 WU_E_PT_ENDPOINT_UNREACHABLE (2 scans, \
         2023-06-28 04:15:45.293 → 2023-06-29 04:16:45.293); each time a later scan succeeded (last at \
         2023-06-29 09:00:00.293), so the agent recovered by itself."
    );
    let lines: Vec<u64> = recovered[0].evidence.iter().map(|e| e.line).collect();
    assert_eq!(lines, [1, 4, 5]);
    assert_eq!(analysis.verdict.exit_code, 0);
}

/// The dcheva snapshots of one machine: the 07-06 one ends in 19 failed scans with 0x80072EE2 (07-05
/// 02:12 → 10:17 local, lines 1689-1707) and no success after them; the 07-11 one shows a scan succeeding on
/// 07-07, so the same failures are an observation there.
#[test]
fn dcheva_scans_fail_at_the_first_snapshot_and_recover_by_the_second() {
    let Some(earlier) = fixture("reporting/dcheva_ReportingEvents_2023-07-06.log") else { return };
    let Some(later) = fixture("reporting/dcheva_ReportingEvents_2023-07-11.log") else { return };
    let analysis = analyze(&earlier);
    let scans = scan_findings(&analysis);
    assert_eq!(scans.len(), 1);
    let f = scans[0];
    assert_eq!(f.code.as_ref().map(|c| c.value), Some(0x8007_2EE2));
    assert!(f.title.contains("(19 scans, 2023-07-05 02:12:21.242 → 2023-07-05 10:17:44.621)"), "{}", f.title);
    assert_eq!((f.first_cause.line, f.outcome.line), (1689, 1707));

    let analysis = analyze(&later);
    assert!(scan_findings(&analysis).is_empty());
    let timeout = analysis
        .observations
        .iter()
        .find(|o| o.kind == "scan-recovered" && o.summary.contains("0x80072EE2"))
        .expect("the recovered timeouts");
    assert!(timeout.summary.contains("(19 scans, 2023-07-05 02:12:21.242 → 2023-07-05 10:17:44.621)"));
    assert!(timeout.summary.contains("a later scan succeeded (at 2023-07-07 16:42:14.100)"), "{}", timeout.summary);
}

/// rsasbeih: hundreds of failed scans over six weeks (WSUS timeouts 0x80072EE2, 0x80248014, 0x80244010,
/// 0x8024800A, 0x8024000B), each run ended by a later successful scan: five observations, no scan finding.
#[test]
fn rsasbeih_scan_failures_all_recovered() {
    let Some(path) = fixture("wulog/rsasbeih_win7-sp1-wsus_WindowsUpdate-0x80242016-postreboot-KB4462923.log") else {
        return;
    };
    let analysis = analyze(&path);
    assert!(scan_findings(&analysis).is_empty());
    let recovered: Vec<&str> = analysis
        .observations
        .iter()
        .filter(|o| o.kind == "scan-recovered")
        .map(|o| o.summary.split(" (").next().unwrap_or_default())
        .collect();
    assert_eq!(
        recovered,
        [
            "Windows Update's scan for updates failed with 0x80072EE2 WININET_E_TIMEOUT",
            "Windows Update's scan for updates failed with 0x80248014 WU_E_DS_UNKNOWNSERVICE",
            "Windows Update's scan for updates failed with 0x8024000B WU_E_CALL_CANCELLED",
            "Windows Update's scan for updates failed with 0x80244010 WU_E_PT_EXCEEDED_MAX_SERVER_TRIPS",
            "Windows Update's scan for updates failed with 0x8024800A WU_E_DS_UNKNOWNHANDLER",
        ]
    );
}
