//! Class (issue 13.8): every file that SFC's and CSI's lines name — `Hashes for file member … do not match`,
//! `[SR] Could not reproject corrupted file`, `[SR] Cannot repair member file`, `[SR] Repairing file` — is listed
//! with the lines (file:line) that name it, in the spellings of Windows 7 to Windows Server 2022; the RD
//! Licensing files the role rewrites are named as such by a rule.

use crate::common::*;
use patchdx_diagnose::{Analysis, Verdict};

/// The one failed finding, its items, and the lines of its first cause and outcome.
fn sfc_finding(analysis: &Analysis) -> (&patchdx_diagnose::Finding, Vec<String>) {
    let failures = failed(analysis);
    assert_eq!(failures.len(), 1, "{failures:#?}");
    (failures[0], failures[0].items.clone())
}

fn places(file: &str, lines: &[u64]) -> String {
    lines.iter().map(|l| format!("{file}:{l}")).collect::<Vec<_>>().join(", ")
}

/// Windows Server 2022 with RD Licensing: SFC's verify and repair passes name the two configuration files the
/// license server rewrote, each with its hash mismatches, `Cannot repair` and `Could not reproject` lines. Only
/// the role-owned rule explains them, so they are an observation, not a failure (and get no repair recipe,
/// which would undo the role's configuration).
#[test]
fn rd_licensing_files_are_listed_with_every_line_and_named_as_role_owned() {
    let name = "sfc-20348-rd-licensing-xml-rewritten-by-role-cannot-repair.log";
    let analysis = analyze(&sample(&format!("cbs/{name}")));
    assert!(failed(&analysis).is_empty(), "{:#?}", failed(&analysis));
    assert_eq!(analysis.verdict.exit_code, 0);
    let o = analysis.observations.iter().find(|o| o.kind == "role-owned-files").expect("the role-owned files");
    let tls = format!(
        r"C:\Windows\System32\tls_branding_config.xml: hash does not match its manifest; SFC could not reproject it (the source file in the store is also corrupted) — {}",
        places(name, &[9, 12, 32, 35])
    );
    let lserver = format!(
        r"C:\Windows\System32\LServer_PKConfig.xml: hash does not match its manifest; SFC cannot repair the member file (the store copy is damaged too); SFC could not reproject it (the source file in the store is also corrupted) — {}",
        places(name, &[13, 16, 19, 22, 25, 36, 39, 42, 45, 48])
    );
    assert_eq!(
        o.summary,
        format!(
            "Not a failure: SFC reports the RD Licensing configuration files, which the role rewrites by design (not corruption) (rule sfc-rd-licensing-role-files). The file(s): {tls}; {lserver}"
        )
    );
    // The first hash mismatch decides it; the finding's records follow, its outcome (the last result) last.
    let lines: Vec<u64> = o.evidence.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![9, 12, 13, 16, 19, 22, 25, 32, 35, 36, 39, 42, 45, 48]);
}

/// The same lines with one more damaged file: both the benign rule and the rule for damaged files fire, the
/// damaged file's first.
#[test]
fn a_damaged_file_beside_the_rd_licensing_files_keeps_the_corruption_rule_first() {
    let text = std::fs::read_to_string(sample("cbs/sfc-20348-rd-licensing-xml-rewritten-by-role-cannot-repair.log"))
        .expect("sample");
    let extra = "2025-09-19 14:40:09, Info                  CSI    00000146 Hashes for file member [l:9]'msctf.dll' do not match.\r\n\
                 2025-09-19 14:40:09, Info                  CSI    00000147 [SR] Could not reproject corrupted file \\??\\C:\\Windows\\System32\\\\msctf.dll; source file in store is also corrupted\r\n";
    let dir = tempfile::tempdir().expect("scratch");
    let path = dir.path().join("CBS.log");
    std::fs::write(&path, format!("{text}{extra}")).expect("write");
    let analysis = analyze(&path);
    let (finding, items) = sfc_finding(&analysis);
    assert_eq!(finding.title, "SFC could not repair 3 file(s)");
    assert_eq!(
        items[2],
        r"C:\Windows\System32\msctf.dll: hash does not match its manifest; SFC could not reproject it (the source file in the store is also corrupted) — CBS.log:51, CBS.log:52"
    );
    let rules: Vec<&str> = finding.diagnosis.iter().map(|d| d.rule.as_str()).collect();
    assert_eq!(rules, vec!["sfc-cannot-repair-hash-mismatch", "sfc-rd-licensing-role-files"]);
    // The manifest reads the hash and result lines: the component a `Cannot repair` line names with its file,
    // and the files whose lines name no component.
    let m = finding.repair.as_ref().expect("a manifest: msctf.dll is damaged");
    let components: Vec<(&str, Vec<&str>)> =
        m.components.iter().map(|c| (c.name.as_str(), c.files.iter().map(String::as_str).collect())).collect();
    assert_eq!(
        components,
        vec![("Microsoft-Windows-TerminalServices-LicenseServer-LRWIZDLL", vec!["LServer_PKConfig.xml"])]
    );
    assert_eq!(m.unattributed_files, vec!["tls_branding_config.xml".to_string(), "msctf.dll".to_string()]);
}

/// Windows 7: hash lines name the member by its `\SystemRoot\WinSxS` path, `Could not reproject` quotes the
/// directory and the name apart; a file SFC repaired is an observation, not part of the failure.
#[test]
fn windows_7_spellings_list_each_file_and_the_repaired_one_apart() {
    let name = "sfc-7601-cannot-repair-cnbj2530-settings-ini-quoted-paths-repaired-mshtml.log";
    let analysis = analyze(&sample(&format!("cbs/{name}")));
    let (finding, items) = sfc_finding(&analysis);
    assert_eq!(
        items,
        vec![
            format!(
                r"Amd64\CNBJ2530.DPB: hash does not match its manifest; SFC cannot repair the member file (the store copy is damaged too) — {}",
                places(name, &[7, 9])
            ),
            format!(
                r"C:\Program Files\Microsoft Games\Solitaire\settings.ini: hash does not match its manifest; SFC cannot repair the member file (the store copy is damaged too); SFC could not reproject it (the source file in the store is also corrupted) — {}",
                places(name, &[10, 12, 13])
            ),
        ]
    );
    assert_eq!((finding.first_cause.line, finding.outcome.line), (7, 13));
    let m = finding.repair.as_ref().expect("a manifest");
    let components: Vec<(&str, Vec<&str>)> =
        m.components.iter().map(|c| (c.name.as_str(), c.files.iter().map(String::as_str).collect())).collect();
    assert_eq!(
        components,
        vec![
            ("prncacla.inf", vec![r"Amd64\CNBJ2530.DPB"]),
            ("Microsoft-Windows-Shell-InBoxGames-Solitaire", vec!["settings.ini"]),
        ]
    );
    let repaired: Vec<_> = analysis.observations.iter().filter(|o| o.kind == "sfc-repair").collect();
    assert_eq!(repaired.len(), 1);
    assert_eq!(repaired[0].summary, r"SFC repaired 1 file(s) from the component store: C:\Windows\System32\mshtml.dll");
    let lines: Vec<u64> = repaired[0].evidence.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![14, 16]);
}

/// The Windows 10 22H2 sample: each of the two files is named in the verify and the repair pass.
#[test]
fn windows_10_sample_lists_both_files_with_both_passes() {
    let name = "sfc-19045-cannot-repair-dwmcore-prncacla-hash-mismatch.log";
    let analysis = analyze(&sample(&format!("cbs/{name}")));
    let (finding, items) = sfc_finding(&analysis);
    assert_eq!(
        items,
        vec![
            format!(
                "dwmcore.dll: hash does not match its manifest; SFC cannot repair the member file (the store copy is damaged too) — {}",
                places(name, &[9, 12, 22, 25])
            ),
            format!(
                r"Amd64\CNBJ2530.DPB: hash does not match its manifest; SFC cannot repair the member file (the store copy is damaged too) — {}",
                places(name, &[14, 17, 27, 30])
            ),
        ]
    );
    assert_eq!((finding.first_cause.line, finding.outcome.line), (9, 30));
}

/// Real logs: Jrose152 (Windows 10 2004) and adrianosalves (Windows 11 24H2) each repaired one file, found by
/// its hash mismatch; the observation quotes every hash and repair line of it.
#[test]
fn real_sfc_repairs_quote_the_hash_and_repair_lines_of_the_file() {
    for (name, file, lines) in [
        (
            "cbs/Jrose152_19041_CBS_sfc_repaired.log",
            r"C:\WINDOWS\Web\Wallpaper\Windows\img0.jpg",
            vec![646, 649, 1055, 1058],
        ),
        (
            "cbs/adrianosalves_26100_CBS_sfc_repaired.log",
            r"C:\WINDOWS\System32\WindowsPowerShell\v1.0\Modules\Appx\pt-BR\Appx.psd1",
            vec![11873, 11876, 12127, 12130, 12622, 12625, 12791, 12794],
        ),
    ] {
        let Some(path) = fixture(name) else { return };
        let analysis = analyze(&path);
        assert!(failed(&analysis).is_empty(), "{name}");
        let repaired: Vec<_> = analysis.observations.iter().filter(|o| o.kind == "sfc-repair").collect();
        let summaries: Vec<&str> = repaired.iter().map(|o| o.summary.as_str()).collect();
        let all_lines: Vec<u64> = repaired.iter().flat_map(|o| o.evidence.iter().map(|e| e.line)).collect();
        assert!(
            summaries.iter().all(|s| *s == format!("SFC repaired 1 file(s) from the component store: {file}")),
            "{name}: {summaries:?}"
        );
        assert_eq!(all_lines, lines, "{name}");
    }
}

/// romi1996 (Windows 10 1903): DISM's store check wrote a hash mismatch and an `Unable to repair payload file`
/// line per file; they belong to the DISM run (repaired), not to SFC.
#[test]
fn dism_hash_and_payload_lines_stay_with_the_dism_run() {
    let Some(path) = fixture("cbs/romi1996_1903_CBS_csi_payload_corrupt_fixed.log") else { return };
    let analysis = analyze(&path);
    assert_eq!(analysis.findings.len(), 1);
    assert_eq!(analysis.findings[0].verdict, Verdict::Repaired);
    assert!(analysis.observations.iter().all(|o| o.kind != "sfc-repair"));
}
