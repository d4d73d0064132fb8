//! Developer aid: times the CBS trigger search on real text with both engines and looks for a grouping of
//! the literals that lets fewer false candidates through the AVX-512 kernel.
//!
//! `cargo run --release -p patchdx-formats --example trigger_order -- FILE... [--search N]`
//!
//! The kernel tells the eight groups apart exactly, but the literals of one group only by their first four
//! bytes position by position: "Error" and "[SR]" in one group also let "ESR]" or "[rro" through. With
//! `--search N` it tries N random moves (a literal to another group, or two literals swapped), keeps each
//! that gives no more false candidates, and prints the best grouping found; paste it into `TRIGGER_GROUPS`
//! only if it also wins on other logs.

use patchdx_formats::cbs::TRIGGER_GROUPS;
use patchdx_linescan::{Engine, LineScanner, MAX_GROUPS};
use std::time::Instant;

/// GB/s of the scan loop (find a hit, skip to the end of its line), best of five. The text is searched as
/// `analyze` searches it: 1 MiB at a time, each first copied into one buffer as `read` copies it (the copy
/// is not timed), so that the search runs on cache-hot bytes.
fn speed(scanner: &LineScanner, text: &[u8]) -> (f64, usize, u64) {
    let mut buffer = vec![0u8; 1 << 20];
    let mut best = f64::MAX;
    let (mut hits, mut lines) = (0, 0);
    for _ in 0..5 {
        let mut searching = std::time::Duration::ZERO;
        (hits, lines) = (0, 0);
        for chunk in text.chunks(1 << 20) {
            buffer[..chunk.len()].copy_from_slice(chunk);
            let chunk = &buffer[..chunk.len()];
            let start = Instant::now();
            let mut pos = 0;
            loop {
                let found = scanner.find(chunk, pos);
                lines += found.newlines;
                let Some(hit) = found.hit else { break };
                hits += 1;
                match memchr::memchr(b'\n', &chunk[hit.start..]) {
                    Some(i) => {
                        pos = hit.start + i + 1;
                        lines += 1;
                    }
                    None => break,
                }
            }
            searching += start.elapsed();
        }
        best = best.min(searching.as_secs_f64());
    }
    (text.len() as f64 / best / 1e9, hits, lines)
}

/// False candidates of a grouping, as the kernel's own tables give them.
fn false_candidates(groups: &[Vec<&str>], text: &[u8]) -> usize {
    let groups: Vec<&[&str]> = groups.iter().map(Vec::as_slice).collect();
    patchdx_linescan::false_candidates(&groups, text).unwrap_or(usize::MAX)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut text = Vec::new();
    let mut rounds = 0usize;
    while let Some(arg) = args.next() {
        if arg == "--search" {
            rounds = args.next().and_then(|n| n.parse().ok()).unwrap_or(200);
        } else {
            match std::fs::read(&arg) {
                Ok(bytes) => text.extend(bytes),
                Err(err) => {
                    eprintln!("{arg}: {err}");
                    std::process::exit(2);
                }
            }
        }
    }
    if text.is_empty() {
        eprintln!("usage: trigger_order FILE... [--search N]");
        std::process::exit(2);
    }
    println!("{} MB", text.len() >> 20);
    for engine in [Engine::Avx512, Engine::Portable] {
        let scanner = patchdx_formats::cbs::trigger_scanner(engine);
        let (gbps, hits, lines) = speed(&scanner, &text);
        println!("{:12} {gbps:.2} GB/s, {hits} lines picked of {lines}", scanner.engine().name());
    }
    let mut best: Vec<Vec<&str>> = TRIGGER_GROUPS.iter().map(|g| g.to_vec()).collect();
    let mut fewest = false_candidates(&best, &text);
    println!("false candidates as shipped: {fewest}");
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut random = |below: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % below as u64) as usize
    };
    for _ in 0..rounds {
        let mut candidate = best.clone();
        let from = random(MAX_GROUPS);
        if candidate[from].len() < 2 {
            continue;
        }
        let at = random(candidate[from].len());
        let literal = candidate[from].remove(at);
        let to = random(MAX_GROUPS);
        if random(2) == 0 || candidate[to].is_empty() {
            candidate[to].push(literal);
        } else {
            // A swap: the literal it displaces goes back to the first group.
            let other = random(candidate[to].len());
            let displaced = std::mem::replace(&mut candidate[to][other], literal);
            candidate[from].push(displaced);
        }
        let count = false_candidates(&candidate, &text);
        if count <= fewest {
            if count < fewest {
                println!("{count} false candidates: {candidate:?}");
            }
            (fewest, best) = (count, candidate);
        }
    }
}
