//! Every report format shows each file SFC could not repair with the lines that name it (issue 13.8), and the
//! rule that names the RD Licensing files as role-owned.

use std::path::Path;

#[test]
fn text_markdown_and_html_list_each_sfc_file_with_its_lines() {
    let name = "sfc-20348-rd-licensing-xml-rewritten-by-role-cannot-repair.log";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/cbs").join(name);
    let bundle =
        patchdx_formats::registry::open(&path, &patchdx_bundle::OpenOptions::default()).expect("open the sample");
    let analyzed = patchdx_diagnose::analyze(&bundle, Default::default());
    let text =
        patchdx_report::render_text(&analyzed.analysis, patchdx_report::TextOptions { color: false, verbose: false });
    let markdown = patchdx_report::render_markdown(&analyzed.analysis);
    let html = patchdx_report::render_html(&analyzed.analysis, &analyzed.timeline);
    let tls = format!(
        r"C:\Windows\System32\tls_branding_config.xml: hash does not match its manifest; SFC could not reproject it (the source file in the store is also corrupted) — {name}:9, {name}:12, {name}:32, {name}:35"
    );
    let lserver = format!(
        r"C:\Windows\System32\LServer_PKConfig.xml: hash does not match its manifest; SFC cannot repair the member file (the store copy is damaged too); SFC could not reproject it (the source file in the store is also corrupted) — {name}:13, {name}:16"
    );
    // Only the role-owned rule explains these two files: the reports show them as an observation naming it.
    // Markdown escapes each backslash of prose (a rendered `\\` shows one).
    let md = |s: &str| s.replace('\\', "\\\\");
    for (format, report, tls, lserver) in [
        ("text", &text, tls.clone(), lserver.clone()),
        ("markdown", &markdown, md(&tls), md(&lserver)),
        ("html", &html, tls.clone(), lserver.clone()),
    ] {
        assert!(report.contains(&tls), "{format} lists tls_branding_config.xml with its lines");
        assert!(report.contains(&lserver), "{format} lists LServer_PKConfig.xml with its lines");
        assert!(report.contains("sfc-rd-licensing-role-files"), "{format} names the rule");
    }
}
