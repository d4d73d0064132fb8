//! Reads the lines that *start* inside a byte range of a file, so that several threads can scan one large
//! UTF-8 log at once: each range skips the tail of a line begun before it and finishes the line it ends in.

use std::io::{self, Read, Seek, SeekFrom};

pub struct LineRange<R> {
    inner: R,
    /// Absolute position of the next byte read from `inner`.
    pos: u64,
    end: u64,
    skipping: bool,
    finishing: bool,
    done: bool,
    /// Whether the last byte handed out ended a line.
    at_line_start: bool,
}

impl<R: Read + Seek> LineRange<R> {
    /// Lines starting in `[start, end)`. A line starts at 0 or right after a `\n`.
    pub fn new(mut inner: R, start: u64, end: u64) -> io::Result<Self> {
        let from = start.saturating_sub(1);
        inner.seek(SeekFrom::Start(from))?;
        Ok(LineRange {
            inner,
            pos: from,
            end,
            skipping: start > 0,
            finishing: false,
            done: start >= end,
            at_line_start: true,
        })
    }
}

impl<R: Read> Read for LineRange<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while !self.done {
            let n = self.inner.read(out)?;
            if n == 0 {
                self.done = true;
                return Ok(0);
            }
            let mut start = 0;
            if self.skipping {
                match memchr::memchr(b'\n', &out[..n]) {
                    Some(i) => {
                        self.skipping = false;
                        self.at_line_start = true;
                        start = i + 1;
                    }
                    None => {
                        self.pos += n as u64;
                        continue;
                    }
                }
            }
            let mut stop = n;
            if self.finishing {
                if let Some(j) = memchr::memchr(b'\n', &out[start..n]) {
                    stop = start + j + 1;
                    self.done = true;
                }
            } else if self.pos + start as u64 >= self.end {
                if self.at_line_start {
                    // The next line starts at or past the end: not ours.
                    self.done = true;
                    stop = start;
                } else {
                    // The previous read ended exactly at the end, inside a line: finish that line.
                    self.finishing = true;
                    if let Some(j) = memchr::memchr(b'\n', &out[start..n]) {
                        stop = start + j + 1;
                        self.done = true;
                    }
                }
            } else if self.pos + n as u64 > self.end {
                let cut = (self.end - self.pos) as usize;
                if out[cut - 1] == b'\n' {
                    stop = cut;
                    self.done = true;
                } else {
                    self.finishing = true;
                    if let Some(j) = memchr::memchr(b'\n', &out[cut..n]) {
                        stop = cut + j + 1;
                        self.done = true;
                    }
                }
            }
            self.pos += n as u64;
            if stop > start {
                self.at_line_start = out[stop - 1] == b'\n';
                out.copy_within(start..stop, 0);
                return Ok(stop - start);
            }
        }
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// Hands out at most 5 bytes per read, as a slow pipe or network file system may.
    struct Trickle<'a>(Cursor<&'a [u8]>);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = out.len().min(5);
            self.0.read(&mut out[..n])
        }
    }

    impl Seek for Trickle<'_> {
        fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
            self.0.seek(to)
        }
    }

    fn lines_of(data: &[u8], start: u64, end: u64) -> Vec<u8> {
        let mut out = Vec::new();
        LineRange::new(Cursor::new(data), start, end).expect("seek").read_to_end(&mut out).expect("read");
        let mut trickled = Vec::new();
        LineRange::new(Trickle(Cursor::new(data)), start, end).expect("seek").read_to_end(&mut trickled).expect("read");
        assert_eq!(out, trickled, "range {start}..{end} depends on read sizes");
        out
    }

    #[test]
    fn ranges_partition_the_lines_exactly() {
        let data: Vec<u8> =
            (0..2000).flat_map(|i| format!("line number {i}{}\n", "x".repeat(i % 37)).into_bytes()).collect();
        for pieces in [1u64, 2, 3, 7, 50, 997] {
            let size = data.len() as u64;
            let step = size.div_ceil(pieces);
            let mut joined = Vec::new();
            let mut start = 0;
            while start < size {
                let end = (start + step).min(size);
                joined.extend(lines_of(&data, start, end));
                start = end;
            }
            let first_difference = joined.iter().zip(&data).position(|(a, b)| a != b);
            assert!(
                joined == data,
                "{pieces} ranges: lengths {} vs {}, first difference at {first_difference:?}",
                joined.len(),
                data.len()
            );
        }
    }

    #[test]
    fn boundary_on_a_line_start_and_missing_final_newline() {
        let data = b"aa\nbb\ncc";
        assert_eq!(lines_of(data, 0, 3), b"aa\n");
        assert_eq!(lines_of(data, 3, 6), b"bb\n");
        assert_eq!(lines_of(data, 6, 8), b"cc");
        assert_eq!(lines_of(data, 4, 5), b"");
        assert_eq!(lines_of(data, 1, 4), b"bb\n");
    }
}
