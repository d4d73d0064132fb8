//! Cross-source matching as a way to find the UTC offset of a file that states none: the sample bundle where it
//! beats the machine vote, and small files built here for what must not match (another code, 7 s off a quarter
//! hour, a repeat that could pair with the wrong occurrence), disagreeing matches, and a file whose own stated
//! offset matching contradicts.

use crate::common;
use common::*;
use patchdx_diagnose::timeline::{self, Timeline, TimelineFile};
use patchdx_formats::CivilTime;
use patchdx_formats::event::{Action, Confidence, Event, Level, OffsetInference, Source, SourceFile};

const RE_PATH: &str = "Windows/SoftwareDistribution/ReportingEvents.log";
const WU_PATH: &str = "Windows/Logs/WindowsUpdate/WindowsUpdate.log";
const EIGHT: i64 = 8 * 3600;

/// `2022-09-09 15:58:23.417` (milliseconds optional).
fn at(text: &str) -> CivilTime {
    let base = CivilTime::parse_dashed(text.as_bytes()).expect("time");
    let millis: i64 = text.get(20..).map_or(0, |m| m.parse().expect("millis"));
    CivilTime::from_millis(base.millis() + millis)
}

fn result(source: Source, path: &str, local: &str, kb: &str, action: Action, code: Option<u32>) -> Event {
    let mut event = Event::new(source, path, action, Level::Info, format!("{kb} {action:?}"));
    event.local = Some(at(local));
    event.kb = Some(kb.to_string());
    event.code = code;
    event
}

/// ReportingEvents.log at +08:00 (as its `+0800` lines state) holding `events` (kb, local time, action, code).
fn reporting(events: &[(&str, &str, Action, Option<u32>)]) -> SourceFile {
    let mut file = SourceFile::new(RE_PATH, Source::ReportingEvents);
    file.offset = OffsetInference::known(EIGHT, "±HHMM on every line", Confidence::High);
    for &(kb, local, action, code) in events {
        file.events.push(result(Source::ReportingEvents, RE_PATH, local, kb, action, code));
    }
    file
}

/// A WindowsUpdate.log that states no zone, holding `events`.
fn wulog(events: &[(&str, &str, Action, Option<u32>)]) -> SourceFile {
    let mut file = SourceFile::new(WU_PATH, Source::WindowsUpdateLog);
    for &(kb, local, action, code) in events {
        file.events.push(result(Source::WindowsUpdateLog, WU_PATH, local, kb, action, code));
    }
    file
}

fn wu_file(timeline: &Timeline) -> &TimelineFile {
    timeline.files.iter().find(|f| f.path == WU_PATH).expect("WindowsUpdate.log on the timeline")
}

fn offset_of(timeline: &Timeline) -> (Option<i64>, String, Confidence) {
    let file = wu_file(timeline);
    (file.offset.offset_seconds, file.offset.method.clone(), file.offset.confidence)
}

/// What WindowsUpdate.log gets when nothing matched: the machine's offset, seen in ReportingEvents.log.
fn vote() -> (Option<i64>, String, Confidence) {
    (
        Some(EIGHT),
        format!("no zone in this file; assumed the machine's offset +08:00 seen in {RE_PATH}"),
        Confidence::Medium,
    )
}

const STORE: Option<u32> = Some(0x8007_3712);
const FAILED: Action = Action::InstallFailed;

#[test]
fn sample_bundle_matching_beats_the_machine_vote() {
    let bundle = patchdx_formats::registry::open(&sample("timeline/ist-0530-zone-changed"), &Default::default())
        .expect("sample opens");
    let timeline = patchdx_diagnose::timeline_of(&bundle).0;
    let files: Vec<(&str, Option<i64>, &str, Confidence)> = timeline
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.offset.offset_seconds, f.offset.method.as_str(), f.offset.confidence))
        .collect();
    let vote = "no zone in this file; assumed the machine's offset +00:00 seen in \
                Windows/Logs/CBS/CbsPersist_20220610093000.log, Windows/Logs/CBS/CbsPersist_20220624101500.log";
    assert_eq!(
        files,
        vec![
            (
                "Windows/Logs/CBS/CbsPersist_20220610093000.log",
                Some(0),
                "Universal Time line (2 samples)",
                Confidence::High
            ),
            (
                "Windows/Logs/CBS/CbsPersist_20220624101500.log",
                Some(0),
                "Universal Time line (2 samples)",
                Confidence::High
            ),
            // Nothing in DISM.log to match: it gets the vote (+00:00, which the June CBS pieces carry).
            ("Windows/Logs/DISM/dism.log", Some(0), vote, Confidence::Medium),
            // Its two KB5017315 failures are ReportingEvents' (+0530), 0.31 s earlier: +05:30, not the vote.
            (
                WU_PATH,
                Some(5 * 3600 + 1800),
                "matched 2 events with ReportingEvents.log (KB5017315 install failed 0x800F0922 at \
                 2022-09-14 10:42:07, 2022-09-15 11:03:51 local)",
                Confidence::High
            ),
            (RE_PATH, Some(5 * 3600 + 1800), "±HHMM on every line", Confidence::High),
        ]
    );
    // The failures now sit on the timeline a third of a second before ReportingEvents' records of them.
    let failures: Vec<(String, Source)> = timeline
        .events
        .iter()
        .filter(|e| e.action == FAILED && e.kb.as_deref() == Some("KB5017315"))
        .map(|e| (local(e.utc), e.source))
        .collect();
    assert_eq!(
        failures,
        vec![
            ("2022-09-14 05:12:07.345".to_string(), Source::WindowsUpdateLog),
            ("2022-09-14 05:12:07.655".to_string(), Source::ReportingEvents),
            ("2022-09-15 05:33:51.170".to_string(), Source::WindowsUpdateLog),
            ("2022-09-15 05:33:51.480".to_string(), Source::ReportingEvents),
        ]
    );
}

#[test]
fn same_kb_matches_only_with_the_same_code() {
    let known = || reporting(&[("KB5014805", "2022-09-09 15:58:23.417", FAILED, STORE)]);
    // Another code: not the same event, so WindowsUpdate.log falls back to the vote.
    let other_code = wulog(&[("KB5014805", "2022-09-09 15:58:23.092", FAILED, Some(0x800F_0922))]);
    assert_eq!(offset_of(&timeline::build(vec![known(), other_code])), vote());
    // Another result kind (a download failing with the same code) is not the same event either.
    let other_kind = wulog(&[("KB5014805", "2022-09-09 15:58:23.092", Action::DownloadFailed, STORE)]);
    assert_eq!(offset_of(&timeline::build(vec![known(), other_kind])), vote());
    // Another KB neither.
    let other_kb = wulog(&[("KB5017315", "2022-09-09 15:58:23.092", FAILED, STORE)]);
    assert_eq!(offset_of(&timeline::build(vec![known(), other_kb])), vote());
    // The same code, or no code on one side: one match, medium confidence.
    let matched = |code| {
        (
            Some(EIGHT),
            format!(
                "matched 1 event with ReportingEvents.log (KB5014805 install failed{code} at 2022-09-09 15:58:23 local)"
            ),
            Confidence::Medium,
        )
    };
    let same = wulog(&[("KB5014805", "2022-09-09 15:58:23.092", FAILED, STORE)]);
    assert_eq!(offset_of(&timeline::build(vec![known(), same])), matched(" 0x80073712"));
    let no_code = wulog(&[("KB5014805", "2022-09-09 15:58:23.092", FAILED, None)]);
    assert_eq!(offset_of(&timeline::build(vec![known(), no_code])), matched(""));
}

#[test]
fn a_match_7_s_off_a_quarter_hour_is_rejected_5_s_is_accepted() {
    // ReportingEvents: 15:58:23.000 local = 07:58:23.000 UTC.
    let known = || reporting(&[("KB5014805", "2022-09-09 15:58:23", FAILED, STORE)]);
    for late in ["2022-09-09 15:58:30", "2022-09-09 15:58:16"] {
        let file = wulog(&[("KB5014805", late, FAILED, STORE)]);
        assert_eq!(offset_of(&timeline::build(vec![known(), file])), vote(), "{late}");
    }
    for near in ["2022-09-09 15:58:28", "2022-09-09 15:58:18"] {
        let file = wulog(&[("KB5014805", near, FAILED, STORE)]);
        let expected =
            format!("matched 1 event with ReportingEvents.log (KB5014805 install failed 0x80073712 at {near} local)");
        assert_eq!(offset_of(&timeline::build(vec![known(), file])), (Some(EIGHT), expected, Confidence::Medium));
    }
    // A whole quarter hour away is another offset, found just as well: +08:15.
    let file = wulog(&[("KB5014805", "2022-09-09 16:13:24", FAILED, STORE)]);
    assert_eq!(offset_of(&timeline::build(vec![known(), file])).0, Some(EIGHT + 900));
}

#[test]
fn several_agreeing_matches_are_high_confidence_and_several_lines_of_one_failure_count_once() {
    let known = reporting(&[
        ("KB5014805", "2022-09-09 15:58:23.417", FAILED, STORE),
        ("KB5017400", "2022-09-27 03:06:12.040", Action::InstallSucceeded, None),
    ]);
    let file = wulog(&[
        ("KB5014805", "2022-09-09 15:58:23.092", FAILED, STORE),
        // The same failure written again a moment later (as the agent does): still one event.
        ("KB5014805", "2022-09-09 15:58:23.282", FAILED, STORE),
        ("KB5017400", "2022-09-27 03:06:11.000", Action::InstallSucceeded, Some(0)),
    ]);
    assert_eq!(
        offset_of(&timeline::build(vec![known, file])),
        (
            Some(EIGHT),
            "matched 2 events with ReportingEvents.log (KB5014805 install failed 0x80073712 at 2022-09-09 15:58:23 \
             local; KB5017400 install succeeded at 2022-09-27 03:06:11 local)"
                .to_string(),
            Confidence::High
        )
    );
}

#[test]
fn disagreeing_matches_fall_back_to_the_vote_and_say_so() {
    let known = reporting(&[
        ("KB5014805", "2022-09-09 15:58:23.417", FAILED, STORE),
        ("KB5017400", "2022-09-27 03:06:12.040", Action::InstallSucceeded, None),
    ]);
    // The first failure fits +08:00; the install fits +05:30 (2 h 30 min earlier than +08:00 would put it).
    let file = wulog(&[
        ("KB5014805", "2022-09-09 15:58:23.092", FAILED, STORE),
        ("KB5017400", "2022-09-27 00:36:11.000", Action::InstallSucceeded, None),
    ]);
    let (_, vote_method, _) = vote();
    assert_eq!(
        offset_of(&timeline::build(vec![known, file])),
        (
            Some(EIGHT),
            format!(
                "{vote_method}; matching the same events in other files gave different offsets (UTC+05:30 from 1 \
                 event, UTC+08:00 from 1 event), so it decided nothing"
            ),
            Confidence::Medium
        )
    );
}

#[test]
fn a_result_repeated_near_its_match_is_not_counted() {
    // The same package installed twice 1 h 15 min apart (as in the real mattbalzan CBS pieces): the later
    // record's own counterpart is missing, and it lies a whole number of quarter hours from the earlier one's.
    let known = reporting(&[("KB5043080", "2025-12-15 09:06:28", Action::InstallSucceeded, None)]);
    let file = wulog(&[
        ("KB5043080", "2025-12-15 09:06:27.500", Action::InstallSucceeded, None),
        ("KB5043080", "2025-12-15 10:21:29", Action::InstallSucceeded, None),
    ]);
    assert_eq!(offset_of(&timeline::build(vec![known, file])), vote());
    // Two occurrences on the known side within ±14 h: which one it is cannot be told either.
    let known = reporting(&[
        ("KB5043080", "2025-12-15 09:06:28", Action::InstallSucceeded, None),
        ("KB5043080", "2025-12-15 10:21:29", Action::InstallSucceeded, None),
    ]);
    let file = wulog(&[("KB5043080", "2025-12-15 10:21:29", Action::InstallSucceeded, None)]);
    assert_eq!(offset_of(&timeline::build(vec![known, file])), vote());
    // Daily retries at +08:00 are a day apart: each is alone within ±14 h, both match.
    let known = reporting(&[
        ("KB5014805", "2022-09-09 15:58:23.417", FAILED, STORE),
        ("KB5014805", "2022-09-10 16:02:11.000", FAILED, STORE),
    ]);
    let file = wulog(&[
        ("KB5014805", "2022-09-09 15:58:23.092", FAILED, STORE),
        ("KB5014805", "2022-09-10 16:02:10.700", FAILED, STORE),
    ]);
    let (offset, _, confidence) = offset_of(&timeline::build(vec![known, file]));
    assert_eq!((offset, confidence), (Some(EIGHT), Confidence::High));
}

#[test]
fn a_file_that_states_its_zone_keeps_it_and_is_told_when_matching_disagrees() {
    let known = || {
        reporting(&[
            ("KB5014805", "2022-09-09 15:58:23.417", FAILED, STORE),
            ("KB5014805", "2022-10-10 16:38:25.731", FAILED, STORE),
        ])
    };
    // A legacy WindowsUpdate.log whose `tz:` header says +01:00 while its failures are ReportingEvents' at +08:00.
    let stated = |events: &[(&str, &str, Action, Option<u32>)]| {
        let mut file = wulog(events);
        file.offset = OffsetInference::known(3600, "tz header", Confidence::High);
        file.note = Some("Windows 7/8 text log (tab-separated)".to_string());
        file
    };
    let both = [
        ("KB5014805", "2022-09-09 15:58:23.092", FAILED, STORE),
        ("KB5014805", "2022-10-10 16:38:25.402", FAILED, STORE),
    ];
    let timeline = timeline::build(vec![known(), stated(&both)]);
    let file = wu_file(&timeline);
    assert_eq!((file.offset.offset_seconds, file.offset.method.as_str()), (Some(3600), "tz header"));
    assert_eq!(
        file.note.as_deref(),
        Some(
            "Windows 7/8 text log (tab-separated); cross-source matching disagrees with the offset this file \
             states: matched 2 events with ReportingEvents.log (KB5014805 install failed 0x80073712 at 2022-09-09 \
             15:58:23, 2022-10-10 16:38:25 local) gives UTC+08:00, the file says UTC+01:00 there; the file's own \
             offset is kept (the machine's zone may have changed, or one of the files is wrong)"
        )
    );
    // One pairing is not enough to question a stated zone.
    let timeline = timeline::build(vec![known(), stated(&both[..1])]);
    assert_eq!(wu_file(&timeline).note.as_deref(), Some("Windows 7/8 text log (tab-separated)"));
    // Agreement adds nothing.
    let mut agreeing = wulog(&both);
    agreeing.offset = OffsetInference::known(EIGHT, "tz header", Confidence::High);
    let timeline = timeline::build(vec![known(), agreeing]);
    assert_eq!(wu_file(&timeline).note, None);
}

/// 100,000 known results and 20,000 in the zone-less file, half of them a servicing loop repeating one result
/// every 4 s: the lookups read only the window around each event and stop at a second occurrence.
#[test]
fn matching_a_large_bundle_reads_only_windows() {
    let start = at("2022-09-01 00:00:00").millis();
    let mut known = SourceFile::new(RE_PATH, Source::ReportingEvents);
    known.offset = OffsetInference::known(EIGHT, "±HHMM on every line", Confidence::High);
    let mut file = wulog(&[]);
    for i in 0..100_000i64 {
        let local = CivilTime::from_millis(start + i * 37_000);
        let (kb, code) =
            if i % 2 == 0 { ("KB5005565".to_string(), STORE) } else { (format!("KB{}", 4_000_000 + i), None) };
        let mut event = Event::new(Source::ReportingEvents, RE_PATH, FAILED, Level::Error, "");
        (event.local, event.kb, event.code) = (Some(local), Some(kb.clone()), code);
        known.events.push(event.clone());
        if i % 5 == 0 {
            // The same results in WindowsUpdate.log, 0.3 s earlier.
            event.source = Source::WindowsUpdateLog;
            event.file = WU_PATH.to_string();
            event.local = Some(CivilTime::from_millis(local.millis() - 300));
            file.events.push(event);
        }
    }
    let began = std::time::Instant::now();
    let (offset, _, confidence) = offset_of(&timeline::build(vec![known, file]));
    eprintln!("matched 100k/20k events in {:?}", began.elapsed());
    assert_eq!((offset, confidence), (Some(EIGHT), Confidence::High));
}
