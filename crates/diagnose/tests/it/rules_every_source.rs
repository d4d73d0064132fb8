//! Every finding gets its root cause from the rules, whatever source records it (issue 13, item 6): for real
//! logs of each source other than CBS (../shared/fixtures), the exact rule ids attached to each finding, grouped
//! by the finding's code, and the number of failed attempts of each group (a finding tried N times counts N).

use crate::common::*;
use patchdx_diagnose::{Analysis, Finding};
use std::collections::BTreeMap;

/// The findings of one code (`None`: the finding names none) and the rule ids each of them must carry, in
/// order.
struct Group {
    code: Option<&'static str>,
    count: usize,
    rules: &'static [&'static str],
}

const fn group(code: Option<&'static str>, count: usize, rules: &'static [&'static str]) -> Group {
    Group { code, count, rules }
}

fn rule_ids(finding: &Finding) -> Vec<&str> {
    finding.diagnosis.iter().map(|d| d.rule.as_str()).collect()
}

fn code_of(finding: &Finding) -> Option<&str> {
    finding.code.as_ref().map(|c| c.hex.as_str())
}

/// Checks that `analysis` has exactly the groups given, every finding with exactly its group's rules.
fn check(fixture_name: &str, analysis: &Analysis, groups: &[Group]) {
    let mut seen: BTreeMap<Option<&str>, usize> = BTreeMap::new();
    for finding in &analysis.findings {
        let code = code_of(finding);
        *seen.entry(code).or_default() += finding.attempts();
        let Some(expected) = groups.iter().find(|g| g.code == code) else {
            panic!("{fixture_name}: unexpected finding {:?} ({code:?}) with {:?}", finding.title, rule_ids(finding));
        };
        assert_eq!(rule_ids(finding), expected.rules, "{fixture_name}: {} ({code:?})", finding.title);
    }
    for g in groups {
        assert_eq!(seen.get(&g.code).copied().unwrap_or(0), g.count, "{fixture_name}: attempts with code {:?}", g.code);
    }
}

fn case(fixture_name: &str, groups: &[Group]) {
    let Some(path) = fixture(fixture_name) else { return };
    check(fixture_name, &analyze(&path), groups);
}

/// shang159 (System.evtx, Windows 11 zh-CN): Store apps that were running when Windows Update replaced them
/// (WindowsUpdateClient event 20, 0x80073D02), and the 2022-03 LCU KB5011493 with the updates installed in the
/// same second failing with 0x80246007 on content that was not downloaded.
#[test]
fn system_evtx_store_apps_in_use_and_lcu_not_downloaded() {
    let name = "evtx/shang159_win11-22000-zhCN_System-WU20-0x80246007-then-19.evtx";
    case(
        name,
        &[
            group(Some("0x80073D02"), 10, &["appx-package-in-use-0x80073d02"]),
            group(Some("0x80246007"), 5, &["wu-not-downloaded-0x80246007"]),
        ],
    );
    let Some(path) = fixture(name) else { return };
    let analysis = analyze(&path);
    let lcu = analysis.findings.iter().find(|f| f.kb.as_deref() == Some("KB5011493")).expect("the KB5011493 finding");
    assert_eq!(code_of(lcu), Some("0x80246007"));
    assert_eq!(lcu.first_cause.source.as_deref(), Some("System.evtx"));
    assert_eq!(rule_ids(lcu), ["wu-not-downloaded-0x80246007"]);
}

/// 3gstudent (Setup.evtx): express staging hands back to Windows Update for more byte ranges; event 3 records it
/// as a failure to reach the Staged state.
#[test]
fn setup_evtx_express_staging_hand_back() {
    case(
        "evtx/3gstudent_Setup_KB4093137_0x800f0816.evtx",
        &[group(Some("0x800F0816"), 2, &["express-staging-needs-more-ranges-0x800f0816"])],
    );
}

/// rsasbeih (Windows 7 WindowsUpdate.log against WSUS): download requests that found no self-contained package,
/// and the October 2018 rollup KB4462923 not installed after the restart (a newer rollup pended with it).
#[test]
fn legacy_windows_update_log_metadata_and_post_reboot_state() {
    case(
        "wulog/rsasbeih_win7-sp1-wsus_WindowsUpdate-0x80242016-postreboot-KB4462923.log",
        &[
            group(Some("0x80242006"), 4, &["wu-invalid-metadata-0x80242006"]),
            group(Some("0x80242016"), 1, &["wu-post-reboot-unexpected-state-0x80242016"]),
        ],
    );
}

/// josemct (WindowsUpdate.log): a Store app deployment aborted and never completed. (The deployments the handler
/// ran down, which failed to open their streamed package or reach the service and completed a minute later, are
/// observations, not findings: see not_update_failures.)
#[test]
fn windows_update_log_store_app_deployments() {
    case(
        "wulog/josemct_19041_WindowsUpdate_store_0x80073cf0.log",
        &[group(Some("0x80073CF9"), 1, &["appx-install-failed-0x80073cf9"])],
    );
}

/// privacytarget (WindowsUpdate.log): a UUP cumulative update download cancelled, pre-empted and out of memory,
/// a Delivery Optimization job paused without network, and cabs whose signatures did not verify.
#[test]
fn windows_update_log_uup_download_failures() {
    case(
        "wulog/privacytarget_WindowsUpdate_uup_download_failure.log",
        &[
            group(Some("0x8024000B"), 1, &["wu-operation-cancelled-0x8024000b"]),
            group(Some("0x80240009"), 1, &["wu-operation-in-progress-0x80240009"]),
            group(Some("0x8007000E"), 1, &["servicing-out-of-memory-0x8007000e"]),
            group(Some("0x80D03805"), 1, &["download-paused-no-network-0x80d03805"]),
            group(Some("0x80096004"), 3, &["download-signature-not-trusted-0x80096004"]),
        ],
    );
}

/// findingsanity (WindowsUpdate.log, ConfigMgr client): a web filter answers range requests with its own page.
#[test]
fn windows_update_log_range_requests_broken_by_a_filter() {
    case(
        "wulog/findingsanity_17763_WindowsUpdate.log",
        &[
            group(Some("0x80D05011"), 1, &["download-altered-by-proxy-0x80d05001"]),
            group(Some("0x8020002B"), 1, &["download-altered-by-proxy-0x80d05001"]),
            group(Some("0x80D05001"), 2, &["download-altered-by-proxy-0x80d05001"]),
        ],
    );
}

/// Debajyati (dash-dated WindowsUpdate.log) and ZayrexDev (Windows 11 24H2 feature update).
#[test]
fn windows_update_log_network_loss_and_missing_file() {
    case(
        "wulog/Debajyati_WindowsUpdate_dash_date_variant.log",
        &[group(Some("0x80D03805"), 1, &["download-paused-no-network-0x80d03805"])],
    );
    case(
        "wulog/ZayrexDev_WindowsUpdate_2025.log",
        &[group(Some("0x80070002"), 1, &["wu-install-file-not-found-0x80070002"])],
    );
}

/// DISM: an offline command pointed at a path without an image, and a combined update cab added directly to a
/// mounted image (its CBS lines are in the same log). Provisioning an app whose newer version exists is no
/// failure at all (an observation: see not_update_failures).
#[test]
fn dism_appx_provisioning_image_path_and_onepackage_cab() {
    case("dism/AbbrilYudistira_22000_dism_appx_0x800700b7.log", &[]);
    case("dism/HeroLee46_22621_dism_offline_add_driver.log", &[group(None, 1, &["dism-image-path-not-accessible"])]);
    case(
        "dism/osdeploy_win11-22000-offline-image_DISM-AddPackage-OnePackage-cab-0x8007007b.log",
        &[group(Some("0x8007007B"), 1, &["onepackage-cab-added-directly-0x8007007b"])],
    );
}

/// Panther rollback logs: where the setup result is among the rollback records (baslr's `Reporting post reboot
/// event -> [0xC1900101, 0x30018]` after phases 1-2) the finding carries it and the code's rule names the cause;
/// where it is not (baslr's phase 0, two hours earlier; dheebakkumar) the rule says where to find it.
#[test]
fn panther_rollbacks_with_and_without_a_result_code() {
    case(
        "panther/baslr_19041_Rollback_setupact_0xC1900101_0x30018.log",
        &[group(Some("0xC1900101"), 1, &["upgrade-rollback-0xc1900101"])],
    );
    case(
        "panther/dheebakkumar_winpe-cleaninstall_Rollback-setupact-OSRollback.log",
        &[group(None, 1, &["upgrade-rolled-back-cause-elsewhere"])],
    );
}

/// Panther upgrade logs whose setup exits with a failure result and no rollback: the result is the finding.
#[test]
fn panther_setup_results_without_a_rollback() {
    case(
        "panther/rickaK77_upgrade_setupact.log",
        &[group(Some("0x80070032"), 1, &["upgrade-setup-exited-with-failure"])],
    );
    // A cancelled run (0x800704C7) is an observation, not a failure: no finding, no rule.
    case("panther/copyleft21_upgrade_setupact.log", &[]);
}

/// sfc /scannow console output (zh-CN) that ends "unable to fix some of them", from the bundled test data.
#[test]
fn sfc_console_unable_to_fix_some() {
    let analysis = analyze(&sample("sfc/sfc-scannow-zh-cn-unable-to-fix-some.txt"));
    check("sfc-scannow-zh-cn-unable-to-fix-some.txt", &analysis, &[group(None, 1, &["sfc-unable-to-fix-some"])]);
}

/// Class: a finding from `sfc /scannow` console output says what SFC found, never "update repair failed":
/// SFC checks system files and repairs no update.
#[test]
fn sfc_console_findings_are_titled_by_what_sfc_said() {
    for (sample_name, title, rule) in [
        (
            "sfc/sfc-scannow-zh-cn-unable-to-fix-some.txt",
            "SFC found corrupt files it could not repair",
            "sfc-unable-to-fix-some",
        ),
        (
            "sfc/sfc-scannow-en-could-not-perform-requested-operation-utf16le-bom.txt",
            "SFC could not perform the requested operation",
            "sfc-could-not-run",
        ),
    ] {
        let analysis = analyze(&sample(sample_name));
        let titles: Vec<(&str, Vec<&str>)> =
            analysis.findings.iter().map(|f| (f.title.as_str(), rule_ids(f))).collect();
        assert_eq!(titles, [(title, vec![rule])], "{sample_name}");
        assert!(analysis.verdict.summary.contains(title), "{}", analysis.verdict.summary);
    }
    // All repaired: nothing failed.
    let analysis = analyze(&sample("sfc/sfc-scannow-en-repaired-utf16le-bom.txt"));
    assert!(analysis.findings.is_empty());
}

/// The whole fixture folder at once: no finding of any source is left without a rule.
#[test]
fn no_finding_of_the_fixture_bundle_lacks_a_rule() {
    let Some(path) = fixture("") else { return };
    let analysis = analyze(&path);
    let bare: Vec<String> = analysis
        .findings
        .iter()
        .filter(|f| f.diagnosis.is_empty())
        .map(|f| format!("{} ({:?}, {})", f.title, f.first_cause.source, f.first_cause.file))
        .collect();
    assert!(bare.is_empty(), "findings without a rule:\n{}", bare.join("\n"));
}
