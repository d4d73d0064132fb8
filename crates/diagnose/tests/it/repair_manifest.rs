//! Repair manifests: the component identities, files and updates a corruption finding names, and the repair
//! source and commands that match them.

use crate::common;
use common::*;
use patchdx_diagnose::Verdict;
use patchdx_diagnose::repair_manifest::RepairManifest;

fn manifest_of(analysis: &patchdx_diagnose::Analysis, verdict: Verdict) -> &RepairManifest {
    let finding = analysis.findings.iter().find(|f| f.verdict == verdict).expect("a finding of that verdict");
    finding.repair.as_ref().unwrap_or_else(|| panic!("{} has a repair manifest", finding.title))
}

fn has_command(m: &RepairManifest, command: &str) -> bool {
    m.commands.iter().any(|c| c.command == command)
}

/// romi1996 (Windows 10 1903): DISM /RestoreHealth found 9 corrupt payload files of one Defender component and
/// repaired all of them (`(p) CSI Payload Corrupt … (Fixed)` rows, lines 3336–3344).
#[test]
fn romi1996_repaired_payload_corruption_names_the_defender_component_and_its_nine_files() {
    let Some(path) = fixture("cbs/romi1996_1903_CBS_csi_payload_corrupt_fixed.log") else { return };
    let analysis = analyze(&path);
    let m = manifest_of(&analysis, Verdict::Repaired);
    assert!(m.repaired);
    assert_eq!(m.components.len(), 1, "{:#?}", m.components);
    let c = &m.components[0];
    assert_eq!(c.name, "windows-defender-management-powershell");
    assert_eq!(c.version, "10.0.18362.1");
    assert_eq!(c.architecture, "amd64");
    assert_eq!(c.public_key_token.as_deref(), Some("31bf3856ad364e35"));
    assert_eq!(c.culture.as_deref(), Some("neutral"));
    assert_eq!(
        c.identity,
        "amd64_windows-defender-management-powershell_31bf3856ad364e35_10.0.18362.1_none_b620cb061e8a941c"
    );
    let files: Vec<&str> = c.files.iter().map(String::as_str).collect();
    assert_eq!(
        files,
        vec![
            "MSFT_MpComputerStatus.cdxml",
            "MSFT_MpThreat.cdxml",
            "MSFT_MpThreatCatalog.cdxml",
            "MSFT_MpThreatDetection.cdxml",
            "MSFT_MpPreference.cdxml",
            "MSFT_MpScan.cdxml",
            "MSFT_MpWDOScan.cdxml",
            "MSFT_MpSignature.cdxml",
            "Defender.psd1",
        ]
    );
    // The store check's own lines say what was wrong before the rows say it was fixed: each file's hash did not
    // match and CSI had no backup to repair its payload from (`Unable to repair payload file`, lines 2947–2979).
    assert_eq!(
        c.problems,
        vec![
            "payload file damaged and no backup copy to repair it from".to_string(),
            "CSI Payload Corrupt (fixed)".to_string()
        ]
    );
    let lines: Vec<u64> = c.evidence.iter().map(|p| p.line).collect();
    let payload_lines: Vec<u64> = (0..9).map(|n| 2947 + 4 * n).collect();
    let row_lines: Vec<u64> = (3336..=3344).collect();
    assert_eq!(lines, [payload_lines, row_lines].concat(), "the payload lines, then the corruption rows");
    assert!(m.unattributed_files.is_empty(), "the hash lines' files are the component's: {:?}", m.unattributed_files);
    assert_eq!(m.sources.len(), 1);
    let s = &m.sources[0];
    assert_eq!((s.build, s.revision, s.version.as_str()), (18362, 1, "10.0.18362.1"));
    assert!(s.text.en.contains("build 18362 at revision 1 or later"), "{}", s.text.en);
    assert!(s.text.zh_cn.contains("内部版本 18362"), "{}", s.text.zh_cn);
    assert!(m.steps[0].en.contains("already fixed"));
}

/// The WU install of KB5014805 on Windows Server 2019 / 1809 fails in Resolve with 0x80073712: the manifest of
/// amd64_microsoft-windows-rasserver 10.0.17763.3165, which KB5014805 (package 17763.3165) carries, is missing.
#[test]
fn kb5014805_missing_manifest_names_rasserver_its_update_and_the_matching_source() {
    let analysis = analyze(&sample("cbs/kb5014805-wu-install-store-corrupt-0x80073712.log"));
    let m = manifest_of(&analysis, Verdict::Failed);
    assert!(!m.repaired);
    assert_eq!(m.components.len(), 1, "{:#?}", m.components);
    let c = &m.components[0];
    assert_eq!(
        (c.name.as_str(), c.version.as_str(), c.architecture.as_str(), c.public_key_token.as_deref()),
        ("microsoft-windows-rasserver", "10.0.17763.3165", "amd64", Some("31bf3856ad364e35"))
    );
    assert_eq!(c.form, "winsxs-key");
    assert_eq!(c.problems, vec!["manifest missing or corrupt".to_string()]);
    let places: Vec<(&str, u64)> = c.evidence.iter().map(|p| (p.file.as_str(), p.line)).collect();
    assert_eq!(places, vec![("kb5014805-wu-install-store-corrupt-0x80073712.log", 21)]);
    assert_eq!(m.kbs, vec!["KB5014805".to_string()]);
    let carrier = m.packages.iter().find(|p| p.relation.starts_with("carries")).expect("a carrying package");
    assert_eq!(carrier.identity, "Package_for_KB5014805~31bf3856ad364e35~amd64~~17763.3165.1.7");
    assert_eq!(carrier.relation, "carries 10.0.17763.3165");
    assert_eq!(m.sources.len(), 1);
    let s = &m.sources[0];
    assert_eq!((s.build, s.revision), (17763, 3165));
    assert_eq!(s.carried_by, vec!["KB5014805".to_string()]);
    assert_eq!(s.release, Some("Windows 10 1809 / Windows Server 2019"));
    assert!(
        s.text.en.starts_with(
            "install.wim/.esd of build 17763 at revision 3165 or later, or the cumulative update that contains 10.0.17763.3165 (KB5014805"
        ),
        "{}",
        s.text.en
    );
    assert!(s.text.zh_cn.contains("内部版本 17763、修订号 3165"), "{}", s.text.zh_cn);
    assert!(has_command(
        m,
        r"DISM /Online /Cleanup-Image /RestoreHealth /Source:wim:<drive>:\sources\install.wim:<index> /LimitAccess"
    ));
    assert!(has_command(
        m,
        r"DISM /Online /Cleanup-Image /RestoreHealth /Source:esd:<drive>:\sources\install.esd:<index> /LimitAccess"
    ));
    assert!(has_command(
        m,
        r"DISM /Online /Cleanup-Image /RestoreHealth /Source:C:\CU\KB5014805\expanded /LimitAccess"
    ));
    assert!(has_command(m, "sfc /scannow"));
    assert!(m.steps.iter().any(|s| s.en == "Install KB5014805 again."));
}

/// SFC on Windows 10 22H2 cannot repair two files whose store copies are damaged too: dwmcore.dll of
/// Microsoft-Windows-Dwm-Core 10.0.19041.4170 and Amd64\CNBJ2530.DPB of the inbox Canon driver prncacla.inf
/// (a driverUpdate component). Each `[SR] Cannot repair member file` line is logged twice (verify, then repair).
#[test]
fn sfc_cannot_repair_lines_give_components_files_and_the_highest_revision_as_source() {
    let analysis = analyze(&sample("cbs/sfc-19045-cannot-repair-dwmcore-prncacla-hash-mismatch.log"));
    let failures = failed(&analysis);
    assert_eq!(failures.len(), 1, "{failures:#?}");
    let m = failures[0].repair.as_ref().expect("SFC finding has a repair manifest");
    type Row<'a> = (&'a str, &'a str, &'a str, Option<&'a str>, Vec<&'a str>, Option<&'a str>);
    let got: Vec<Row> = m
        .components
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                c.version.as_str(),
                c.architecture.as_str(),
                c.public_key_token.as_deref(),
                c.files.iter().map(String::as_str).collect(),
                c.component_type.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "Microsoft-Windows-Dwm-Core",
                "10.0.19041.4170",
                "amd64",
                Some("31bf3856ad364e35"),
                vec!["dwmcore.dll"],
                None
            ),
            (
                "prncacla.inf",
                "10.0.19041.1",
                "amd64",
                Some("31bf3856ad364e35"),
                vec![r"Amd64\CNBJ2530.DPB"],
                Some("driverUpdate")
            ),
        ]
    );
    for c in &m.components {
        assert_eq!(c.problems, vec!["SFC cannot repair the file: hash mismatch in the store".to_string()]);
        assert_eq!(c.evidence.len(), 2, "logged in the verify and the repair pass: {:?}", c.evidence);
    }
    assert_eq!(m.sources.len(), 1);
    let s = &m.sources[0];
    assert_eq!((s.build, s.revision, s.version.as_str()), (19041, 4170, "10.0.19041.4170"));
    assert!(s.text.en.contains("build 19041 at revision 4170 or later"), "{}", s.text.en);
    assert!(s.text.en.contains("19045"), "the 22H2 build shares 19041's components: {}", s.text.en);
    assert!(m.kbs.is_empty(), "the logs name no update: {:?}", m.kbs);
    assert!(has_command(m, "sfc /scannow"));
    assert!(has_command(m, "pnputil /enum-drivers"), "a driverUpdate component is damaged");
}

/// Findings whose cause is not corruption get no manifest.
#[test]
fn findings_without_corruption_have_no_manifest() {
    let Some(path) = fixture("cbs/EhsanHasani_19041_CBS_fod_download_0x8024402c.log") else { return };
    let analysis = analyze(&path);
    assert!(!analysis.findings.is_empty());
    assert!(analysis.findings.iter().all(|f| f.repair.is_none()));
}
