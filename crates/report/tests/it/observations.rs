//! Class: what is not an update failure is an observation in every report, the line that decides it quoted first
//! and whole in the terminal report (its last words are often what decides), and listed in Markdown.

use patchdx_report::TextOptions;
use std::path::Path;

fn analysed(sample: &str) -> patchdx_diagnose::Analysis {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data").join(sample);
    let bundle =
        patchdx_formats::registry::open(&path, &patchdx_bundle::OpenOptions::default()).expect("open the sample");
    patchdx_diagnose::analyze(&bundle, Default::default()).analysis
}

#[test]
fn the_deciding_line_is_quoted_whole_in_text_and_listed_in_markdown() {
    let analysis = analysed("dism/add-provisionedappx-equal-or-higher-version-provisioned-0xc1570118.log");
    assert!(analysis.findings.is_empty());
    let text = patchdx_report::render_text(&analysis, TextOptions::default());
    assert!(
        text.contains("\nOBSERVATIONS\n  • [appx-already-provisioned] Not an update failure: DISM did not provision"),
        "{text}"
    );
    assert!(
        text.contains(
            "since an equal or higher version of the package, \
             RealtekSemiconductorCorp.RealtekAudioControl_1.39.256.0_x64__dt26b99r8h8gj, already exists]\n"
        ),
        "{text}"
    );
    let markdown = patchdx_report::render_markdown(&analysis);
    assert!(
        markdown.contains("## Observations\n\n- **appx-already-provisioned**: Not an update failure:"),
        "{markdown}"
    );
    assert!(markdown.contains(
        "add-provisionedappx-equal-or-higher-version-provisioned-0xc1570118.log:11  2023-06-12 14:05:35, Error"
    ));
}

#[test]
fn maintenance_probe_in_text_and_markdown() {
    let analysis = analysed("dism/cleanmgr-dismapi-session-error-probes-0x800f0805.log");
    let text = patchdx_report::render_text(&analysis, TextOptions::default());
    assert!(text.contains("  • [maintenance-task-dism-probe] Not an update failure: Disk Cleanup"), "{text}");
    assert!(text.contains("cleanmgr-dismapi-session-error-probes-0x800f0805.log:6 [DISM] "), "{text}");
    let markdown = patchdx_report::render_markdown(&analysis);
    assert!(markdown.contains("- **maintenance-task-dism-probe**: Not an update failure: Disk Cleanup"), "{markdown}");
}
