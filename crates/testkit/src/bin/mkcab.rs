//! `mkcab --lzx|--mszip [--date YYYY-MM-DDTHH:MM:SS] OUT.cab FILE...`
//!
//! Packs files into one cabinet folder, each stored under its base name. `--lzx` writes the
//! LZX (window 2^21, `typeCompress` 0x1503) form Windows uses for `CbsPersist_*.cab`;
//! `--mszip` writes MSZIP. `--date` sets the entries' (local, DOS) time for `--lzx`; the
//! default is 2022-10-11 09:00:00. Output is deterministic.
#![forbid(unsafe_code)]

use std::path::Path;
use std::process::ExitCode;

use patchdx_testkit::{DosDateTime, lzx_cab_dated, mszip_cab};

const USAGE: &str = "usage: mkcab --lzx|--mszip [--date YYYY-MM-DDTHH:MM:SS] OUT.cab FILE...";

fn parse_date(s: &str) -> Option<DosDateTime> {
    let (d, t) = s.split_once(['T', ' '])?;
    let d: Vec<&str> = d.split('-').collect();
    let t: Vec<&str> = t.split(':').collect();
    if d.len() != 3 || t.len() != 3 {
        return None;
    }
    Some(DosDateTime {
        year: d[0].parse().ok()?,
        month: d[1].parse().ok().filter(|m| (1..=12).contains(m))?,
        day: d[2].parse().ok().filter(|x| (1..=31).contains(x))?,
        hour: t[0].parse().ok().filter(|x| *x < 24)?,
        minute: t[1].parse().ok().filter(|x| *x < 60)?,
        second: t[2].parse().ok().filter(|x| *x < 60)?,
    })
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut lzx = None;
    let mut date = DosDateTime::DEFAULT;
    let mut rest = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--lzx" => lzx = Some(true),
            "--mszip" => lzx = Some(false),
            "--date" => match args.next().as_deref().and_then(parse_date) {
                Some(d) => date = d,
                None => {
                    eprintln!("mkcab: --date wants YYYY-MM-DDTHH:MM:SS\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ => rest.push(a),
        }
    }
    let (Some(lzx), true) = (lzx, rest.len() >= 2) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let out = &rest[0];
    let mut files = Vec::new();
    for path in &rest[1..] {
        let name = match Path::new(path).file_name().and_then(|n| n.to_str()) {
            Some(n) => n.to_string(),
            None => {
                eprintln!("mkcab: {path}: no usable file name");
                return ExitCode::FAILURE;
            }
        };
        match std::fs::read(path) {
            Ok(data) => files.push((name, data)),
            Err(e) => {
                eprintln!("mkcab: {path}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();
    let bytes = if lzx {
        lzx_cab_dated(&refs, date)
    } else {
        match mszip_cab(&refs) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("mkcab: {e}");
                return ExitCode::FAILURE;
            }
        }
    };
    if let Err(e) = std::fs::write(out, &bytes) {
        eprintln!("mkcab: {out}: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
