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
        let mut header = vec![0u8; HEADER_SIZE];
        let got = fill(&mut file, &mut header).map_err(LayoutError::Read)?;
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
        let u64_at = |at: usize| {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&header[at..at + 8]);
            u64::from_le_bytes(bytes)
        };
        // A header whose fixed fields are wrong is garbage behind a valid signature: its counts mean nothing.
        let plausible = u16_at(40) as usize == HEADER_SIZE && u16_at(38) == 3;
        let header_chunks = plausible.then(|| u64::from(u16_at(42)));
        let next_record_id = plausible.then(|| u64_at(24));

        let mut slots = Vec::new();
        let mut cut_off = None;
        let mut chunk = vec![0u8; CHUNK_SIZE];
        let length = file.metadata().map_or(u64::MAX, |m| m.len());
        loop {
            // A whole signed chunk is known by its header: only its first bytes are read (the reader that
            // follows reads the chunk itself). Anything else is read whole, to tell zeros from garbage.
            let start = (HEADER_SIZE + slots.len() * CHUNK_SIZE) as u64;
            if length.saturating_sub(start) >= CHUNK_SIZE as u64 {
                let got = fill(&mut file, &mut chunk[..CHUNK_HEADER_SIZE]).map_err(LayoutError::Read)?;
                if got == CHUNK_HEADER_SIZE && chunk.starts_with(b"ElfChnk\0") {
                    slots.push(Slot::Chunk { first: le_u64(&chunk, 24), last: le_u64(&chunk, 32) });
                    file.seek(SeekFrom::Start(start + CHUNK_SIZE as u64)).map_err(LayoutError::Read)?;
                    continue;
                }
                file.seek(SeekFrom::Start(start)).map_err(LayoutError::Read)?;
            }
            let got = fill(&mut file, &mut chunk).map_err(LayoutError::Read)?;
            if got == 0 {
                break;
            }
            let data = &chunk[..got];
            let signed = data.starts_with(b"ElfChnk\0");
            let range = (signed && got >= 40).then(|| (le_u64(data, 24), le_u64(data, 32)));
            if got < CHUNK_SIZE && range.is_some() {
                cut_off = Some(data.to_vec());
            }
            let slot = if got < CHUNK_SIZE {
                if signed || data.iter().any(|&b| b != 0) { Slot::CutOff { range } } else { Slot::Zeroed }
            } else if let Some((first, last)) = range {
                Slot::Chunk { first, last }
            } else if data.iter().all(|&b| b == 0) {
                Slot::Zeroed
            } else {
                Slot::Garbage
            };
            slots.push(slot);
            if got < CHUNK_SIZE {
                break;
            }
        }
        Ok(Layout { header_chunks, next_record_id, slots, cut_off })
    }

    /// The "N of M chunks could not be read" message, or `None` when every chunk in use was read.
    pub fn damage(&self, read: &Yield) -> Option<String> {
        // Chunks in use: those the header counts, and any chunk-like slot after them (a header that was not
        // flushed before the copy lags behind its chunks).
        let last_used = self.slots.iter().rposition(|s| !matches!(s, Slot::Zeroed)).map_or(0, |i| i + 1);
        let in_use = self.header_chunks.unwrap_or(0).max(last_used as u64);
        let mut lost_chunks = 0u64;
        let mut known_lost = 0u64;
        let mut unknown_slots = 0u64;
        let mut good_chunks = 0u64;
        let mut ranges = Vec::new();
        for number in 0..in_use {
            let slot = usize::try_from(number).ok().and_then(|i| self.slots.get(i));
            match slot {
                Some(Slot::Chunk { first, last }) => {
                    // An empty chunk names record id u64::MAX; an absurd range is a lying header.
                    let holds =
                        if first <= last && *last != u64::MAX && last - first < 1 << 20 { last - first + 1 } else { 0 };
                    if holds > 0 {
                        ranges.push((*first, *last));
                    }
                    let got = read.records_by_chunk.get(first).copied().unwrap_or(0);
                    if read.failed_chunks.contains(&number) || (holds > 0 && got == 0) {
                        lost_chunks += 1;
                        if holds > 0 {
                            known_lost += holds.saturating_sub(got);
                        } else {
                            unknown_slots += 1;
                        }
                    } else if holds > 0 {
                        good_chunks += 1;
                    }
                }
                Some(Slot::CutOff { range }) => {
                    lost_chunks += 1;
                    if let Some((first, last)) = range.filter(|(f, l)| f <= l && l - f < 1 << 20) {
                        ranges.push((first, last));
                        known_lost += (last - first + 1).saturating_sub(read.recovered);
                    } else {
                        unknown_slots += 1;
                    }
                }
                Some(Slot::Zeroed | Slot::Garbage) | None => {
                    lost_chunks += 1;
                    unknown_slots += 1;
                }
            }
        }
        if lost_chunks == 0 {
            return None;
        }
        // Records in chunks with no readable header: the larger of two estimates, the gaps in the record ids
        // around them (exact for a chunk zeroed in the middle) and the average of the chunks that were read
        // (the only clue for chunks past the end of a cut-off copy, whose ids are not all in the header).
        let unknown = if unknown_slots == 0 {
            0
        } else {
            let by_gaps = self.id_gaps(&mut ranges);
            let whole = read.records - read.recovered;
            let by_average = (whole * unknown_slots).checked_div(good_chunks).unwrap_or(0);
            by_gaps.max(by_average)
        };
        let lost = match known_lost + unknown {
            0 => "an unknown number of records lost".to_string(),
            n => format!("about {} lost", super::plural(n, "record")),
        };
        let mut message = format!("{lost_chunks} of {in_use} chunks could not be read (truncated or zeroed); {lost}");
        if read.recovered > 0 {
            message.push_str(&format!(
                " ({} recovered from the part of the cut-off chunk that is there)",
                super::plural(read.recovered, "record")
            ));
        }
        Some(message)
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
