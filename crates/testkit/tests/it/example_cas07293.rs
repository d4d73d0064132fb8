//! The LZX cab shipped in examples/cas-07293 decodes with the `cab` crate (lzxd) to its source
//! log, and is exactly what `mkcab --lzx --date 2022-10-11T09:00:00` makes from it.
use std::io::{Cursor, Read};
use std::path::PathBuf;

use patchdx_testkit::{DosDateTime, lzx_cab_dated};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn example_cab_roundtrips_and_is_reproducible() {
    let cab_path = repo().join("examples/cas-07293/Windows/Logs/CBS/CbsPersist_20221011010000.cab");
    let src_path = repo().join("examples/cas-07293-src/CbsPersist_20221011010000.log");
    let (Ok(bytes), Ok(src)) = (std::fs::read(&cab_path), std::fs::read(&src_path)) else {
        eprintln!("WARNING: examples/cas-07293 not present; skipping");
        return;
    };
    let mut cabinet = cab::Cabinet::new(Cursor::new(&bytes)).unwrap();
    let folder = cabinet.folder_entries().next().unwrap();
    assert_eq!(folder.compression_type(), cab::CompressionType::Lzx(cab::WindowSize::MB2));
    let mut got = Vec::new();
    cabinet.read_file("CbsPersist_20221011010000.log").unwrap().read_to_end(&mut got).unwrap();
    assert!(got == src, "cab content differs from examples/cas-07293-src");
    assert!(got.starts_with(b"\xef\xbb\xbf2022-09-20 08:00:00, Info"));

    let when = DosDateTime { year: 2022, month: 10, day: 11, hour: 9, minute: 0, second: 0 };
    let rebuilt = lzx_cab_dated(&[("CbsPersist_20221011010000.log", &src)], when);
    assert!(rebuilt == bytes, "examples/cas-07293 cab is stale: run examples/cas-07293-src/regenerate.sh");
}
