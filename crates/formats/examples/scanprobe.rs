//! Developer aid: times trigger searches over one file, to choose literals that keep the scan fast.
use std::time::Instant;

use patchdx_formats::cbs::TRIGGERS;

fn time(name: &str, data: &[u8], patterns: &[&[&str]]) {
    let acs: Vec<_> = patterns
        .iter()
        .map(|p| {
            aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                .build(*p)
                .expect("ac")
        })
        .collect();
    let start = Instant::now();
    let mut n = 0;
    for _ in 0..5 {
        for ac in &acs {
            n += ac.find_iter(data).count();
        }
    }
    println!("{name}: {:?} per pass, {} matches", start.elapsed() / 5, n / 5);
}

fn main() {
    let path = std::env::args().nth(1).expect("path");
    let data = std::fs::read(&path).expect("read");
    println!("{} MB", data.len() >> 20);
    time("all 30", &data, &[TRIGGERS]);
    time("two halves", &data, &[&TRIGGERS[..15], &TRIGGERS[15..]]);
    time("four quarters", &data, &[&TRIGGERS[..8], &TRIGGERS[8..16], &TRIGGERS[16..24], &TRIGGERS[24..]]);
    time("three", &data, &[&TRIGGERS[..10], &TRIGGERS[10..20], &TRIGGERS[20..]]);
    time("first 15 only", &data, &[&TRIGGERS[..15]]);
    time("last 15 only", &data, &[&TRIGGERS[15..]]);
    time("first 8", &data, &[&TRIGGERS[..8]]);
    time("8..16", &data, &[&TRIGGERS[8..16]]);
    time("16..24", &data, &[&TRIGGERS[16..24]]);
    time("24..", &data, &[&TRIGGERS[24..]]);
    time("rg pair", &data, &[&["Error", "Failed"]]);
    let start = Instant::now();
    let c = bytecount::count(&data, b'\n');
    println!("bytecount {c} {:?}", start.elapsed());
}
