//! CBS.log and its rotated CbsPersist_*.log pieces: typed events with file and line, the time range each piece
//! covers, and the piece's UTC offset as inferred from CSI's own UTC stamps.

pub mod history;
pub mod line;
mod scan;
pub mod source;
pub(crate) mod sr;

#[doc(hidden)]
pub use scan::{
    ENGINE_VARIABLE, PORTABLE_ORDER, TRIGGER_GROUPS, UnknownEngine, engine_asked_for, engine_name, scan_chunk_summary,
    trigger_scanner,
};

/// Scans UTF-8 CBS text held in memory as one chunk; returns (lines, events kept). For benchmarks, which must
/// time the scan without the reading around it.
#[doc(hidden)]
pub fn scan_text(text: &[u8]) -> (u64, usize) {
    let scanned = scan::scan_chunk(0, text, &[]);
    (scanned.newlines, scanned.events.len())
}
pub mod timeline;

pub use crate::record::{CbsLog, OffsetSegment, Stamped, offset_at};
pub use line::{CbsEventKind, Level};

use crate::event::{Confidence, OffsetInference, Source, SourceFile};
use crate::record::to_utc;
use crate::time::CivilTime;
use patchdx_bundle::{Entry, FileKind, Severity, Warning};
use scan::Scanned;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

/// A local-minus-UTC measurement taken from one line.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct OffsetSample {
    pub line: u64,
    pub offset_seconds: i64,
    pub source: &'static str,
    /// Lines that gave this offset: this one and the ones after it that were not kept as samples of their own.
    pub observations: usize,
}

/// Parses `CbsPersist_20221012031005` out of a file name.
pub fn name_stamp(file_name: &str) -> Option<CivilTime> {
    let at = file_name.find("CbsPersist_")? + "CbsPersist_".len();
    let digits = file_name.get(at..at + 14)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| digits[r].parse::<u32>().ok();
    CivilTime::from_parts(n(0..4)? as i32, n(4..6)?, n(6..8)?, n(8..10)?, n(10..12)?, n(12..14)?, 0)
}

fn empty_file(entry: &Entry) -> SourceFile {
    let mut file = SourceFile::new(&entry.path, Source::Cbs);
    file.warnings.extend(entry.shape_warning());
    file.cbs = Some(Box::new(CbsLog {
        path: entry.path.clone(),
        kind: entry.kind,
        encoding: entry.encoding.map(|e| e.label()),
        lines: 0,
        first: None,
        last: None,
        name_stamp_utc: name_stamp(entry.file_name()),
        offsets: Vec::new(),
        routine_failure_lines: 0,
        content_key: 0,
        duplicate_of: None,
    }));
    file
}

/// Reads one CBS file (or SFC extract). Problems become warnings on the result; this never fails.
pub fn read(entry: &Entry) -> SourceFile {
    read_all(&[entry]).pop().unwrap_or_else(|| empty_file(entry))
}

/// Large UTF-8 files are split into ranges of this size so that every core scans part of them.
const RANGE_BYTES: u64 = 32 << 20;

/// One unit of work: the lines starting in a byte range of a file (the whole file when `end` is `None`).
struct WorkItem {
    file: usize,
    range: usize,
    start: u64,
    end: Option<u64>,
}

fn plan(entries: &[&Entry], range_bytes: u64) -> Vec<WorkItem> {
    let mut items = Vec::new();
    for (file, entry) in entries.iter().enumerate() {
        let splittable = matches!(entry.encoding, Some(patchdx_bundle::TextEncoding::Utf8 { .. }))
            && entry.size > range_bytes * 3 / 2;
        if !splittable {
            items.push(WorkItem { file, range: 0, start: 0, end: None });
            continue;
        }
        let mut start = 0;
        let mut range = 0;
        while start < entry.size {
            let end = (start + range_bytes).min(entry.size);
            items.push(WorkItem { file, range, start, end: Some(end) });
            start = end;
            range += 1;
        }
    }
    // Largest first, so that no core is left with one big file at the end.
    items.sort_by_key(|i| std::cmp::Reverse(i.end.map_or(entries[i.file].size, |e| e - i.start)));
    items
}

/// Scans one work item with one reusable buffer. Errors become warnings.
fn scan_item(entry: &Entry, item: &WorkItem, buffer: &mut Vec<u8>) -> (Vec<scan::ChunkScan>, Option<Warning>) {
    let mut scans = Vec::new();
    let warning = |severity, message: String| Some(Warning { path: entry.path.clone(), severity, message });
    macro_rules! drain {
        ($reader:expr) => {{
            let mut reader = $reader;
            loop {
                match reader.next_chunk_with(std::mem::take(buffer)) {
                    Ok(Some(chunk)) => {
                        let mut scanned = scan::scan_chunk(chunk.index, chunk.text(), &chunk.cut_lines);
                        scanned.index |= item.range << 32;
                        scans.push(scanned);
                        *buffer = chunk.into_buffer();
                    }
                    Ok(None) => return (scans, None),
                    Err(err) => {
                        let message = format!(
                            "read failed after {} bytes ({err}); the rest of the file is not analysed",
                            item.start + reader.raw_bytes_read()
                        );
                        return (scans, warning(Severity::Damaged, message));
                    }
                }
            }
        }};
    }
    match item.end {
        None => match entry.chunks() {
            Ok(reader) => drain!(reader),
            Err(err) => (scans, warning(Severity::Unreadable, format!("cannot open: {err}"))),
        },
        Some(end) => match entry.chunks_in_range(item.start, end) {
            Ok(reader) => drain!(reader),
            Err(err) => (scans, warning(Severity::Unreadable, format!("cannot open: {err}"))),
        },
    }
}

/// Reads many CBS files on every core: each worker takes the next file (or 32 MiB range of a large UTF-8
/// file), reads and scans it with one reused buffer, so memory stays flat whatever the input size. Each file
/// is finished (merged, pruned, checked for being a copy of another) as soon as all its parts are scanned.
pub fn read_all(entries: &[&Entry]) -> Vec<SourceFile> {
    read_all_in_ranges(entries, RANGE_BYTES)
}

/// [`read_all`] with another range size (tests use small ranges to check that splitting changes nothing).
#[doc(hidden)]
pub fn read_all_in_ranges(entries: &[&Entry], range_bytes: u64) -> Vec<SourceFile> {
    let items = plan(entries, range_bytes.max(1));
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8).min(items.len().max(1));
    let mut files = FilesInProgress::new(entries, &items);
    let (work_tx, work_rx) = crossbeam_channel::unbounded::<WorkItem>();
    for item in items {
        // The receiver is alive: this cannot fail.
        let _ = work_tx.send(item);
    }
    drop(work_tx);
    let (done_tx, done_rx) = crossbeam_channel::unbounded::<ScannedItem>();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let (work, done) = (work_rx.clone(), done_tx.clone());
            scope.spawn(move || scan_worker(entries, work, done));
        }
        drop(done_tx);
        for scanned in &done_rx {
            files.receive(scanned);
        }
    });
    let FilesInProgress { mut logs, kept, offsets, .. } = files;
    for ((log, kept), offsets) in logs.iter_mut().zip(kept).zip(offsets) {
        let path = log.path.clone();
        log.events = kept
            .into_iter()
            .map(|s| {
                let utc = s.local.and_then(|t| to_utc(&offsets, s.line, t));
                timeline::event(s, &path, utc)
            })
            .collect();
        describe_file(log);
    }
    logs
}

/// What a worker sends back for one work item: the file it belongs to, its scanned chunks, and what went wrong.
type ScannedItem = (usize, Vec<scan::ChunkScan>, Option<Warning>);

/// One worker: scans the work items it takes, one after another, with one reused buffer.
fn scan_worker(
    entries: &[&Entry],
    work: crossbeam_channel::Receiver<WorkItem>,
    done: crossbeam_channel::Sender<ScannedItem>,
) {
    let mut buffer = Vec::new();
    for item in work {
        let entry = entries[item.file];
        // A scanning bug costs the part of the file it hit, said as a warning, never the worker and the other
        // files it would scan.
        let scanned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| scan_item(entry, &item, &mut buffer)));
        let (scans, warning) = scanned.unwrap_or_else(|_| {
            buffer = Vec::new();
            let message = format!(
                "scanning bytes {}.. of this file failed (internal error); that part is not analysed",
                item.start
            );
            (Vec::new(), Some(Warning { path: entry.path.clone(), severity: Severity::Unreadable, message }))
        });
        // The receiver outlives the workers.
        let _ = done.send((item.file, scans, warning));
    }
}

/// The files being read: the scanned parts of each until all have come back, and the content seen so far.
struct FilesInProgress {
    logs: Vec<SourceFile>,
    per_file: Vec<Vec<scan::ChunkScan>>,
    /// The lines each finished file keeps (none for copies of another file), made into events at the end.
    kept: Vec<Vec<Scanned>>,
    /// Each finished file's UTC offsets, line by line.
    offsets: Vec<Vec<OffsetSegment>>,
    /// Work items of each file not scanned yet.
    outstanding: Vec<usize>,
    seen_content: HashMap<u64, usize>,
}

impl FilesInProgress {
    fn new(entries: &[&Entry], items: &[WorkItem]) -> Self {
        let mut outstanding = vec![0usize; entries.len()];
        for item in items {
            outstanding[item.file] += 1;
        }
        FilesInProgress {
            logs: entries.iter().map(|e| empty_file(e)).collect(),
            per_file: entries.iter().map(|_| Vec::new()).collect(),
            kept: entries.iter().map(|_| Vec::new()).collect(),
            offsets: entries.iter().map(|_| Vec::new()).collect(),
            outstanding,
            seen_content: HashMap::new(),
        }
    }

    /// Takes one scanned work item; finishes its file once that was the last one outstanding, so that a file's
    /// chunks are merged and freed while other files are still being scanned.
    fn receive(&mut self, (file, scans, warning): ScannedItem) {
        self.per_file[file].extend(scans);
        self.logs[file].warnings.extend(warning);
        self.outstanding[file] -= 1;
        if self.outstanding[file] == 0 {
            self.finish(file);
        }
    }

    /// Merges a file's chunks in file order, drops failure lines no result needs, and sets the file aside as a
    /// copy when another file has the same content.
    fn finish(&mut self, file: usize) {
        let mut scans = std::mem::take(&mut self.per_file[file]);
        scans.sort_by_key(|s| s.index);
        let log = &mut self.logs[file];
        let mut kept = merge(log, scans);
        prune_unused_failures(&mut kept);
        let key = content_key(log, &kept);
        meta(log).content_key = key;
        self.offsets[file] = meta(log).offsets.clone();
        self.kept[file] = kept;
        // A copy of a file already read keeps its summary, not its events a second time. The file listed first
        // stays the original whichever finishes scanning first, so the output does not vary.
        match self.seen_content.get(&key).copied() {
            Some(other) if other < file => self.set_aside_as_copy(file, other),
            Some(other) => {
                self.set_aside_as_copy(other, file);
                self.seen_content.insert(key, file);
            }
            None => {
                self.seen_content.insert(key, file);
            }
        }
    }

    fn set_aside_as_copy(&mut self, copy: usize, original: usize) {
        meta(&mut self.logs[copy]).duplicate_of = Some(original);
        self.kept[copy] = Vec::new();
    }
}

/// The CBS facts of a file read here (every file of this reader has them).
fn meta(file: &mut SourceFile) -> &mut CbsLog {
    file.cbs.get_or_insert_with(|| {
        Box::new(CbsLog {
            path: file.path.clone(),
            kind: FileKind::Cbs,
            encoding: None,
            lines: 0,
            first: None,
            last: None,
            name_stamp_utc: None,
            offsets: Vec::new(),
            routine_failure_lines: 0,
            content_key: 0,
            duplicate_of: None,
        })
    })
}

/// The file's summary on the timeline: lines read, span, and the UTC offset with how it was found.
fn describe_file(file: &mut SourceFile) {
    let Some(log) = file.cbs.as_deref() else { return };
    file.records = log.lines;
    file.first_local = log.first.map(|f| f.local);
    file.last_local = log.last.map(|l| l.local);
    file.offset = match log.offsets.as_slice() {
        [] => OffsetInference::unknown(),
        [one] => OffsetInference::known(
            one.offset_seconds,
            format!("{} ({} samples)", one.source, one.samples),
            Confidence::High,
        ),
        many => OffsetInference::known(
            many[many.len() - 1].offset_seconds,
            format!(
                "{}; the offset changes {} times in the file, each line uses its own",
                many[0].source,
                many.len() - 1
            ),
            Confidence::High,
        ),
    };
}

/// Failure lines at Info level matter only as links of a chain that ends in a failed result with the same
/// code (an operation's, or an advanced installer's); drop those whose code no failed result in the file carries.
fn prune_unused_failures(kept: &mut Vec<Scanned>) {
    let outcome_codes: HashSet<u32> = kept
        .iter()
        .filter(|s| {
            matches!(
                s.record.kind,
                CbsEventKind::ExecComplete { .. }
                    | CbsEventKind::SessionFinalized { .. }
                    | CbsEventKind::FailedOperation
                    | CbsEventKind::WerReport { .. }
                    | CbsEventKind::StartupComplete
                    | CbsEventKind::OperationResult
                    | CbsEventKind::InstallerStatus
                    | CbsEventKind::InstallerFailed { .. }
                    | CbsEventKind::InstallerSummary { .. }
            )
        })
        .filter_map(|s| s.code)
        .filter(|c| patchdx_codes::is_failure(*c))
        .collect();
    kept.retain(|s| {
        s.record.kind != CbsEventKind::Failure
            || s.record.level == Level::Error
            || s.code.is_some_and(|c| outcome_codes.contains(&c))
    });
    kept.shrink_to_fit();
}

/// Identifies a file's content by what was read from it (line count, range, every kept record).
fn content_key(file: &SourceFile, kept: &[Scanned]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    if let Some(log) = file.cbs.as_deref() {
        log.lines.hash(&mut hasher);
        log.first.map(|f| (f.line, f.local)).hash(&mut hasher);
        log.last.map(|l| (l.line, l.local)).hash(&mut hasher);
    }
    for scanned in kept {
        scanned.line.hash(&mut hasher);
        scanned.text.hash(&mut hasher);
        scanned.code.hash(&mut hasher);
    }
    hasher.finish()
}

/// Puts a file's chunks together: line numbers and times of the kept lines, span, offsets; returns the kept lines.
fn merge(file: &mut SourceFile, scans: Vec<scan::ChunkScan>) -> Vec<Scanned> {
    let mut base = 0u64;
    let mut last_time: Option<CivilTime> = None;
    let mut samples: Vec<OffsetSample> = Vec::new();
    let mut ends_with_newline = true;
    let (mut first, mut last, mut benign) = (None, None, 0);
    let mut kept = Vec::with_capacity(scans.iter().map(|s| s.events.len()).sum());
    for scan in scans {
        for (line, len) in &scan.cut_lines {
            file.warnings.push(Warning {
                path: file.path.clone(),
                severity: Severity::Damaged,
                message: format!("line {} is {} bytes long; only its first 64 KiB were read", base + line + 1, len),
            });
        }
        if first.is_none()
            && let Some((line, local)) = scan.first_stamp
        {
            first = Some(Stamped { line: base + line + 1, local, utc: None });
        }
        if let Some((line, local)) = scan.last_stamp {
            last = Some(Stamped { line: base + line + 1, local, utc: None });
        }
        for mut scanned in scan.events {
            scanned.line += base + 1;
            if scanned.local.is_none() {
                scanned.local = last_time;
            }
            kept.push(scanned);
        }
        samples.extend(scan.offsets.into_iter().map(|mut s| {
            s.line += base + 1;
            s
        }));
        benign += scan.benign;
        if let Some((_, t)) = scan.last_stamp {
            last_time = Some(t);
        }
        base += scan.newlines;
        ends_with_newline = scan.ends_with_newline;
    }
    let offsets = segments(&samples);
    for stamp in [first.as_mut(), last.as_mut()].into_iter().flatten() {
        stamp.utc = to_utc(&offsets, stamp.line, stamp.local);
    }
    let log = meta(file);
    log.lines = base + u64::from(!ends_with_newline);
    log.first = first;
    log.last = last;
    log.routine_failure_lines += benign;
    log.offsets = offsets;
    link_installers(&mut kept);
    kept
}

/// Gives the lines of each advanced installer's block the installer's name. A block is a begin line, its
/// continuation lines (the name among them), the installer's own lines, then an end line and the completion
/// status; the queue's failure and summary rows name the installer themselves.
fn link_installers(kept: &mut [Scanned]) {
    let mut begin: Option<usize> = None;
    let mut name: Option<String> = None;
    let mut ended: Option<String> = None;
    for i in 0..kept.len() {
        match &kept[i].record.kind {
            CbsEventKind::InstallerBegin { .. } => {
                begin = Some(i);
                name = None;
            }
            CbsEventKind::InstallerName { name: named } => {
                name = Some(named.clone());
                for line in &mut kept[begin.unwrap_or(i)..=i] {
                    line.installer.clone_from(&name);
                }
            }
            CbsEventKind::InstallerEnd { .. } => {
                kept[i].installer = name.take();
                ended.clone_from(&kept[i].installer);
                begin = None;
            }
            CbsEventKind::InstallerStatus => kept[i].installer.clone_from(&ended),
            CbsEventKind::InstallerFailed { installer } | CbsEventKind::InstallerSummary { installer, .. } => {
                kept[i].installer = Some(installer.clone());
            }
            _ if begin.is_some() => kept[i].installer.clone_from(&name),
            _ => {}
        }
    }
}

/// Collapses offset samples into segments of constant offset.
fn segments(samples: &[OffsetSample]) -> Vec<OffsetSegment> {
    let mut out: Vec<OffsetSegment> = Vec::new();
    for sample in samples {
        match out.last_mut() {
            Some(seg) if seg.offset_seconds == sample.offset_seconds => seg.samples += sample.observations,
            _ => out.push(OffsetSegment {
                from_line: sample.line,
                offset_seconds: sample.offset_seconds,
                samples: sample.observations,
                source: sample.source,
            }),
        }
    }
    out
}
