//! The AVX-512 kernel. Each byte value maps, through one 128-entry table per fingerprint position, to the set
//! of groups that have a literal with that byte at that position (`vpermi2b` looks up 64 bytes at once). A
//! position where the four lookups of the next four bytes share a group is a candidate, checked against the
//! group's literals in full; the same loaded bytes are compared with `\n` for the line count.
//!
//! Bytes of 0x80 and above are looked up by their low seven bits: that can only add candidates, which the
//! full comparison then rejects, never lose a match.
#![allow(unsafe_code)]

use super::{FINGERPRINT, Found, Hit};
use std::arch::x86_64::{
    __m512i, _mm512_cmpeq_epi8_mask, _mm512_loadu_si512, _mm512_permutex2var_epi8, _mm512_set1_epi8,
    _mm512_ternarylogic_epi32, _mm512_test_epi8_mask,
};

/// Bytes one step of the loop reads: a 64-byte block and the fingerprint bytes of its last positions.
const STEP_READ: usize = 64 + FINGERPRINT - 1;

pub(crate) struct Kernel {
    /// `tables[k][b & 0x7f]`: bit g set when group g has a literal whose byte k is `b` (modulo 0x80).
    tables: [[u8; 128]; FINGERPRINT],
    /// Per group, its literals with their index in the flattened list, in list order.
    groups: Vec<Vec<(usize, Box<[u8]>)>>,
}

impl Kernel {
    /// `None` when the CPU lacks the instructions or a literal is shorter than the fingerprint.
    pub(crate) fn new(groups: &[&[&str]]) -> Option<Kernel> {
        let supported = std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vbmi")
            && std::arch::is_x86_feature_detected!("popcnt");
        if !supported || groups.iter().flat_map(|g| g.iter()).any(|l| l.len() < FINGERPRINT) {
            return None;
        }
        let mut tables = [[0u8; 128]; FINGERPRINT];
        let mut index = 0;
        let mut kept = Vec::with_capacity(groups.len());
        for (g, group) in groups.iter().enumerate() {
            let mut literals = Vec::with_capacity(group.len());
            for literal in group.iter() {
                for (k, table) in tables.iter_mut().enumerate() {
                    table[usize::from(literal.as_bytes()[k] & 0x7f)] |= 1 << g;
                }
                literals.push((index, literal.as_bytes().into()));
                index += 1;
            }
            kept.push(literals);
        }
        Some(Kernel { tables, groups: kept })
    }

    pub(crate) fn find(&self, text: &[u8], from: usize) -> Found {
        // SAFETY: a `Kernel` is only built (in `new`) after the CPU was found to have every feature that
        // `find_avx512` is compiled for.
        unsafe { find_avx512(self, text, from) }
    }

    /// Groups whose fingerprint matches at `start` (which has at least `FINGERPRINT` bytes after it).
    fn groups_at(&self, text: &[u8], start: usize) -> u8 {
        let mut groups = 0xff;
        for (k, table) in self.tables.iter().enumerate() {
            groups &= table[usize::from(text[start + k] & 0x7f)];
        }
        groups
    }

    /// The first-listed literal of `groups` that starts at `start`.
    fn verify(&self, text: &[u8], start: usize, mut groups: u8) -> Option<Hit> {
        let rest = &text[start..];
        // Groups hold consecutive indices in group order, so the first match found is the first listed.
        while groups != 0 {
            let g = groups.trailing_zeros() as usize;
            groups &= groups - 1;
            for (literal, bytes) in &self.groups[g] {
                if rest.starts_with(bytes) {
                    return Some(Hit { start, end: start + bytes.len(), literal: *literal });
                }
            }
        }
        None
    }
}

/// Loads 64 bytes. Compiled for AVX-512 itself: a plain function could not inline the load into the kernel.
#[inline]
#[target_feature(enable = "avx512f")]
fn load(bytes: &[u8]) -> __m512i {
    debug_assert!(bytes.len() >= 64);
    // SAFETY: 64 bytes are read from a slice that holds at least that many; unaligned loads are allowed.
    unsafe { _mm512_loadu_si512(bytes.as_ptr().cast()) }
}

#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,popcnt")]
fn find_avx512(kernel: &Kernel, text: &[u8], from: usize) -> Found {
    let lo: [__m512i; FINGERPRINT] = std::array::from_fn(|k| load(&kernel.tables[k][..64]));
    let hi: [__m512i; FINGERPRINT] = std::array::from_fn(|k| load(&kernel.tables[k][64..]));
    let newline = _mm512_set1_epi8(b'\n' as i8);
    let mut at = from;
    let mut newlines = 0u64;
    while let Some(window) = text.get(at..at + STEP_READ) {
        let bytes = [load(window), load(&window[1..]), load(&window[2..]), load(&window[3..])];
        let hit0 = _mm512_permutex2var_epi8(lo[0], bytes[0], hi[0]);
        let hit1 = _mm512_permutex2var_epi8(lo[1], bytes[1], hi[1]);
        let hit2 = _mm512_permutex2var_epi8(lo[2], bytes[2], hi[2]);
        let hit3 = _mm512_permutex2var_epi8(lo[3], bytes[3], hi[3]);
        // 0x80: the AND of the three inputs, bit by bit.
        let first_three = _mm512_ternarylogic_epi32::<0x80>(hit0, hit1, hit2);
        let mut candidates = _mm512_test_epi8_mask(first_three, hit3);
        let breaks = _mm512_cmpeq_epi8_mask(bytes[0], newline);
        while candidates != 0 {
            let offset = candidates.trailing_zeros() as usize;
            candidates &= candidates - 1;
            let start = at + offset;
            if let Some(hit) = kernel.verify(text, start, kernel.groups_at(text, start)) {
                let before = breaks & ((1u64 << offset) - 1);
                return Found { hit: Some(hit), newlines: newlines + u64::from(before.count_ones()) };
            }
        }
        newlines += u64::from(breaks.count_ones());
        at += 64;
    }
    // The last bytes, fewer than one step reads, one at a time.
    let last_start = text.len().saturating_sub(FINGERPRINT - 1);
    for start in at..text.len() {
        if start < last_start
            && let Some(hit) = kernel.verify(text, start, kernel.groups_at(text, start))
        {
            return Found { hit: Some(hit), newlines };
        }
        newlines += u64::from(text[start] == b'\n');
    }
    Found { hit: None, newlines }
}
