//! The fingerprint tables the kernel looks bytes up in: for each of the literals' first [`FINGERPRINT`]
//! positions and each byte value (modulo 0x80), the set of groups with a literal that has that byte there.

use super::{FINGERPRINT, MAX_GROUPS};

/// `halves[k][b >> 6 & 1][b & 0x3f]`: bit g set when group g has a literal whose byte k is `b` (modulo
/// 0x80); two halves of 64, as AVX-512's two-table byte permute takes them.
pub(crate) type Halves = [[[u8; 64]; 2]; FINGERPRINT];

pub(crate) struct Fingerprints {
    pub(crate) halves: Halves,
}

impl Fingerprints {
    /// `None` when a literal is shorter than the fingerprint or there are more than [`MAX_GROUPS`] groups.
    pub(crate) fn new(groups: &[&[&str]]) -> Option<Fingerprints> {
        if groups.len() > MAX_GROUPS || groups.iter().flat_map(|g| g.iter()).any(|l| l.len() < FINGERPRINT) {
            return None;
        }
        let mut halves: Halves = [[[0; 64]; 2]; FINGERPRINT];
        for (g, group) in groups.iter().enumerate() {
            for literal in group.iter() {
                for (k, &byte) in literal.as_bytes()[..FINGERPRINT].iter().enumerate() {
                    *slot(&mut halves, k, byte) |= 1 << g;
                }
            }
        }
        Some(Fingerprints { halves })
    }

    /// Groups whose fingerprint matches at `start` (which has at least `FINGERPRINT` bytes after it).
    pub(crate) fn groups_at(&self, text: &[u8], start: usize) -> u8 {
        (0..FINGERPRINT).fold(0xff, |groups, k| groups & self.halves[k][half(text[start + k])][low(text[start + k])])
    }
}

fn half(byte: u8) -> usize {
    usize::from(byte >> 6 & 1)
}

fn low(byte: u8) -> usize {
    usize::from(byte & 0x3f)
}

fn slot(halves: &mut Halves, k: usize, byte: u8) -> &mut u8 {
    &mut halves[k][half(byte)][low(byte)]
}

/// Positions of `text` where the kernel would stop for the full comparison and no literal starts: what a
/// grouping costs (`examples/trigger_order.rs` searches for groupings with few). `None` for literals the
/// kernel does not take.
#[doc(hidden)]
pub fn false_candidates(groups: &[&[&str]], text: &[u8]) -> Option<usize> {
    let fingerprints = Fingerprints::new(groups)?;
    let literals: Vec<&[u8]> = groups.iter().flat_map(|g| g.iter().map(|l| l.as_bytes())).collect();
    let starts = 0..text.len().saturating_sub(FINGERPRINT - 1);
    Some(
        starts
            .filter(|&start| fingerprints.groups_at(text, start) != 0)
            .filter(|&start| !literals.iter().any(|l| text[start..].starts_with(l)))
            .count(),
    )
}
