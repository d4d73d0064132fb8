use super::*;
use std::io::Read;
use std::path::Path;
use std::process::Command;

const SIZES: [usize; 6] = [0, 1, 32_767, 32_768, 32_769, 200_000];

/// Text with CRLFs plus every byte value, including plenty of 0xE8 (the LZX call-translation
/// marker), deterministic.
fn sample(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let line = b"2022-10-12 11:10:05, Info                  CBS    TI: sample line\r\n";
    (0..len)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            match (i / 1000) % 3 {
                0 => line[i % line.len()],
                1 => (x & 0xff) as u8,
                _ => 0xe8,
            }
        })
        .collect()
}

fn read_cab(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut cabinet = cab::Cabinet::new(Cursor::new(bytes)).expect("cab header");
    let names: Vec<String> = cabinet
        .folder_entries()
        .flat_map(|f| f.file_entries().map(|e| e.name().to_string()).collect::<Vec<_>>())
        .collect();
    names
        .into_iter()
        .map(|n| {
            let mut data = Vec::new();
            cabinet.read_file(&n).expect("open entry").read_to_end(&mut data).expect("decompress entry");
            (n, data)
        })
        .collect()
}

fn assert_roundtrip(bytes: &[u8], files: &[(&str, &[u8])]) {
    let got = read_cab(bytes);
    assert_eq!(got.len(), files.len());
    for ((gn, gd), (n, d)) in got.iter().zip(files) {
        assert_eq!(gn, n);
        assert_eq!(gd.len(), d.len(), "{n}: length");
        assert!(gd == d, "{n}: content differs");
    }
}

#[test]
fn bitwriter_is_msb_first_in_le_words() {
    let mut w = BitWriter::new();
    w.put(0b0011, 4);
    w.put(0x030, 12);
    w.put(1, 1);
    w.put(0, 15);
    assert_eq!(w.out, vec![0x30, 0x30, 0x00, 0x80]);
}

#[test]
fn first_frame_matches_lzxd_reference_vector() {
    // The lzxd crate's own `check_uncompressed` test vector, preceded by the E8 bit.
    let frame = lzx_frame(b"abc", true);
    let mut d = lzxd::Lzxd::new(lzxd::WindowSize::MB2);
    assert_eq!(d.decompress_next(&frame, 3).unwrap(), b"abc");
    let reference = [
        0x00, 0x30, 0x30, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, b'a', b'b',
        b'c', 0x00,
    ];
    assert_eq!(frame, reference);
}

#[test]
fn lzx_frames_decode_with_lzxd_directly() {
    let data = sample(100_000, 7);
    let mut d = lzxd::Lzxd::new(lzxd::WindowSize::MB2);
    let mut out = Vec::new();
    for (i, c) in data.chunks(LZX_FRAME).enumerate() {
        out.extend_from_slice(d.decompress_next(&lzx_frame(c, i == 0), c.len()).unwrap());
    }
    assert!(out == data);
}

#[test]
fn cab_checksum_matches_spec_examples() {
    // Values from the `cab` crate's checksum tests (which fold the size word into the data).
    assert_eq!(cab_checksum(b"Hello, world!\n", 0x0e, 0x0e), 0x7f2e1a4c);
    assert_eq!(cab_checksum(b"Hello, world!\nSee you later!\n", 0x1d, 0x1d), 0x3509541a);
}

#[test]
fn lzx_cab_roundtrips_through_cab_crate() {
    for size in SIZES {
        let data = sample(size, size as u32);
        let files: [(&str, &[u8]); 1] = [("CbsPersist_20221011010000.log", &data)];
        let bytes = lzx_cab(&files);
        assert_roundtrip(&bytes, &files);

        let cabinet = cab::Cabinet::new(Cursor::new(&bytes)).unwrap();
        let folder = cabinet.folder_entries().next().unwrap();
        assert_eq!(folder.compression_type(), cab::CompressionType::Lzx(cab::WindowSize::MB2));
        assert_eq!(folder.num_data_blocks() as usize, size.div_ceil(LZX_FRAME));
        assert_eq!(&bytes[42..44], &[0x03, 0x15], "typeCompress 0x1503");
    }
}

#[test]
fn lzx_cab_two_files_and_utf8_name() {
    let a = sample(40_000, 1);
    let b = sample(33_333, 2);
    let files: [(&str, &[u8]); 3] = [("a.log", &a), ("sub\\b.log", &b), ("日志.txt", b"x")];
    let bytes = lzx_cab(&files);
    assert_roundtrip(&bytes, &files);
    assert_eq!(bytes, lzx_cab(&files), "deterministic");
}

#[test]
fn mszip_cab_roundtrips_through_cab_crate() {
    for size in SIZES {
        let data = sample(size, size as u32 + 11);
        let files: [(&str, &[u8]); 1] = [("x.log", &data)];
        let bytes = mszip_cab(&files).unwrap();
        assert_roundtrip(&bytes, &files);
        let cabinet = cab::Cabinet::new(Cursor::new(&bytes)).unwrap();
        assert_eq!(cabinet.folder_entries().next().unwrap().compression_type(), cab::CompressionType::MsZip);
    }
    let a = sample(70_000, 3);
    let files: [(&str, &[u8]); 2] = [("a.log", &a), ("b.log", b"hello\r\n")];
    let bytes = mszip_cab(&files).unwrap();
    assert_roundtrip(&bytes, &files);
    assert_eq!(bytes, mszip_cab(&files).unwrap(), "deterministic");
}

fn cabextract() -> Option<&'static str> {
    let path = "/usr/bin/cabextract";
    if Path::new(path).exists() {
        Some(path)
    } else if Command::new("cabextract").arg("--version").output().is_ok() {
        Some("cabextract")
    } else {
        None
    }
}

/// Extracts with cabextract (which also verifies CFDATA checksums) and compares.
fn check_with_cabextract(tool: &str, bytes: &[u8], files: &[(&str, &[u8])]) {
    let dir = std::env::temp_dir().join(format!("patchdx-testkit-{}-{}", std::process::id(), crc32(bytes)));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let cab_path = dir.join("t.cab");
    std::fs::write(&cab_path, bytes).unwrap();
    let out_dir = dir.join("out");
    let test = Command::new(tool).arg("-t").arg(&cab_path).output().unwrap();
    assert!(
        test.status.success(),
        "cabextract -t failed: {}{}",
        String::from_utf8_lossy(&test.stdout),
        String::from_utf8_lossy(&test.stderr)
    );
    let run = Command::new(tool).arg("-q").arg("-d").arg(&out_dir).arg(&cab_path).output().unwrap();
    assert!(run.status.success(), "cabextract failed: {}", String::from_utf8_lossy(&run.stderr));
    for (name, data) in files {
        let got = std::fs::read(out_dir.join(name.replace('\\', "/"))).unwrap();
        assert!(got == *data, "{name}: cabextract output differs");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cabs_extract_with_cabextract() {
    let Some(tool) = cabextract() else {
        eprintln!(
            "WARNING: cabextract not found (apt-get install cabextract); \
             SKIPPING the libmspack cross-check of lzx_cab/mszip_cab"
        );
        return;
    };
    for size in SIZES {
        let data = sample(size, size as u32 + 5);
        let files: [(&str, &[u8]); 1] = [("CbsPersist_20221011010000.log", &data)];
        check_with_cabextract(tool, &lzx_cab(&files), &files);
        check_with_cabextract(tool, &mszip_cab(&files).unwrap(), &files);
    }
    let a = sample(65_537, 9);
    let b = sample(1, 10);
    let files: [(&str, &[u8]); 2] = [("a.log", &a), ("b.log", &b)];
    check_with_cabextract(tool, &lzx_cab(&files), &files);
    check_with_cabextract(tool, &mszip_cab(&files).unwrap(), &files);
}

#[test]
fn zips_roundtrip() {
    let big = sample(100_000, 4);
    let files: [(&str, &[u8]); 3] = [("Windows/Logs/CBS/CBS.log", &big), ("empty.txt", b""), ("dir/", b"")];
    for bytes in [zip_store(&files), zip_deflate(&files)] {
        let mut z = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        assert_eq!(z.len(), 3);
        let mut f = z.by_name("Windows/Logs/CBS/CBS.log").unwrap();
        let mut got = Vec::new();
        f.read_to_end(&mut got).unwrap();
        assert!(got == big);
        drop(f);
        assert!(z.by_name("dir/").unwrap().is_dir());
    }
    assert!(zip_deflate(&files).len() < zip_store(&files).len());
}

#[test]
fn crc32_known_value() {
    assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    assert_eq!(crc32(b""), 0);
}

#[test]
fn raw_zip_keeps_hostile_names() {
    for name in ["../../evil.txt", "/etc/x", "C:\\Windows\\x.dll", "a/../../b", "ü.txt"] {
        let bytes = raw_zip_entry_named(name, b"pwned\r\n");
        let mut z = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        assert_eq!(z.len(), 1);
        let mut f = z.by_index(0).unwrap();
        assert_eq!(f.name().unwrap(), name);
        let mut got = Vec::new();
        f.read_to_end(&mut got).unwrap(); // also checks the CRC
        assert_eq!(got, b"pwned\r\n");
    }
    let bytes = raw_zip_entry_named("../../evil.txt", b"x");
    let z = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut z = z;
    assert!(z.by_index(0).unwrap().enclosed_name().is_none());
}
