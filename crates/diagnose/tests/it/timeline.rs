//! The example bundle of case CAS-07293 on one timeline: every file's UTC offset is the one it states or, when
//! it states none, the one its events shared with the files that state theirs give; events are in UTC order.

use crate::common;
use common::*;
use patchdx_formats::event::{Action, Confidence, Source};

#[test]
fn case_bundle_timeline_is_in_utc_order_with_each_files_offset() {
    let bundle =
        patchdx_formats::registry::open(&repo().join("examples/cas-07293"), &Default::default()).expect("open");
    let timeline = patchdx_diagnose::timeline_of(&bundle).0;
    let offsets: Vec<(String, Source, Option<i64>, Confidence)> = timeline
        .files
        .iter()
        .map(|f| (f.path.clone(), f.source, f.offset.offset_seconds, f.offset.confidence))
        .collect();
    let eight = Some(8 * 3600);
    let expected = vec![
        (
            "Windows/Logs/CBS/CbsPersist_20221011010000.cab!/CbsPersist_20221011010000.log",
            Source::Cbs,
            eight,
            Confidence::High,
        ),
        ("Windows/Logs/CBS/CbsPersist_20221012031005.log", Source::Cbs, eight, Confidence::High),
        ("Windows/Logs/CBS/CBS.log", Source::Cbs, eight, Confidence::High),
        ("Windows/Logs/WindowsUpdate/WindowsUpdate.log", Source::WindowsUpdateLog, eight, Confidence::High),
        ("Windows/SoftwareDistribution/ReportingEvents.log", Source::ReportingEvents, eight, Confidence::High),
        ("Windows/servicing/Sessions/Sessions.xml", Source::SessionsXml, eight, Confidence::High),
    ];
    let expected: Vec<(String, Source, Option<i64>, Confidence)> =
        expected.into_iter().map(|(p, s, o, c)| (p.to_string(), s, o, c)).collect();
    assert_eq!(offsets, expected);
    // WindowsUpdate.log states no zone: its two KB5014805 failures are ReportingEvents' (which carries +0800),
    // 15:58:23.092 local against 07:58:23.417 UTC and 16:38:25.402 against 08:38:25.731.
    let method = |source: Source| {
        timeline.files.iter().find(|f| f.source == source).map(|f| f.offset.method.clone()).unwrap_or_default()
    };
    assert_eq!(
        method(Source::WindowsUpdateLog),
        "matched 2 events with ReportingEvents.log (KB5014805 install failed 0x80073712 at 2022-09-09 15:58:23, \
         2022-10-10 16:38:25 local)"
    );
    // Sessions.xml neither: the same two failures, and two installs CBS (CSI stamps) and ReportingEvents hold.
    assert_eq!(
        method(Source::SessionsXml),
        "matched 4 events with CbsPersist_20221011010000.log, CbsPersist_20221012031005.log, ReportingEvents.log \
         (KB5014805 install failed 0x80073712 at 2022-09-09 15:58:23, 2022-10-10 16:38:25 local; KB5017400 install \
         succeeded at 2022-09-27 03:06:11 local; KB4052623 install succeeded at 2022-10-11 14:22:22 local)"
    );
    // The files that state their zone agree with every match: no note about a disagreement.
    assert!(timeline.files.iter().all(|f| !f.note.as_deref().unwrap_or("").contains("cross-source")));

    // Ordered by UTC.
    let instants: Vec<_> = timeline.events.iter().filter_map(|e| e.instant()).collect();
    assert!(instants.windows(2).all(|w| w[0] <= w[1]), "timeline is not in UTC order");
    assert_eq!(instants.len(), timeline.events.len(), "every event of this bundle has a time");

    // Both failures of KB5014805, in UTC, from the three durable sources.
    let failures: Vec<(String, Source)> = timeline
        .events
        .iter()
        .filter(|e| e.action == Action::InstallFailed && e.kb.as_deref() == Some("KB5014805"))
        .map(|e| (local(e.utc), e.source))
        .collect();
    assert_eq!(
        failures,
        vec![
            ("2022-09-09 07:58:23".to_string(), Source::SessionsXml),
            ("2022-09-09 07:58:23.092".to_string(), Source::WindowsUpdateLog),
            ("2022-09-09 07:58:23.417".to_string(), Source::ReportingEvents),
            ("2022-10-10 08:38:25".to_string(), Source::SessionsXml),
            ("2022-10-10 08:38:25.402".to_string(), Source::WindowsUpdateLog),
            ("2022-10-10 08:38:25.731".to_string(), Source::ReportingEvents),
        ]
    );
}

/// Each install attempt of KB5014805 is reconstructed from the three durable sources, with its outcome.
#[test]
fn case_bundle_attempts_of_kb5014805() {
    let bundle =
        patchdx_formats::registry::open(&repo().join("examples/cas-07293"), &Default::default()).expect("open");
    let analysis = patchdx_diagnose::analyze(&bundle, Default::default()).analysis;
    let attempts: Vec<_> = analysis.attempts.iter().filter(|a| a.kb == "KB5014805").collect();
    assert_eq!(attempts.len(), 2);
    for (attempt, start, end) in [
        (attempts[0], "2022-09-09 15:57:39.866", "2022-09-09 15:58:23.417"),
        (attempts[1], "2022-10-10 16:37:44.175", "2022-10-10 16:38:25.731"),
    ] {
        assert_eq!(attempt.outcome, patchdx_diagnose::attempts::Outcome::Failed);
        assert_eq!(attempt.code.as_ref().map(|c| c.hex.as_str()), Some("0x80073712"));
        assert_eq!((local(attempt.start_local), local(attempt.end_local)), (start.to_string(), end.to_string()));
        assert_eq!(attempt.sources, vec!["ReportingEvents", "Sessions.xml", "WindowsUpdate.log"]);
        assert_eq!(attempt.phases, vec!["install", "staging"]);
    }
    let succeeded: Vec<&str> = analysis
        .attempts
        .iter()
        .filter(|a| a.outcome == patchdx_diagnose::attempts::Outcome::Succeeded)
        .map(|a| a.kb.as_str())
        .collect();
    assert_eq!(succeeded, vec!["KB4052623", "KB5016568", "KB5017400", "KB5018506"]);
}
