//! SFC evidence: the real `[SR]` extract of a clean scan, and self-written console outputs (English UTF-16LE
//! with BOM, Simplified Chinese) and an extract with a file SFC cannot repair.

use patchdx_bundle::FileKind;
use patchdx_formats::event::{Action, Level, SourceFile};
use patchdx_formats::sfc::{SfcOutcome, SfcSummary};
use patchdx_testkit::fixtures::fixture;
use std::path::{Path, PathBuf};

fn read(path: PathBuf) -> (FileKind, SourceFile, SfcSummary) {
    let bundle = patchdx_formats::registry::open(&path, &Default::default()).expect("open");
    let entry = &bundle.entries[0];
    let (file, summary) = patchdx_formats::sfc::read_detailed(entry);
    (entry.kind, file, summary)
}

/// A sample written for these tests, kept in the repository's tests/data.
fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/sfc").join(name)
}

fn actions(file: &SourceFile) -> Vec<(Action, Level, Option<u64>)> {
    file.events.iter().map(|e| (e.action, e.level, e.line)).collect()
}

#[test]
fn clean_sfcdetails_extract_counts_every_verify_batch() {
    let Some(path) = fixture("sfc/EmmanuelTechDev_sfcdetails.txt") else { return };
    let (kind, file, summary) = read(path);
    assert_eq!(kind, FileKind::SfcDetails);
    assert_eq!((summary.verify_batches, summary.components_verified, summary.components_to_repair), (171, 17018, 0));
    assert!(summary.repaired.is_empty() && summary.cannot_repair.is_empty() && summary.hash_mismatches.is_empty());
    assert_eq!(summary.outcome, Some(SfcOutcome::Clean));
    assert_eq!(actions(&file), [(Action::RepairStarted, Level::Info, Some(1)), (Action::Note, Level::Info, Some(516))]);
    assert_eq!(file.events[1].message, "SFC found no integrity violations");
    assert_eq!(file.records, 516);
    assert_eq!(file.first_local.map(|t| t.to_string()).as_deref(), Some("2025-09-17 11:21:12"));
    assert_eq!(file.last_local.map(|t| t.to_string()).as_deref(), Some("2025-09-17 11:23:07"));
}

#[test]
fn sfcdetails_with_an_unrepairable_file_ends_in_repair_failed() {
    let (kind, file, summary) = read(sample("sfcdetails-wuaueng-cannot-repair-fveapi-repaired.txt"));
    assert_eq!(kind, FileKind::SfcDetails);
    assert_eq!((summary.verify_batches, summary.components_verified, summary.components_to_repair), (2, 157, 2));
    assert_eq!(summary.cannot_repair, ["wuaueng.dll", "wuaueng.dll"]);
    assert_eq!(summary.repaired, [r"C:\WINDOWS\System32\fveapi.dll", r"C:\WINDOWS\System32\fveapi.dll"]);
    assert_eq!(summary.outcome, Some(SfcOutcome::SomeUnrepaired));
    assert_eq!(
        actions(&file),
        [
            (Action::RepairStarted, Level::Info, Some(1)),
            (Action::RepairFailed, Level::Error, Some(3)),
            (Action::RepairSucceeded, Level::Info, Some(4)),
            (Action::RepairFailed, Level::Error, Some(11)),
            (Action::RepairSucceeded, Level::Info, Some(12)),
            (Action::RepairFailed, Level::Error, Some(13)),
        ]
    );
    assert_eq!(file.events[1].package.as_deref(), Some("Microsoft-Windows-WindowsUpdateClient-Core"));
    assert!(file.events[1].message.starts_with("SFC cannot repair wuaueng.dll"));
    assert_eq!(file.events[5].message, "SFC could not repair: wuaueng.dll");
}

#[test]
fn hash_mismatch_lines_are_corruption_found() {
    let text = "2021-06-21 13:43:58, Info                  CSI    000002ba [SR] Repairing 1 components\n\
                2021-06-21 13:43:59, Info                  CSI    000002bc Hashes for file member [l:8]'img0.jpg' do not match.\n\
                2021-06-21 13:43:59, Info                  CSI    000002bd [SR] Repairing file \\??\\C:\\WINDOWS\\Web\\Wallpaper\\Windows\\\\img0.jpg from store\n\
                2021-06-21 13:43:59, Info                  CSI    000002c4 [SR] Verify and Repair Transaction completed. All files and registry keys listed in this transaction  have been successfully repaired\n";
    let (file, summary) = patchdx_formats::sfc::parse_text("CBS.log", text);
    assert_eq!(summary.hash_mismatches, ["img0.jpg"]);
    let found = &file.events[0];
    assert_eq!((found.action, found.line), (Action::CorruptionFound, Some(2)));
    // No `[SR] Verifying` start line: the outcome comes from the transaction line alone.
    assert_eq!(summary.outcome, None);
}

#[test]
fn english_console_output_in_utf16le_with_bom_repaired() {
    let (kind, file, summary) = read(sample("sfc-scannow-en-repaired-utf16le-bom.txt"));
    assert_eq!(kind, FileKind::SfcOutput);
    assert_eq!(summary.verification_percent, Some(100));
    assert_eq!(summary.outcome, Some(SfcOutcome::Repaired));
    assert_eq!(
        actions(&file),
        [(Action::RepairStarted, Level::Info, Some(2)), (Action::RepairSucceeded, Level::Info, Some(7))]
    );
    assert_eq!(file.first_local, None);
}

#[test]
fn chinese_console_output_unable_to_fix_some() {
    let (kind, file, summary) = read(sample("sfc-scannow-zh-cn-unable-to-fix-some.txt"));
    assert_eq!(kind, FileKind::SfcOutput);
    assert_eq!((summary.verification_percent, summary.outcome), (Some(100), Some(SfcOutcome::SomeUnrepaired)));
    assert_eq!(
        actions(&file),
        [(Action::RepairStarted, Level::Info, Some(2)), (Action::RepairFailed, Level::Error, Some(7))]
    );
}

#[test]
fn localised_verdicts_are_recognised() {
    let cases = [
        ("Windows 资源保护未找到任何完整性冲突。", SfcOutcome::Clean),
        ("Windows 资源保护找到了损坏文件并成功修复了它们。", SfcOutcome::Repaired),
        ("Windows 资源保护无法执行请求的操作。", SfcOutcome::CouldNotRun),
        ("Der Windows-Ressourcenschutz hat keine Integritätsverletzungen gefunden.", SfcOutcome::Clean),
        ("Windows Resource Protection did not find any integrity violations.", SfcOutcome::Clean),
        ("Windows Resource Protection could not perform the requested operation.", SfcOutcome::CouldNotRun),
        (
            "There is a system repair pending which requires reboot to complete.  Restart Windows and run sfc again.",
            SfcOutcome::RebootPending,
        ),
    ];
    for (line, outcome) in cases {
        let (_, summary) = patchdx_formats::sfc::parse_text("sfc.txt", line);
        assert_eq!(summary.outcome, Some(outcome), "{line}");
    }
}

#[test]
fn interrupted_console_scan_is_a_warning() {
    let text = "\r\n开始系统扫描。此过程将需要一些时间。\r\n\r\n开始系统扫描的验证阶段。\r\n验证 5% 已完成。\r验证 42% 已完成。\r\n";
    let (file, summary) = patchdx_formats::sfc::parse_text("sfc.txt", text);
    assert_eq!((summary.verification_percent, summary.outcome), (Some(42), None));
    let last = file.events.last().expect("warning");
    assert_eq!((last.action, last.level), (Action::Warning, Level::Warning));
    assert!(last.message.contains("42%"));
}
