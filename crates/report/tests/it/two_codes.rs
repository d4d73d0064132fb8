//! Class: a failure whose session states two codes (a RestoreHealth that ends 0x800F0906 because Windows
//! Update's download failed with 0x80240438) names both in every report, the second as its cause with the
//! record that states it.

use patchdx_report::TextOptions;
use std::path::Path;

fn analysed() -> (patchdx_diagnose::Analysis, patchdx_diagnose::timeline::Timeline) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/cbs/restorehealth-0x800f0906-wu-download-0x80240438.log");
    let bundle =
        patchdx_formats::registry::open(&path, &patchdx_bundle::OpenOptions::default()).expect("open the sample");
    let analyzed = patchdx_diagnose::analyze(&bundle, Default::default());
    (analyzed.analysis, analyzed.timeline)
}

#[test]
fn text_markdown_and_html_state_the_download_code_as_the_cause() {
    let (analysis, timeline) = analysed();
    let text = patchdx_report::render_text(&analysis, TextOptions::default());
    assert!(text.contains("  code        0x800F0906 CBS_E_DOWNLOAD_FAILURE — "), "{text}");
    assert!(
        text.contains(
            "  cause       Windows Update download, with:\n    code      0x80240438 WU_E_PT_ENDPOINT_UNREACHABLE — "
        ),
        "{text}"
    );
    assert!(
        text.contains("restorehealth-0x800f0906-wu-download-0x80240438.log:63 2024-05-14 10:05:05, Info"),
        "{text}"
    );
    let markdown = patchdx_report::render_markdown(&analysis);
    assert!(
        markdown.contains("| cause | Windows Update download: `0x80240438 WU_E_PT_ENDPOINT_UNREACHABLE` "),
        "{markdown}"
    );
    let html = patchdx_report::render_html(&analysis, &timeline);
    assert!(html.contains(
        "<dt>cause</dt><dd>Windows Update download: <code class=\"code\">0x80240438 WU_E_PT_ENDPOINT_UNREACHABLE</code>"
    ));
}
