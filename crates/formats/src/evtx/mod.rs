//! Windows event logs (.evtx): Setup.evtx (servicing package changes, WUSA), System.evtx (Windows Update
//! client results, boots and shutdowns), Application.evtx (WER reports of servicing and update failures)
//! and the Windows Update client's Operational log, put on the UTC timeline.
//!
//! A whole log is read by [`fast`], which takes each record's provider and channel straight from its template
//! and values and resolves only the records of the providers [`map`] reads; a damaged log, or one with a
//! record shape [`fast`] does not handle, is read by the `evtx` crate instead.
//!
//! The crate skips chunks it cannot read without saying so (a cut-off last chunk, zeroed chunks), so the
//! file's header and chunk slots are also read here ([`layout`]) and every loss becomes a warning: a
//! customer's copy of a live log is often truncated, and a missing chunk can be the one with the failure.
//!
//! The direct reader's modules depend one way: [`fast`] walks the records and uses [`resolve`] for the
//! records it keeps; both take a chunk's templates from [`template`], which reads them with [`binxml`].

mod binxml;
mod fast;
#[cfg(test)]
mod fast_parity;
mod fields;
mod layout;
mod map;
mod resolve;
mod template;
mod values;

use crate::event::{Confidence, Event, OffsetInference, Source, SourceFile};
use crate::time::CivilTime;
use ::evtx::err::EvtxError;
use ::evtx::{EvtxChunkData, EvtxParser, EvtxRecord, ParserSettings};
use layout::{Layout, Yield};
use patchdx_bundle::{Entry, FileKind, Severity, Warning};
use std::fs::File;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

/// Windows event logs (.evtx), recognised by their `ElfFile` signature when the bundle is opened.
pub struct EvtxSource;

impl crate::source::EvidenceSource for EvtxSource {
    fn name(&self) -> &'static str {
        "evtx"
    }

    fn kinds(&self) -> &'static [FileKind] {
        &[FileKind::Evtx]
    }

    fn sources(&self) -> &'static [Source] {
        &[
            Source::SetupEvtx,
            Source::SystemEvtx,
            Source::ApplicationEvtx,
            Source::WindowsUpdateClientEvtx,
            Source::OtherEvtx,
        ]
    }

    fn time_basis(&self) -> crate::source::TimeBasis {
        crate::source::TimeBasis::Utc
    }

    fn read(&self, entry: &Entry) -> SourceFile {
        read(entry)
    }
}

/// Timestamps outside these years are not a clock that was wrong but a record that was never finished or
/// was damaged: a zero FILETIME reads as 1601-01-01.
const SANE_FROM_MILLIS: i64 = 315_532_800_000; // 1980-01-01
const SANE_UNTIL_MILLIS: i64 = 7_258_118_400_000; // 2200-01-01

/// Reads one .evtx file into events. Never fails: what cannot be read becomes a warning on the result.
pub fn read(entry: &Entry) -> SourceFile {
    read_using(entry, true)
}

/// [`read`] with the `evtx` crate alone, to compare the direct reader against.
#[cfg(test)]
fn read_with_crate(entry: &Entry) -> SourceFile {
    read_using(entry, false)
}

/// `direct`: try the direct reader ([`fast`]) first; the crate reads what it leaves.
fn read_using(entry: &Entry, direct: bool) -> SourceFile {
    let mut file = SourceFile::new(&entry.path, source_from_name(entry.file_name()));
    file.offset = OffsetInference::known(0, "evtx timestamps are UTC", Confidence::High);
    let layout = match Layout::scan(&entry.disk_path) {
        Ok(layout) => layout,
        Err(why) => {
            file.warnings.push(warning(entry, Severity::Unreadable, format!("this .evtx file {why}")));
            return file;
        }
    };
    // The direct reader gives up on what it does not handle, and a bug in it (a panic) also leaves the file
    // to the crate rather than costing it.
    let by_direct_reader = || {
        let opened = File::open(&entry.disk_path).ok()?;
        catch_unwind(AssertUnwindSafe(|| fast::parse(&entry.path, &opened, &layout))).ok()?.ok()
    };
    if let Some(parsed) = direct.then(by_direct_reader).flatten() {
        return finish(entry, file, &layout, parsed);
    }
    // The parser works on untrusted bytes in worker threads; a bug there must cost this file, not the run.
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut parsed = parse(entry)?;
        if let Some(bytes) = &layout.cut_off {
            for item in salvage(bytes, &entry.path) {
                parsed.read.recovered += 1;
                parsed.add(Ok(item));
            }
        }
        Ok::<_, EvtxError>(parsed)
    }));
    let parsed = match outcome {
        Ok(Ok(parsed)) => parsed,
        Ok(Err(error)) => {
            let message = format!("the event log could not be opened: {}", error_text(&error));
            file.warnings.push(warning(entry, Severity::Unreadable, message));
            return file;
        }
        Err(_) => {
            let message = "the event log parser crashed on this file; nothing was read from it".to_string();
            file.warnings.push(warning(entry, Severity::Unreadable, message));
            return file;
        }
    };
    finish(entry, file, &layout, parsed)
}

/// The file's records, events and warnings from what was parsed.
fn finish(entry: &Entry, mut file: SourceFile, layout: &Layout, parsed: Parsed) -> SourceFile {
    file.records = parsed.read.records;
    if let Some(source) = parsed.majority_source() {
        file.source = source;
    }
    file.events = parsed.events;
    file.identity = parsed.identity;
    for event in &mut file.events {
        event.source = file.source;
    }

    let damage = layout.damage(&parsed.read);
    if let Some(message) = &damage {
        file.warnings.push(warning(entry, Severity::Damaged, message.clone()));
    }
    if parsed.record_errors > 0 {
        let message = format!(
            "{} could not be parsed and skipped (first error: {})",
            plural(parsed.record_errors, "record"),
            parsed.first_error.as_deref().unwrap_or("unknown")
        );
        file.warnings.push(warning(entry, Severity::Damaged, message));
    }
    if parsed.bad_times > 0 {
        let message = format!(
            "{} with an impossible timestamp (such as 1601-01-01, a zero FILETIME) kept without a time",
            plural(parsed.bad_times, "record")
        );
        file.warnings.push(warning(entry, Severity::Notice, message));
    }
    if file.records == 0 && damage.is_none() && parsed.record_errors == 0 {
        file.warnings.push(warning(entry, Severity::Notice, "the event log holds no records".to_string()));
    }
    file.note = Some(format!(
        "{}: {} kept, {} of other providers or event ids ignored",
        plural(file.records, "record"),
        plural(file.events.len() as u64, "event"),
        plural(parsed.ignored, "record")
    ));
    file
}

/// The source a file's name suggests: only used when it has no record to tell by its channel.
fn source_from_name(name: &str) -> Source {
    let name = name.to_ascii_lowercase();
    if name.contains("windowsupdateclient") {
        Source::WindowsUpdateClientEvtx
    } else if name.contains("application") {
        Source::ApplicationEvtx
    } else if name.contains("system") {
        Source::SystemEvtx
    } else if name.contains("setup") {
        Source::SetupEvtx
    } else {
        Source::OtherEvtx
    }
}

fn source_from_channel(channel: &str) -> Source {
    match channel {
        "Setup" => Source::SetupEvtx,
        "System" => Source::SystemEvtx,
        "Application" => Source::ApplicationEvtx,
        "Microsoft-Windows-WindowsUpdateClient/Operational" => Source::WindowsUpdateClientEvtx,
        _ => Source::OtherEvtx,
    }
}

/// `1 record`, `2 records`.
pub(crate) fn plural(count: u64, noun: &str) -> String {
    if count == 1 { format!("1 {noun}") } else { format!("{count} {noun}s") }
}

fn warning(entry: &Entry, severity: Severity, message: String) -> Warning {
    Warning { path: entry.path.clone(), severity, message }
}

/// The error and its causes on one line (the crate's top-level messages alone say little).
fn error_text(error: &EvtxError) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// What one record turned into, built in the parser's worker threads.
struct Item {
    /// The first record id of the record's chunk, to tell which chunks yielded records.
    chunk_first: u64,
    /// The source its channel names; None for a record passed over without rendering.
    source: Option<Source>,
    bad_time: bool,
    event: Option<Event>,
    /// The machine name of the first record of a chunk, with that record's id.
    computer: Option<(String, u64)>,
}

#[derive(Default)]
struct Parsed {
    events: Vec<Event>,
    read: Yield,
    by_source: Vec<(Source, u64)>,
    bad_times: u64,
    ignored: u64,
    record_errors: u64,
    first_error: Option<String>,
    identity: crate::identity::Identity,
}

impl Parsed {
    /// The source most records' channel names.
    fn majority_source(&self) -> Option<Source> {
        self.by_source.iter().max_by_key(|(_, count)| *count).map(|(source, _)| *source)
    }

    /// Adds what a later part of the same file held.
    fn merge(&mut self, mut later: Parsed) {
        self.events.append(&mut later.events);
        self.read.records += later.read.records;
        self.read.recovered += later.read.recovered;
        for (chunk, records) in later.read.records_by_chunk {
            *self.read.records_by_chunk.entry(chunk).or_default() += records;
        }
        self.read.failed_chunks.extend(later.read.failed_chunks);
        for (source, count) in later.by_source {
            match self.by_source.iter_mut().find(|(s, _)| *s == source) {
                Some((_, total)) => *total += count,
                None => self.by_source.push((source, count)),
            }
        }
        self.bad_times += later.bad_times;
        self.ignored += later.ignored;
        self.record_errors += later.record_errors;
        if self.first_error.is_none() {
            self.first_error = later.first_error;
        }
        self.identity.extend(&later.identity);
    }

    /// Counts one record (or one failure to read one) and keeps its event.
    fn add(&mut self, item: Result<Item, EvtxError>) {
        match item {
            Ok(item) => {
                self.read.records += 1;
                *self.read.records_by_chunk.entry(item.chunk_first).or_default() += 1;
                if let Some(source) = item.source {
                    match self.by_source.iter_mut().find(|(s, _)| *s == source) {
                        Some((_, count)) => *count += 1,
                        None => self.by_source.push((source, 1)),
                    }
                }
                self.bad_times += u64::from(item.bad_time);
                if let Some((name, record)) = &item.computer {
                    self.identity.add_host(name, 0, Some(*record));
                }
                match item.event {
                    Some(event) => self.events.push(event),
                    None => self.ignored += 1,
                }
            }
            Err(EvtxError::FailedToParseChunk { chunk_id, .. }) => {
                self.read.failed_chunks.insert(chunk_id);
            }
            Err(error) => {
                self.record_errors += 1;
                if self.first_error.is_none() {
                    self.first_error = Some(error_text(&error));
                }
            }
        }
    }
}

fn parse(entry: &Entry) -> Result<Parsed, EvtxError> {
    let settings = ParserSettings::default().num_threads(0).indent(false);
    let mut parser = EvtxParser::from_read_seek(File::open(&entry.disk_path)?)?.with_configuration(settings);
    let path = entry.path.clone();
    let records = parser.serialized_records(move |record| item(record?, &path));

    let mut parsed = Parsed::default();
    for item in records {
        parsed.add(item);
    }
    Ok(parsed)
}

/// What one record means.
/// Providers `map::to_event` turns into events (the mapping ignores every other provider).
const MAPPED_PROVIDERS: &[&str] = &[
    "Microsoft-Windows-Servicing",
    "Microsoft-Windows-WUSA",
    "Microsoft-Windows-WindowsUpdateClient",
    "Windows Error Reporting",
    "Microsoft-Windows-Kernel-General",
    "Microsoft-Windows-Kernel-Boot",
    "Microsoft-Windows-Kernel-Power",
    "EventLog",
    "User32",
];

/// The provider `Name` of a rendered record (`"Provider": {"#attributes": {"Name": "…"`).
fn quick_provider(json: &str) -> Option<&str> {
    let at = json.find("\"Provider\"")?;
    let rest = &json[at..];
    let name = rest.find("\"Name\"")? + "\"Name\"".len();
    let rest = rest[name..].trim_start().strip_prefix(':')?.trim_start().strip_prefix('"')?;
    rest.split('"').next()
}

/// The `"Channel": "System"` value of a rendered record.
fn quick_channel(json: &str) -> Option<&str> {
    quick_text(json, "\"Channel\"")
}

/// A `"Key": "value"` string of a rendered record's header.
fn quick_text<'j>(json: &'j str, key: &str) -> Option<&'j str> {
    let at = json.find(key)? + key.len();
    let rest = json[at..].trim_start().strip_prefix(':')?.trim_start().strip_prefix('"')?;
    rest.split('"').next()
}

fn item(record: EvtxRecord<'_>, path: &str) -> Result<Item, EvtxError> {
    let chunk_first = record.chunk.header.first_event_record_id;
    let id = record.event_record_id;
    let millis = record.timestamp.as_millisecond();
    let utc = (SANE_FROM_MILLIS..SANE_UNTIL_MILLIS).contains(&millis).then(|| CivilTime::from_millis(millis));
    let json = record.into_json()?;
    let computer =
        (id == chunk_first).then(|| quick_text(&json.data, "\"Computer\"").map(|c| (c.to_string(), id))).flatten();
    // Most records of a System log come from providers the mapping ignores; building a JSON value for each
    // of them was most of the time spent. Only their channel is needed, and that is read off the text.
    if !quick_provider(&json.data).is_some_and(|p| MAPPED_PROVIDERS.contains(&p)) {
        let channel = quick_channel(&json.data).unwrap_or_default();
        return Ok(Item {
            chunk_first,
            source: Some(source_from_channel(channel)),
            bad_time: utc.is_none(),
            event: None,
            computer,
        });
    }
    let value: serde_json::Value =
        serde_json::from_str(&json.data).map_err(|e| EvtxError::from(::evtx::err::SerializationError::from(e)))?;
    let fields = fields::from_json(&value);
    let event = map::to_event(&fields, path).map(|mut event| {
        event.record = Some(id);
        event.utc = utc;
        event
    });
    Ok(Item {
        chunk_first,
        source: Some(source_from_channel(&fields.channel)),
        bad_time: utc.is_none(),
        event,
        computer,
    })
}

/// The records that lie wholly before the cut of a cut-off last chunk. The crate drops such a chunk whole,
/// yet in a copy of a live log it holds the newest records, those closest to when the problem was seen.
/// The missing part is filled with zeros, and only records that end before the cut are kept: one cut in
/// half could otherwise render from zeros.
fn salvage(bytes: &[u8], path: &str) -> Vec<Item> {
    let cut = bytes.len() as u64;
    let mut data = bytes.to_vec();
    data.resize(layout::CHUNK_SIZE, 0);
    let Ok(mut chunk_data) = EvtxChunkData::new(data, false) else {
        return Vec::new();
    };
    let settings = Arc::new(ParserSettings::default().indent(false));
    let Ok(mut chunk) = chunk_data.parse(settings) else {
        return Vec::new();
    };
    chunk
        .iter()
        .filter_map(Result::ok)
        // The record's data, then the 4-byte copy of its size that closes it.
        .filter(|record| record.binxml_offset.saturating_add(u64::from(record.binxml_size) + 4) <= cut)
        .filter_map(|record| item(record, path).ok())
        .collect()
}

#[cfg(test)]
mod tests;
