//! Developer aid: times the CBS trigger search on real text and looks for a faster order of the literals.
//!
//! `cargo run --release -p patchdx-formats --example trigger_order -- FILE... [--search N]`
//!
//! The SIMD search puts literal i in bucket i mod 8, so the order of `TRIGGERS` changes how many false
//! candidates each bucket lets through. With `--search N` it tries N random swaps and keeps each that is faster,
//! printing the best order found; paste it into `TRIGGERS` only if it also wins on other logs.

use aho_corasick::{AhoCorasick, Input, MatchKind};
use patchdx_formats::cbs::TRIGGERS;
use std::time::Instant;

/// GB/s of the scan loop (find a hit, skip to the end of its line), best of three. The text is searched as
/// `analyze` searches it: 1 MiB at a time, each first copied into one buffer as `read` copies it, so that
/// the search runs on cache-hot bytes (on text streamed from memory every literal set looks alike).
fn speed(literals: &[&str], text: &[u8]) -> f64 {
    let searcher =
        AhoCorasick::builder().match_kind(MatchKind::LeftmostFirst).build(literals).expect("literal patterns");
    let mut buffer = vec![0u8; 1 << 20];
    let mut best = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        let mut hits = 0usize;
        for chunk in text.chunks(1 << 20) {
            let chunk = {
                buffer[..chunk.len()].copy_from_slice(chunk);
                &buffer[..chunk.len()]
            };
            let mut pos = 0;
            while let Some(hit) = searcher.find(Input::new(chunk).span(pos..chunk.len())) {
                hits += 1;
                pos = memchr::memchr(b'\n', &chunk[hit.start()..]).map_or(chunk.len(), |i| hit.start() + i + 1);
            }
        }
        std::hint::black_box(hits);
        best = best.min(start.elapsed().as_secs_f64());
    }
    text.len() as f64 / best / 1e9
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut text = Vec::new();
    let mut rounds = 0usize;
    while let Some(arg) = args.next() {
        if arg == "--search" {
            rounds = args.next().and_then(|n| n.parse().ok()).unwrap_or(200);
        } else {
            text.extend(std::fs::read(&arg).unwrap_or_else(|err| panic!("{arg}: {err}")));
        }
    }
    assert!(!text.is_empty(), "usage: trigger_order FILE... [--search N]");
    let mut sorted = TRIGGERS.to_vec();
    sorted.sort_unstable();
    println!("{} MB", text.len() >> 20);
    println!("TRIGGERS as shipped: {:.2} GB/s", speed(TRIGGERS, &text));
    println!("same, sorted:        {:.2} GB/s", speed(&sorted, &text));
    let mut best = (speed(TRIGGERS, &text), TRIGGERS.to_vec());
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut random = |below: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % below as u64) as usize
    };
    for _ in 0..rounds {
        let mut candidate = best.1.clone();
        let (a, b) = (random(candidate.len()), random(candidate.len()));
        candidate.swap(a, b);
        let gbps = speed(&candidate, &text);
        if gbps > best.0 {
            best = (gbps, candidate);
            println!("{:.2} GB/s {:?}", best.0, best.1);
        }
    }
}
