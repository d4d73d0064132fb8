//! Sessions.xml, per-session XML and pending.xml(.bad): self-written samples modelled on the shapes in the
//! field notes (no real samples exist in the fixtures).

use patchdx_bundle::{FileKind, Severity};
use patchdx_formats::event::{Action, Level, Source, SourceFile};
use patchdx_formats::servicing_xml::{self, PendingSummary, ServicingSession};
use std::path::{Path, PathBuf};

/// A sample written for these tests, kept in the repository's tests/data (a missing one fails to open).
fn sample(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data").join(rel)
}

fn sessions(rel: &str) -> (FileKind, SourceFile, Vec<ServicingSession>) {
    let bundle = patchdx_formats::registry::open(&sample(rel), &Default::default()).expect("open");
    let entry = &bundle.entries[0];
    let (file, sessions) = servicing_xml::read_sessions(entry);
    (entry.kind, file, sessions)
}

fn pending(rel: &str) -> (FileKind, SourceFile, PendingSummary) {
    let bundle = patchdx_formats::registry::open(&sample(rel), &Default::default()).expect("open");
    let entry = &bundle.entries[0];
    assert_eq!(servicing_xml::read(entry).events.len(), servicing_xml::read_pending(entry).0.events.len());
    let (file, summary) = servicing_xml::read_pending(entry);
    (entry.kind, file, summary)
}

fn t(text: &str) -> Option<String> {
    Some(text.to_string())
}

#[test]
fn sessions_xml_history_has_the_failed_kb5014805_session() {
    let (kind, file, list) = sessions("sessions/sessions-kb5014805-failed-0x80073712.xml");
    assert_eq!(kind, FileKind::SessionsXml);
    assert_eq!((file.source, file.records, file.events.len(), file.warnings.len()), (Source::SessionsXml, 3, 15, 0));
    let ids: Vec<&str> = list.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["30998745_1203658841", "30998812_2837461050", "30998907_411009822"]);
    let failed = &list[1];
    assert_eq!(failed.client.as_deref(), Some("WindowsUpdateAgent"));
    assert_eq!(failed.status, Some(0x8007_3712));
    assert_eq!(failed.started.map(|t| t.to_string()), t("2022-09-09 15:57:41"));
    assert_eq!(failed.last_successful_state.as_deref(), Some("Staged"));
    assert_eq!(failed.packages[0].kb.as_deref(), Some("KB5014805"));
    assert_eq!(failed.line, 17);
    let outcome = file.events.iter().find(|e| e.action == Action::InstallFailed).expect("failure");
    assert_eq!(
        (outcome.level, outcome.code, outcome.kb.as_deref()),
        (Level::Error, Some(0x8007_3712), Some("KB5014805"))
    );
    assert_eq!((outcome.line, outcome.phase.as_deref()), (Some(17), Some("Staged")));
    assert_eq!(outcome.local.map(|t| t.to_string()), t("2022-09-09 16:21:08"));
    assert_eq!(outcome.package.as_deref(), Some("Package_for_RollupFix~31bf3856ad364e35~amd64~~17763.3046.1.7"));
    let count = |a: Action| file.events.iter().filter(|e| e.action == a).count();
    assert_eq!(
        [
            Action::SessionStarted,
            Action::StateChanged,
            Action::InstallSucceeded,
            Action::InstallFailed,
            Action::UninstallSucceeded,
            Action::RebootRequired
        ]
        .map(count),
        [3, 8, 1, 1, 1, 1]
    );
    let reboot = file.events.iter().find(|e| e.action == Action::RebootRequired).expect("reboot");
    assert_eq!((reboot.kb.as_deref(), reboot.line), (Some("KB4589208"), Some(37)));
    // Zone unverified: times stay local, offset unknown.
    assert!(file.offset.offset_seconds.is_none() && file.events.iter().all(|e| e.utc.is_none()));
    assert_eq!(file.first_local.map(|t| t.to_string()), t("2022-09-08 03:11:04"));
    assert_eq!(file.last_local.map(|t| t.to_string()), t("2022-09-10 09:05:51"));
}

#[test]
fn per_session_xml_without_complete_time_did_not_complete() {
    let (kind, file, list) = sessions("sessions/session-kb5017315-interrupted-no-complete.xml");
    assert_eq!(kind, FileKind::SessionsXml);
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].status, list[0].complete), (None, None));
    let got: Vec<_> = file.events.iter().map(|e| (e.action, e.line, e.phase.clone())).collect();
    assert_eq!(
        got,
        [
            (Action::SessionStarted, Some(2), None),
            (Action::StateChanged, Some(9), t("Resolved")),
            (Action::Warning, Some(2), t("Resolved")),
        ]
    );
    assert_eq!(file.events[2].kb.as_deref(), Some("KB5017315"));
}

#[test]
fn malformed_sessions_xml_keeps_what_came_before_the_error() {
    let (_, file, list) = sessions("sessions/sessions-cut-mid-file-malformed.xml");
    assert_eq!(file.warnings.len(), 1);
    assert_eq!(file.warnings[0].severity, Severity::Damaged);
    assert!(file.warnings[0].message.starts_with("XML is malformed at line 21"), "{}", file.warnings[0].message);
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].status, Some(0));
    assert_eq!((list[1].status, list[1].packages.len()), (Some(0x8007_3712), 1));
    assert_eq!(file.events.iter().filter(|e| e.action == Action::InstallFailed).count(), 1);
}

#[test]
fn pending_xml_v31_with_a_reboot_poq() {
    let (kind, file, s) = pending("pending/pending-v3.1-reboot-hardlink-poq.xml");
    assert_eq!(kind, FileKind::PendingXml);
    assert_eq!(
        (s.version.as_deref(), s.reboot_required, s.installers_queued, s.bad),
        (Some("3.1"), true, Some(2), false)
    );
    assert_eq!(s.wcp_version.as_deref(), Some("10.0.17763.3232 (WinBuild.160101.0800)"));
    let ops: Vec<(&str, u32)> = s.operations.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(ops, [("DeleteFile", 1), ("HardlinkFile", 2), ("MoveFile", 1)]);
    assert_eq!(file.events.len(), 1);
    let e = &file.events[0];
    assert_eq!(
        (e.source, e.action, e.level, e.line),
        (Source::PendingXml, Action::PendingOperations, Level::Warning, Some(2))
    );
    assert!(e.message.contains("4 queued operation(s)") && e.message.contains("reboot is needed"), "{}", e.message);
    assert!(file.note.is_some());
}

#[test]
fn pending_xml_v20_counts_transactions_and_changes() {
    let (_, file, s) = pending("pending/pending-v2.0-transactions-changelist.xml");
    assert_eq!((s.version.as_deref(), s.wcp_version.as_deref(), s.reboot_required), (Some("2.0"), None, false));
    assert_eq!((s.transactions, s.changes, s.operation_count()), (2, 2, 4));
    assert_eq!(s.operations.get("SetKeyValue"), Some(&1));
    assert_eq!(file.events.len(), 1);
}

#[test]
fn pending_xml_bad_says_a_boot_time_apply_failed() {
    let (kind, file, s) = pending("pending/pending-failed-boot-apply.xml.bad");
    assert_eq!(kind, FileKind::PendingXml);
    assert!(s.bad);
    let got: Vec<_> = file.events.iter().map(|e| (e.action, e.level)).collect();
    assert_eq!(got, [(Action::PendingOperations, Level::Warning), (Action::Error, Level::Error)]);
    assert!(file.events[1].message.contains("a boot-time apply"));
}

#[test]
fn malformed_pending_xml_still_summarises_what_was_read() {
    let text = "<?xml version='1.0'?>\n<PendingTransaction Version=\"3.1\">\n<POQ postAction=\"reboot\">\n<MoveFile source=\"a\" destination=\"b\" />\n<HardlinkFile source=\"c";
    let (file, s) = servicing_xml::parse_pending("pending.xml", text);
    assert_eq!((s.operation_count(), s.reboot_required), (1, true));
    assert_eq!(file.warnings.len(), 1);
    assert_eq!(file.events.len(), 1);
}
