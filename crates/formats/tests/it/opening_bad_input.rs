//! Damaged and hostile files beside a good CBS.log: each bad file gets exactly one warning with the right path
//! and severity, and the good CBS.log next to it is still listed and readable.

use patchdx_bundle::{Bundle, Entry, FileKind, Limits, OpenOptions, Severity, TextEncoding};
use patchdx_testkit::{lzx_cab, raw_zip, zip_deflate, zip_store};
use std::io::Write;
use std::path::{Path, PathBuf};

const VALID_CBS: &str = "2022-10-12 11:10:05, Info                  CBS    TI: --- Initializing Trusted Installer ---\r\n\
2022-10-12 11:10:05, Info                  CBS    TI: Last boot time: 2022-10-12 11:02:13.500\r\n\
2022-10-12 11:10:05, Info                  CBS    Starting TrustedInstaller initialization.\r\n";

/// About `min_bytes` of CBS log text, every line different (so it does not compress to nothing).
fn cbs_text(min_bytes: usize) -> String {
    let mut text = String::new();
    let mut i = 0u32;
    while text.len() < min_bytes {
        text.push_str(&format!(
            "2022-10-10 {:02}:{:02}:{:02}, Info                  CBS    Perf: Doq: State data for session 31000{i:05}_{}, index {i}\r\n",
            i / 3600 % 24,
            i / 60 % 60,
            i % 60,
            i.wrapping_mul(2_654_435_761)
        ));
        i += 1;
    }
    text
}

fn write(path: &Path, bytes: &[u8]) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create folder");
    }
    std::fs::write(path, bytes).expect("write input file");
}

/// A folder holding the good CBS.log, for the bad file to be put next to.
fn bundle_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("bundle");
    write(&root.join("CBS.log"), VALID_CBS.as_bytes());
    (dir, root)
}

fn open(path: &Path) -> Bundle {
    open_with(path, &OpenOptions::default())
}

fn open_with(path: &Path, options: &OpenOptions) -> Bundle {
    patchdx_formats::registry::open(path, options).expect("the bundle itself opens")
}

fn entry<'a>(bundle: &'a Bundle, path: &str) -> &'a Entry {
    bundle.entries.iter().find(|e| e.path == path).unwrap_or_else(|| {
        panic!("no entry {path:?}; entries: {:?}", bundle.entries.iter().map(|e| &e.path).collect::<Vec<_>>())
    })
}

fn has_entry(bundle: &Bundle, path: &str) -> bool {
    bundle.entries.iter().any(|e| e.path == path)
}

/// The decoded text of an entry and its cut lines (offsets into the whole text).
fn read_all(entry: &Entry) -> (Vec<u8>, Vec<(usize, u64)>) {
    let mut reader = entry.chunks().expect("open entry");
    let mut text = Vec::new();
    let mut cuts = Vec::new();
    while let Some(chunk) = reader.next_chunk().expect("read chunk") {
        cuts.extend(chunk.cut_lines.iter().map(|&(offset, len)| (offset + text.len(), len)));
        text.extend_from_slice(chunk.text());
    }
    (text, cuts)
}

fn read_text(entry: &Entry) -> String {
    String::from_utf8(read_all(entry).0).expect("decoded text is UTF-8")
}

/// The good CBS.log at `path` is listed as a CBS log and reads back exactly.
fn assert_valid_cbs(bundle: &Bundle, path: &str) {
    let e = entry(bundle, path);
    assert_eq!(e.kind, FileKind::Cbs, "{path}");
    assert_eq!(e.encoding, Some(TextEncoding::Utf8 { bom: false }), "{path}");
    assert_eq!(read_text(e), VALID_CBS, "{path}");
}

/// The bundle has exactly these warnings (path, severity, a phrase of the message), in any order.
fn assert_warnings(bundle: &Bundle, expected: &[(&str, Severity, &str)]) {
    let shown =
        || bundle.warnings.iter().map(|w| format!("{} [{:?}] {}", w.path, w.severity, w.message)).collect::<Vec<_>>();
    assert_eq!(bundle.warnings.len(), expected.len(), "warnings: {:#?}", shown());
    for (path, severity, phrase) in expected {
        assert!(
            bundle.warnings.iter().any(|w| w.path == *path && w.severity == *severity && w.message.contains(phrase)),
            "expected {path:?} [{severity:?}] containing {phrase:?}; warnings: {:#?}",
            shown()
        );
    }
}

/// The folder expanded archive members live in (the parent of an entry that came out of an archive).
fn scratch_dir_of(entry: &Entry) -> PathBuf {
    entry.disk_path.parent().expect("scratch folder").to_path_buf()
}

/// A LZX CbsPersist cab of about 100 KB of CBS text, as Windows rotates CBS.log into.
fn cbs_persist_cab() -> (Vec<u8>, String) {
    let text = cbs_text(100 * 1024);
    (lzx_cab(&[("CbsPersist_20221010000000.log", text.as_bytes())]), text)
}

// ---------------------------------------------------------------------------------------------
// 1. Truncated CAB
// ---------------------------------------------------------------------------------------------

#[test]
fn cab_cut_in_half_warns_for_its_member_and_keeps_the_good_log() {
    // A CbsPersist cab whose upload or copy broke off half way.
    let (dir, root) = bundle_dir();
    let (cab, text) = cbs_persist_cab();
    write(&root.join("CbsPersist_20221010000000.cab"), &cab[..cab.len() / 2]);

    let bundle = open(&root);
    let member = "CbsPersist_20221010000000.cab!/CbsPersist_20221010000000.log";
    assert_warnings(&bundle, &[(member, Severity::Damaged, "only the first 32768 bytes could be read")]);
    // What could be read is listed, and is the start of the log.
    let partial = entry(&bundle, member);
    assert_eq!(partial.kind, FileKind::Cbs);
    assert_eq!(partial.size, 32768);
    assert_eq!(read_text(partial), text[..32768]);
    assert_valid_cbs(&bundle, "CBS.log");
    drop(dir);
}

#[test]
fn cab_cut_to_40_bytes_is_unreadable_and_keeps_the_good_log() {
    // A cab of which only the first bytes arrived (the header is not even complete).
    let (_dir, root) = bundle_dir();
    let (cab, _) = cbs_persist_cab();
    write(&root.join("CbsPersist_20221010000000.cab"), &cab[..40]);

    let bundle = open(&root);
    assert_warnings(
        &bundle,
        &[("CbsPersist_20221010000000.cab", Severity::Unreadable, "not a readable CAB archive (40 bytes)")],
    );
    assert!(!has_entry(&bundle, "CbsPersist_20221010000000.cab"), "an unreadable archive is not listed");
    assert_valid_cbs(&bundle, "CBS.log");
    assert_eq!(bundle.entries.len(), 1);
}

#[test]
fn cab_member_claiming_more_bytes_than_the_cab_holds_is_damaged_and_keeps_the_good_log() {
    // A cab whose file table promises more data than its data blocks hold (a broken writer or a patched header).
    let (_dir, root) = bundle_dir();
    let (mut cab, text) = cbs_persist_cab();
    // The first CFFILE starts after the 36-byte header and the 8-byte folder; cbFile is its first field.
    let claimed = (text.len() as u32) * 4;
    cab[44..48].copy_from_slice(&claimed.to_le_bytes());
    write(&root.join("CbsPersist_20221010000000.cab"), &cab);

    let bundle = open(&root);
    let member = "CbsPersist_20221010000000.cab!/CbsPersist_20221010000000.log";
    let phrase = format!("the archive ends after {} of its {claimed} bytes", text.len());
    assert_warnings(&bundle, &[(member, Severity::Damaged, &phrase)]);
    let partial = entry(&bundle, member);
    assert_eq!(partial.kind, FileKind::Cbs);
    assert_eq!(read_text(partial), text, "everything the cab really holds is read");
    assert_valid_cbs(&bundle, "CBS.log");
}

// ---------------------------------------------------------------------------------------------
// 2. Bad ZIP entries, fake ZIPs
// ---------------------------------------------------------------------------------------------

/// Offset and length of the stored data of the member called `name` (from its local header).
fn zip_member_data(zip: &[u8], name: &str) -> (usize, usize) {
    let u16_at = |o: usize| u16::from_le_bytes([zip[o], zip[o + 1]]) as usize;
    let u32_at = |o: usize| u32::from_le_bytes([zip[o], zip[o + 1], zip[o + 2], zip[o + 3]]) as usize;
    let mut pos = 0;
    while pos + 30 <= zip.len() {
        if zip[pos..pos + 4] == *b"PK\x03\x04" {
            let name_len = u16_at(pos + 26);
            let extra_len = u16_at(pos + 28);
            if &zip[pos + 30..pos + 30 + name_len] == name.as_bytes() {
                return (pos + 30 + name_len + extra_len, u32_at(pos + 18));
            }
        }
        pos += 1;
    }
    panic!("no local header for {name}");
}

#[test]
fn corrupt_deflate_data_in_one_zip_member_warns_for_that_member_only() {
    // A zip whose directory is intact but one member's compressed bytes were damaged (bad disk, bad transfer).
    let (_dir, root) = bundle_dir();
    let big = cbs_text(100 * 1024);
    let mut zip = zip_deflate(&[
        ("Logs/CBS/CbsPersist_20221010000000.log", big.as_bytes()),
        ("Logs/CBS/CBS.log", VALID_CBS.as_bytes()),
    ]);
    let (start, len) = zip_member_data(&zip, "Logs/CBS/CbsPersist_20221010000000.log");
    assert!(len > 64, "compressed member is {len} bytes");
    for byte in &mut zip[start + len / 2..start + len / 2 + 16] {
        *byte ^= 0xA5;
    }
    write(&root.join("logs.zip"), &zip);

    let bundle = open(&root);
    let member = "logs.zip!/Logs/CBS/CbsPersist_20221010000000.log";
    let damaged: Vec<_> = bundle.warnings.iter().filter(|w| w.path == member).collect();
    assert_eq!(bundle.warnings.len(), 1, "{:#?}", bundle.warnings);
    assert_eq!(damaged.len(), 1, "{:#?}", bundle.warnings);
    // The damage shows as a CRC mismatch at the member's end: what was read is kept, flagged as damaged.
    assert_eq!(damaged[0].severity, Severity::Damaged, "{:?}", damaged[0]);
    assert!(damaged[0].message.contains("archive member is damaged (Invalid checksum)"), "{:?}", damaged[0]);
    // The other member of the same zip is still extracted and read.
    assert_valid_cbs(&bundle, "logs.zip!/Logs/CBS/CBS.log");
    assert_valid_cbs(&bundle, "CBS.log");
}

#[test]
fn file_named_zip_with_garbage_after_the_zip_signature_is_unreadable() {
    // Something that only starts like a zip (a cut-off download, a renamed file) with a .zip name.
    let (_dir, root) = bundle_dir();
    let mut fake = b"PK\x03\x04".to_vec();
    let mut state = 0x1234_5678u32;
    fake.extend((0..4000).map(|_| {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (state >> 24) as u8
    }));
    write(&root.join("logs.zip"), &fake);

    let bundle = open(&root);
    assert_warnings(&bundle, &[("logs.zip", Severity::Unreadable, "not a readable ZIP archive (4004 bytes)")]);
    assert!(!has_entry(&bundle, "logs.zip"));
    assert_valid_cbs(&bundle, "CBS.log");
    assert_eq!(bundle.entries.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// 3. Empty files
// ---------------------------------------------------------------------------------------------

#[test]
fn empty_cbs_log_and_setuperr_log_are_notices_with_kind_from_name() {
    // A collection script that created the log files but copied nothing into them (and a clean setuperr.log).
    let (_dir, root) = bundle_dir();
    write(&root.join("copy/CBS.log"), b"");
    write(&root.join("Panther/setuperr.log"), b"");

    let bundle = open(&root);
    assert_warnings(
        &bundle,
        &[
            ("copy/CBS.log", Severity::Notice, "empty file (0 bytes)"),
            ("Panther/setuperr.log", Severity::Notice, "empty file (0 bytes)"),
        ],
    );
    let cbs = entry(&bundle, "copy/CBS.log");
    assert_eq!((cbs.kind, cbs.size, cbs.encoding), (FileKind::Cbs, 0, None));
    assert_eq!(read_text(cbs), "");
    let setuperr = entry(&bundle, "Panther/setuperr.log");
    assert_eq!((setuperr.kind, setuperr.size), (FileKind::PantherSetupErr, 0));
    assert_eq!(read_text(setuperr), "");
    assert_valid_cbs(&bundle, "CBS.log");
}

// ---------------------------------------------------------------------------------------------
// 4. Odd-length UTF-16
// ---------------------------------------------------------------------------------------------

#[test]
fn odd_length_utf16_log_is_damaged_and_decodes_all_but_the_last_byte() {
    // A UTF-16 CbsPersist log cut off in the middle of a character.
    let (_dir, root) = bundle_dir();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(VALID_CBS.encode_utf16().flat_map(u16::to_le_bytes));
    utf16.push(0x32);
    write(&root.join("CbsPersist_20221011010000.log"), &utf16);

    let bundle = open(&root);
    assert_warnings(&bundle, &[]);
    let odd = entry(&bundle, "CbsPersist_20221011010000.log");
    assert_eq!(odd.kind, FileKind::Cbs);
    assert_eq!(odd.encoding, Some(TextEncoding::Utf16Le { bom: true }));
    let warning = odd.shape_warning().expect("odd-length UTF-16 is flagged");
    assert_eq!(warning.path, "CbsPersist_20221011010000.log");
    assert_eq!(warning.severity, Severity::Damaged);
    assert!(warning.message.contains(&format!("odd number of bytes ({})", utf16.len())), "{}", warning.message);
    assert_eq!(read_text(odd), VALID_CBS, "all but the dangling last byte decodes");
    assert!(entry(&bundle, "CBS.log").shape_warning().is_none());
    assert_valid_cbs(&bundle, "CBS.log");
}

// ---------------------------------------------------------------------------------------------
// 5. Zip bombs and the expansion budget
// ---------------------------------------------------------------------------------------------

#[test]
fn zip_bomb_member_is_refused_and_leaves_no_big_scratch_file() {
    // A 200 MB log of zeros deflated to a few hundred KB inside a zip: a zip bomb, hostile or accidental.
    let (_dir, root) = bundle_dir();
    let path = root.join("bomb.zip");
    {
        let file = std::fs::File::create(&path).expect("create bomb.zip");
        let mut w = zip::ZipWriter::new(std::io::BufWriter::new(file));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        w.start_file("CbsPersist_20221011010000.log", options).expect("start bomb member");
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..200 {
            w.write_all(&zeros).expect("write zeros");
        }
        w.start_file("CBS.log", options).expect("start CBS.log");
        w.write_all(VALID_CBS.as_bytes()).expect("write CBS.log");
        w.finish().expect("finish zip").flush().expect("flush");
    }
    let compressed = {
        let mut archive = zip::ZipArchive::new(std::fs::File::open(&path).expect("reopen")).expect("zip");
        archive.by_name("CbsPersist_20221011010000.log").expect("bomb member").compressed_size()
    };
    assert!(compressed < 1 << 20, "the bomb compresses to {compressed} bytes");

    let bundle = open(&root);
    let member = "bomb.zip!/CbsPersist_20221011010000.log";
    assert_warnings(&bundle, &[(member, Severity::Unreadable, "zip bomb")]);
    assert!(!has_entry(&bundle, member));
    assert_valid_cbs(&bundle, "CBS.log");
    assert_valid_cbs(&bundle, "bomb.zip!/CBS.log");

    // Nothing in the scratch folder is bigger than the ratio limit lets one member grow, and the refused
    // member's partial expansion is not left behind: only listed members remain.
    let ratio_cap = compressed * Limits::default().max_ratio;
    let scratch = scratch_dir_of(entry(&bundle, "bomb.zip!/CBS.log"));
    let listed: Vec<&Path> = bundle.entries.iter().map(|e| e.disk_path.as_path()).collect();
    for file in std::fs::read_dir(&scratch).expect("list scratch") {
        let file = file.expect("scratch entry").path();
        let size = std::fs::metadata(&file).expect("stat").len();
        assert!(size <= ratio_cap, "{} is {size} bytes", file.display());
        assert!(listed.contains(&file.as_path()), "left-over scratch file {} ({size} bytes)", file.display());
    }
}

#[test]
fn expansion_stops_at_the_byte_budget_and_later_files_are_still_read() {
    // A bundle whose archives together expand beyond the configured disk budget.
    let (_dir, root) = bundle_dir();
    let parts: Vec<String> = (0..3).map(|_| cbs_text(700 * 1024)).collect();
    let zip = zip_deflate(&[
        ("CbsPersist_20221010000001.log", parts[0].as_bytes()),
        ("CbsPersist_20221010000002.log", parts[1].as_bytes()),
        ("CbsPersist_20221010000003.log", parts[2].as_bytes()),
    ]);
    // Sorted before CBS.log, so the good log is read after expansion stopped.
    write(&root.join("0-logs.zip"), &zip);

    let options =
        OpenOptions { limits: Limits { max_expanded_bytes: 1 << 20, ..Limits::default() }, ..Default::default() };
    let bundle = open_with(&root, &options);
    assert_warnings(
        &bundle,
        &[(
            "0-logs.zip!/CbsPersist_20221010000002.log",
            Severity::Unreadable,
            "the bundle expands beyond 1 MiB; stopped expanding archives here",
        )],
    );
    let first = entry(&bundle, "0-logs.zip!/CbsPersist_20221010000001.log");
    assert_eq!(first.kind, FileKind::Cbs);
    assert_eq!(read_text(first), parts[0]);
    assert!(!has_entry(&bundle, "0-logs.zip!/CbsPersist_20221010000002.log"));
    assert!(!has_entry(&bundle, "0-logs.zip!/CbsPersist_20221010000003.log"));
    assert_valid_cbs(&bundle, "CBS.log");
    // The scratch folder holds no more than the budget.
    let scratch = scratch_dir_of(first);
    let total: u64 = std::fs::read_dir(&scratch)
        .expect("list scratch")
        .map(|f| f.expect("scratch entry").metadata().expect("stat").len())
        .sum();
    assert!(total <= 1 << 20, "scratch holds {total} bytes");
}

// ---------------------------------------------------------------------------------------------
// 6. Path traversal
// ---------------------------------------------------------------------------------------------

/// Every file called `name` under `dir` (symbolic links are not followed; unreadable folders are skipped).
fn find_named(dir: &Path, name: &str, depth: u32, found: &mut Vec<PathBuf>) {
    let Ok(children) = std::fs::read_dir(dir) else { return };
    for child in children.flatten() {
        let path = child.path();
        if child.file_name().to_string_lossy().contains(name) {
            found.push(path.clone());
        }
        if depth > 0 && child.file_type().is_ok_and(|t| t.is_dir()) {
            find_named(&path, name, depth - 1, found);
        }
    }
}

#[test]
fn zip_entries_naming_paths_outside_the_archive_are_never_extracted() {
    // A malicious (or badly made) zip whose entry names try to write outside the extraction folder.
    let (dir, root) = bundle_dir();
    let evil = VALID_CBS.as_bytes();
    let zip = raw_zip(&[
        ("../../evil.log", evil),
        ("/etc/evil.log", evil),
        ("C:\\evil.log", evil),
        ("a/../../evil.log", evil),
        ("CBS.log", VALID_CBS.as_bytes()),
    ]);
    write(&root.join("evil.zip"), &zip);

    let bundle = open(&root);
    let phrase = "outside the archive";
    assert_warnings(
        &bundle,
        &[
            ("evil.zip!/../../evil.log", Severity::Unreadable, phrase),
            ("evil.zip!//etc/evil.log", Severity::Unreadable, phrase),
            ("evil.zip!/C:\\evil.log", Severity::Unreadable, phrase),
            ("evil.zip!/a/../../evil.log", Severity::Unreadable, phrase),
        ],
    );
    assert!(!bundle.entries.iter().any(|e| e.path.contains("evil.log")));
    assert_valid_cbs(&bundle, "evil.zip!/CBS.log");
    assert_valid_cbs(&bundle, "CBS.log");

    let mut found = Vec::new();
    find_named(dir.path(), "evil.log", 8, &mut found);
    find_named(dir.path().parent().expect("temp parent"), "evil.log", 3, &mut found);
    find_named(&scratch_dir_of(entry(&bundle, "evil.zip!/CBS.log")), "evil.log", 3, &mut found);
    let cwd = std::env::current_dir().expect("cwd");
    find_named(&cwd, "evil.log", 0, &mut found);
    for up in cwd.ancestors().take(3) {
        find_named(up, "evil.log", 0, &mut found);
    }
    assert!(found.is_empty(), "files written outside the scratch folder: {found:?}");
}

// ---------------------------------------------------------------------------------------------
// 7. A 10 MB line
// ---------------------------------------------------------------------------------------------

#[test]
fn ten_megabyte_line_is_cut_and_the_following_line_is_intact() {
    // A CBS log with one runaway line (a huge dumped buffer) between ordinary lines.
    let (_dir, root) = bundle_dir();
    let first = "2022-10-12 11:10:05, Info                  CBS    TI: --- Initializing Trusted Installer ---\r\n";
    let last = "2022-10-12 11:10:06, Info                  CBS    Starting TrustedInstaller initialization.\r\n";
    let mut log = first.as_bytes().to_vec();
    log.extend(std::iter::repeat_n(b'A', 10 * 1024 * 1024));
    log.extend_from_slice(b"\r\n");
    log.extend_from_slice(last.as_bytes());
    write(&root.join("CbsPersist_20221011010000.log"), &log);

    let bundle = open(&root);
    assert_warnings(&bundle, &[]);
    let long = entry(&bundle, "CbsPersist_20221011010000.log");
    assert_eq!(long.kind, FileKind::Cbs);
    let (text, cuts) = read_all(long);
    // The reported length counts the line's bytes up to its '\n', so the CR of CRLF is included.
    assert_eq!(cuts, vec![(first.len(), 10 * 1024 * 1024 + 1)]);
    let kept = patchdx_bundle::lines::KEPT_OF_LONG_LINE;
    let mut expected = first.as_bytes().to_vec();
    expected.extend(std::iter::repeat_n(b'A', kept));
    expected.push(b'\n');
    expected.extend_from_slice(last.as_bytes());
    assert!(text.ends_with(last.as_bytes()), "the line after the long one is intact");
    assert_eq!(text.iter().filter(|&&b| b == b'\n').count(), 3, "line count is preserved");
    assert_eq!(text, expected);
    assert_valid_cbs(&bundle, "CBS.log");
}

// ---------------------------------------------------------------------------------------------
// 8, 9. Nesting
// ---------------------------------------------------------------------------------------------

/// outer.zip ⊃ inner.zip ⊃ CbsPersist_….cab (LZX) ⊃ CbsPersist_….log, plus a good CBS.log in outer.zip.
fn nested_bundle() -> (tempfile::TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = cbs_text(40 * 1024);
    let cab = lzx_cab(&[("CbsPersist_20221011010000.log", text.as_bytes())]);
    let inner = zip_deflate(&[("CbsPersist_20221011010000.cab", &cab)]);
    let outer = zip_store(&[("inner.zip", &inner), ("CBS.log", VALID_CBS.as_bytes())]);
    let path = dir.path().join("outer.zip");
    write(&path, &outer);
    (dir, path, text)
}

#[test]
fn cab_inside_zip_inside_zip_is_expanded_with_its_full_path() {
    // Support bundles zipped twice (a collector's zip re-zipped for upload) holding CbsPersist cabs.
    let (_dir, path, text) = nested_bundle();
    let bundle = open(&path);
    assert_warnings(&bundle, &[]);
    let log = entry(&bundle, "outer.zip!/inner.zip!/CbsPersist_20221011010000.cab!/CbsPersist_20221011010000.log");
    assert_eq!(log.kind, FileKind::Cbs);
    assert_eq!(read_text(log), text);
    assert_eq!(entry(&bundle, "outer.zip!/inner.zip!/CbsPersist_20221011010000.cab").kind, FileKind::Cab);
    assert_eq!(entry(&bundle, "outer.zip!/inner.zip").kind, FileKind::Zip);
    assert_valid_cbs(&bundle, "outer.zip!/CBS.log");
}

#[test]
fn archive_nested_deeper_than_max_depth_is_not_opened() {
    // Archives nested absurdly deep (recursive zips): expansion stops at the configured depth.
    let (_dir, path, _) = nested_bundle();
    let options = OpenOptions { limits: Limits { max_depth: 2, ..Limits::default() }, ..Default::default() };
    let bundle = open_with(&path, &options);
    let cab = "outer.zip!/inner.zip!/CbsPersist_20221011010000.cab";
    assert_warnings(&bundle, &[(cab, Severity::Unreadable, "archive nested deeper than 2 levels; not opened")]);
    assert_eq!(entry(&bundle, cab).kind, FileKind::Cab);
    assert!(!bundle.entries.iter().any(|e| e.path.starts_with(&format!("{cab}!/"))));
    assert_valid_cbs(&bundle, "outer.zip!/CBS.log");
}

#[test]
fn folder_with_more_files_than_the_limit_lists_the_first_ones_in_name_order_and_warns_once() {
    let (_dir, root) = bundle_dir();
    for name in ["a/CBS.log", "b/CBS.log", "c/CBS.log", "d/CBS.log"] {
        write(&root.join(name), VALID_CBS.as_bytes());
    }
    let options = OpenOptions { limits: Limits { max_files: 2, ..Limits::default() }, ..OpenOptions::default() };
    let bundle = open_with(&root, &options);
    let listed: Vec<&str> = bundle.entries.iter().map(|e| e.path.as_str()).collect();
    // bundle_dir() holds a good CBS.log at its root already.
    assert_eq!(listed, ["CBS.log", "a/CBS.log"]);
    assert!(bundle.entries.iter().all(|e| e.kind == FileKind::Cbs));
    assert_warnings(
        &bundle,
        &[("b/CBS.log", Severity::Damaged, "more than 2 files in the bundle; the rest are not read")],
    );
}
