//! Finds the next occurrence of any of a small set of literals in a text and counts the line breaks passed
//! on the way, in one pass: the search that picks the few lines of a large log that can matter, and the line
//! numbers they need. Where the CPU has AVX-512 byte permutes (VBMI) a kernel of our own does both at once;
//! elsewhere aho-corasick's packed searcher finds and `bytecount` counts, with exactly the same results.
//!
//! Safety: the only `unsafe` code of patchdx lives in [`avx512`] (vector loads and the call into a function
//! compiled for CPU features that were checked at run time); everything else in the workspace forbids it.
#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]

#[cfg(target_arch = "x86_64")]
mod avx512;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind, packed};

/// Literals shorter than this go to the portable engine: the kernel's fingerprint is each literal's first
/// `FINGERPRINT` bytes.
pub const FINGERPRINT: usize = 4;
/// The kernel keeps one bit per group in each table entry.
pub const MAX_GROUPS: usize = 8;

/// One literal found: where it starts and ends, and its index in the flattened list of literals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub start: usize,
    pub end: usize,
    pub literal: usize,
}

/// What [`LineScanner::find`] returns: the leftmost hit at or after `from` (if any) and the number of `\n`
/// bytes between `from` and the hit's start (or the end of the text when there is none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub hit: Option<Hit>,
    pub newlines: u64,
}

/// Which engine searches; both give identical results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// The AVX-512 (BW + VBMI) kernel: search and line count in one pass.
    Avx512,
    /// aho-corasick's packed SIMD searcher (or its automaton where none can be built), then `bytecount`.
    Portable,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Avx512 => "avx512-vbmi",
            Engine::Portable => "portable",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildError {
    NoLiterals,
    TooManyGroups(usize),
    EmptyLiteral { literal: usize },
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::NoLiterals => write!(f, "no literals to search for"),
            BuildError::TooManyGroups(n) => write!(f, "{n} groups of literals; at most {MAX_GROUPS}"),
            BuildError::EmptyLiteral { literal } => write!(f, "literal {literal} is empty"),
        }
    }
}

impl std::error::Error for BuildError {}

enum Searcher {
    #[cfg(target_arch = "x86_64")]
    Avx512(Box<avx512::Kernel>),
    /// `flat_index` maps the packed searcher's pattern ids back to the flattened list.
    Packed {
        searcher: packed::Searcher,
        flat_index: Vec<usize>,
    },
    Automaton(AhoCorasick),
}

/// A set of literals, searched leftmost-first: of the literals that start at the leftmost position, the one
/// listed first wins.
pub struct LineScanner {
    searcher: Searcher,
}

impl LineScanner {
    /// Builds the fastest engine this CPU can run. Literals come in groups of at most [`MAX_GROUPS`]: the
    /// kernel tells groups apart exactly but the literals inside one group only by their fingerprint bytes
    /// position by position, so a group whose literals share few byte values at the same position lets few
    /// false candidates through. The literal index of a [`Hit`] counts through the groups in order.
    pub fn new(groups: &[&[&str]]) -> Result<Self, BuildError> {
        Self::with_engine(groups, Engine::Avx512)
    }

    /// Builds with the engine asked for when the CPU and the literals allow it, else the portable one.
    pub fn with_engine(groups: &[&[&str]], wanted: Engine) -> Result<Self, BuildError> {
        let literals: Vec<&str> = groups.iter().flat_map(|g| g.iter().copied()).collect();
        if literals.is_empty() {
            return Err(BuildError::NoLiterals);
        }
        if groups.len() > MAX_GROUPS {
            return Err(BuildError::TooManyGroups(groups.len()));
        }
        if let Some(literal) = literals.iter().position(|l| l.is_empty()) {
            return Err(BuildError::EmptyLiteral { literal });
        }
        #[cfg(target_arch = "x86_64")]
        if wanted == Engine::Avx512
            && let Some(kernel) = avx512::Kernel::new(groups)
        {
            return Ok(LineScanner { searcher: Searcher::Avx512(Box::new(kernel)) });
        }
        let _ = wanted;
        let (order, flat_index) = packed_order(groups, &literals);
        let mut config = packed::Config::new();
        config.match_kind(packed::MatchKind::LeftmostFirst);
        if order.len() > literals.len() {
            // Laid out in buckets of the caller's groups (with copies that push the count over 32, where the
            // searcher would switch to 16 buckets of half the width).
            config.only_teddy_fat(Some(false));
        }
        let packed = config.builder().extend(&order).build();
        let searcher = match packed {
            Some(searcher) => Searcher::Packed { searcher, flat_index },
            None => Searcher::Automaton(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(&literals)
                    .map_err(|_| BuildError::NoLiterals)?,
            ),
        };
        Ok(LineScanner { searcher })
    }

    pub fn engine(&self) -> Engine {
        match self.searcher {
            #[cfg(target_arch = "x86_64")]
            Searcher::Avx512(_) => Engine::Avx512,
            Searcher::Packed { .. } | Searcher::Automaton(_) => Engine::Portable,
        }
    }

    /// The leftmost literal at or after `from`, and the line breaks in `text[from..]` before it. A `from`
    /// past the end finds nothing and counts nothing.
    pub fn find(&self, text: &[u8], from: usize) -> Found {
        if from >= text.len() {
            return Found { hit: None, newlines: 0 };
        }
        let hit = match &self.searcher {
            #[cfg(target_arch = "x86_64")]
            Searcher::Avx512(kernel) => return kernel.find(text, from),
            Searcher::Packed { searcher, flat_index } => searcher
                .find_in(text, aho_corasick::Span::from(from..text.len()))
                .map(|m| Hit { start: m.start(), end: m.end(), literal: flat_index[m.pattern().as_usize()] }),
            Searcher::Automaton(ac) => ac.find(Input::new(text).span(from..text.len())).map(|m| Hit {
                start: m.start(),
                end: m.end(),
                literal: m.pattern().as_usize(),
            }),
        };
        let until = hit.map_or(text.len(), |h| h.start);
        Found { hit, newlines: bytecount::count(&text[from..until], b'\n') as u64 }
    }
}

/// The order in which the packed searcher gets the literals, and each one's index in the flattened list.
/// That searcher puts pattern i in bucket i mod 8, so the groups are laid out in rounds of eight, group g
/// at places 8r + g, a group with fewer members repeating its first one (a copy changes no result): its
/// buckets are then the caller's groups. Leftmost-first priority follows the order given, so this is done
/// only when no literal is a prefix of another (then no two can match at the same start and the order
/// decides nothing); otherwise the flattened order is kept.
fn packed_order<'a>(groups: &[&[&'a str]], literals: &[&'a str]) -> (Vec<&'a str>, Vec<usize>) {
    let prefix_pair =
        literals.iter().enumerate().any(|(i, a)| literals.iter().enumerate().any(|(j, b)| i != j && b.starts_with(a)));
    if prefix_pair || groups.len() < MAX_GROUPS || groups.iter().any(|g| g.is_empty()) {
        return (literals.to_vec(), (0..literals.len()).collect());
    }
    let mut firsts = Vec::with_capacity(groups.len());
    let mut next = 0;
    for group in groups {
        firsts.push(next);
        next += group.len();
    }
    let rounds = groups.iter().map(|g| g.len()).max().unwrap_or(0);
    let mut order = Vec::with_capacity(rounds * MAX_GROUPS);
    let mut flat_index = Vec::with_capacity(rounds * MAX_GROUPS);
    for round in 0..rounds {
        for (group, first) in groups.iter().zip(&firsts) {
            let member = if round < group.len() { round } else { 0 };
            if let Some(literal) = group.get(member) {
                order.push(*literal);
                flat_index.push(first + member);
            }
        }
    }
    (order, flat_index)
}

#[cfg(test)]
mod tests;
