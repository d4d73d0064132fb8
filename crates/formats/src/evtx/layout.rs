//! The file's own account of its chunks, read without the `evtx` crate, to find what that crate skips
//! without a word: a cut-off last chunk, zeroed chunks, and chunks past the end of a truncated copy.
//!
//! Layout (MS-EVEN6 and libyal's "Windows XML Event Log (EVTX)" notes): a 4096-byte file header
//! (`ElfFile\0`, oldest chunk u64 @8, current chunk u64 @16, next record id u64 @24, header size u32 @32,
//! minor u16 @36, major u16 @38, header block size u16 @40, chunk count u16 @42), then 64 KiB chunks, each
//! starting with `ElfChnk\0` and the ids of its first and last record (u64 @24 and @32). Windows grows a log
//! a chunk at a time and may pre-allocate zeroed chunks past the header's chunk count: those are free
//! space, not damage.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

pub(crate) const HEADER_SIZE: usize = 4096;
pub(crate) const CHUNK_SIZE: usize = 65536;
/// A chunk's header, before its first record.
const CHUNK_HEADER_SIZE: usize = 512;

/// What one 64 KiB slot after the header holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    /// A whole chunk with its record id range (`first > last` for a chunk that holds no record).
    Chunk {
        first: u64,
        last: u64,
    },
    /// The file ends inside this chunk; its header may still say which records it held.
    CutOff {
        range: Option<(u64, u64)>,
    },
    Zeroed,
    /// Neither a chunk signature nor zeros.
    Garbage,
}

#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// The header's chunk count, when the header looks like a real one.
    pub header_chunks: Option<u64>,
    /// The header's next record id, when the header looks like a real one.
    pub next_record_id: Option<u64>,
    pub slots: Vec<Slot>,
    /// The bytes of a cut-off last chunk that has its header, to recover the records before the cut.
    pub cut_off: Option<Vec<u8>>,
}

/// What the parser got out of the file, per chunk.
#[derive(Debug, Default)]
pub(crate) struct Yield {
    /// Records read, by the first record id its chunk's header names.
    pub records_by_chunk: HashMap<u64, u64>,
    /// Chunk numbers the parser reported as unreadable.
    pub failed_chunks: HashSet<u64>,
    pub records: u64,
    /// Records recovered from a cut-off last chunk (included in `records`).
    pub recovered: u64,
}

/// Why a file is not an event log at all (the message completes "<path> …").
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LayoutError {
    #[error("cannot be opened: {0}")]
    Open(std::io::Error),
    #[error("cannot be read: {0}")]
    Read(std::io::Error),
    #[error("is empty (0 bytes): there is no event log in it (the copy probably failed)")]
    Empty,
    #[error("is not a Windows event log: it does not start with the `ElfFile` signature")]
    NoSignature,
    #[error("is only {0} bytes long, shorter than an event log's {HEADER_SIZE}-byte file header: it was cut off")]
    CutHeader(usize),
}

impl Layout {
    /// Reads the header and every chunk slot. `Err` says why the file is not an event log at all.
    pub fn scan(path: &Path) -> Result<Layout, LayoutError> {
        let mut file = File::open(path).map_err(LayoutError::Open)?;
        let (header_chunks, next_record_id) = read_header(&mut file)?;
        let (slots, cut_off) = read_slots(&mut file)?;
        Ok(Layout { header_chunks, next_record_id, slots, cut_off })
    }

    /// The "N of M chunks could not be read" message, or `None` when every chunk in use was read.
    pub fn damage(&self, read: &Yield) -> Option<String> {
        // Chunks in use: those the header counts, and any chunk-like slot after them (a header that was not
        // flushed before the copy lags behind its chunks).
        let last_used = self.slots.iter().rposition(|s| !matches!(s, Slot::Zeroed)).map_or(0, |i| i + 1);
        let in_use = self.header_chunks.unwrap_or(0).max(last_used as u64);
        let mut tally = self.tally(read, in_use);
        if tally.lost_chunks == 0 {
            return None;
        }
        // Records in chunks with no readable header: the larger of two estimates, the gaps in the record ids
        // around them (exact for a chunk zeroed in the middle) and the average of the chunks that were read
        // (the only clue for chunks past the end of a cut-off copy, whose ids are not all in the header).
        let unknown = if tally.unknown_slots == 0 {
            0
        } else {
            let by_gaps = self.id_gaps(&mut tally.ranges);
            let whole = read.records - read.recovered;
            let by_average = (whole * tally.unknown_slots).checked_div(tally.good_chunks).unwrap_or(0);
            by_gaps.max(by_average)
        };
        let lost = match tally.known_lost + unknown {
            0 => "an unknown number of records lost".to_string(),
            n => format!("about {} lost", super::plural(n, "record")),
        };
        let lost_chunks = tally.lost_chunks;
        let mut message = format!("{lost_chunks} of {in_use} chunks could not be read (truncated or zeroed); {lost}");
        if read.recovered > 0 {
            message.push_str(&format!(
                " ({} recovered from the part of the cut-off chunk that is there)",
                super::plural(read.recovered, "record")
            ));
        }
        Some(message)
    }

    /// How the first `in_use` slots fared against what the parser read from them.
    fn tally(&self, read: &Yield, in_use: u64) -> Tally {
        let mut tally = Tally::default();
        for number in 0..in_use {
            let slot = usize::try_from(number).ok().and_then(|i| self.slots.get(i));
            match slot {
                Some(Slot::Chunk { first, last }) => {
                    // An empty chunk names record id u64::MAX; an absurd range is a lying header.
                    let holds =
                        if first <= last && *last != u64::MAX && last - first < 1 << 20 { last - first + 1 } else { 0 };
                    if holds > 0 {
                        tally.ranges.push((*first, *last));
                    }
                    let got = read.records_by_chunk.get(first).copied().unwrap_or(0);
                    if read.failed_chunks.contains(&number) || (holds > 0 && got == 0) {
                        tally.lost_chunks += 1;
                        if holds > 0 {
                            tally.known_lost += holds.saturating_sub(got);
                        } else {
                            tally.unknown_slots += 1;
                        }
                    } else if holds > 0 {
                        tally.good_chunks += 1;
                    }
                }
                Some(Slot::CutOff { range }) => {
                    tally.lost_chunks += 1;
                    if let Some((first, last)) = range.filter(|(f, l)| f <= l && l - f < 1 << 20) {
                        tally.ranges.push((first, last));
                        tally.known_lost += (last - first + 1).saturating_sub(read.recovered);
                    } else {
                        tally.unknown_slots += 1;
                    }
                }
                Some(Slot::Zeroed | Slot::Garbage) | None => {
                    tally.lost_chunks += 1;
                    tally.unknown_slots += 1;
                }
            }
        }
        tally
    }

    /// Record ids missing between the known chunk ranges and after the last of them.
    fn id_gaps(&self, ranges: &mut [(u64, u64)]) -> u64 {
        ranges.sort_unstable();
        let mut gaps = 0u64;
        for pair in ranges.windows(2) {
            gaps += pair[1].0.saturating_sub(pair[0].1 + 1);
        }
        if let (Some(next), Some(&(_, last))) = (self.next_record_id, ranges.last()) {
            gaps += next.saturating_sub(last + 1);
        }
        // Ids that far apart are not a gap but a header or chunk that lies.
        if gaps > 1 << 24 { 0 } else { gaps }
    }
}

/// How the chunks in use fared, counted by [`Layout::tally`] for the damage message.
#[derive(Default)]
struct Tally {
    lost_chunks: u64,
    /// Records lost from chunks whose header says which records they held.
    known_lost: u64,
    /// Lost slots with no record range to count their records by.
    unknown_slots: u64,
    /// Chunks with records that were all read.
    good_chunks: u64,
    /// The record id ranges the chunk headers name.
    ranges: Vec<(u64, u64)>,
}

/// The file header's chunk count and next record id (both `None` when the header is garbage behind a valid
/// signature). `Err` says why the file is not an event log.
fn read_header(file: &mut File) -> Result<(Option<u64>, Option<u64>), LayoutError> {
    let mut header = vec![0u8; HEADER_SIZE];
    let got = fill(file, &mut header).map_err(LayoutError::Read)?;
    if got == 0 {
        return Err(LayoutError::Empty);
    }
    if !header[..got].starts_with(b"ElfFile\0") {
        return Err(LayoutError::NoSignature);
    }
    if got < HEADER_SIZE {
        return Err(LayoutError::CutHeader(got));
    }
    let u16_at = |at: usize| u16::from_le_bytes([header[at], header[at + 1]]);
    // A header whose fixed fields are wrong is garbage behind a valid signature: its counts mean nothing.
    let plausible = u16_at(40) as usize == HEADER_SIZE && u16_at(38) == 3;
    Ok((plausible.then(|| u64::from(u16_at(42))), plausible.then(|| le_u64(&header, 24))))
}

/// Every 64 KiB slot after the header, and the bytes of a cut-off last chunk that has its header.
fn read_slots(file: &mut File) -> Result<(Vec<Slot>, Option<Vec<u8>>), LayoutError> {
    let unreadable = LayoutError::Read;
    let mut slots = Vec::new();
    let mut chunk = vec![0u8; CHUNK_SIZE];
    let length = file.metadata().map_or(u64::MAX, |m| m.len());
    loop {
        // A whole signed chunk is known by its header: only its first bytes are read (the reader that
        // follows reads the chunk itself). Anything else is read whole, to tell zeros from garbage.
        let start = (HEADER_SIZE + slots.len() * CHUNK_SIZE) as u64;
        if length.saturating_sub(start) >= CHUNK_SIZE as u64 {
            let got = fill(file, &mut chunk[..CHUNK_HEADER_SIZE]).map_err(unreadable)?;
            if got == CHUNK_HEADER_SIZE && chunk.starts_with(b"ElfChnk\0") {
                slots.push(Slot::Chunk { first: le_u64(&chunk, 24), last: le_u64(&chunk, 32) });
                file.seek(SeekFrom::Start(start + CHUNK_SIZE as u64)).map_err(unreadable)?;
                continue;
            }
            file.seek(SeekFrom::Start(start)).map_err(unreadable)?;
        }
        let got = fill(file, &mut chunk).map_err(unreadable)?;
        if got == 0 {
            return Ok((slots, None));
        }
        let (slot, cut_off) = slot_of(&chunk[..got]);
        slots.push(slot);
        if got < CHUNK_SIZE {
            return Ok((slots, cut_off));
        }
    }
}

/// What a slot read whole holds (`data` is shorter than a chunk when the file ends inside it), and the bytes
/// of a cut-off chunk whose header says which records it held, to recover the records before the cut.
fn slot_of(data: &[u8]) -> (Slot, Option<Vec<u8>>) {
    let signed = data.starts_with(b"ElfChnk\0");
    let range = (signed && data.len() >= 40).then(|| (le_u64(data, 24), le_u64(data, 32)));
    if data.len() < CHUNK_SIZE {
        let slot = if signed || data.iter().any(|&b| b != 0) { Slot::CutOff { range } } else { Slot::Zeroed };
        return (slot, range.is_some().then(|| data.to_vec()));
    }
    let slot = if let Some((first, last)) = range {
        Slot::Chunk { first, last }
    } else if data.iter().all(|&b| b == 0) {
        Slot::Zeroed
    } else {
        Slot::Garbage
    };
    (slot, None)
}

fn le_u64(data: &[u8], at: usize) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&data[at..at + 8]);
    u64::from_le_bytes(bytes)
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn fill(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}
