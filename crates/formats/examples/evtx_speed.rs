//! Times reading one .evtx file the way `analyze` does, without process start-up, bundle opening or output:
//! `cargo run --release -p patchdx-formats --example evtx_speed -- FILE.evtx [RUNS]`.

use patchdx_bundle::{Entry, FileKind};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: evtx_speed FILE.evtx [RUNS]");
        std::process::exit(2);
    };
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(50);
    let path = std::path::PathBuf::from(path);
    let entry = Entry {
        path: path.display().to_string(),
        size: std::fs::metadata(&path).map_or(0, |m| m.len()),
        disk_path: path,
        kind: FileKind::Evtx,
        encoding: None,
        encoding_evidence: None,
    };
    let mut times = Vec::with_capacity(runs);
    let mut events = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let file = patchdx_formats::read_source(&entry);
        times.push(started.elapsed());
        events = file.map_or(0, |f| f.events.len());
    }
    times.sort();
    println!("{events} events; median {:?}, min {:?} over {runs} runs", times[runs / 2], times[0]);
}
