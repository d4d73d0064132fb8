//! The AVX-512 kernel. Each byte value maps, through one 128-entry table per fingerprint position, to the set
//! of groups that have a literal with that byte at that position (`vpermi2b` looks up 64 bytes at once). A
//! position where the four lookups of the next four bytes share a group is a candidate, checked against the
//! group's literals in full; the same loaded bytes are compared with `\n` for the line count.
//!
//! Bytes of 0x80 and above are looked up by their low seven bits: that can only add candidates, which the
//! full comparison then rejects, never lose a match.
#![allow(unsafe_code)]

use super::tables::{Fingerprints, Halves};
use super::{FINGERPRINT, Found, Hit};
use std::arch::x86_64::{
    __m512i, _mm512_cmpeq_epi8_mask, _mm512_loadu_si512, _mm512_permutex2var_epi8, _mm512_set1_epi8,
    _mm512_ternarylogic_epi32, _mm512_test_epi8_mask,
};

/// Bytes one step of the loop reads: a 64-byte block and the fingerprint bytes of its last positions.
const STEP_READ: usize = 64 + FINGERPRINT - 1;

pub(crate) struct Kernel {
    fingerprints: Fingerprints,
    /// Per group, its literals with their index in the flattened list, in list order.
    groups: Vec<Vec<(usize, Box<[u8]>)>>,
}

impl Kernel {
    /// `None` when the CPU lacks the instructions or the fingerprint tables cannot hold the literals.
    pub(crate) fn new(groups: &[&[&str]]) -> Option<Kernel> {
        let supported = std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vbmi")
            && std::arch::is_x86_feature_detected!("popcnt");
        if !supported {
            return None;
        }
        let fingerprints = Fingerprints::new(groups)?;
        let mut index = 0;
        let groups = groups
            .iter()
            .map(|group| {
                group
                    .iter()
                    .map(|literal| {
                        index += 1;
                        (index - 1, literal.as_bytes().into())
                    })
                    .collect()
            })
            .collect();
        Some(Kernel { fingerprints, groups })
    }

    pub(crate) fn find(&self, text: &[u8], from: usize) -> Found {
        let mut at = from;
        let mut newlines = 0u64;
        loop {
            // SAFETY: a `Kernel` is only built (in `new`) after the CPU was found to have every feature
            // that `next_block` is compiled for.
            let block = unsafe { next_block(&self.fingerprints.halves, text, at) };
            newlines += block.newlines_before;
            if block.candidates == 0 {
                at = block.at;
                break;
            }
            let mut candidates = block.candidates;
            while candidates != 0 {
                let offset = candidates.trailing_zeros() as usize;
                candidates &= candidates - 1;
                let start = block.at + offset;
                if let Some(hit) = self.verify(text, start, self.fingerprints.groups_at(text, start)) {
                    let before = block.breaks & ((1u64 << offset) - 1);
                    return Found { hit: Some(hit), newlines: newlines + u64::from(before.count_ones()) };
                }
            }
            newlines += u64::from(block.breaks.count_ones());
            at = block.at + 64;
        }
        // The last bytes, fewer than one step reads, one at a time.
        let last_start = text.len().saturating_sub(FINGERPRINT - 1);
        for start in at..text.len() {
            if start < last_start
                && let Some(hit) = self.verify(text, start, self.fingerprints.groups_at(text, start))
            {
                return Found { hit: Some(hit), newlines };
            }
            newlines += u64::from(text[start] == b'\n');
        }
        Found { hit: None, newlines }
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
fn load(bytes: &[u8; 64]) -> __m512i {
    // SAFETY: the 64 bytes read are those of the array; unaligned loads are allowed.
    unsafe { _mm512_loadu_si512(bytes.as_ptr().cast()) }
}

/// A 64-byte block with at least one candidate: where it starts, its candidate and line-break masks, and
/// the line breaks between the search's start and the block. No candidates: fewer bytes than one step reads
/// are left from `at` on, which the caller searches itself.
struct Block {
    at: usize,
    candidates: u64,
    breaks: u64,
    newlines_before: u64,
}

/// The next block at or after `from` with a candidate, or where the blocks end. Nothing here calls out, so
/// the tables stay in registers through the whole loop.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,popcnt")]
fn next_block(tables: &Halves, text: &[u8], from: usize) -> Block {
    let lo: [__m512i; FINGERPRINT] = std::array::from_fn(|k| load(&tables[k][0]));
    let hi: [__m512i; FINGERPRINT] = std::array::from_fn(|k| load(&tables[k][1]));
    let newline = _mm512_set1_epi8(b'\n' as i8);
    let mut at = from;
    let mut newlines_before = 0u64;
    while let Some(window) = text.get(at..at + STEP_READ) {
        // The window's length is known here, so these cannot fail and compile to plain loads.
        let (Some(b0), Some(b1), Some(b2), Some(b3)) = (
            window.first_chunk::<64>(),
            window[1..].first_chunk::<64>(),
            window[2..].first_chunk::<64>(),
            window[3..].first_chunk::<64>(),
        ) else {
            break;
        };
        let bytes = [load(b0), load(b1), load(b2), load(b3)];
        let hit0 = _mm512_permutex2var_epi8(lo[0], bytes[0], hi[0]);
        let hit1 = _mm512_permutex2var_epi8(lo[1], bytes[1], hi[1]);
        let hit2 = _mm512_permutex2var_epi8(lo[2], bytes[2], hi[2]);
        let hit3 = _mm512_permutex2var_epi8(lo[3], bytes[3], hi[3]);
        // 0x80: the AND of the three inputs, bit by bit.
        let first_three = _mm512_ternarylogic_epi32::<0x80>(hit0, hit1, hit2);
        let candidates = _mm512_test_epi8_mask(first_three, hit3);
        let breaks = _mm512_cmpeq_epi8_mask(bytes[0], newline);
        if candidates != 0 {
            return Block { at, candidates, breaks, newlines_before };
        }
        newlines_before += u64::from(breaks.count_ones());
        at += 64;
    }
    Block { at, candidates: 0, breaks: 0, newlines_before }
}
