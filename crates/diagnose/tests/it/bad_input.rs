//! Damaged and hostile input beside a real failure: every bad file gets its own warning, the failure is still
//! diagnosed, and the exit code says some input could not be read (2 wins over 1).

use crate::common;
use common::*;
use patchdx_bundle::Severity;
use patchdx_testkit::{lzx_cab, raw_zip_entry_named, zip_deflate};

#[test]
fn each_bad_file_warns_and_the_rest_of_the_bundle_is_still_diagnosed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("bundle");
    std::fs::create_dir(&root).expect("mkdir");
    let good = std::fs::read(sample("cbs/kb5014805-wu-install-store-corrupt-0x80073712.log")).expect("sample");
    std::fs::write(root.join("CBS.log"), &good).expect("write");

    // A CbsPersist cab cut off in transfer.
    let quiet: Vec<u8> = (0..4000)
        .flat_map(|i| {
            format!(
                "2022-09-01 10:{:02}:{:02}, Info                  CBS    Perf: Doq: State data, index {i}\r\n",
                i / 60 % 60,
                i % 60
            )
            .into_bytes()
        })
        .collect();
    let cab = lzx_cab(&[("CbsPersist_20220901000000.log", &quiet)]);
    std::fs::write(root.join("CbsPersist_20220901000000.cab"), &cab[..cab.len() / 2]).expect("write");
    // An empty setuperr.log (normal) and an empty CbsPersist log (copy went wrong).
    std::fs::write(root.join("setuperr.log"), b"").expect("write");
    std::fs::write(root.join("CbsPersist_20220902000000.log"), b"").expect("write");
    // UTF-16 with an odd byte count: truncated mid-character.
    let mut utf16: Vec<u8> = vec![0xFF, 0xFE];
    utf16.extend(
        "2022-09-02 10:00:00, Info                  CBS    TI: --- Initializing Trusted Installer ---\r\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    utf16.push(0x32);
    std::fs::write(root.join("CbsPersist_20220903000000.log"), &utf16).expect("write");
    // A 10 MB line inside an otherwise valid CBS log.
    let mut long =
        b"2022-09-04 10:00:00, Info                  CBS    TI: --- Initializing Trusted Installer ---\r\n".to_vec();
    long.extend(std::iter::repeat_n(b'A', 10 * 1024 * 1024));
    long.extend_from_slice(
        b"\r\n2022-09-04 10:00:01, Info                  CBS    Starting TrustedInstaller initialization.\r\n",
    );
    std::fs::write(root.join("CbsPersist_20220904000000.log"), &long).expect("write");
    // Path traversal inside a zip.
    std::fs::write(root.join("evil.zip"), raw_zip_entry_named("../../escaped.log", &good)).expect("write");
    // A zip bomb: 40 MiB of zeros that compress to a few KiB.
    let zeros = vec![0u8; 40 << 20];
    std::fs::write(root.join("bomb.zip"), zip_deflate(&[("CBS.log", &zeros)])).expect("write");

    let analysis = analyze(&root);
    let warning = |path: &str| {
        analysis
            .warnings
            .iter()
            .find(|w| w.path == path)
            .unwrap_or_else(|| panic!("no warning for {path}: {:#?}", analysis.warnings))
    };
    assert!(warning("CbsPersist_20220901000000.cab!/CbsPersist_20220901000000.log").severity >= Severity::Damaged);
    assert_eq!(warning("setuperr.log").severity, Severity::Notice);
    assert!(warning("setuperr.log").message.contains("empty file"));
    assert_eq!(warning("CbsPersist_20220902000000.log").severity, Severity::Notice);
    let odd = warning("CbsPersist_20220903000000.log");
    assert_eq!(odd.severity, Severity::Damaged);
    assert!(odd.message.contains("odd number of bytes"), "{}", odd.message);
    // 10 MiB of text plus the CR of its CRLF.
    let cut = warning("CbsPersist_20220904000000.log");
    assert_eq!(cut.message, "line 2 is 10485761 bytes long; only its first 64 KiB were read");
    let escaped = warning("evil.zip!/../../escaped.log");
    assert_eq!(escaped.severity, Severity::Unreadable);
    assert!(escaped.message.contains("outside the archive"));
    assert!(!dir.path().join("escaped.log").exists() && !root.join("escaped.log").exists());
    let bomb = warning("bomb.zip!/CBS.log");
    assert!(bomb.message.contains("zip bomb"), "{}", bomb.message);

    // The real failure is still found, exactly.
    let failures = failed(&analysis);
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].kb.as_deref(), Some("KB5014805"));
    assert_eq!(failures[0].first_cause.file, "CBS.log");
    assert_eq!(failures[0].first_cause.line, 21);
    // The file after the 10 MB line is still read to its end.
    let long_log = analysis.cbs.logs.iter().find(|l| l.path == "CbsPersist_20220904000000.log").expect("long log read");
    assert_eq!(long_log.lines, 3);
    assert_eq!(long_log.last.map(|l| l.line), Some(3));
    assert_eq!(analysis.verdict.exit_code, 2, "unreadable input wins over a diagnosed failure");
}
