//! Panther setupact/setuperr of every setup flavour we have (upgrade, clean install, OOBE/windeploy, sysprep,
//! reset, Azure provisioning), the empty setuperr files, Panther's diagerr.xml rowset, SetupDiag results, and
//! the driver-installer setupact.log lookalike that must not be read as Panther.

use patchdx_bundle::FileKind;
use patchdx_formats::event::{Action, Level, Source, SourceFile};
use patchdx_testkit::fixtures::fixture;
use std::collections::BTreeMap;
use std::path::Path;

struct Read {
    kind: FileKind,
    file: SourceFile,
}

fn read(rel: &str) -> Option<Read> {
    let path = fixture(rel)?;
    let bundle = patchdx_formats::registry::open(&path, &Default::default()).expect("open");
    let entry = &bundle.entries[0];
    Some(Read { kind: entry.kind, file: patchdx_formats::panther::read(entry) })
}

fn count(file: &SourceFile, action: Action) -> usize {
    file.events.iter().filter(|e| e.action == action).count()
}

/// Error events per code (`-` for none).
fn codes(file: &SourceFile) -> BTreeMap<String, usize> {
    let mut map = BTreeMap::new();
    for e in file.events.iter().filter(|e| e.action == Action::Error) {
        *map.entry(e.code.map_or("-".to_string(), |c| format!("{c:08X}"))).or_default() += 1;
    }
    map
}

fn span(file: &SourceFile) -> (String, String) {
    let show = |t: Option<patchdx_formats::CivilTime>| t.map(|t| t.to_string()).unwrap_or_default();
    (show(file.first_local), show(file.last_local))
}

fn map(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[test]
fn onesettings_upgrade_setuperr_starts_with_0x80072ee7() {
    let Some(r) = read("panther/VitalSkib_setuperr_onesettings_0x80072EE7.log") else { return };
    assert_eq!(r.kind, FileKind::PantherSetupErr);
    assert_eq!((r.file.records, r.file.events.len()), (148, 148));
    assert!(r.file.events.iter().all(|e| e.action == Action::Error && e.source == Source::Panther));
    let first = &r.file.events[0];
    assert_eq!((first.line, first.code, first.client.as_deref()), (Some(1), Some(0x8007_2EE7), Some("MOUPG")));
    assert_eq!(r.file.events[2].message, "SetupHost: OneSettings initialization failed: [0x80072EE7]");
    assert_eq!(codes(&r.file)["80072EE7"], 3);
    assert_eq!(codes(&r.file)["80070003"], 60);
    assert_eq!(codes(&r.file)["80070490"], 56);
    // `Failed to compute timestamp interval.: HRESULT_FROM_WIN32(534)`
    assert_eq!(codes(&r.file)["80070216"], 4);
    assert_eq!(span(&r.file), ("2026-02-08 15:45:59".into(), "2026-02-08 17:01:39".into()));
}

#[test]
fn upgrade_setupact_with_embedded_dism_lines_is_panther_and_matches_its_setuperr() {
    let Some(act) = read("panther/Silvermaz28_upgrade_SetupAct.log") else { return };
    let Some(err) = read("panther/Silvermaz28_upgrade_setuperr.log") else { return };
    assert_eq!(act.kind, FileKind::PantherSetupAct);
    assert_eq!(err.kind, FileKind::PantherSetupErr);
    assert_eq!(
        (act.file.records, count(&act.file, Action::Error), count(&act.file, Action::SetupPhase)),
        (16149, 580, 20)
    );
    assert_eq!((err.file.records, err.file.events.len()), (580, 580));
    assert_eq!(codes(&err.file), map(&[("80070003", 1), ("80070005", 579)]));
    assert_eq!(codes(&act.file), codes(&err.file));
    let first = &err.file.events[0];
    assert_eq!((first.line, first.code, first.client.as_deref()), (Some(1), Some(0x8007_0003), Some("SP")));
    assert!(first.message.starts_with("CProvisioningMigration::DoExecute: ProvMigration failed"));
    let in_act = act.file.events.iter().find(|e| e.action == Action::Error).expect("error");
    assert_eq!((in_act.line, in_act.code), (Some(14664), Some(0x8007_0003)));
    let phases: Vec<&str> = act.file.events.iter().filter_map(|e| e.phase.as_deref()).take(3).collect();
    assert_eq!(phases, ["Pre First Boot", "Pre First Boot", "Pre SysPrep"]);
    assert_eq!(span(&act.file), ("2025-05-02 15:16:16".into(), "2025-05-02 15:29:39".into()));
    assert_eq!(span(&err.file), ("2025-05-02 15:20:12".into(), "2025-05-02 15:20:23".into()));
}

#[test]
fn cancelled_upgrade_enters_the_error_phase_with_0x800704d3() {
    let Some(act) = read("panther/copyleft21_upgrade_setupact.log") else { return };
    let Some(err) = read("panther/copyleft21_upgrade_setuperr.log") else { return };
    assert_eq!((act.kind, err.kind), (FileKind::PantherSetupAct, FileKind::PantherSetupErr));
    let phases: Vec<_> = act
        .file
        .events
        .iter()
        .filter(|e| e.action == Action::SetupPhase)
        .map(|e| (e.line, e.phase.clone().unwrap_or_default(), e.level))
        .collect();
    assert_eq!(phases, [(Some(129), "PreDownload".into(), Level::Info), (Some(251), "Error".into(), Level::Error)]);
    let expected = map(&[
        ("-", 1),
        ("80070002", 1),
        ("80070003", 1),
        ("80070490", 1),
        ("800704C7", 2),
        ("800704D3", 19),
        ("C1800104", 1),
        ("C1800108", 1),
        ("C1800109", 1),
    ]);
    assert_eq!(codes(&err.file), expected);
    assert_eq!(codes(&act.file), expected);
    // One more event in setupact.log than in setuperr.log: setup's exit result, ERROR_CANCELLED with extended
    // code 0x20018 (line 262).
    let result = act.file.events.iter().find(|e| e.line == Some(262)).expect("the setup result");
    assert_eq!(
        (result.action, result.code, result.phase.as_deref()),
        (Action::InstallFailed, Some(0x8007_04C7), Some("0x20018"))
    );
    // Two more: setup's own statements of its run (its command line and the build it installs).
    assert_eq!((act.file.records, act.file.events.len(), err.file.records), (399, 33, 28));
    assert_eq!(span(&act.file), ("2024-03-28 11:52:20".into(), "2024-03-28 11:55:48".into()));
    assert_eq!(span(&err.file), ("2024-03-28 11:52:21".into(), "2024-03-28 11:55:48".into()));
}

#[test]
fn upgrade_setupact_phase_changes_and_csi_status_names() {
    let Some(r) = read("panther/rickaK77_upgrade_setupact.log") else { return };
    assert_eq!(r.kind, FileKind::PantherSetupAct);
    assert_eq!((r.file.records, count(&r.file, Action::Error), count(&r.file, Action::SetupPhase)), (6152, 61, 7));
    let phases: Vec<_> = r
        .file
        .events
        .iter()
        .filter(|e| e.action == Action::SetupPhase)
        .map(|e| (e.line.unwrap_or(0), e.phase.clone().unwrap_or_default()))
        .collect();
    let expected = [
        (274, "Unpack"),
        (331, "Prepare"),
        (1856, "Install"),
        (2184, "Downlevel"),
        (5750, "Downlevel"),
        (5925, "Error"),
        (6268, "Unpack"),
    ];
    assert_eq!(phases, expected.map(|(l, p)| (l, p.to_string())));
    // `(F) STATUS_OBJECT_NAME_NOT_FOUND` CSI lines carry the status by name only.
    assert_eq!(codes(&r.file)["C0000034"], 6);
    assert_eq!(codes(&r.file)["800700B7"], 28);
    let last = r.file.events.iter().rev().find(|e| e.action == Action::Error).expect("error");
    assert_eq!((last.line, last.code), (Some(6275), Some(0x8007_0032)));
    assert_eq!(span(&r.file), ("2022-07-06 08:08:29".into(), "2022-07-06 08:23:12".into()));
}

#[test]
fn sysprep_setuperr_appx_not_provisioned_0x80073cf2() {
    let Some(r) = read("panther/aka18angel_sysprep_setuperr.log") else { return };
    assert_eq!(r.kind, FileKind::PantherSetupErr);
    assert_eq!(r.file.events.len(), 44);
    assert_eq!(codes(&r.file), map(&[("-", 5), ("80073CF2", 35), ("C000000D", 4)]));
    assert_eq!(r.file.events[2].message, "Exit code of RemoveAllApps thread was 0x3cf2.");
    assert_eq!(r.file.events[2].code, Some(0x8007_3CF2));
    assert_eq!(r.file.events[43].client.as_deref(), Some("TOOL"));
    assert_eq!(span(&r.file), ("2024-01-25 16:35:37".into(), "2024-01-25 19:30:17".into()));
}

#[test]
fn reset_tool_logs_with_a_blank_component_column() {
    let Some(act) = read("panther/Shekhar-sss_recovery_setupact.log") else { return };
    let Some(err) = read("panther/Shekhar-sss_recovery_setuperr.log") else { return };
    assert_eq!((act.kind, err.kind), (FileKind::PantherSetupAct, FileKind::PantherSetupErr));
    for r in [&act, &err] {
        assert_eq!(codes(&r.file), map(&[("-", 1), ("80070003", 4), ("80070490", 3)]));
        assert!(r.file.events.iter().all(|e| e.client.is_none()));
    }
    let lines: Vec<_> = act.file.events.iter().map(|e| e.line.unwrap_or(0)).collect();
    assert_eq!((lines[0], lines[7]), (4, 105));
    assert_eq!(err.file.events[0].message, "Failed to check OS architecture. 0x00000490[gle=0x00000002]");
    assert_eq!((act.file.records, err.file.records), (116, 8));
    assert_eq!(span(&act.file), ("2021-06-09 12:08:19".into(), "2021-06-09 12:22:47".into()));
    assert_eq!(span(&err.file), ("2021-06-09 12:08:20".into(), "2021-06-09 12:22:37".into()));
}

#[test]
fn clean_install_and_azure_oobe_name_their_setup_phases() {
    let Some(install) = read("panther/bitbtrust_install_setupact.log") else { return };
    let Some(install_err) = read("panther/bitbtrust_install_setuperr.log") else { return };
    let Some(azure) = read("panther/cralborn_azurevm_Panther_setupact.log") else { return };
    assert_eq!((install.kind, azure.kind), (FileKind::PantherSetupAct, FileKind::PantherSetupAct));
    let phases = |f: &SourceFile| -> Vec<(u64, String)> {
        f.events
            .iter()
            .filter(|e| e.action == Action::SetupPhase)
            .map(|e| (e.line.unwrap_or(0), e.phase.clone().unwrap_or_default()))
            .collect()
    };
    let p = |l: u64, n: &str| (l, n.to_string());
    assert_eq!(
        phases(&install.file),
        [p(9, "setup phase 2"), p(2841, "setup phase 2"), p(2851, "setup phase 4"), p(4182, "setup phase 4")]
    );
    assert_eq!(phases(&azure.file), [p(9, "setup phase 4"), p(454, "setup phase 4")]);
    assert_eq!(count(&azure.file, Action::Error), 0);
    let hive = &install.file.events.iter().find(|e| e.action == Action::Error).expect("error");
    assert_eq!((hive.line, hive.code, hive.client.as_deref()), (Some(2473), None, Some("IBS")));
    assert_eq!((install_err.file.events.len(), install_err.file.events[0].line), (1, Some(1)));
    assert_eq!((install.file.records, azure.file.records), (3808, 445));
    assert_eq!(span(&install.file), ("2019-03-29 00:25:29".into(), "2019-03-29 00:35:57".into()));
    assert_eq!(span(&azure.file), ("2021-09-27 04:03:44".into(), "2021-09-27 04:03:58".into()));
}

#[test]
fn windeploy_logs_tag_the_tool_instead_of_a_component() {
    let Some(gc_act) = read("panther/cralborn_azurevm_UnattendGC_setupact.log") else { return };
    let Some(gc_err) = read("panther/cralborn_azurevm_UnattendGC_setuperr.log") else { return };
    let Some(vital) = read("panther/VitalSkib_windeploy_setupact.log") else { return };
    assert_eq!(
        (gc_act.kind, gc_err.kind, vital.kind),
        (FileKind::PantherSetupAct, FileKind::PantherSetupErr, FileKind::PantherSetupAct)
    );
    let e = &gc_err.file.events[0];
    assert_eq!((e.line, e.code, e.client.as_deref()), (Some(1), Some(0x8007_0490), Some("windeploy.exe")));
    assert_eq!(gc_act.file.events.len(), 1);
    assert_eq!(gc_act.file.events[0].line, Some(5));
    assert_eq!(span(&gc_act.file), ("2021-09-27 04:03:44".into(), "2021-09-27 11:04:06".into()));
    assert_eq!((vital.file.records, vital.file.events.len()), (616, 0));
    assert_eq!(span(&vital.file), ("2026-02-19 10:38:42".into(), "2026-02-19 10:45:35".into()));
}

#[test]
fn short_setup_platform_log_without_errors_has_no_events() {
    let Some(r) = read("panther/kaykyprogramas01_setupact.log") else { return };
    assert_eq!(r.kind, FileKind::PantherSetupAct);
    assert_eq!((r.file.records, r.file.events.len()), (63, 0));
    assert_eq!(span(&r.file), ("2024-07-19 18:37:34".into(), "2024-07-19 18:37:41".into()));
}

#[test]
fn empty_setuperr_files_are_noted_not_warned() {
    for rel in ["panther/cralborn_azurevm_Panther_setuperr_empty.log", "panther/kaykyprogramas01_setuperr_empty.log"] {
        let Some(r) = read(rel) else { return };
        assert_eq!((r.file.records, r.file.events.len(), r.file.warnings.len()), (0, 0, 0), "{rel}");
        assert_eq!(r.file.note.as_deref(), Some("empty"));
        assert_eq!(r.file.first_local, None);
    }
}

#[test]
fn panther_diagerr_xml_is_an_empty_error_rowset_not_setupdiag() {
    let Some(r) = read("other/cralborn_azurevm_Panther_diagerr.xml") else { return };
    assert_eq!(r.kind, FileKind::PantherSetupErr);
    assert_eq!(r.file.source, Source::Panther);
    assert_eq!((r.file.records, r.file.events.len(), r.file.warnings.len()), (0, 0, 0));
    assert_eq!(r.file.note.as_deref(), Some("Panther diag rowset with no rows: setup recorded no records here"));
}

#[test]
fn diag_rowset_rows_become_errors_with_decimal_codes() {
    let xml = r##"<xml xmlns:s="uuid:BDC6E3F0-6DA3-11d1-A2A3-00AA00C14882" xmlns:rs="urn:schemas-microsoft-com:rowset" xmlns:z="#RowsetSchema">
<s:Schema id="RowsetSchema"></s:Schema>
<rs:data>
<z:row Cls="2" Sev="3" Msg="CFirstUXWnd::OpenExisting failed" Err="-2147023728" Exe="windeploy.exe" DT="2021-09-27T04:03:44"/>
</rs:data>
</xml>"##;
    let file = patchdx_formats::panther::parse_xml("Panther/diagerr.xml", xml);
    assert_eq!(file.events.len(), 1);
    let e = &file.events[0];
    assert_eq!((e.line, e.code, e.client.as_deref()), (Some(4), Some(0x8007_0490), Some("windeploy.exe")));
    assert_eq!(e.local.map(|t| t.to_string()).as_deref(), Some("2021-09-27 04:03:44"));
}

#[test]
fn setupdiag_results_keep_the_extended_code_in_phase() {
    let xml = r#"<?xml version="1.0" encoding="utf-16"?>
<SetupDiag xmlns="https://docs.microsoft.com/windows/deployment/upgrade/setupdiag">
  <Version>1.7.0.0</Version>
  <ProfileName>FindSPFatalError</ProfileName>
  <FailureData>Error: SetupDiag reports a fatal Setup Platform error.</FailureData>
  <FailureDetails>Err = 0x8007000D-0x2000C, LastOperation = Apply drivers, LastPhase = Safe OS</FailureDetails>
</SetupDiag>"#;
    let file = patchdx_formats::panther::parse_xml("Logs/SetupDiag/SetupDiagResults.xml", xml);
    assert_eq!(file.source, Source::SetupDiag);
    assert_eq!(file.events.len(), 1);
    let e = &file.events[0];
    assert_eq!(
        (e.source, e.action, e.code, e.phase.as_deref()),
        (Source::SetupDiag, Action::Error, Some(0x8007_000D), Some("0x2000C"))
    );
    assert_eq!(e.line, Some(4));
    assert!(e.message.starts_with("SetupDiag: FindSPFatalError: Error: SetupDiag reports"));
}

#[test]
fn driver_installer_setupact_lookalike_is_not_panther() {
    let Some(r) = read("other/kaifangliu_driver_setupact_lookalike.log") else { return };
    assert_eq!(r.kind, FileKind::DriverSetupLog);
    let bytes =
        std::fs::read(fixture("other/kaifangliu_driver_setupact_lookalike.log").expect("exists")).expect("read");
    // Even under Panther's own file name it stays a driver log.
    let registry: &'static dyn patchdx_bundle::Recognise = &patchdx_formats::registry::Registry;
    let kind = patchdx_bundle::detect::detect_kind_and_evidence(&bytes, "setupact.log", None, Some(registry)).0;
    assert_eq!(kind, FileKind::DriverSetupLog);
    assert_eq!(r.file.events.len(), 0);
}

#[test]
fn panther_cbs_logs_are_left_to_the_cbs_and_dism_readers() {
    for rel in ["panther/michampr_Panther_cbs.log", "panther/ones24074586_Panther_cbs.log"] {
        let Some(r) = read(rel) else { return };
        assert!(matches!(r.kind, FileKind::Cbs | FileKind::Dism), "{rel}: {:?}", r.kind);
    }
}

/// Class: setup states its overall result in Info lines — `Reporting post reboot event -> [result, extended]`
/// after a rollback, `ImageExit: Initializing SetupResult: [result]` with `Initializing Extended: [extended]` on
/// the next line at every exit, or `SetupResult [result] Extended [extended]` on one line. A failed result is
/// an event with the result as its code and the extended code (phase and operation) as its phase; a rollback's
/// result is a rollback, a result with no rollback before it an install failure; a success result is nothing.
#[test]
fn setup_result_lines_carry_the_result_and_extended_code() {
    let text = [
        "2021-05-18 05:12:43, Info                  MOUPG  ImageExit: Initializing SetupResult: [0xc1900208]",
        "2021-05-18 05:12:43, Info                  MOUPG  ImageExit: Initializing Extended:    [0x10005]",
        "2021-05-18 05:12:44, Info                  MOUPG  ImageExit: Initializing SetupResult: [0x0]",
        "2021-05-18 05:12:44, Info                  MOUPG  ImageExit: Initializing Extended:    [0x0]",
        "2021-05-18 05:12:45, Info                  SP     Initiating rollback/uninstall, phase = 1",
        "2021-05-18 05:12:46, Info                  MOUPG  SetupHost: Reporting post reboot event -> [0xC1900101, 0x30018]",
        "2021-05-18 05:12:47, Info                  MOUPG  ImageExit: SetupResult [0xc1900101] Extended [0x40017]",
        "2021-05-18 05:12:48, Info                  MOUPG  SetupHost: Reporting post reboot event -> [0x0, 0x0]",
    ]
    .join("\r\n");
    let file = patchdx_formats::panther::parse_text("setupact.log", &text, false);
    let results: Vec<(u64, Action, Option<u32>, Option<&str>)> = file
        .events
        .iter()
        .filter(|e| e.code.is_some())
        .map(|e| (e.line.unwrap_or(0), e.action, e.code, e.phase.as_deref()))
        .collect();
    assert_eq!(
        results,
        [
            (1, Action::InstallFailed, Some(0xC190_0208), Some("0x10005")),
            (6, Action::Rollback, Some(0xC190_0101), Some("0x30018")),
            (7, Action::Rollback, Some(0xC190_0101), Some("0x40017")),
        ]
    );
    assert!(file.events.iter().filter(|e| e.code.is_some()).all(|e| e.level == Level::Error));
}

/// The baslr rollback log: both `Reporting post reboot event` lines (5377, 5680) and `ImageExit: Initializing
/// SetupResult` (5390, its extended code on 5391) state 0xC1900101 with extended code 0x30018 (FIRST_BOOT
/// phase, SYSPREP operation).
#[test]
fn baslr_rollback_reports_0xc1900101_0x30018_after_the_restart() {
    let Some(r) = read("panther/baslr_19041_Rollback_setupact_0xC1900101_0x30018.log") else { return };
    let results: Vec<(u64, Action, Option<u32>, Option<&str>)> = r
        .file
        .events
        .iter()
        .filter(|e| e.code == Some(0xC190_0101))
        .map(|e| (e.line.unwrap_or(0), e.action, e.code, e.phase.as_deref()))
        .collect();
    assert_eq!(
        results,
        [
            (5377, Action::Rollback, Some(0xC190_0101), Some("0x30018")),
            (5390, Action::Rollback, Some(0xC190_0101), Some("0x30018")),
            (5680, Action::Rollback, Some(0xC190_0101), Some("0x30018")),
        ]
    );
}

/// The upgrade that entered the error phase (line 5924) exits with 0x80070032 and extended code 0x50013
/// (line 5935-5936); no rollback ran before it, so it is the failure of the install itself.
#[test]
fn rickak77_upgrade_exits_with_0x80070032_0x50013() {
    let Some(r) = read("panther/rickaK77_upgrade_setupact.log") else { return };
    let result = r.file.events.iter().find(|e| e.line == Some(5935)).expect("the setup result");
    assert_eq!(
        (result.action, result.code, result.phase.as_deref()),
        (Action::InstallFailed, Some(0x8007_0032), Some("0x50013"))
    );
}

/// SetupDiag's text results: the matched profile's line, and the code of the line that states an extended code
/// (SetupDiag's summary of the failure).
#[test]
fn setupdiag_text_results_give_the_profile_and_the_extended_code() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/panther/SetupDiagResults-OptionalComponentOpenPackageFailed-0x8007001F-0x50015.log");
    let bundle = patchdx_formats::registry::open(&path, &Default::default()).expect("open");
    assert_eq!(bundle.entries[0].kind, FileKind::SetupDiagResults);
    let file = patchdx_formats::read_source(&bundle.entries[0]).expect("read");
    assert_eq!(file.events.len(), 1);
    let e = &file.events[0];
    assert_eq!(
        (e.source, e.line, e.code, e.phase.as_deref()),
        (Source::SetupDiag, Some(1), Some(0x8007_001F), Some("0x50015"))
    );
    assert!(
        e.message
            .starts_with("SetupDiag: OptionalComponentOpenPackageFailed: Error: SetupDiag reports Optional Component")
    );
    assert_eq!(
        file.note.as_deref(),
        Some(
            "SetupDiag matched profile OptionalComponentOpenPackageFailed (target build 10.0.16299.15 (rs3_release.170928-1534))"
        )
    );
}

/// SetupDiag's JSON results, all on one line: profile and failure details read from their keys.
#[test]
fn setupdiag_json_results_on_one_line_give_the_profile_and_code() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/panther/SetupDiagResults-FindSPFatalError-0x00000057-one-line.json");
    let bundle = patchdx_formats::registry::open(&path, &Default::default()).expect("open");
    assert_eq!(bundle.entries[0].kind, FileKind::SetupDiagResults);
    let file = patchdx_formats::read_source(&bundle.entries[0]).expect("read");
    let e = &file.events[0];
    assert_eq!((e.code, e.phase.as_deref()), (Some(0x8007_0057), None));
    assert!(
        e.message.starts_with("SetupDiag: FindSPFatalError: Err = 0x00000057, LastOperation = Gather data"),
        "{}",
        e.message
    );
}
