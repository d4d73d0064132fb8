//! Developer aid: times the stages of a CBS scan on one file (read, count newlines, trigger search).
use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).expect("path");
    let data = std::fs::read(&path).expect("read");
    let t = Instant::now();
    let n = bytecount::count(&data, b'\n');
    println!("bytecount {n} in {:?}", t.elapsed());
    let t = Instant::now();
    let n = memchr::memchr_iter(b'\n', &data).count();
    println!("memchr_iter {n} in {:?}", t.elapsed());
    let ac = aho_corasick::AhoCorasick::builder()
        .match_kind(aho_corasick::MatchKind::LeftmostFirst)
        .build([
            "HRESULT",
            "hr:",
            "hr =",
            "(F)",
            "Failed",
            "failed",
            ", Error",
            "orrupt",
            "initialized by client",
            "finalized",
            "Processing started",
            "processing started",
            "Processing complete",
            "WER:",
            "[SR] Cannot",
            "[SR] Repair",
            "[SR] Verify and Repair Transaction",
            "Total Detected",
            "Total Repaired",
            "Operation result",
            "ExecuteState is",
            "pending.xml",
            "Initializing Trusted Installer",
            "Starting TrustedInstaller",
            "Last boot time",
            "Loaded Servicing Stack",
            "@20",
            "Inner Error",
            "(p)",
            "Universal Time is:",
            "status: 0x",
            "Result = 0x",
            "Startup: Package:",
            "Startup processing completed",
            "Archived backup log",
        ])
        .expect("ac");
    let t = Instant::now();
    let n = ac.find_iter(&data).count();
    println!("ac matches {n} in {:?}", t.elapsed());
    let f = memchr::memmem::Finder::new("Failed");
    let t = Instant::now();
    let n = f.find_iter(&data).count();
    println!("memmem Failed {n} in {:?}", t.elapsed());
    let t = Instant::now();
    let r = regex::bytes::Regex::new("Error|Failed").expect("re");
    let n = r.find_iter(&data).count();
    println!("regex Error|Failed {n} in {:?} ({} MB)", t.elapsed(), data.len() >> 20);
}
