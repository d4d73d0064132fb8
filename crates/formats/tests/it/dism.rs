//! DISM.log reader on every real DISM log we hold: sessions and command lines of each dialect, the one failure
//! line that decided each failed command, and the provider noise that must never be reported as a failure.

use patchdx_formats::event::{Action, Event, Level, SourceFile};
use std::path::PathBuf;

/// Reads a DISM log fixture; `None` only when it is missing and the fixtures are skipped on purpose.
fn fixture(name: &str) -> Option<SourceFile> {
    let path = patchdx_testkit::fixtures::fixture(&format!("dism/{name}"))?;
    let bundle = patchdx_formats::registry::open(&path, &Default::default()).expect("open fixture");
    Some(patchdx_formats::dism::read(&bundle.entries[0]))
}

/// Reads a log written by a test, through the same bundle path as a customer's file.
fn from_text(tag: &str, text: &[u8]) -> SourceFile {
    let dir: PathBuf = std::env::temp_dir().join(format!("patchdx-dism-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("dism.log");
    std::fs::write(&path, text).expect("write temp log");
    let bundle = patchdx_formats::registry::open(&path, &Default::default()).expect("open temp log");
    let file = patchdx_formats::dism::read(&bundle.entries[0]);
    let _ = std::fs::remove_dir_all(&dir);
    file
}

fn stamp(file: &SourceFile) -> (String, String) {
    let show = |t: Option<patchdx_formats::CivilTime>| t.map(|t| t.to_string()).unwrap_or_default();
    (show(file.first_local), show(file.last_local))
}

fn count(file: &SourceFile, action: Action) -> usize {
    file.events.iter().filter(|e| e.action == action).count()
}

fn is_failure(e: &Event) -> bool {
    matches!(e.action, Action::InstallFailed | Action::UninstallFailed | Action::RepairFailed | Action::Error)
}

/// (line, action, code) of every failure event.
fn failures(file: &SourceFile) -> Vec<(u64, Action, Option<u32>)> {
    file.events.iter().filter(|e| is_failure(e)).map(|e| (e.line.unwrap_or(0), e.action, e.code)).collect()
}

fn commands(file: &SourceFile) -> Vec<(u64, String)> {
    file.events
        .iter()
        .filter(|e| e.action == Action::SessionStarted)
        .map(|e| (e.line.unwrap_or(0), e.client.clone().unwrap_or_default()))
        .collect()
}

fn assert_no_provider_noise(file: &SourceFile) {
    for e in &file.events {
        assert!(!e.message.contains("Failed to load the provider"), "provider noise reported: {}", e.message);
        assert!(!e.message.contains("Failed to Load the provider"), "provider noise reported: {}", e.message);
        assert!(!e.message.contains("OpenPackageByFile"), "driver lookup reported: {}", e.message);
    }
}

#[test]
fn win11_appx_provisioning_fails_on_0x800700b7_and_dism_exe_returns_0xc1570118() {
    let Some(file) = fixture("AbbrilYudistira_22000_dism_appx_0x800700b7.log") else { return };
    assert_eq!(file.records, 70);
    assert_eq!(stamp(&file), ("2021-11-27 13:21:20".into(), "2021-11-27 13:21:33".into()));
    assert!(file.warnings.is_empty(), "{:?}", file.warnings);
    assert_eq!(file.offset.offset_seconds, None);
    let command = "DISM.exe  /Online /Add-ProvisionedAppxPackage /PackagePath:92fd0ac0607b40e6bf7e9dcb09dfe742.appx /DependencyPackagePath:Microsoft.VCLibs.140.00.UWPDesktop_14.0.29231.0_x64__8wekyb3d8bbwe.appx /LogPath:\\dism.log /LicensePath:92fd0ac0607b40e6bf7e9dcb09dfe742_License1.xml /Region=\"all\"";
    assert_eq!(commands(&file), vec![(14, command.to_string())]);
    assert!(file.events[0].message.contains("(PID=9252)"), "{}", file.events[0].message);
    // Line 55 is the Appx provider's result-logging line that says why (kept whole, its code read bare; lines 57
    // and 59 return the same code up its stack); line 61 is the first coded failure; lines 62-64 are the same
    // failure unwinding up to DISM.EXE.
    assert_eq!(
        failures(&file),
        vec![(55, Action::Error, Some(0xc1570118)), (61, Action::InstallFailed, Some(0x800700b7))]
    );
    let why = file.events.iter().find(|e| e.line == Some(55)).expect("the provider's line");
    assert!(
        why.message.ends_with("since an equal or higher version of the package, AdvancedMicroDevicesInc-2.AMDRadeonSoftware_10.20.50017.0_x64__0a9344xs7nr4m, already exists]"),
        "{}",
        why.message
    );
    let failed = file.events.iter().find(|e| e.line == Some(61)).expect("failure event");
    assert_eq!(failed.package.as_deref(), Some("92fd0ac0607b40e6bf7e9dcb09dfe742.appx"));
    assert_eq!(failed.phase.as_deref(), Some("Add-ProvisionedAppxPackage"));
    let ended: Vec<_> = file.events.iter().filter(|e| e.action == Action::SessionEnded).collect();
    assert_eq!(ended.len(), 1);
    assert_eq!((ended[0].line, ended[0].level, ended[0].code), (Some(67), Level::Error, Some(0xc1570118)));
    assert_eq!(file.events.len(), 4);
    assert!(file.note.as_deref().unwrap_or("").contains("5 follow-on error lines"), "{:?}", file.note);
}

#[test]
fn win7_dialect_without_dismcore_line_gives_all_16_commands_and_only_the_user_errors() {
    let Some(file) = fixture("DieterReuter_win7_dism_enable_feature.log") else { return };
    assert_eq!(file.records, 2439);
    assert_eq!(stamp(&file), ("2014-02-17 15:22:02".into(), "2014-02-18 10:37:16".into()));
    let expected = [
        (17, "dism  /?"),
        (70, "dism  /Online /?"),
        (281, "DISM.exe  /OnlineDISM.exe /Get-Features"),
        (326, "DISM.exe  /Online /Get-Features"),
        (582, "DISM.exe  /Online /Add-Feature:Printing-Foundation-LPDPrintService"),
        (725, "DISM.exe  /Online /Enable-Feature:Printing-Foundation-LPDPrintService"),
        (881, "DISM.exe  /Online /Enable-Feature:TelnetClient"),
        (1037, "dism.exe  /Online /Get-Features"),
        (1293, "dism.exe  /Online /EnableFeature=TelnetClient"),
        // No "Executing command line" here: DISM rejected it, so the banner line starts the session.
        (1433, "dism.exe  /Online"),
        (1460, "dism.exe  /Online /?"),
        (1671, "dism.exe  /Online /Enable-Feature=TelnetClient"),
        (1827, "dism.exe  /Online /Enable-Feature=Printing-Foundation-LPRPortMonitor"),
        (1983, "dism.exe  /Online /Disable-Feature=Printing-Foundation-LPRPortMonitor"),
        (2141, "dism.exe  /Online /Disable-Feature=Printing-Foundation-LPDPrintService"),
        (2300, "dism.exe  /Online /Enable-Feature=Printing-Foundation-LPRPortMonitor"),
    ];
    let expected: Vec<(u64, String)> = expected.iter().map(|(l, c)| (*l, c.to_string())).collect();
    assert_eq!(commands(&file), expected);
    assert_eq!(count(&file, Action::SessionEnded), 16);
    // Typos and a bare /Online: DISM's own error lines, no code (HRESULT=0).
    assert_eq!(
        failures(&file),
        vec![
            (299, Action::Error, None),
            (678, Action::Error, None),
            (1389, Action::Error, None),
            (1436, Action::Error, None)
        ]
    );
    let enabled: Vec<_> = file
        .events
        .iter()
        .filter(|e| e.action == Action::InstallSucceeded)
        .map(|e| (e.line.unwrap_or(0), e.package.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        enabled,
        vec![
            (857, "Printing-Foundation-LPDPrintService".to_string()),
            (1013, "TelnetClient".to_string()),
            (1803, "TelnetClient".to_string()),
            (1959, "Printing-Foundation-LPRPortMonitor".to_string()),
            (2432, "Printing-Foundation-LPRPortMonitor".to_string()),
        ]
    );
    let reboots: Vec<_> =
        file.events.iter().filter(|e| e.action == Action::RebootRequired).filter_map(|e| e.line).collect();
    assert_eq!(reboots, vec![2115, 2273]);
    assert_eq!(count(&file, Action::UninstallSucceeded), 2);
    assert_no_provider_noise(&file);
    assert!(file.note.as_deref().unwrap_or("").contains("13 provider-load failures (0x8007007e)"), "{:?}", file.note);
}

#[test]
fn win11_offline_add_driver_mount_and_get_drivers_failures_one_per_command() {
    let Some(file) = fixture("HeroLee46_22621_dism_offline_add_driver.log") else { return };
    assert_eq!(file.records, 5399);
    assert_eq!(stamp(&file), ("2023-04-20 16:06:23".into(), "2023-05-18 13:59:57".into()));
    // 38 DismApi sessions (dxgiadaptercache, cleanmgr, …) then 13 Dism.exe commands.
    assert_eq!(count(&file, Action::SessionStarted), 51);
    let (api, exe): (Vec<_>, Vec<_>) = commands(&file).into_iter().partition(|(_, c)| c == "DismApi");
    assert_eq!(api.len(), 38);
    assert_eq!(exe.len(), 13);
    assert_eq!(
        exe[0],
        (
            5062,
            "Dism  /Image:E:\\ /Add-Driver /Driver:C:\\Users\\ThunderSoft\\Desktop\\T490\\iaahcic.inf_amd64_c39e20e0e928f952 /Recurse"
                .to_string()
        )
    );
    assert_eq!(
        exe[3],
        (5167, "Dism  /Mount-Image /ImageFile:F:\\sources\\install.wim /MountDir:C:\\test\\offline".into())
    );
    assert_eq!(exe[12], (5395, "dism".to_string()));
    assert_eq!(
        failures(&file),
        vec![
            // /Add-Driver on E:\ and on the WinPE folder: DISM.EXE says why, with no code.
            (5079, Action::InstallFailed, None),
            (5114, Action::InstallFailed, None),
            (5149, Action::Error, None),
            // /Mount-Image, four times: E_INVALIDARG from the imaging provider.
            (5168, Action::Error, Some(0x80070057)),
            (5188, Action::Error, Some(0x80070057)),
            (5208, Action::Error, Some(0x80070057)),
            (5228, Action::Error, Some(0x80070057)),
            (5264, Action::Error, None),
            (5317, Action::Error, None),
            // /Get-Drivers pointed at a .wim file: ERROR_NOT_SUPPORTED from the folder provider.
            (5344, Action::Error, Some(0x80070032)),
            (5374, Action::Error, Some(0x80070032)),
        ]
    );
    let first = &file.events[0];
    assert!(
        first.message.ends_with("[parent process: \"C:\\WINDOWS\\system32\\dxgiadaptercache.exe\"]"),
        "{}",
        first.message
    );
    assert!(file.note.as_deref().unwrap_or("").contains("1 sessions without an end line"), "{:?}", file.note);
    assert!(file.note.as_deref().unwrap_or("").contains("6 follow-on error lines"), "{:?}", file.note);
}

#[test]
fn a_year_of_background_api_sessions_and_provider_noise_yields_no_failure() {
    let Some(file) = fixture("krynddi_18362_dism_year_of_provider_noise.log") else { return };
    assert_eq!(file.records, 20571);
    assert_eq!(stamp(&file), ("2019-11-08 15:39:08".into(), "2020-11-01 11:21:55".into()));
    assert_eq!(failures(&file), vec![]);
    assert_eq!(count(&file, Action::SessionStarted), 96);
    // 52 Ending banners; 44 sessions (their process killed or the log cut) never logged one.
    assert_eq!(count(&file, Action::SessionEnded), 52);
    assert!(file.events.iter().all(|e| e.level != Level::Error));
    assert_no_provider_noise(&file);
    let note = file.note.as_deref().unwrap_or("");
    assert!(note.contains("256 provider-load failures (0x8007007e) ignored as noise"), "{note}");
    assert!(note.contains("44 sessions without an end line"), "{note}");
}

#[test]
fn win11_setup_time_api_sessions_are_clean() {
    let Some(file) = fixture("eyeofparadox_26100_dism_during_setup.log") else { return };
    assert_eq!(file.records, 838);
    assert_eq!(stamp(&file), ("2025-04-26 05:20:57".into(), "2025-04-26 05:31:36".into()));
    assert_eq!((count(&file, Action::SessionStarted), count(&file, Action::SessionEnded)), (8, 8));
    assert_eq!(failures(&file), vec![]);
    assert!(file.events.iter().any(|e| e.message.contains("OOBEFodSetup.exe")));
}

#[test]
fn oem_appx_provisioning_succeeds_despite_provider_load_warnings() {
    let Some(file) = fixture("kanthrajni_17763_dism_provisioned_appx.log") else { return };
    assert_eq!(file.records, 377);
    assert_eq!(stamp(&file), ("2020-01-20 20:21:15".into(), "2020-01-20 20:28:10".into()));
    let lines: Vec<u64> = commands(&file).iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, vec![16, 203]);
    assert!(commands(&file)[0].1.starts_with(
        "DISM.exe  /Online /Add-ProvisionedAppxPackage /PackagePath:c:\\swsetup\\sp95506\\uwphp173\\33a00a714b9149d08b29177a1c4124ff.appxbundle"
    ));
    assert_eq!(failures(&file), vec![]);
    let ok: Vec<_> =
        file.events.iter().filter(|e| e.action == Action::InstallSucceeded).filter_map(|e| e.line).collect();
    assert_eq!(ok, vec![181, 371]);
    assert_no_provider_noise(&file);
    assert!(file.note.as_deref().unwrap_or("").contains("4 provider-load failures"), "{:?}", file.note);
}

#[test]
fn win81_log_starting_mid_session_without_final_newline() {
    let Some(file) = fixture("semenovaolya_win81_dism.log") else { return };
    // 363 newlines plus the unterminated last line.
    assert_eq!(file.records, 364);
    assert_eq!(stamp(&file), ("2020-02-15 08:54:12".into(), "2020-02-26 06:36:34".into()));
    assert_eq!(failures(&file), vec![]);
    assert_eq!(count(&file, Action::SessionStarted), 0);
    let ended: Vec<_> =
        file.events.iter().filter(|e| e.action == Action::SessionEnded).filter_map(|e| e.line).collect();
    assert_eq!(ended, vec![363]);
    assert_no_provider_noise(&file);
}

/// Shaped like the lines DISM 10.0.19041 writes for a RestoreHealth whose repair source lacks the payload
/// (console: "Error: 0x800f081f The source files could not be found.").
const RESTORE_HEALTH_SOURCE_MISSING: &str = r"2024-03-05 09:12:40, Info                  DISM   PID=7312 TID=7316 Scratch directory set to 'C:\Users\admin\AppData\Local\Temp\'. - CDISMManager::put_ScratchDir
2024-03-05 09:12:40, Info                  DISM   PID=7312 TID=7316 DismCore.dll version: 10.0.19041.3636 - CDISMManager::FinalConstruct
2024-03-05 09:12:40, Info                  DISM   DISM Manager: PID=7312 TID=7316 Successfully created the local image session and provider store. - CDISMManager::CreateLocalImageSession
2024-03-05 09:12:40, Info                  DISM   DISM.EXE: 
2024-03-05 09:12:40, Info                  DISM   DISM.EXE: <----- Starting Dism.exe session ----->
2024-03-05 09:12:40, Info                  DISM   DISM.EXE: 
2024-03-05 09:12:40, Info                  DISM   DISM.EXE: Host machine information: OS Version=10.0.19045, Running architecture=amd64, Number of processors=4
2024-03-05 09:12:40, Info                  DISM   DISM.EXE: Dism.exe version: 10.0.19041.3636
2024-03-05 09:12:40, Info                  DISM   DISM.EXE: Executing command line: dism.exe  /Online /Cleanup-Image /RestoreHealth /Source:WIM:D:\sources\install.wim:1 /LimitAccess
2024-03-05 09:12:41, Warning               DISM   DISM Provider Store: PID=7312 TID=7316 Failed to load the provider: C:\Windows\System32\Dism\SiloedPackageProvider.dll. - CDISMProviderStore::Internal_GetProvider(hr:0x8007007e)
2024-03-05 09:12:44, Warning               DISM   DISM Provider Store: PID=5980 TID=6124 Failed to load the provider: C:\Users\admin\AppData\Local\Temp\6E1A2C33-0D35-4E1B-9D7A-4B2C1E7F9A10\PEProvider.dll. - CDISMProviderStore::Internal_GetProvider(hr:0x8007007e)
2024-03-05 09:12:45, Info                  DISM   DISM Package Manager: PID=5980 TID=6124 Processing the top level command token(cleanup-image). - CPackageManagerCLIHandler::Private_ValidateCmdLine
2024-03-05 09:21:03, Info                  DISM   DISM Package Manager: PID=5980 TID=1448  Error in operation: the source for the package or file not found, ResolveSource() unsuccessful. (CBS HRESULT=0x800f081f) - CCbsConUIHandler::Error
2024-03-05 09:21:03, Error                 DISM   DISM Package Manager: PID=5980 TID=6124 Failed finalizing changes. - CDISMPackageManager::Internal_Finalize(hr:0x800f081f)
2024-03-05 09:21:03, Error                 DISM   DISM Package Manager: PID=5980 TID=6124 Failed processing package changes with session option CbsSessionOptionRepairStoreCorruption - CDISMPackageManager::RestoreHealth(hr:0x800f081f)
2024-03-05 09:21:03, Error                 DISM   DISM Package Manager: PID=5980 TID=6124 Failed to restore the image health. - CPackageManagerCLIHandler::ProcessCmdLine_CleanupImage(hr:0x800f081f)
2024-03-05 09:21:03, Error                 DISM   DISM Package Manager: PID=5980 TID=6124 Failed while processing command cleanup-image. - CPackageManagerCLIHandler::ExecuteCmdLine(hr:0x800f081f)
2024-03-05 09:21:03, Info                  DISM   DISM Package Manager: PID=5980 TID=6124 Further logs for online package and feature related operations can be found at %WINDIR%\logs\CBS\cbs.log - CPackageManagerCLIHandler::ExecuteCmdLine
2024-03-05 09:21:03, Error                 DISM   DISM.EXE: DISM Package Manager processed the command line but failed. HRESULT=800F081F
2024-03-05 09:21:03, Info                  DISM   DISM Package Manager: PID=5980 TID=6124 Finalizing CBS core. - CDISMPackageManager::Finalize
2024-03-05 09:21:04, Info                  DISM   DISM.EXE: Image session has been closed. Reboot required=no.
2024-03-05 09:21:04, Info                  DISM   DISM.EXE: 
2024-03-05 09:21:04, Info                  DISM   DISM.EXE: <----- Ending Dism.exe session ----->
2024-03-05 09:21:04, Info                  DISM   DISM.EXE: 
";

#[test]
fn restore_health_with_a_source_lacking_the_payload_is_one_repair_failure_0x800f081f() {
    let file = from_text("restorehealth", RESTORE_HEALTH_SOURCE_MISSING.replace('\n', "\r\n").as_bytes());
    assert_eq!(file.records, 24);
    let command = r"dism.exe  /Online /Cleanup-Image /RestoreHealth /Source:WIM:D:\sources\install.wim:1 /LimitAccess";
    assert_eq!(commands(&file), vec![(9, command.to_string())]);
    let options: Vec<_> = file.events.iter().filter(|e| e.action == Action::Note).collect();
    assert_eq!(options.len(), 1);
    assert_eq!(options[0].message, r"repair source options: /Source:WIM:D:\sources\install.wim:1 /LimitAccess");
    assert_eq!(failures(&file), vec![(14, Action::RepairFailed, Some(0x800f081f))]);
    let failed = file.events.iter().find(|e| e.line == Some(14)).expect("failure");
    assert_eq!(failed.phase.as_deref(), Some("RestoreHealth"));
    assert_eq!(failed.client.as_deref(), Some(command));
    let ended = file.events.iter().find(|e| e.action == Action::SessionEnded).expect("end");
    assert_eq!((ended.line, ended.level, ended.code), (Some(21), Level::Error, Some(0x800f081f)));
    assert_eq!(count(&file, Action::RepairSucceeded), 0);
    assert_no_provider_noise(&file);
    let note = file.note.as_deref().unwrap_or("");
    assert!(note.contains("2 provider-load failures (0x8007007e) ignored as noise"), "{note}");
    assert!(note.contains("4 follow-on error lines"), "{note}");
}

#[test]
fn api_add_package_not_applicable_is_an_install_failure() {
    let log = "2024-02-15 13:02:40, Info                  DISM   API: PID=4804 TID=1852 DismApi.dll: <----- Starting DismApi.dll session -----> - DismInitializeInternal\n\
2024-02-15 13:02:43, Error                 DISM   API: PID=4804 TID=1852 The package  is not applicable to the image.  - CAddPackageCommandObject::InternalExecute(hr:0x800f081e)\n";
    let file = from_text("api", log.as_bytes());
    assert_eq!(failures(&file), vec![(2, Action::InstallFailed, Some(0x800f081e))]);
    assert_eq!(file.events[1].client.as_deref(), Some("DismApi"));
    assert!(file.note.as_deref().unwrap_or("").contains("1 sessions without an end line"));
}

#[test]
fn garbage_and_empty_input_do_not_panic() {
    let empty = from_text("empty", b"");
    assert_eq!((empty.records, empty.events.len()), (0, 0));
    let mut junk: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    junk.extend_from_slice(b"\n2024-13-45 99:99:99, Error   DISM   DISM.EXE: HRESULT=\n, Error\n\xff\xfe PID=");
    junk.extend_from_slice(b"\n2024-02-15 13:02:43, Error                 DISM   DISM.EXE: Ending HRESULT=ZZZZ");
    let file = from_text("junk", &junk);
    assert!(file.records > 0);
    assert!(file.events.len() <= 2, "{:?}", file.events);
}

/// A DismApi session names the program that opened it (`Parent process command line:`): that line becomes a note
/// of its own, and every record of the session after it carries the program (written sample, Disk Cleanup).
#[test]
fn api_session_records_carry_the_program_that_opened_it() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/dism/cleanmgr-dismapi-session-error-probes-0x800f0805.log");
    let bundle = patchdx_formats::registry::open(&path, &Default::default()).expect("open sample");
    let file = patchdx_formats::dism::read(&bundle.entries[0]);
    let caller = r"C:\WINDOWS\system32\cleanmgr.exe /autoclean /d C:";
    let seen: Vec<(u64, Action, Option<&str>)> =
        file.events.iter().map(|e| (e.line.unwrap_or(0), e.action, e.caller())).collect();
    assert_eq!(
        seen,
        [
            (2, Action::SessionStarted, Some(caller)),
            (6, Action::Note, Some(caller)),
            (20, Action::Error, Some(caller)),
            (29, Action::SessionEnded, Some(caller)),
        ]
    );
    assert!(
        file.events[1].message.ends_with(&format!("Parent process command line: {caller} - DismInitializeInternal"))
    );
    assert_eq!((file.events[3].level, file.events[3].code), (Level::Error, Some(0x800f0805)));
}
