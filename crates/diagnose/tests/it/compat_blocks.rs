//! Class: a feature update that Windows Setup's compatibility scan stopped is "blocked before it started", named
//! by what blocked it (app, device, driver) with the block's record as first cause; soft blocks are listed, never
//! failures. Samples: a media upgrade to 22H2 that an incompatible VPN client stopped with 0xC1900208
//! (setupact.log and the CompatData report of its scan), and the real truncated appcompat.xml of sollo11.

use crate::common::*;

const RUN: &str = "panther/compat-scan-blocked-vpn-app-0xc1900208";
const REPORT: &str = "panther/compat-scan-blocked-vpn-app-0xc1900208/CompatData_2024_03_14_09_12_45_3_00000021.xml";
const APP: &str = "app \"Contoso VPN Client 4.2\" ({8c1e6a52-3f0d-4b7e-9a61-5d2f4c0b7e13})";

fn titles(analysis: &patchdx_diagnose::Analysis) -> Vec<&str> {
    analysis.findings.iter().map(|f| f.title.as_str()).collect()
}

fn block_items() -> [String; 3] {
    [
        format!(
            "hard block: {APP}: This app can't run on this version of Windows. Uninstall it, or install a version made for this version of Windows, before you upgrade."
        ),
        "soft block (not a failure: the upgrade can go on): device \"Realtek PCIe GbE Family Controller\" (PCI\\VEN_10EC&DEV_8168&SUBSYS_84321043&REV_09\\4&1B2C3D4E&0&00E5): The driver of this device is not compatible with this version of Windows. Windows will use its own driver; check the manufacturer's website for an updated one."
            .to_string(),
        "soft block (not a failure: the upgrade can go on): driver package \"oem12.inf\" will not be migrated (its binaries are not signed)"
            .to_string(),
    ]
}

#[test]
fn a_setup_run_stopped_by_a_compat_code_is_blocked_by_the_app_its_report_names() {
    let analysis = analyze(&sample(RUN));
    assert_eq!(
        titles(&analysis),
        [format!(
            "Feature update to build 10.0.22621.2428 blocked before it started by {APP} (0xC1900208 MOSETUP_E_COMPAT_INSTALLREQ_BLOCK)"
        )]
    );
    let f = &analysis.findings[0];
    assert_eq!(
        (f.first_cause.file.as_str(), f.first_cause.line),
        ("CompatData_2024_03_14_09_12_45_3_00000021.xml", 14)
    );
    assert!(f.first_cause.text.starts_with(&format!("compatibility hard block: {APP} (BlockingType=\"Hard\")")));
    assert_eq!((f.outcome.file.as_str(), f.outcome.line), ("setupact.log", 18));
    assert_eq!(f.code.as_ref().map(|c| c.hex.as_str()), Some("0xC1900208"));
    let mut items = vec!["started by setup.exe from installation media".to_string()];
    items.extend(block_items());
    assert_eq!(f.items, items);
    assert_eq!(local(f.local_time), "2024-03-14 09:12:58");
    let rules: Vec<&str> = f.diagnosis.iter().map(|d| d.rule.as_str()).collect();
    assert!(rules.contains(&"upgrade-compat-hard-block"), "{rules:?}");
    assert_eq!(analysis.verdict.exit_code, 1);
}

#[test]
fn a_compat_report_alone_with_a_hard_block_is_a_blocked_upgrade_and_soft_blocks_are_items() {
    let analysis = analyze(&sample(REPORT));
    assert_eq!(
        titles(&analysis),
        [format!("Windows Setup (feature update or upgrade) blocked before it started by {APP}")]
    );
    let f = &analysis.findings[0];
    assert_eq!((f.first_cause.line, f.outcome.line), (14, 14));
    assert!(f.code.is_none());
    assert_eq!(f.items, block_items());
    assert_eq!(f.diagnosis.first().map(|d| d.rule.as_str()), Some("upgrade-compat-hard-block"));
}

#[test]
fn soft_blocks_alone_are_no_failure() {
    let dir = tempfile::tempdir().expect("scratch");
    let text = std::fs::read_to_string(sample(REPORT)).expect("sample");
    let soft_only = text.replace("BlockingType=\"Hard\"", "BlockingType=\"None\"");
    std::fs::write(dir.path().join("CompatData_2024_03_14_09_12_45_3_00000021.xml"), soft_only).expect("write");
    let analysis = analyze(dir.path());
    assert!(analysis.findings.is_empty(), "{:?}", titles(&analysis));
    assert_eq!(analysis.verdict.exit_code, 0);
}

/// sollo11: the appcompat.xml of a Czech Windows 7 → 10 upgrade, cut after `<AppHead>`: the hard block it
/// holds is the finding (its Czech message quoted at line 6), and the file's truncation is said.
#[test]
fn sollo11_truncated_appcompat_is_a_blocked_upgrade_with_a_truncation_warning() {
    let Some(path) = fixture("panther/sollo11_win7-csCZ-to-win10_appcompat-HardBlock-UTF16.xml") else { return };
    let analysis = analyze(&path);
    assert_eq!(
        titles(&analysis),
        [
            "Windows Setup (feature update or upgrade) blocked before it started by a compatibility hard block the report does not name"
        ]
    );
    let f = &analysis.findings[0];
    assert_eq!(f.first_cause.line, 6);
    assert!(
        f.first_cause.text.contains("Systém Windows nelze upgradovat kvůli následujícím problémům"),
        "{}",
        f.first_cause.text
    );
    let warnings: Vec<&str> = analysis.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(
        warnings,
        [
            "the compatibility report is cut short: it ends inside <CompatReport><HardBlocks><AppHead> without closing them; the entries before the cut are read, any after it are lost"
        ]
    );
}

/// sollo11 with its diagwrn.xml: the hard block the cut report does not name is the restart setup requires
/// first, as setup's own reboot check logged it (diagwrn.xml line 78, `PendingFileRename=1`): the expert's reading.
#[test]
fn sollo11_hard_block_is_named_by_setups_reboot_check() {
    let Some(appcompat) = fixture("panther/sollo11_win7-csCZ-to-win10_appcompat-HardBlock-UTF16.xml") else { return };
    let Some(diagwrn) = fixture("panther/sollo11_win7-csCZ-to-win10_diagwrn-CheckRebootRequired-PendingFileRename.xml")
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("scratch");
    let panther = dir.path().join("$WINDOWS.~BT/Sources/Panther");
    std::fs::create_dir_all(&panther).expect("folders");
    std::fs::copy(&appcompat, panther.join("appcompat.xml")).expect("copy appcompat.xml");
    std::fs::copy(&diagwrn, panther.join("diagwrn.xml")).expect("copy diagwrn.xml");
    let analysis = analyze(dir.path());
    assert_eq!(
        titles(&analysis),
        [
            "Windows Setup (feature update or upgrade) blocked before it started by a pending reboot (setup's CheckRebootRequired: PendingFileRename=1, RunONce=0)"
        ]
    );
    let f = &analysis.findings[0];
    assert_eq!((f.first_cause.file.as_str(), f.first_cause.line), ("$WINDOWS.~BT/Sources/Panther/appcompat.xml", 6));
    let check = f.cascade.iter().find(|e| e.file.ends_with("diagwrn.xml")).expect("the reboot check in the cascade");
    assert_eq!(check.line, 78);
    assert_eq!(
        f.items.last().map(String::as_str),
        Some(
            "setup's own check names the hard block: CheckRebootRequired: Windows is required to reboot in order to start upgrade. (PendingFileRename=1, RunONce=0) ($WINDOWS.~BT/Sources/Panther/diagwrn.xml:78)"
        )
    );
}
