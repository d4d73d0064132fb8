use std::time::Instant;
fn main() {
    let mut text = Vec::new();
    for arg in std::env::args().skip(1) {
        text.extend(std::fs::read(arg).unwrap());
    }
    // cut at a newline
    let gb = text.len() as f64 / 1e9;
    for _ in 0..3 {
        let t = Instant::now();
        let (lines, events) = patchdx_formats::cbs::scan_text(&text);
        let s = t.elapsed().as_secs_f64();
        println!("{:.0} MB: {lines} lines {events} events in {:.1} ms = {:.2} GB/s", gb * 1e3, s * 1e3, gb / s);
    }
}
