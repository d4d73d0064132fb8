//! Developer aid: prints the events and ranges patchdx reads from CBS files.
fn main() {
    for arg in std::env::args().skip(1) {
        let bundle = patchdx_formats::registry::open(std::path::Path::new(&arg), &Default::default()).expect("open");
        for w in &bundle.warnings {
            println!("WARN {} {:?} {}", w.path, w.severity, w.message);
        }
        let mut logs: Vec<_> = bundle
            .entries
            .iter()
            .filter(|e| matches!(e.kind, patchdx_bundle::FileKind::Cbs | patchdx_bundle::FileKind::SfcDetails))
            .map(patchdx_formats::cbs::read)
            .collect();
        for e in &bundle.entries {
            println!("ENTRY {} {:?} {:?}", e.path, e.kind, e.encoding.map(|x| x.label()));
        }
        for log in &logs {
            println!(
                "LOG {} lines={} first={:?} last={:?} offsets={:?} benign={} events={}",
                log.path,
                log.lines,
                log.first,
                log.last,
                log.offsets,
                log.routine_failure_lines,
                log.events.len()
            );
            for w in &log.warnings {
                println!("  WARN {}", w.message);
            }
            if std::env::var("EVENTS").is_ok() {
                for e in &log.events {
                    println!(
                        "  {:>6} {:?} {:?} code={:?} kb={:?} | {}",
                        e.line,
                        e.time.map(|t| t.to_string()),
                        e.kind,
                        e.code.map(|c| format!("{c:#010x}")),
                        e.kb,
                        &e.text[..e.text.len().min(160)]
                    );
                }
            }
        }
        let history = patchdx_formats::cbs::history::stitch(&mut logs);
        println!("{}", serde_json_like(&history));
    }
}
fn serde_json_like(h: &patchdx_formats::cbs::history::History) -> String {
    format!("{h:#?}")
}
