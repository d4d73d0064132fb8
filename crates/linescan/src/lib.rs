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
mod tables;

#[doc(hidden)]
pub use tables::false_candidates;

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

    /// The engine a name (as [`name`](Self::name) gives it) stands for.
    pub fn from_name(name: &str) -> Option<Engine> {
        [Engine::Avx512, Engine::Portable].into_iter().find(|e| e.name() == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildError {
    NoLiterals,
    TooManyGroups(usize),
    EmptyLiteral {
        literal: usize,
    },
    /// The portable order does not hold exactly the literals of the groups.
    OrderMismatch,
    /// A portable order was given for literals of which one is a prefix of another.
    OrderDecidesPriority,
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::NoLiterals => write!(f, "no literals to search for"),
            BuildError::TooManyGroups(n) => write!(f, "{n} groups of literals; at most {MAX_GROUPS}"),
            BuildError::EmptyLiteral { literal } => write!(f, "literal {literal} is empty"),
            BuildError::OrderMismatch => write!(f, "the portable order holds other literals than the groups"),
            BuildError::OrderDecidesPriority => {
                write!(f, "a literal is a prefix of another: the portable order would decide which a hit names")
            }
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
        Self::build(groups, wanted, None)
    }

    /// As [`with_engine`](Self::with_engine), and the portable engine gets the same literals in `order`:
    /// aho-corasick's packed searcher puts literal i in bucket i mod 8, so its own best order differs from
    /// the kernel's best groups. Hits still carry their index in the groups. Refused when the order holds
    /// other literals, or when one literal is a prefix of another (then the order would decide which of the
    /// two a hit names).
    pub fn with_portable_order(groups: &[&[&str]], wanted: Engine, order: &[&str]) -> Result<Self, BuildError> {
        Self::build(groups, wanted, Some(order))
    }

    fn build(groups: &[&[&str]], wanted: Engine, order: Option<&[&str]>) -> Result<Self, BuildError> {
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
        let flat_index = match order {
            None => (0..literals.len()).collect(),
            Some(order) => portable_index(&literals, order)?,
        };
        #[cfg(target_arch = "x86_64")]
        if wanted == Engine::Avx512
            && let Some(kernel) = avx512::Kernel::new(groups)
        {
            return Ok(LineScanner { searcher: Searcher::Avx512(Box::new(kernel)) });
        }
        let _ = wanted;
        let order = order.unwrap_or(&literals);
        let packed = packed::Config::new().match_kind(packed::MatchKind::LeftmostFirst).builder().extend(order).build();
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

/// For each literal of `order`, its index in `literals` (the groups flattened).
fn portable_index(literals: &[&str], order: &[&str]) -> Result<Vec<usize>, BuildError> {
    let prefix_pair =
        literals.iter().enumerate().any(|(i, a)| literals.iter().enumerate().any(|(j, b)| i != j && b.starts_with(a)));
    if prefix_pair {
        // Equal literals count too: each is a prefix of the other.
        return Err(BuildError::OrderDecidesPriority);
    }
    let index: Option<Vec<usize>> = order.iter().map(|l| literals.iter().position(|x| x == l)).collect();
    let mut seen = vec![false; literals.len()];
    match index {
        // With every literal distinct, a permutation is an order of the same length naming no literal twice.
        Some(index)
            if index.len() == literals.len() && index.iter().all(|&i| !std::mem::replace(&mut seen[i], true)) =>
        {
            Ok(index)
        }
        _ => Err(BuildError::OrderMismatch),
    }
}

#[cfg(test)]
mod tests;
