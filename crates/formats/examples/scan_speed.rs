//! Developer aid: times the CBS scan on text held in memory (no reading, no bundle), to see what a change to
//! the triggers or the line parser costs.
//!
//! `cargo run --release -p patchdx-formats --example scan_speed -- CBS.log...`
use std::time::Instant;

fn main() {
    let mut text = Vec::new();
    for path in std::env::args().skip(1) {
        match std::fs::read(&path) {
            Ok(bytes) => text.extend(bytes),
            Err(err) => {
                eprintln!("{path}: {err}");
                std::process::exit(2);
            }
        }
    }
    if text.is_empty() {
        eprintln!("usage: scan_speed CBS.log...");
        std::process::exit(2);
    }
    let gb = text.len() as f64 / 1e9;
    for _ in 0..3 {
        let start = Instant::now();
        let (lines, events) = patchdx_formats::cbs::scan_text(&text);
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "{:.0} MB: {lines} lines, {events} events in {:.1} ms = {:.2} GB/s",
            gb * 1e3,
            seconds * 1e3,
            gb / seconds
        );
    }
}
