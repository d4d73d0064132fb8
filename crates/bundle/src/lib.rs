//! Opens what a customer sent — a folder, a ZIP, a CAB or a single log, archives nested in any order — and
//! lists every file in it with its recognised kind and text encoding. Archive members are expanded into a
//! private temporary folder under generated names (never under the names stored in the archive), within
//! limits that stop zip bombs. Every file that cannot be read becomes a [`Warning`]; nothing aborts the run.
#![forbid(unsafe_code)]

mod archive;
pub mod detect;
pub mod lines;
mod range;

pub use detect::{EncodingEvidence, FileKind, Recognise, TextEncoding};
pub use lines::{Chunk, ChunkReader};

use serde::Serialize;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Limits that keep a hostile or broken archive from exhausting the disk.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Total bytes all archive members may expand to.
    pub max_expanded_bytes: u64,
    /// Largest allowed expansion ratio of one member (uncompressed / compressed), for members over 1 MiB.
    pub max_ratio: u64,
    /// Deepest archive nesting followed.
    pub max_depth: u32,
    /// Most files listed from one bundle.
    pub max_files: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_expanded_bytes: 16 << 30, max_ratio: 400, max_depth: 6, max_files: 200_000 }
    }
}

#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Forces one text encoding for every text file (`--encoding`).
    pub encoding: Option<TextEncoding>,
    pub limits: Limits,
    /// Recognises what evidence a text file holds (patchdx-formats' registry). Without one, text files are
    /// listed as `UnknownText`.
    pub recogniser: Option<&'static dyn Recognise>,
}

/// How bad a per-file problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Worth knowing; nothing was lost (an empty file, an unrecognised file).
    Notice,
    /// Part of the file could not be read.
    Damaged,
    /// The file (or archive member) could not be read at all.
    Unreadable,
}

/// A problem with one input file. The run continues.
#[derive(Debug, Clone, Serialize)]
pub struct Warning {
    pub path: String,
    pub severity: Severity,
    pub message: String,
}

/// One file of the bundle.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Where the file is in what the customer sent: `bundle.zip!/Windows/Logs/CBS/CbsPersist_1.cab!/CbsPersist_1.log`.
    pub path: String,
    #[serde(skip)]
    pub disk_path: PathBuf,
    pub size: u64,
    pub kind: FileKind,
    #[serde(serialize_with = "serialize_encoding")]
    pub encoding: Option<TextEncoding>,
    pub encoding_evidence: Option<EncodingEvidence>,
}

fn serialize_encoding<S: serde::Serializer>(value: &Option<TextEncoding>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(e) => s.serialize_some(&e.label()),
        None => s.serialize_none(),
    }
}

impl Entry {
    /// The file name without folders or archive path.
    pub fn file_name(&self) -> &str {
        self.path.rsplit(['/', '\\', '!']).next().unwrap_or(&self.path)
    }

    pub fn open(&self) -> io::Result<File> {
        File::open(&self.disk_path)
    }

    /// The file's text as UTF-8 chunks ending at line boundaries.
    pub fn chunks(&self) -> io::Result<ChunkReader<File>> {
        let encoding = self.encoding.unwrap_or(TextEncoding::Utf8 { bom: false });
        Ok(ChunkReader::with_chunk_size(self.open()?, encoding, chunk_size_for(self.size, encoding)))
    }

    /// The UTF-8 lines that start in `[start, end)` of the file (for parallel scans of one large file).
    /// Only for UTF-8 files; the BOM is skipped when `start` is 0.
    pub fn chunks_in_range(&self, start: u64, end: u64) -> io::Result<ChunkReader<range::LineRange<File>>> {
        let encoding = match self.encoding {
            Some(TextEncoding::Utf8 { bom }) => TextEncoding::Utf8 { bom: bom && start == 0 },
            _ => {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, "byte ranges are only read from UTF-8 files"));
            }
        };
        let size = chunk_size_for(end.saturating_sub(start), encoding);
        Ok(ChunkReader::with_chunk_size(range::LineRange::new(self.open()?, start, end)?, encoding, size))
    }

    /// Warnings about the file's shape that are known before reading it (odd-length UTF-16).
    pub fn shape_warning(&self) -> Option<Warning> {
        let encoding = self.encoding?;
        if encoding.is_utf16() && self.size % 2 == 1 {
            return Some(Warning {
                path: self.path.clone(),
                severity: Severity::Damaged,
                message: format!(
                    "UTF-16 file has an odd number of bytes ({}); the last byte is not a whole character and was ignored (the file is probably truncated)",
                    self.size
                ),
            });
        }
        None
    }
}

/// A chunk buffer no larger than the text can need: small files do not pay for clearing whole-chunk buffers.
fn chunk_size_for(bytes: u64, encoding: TextEncoding) -> usize {
    // Decoding can grow the text: UTF-16 to at most 1.5x, a legacy code page to at most 3x (one byte can
    // become a 3-byte UTF-8 character). A line is only cut when it is longer than a chunk, so the chunk must
    // hold the whole decoded file when the file is small.
    let decoded = match encoding {
        TextEncoding::Utf8 { .. } => bytes,
        TextEncoding::Utf16Le { .. } | TextEncoding::Utf16Be { .. } => bytes.saturating_mul(3) / 2,
        TextEncoding::Legacy(_) => bytes.saturating_mul(3),
    }
    .saturating_add(64);
    usize::try_from(decoded).unwrap_or(lines::CHUNK_BYTES).min(lines::CHUNK_BYTES)
}

/// Everything found in one input.
#[derive(Debug)]
pub struct Bundle {
    pub root: String,
    pub entries: Vec<Entry>,
    pub warnings: Vec<Warning>,
    /// Expanded archive members live here until the bundle is dropped.
    _scratch: Option<tempfile::TempDir>,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
}

impl Bundle {
    pub fn entries_of(&self, kind: FileKind) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(move |e| e.kind == kind)
    }
}

/// Opens a folder, archive or single file. Fails only when `path` itself cannot be read.
pub fn open(path: &Path, options: &OpenOptions) -> Result<Bundle, OpenError> {
    let metadata =
        std::fs::metadata(path).map_err(|source| OpenError::Io { path: path.display().to_string(), source })?;
    let root = path.display().to_string();
    let mut walker = archive::Walker::new(options.clone());
    if metadata.is_dir() {
        walker.walk_dir(path, "")?;
    } else {
        let name = path.file_name().map_or_else(|| root.clone(), |n| n.to_string_lossy().into_owned());
        walker.consider(path.to_path_buf(), name, 0);
    }
    let (entries, warnings, scratch) = walker.finish();
    Ok(Bundle { root, entries, warnings, _scratch: scratch })
}

/// Reads up to `limit` bytes from the start of a file into `head` (cleared first; reused across files, so that
/// recognising a bundle does not touch fresh memory for every file) and returns the file's size, from the
/// file opened once.
pub(crate) fn read_head(path: &Path, limit: usize, head: &mut Vec<u8>) -> io::Result<u64> {
    head.clear();
    let file = File::open(path)?;
    let size = file.metadata()?.len();
    file.take(limit as u64).read_to_end(head)?;
    Ok(size)
}
