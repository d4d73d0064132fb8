//! A cursor for checking the shape of a line by hand (digits here, a tab there): recognition runs on the first
//! lines of every file of a bundle, and compiling regexes for it cost more than reading the files' heads.

/// A cursor over the start of a line, for checking line shapes by hand: recognition runs on the first lines of
/// every file, and compiling regexes for it cost more than reading the files' heads.
pub struct Shape<'a> {
    bytes: &'a [u8],
    /// Where the cursor stands (bytes consumed so far).
    pub at: usize,
}

impl<'a> Shape<'a> {
    pub fn of(line: &'a str) -> Self {
        Shape { bytes: line.as_bytes(), at: 0 }
    }

    /// Exactly `n` bytes that pass `test`.
    pub fn exactly(&mut self, n: usize, test: impl Fn(u8) -> bool) -> bool {
        let ok = self.bytes.get(self.at..self.at + n).is_some_and(|run| run.iter().all(|&c| test(c)));
        self.at += n;
        ok
    }

    /// Between `min` and `max` bytes that pass `test` (as many as there are, up to `max`).
    pub fn run(&mut self, min: usize, max: usize, test: impl Fn(u8) -> bool) -> bool {
        let n = self.bytes[self.at.min(self.bytes.len())..].iter().take(max).take_while(|&&c| test(c)).count();
        self.at += n;
        n >= min
    }

    pub fn digits(&mut self, n: usize) -> bool {
        self.exactly(n, |c| c.is_ascii_digit())
    }

    pub fn byte(&mut self, want: u8) -> bool {
        self.exactly(1, |c| c == want)
    }

    pub fn one_of(&mut self, set: &[u8]) -> bool {
        self.exactly(1, |c| set.contains(&c))
    }

    pub fn blanks(&mut self) -> bool {
        self.run(1, usize::MAX, |c| c.is_ascii_whitespace())
    }

    /// `yyyy-mm-dd`, with one of `separators` between the parts.
    pub fn date(&mut self, separators: &[u8]) -> bool {
        self.digits(4) && self.one_of(separators) && self.digits(2) && self.one_of(separators) && self.digits(2)
    }

    /// `hh:mm:ss`.
    pub fn clock(&mut self) -> bool {
        self.digits(2) && self.byte(b':') && self.digits(2) && self.byte(b':') && self.digits(2)
    }
}
