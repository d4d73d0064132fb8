//! The direct reader ([`super::fast`]) against the `evtx` crate on every record of every real event log in
//! `shared/fixtures/evtx/`: the fields the mapping reads must be the same whichever reader took them, and
//! a whole file must give the same events, counts and warnings.

use super::MAPPED_PROVIDERS;
use super::fast::walk_records;
use super::fields::{Fields, from_json};
use super::layout::{CHUNK_SIZE, HEADER_SIZE, Layout, Slot};
use ::evtx::{EvtxParser, ParserSettings};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Every .evtx fixture; `None` only when they are missing and skipped on purpose (the tests then return
/// before their totals, which would fail on no files at all).
fn fixtures() -> Option<Vec<PathBuf>> {
    let dir = patchdx_testkit::fixtures::fixture("evtx")?;
    let entries = std::fs::read_dir(&dir).expect("the evtx fixtures folder can be listed");
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    files.retain(|p| p.extension().is_some_and(|x| x == "evtx"));
    files.sort();
    assert!(files.len() >= 10, "expected the 10 evtx fixtures, found {}", files.len());
    Some(files)
}

/// Every record's fields as the crate renders them, by record id.
fn crate_fields(path: &Path) -> HashMap<u64, Fields> {
    let settings = ParserSettings::default().num_threads(1).indent(false);
    let Ok(parser) = EvtxParser::from_path(path) else { return HashMap::new() };
    let mut parser = parser.with_configuration(settings);
    parser
        .records_json_value()
        .filter_map(Result::ok)
        .map(|record| (record.event_record_id, from_json(&record.data)))
        .collect()
}

/// Every record's fields as the direct reader takes them, by record id; `None` when it leaves the file to
/// the crate.
fn fast_fields(path: &Path) -> Result<HashMap<u64, Result<Fields, String>>, String> {
    let layout = Layout::scan(path).map_err(|e| e.to_string())?;
    let data = std::fs::read(path).map_err(|e| e.to_string())?;
    let mut out = HashMap::new();
    for (number, slot) in layout.slots.iter().enumerate() {
        if !matches!(slot, Slot::Chunk { .. }) {
            continue;
        }
        let chunk =
            data.get(HEADER_SIZE + number * CHUNK_SIZE..HEADER_SIZE + (number + 1) * CHUNK_SIZE).ok_or("short")?;
        walk_records(chunk, |record, template, templates| {
            // Production resolves only mapped providers' records; here every record is tried, and one with a
            // form the reader leaves to the crate is kept as its reason.
            let fields =
                super::resolve::fields_of(chunk, &template.tree, &record.values, templates).map_err(str::to_string);
            out.insert(record.id, fields);
            Ok(())
        })
        .map_err(|why| format!("chunk {number}: {why}"))?;
    }
    Ok(out)
}

#[test]
fn direct_reader_takes_the_same_fields_as_the_crate_from_every_fixture_record() {
    let mut compared = 0;
    let mut declined = Vec::new();
    let mut unresolved: HashMap<String, u64> = HashMap::new();
    let Some(files) = fixtures() else { return };
    for path in files {
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let fast = match fast_fields(&path) {
            Ok(fast) => fast,
            Err(why) => {
                declined.push(format!("{name}: {why}"));
                continue;
            }
        };
        let slow = crate_fields(&path);
        assert_eq!(fast.len(), slow.len(), "{name}: record count");
        for (id, fields) in &slow {
            match fast.get(id) {
                Some(Ok(fast)) => {
                    assert_eq!(fast, fields, "{name}: record {id}");
                    compared += 1;
                }
                Some(Err(why)) => {
                    assert!(!MAPPED_PROVIDERS.contains(&fields.provider.as_str()), "{name}: record {id}: {why}");
                    *unresolved.entry(why.clone()).or_insert(0) += 1;
                }
                None => panic!("{name}: record {id} not read"),
            }
        }
    }
    eprintln!(
        "compared {compared} records; unmapped records left unresolved: {unresolved:?}; files left to the crate: {declined:?}"
    );
    assert!(compared > 1_000, "only {compared} records compared");
}

#[test]
fn both_readers_give_the_same_events_counts_and_warnings_for_every_fixture() {
    let Some(files) = fixtures() else { return };
    for path in files {
        let entry = patchdx_bundle::Entry {
            path: path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default(),
            disk_path: path.clone(),
            size: std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
            kind: patchdx_bundle::FileKind::Evtx,
            encoding: None,
            encoding_evidence: None,
        };
        let with_fast = super::read(&entry);
        let with_crate = super::read_with_crate(&entry);
        let name = path.display();
        assert_eq!(format!("{:?}", with_fast.events), format!("{:?}", with_crate.events), "{name}: events");
        assert_eq!(with_fast.records, with_crate.records, "{name}: records");
        assert_eq!(with_fast.source, with_crate.source, "{name}: source");
        assert_eq!(format!("{:?}", with_fast.warnings), format!("{:?}", with_crate.warnings), "{name}: warnings");
        assert_eq!(with_fast.note, with_crate.note, "{name}: note");
    }
}

/// Damaged chunks: bytes flipped anywhere in real chunks must make the direct reader decline (the crate then
/// reads the file) or read something, never panic or recurse without end. What it reads from a damaged
/// chunk is compared with what the crate reads from it: they differ where the crate refuses a record or
/// chunk that still parses (a few percent of the flipped chunks, printed), never on an undamaged one.
#[test]
fn direct_reader_survives_flipped_bytes_in_real_chunks() {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut declined, mut read, mut differ) = (0, 0, 0);
    let Some(files) = fixtures() else { return };
    for path in files {
        let Ok(data) = std::fs::read(&path) else { continue };
        let Some(original) = data.get(HEADER_SIZE..HEADER_SIZE + CHUNK_SIZE) else { continue };
        for _ in 0..150 {
            let mut chunk = original.to_vec();
            for _ in 0..1 + next() % 8 {
                let at = (next() % CHUNK_SIZE as u64) as usize;
                chunk[at] ^= (next() % 255 + 1) as u8;
            }
            let mut fast = HashMap::new();
            let outcome = walk_records(&chunk, |record, template, templates| {
                let fields = super::resolve::fields_of(&chunk, &template.tree, &record.values, templates)?;
                fast.insert(record.id, fields);
                Ok(())
            });
            if outcome.is_err() {
                declined += 1;
                continue;
            }
            read += 1;
            let settings = std::sync::Arc::new(ParserSettings::default().indent(false));
            let Ok(mut data) = ::evtx::EvtxChunkData::new(chunk.clone(), false) else {
                differ += 1;
                continue;
            };
            let Ok(mut parsed) = data.parse(settings) else {
                differ += 1;
                continue;
            };
            let slow: HashMap<u64, Fields> = parsed
                .iter()
                .filter_map(Result::ok)
                .filter_map(|r| r.into_json_value().ok())
                .map(|r| (r.event_record_id, from_json(&r.data)))
                .collect();
            differ += usize::from(slow != fast);
        }
    }
    eprintln!("flipped chunks: {read} read ({differ} not as the crate reads them), {declined} declined");
    assert!(declined > 0, "no flipped chunk was declined: the reader checks nothing");
}
