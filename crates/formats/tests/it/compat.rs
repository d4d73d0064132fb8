//! Windows Setup's compatibility results: a written CompatData report (a hard-blocked app, a soft-blocked
//! network device and a driver package setup will not migrate) and the real, truncated UTF-16 `appcompat.xml`
//! of a Windows 7 → 10 upgrade (sollo11).

use patchdx_bundle::{FileKind, Severity};
use patchdx_formats::event::{Level, SourceFile};
use patchdx_formats::record::{BlockLevel, CompatSubject};
use patchdx_testkit::fixtures::fixture;
use std::path::{Path, PathBuf};

const SAMPLE: &str = "compat-scan-blocked-vpn-app-0xc1900208/CompatData_2024_03_14_09_12_45_3_00000021.xml";

fn read(path: PathBuf) -> (FileKind, SourceFile) {
    let bundle = patchdx_formats::registry::open(&path, &Default::default()).expect("open");
    let entry = &bundle.entries[0];
    (entry.kind, patchdx_formats::read_source(entry).expect("a source reads it"))
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/panther").join(SAMPLE)
}

#[test]
fn compatdata_gives_each_block_with_what_it_names_and_its_line() {
    let (kind, file) = read(sample());
    assert_eq!(kind, FileKind::SetupCompatReport);
    assert!(file.warnings.is_empty(), "{:?}", file.warnings);
    let events: Vec<(Option<u64>, Level, &str)> =
        file.events.iter().map(|e| (e.line, e.level, e.message.as_str())).collect();
    assert_eq!(
        events,
        [
            (
                Some(5),
                Level::Warning,
                "compatibility soft block: device \"Realtek PCIe GbE Family Controller\" (PCI\\VEN_10EC&DEV_8168&SUBSYS_84321043&REV_09\\4&1B2C3D4E&0&00E5) (BlockingType=\"Soft\"): The driver of this device is not compatible with this version of Windows. Windows will use its own driver; check the manufacturer's website for an updated one."
            ),
            (
                Some(10),
                Level::Warning,
                "compatibility soft block: driver package \"oem12.inf\" (BlockMigration=\"True\", HasSignedBinaries=\"False\": setup will not migrate it)"
            ),
            (
                Some(14),
                Level::Error,
                "compatibility hard block: app \"Contoso VPN Client 4.2\" ({8c1e6a52-3f0d-4b7e-9a61-5d2f4c0b7e13}) (BlockingType=\"Hard\"): This app can't run on this version of Windows. Uninstall it, or install a version made for this version of Windows, before you upgrade. [setup offers: Dismiss]"
            ),
        ]
    );
    // The typed record: what the diagnosis names the block by.
    let app = file.events[2].compat_block().expect("a compat block");
    assert_eq!((app.level, app.subject), (BlockLevel::Hard, CompatSubject::Program));
    assert_eq!(app.name.as_deref(), Some("Contoso VPN Client 4.2"));
    assert_eq!(app.id.as_deref(), Some("{8c1e6a52-3f0d-4b7e-9a61-5d2f4c0b7e13}"));
    assert_eq!(app.action.as_deref(), Some("Dismiss"));
    assert_eq!(app.link.as_deref(), Some("https://go.microsoft.com/fwlink/?LinkId=2311650"));
    let device = file.events[0].compat_block().expect("a compat block");
    assert_eq!((device.level, device.subject), (BlockLevel::Soft, CompatSubject::Device));
    assert_eq!(device.class.as_deref(), Some("Net"));
    let driver = file.events[1].compat_block().expect("a compat block");
    assert_eq!(
        (driver.subject, driver.inf.as_deref(), driver.signed),
        (CompatSubject::DriverPackage, Some("oem12.inf"), Some(false))
    );
    // The scan's time comes from the file name; the driver package that migrates blocks nothing.
    assert!(file.events.iter().all(|e| e.local.map(|t| t.to_string()).as_deref() == Some("2024-03-14 09:12:45")));
    assert_eq!(file.records, 4);
    assert_eq!(
        file.note.as_deref(),
        Some(
            "Windows Setup compatibility report: 1 hard block(s), 2 soft block(s), 1 entr(ies) that block nothing; time taken from the file name"
        )
    );
}

/// sollo11: a Czech Windows 7 machine's `appcompat.xml` (UTF-16LE), cut after `<AppHead>`: a clear warning for
/// the file, and the hard block it still holds, quoted at the line of its message.
#[test]
fn truncated_utf16_appcompat_warns_and_keeps_its_hard_block() {
    let Some(path) = fixture("panther/sollo11_win7-csCZ-to-win10_appcompat-HardBlock-UTF16.xml") else { return };
    let (kind, file) = read(path);
    assert_eq!(kind, FileKind::SetupCompatReport);
    assert_eq!(file.warnings.len(), 1, "{:?}", file.warnings);
    assert_eq!(file.warnings[0].severity, Severity::Damaged);
    assert_eq!(
        file.warnings[0].message,
        "the compatibility report is cut short: it ends inside <CompatReport><HardBlocks><AppHead> without closing them; the entries before the cut are read, any after it are lost"
    );
    assert_eq!(file.events.len(), 1);
    let e = &file.events[0];
    assert_eq!((e.line, e.level), (Some(6), Level::Error));
    assert_eq!(
        e.message,
        "compatibility hard block: compatibility issue (the file is cut before it names the entries): Systém Windows nelze upgradovat kvůli následujícím problémům. Zrušte upgrade, dokončete jednotlivé úlohy a poté upgrade restartujte."
    );
    assert_eq!(e.compat_block().map(|b| (b.level, b.subject)), Some((BlockLevel::Hard, CompatSubject::Unnamed)));
    assert!(e.local.is_none());
}
