//! The CBS scan gives the same result through the AVX-512 kernel as through the portable engine, on every
//! text file of the real fixtures (CBS logs, the CbsPersist cabs' logs, and every other kind as a stress
//! text): the same lines picked, events, line numbers, stamps and offsets, chunk by chunk as `analyze` reads
//! them and for each file read as one piece.

use patchdx_linescan::Engine;
use patchdx_testkit::fixtures::fixture;

#[test]
fn kernel_and_portable_engine_scan_every_fixture_alike() {
    let Some(root) = fixture("") else { return };
    let fast = patchdx_formats::cbs::trigger_scanner(Engine::Avx512);
    let portable = patchdx_formats::cbs::trigger_scanner(Engine::Portable);
    if fast.engine() == Engine::Portable {
        eprintln!("!! this CPU has no AVX-512 VBMI: both sides below are the portable engine, nothing was compared");
    }
    let bundle = patchdx_formats::registry::open(&root, &Default::default()).expect("fixtures open");
    let (mut files, mut chunks, mut cbs_files) = (0, 0, 0);
    for entry in bundle.entries.iter().filter(|e| e.encoding.is_some()) {
        let Ok(mut reader) = entry.chunks() else { continue };
        let mut whole = Vec::new();
        while let Ok(Some(chunk)) = reader.next_chunk() {
            let text = chunk.text();
            let fast_scan = patchdx_formats::cbs::scan_chunk_summary(&fast, text);
            let portable_scan = patchdx_formats::cbs::scan_chunk_summary(&portable, text);
            assert_eq!(fast_scan, portable_scan, "{} chunk {}", entry.path, chunk.index);
            whole.extend_from_slice(text);
            chunks += 1;
        }
        let fast_scan = patchdx_formats::cbs::scan_chunk_summary(&fast, &whole);
        assert_eq!(fast_scan, patchdx_formats::cbs::scan_chunk_summary(&portable, &whole), "{}", entry.path);
        files += 1;
        cbs_files += usize::from(entry.kind == patchdx_bundle::FileKind::Cbs);
    }
    // 14 CBS logs and the 5 logs inside the mattbalzan cabs, among all the text fixtures.
    assert!(cbs_files >= 19, "only {cbs_files} CBS logs found");
    eprintln!("{files} text files ({cbs_files} CBS logs), {chunks} chunks compared");
    assert!(files >= 50 && chunks >= files, "{files} files, {chunks} chunks");
}
