//! The same CBS failure, written in every encoding and container a customer's bundle can bring, must give
//! the identical diagnosis (guards encoding detection, decoding, archive expansion and line numbering).

use crate::common;
use common::*;
use patchdx_testkit::{lzx_cab, mszip_cab, zip_deflate};

const NAME: &str = "kb5014805-wu-install-store-corrupt-0x80073712.log";

fn original_text() -> String {
    let bytes = std::fs::read(sample(&format!("cbs/{NAME}"))).expect("sample exists");
    String::from_utf8(bytes).expect("sample is UTF-8").trim_start_matches('\u{feff}').to_string()
}

/// The diagnosis with file names removed, for comparison across containers.
fn fingerprint(path: &std::path::Path) -> (String, String) {
    let analysis = analyze(path);
    assert_eq!(analysis.verdict.exit_code, 1, "{}: {:#?}", path.display(), analysis.warnings);
    let finding = &analysis.findings[0];
    let mut value = serde_json::to_value(finding).expect("serialisable");
    strip_files(&mut value);
    let encoding = analysis.cbs.logs[0].encoding.clone().unwrap_or_default();
    (serde_json::to_string(&value).expect("json"), encoding)
}

fn strip_files(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.remove("file");
            map.values_mut().for_each(strip_files);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_files),
        _ => {}
    }
}

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let units = if bom {
        "\u{feff}".encode_utf16().chain(text.encode_utf16()).collect::<Vec<_>>()
    } else {
        text.encode_utf16().collect()
    };
    for unit in units {
        out.extend(if big_endian { unit.to_be_bytes() } else { unit.to_le_bytes() });
    }
    out
}

#[test]
fn same_failure_in_every_encoding_and_container_gives_the_same_diagnosis() {
    let text = original_text();
    let reference = fingerprint(&sample(&format!("cbs/{NAME}")));
    assert_eq!(reference.1, "UTF-8 (BOM)");
    let finding = &analyze(&sample(&format!("cbs/{NAME}"))).findings[0];
    assert_eq!(finding.kb.as_deref(), Some("KB5014805"));
    assert_eq!(finding.code.as_ref().map(|c| c.hex.as_str()), Some("0x80073712"));
    assert_eq!(finding.first_cause.line, 21);
    assert_eq!(finding.outcome.line, 37);

    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    let mut bom_utf8 = vec![0xEF, 0xBB, 0xBF];
    bom_utf8.extend_from_slice(text.as_bytes());
    let variants: Vec<(&str, Vec<u8>, &str)> = vec![
        ("utf8-no-bom.log", text.as_bytes().to_vec(), "UTF-8 (no BOM)"),
        ("utf8-bom.log", bom_utf8.clone(), "UTF-8 (BOM)"),
        ("utf16le-bom.log", utf16(&text, false, true), "UTF-16LE (BOM)"),
        ("utf16le-no-bom.log", utf16(&text, false, false), "UTF-16LE (no BOM)"),
        ("utf16be-bom.log", utf16(&text, true, true), "UTF-16BE (BOM)"),
        ("gbk.log", gbk.into_owned(), "GBK"),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, bytes, label) in &variants {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        let got = fingerprint(&path);
        assert_eq!(got.1, *label, "{name}");
        assert_eq!(got.0, reference.0, "{name} gives a different diagnosis");
    }
    let containers: Vec<(&str, Vec<u8>)> = vec![
        ("bundle.zip", zip_deflate(&[("Windows/Logs/CBS/CBS.log", &bom_utf8)])),
        (
            "CbsPersist_20220909080000.cab",
            mszip_cab(&[("CbsPersist_20220909080000.log", &bom_utf8)]).expect("mszip cab"),
        ),
        ("CbsPersist_20220909080001.cab", lzx_cab(&[("CbsPersist_20220909080001.log", &bom_utf8)])),
    ];
    for (name, bytes) in &containers {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        assert_eq!(fingerprint(&path).0, reference.0, "{name} gives a different diagnosis");
    }
    // Nested: the LZX cab inside a zip, as support tools package CBS folders.
    let nested = zip_deflate(&[("logs/CbsPersist_20220909080001.cab", &containers[2].1)]);
    let path = dir.path().join("nested.zip");
    std::fs::write(&path, nested).expect("write");
    let analysis = analyze(&path);
    assert_eq!(
        analysis.cbs.logs[0].path,
        "nested.zip!/logs/CbsPersist_20220909080001.cab!/CbsPersist_20220909080001.log"
    );
    assert_eq!(fingerprint(&path).0, reference.0);
}

#[test]
fn encoding_override_reads_gbk_text_the_detector_would_not_guess() {
    let text = original_text();
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("CBS.log");
    std::fs::write(&path, &gbk).expect("write");
    let options =
        patchdx_bundle::OpenOptions { encoding: patchdx_bundle::TextEncoding::from_label("gbk"), ..Default::default() };
    let bundle = patchdx_formats::registry::open(&path, &options).expect("open");
    assert_eq!(bundle.entries[0].encoding_evidence, Some(patchdx_bundle::EncodingEvidence::UserOverride));
    let analysis = patchdx_diagnose::analyze(&bundle, Default::default()).analysis;
    assert_eq!(analysis.findings[0].first_cause.line, 21);
}
