//! The same CBS log in every text encoding Windows machines produce, as a plain file and inside a ZIP, an MSZIP
//! cab and an LZX cab: each copy is recognised as a CBS log, its encoding is named, and it decodes to exactly
//! the same UTF-8 text.

use patchdx_bundle::{Bundle, EncodingEvidence, Entry, FileKind, OpenOptions, TextEncoding};
use patchdx_testkit::{lzx_cab, mszip_cab, zip_deflate};

/// A CBS log of a failed update on a Chinese Windows (one message line in Chinese).
const SAMPLE_ZH: &str = "2022-10-12 11:10:05, Info                  CBS    TI: --- Initializing Trusted Installer ---\r\n\
2022-10-12 11:10:05, Info                  CBS    TI: Last boot time: 2022-10-12 11:02:13.500\r\n\
2022-10-12 11:10:05, Info                  CBS    Starting TrustedInstaller initialization.\r\n\
2022-10-12 11:10:05, Info                  CBS    Loaded Servicing Stack v10.0.19041.2180 with Core: C:\\Windows\\winsxs\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.19041.2180_none_7e0f3d1b4a5b2f2f\\cbscore.dll\r\n\
2022-10-12 11:10:06, Info                  CBS    Session: 31000123_1234567890 initialized by client WindowsUpdateAgent, external staging directory: (null), external registry directory: (null)\r\n\
2022-10-12 11:10:07, Info                  CSI    00000001@2022/10/12:03:10:07.123 WcpInitialize: wcp.dll version 0.0.0.6 (bootstrap)\r\n\
2022-10-12 11:10:09, Info                  CBS    Exec: 会话已完成，组件存储已损坏，需要修复。请稍后重试安装更新程序包。\r\n\
2022-10-12 11:10:10, Error                 CBS    Failed to pin deployment while resolving Update: Package_for_KB5018410~31bf3856ad364e35~amd64~~19041.2130.1.8 [HRESULT = 0x80073712 - ERROR_SXS_COMPONENT_STORE_CORRUPT]\r\n\
2022-10-12 11:10:10, Info                  CBS    Failed to execute execution package: Package_for_KB5018410~31bf3856ad364e35~amd64~~19041.2130.1.8 [HRESULT = 0x80073712 - ERROR_SXS_COMPONENT_STORE_CORRUPT]\r\n\
2022-10-12 11:10:11, Info                  CBS    TI: CBS has signalled that it will be shutting down\r\n";

/// The same log on a Traditional-Chinese Windows (Taiwan, Hong Kong), whose ANSI code page is Big5 (CP950): the
/// message line in Traditional Chinese and a package in the user's download folder.
const SAMPLE_ZH_TW: &str = "2022-10-12 11:10:05, Info                  CBS    TI: --- Initializing Trusted Installer ---\r\n\
2022-10-12 11:10:05, Info                  CBS    Starting TrustedInstaller initialization.\r\n\
2022-10-12 11:10:06, Info                  CBS    Session: 31000123_1234567890 initialized by client DISM Package Manager Provider, external staging directory: (null), external registry directory: (null)\r\n\
2022-10-12 11:10:07, Info                  CBS    Exec: Processing package from C:\\Users\\陳大文\\下載\\windows10.0-kb5018410-x64.msu\r\n\
2022-10-12 11:10:09, Info                  CBS    Exec: 工作階段已完成，元件存放區已損毀，需要修復。請稍後重試安裝更新套件。\r\n\
2022-10-12 11:10:10, Error                 CBS    Failed to pin deployment while resolving Update: Package_for_KB5018410~31bf3856ad364e35~amd64~~19041.2130.1.8 [HRESULT = 0x80073712 - ERROR_SXS_COMPONENT_STORE_CORRUPT]\r\n\
2022-10-12 11:10:11, Info                  CBS    TI: CBS has signalled that it will be shutting down\r\n";

/// The same log on a French Windows with a user name that has an accent (Windows-1252 text).
const SAMPLE_FR: &str = "2022-10-12 11:10:05, Info                  CBS    TI: --- Initializing Trusted Installer ---\r\n\
2022-10-12 11:10:05, Info                  CBS    Starting TrustedInstaller initialization.\r\n\
2022-10-12 11:10:06, Info                  CBS    Session: 31000123_1234567890 initialized by client DISM Package Manager Provider, external staging directory: (null), external registry directory: (null)\r\n\
2022-10-12 11:10:07, Info                  CBS    Exec: Opération demandée par C:\\Users\\Frédéric\\Desktop\\windows10.0-kb5018410-x64.msu, mise à jour préparée\r\n\
2022-10-12 11:10:10, Error                 CBS    Failed to pin deployment while resolving Update: Package_for_KB5018410~31bf3856ad364e35~amd64~~19041.2130.1.8 [HRESULT = 0x80073712 - ERROR_SXS_COMPONENT_STORE_CORRUPT]\r\n\
2022-10-12 11:10:11, Info                  CBS    TI: CBS has signalled that it will be shutting down\r\n";

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice(if big_endian { &[0xFE, 0xFF] } else { &[0xFF, 0xFE] });
    }
    for unit in text.encode_utf16() {
        out.extend_from_slice(&if big_endian { unit.to_be_bytes() } else { unit.to_le_bytes() });
    }
    out
}

fn legacy(text: &str, encoding: &'static encoding_rs::Encoding) -> Vec<u8> {
    let (bytes, used, unmappable) = encoding.encode(text);
    assert_eq!(used, encoding);
    assert!(!unmappable, "sample is representable in {}", encoding.name());
    bytes.into_owned()
}

/// Where each copy of the log is listed.
const CONTAINERS: [&str; 4] = ["CBS.log", "logs.zip!/Logs/CBS/CBS.log", "mszip.cab!/CBS.log", "lzx.cab!/CBS.log"];

/// A folder holding `bytes` as a plain CBS.log, in a ZIP, in an MSZIP cab and in an LZX cab.
fn every_container(bytes: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::write(root.join("CBS.log"), bytes).expect("write");
    std::fs::write(root.join("logs.zip"), zip_deflate(&[("Logs/CBS/CBS.log", bytes)])).expect("write");
    std::fs::write(root.join("mszip.cab"), mszip_cab(&[("CBS.log", bytes)]).expect("mszip cab")).expect("write");
    std::fs::write(root.join("lzx.cab"), lzx_cab(&[("CBS.log", bytes)])).expect("write");
    dir
}

fn entry<'a>(bundle: &'a Bundle, path: &str) -> &'a Entry {
    bundle.entries.iter().find(|e| e.path == path).unwrap_or_else(|| {
        panic!("no entry {path:?}; entries: {:?}", bundle.entries.iter().map(|e| &e.path).collect::<Vec<_>>())
    })
}

fn read_text(entry: &Entry) -> String {
    let mut reader = entry.chunks().expect("open entry");
    let mut text = Vec::new();
    while let Some(chunk) = reader.next_chunk().expect("read chunk") {
        assert!(chunk.cut_lines.is_empty());
        text.extend_from_slice(chunk.text());
    }
    String::from_utf8(text).unwrap_or_else(|e| panic!("{} did not decode to UTF-8: {e}", entry.path))
}

/// Every copy is a CBS log in `label` (decided by `evidence`) and reads back as `expected`.
fn check(bytes: &[u8], options: &OpenOptions, label: &str, evidence: EncodingEvidence, expected: &str) {
    let dir = every_container(bytes);
    let bundle = patchdx_formats::registry::open(dir.path(), options).expect("open");
    assert!(bundle.warnings.is_empty(), "{label}: {:#?}", bundle.warnings);
    assert_eq!(bundle.entries.len(), 7, "3 archives and 4 logs: {:#?}", bundle.entries);
    for path in CONTAINERS {
        let e = entry(&bundle, path);
        assert_eq!(e.kind, FileKind::Cbs, "{path} in {label}");
        assert_eq!(e.encoding.map(TextEncoding::label).as_deref(), Some(label), "{path}");
        assert_eq!(e.encoding_evidence, Some(evidence), "{path} in {label}");
        assert_eq!(e.size, bytes.len() as u64, "{path} in {label}");
        assert!(e.shape_warning().is_none(), "{path} in {label}");
        assert_eq!(read_text(e), expected, "{path} in {label}");
    }
}

fn detect(bytes: &[u8], label: &str, evidence: EncodingEvidence, expected: &str) {
    check(bytes, &OpenOptions::default(), label, evidence, expected);
}

#[test]
fn utf8_log_is_read_in_every_container() {
    // CBS.log as Windows 10/11 write it: UTF-8 without a BOM.
    detect(SAMPLE_ZH.as_bytes(), "UTF-8 (no BOM)", EncodingEvidence::ValidUtf8, SAMPLE_ZH);
}

#[test]
fn utf8_bom_is_stripped_in_every_container() {
    // A log re-saved by Notepad or a PowerShell collector as "UTF-8 with BOM".
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(SAMPLE_ZH.as_bytes());
    detect(&bytes, "UTF-8 (BOM)", EncodingEvidence::ByteOrderMark, SAMPLE_ZH);
}

#[test]
fn utf16le_bom_log_is_decoded_in_every_container() {
    // A log exported with PowerShell 5 `Out-File` / `>` (UTF-16LE with BOM).
    detect(&utf16(SAMPLE_ZH, false, true), "UTF-16LE (BOM)", EncodingEvidence::ByteOrderMark, SAMPLE_ZH);
}

#[test]
fn utf16le_without_bom_is_recognised_by_zero_bytes_in_every_container() {
    // A UTF-16LE log whose BOM was lost (copied out of the middle of a file, or written by a tool without one).
    detect(&utf16(SAMPLE_ZH, false, false), "UTF-16LE (no BOM)", EncodingEvidence::ZeroBytePattern, SAMPLE_ZH);
}

#[test]
fn utf16be_bom_log_is_decoded_in_every_container() {
    // A big-endian UTF-16 log (rare; written by some cross-platform collectors).
    detect(&utf16(SAMPLE_ZH, true, true), "UTF-16BE (BOM)", EncodingEvidence::ByteOrderMark, SAMPLE_ZH);
}

#[test]
fn utf16be_without_bom_is_recognised_by_zero_bytes_in_every_container() {
    // A big-endian UTF-16 log without a BOM.
    detect(&utf16(SAMPLE_ZH, true, false), "UTF-16BE (no BOM)", EncodingEvidence::ZeroBytePattern, SAMPLE_ZH);
}

#[test]
fn gbk_log_is_not_taken_for_utf8_in_every_container() {
    // An older CBS.log from a Chinese Windows, written in the ANSI code page (GBK / CP936).
    detect(&legacy(SAMPLE_ZH, encoding_rs::GBK), "GBK", EncodingEvidence::StatisticalGuess, SAMPLE_ZH);
}

#[test]
fn big5_log_is_read_as_big5_not_gbk_in_every_container() {
    // The same kind of log from a Traditional-Chinese Windows (Big5 / CP950): its bytes are valid GBK too.
    let bytes = legacy(SAMPLE_ZH_TW, encoding_rs::BIG5);
    assert!(encoding_rs::GBK.decode_without_bom_handling_and_without_replacement(&bytes).is_some());
    detect(&bytes, "Big5", EncodingEvidence::StatisticalGuess, SAMPLE_ZH_TW);
}

#[test]
fn windows1252_log_is_not_taken_for_utf8_in_every_container() {
    // A log from a Western-European Windows in the ANSI code page (a user name with an accent).
    detect(
        &legacy(SAMPLE_FR, encoding_rs::WINDOWS_1252),
        "windows-1252",
        EncodingEvidence::StatisticalGuess,
        SAMPLE_FR,
    );
}

#[test]
fn encoding_override_decodes_gbk_in_every_container() {
    // `--encoding gbk` for a log whose only non-ASCII text (a user name) is too short for detection to get right.
    let text = "2022-10-12 11:10:05, Info                  CBS    TI: --- Initializing Trusted Installer ---\r\n\
2022-10-12 11:10:07, Info                  CBS    Exec: Installing package from C:\\Users\\王芳\\Desktop\\windows10.0-kb5018410-x64.msu\r\n\
2022-10-12 11:10:10, Error                 CBS    Failed to pin deployment while resolving Update: Package_for_KB5018410~31bf3856ad364e35~amd64~~19041.2130.1.8 [HRESULT = 0x80073712 - ERROR_SXS_COMPONENT_STORE_CORRUPT]\r\n";
    let bytes = legacy(text, encoding_rs::GBK);
    let (guess, _) = patchdx_bundle::detect::detect_encoding(&bytes);
    assert_ne!(guess, TextEncoding::Legacy(encoding_rs::GBK), "without the override this text is mis-detected");
    let gbk = TextEncoding::from_label("gbk");
    assert_eq!(gbk, Some(TextEncoding::Legacy(encoding_rs::GBK)));
    let options = OpenOptions { encoding: gbk, ..Default::default() };
    check(&bytes, &options, "GBK", EncodingEvidence::UserOverride, text);
    // The full sample too.
    check(&legacy(SAMPLE_ZH, encoding_rs::GBK), &options, "GBK", EncodingEvidence::UserOverride, SAMPLE_ZH);
}

#[test]
fn every_encoding_of_the_sample_decodes_to_the_same_text() {
    // Several copies of one log in different encodings within one bundle (plain files side by side).
    let copies: Vec<(&str, Vec<u8>)> = vec![
        ("utf8.log", SAMPLE_ZH.as_bytes().to_vec()),
        ("utf8bom.log", [&[0xEF, 0xBB, 0xBF][..], SAMPLE_ZH.as_bytes()].concat()),
        ("utf16le.log", utf16(SAMPLE_ZH, false, true)),
        ("utf16le-nobom.log", utf16(SAMPLE_ZH, false, false)),
        ("utf16be.log", utf16(SAMPLE_ZH, true, true)),
        ("gbk.log", legacy(SAMPLE_ZH, encoding_rs::GBK)),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, bytes) in &copies {
        std::fs::write(dir.path().join(name), bytes).expect("write");
    }
    let bundle = patchdx_formats::registry::open(dir.path(), &OpenOptions::default()).expect("open");
    assert!(bundle.warnings.is_empty(), "{:#?}", bundle.warnings);
    for (name, _) in &copies {
        let e = entry(&bundle, name);
        assert_eq!(e.kind, FileKind::Cbs, "{name}");
        assert_eq!(read_text(e), SAMPLE_ZH, "{name}");
    }
}
