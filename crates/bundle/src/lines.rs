//! Hands out a file's text as UTF-8 chunks that always end at a line boundary, decoding on the fly, so that
//! parsers can scan large logs in parallel without holding the whole file.

use crate::detect::TextEncoding;
use std::io::{self, Read};

/// Target size of one chunk of decoded text.
pub const CHUNK_BYTES: usize = 4 * 1024 * 1024;
/// A line longer than a whole chunk is cut: this many of its first bytes are kept and the rest skipped.
pub const KEPT_OF_LONG_LINE: usize = 64 * 1024;

/// A piece of decoded text ending at a line boundary.
#[derive(Debug, Default)]
pub struct Chunk {
    /// Sequence number of the chunk within its file, from 0.
    pub index: usize,
    /// UTF-8 text (invalid sequences pass through untouched when the source claimed UTF-8).
    pub text: Vec<u8>,
    /// Lines in this chunk that were cut: (byte offset of the line in `text`, the line's original length).
    pub cut_lines: Vec<(usize, u64)>,
}

/// Reads a byte source as decoded UTF-8 chunks.
pub struct ChunkReader<R: Read> {
    source: R,
    decoder: Option<encoding_rs::Decoder>,
    raw: Vec<u8>,
    carry: Vec<u8>,
    bom_to_skip: usize,
    source_done: bool,
    next_index: usize,
    chunk_bytes: usize,
    /// Inside a cut line: bytes of it skipped so far, and where it starts in the chunk being built.
    skipping: Option<u64>,
    pending_cut: Option<(usize, u64)>,
    raw_bytes_read: u64,
}

impl<R: Read> ChunkReader<R> {
    pub fn new(source: R, encoding: TextEncoding) -> Self {
        Self::with_chunk_size(source, encoding, CHUNK_BYTES)
    }

    pub fn with_chunk_size(source: R, encoding: TextEncoding, chunk_bytes: usize) -> Self {
        let decoder = encoding
            .decoder_encoding()
            .map(|e| e.new_decoder_without_bom_handling());
        ChunkReader {
            source,
            decoder,
            raw: Vec::new(),
            carry: Vec::new(),
            bom_to_skip: encoding.bom_len(),
            source_done: false,
            next_index: 0,
            chunk_bytes: chunk_bytes.max(2 * KEPT_OF_LONG_LINE),
            skipping: None,
            pending_cut: None,
            raw_bytes_read: 0,
        }
    }

    /// Raw (undecoded) bytes read from the source so far.
    pub fn raw_bytes_read(&self) -> u64 {
        self.raw_bytes_read
    }

    /// Reads and decodes up to `want` more bytes into `carry`; returns false at end of input.
    fn fill(&mut self, want: usize) -> io::Result<bool> {
        if self.source_done {
            return Ok(false);
        }
        self.raw.resize(want, 0);
        let mut filled = 0;
        while filled < want {
            match self.source.read(&mut self.raw[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        self.raw_bytes_read += filled as u64;
        let last = filled < want;
        let mut bytes = &self.raw[..filled];
        if self.bom_to_skip > 0 {
            let skip = self.bom_to_skip.min(bytes.len());
            bytes = &bytes[skip..];
            self.bom_to_skip -= skip;
        }
        match self.decoder.as_mut() {
            None => self.carry.extend_from_slice(bytes),
            Some(decoder) => {
                let needed = decoder
                    .max_utf8_buffer_length(bytes.len())
                    .unwrap_or(bytes.len() * 3 + 16);
                let start = self.carry.len();
                self.carry.resize(start + needed, 0);
                let (_, _, written, _) =
                    decoder.decode_to_utf8(bytes, &mut self.carry[start..], last);
                self.carry.truncate(start + written);
            }
        }
        if last {
            self.source_done = true;
        }
        Ok(!last || filled > 0)
    }

    /// The next chunk, or `None` at end of input.
    pub fn next_chunk(&mut self) -> io::Result<Option<Chunk>> {
        let mut chunk = Chunk {
            index: self.next_index,
            ..Chunk::default()
        };
        loop {
            while self.carry.len() < self.chunk_bytes && !self.source_done {
                let want = self.chunk_bytes - self.carry.len();
                self.fill(want)?;
            }
            if let Some(skipped) = self.skipping {
                // Inside an over-long line: drop bytes up to and including its end.
                match memchr::memchr(b'\n', &self.carry) {
                    Some(pos) => {
                        self.carry.drain(..=pos);
                        self.finish_cut(&mut chunk, skipped + pos as u64);
                    }
                    None => {
                        self.skipping = Some(skipped + self.carry.len() as u64);
                        self.carry.clear();
                        if self.source_done {
                            let total = self.skipping.unwrap_or(skipped);
                            self.finish_cut(&mut chunk, total);
                            break;
                        }
                        continue;
                    }
                }
            }
            if self.carry.is_empty() {
                break;
            }
            let room = self.chunk_bytes - chunk.text.len();
            if self.source_done && self.carry.len() <= room {
                chunk.text.append(&mut self.carry);
                break;
            }
            let window = &self.carry[..self.carry.len().min(room)];
            if let Some(pos) = memchr::memrchr(b'\n', window) {
                chunk.text.extend_from_slice(&self.carry[..=pos]);
                self.carry.drain(..=pos);
                break;
            }
            if !chunk.text.is_empty() {
                break;
            }
            // One line longer than a whole chunk: keep its start, skip the rest.
            let kept = floor_char_boundary(&self.carry, KEPT_OF_LONG_LINE);
            chunk.text.extend_from_slice(&self.carry[..kept]);
            chunk.text.push(b'\n');
            self.pending_cut = Some((0, 0));
            self.carry.drain(..kept);
            self.skipping = Some(kept as u64);
        }
        if chunk.text.is_empty() && chunk.cut_lines.is_empty() {
            return Ok(None);
        }
        self.next_index += 1;
        Ok(Some(chunk))
    }

    fn finish_cut(&mut self, chunk: &mut Chunk, total: u64) {
        self.skipping = None;
        if let Some((offset, _)) = self.pending_cut.take() {
            chunk.cut_lines.push((offset, total));
        }
    }
}

/// Largest index ≤ `limit` that does not split a UTF-8 character.
fn floor_char_boundary(bytes: &[u8], limit: usize) -> usize {
    let mut end = limit.min(bytes.len());
    while end > 0 && end < bytes.len() && (bytes[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(data: &[u8], encoding: TextEncoding, chunk: usize) -> (Vec<u8>, Vec<(usize, u64)>) {
        let mut reader = ChunkReader::with_chunk_size(data, encoding, chunk);
        let mut text = Vec::new();
        let mut cuts = Vec::new();
        let mut previous_ended_line = true;
        while let Some(c) = reader.next_chunk().expect("in-memory read") {
            assert!(
                previous_ended_line,
                "chunk before {} must end at a line boundary",
                c.index
            );
            previous_ended_line = c.text.ends_with(b"\n");
            cuts.extend(c.cut_lines.iter().map(|&(o, l)| (o + text.len(), l)));
            text.extend_from_slice(&c.text);
        }
        (text, cuts)
    }

    #[test]
    fn chunks_reassemble_to_the_decoded_text() {
        let mut data = Vec::new();
        for i in 0..200_000 {
            data.extend_from_slice(format!("line {i} of the log\r\n").as_bytes());
        }
        let (text, cuts) = collect(&data, TextEncoding::Utf8 { bom: false }, 0);
        assert_eq!(text, data);
        assert!(cuts.is_empty());
    }

    #[test]
    fn utf16_with_bom_is_decoded_and_bom_removed() {
        let mut data = vec![0xFF, 0xFE];
        data.extend("a\r\n组件\r\n".encode_utf16().flat_map(u16::to_le_bytes));
        let (text, _) = collect(&data, TextEncoding::Utf16Le { bom: true }, 0);
        assert_eq!(String::from_utf8(text).expect("utf8"), "a\r\n组件\r\n");
    }

    #[test]
    fn ten_megabyte_line_is_cut_and_reported_with_its_length() {
        let mut data = b"first\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
        data.extend_from_slice(b"\nlast\n");
        let (text, cuts) = collect(&data, TextEncoding::Utf8 { bom: false }, CHUNK_BYTES);
        assert_eq!(cuts, vec![(6, 10 * 1024 * 1024)]);
        assert!(text.ends_with(b"\nlast\n"));
        assert_eq!(
            text.iter().filter(|&&b| b == b'\n').count(),
            3,
            "line numbering is kept"
        );
    }

    #[test]
    fn missing_final_newline_is_kept() {
        let (text, _) = collect(b"a\nb", TextEncoding::Utf8 { bom: false }, 0);
        assert_eq!(text, b"a\nb");
    }
}
