//! Reports of an input that holds two machines' logs: every format names the machines, what identifies each,
//! why they are apart, each finding's and attempt's machine, and each machine's own CBS history.

use patchdx_diagnose::Analysis;
use patchdx_diagnose::timeline::Timeline;
use std::path::Path;

fn two_servers() -> (Analysis, Timeline) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/machines/two-servers-same-hours");
    let bundle = patchdx_formats::registry::open(&path, &Default::default()).expect("open sample");
    (patchdx_diagnose::analyze(&bundle, Default::default()).analysis, patchdx_diagnose::timeline_of(&bundle).0)
}

const WHY_APART: &str =
    "M1: two CBS logs covering the same hours with different lines (SRV02/CBS.log and SRV01/CBS.log)";

#[test]
fn text_report_has_a_machines_section_and_names_the_machine_of_each_finding_attempt_and_history() {
    let (analysis, _) = two_servers();
    let text = patchdx_report::render_text(&analysis, patchdx_report::TextOptions { color: false, verbose: false });
    for line in [
        "MACHINES (2): each analysed apart",
        "  M1 SRV01/: build 17763, UTC+08:00  1 file(s); build 17763 (SRV01/CBS.log:9), UTC+08:00",
        &format!("      not the same machine as {WHY_APART}"),
        "  machine     M1 (SRV01/: build 17763, UTC+08:00)",
        "  M2  KB5014805  2022-09-09 16:30:02 local  succeeded  [install] from CBS",
        "CBS HISTORY of M1 (SRV01/: build 17763, UTC+08:00)",
        "CBS HISTORY of M2 (SRV02/: build 17763, UTC+08:00)",
    ] {
        assert!(text.lines().any(|l| l == line), "missing line {line:?} in:\n{text}");
    }
}

#[test]
fn markdown_report_has_a_machines_table_and_a_machine_row_per_finding() {
    let (analysis, _) = two_servers();
    let md = patchdx_report::render_markdown(&analysis);
    assert!(md.contains(
        "| M2 SRV02/: build 17763, UTC+08:00 | build 17763 (SRV02/CBS.log:7), UTC+08:00 | 1 | M1: two CBS logs"
    ));
    assert!(md.contains("| machine | M1 (SRV01/: build 17763, UTC+08:00) |"));
}

#[test]
fn html_report_has_a_machines_table_and_one_coverage_section_per_machine() {
    let (analysis, timeline) = two_servers();
    let html = patchdx_report::render_html(&analysis, &timeline);
    assert!(html.contains("Machines <span class=\"sub\">(2, each analysed apart)</span>"));
    assert!(html.contains(WHY_APART));
    assert!(html.contains("<h3>M1 (SRV01/: build 17763, UTC+08:00)</h3>"));
    assert!(html.contains("<h3>M2 (SRV02/: build 17763, UTC+08:00)</h3>"));
}
