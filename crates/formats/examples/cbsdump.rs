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
        for file in &logs {
            let Some(log) = file.cbs.as_deref() else { continue };
            println!(
                "LOG {} lines={} first={:?} last={:?} offsets={:?} benign={} events={}",
                log.path,
                log.lines,
                log.first,
                log.last,
                log.offsets,
                log.routine_failure_lines,
                file.events.len()
            );
            for w in &file.warnings {
                println!("  WARN {}", w.message);
            }
            if std::env::var("EVENTS").is_ok() {
                for e in &file.events {
                    println!(
                        "  {:>6} {:?} {:?} code={:?} kb={:?} | {}",
                        e.line.unwrap_or(0),
                        e.local.map(|t| t.to_string()),
                        e.cbs().map(|r| &r.kind),
                        e.code.map(|c| format!("{c:#010x}")),
                        e.kb,
                        patchdx_formats::text::clip(&e.message, 160)
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
