//! CBS.log and its rotated CbsPersist_*.log pieces: typed events with file and line, the time range each piece
//! covers, and the piece's UTC offset as inferred from CSI's own UTC stamps.

pub mod history;
pub mod line;
mod scan;

pub use line::{CbsEventKind, Level};

use crate::time::CivilTime;
use patchdx_bundle::{Entry, FileKind, Severity, Warning};
use serde::Serialize;

/// One line of a CBS log that matters for diagnosis.
#[derive(Debug, Clone, Serialize)]
pub struct CbsEvent {
    /// Index of the piece (file) in the scanned list.
    #[serde(skip)]
    pub piece: usize,
    /// 1-based physical line number (lines split on `\n`).
    pub line: u64,
    /// Local time from the line's prefix (or the nearest stamped line above, for continuation lines).
    pub time: Option<CivilTime>,
    /// UTC, when the piece's offset is known.
    pub utc: Option<CivilTime>,
    pub level: Level,
    pub component: String,
    pub kind: CbsEventKind,
    pub code: Option<u32>,
    pub code_name_in_log: Option<String>,
    pub package: Option<String>,
    pub kb: Option<String>,
    pub text: String,
}

/// A local-minus-UTC measurement taken from one line.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct OffsetSample {
    pub line: u64,
    pub offset_seconds: i64,
    pub source: &'static str,
}

/// A stretch of a file with one UTC offset (machines change time zone; files record it).
#[derive(Debug, Clone, Serialize)]
pub struct OffsetSegment {
    pub from_line: u64,
    pub offset_seconds: i64,
    pub samples: usize,
    pub source: &'static str,
}

/// A timestamp with the line it was read from.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Stamped {
    pub line: u64,
    pub local: CivilTime,
    pub utc: Option<CivilTime>,
}

/// One scanned CBS file.
#[derive(Debug, Clone, Serialize)]
pub struct CbsLog {
    pub path: String,
    pub kind: FileKind,
    pub encoding: Option<String>,
    pub lines: u64,
    pub first: Option<Stamped>,
    pub last: Option<Stamped>,
    /// The UTC time in a `CbsPersist_YYYYMMDDHHMMSS` name: when CBS rotated this piece out.
    pub name_stamp_utc: Option<CivilTime>,
    pub offsets: Vec<OffsetSegment>,
    #[serde(skip)]
    pub events: Vec<CbsEvent>,
    pub routine_failure_lines: u64,
    #[serde(skip)]
    pub warnings: Vec<Warning>,
}

/// UTC offset in force at a line: the segment it falls in, or the first one for lines before any sample.
pub fn offset_at(segments: &[OffsetSegment], line: u64) -> Option<i64> {
    let mut current = segments.first()?.offset_seconds;
    for segment in segments {
        if segment.from_line > line {
            break;
        }
        current = segment.offset_seconds;
    }
    Some(current)
}

fn to_utc(segments: &[OffsetSegment], line: u64, local: CivilTime) -> Option<CivilTime> {
    offset_at(segments, line).map(|o| local.shifted(-o))
}

impl CbsLog {
    pub fn offset_at(&self, line: u64) -> Option<i64> {
        offset_at(&self.offsets, line)
    }

    pub fn to_utc(&self, line: u64, local: CivilTime) -> Option<CivilTime> {
        to_utc(&self.offsets, line, local)
    }
}

/// Parses `CbsPersist_20221012031005` out of a file name.
pub fn name_stamp(file_name: &str) -> Option<CivilTime> {
    let at = file_name.find("CbsPersist_")? + "CbsPersist_".len();
    let digits = file_name.get(at..at + 14)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| digits[r].parse::<u32>().ok();
    CivilTime::from_parts(
        n(0..4)? as i32,
        n(4..6)?,
        n(6..8)?,
        n(8..10)?,
        n(10..12)?,
        n(12..14)?,
        0,
    )
}

/// Reads one CBS file (or SFC extract). Problems become warnings on the result; this never fails.
pub fn read(entry: &Entry) -> CbsLog {
    let mut log = CbsLog {
        path: entry.path.clone(),
        kind: entry.kind,
        encoding: entry.encoding.map(|e| e.label()),
        lines: 0,
        first: None,
        last: None,
        name_stamp_utc: name_stamp(entry.file_name()),
        offsets: Vec::new(),
        events: Vec::new(),
        routine_failure_lines: 0,
        warnings: entry.shape_warning().into_iter().collect(),
    };
    let reader = match entry.chunks() {
        Ok(r) => r,
        Err(err) => {
            log.warnings.push(Warning {
                path: entry.path.clone(),
                severity: Severity::Unreadable,
                message: format!("cannot open: {err}"),
            });
            return log;
        }
    };
    let (mut scans, read_error) = run_pipeline(reader);
    if let Some((err, bytes)) = read_error {
        log.warnings.push(Warning {
            path: entry.path.clone(),
            severity: Severity::Damaged,
            message: format!(
                "read failed after {bytes} bytes ({err}); the rest of the file is not analysed"
            ),
        });
    }
    scans.sort_by_key(|s| s.index);
    merge(&mut log, scans);
    log
}

type ReadError = Option<(std::io::Error, u64)>;

fn run_pipeline<R: std::io::Read + Send>(
    mut reader: patchdx_bundle::ChunkReader<R>,
) -> (Vec<scan::ChunkScan>, ReadError) {
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8);
    let first = match reader.next_chunk() {
        Ok(Some(c)) => c,
        Ok(None) => return (Vec::new(), None),
        Err(e) => return (Vec::new(), Some((e, 0))),
    };
    let mut read_error = None;
    let mut scans = Vec::new();
    let second = match reader.next_chunk() {
        Ok(c) => c,
        Err(e) => {
            read_error = Some((e, reader.raw_bytes_read()));
            None
        }
    };
    let Some(second) = second else {
        // Small file: no threads needed.
        scans.push(scan::scan_chunk(first.index, &first.text, &first.cut_lines));
        return (scans, read_error);
    };
    let (work_tx, work_rx) = crossbeam_channel::bounded::<patchdx_bundle::Chunk>(workers);
    let (done_tx, done_rx) = crossbeam_channel::unbounded();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let rx = work_rx.clone();
            let tx = done_tx.clone();
            scope.spawn(move || {
                for chunk in rx {
                    if tx
                        .send(scan::scan_chunk(chunk.index, &chunk.text, &chunk.cut_lines))
                        .is_err()
                    {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        let mut next = Some(first);
        let mut after = Some(second);
        while let Some(chunk) = next.take() {
            if work_tx.send(chunk).is_err() {
                break;
            }
            next = after.take();
            if next.is_none() && read_error.is_none() {
                match reader.next_chunk() {
                    Ok(c) => next = c,
                    Err(e) => read_error = Some((e, reader.raw_bytes_read())),
                }
            }
        }
        drop(work_tx);
    });
    scans.extend(done_rx);
    (scans, read_error)
}

fn merge(log: &mut CbsLog, scans: Vec<scan::ChunkScan>) {
    let mut base = 0u64;
    let mut last_time: Option<CivilTime> = None;
    let mut samples: Vec<OffsetSample> = Vec::new();
    let mut ends_with_newline = true;
    for scan in scans {
        for (line, len) in &scan.cut_lines {
            log.warnings.push(Warning {
                path: log.path.clone(),
                severity: Severity::Damaged,
                message: format!(
                    "line {} is {} bytes long; only its first 64 KiB were read",
                    base + line + 1,
                    len
                ),
            });
        }
        if log.first.is_none()
            && let Some((line, local)) = scan.first_stamp
        {
            log.first = Some(Stamped {
                line: base + line + 1,
                local,
                utc: None,
            });
        }
        if let Some((line, local)) = scan.last_stamp {
            log.last = Some(Stamped {
                line: base + line + 1,
                local,
                utc: None,
            });
        }
        for mut event in scan.events {
            event.line += base + 1;
            if event.time.is_none() {
                event.time = last_time;
            }
            log.events.push(event);
        }
        samples.extend(scan.offsets.into_iter().map(|mut s| {
            s.line += base + 1;
            s
        }));
        log.routine_failure_lines += scan.benign;
        if let Some((_, t)) = scan.last_stamp {
            last_time = Some(t);
        }
        base += scan.newlines;
        ends_with_newline = scan.ends_with_newline;
    }
    log.lines = base + u64::from(!ends_with_newline);
    log.offsets = segments(&samples);
    let segments = &log.offsets;
    for stamp in [log.first.as_mut(), log.last.as_mut()]
        .into_iter()
        .flatten()
    {
        stamp.utc = to_utc(segments, stamp.line, stamp.local);
    }
    for event in &mut log.events {
        event.utc = event.time.and_then(|t| to_utc(segments, event.line, t));
    }
}

/// Collapses offset samples into segments of constant offset.
fn segments(samples: &[OffsetSample]) -> Vec<OffsetSegment> {
    let mut out: Vec<OffsetSegment> = Vec::new();
    for sample in samples {
        match out.last_mut() {
            Some(seg) if seg.offset_seconds == sample.offset_seconds => seg.samples += 1,
            _ => out.push(OffsetSegment {
                from_line: sample.line,
                offset_seconds: sample.offset_seconds,
                samples: 1,
                source: sample.source,
            }),
        }
    }
    out
}
