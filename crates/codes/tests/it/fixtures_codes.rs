//! Every failure code that appears in the shared log fixtures must be known, or be listed in
//! `data/unknown-codes.tsv` (value, first place seen). The list may only shrink: a listed value that becomes
//! known, or that no fixture contains any more, fails the test. Regenerate with PATCHDX_WRITE_UNKNOWN=1.

use patchdx_testkit::fixtures::fixtures_dir;
use regex::Regex;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const BINARY: &[&str] = &["evtx", "cab", "etl", "zip", "dmp"];

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() { walk(&path, out) } else { out.push(path) }
    }
}

/// UTF-16 (BOM or many zero bytes) or UTF-8/ANSI text.
fn decode_text(bytes: &[u8]) -> String {
    let utf16 = |le: bool, body: &[u8]| {
        let units: Vec<u16> = body
            .chunks_exact(2)
            .map(|c| if le { u16::from_le_bytes([c[0], c[1]]) } else { u16::from_be_bytes([c[0], c[1]]) })
            .collect();
        String::from_utf16_lossy(&units)
    };
    match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(true, rest),
        [0xFE, 0xFF, rest @ ..] => utf16(false, rest),
        _ => {
            let sample = &bytes[..bytes.len().min(4096)];
            let zeros_odd = sample.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
            let zeros_even = sample.iter().step_by(2).filter(|&&b| b == 0).count();
            if sample.len() >= 4 && zeros_odd * 3 > sample.len() / 2 {
                utf16(true, bytes)
            } else if sample.len() >= 4 && zeros_even * 3 > sample.len() / 2 {
                utf16(false, bytes)
            } else {
                String::from_utf8_lossy(bytes).into_owned()
            }
        }
    }
}

/// Failure codes in servicing spellings: `0x8…`/`0xC…` (also after `HRESULT = ` and `hr:`), `[8024000E]`,
/// and ReportingEvents' bare 8-hex column. Returns (value, line number).
fn codes_in(text: &str) -> Vec<(u32, usize)> {
    let prefixed = Regex::new(r"(?i)\b0x([0-9a-f]{8})\b").expect("regex");
    let bracketed = Regex::new(r"\[([0-9A-Fa-f]{8})\]").expect("regex");
    let column = Regex::new(r"(?:^|\t)([0-9A-Fa-f]{8})(?:\t|$)").expect("regex");
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        for re in [&prefixed, &bracketed, &column] {
            for caps in re.captures_iter(line) {
                if let Ok(value) = u32::from_str_radix(&caps[1], 16)
                    && patchdx_codes::is_failure(value)
                {
                    out.push((value, n + 1));
                }
            }
        }
    }
    out
}

#[test]
fn every_failure_code_in_the_fixtures_is_known_or_listed() {
    let Some(dir) = fixtures_dir() else { return };
    let mut files = Vec::new();
    walk(&dir, &mut files);
    let mut skipped = Vec::new();
    let mut unknown: BTreeMap<u32, String> = BTreeMap::new();
    let mut seen = std::collections::BTreeSet::new();
    for path in &files {
        let rel = path.strip_prefix(&dir).unwrap_or(path).to_string_lossy().replace('\\', "/");
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        if BINARY.contains(&ext.as_str()) {
            skipped.push(rel);
            continue;
        }
        let bytes = std::fs::read(path).expect("read fixture");
        for (value, line) in codes_in(&decode_text(&bytes)) {
            seen.insert(value);
            if patchdx_codes::lookup(value).is_none() {
                unknown.entry(value).or_insert_with(|| format!("{rel}:{line}"));
            }
        }
    }
    eprintln!("scanned {} text fixtures; skipped binary: {}", files.len() - skipped.len(), skipped.join(", "));

    let list_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/unknown-codes.tsv");
    if std::env::var_os("PATCHDX_WRITE_UNKNOWN").is_some() {
        let mut text = String::from(
            "# Failure codes seen in ../shared/fixtures that patchdx cannot name yet (value<TAB>first seen).\n\
             # This list may only shrink; see crates/codes/tests/fixtures_codes.rs.\n",
        );
        for (value, place) in &unknown {
            text.push_str(&format!("0x{value:08X}\t{place}\n"));
        }
        std::fs::write(&list_path, text).expect("write unknown-codes.tsv");
    }
    let listed: BTreeMap<u32, String> = std::fs::read_to_string(&list_path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (v, place) = l.split_once('\t').expect("value<TAB>place");
            (u32::from_str_radix(v.trim_start_matches("0x"), 16).expect("hex"), place.to_string())
        })
        .collect();

    let new: Vec<String> =
        unknown.iter().filter(|(v, _)| !listed.contains_key(v)).map(|(v, p)| format!("0x{v:08X} ({p})")).collect();
    assert!(new.is_empty(), "unknown failure codes in fixtures; add knowledge for them: {new:?}");
    let now_known: Vec<String> =
        listed.keys().filter(|v| patchdx_codes::lookup(**v).is_some()).map(|v| format!("0x{v:08X}")).collect();
    assert!(now_known.is_empty(), "now known, remove from unknown-codes.tsv: {now_known:?}");
    let stale: Vec<String> = listed.keys().filter(|v| !seen.contains(v)).map(|v| format!("0x{v:08X}")).collect();
    assert!(stale.is_empty(), "no longer in any fixture, remove from unknown-codes.tsv: {stale:?}");
}
