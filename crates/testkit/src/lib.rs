//! Test helpers for patchdx: build the archives a Windows log bundle is made of, in memory, and find the
//! real log fixtures ([`fixtures`]: the one place that says what a test does when they are missing).
//!
//! * [`lzx_cab`] — an MS-CAB whose single folder is LZX-compressed with a 2 MiB window
//!   (`typeCompress` = `0x1503`), like the `CbsPersist_*.cab` files Windows writes. There is no
//!   LZX compressor crate, so the stream is made of LZX *uncompressed blocks* (block type 3),
//!   which is a valid LZX bitstream that every decoder (the `lzxd` crate, libmspack/cabextract,
//!   Windows' own `expand`) must accept.
//! * [`mszip_cab`] — an MS-CAB with one MSZIP folder, written with the `cab` crate.
//! * [`zip_store`], [`zip_deflate`] — ZIP archives written with the `zip` crate.
//! * [`raw_zip`] / [`raw_zip_entry_named`] — a hand-written stored ZIP whose entry names are
//!   taken verbatim (`../../evil.txt`, `/etc/x`, `C:\x`), for path-traversal tests.
//!
//! Every builder is deterministic: the same input gives the same bytes (file times are
//! fixed to [`DosDateTime::DEFAULT`] unless a `*_dated` variant is used).
#![forbid(unsafe_code)]

pub mod fixtures;

use std::io::{self, Cursor, Write};

/// Uncompressed bytes per LZX frame, and per CFDATA block: 32 KiB.
pub const LZX_FRAME: usize = 32_768;

/// `typeCompress` of an LZX folder with a 2^21-byte window (`tcompTYPE_LZX | 21 << 8`).
pub const TCOMP_LZX21: u16 = 0x1503;

/// An MS-DOS local date and time as stored in CAB and ZIP entries (2-second resolution).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DosDateTime {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

impl DosDateTime {
    /// The fixed time the builders use by default: 2022-10-11 09:00:00.
    pub const DEFAULT: DosDateTime = DosDateTime { year: 2022, month: 10, day: 11, hour: 9, minute: 0, second: 0 };

    /// `(date, time)` words. Years are clamped to the DOS range 1980..=2107.
    pub fn to_dos(self) -> (u16, u16) {
        let year = self.year.clamp(1980, 2107) - 1980;
        let date = (year << 9) | ((self.month as u16 & 0x0f) << 5) | (self.day as u16 & 0x1f);
        let time =
            ((self.hour as u16 & 0x1f) << 11) | ((self.minute as u16 & 0x3f) << 5) | ((self.second as u16 / 2) & 0x1f);
        (date, time)
    }
}

// ---------------------------------------------------------------------------------------------
// LZX
// ---------------------------------------------------------------------------------------------

/// Writes an LZX bitstream: 16-bit little-endian words, bits filled from the most significant
/// end of each word.
struct BitWriter {
    out: Vec<u8>,
    word: u16,
    used: u32,
}

impl BitWriter {
    fn new() -> Self {
        BitWriter { out: Vec::new(), word: 0, used: 0 }
    }

    fn put(&mut self, value: u32, bits: u32) {
        for i in (0..bits).rev() {
            self.word = (self.word << 1) | ((value >> i) & 1) as u16;
            self.used += 1;
            if self.used == 16 {
                self.out.extend_from_slice(&self.word.to_le_bytes());
                self.word = 0;
                self.used = 0;
            }
        }
    }

    /// The alignment before an uncompressed block's R0..R2: 1 to 16 zero bits, never 0
    /// (libmspack and lzxd both consume a whole padding word when already aligned).
    fn align_for_uncompressed(&mut self) {
        let pad = if self.used == 0 { 16 } else { 16 - self.used };
        self.put(0, pad);
        debug_assert_eq!(self.used, 0);
    }

    fn raw(&mut self, bytes: &[u8]) {
        debug_assert_eq!(self.used, 0);
        self.out.extend_from_slice(bytes);
    }
}

/// Encodes one LZX frame (≤ 32 KiB of output) as a single uncompressed block.
///
/// Layout (MS-PATCH 2.3 and the `lzxd` 0.2.7 reader, which is what patchdx decodes with):
/// `[E8 flag: 1 bit = 0, first frame only] [block type: 3 bits = 3] [block size: 24 bits,
/// read as 16 high bits then 8 low bits] [1..16 zero bits to the next 16-bit boundary]
/// [R0 R1 R2: u32 LE each = 1] [raw bytes] [1 zero pad byte if the size is odd]`.
fn lzx_frame(chunk: &[u8], first: bool) -> Vec<u8> {
    assert!(!chunk.is_empty() && chunk.len() <= LZX_FRAME);
    let mut w = BitWriter::new();
    if first {
        w.put(0, 1); // no E8 translation
    }
    w.put(3, 3); // uncompressed block
    w.put(chunk.len() as u32, 24);
    w.align_for_uncompressed();
    for _ in 0..3 {
        w.raw(&1u32.to_le_bytes()); // R0, R1, R2
    }
    w.raw(chunk);
    if chunk.len() % 2 == 1 {
        w.raw(&[0]);
    }
    w.out
}

/// The CFDATA checksum of the CAB format (same algorithm as the `cab` crate and libmspack).
fn cab_checksum(data: &[u8], cb_data: u16, cb_uncomp: u16) -> u32 {
    let mut value = 0u32;
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        value ^= u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
    let rest = chunks.remainder();
    let tail = match rest.len() {
        0 => 0,
        1 => rest[0] as u32,
        2 => ((rest[0] as u32) << 8) | rest[1] as u32,
        3 => ((rest[0] as u32) << 16) | ((rest[1] as u32) << 8) | rest[2] as u32,
        _ => unreachable!(),
    };
    value ^ tail ^ (cb_data as u32 | ((cb_uncomp as u32) << 16))
}

/// An MS-CAB with one LZX folder (window 2^21, `typeCompress` 0x1503) holding `files`,
/// dated [`DosDateTime::DEFAULT`]. See [`lzx_cab_dated`].
pub fn lzx_cab(files: &[(&str, &[u8])]) -> Vec<u8> {
    lzx_cab_dated(files, DosDateTime::DEFAULT)
}

/// An MS-CAB with one LZX folder holding `files` (names as given, `\` separators are kept),
/// all entries dated `when`.
///
/// Each CFDATA block carries exactly one 32 KiB LZX frame (the last may be shorter), encoded
/// as one uncompressed block; checksums are computed. Empty input gives a folder with no
/// CFDATA blocks.
///
/// # Panics
/// If the total size exceeds the CAB folder limit (~2 GiB) or there are more than 65 535
/// files or frames.
pub fn lzx_cab_dated(files: &[(&str, &[u8])], when: DosDateTime) -> Vec<u8> {
    let total: usize = files.iter().map(|(_, d)| d.len()).sum();
    assert!(total <= 0x7fff_8000, "CAB folder too large");
    assert!(files.len() <= u16::MAX as usize, "too many files");
    let stream: Vec<u8> = files.iter().flat_map(|(_, d)| d.iter().copied()).collect();
    let frames: Vec<Vec<u8>> = stream.chunks(LZX_FRAME).enumerate().map(|(i, c)| lzx_frame(c, i == 0)).collect();
    assert!(frames.len() <= u16::MAX as usize, "too many CFDATA blocks");

    const HEADER: usize = 36;
    const FOLDER: usize = 8;
    let files_size: usize = files.iter().map(|(n, _)| 16 + n.len() + 1).sum();
    let coff_files = HEADER + FOLDER;
    let coff_data = coff_files + files_size;
    let data_size: usize = frames.iter().map(|f| 8 + f.len()).sum();
    let cb_cabinet = coff_data + data_size;

    let mut out = Vec::with_capacity(cb_cabinet);
    // CFHEADER
    out.extend_from_slice(b"MSCF");
    out.extend_from_slice(&0u32.to_le_bytes()); // reserved1
    out.extend_from_slice(&(cb_cabinet as u32).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes()); // reserved2
    out.extend_from_slice(&(coff_files as u32).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes()); // reserved3
    out.push(3); // versionMinor
    out.push(1); // versionMajor
    out.extend_from_slice(&1u16.to_le_bytes()); // cFolders
    out.extend_from_slice(&(files.len() as u16).to_le_bytes()); // cFiles
    out.extend_from_slice(&0u16.to_le_bytes()); // flags
    out.extend_from_slice(&0x0729u16.to_le_bytes()); // setID
    out.extend_from_slice(&0u16.to_le_bytes()); // iCabinet
    debug_assert_eq!(out.len(), HEADER);
    // CFFOLDER
    out.extend_from_slice(&(coff_data as u32).to_le_bytes());
    out.extend_from_slice(&(frames.len() as u16).to_le_bytes());
    out.extend_from_slice(&TCOMP_LZX21.to_le_bytes());
    // CFFILE
    let (date, time) = when.to_dos();
    let mut offset = 0u32;
    for (name, data) in files {
        let mut attribs = 0x20u16; // _A_ARCH
        if !name.is_ascii() {
            attribs |= 0x80; // _A_NAME_IS_UTF
        }
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // iFolder
        out.extend_from_slice(&date.to_le_bytes());
        out.extend_from_slice(&time.to_le_bytes());
        out.extend_from_slice(&attribs.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        offset += data.len() as u32;
    }
    debug_assert_eq!(out.len(), coff_data);
    // CFDATA
    for (i, frame) in frames.iter().enumerate() {
        let cb_uncomp = (stream.len() - i * LZX_FRAME).min(LZX_FRAME) as u16;
        let cb_data = frame.len() as u16;
        out.extend_from_slice(&cab_checksum(frame, cb_data, cb_uncomp).to_le_bytes());
        out.extend_from_slice(&cb_data.to_le_bytes());
        out.extend_from_slice(&cb_uncomp.to_le_bytes());
        out.extend_from_slice(frame);
    }
    debug_assert_eq!(out.len(), cb_cabinet);
    out
}

// ---------------------------------------------------------------------------------------------
// MSZIP
// ---------------------------------------------------------------------------------------------

/// An MS-CAB with one MSZIP folder holding `files`, written by the `cab` crate; entries are
/// dated [`DosDateTime::DEFAULT`] so the output is reproducible.
pub fn mszip_cab(files: &[(&str, &[u8])]) -> io::Result<Vec<u8>> {
    let mut builder = cab::CabinetBuilder::new();
    {
        let folder = builder.add_folder(cab::CompressionType::MsZip);
        for (name, _) in files {
            folder.add_file(*name);
        }
    }
    let mut writer = builder.build(Cursor::new(Vec::new()))?;
    let mut i = 0;
    while let Some(mut fw) = writer.next_file()? {
        fw.write_all(files[i].1)?;
        i += 1;
    }
    let mut bytes = writer.finish()?.into_inner();
    set_cab_file_times(&mut bytes, DosDateTime::DEFAULT)?;
    Ok(bytes)
}

/// Overwrites the date/time of every CFFILE entry (the `cab` builder stamps "now").
fn set_cab_file_times(cab: &mut [u8], when: DosDateTime) -> io::Result<()> {
    let bad = || io::Error::new(io::ErrorKind::InvalidData, "malformed cabinet");
    let u16_at = |b: &[u8], o: usize| u16::from_le_bytes([b[o], b[o + 1]]);
    if cab.len() < 36 {
        return Err(bad());
    }
    let coff_files = u32::from_le_bytes([cab[16], cab[17], cab[18], cab[19]]) as usize;
    let c_files = u16_at(cab, 28) as usize;
    let (date, time) = when.to_dos();
    let mut pos = coff_files;
    for _ in 0..c_files {
        if pos + 16 > cab.len() {
            return Err(bad());
        }
        cab[pos + 10..pos + 12].copy_from_slice(&date.to_le_bytes());
        cab[pos + 12..pos + 14].copy_from_slice(&time.to_le_bytes());
        let name_end = cab[pos + 16..].iter().position(|&b| b == 0).ok_or_else(bad)?;
        pos += 16 + name_end + 1;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// ZIP
// ---------------------------------------------------------------------------------------------

fn zip_with(files: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in files {
        if name.ends_with('/') && data.is_empty() {
            w.add_directory(*name, options).expect("zip directory");
        } else {
            w.start_file(*name, options).expect("zip entry");
            w.write_all(data).expect("zip write");
        }
    }
    w.finish().expect("zip finish").into_inner()
}

/// A ZIP with every entry stored (no compression). A name ending in `/` with empty data
/// becomes a directory entry.
pub fn zip_store(files: &[(&str, &[u8])]) -> Vec<u8> {
    zip_with(files, zip::CompressionMethod::Stored)
}

/// A ZIP with every entry deflated. A name ending in `/` with empty data becomes a
/// directory entry.
pub fn zip_deflate(files: &[(&str, &[u8])]) -> Vec<u8> {
    zip_with(files, zip::CompressionMethod::Deflated)
}

const fn crc32_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { 0xedb8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

static CRC32_TABLE: [u32; 256] = crc32_table();

/// CRC-32 (IEEE 802.3, as used by ZIP).
pub fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c = CRC32_TABLE[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

/// A minimal stored ZIP (local headers, central directory, end record) whose entry names are
/// written byte for byte as given — no normalisation, so `../../evil.txt`, `/etc/x`,
/// `C:\Windows\x` or `a/../../b` come out exactly like that. CRCs are correct. Names with
/// non-ASCII characters get the UTF-8 flag (bit 11).
pub fn raw_zip(files: &[(&str, &[u8])]) -> Vec<u8> {
    let (date, time) = DosDateTime::DEFAULT.to_dos();
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let offset = out.len() as u32;
        let crc = crc32(data);
        let flags: u16 = if name.is_ascii() { 0 } else { 0x0800 };
        let size = data.len() as u32;
        let name_len = name.len() as u16;
        // local file header
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes()); // version needed
        out.extend_from_slice(&flags.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // stored
        out.extend_from_slice(&time.to_le_bytes());
        out.extend_from_slice(&date.to_le_bytes());
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // extra
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        // central directory header
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by (MS-DOS, 2.0)
        central.extend_from_slice(&20u16.to_le_bytes()); // version needed
        central.extend_from_slice(&flags.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&time.to_le_bytes());
        central.extend_from_slice(&date.to_le_bytes());
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&name_len.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes()); // extra
        central.extend_from_slice(&0u16.to_le_bytes()); // comment
        central.extend_from_slice(&0u16.to_le_bytes()); // disk number start
        central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    let cd_size = central.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // this disk
    out.extend_from_slice(&0u16.to_le_bytes()); // disk with central directory
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment length
    out
}

/// A stored ZIP with one entry whose name is taken verbatim (see [`raw_zip`]).
pub fn raw_zip_entry_named(name: &str, data: &[u8]) -> Vec<u8> {
    raw_zip(&[(name, data)])
}

#[cfg(test)]
mod tests;
