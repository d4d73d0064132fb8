//! Developer aid: times `patchdx_bundle::open` (walk, recognise every file) on a folder or archive.
//!
//! `cargo run --release -p patchdx-bundle --example open_speed -- PATH`
use std::time::Instant;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: open_speed PATH");
        std::process::exit(2);
    };
    for _ in 0..5 {
        let start = Instant::now();
        match patchdx_bundle::open(std::path::Path::new(&path), &Default::default()) {
            Ok(bundle) => println!("{} files in {:.2} ms", bundle.entries.len(), start.elapsed().as_secs_f64() * 1e3),
            Err(err) => {
                eprintln!("{err}");
                std::process::exit(2);
            }
        }
    }
}
