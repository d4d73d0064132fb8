//! SetupAPI's device-install log: the rollback's real `setupapi.dev.log`, whose first boot stopped inside two
//! sections, and a written log with a policy block, an unsigned package and a reboot-required success.

use patchdx_bundle::{FileKind, Severity};
use patchdx_formats::event::{Action, Level, SourceFile};
use patchdx_testkit::fixtures::fixture;
use std::path::{Path, PathBuf};

fn read(path: PathBuf) -> (FileKind, SourceFile) {
    let bundle = patchdx_formats::registry::open(&path, &Default::default()).expect("open");
    let entry = &bundle.entries[0];
    (entry.kind, patchdx_formats::read_source(entry).expect("a source reads it"))
}

fn errors(file: &SourceFile) -> Vec<(Option<u64>, Option<u32>, &str)> {
    file.events.iter().filter(|e| e.level == Level::Error).map(|e| (e.line, e.code, e.message.as_str())).collect()
}

#[test]
fn rollback_setupapi_log_names_the_two_sections_the_first_boot_stopped_in() {
    let Some(path) = fixture("other/baslr_Rollback_setupapi.dev.log") else { return };
    let (kind, file) = read(path);
    assert_eq!(kind, FileKind::SetupApiLog);
    assert_eq!(
        errors(&file),
        [
            (
                Some(21),
                None,
                "Sysprep Specialize {94105898-e6d3-5c5e-a7c5-32077ec3d4d4}: never finished (no exit status); last step: System Version: 1.0"
            ),
            (
                Some(1029),
                None,
                "Setup online Device Install (Hardware initiated) PCI\\VEN_8086&DEV_8C14&SUBSYS_72708086&REV_D5\\3&11583659&0&E2 with driver Intel(R) 8 Series/C220 Series PCI Express Root Port #3 - 8C14 (oem0.inf, lynxpointsystem.inf, 10/03/2016,10.1.1.38): never finished (no exit status); last step: Install Device: Restarting device."
            ),
        ]
    );
    let stopped = file.events.iter().find(|e| e.line == Some(1029)).expect("the device restart");
    assert_eq!(stopped.local.map(|t| t.to_string()).as_deref(), Some("2021-05-18 05:09:26.661"));
    let install = stopped.device_install().expect("a device install record");
    assert!(!install.finished && !install.waiting);
    assert_eq!(install.driver_version.as_deref(), Some("10/03/2016,10.1.1.38"));
    // The eight installs queued behind it are not errors of their own.
    let waiting = file.events.iter().filter(|e| e.level == Level::Warning && e.action == Action::Note).count();
    assert_eq!(waiting, 8);
    assert_eq!(
        file.note.as_deref(),
        Some(
            "25 device install section(s): 0 failed, 2 never finished (the log ends or the machine stopped during them), 8 waiting behind them"
        )
    );
    assert_eq!(file.warnings.len(), 1);
    assert_eq!(file.warnings[0].severity, Severity::Notice);
    assert!(file.warnings[0].message.starts_with("2 line(s) of binary bytes from line 1198"));
}

#[test]
fn written_setupapi_log_gives_each_failed_section_its_code_and_first_error() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../../tests/data/setupapi/setupapi.dev-policy-block-0xe0000248-unsigned-import-0xe0000247-reboot-required.log",
    );
    let (kind, file) = read(path);
    assert_eq!(kind, FileKind::SetupApiLog);
    assert_eq!(
        errors(&file),
        [
            (
                Some(36),
                Some(0x800F_0248),
                "Device Install (Hardware initiated) USB\\VID_046D&PID_C534\\5&BD89ED7&0&2: failed: pol: The device is explicitly restricted by the following policy settings:"
            ),
            (
                Some(53),
                Some(0x800F_0247),
                "SetupCopyOEMInf C:\\Drivers\\Contoso\\contosonet.inf: failed: sig: Driver package failed signature verification. Error = 0xE0000247"
            ),
        ]
    );
    let last = file.events.last().expect("events");
    assert_eq!(
        (last.action, last.line, last.code),
        (Action::Note, Some(63), None),
        "SUCCESS (REBOOT_REQUIRED) is no failure"
    );
    assert_eq!(file.events[0].action, Action::Boot);
    assert!(file.warnings.is_empty());
}
