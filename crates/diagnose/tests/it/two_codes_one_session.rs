//! Class: two codes of one session are one finding that names both. A DISM /RestoreHealth whose CBS session
//! ends 0x800F0906 CBS_E_DOWNLOAD_FAILURE because Windows Update's download of the repair content failed with
//! 0x80240438 is one failure: its code is the session's, the download's code is stated as its cause (in the
//! finding, its title, JSON and every report), and the repair run's Summary block and damage belong to it.

use crate::common::*;
use patchdx_diagnose::Verdict;

const RESTORE: &str = "cbs/restorehealth-0x800f0906-wu-download-0x80240438.log";

#[test]
fn restorehealth_download_failure_is_one_finding_naming_both_codes() {
    let analysis = analyze(&sample(RESTORE));
    let titles: Vec<&String> = analysis.findings.iter().map(|f| &f.title).collect();
    assert_eq!(analysis.findings.len(), 1, "{titles:#?}");
    let f = &analysis.findings[0];
    assert_eq!(f.verdict, Verdict::Failed);
    assert_eq!(
        f.title,
        "component store repair by DISM Package Manager Provider failed with 0x800F0906 CBS_E_DOWNLOAD_FAILURE \
         (2 corruption(s) detected, 0 repaired); the Windows Update download it needed failed with 0x80240438 \
         WU_E_PT_ENDPOINT_UNREACHABLE"
    );
    assert_eq!(f.code.as_ref().map(|c| c.value), Some(0x800F_0906));
    assert_eq!(f.session.as_deref(), Some("31110562_1044221793"));
    // The download's code, with the first record that states it.
    assert_eq!(f.related_codes.len(), 1);
    let cause = &f.related_codes[0];
    assert_eq!(cause.code.value, 0x8024_0438);
    assert_eq!(cause.what, "Windows Update download");
    assert_eq!(cause.evidence.line, 63);
    assert_eq!(
        cause.evidence.text.trim_end(),
        "2024-05-14 10:05:05, Info                  CBS    DLWD:WU search failed [HRESULT = 0x80240438 - Unknown Error]"
    );
    // The repair run is part of it: its damage, its Summary block, and the chain starts at the first damaged
    // file CSI names (the hash mismatch of mssrch.dll, line 38, before the store flag of line 46).
    assert_eq!(f.items.len(), 2, "{:?}", f.items);
    assert!(
        f.items
            .iter()
            .all(|i| i.starts_with("CSI Payload Corrupt: wow64_windowssearchengine") && i.ends_with("(NOT fixed)"))
    );
    assert_eq!(f.first_cause.line, 38);
    assert!(f.cascade.iter().any(|e| e.line == 46), "the store flag follows in the chain");
    let lines: Vec<u64> = f.cascade.iter().map(|e| e.line).collect();
    for line in [63, 72, 74, 79, 81, 87, 105] {
        assert!(lines.contains(&line), "line {line} in the chain: {lines:?}");
    }
    assert_eq!(f.outcome.line, 105);
    assert!(f.outcome.text.contains("Download error: 0x80240438"));
    assert!(f.repair.is_some(), "the damaged components still get their repair manifest");
    let rules: Vec<&str> = f.diagnosis.iter().map(|d| d.rule.as_str()).collect();
    for rule in ["source-download-failed-0x800f0906", "wu-endpoint-unreachable-0x80240438"] {
        assert!(rules.contains(&rule), "{rules:?}");
    }
    assert_eq!(analysis.verdict.failures, 1);
}

/// JSON carries the second code as `related_codes`; the text, Markdown and HTML reports say it.
#[test]
fn both_codes_in_json_and_reports() {
    let analysis = analyze(&sample(RESTORE));
    let json = serde_json::to_value(&analysis).expect("json");
    let related = &json["findings"][0]["related_codes"];
    assert_eq!(related.as_array().map(Vec::len), Some(1), "{related}");
    assert_eq!(related[0]["code"]["hex"], "0x80240438");
    assert_eq!(related[0]["code"]["name"], "WU_E_PT_ENDPOINT_UNREACHABLE");
    assert_eq!(related[0]["what"], "Windows Update download");
    assert_eq!(related[0]["evidence"]["line"], 63);
    assert_eq!(json["findings"][0]["code"]["hex"], "0x800F0906");
}

/// When the session's code and the download's are the same (a Feature on Demand whose session ends with the
/// WU search error itself), there is no second code to name.
#[test]
fn same_code_is_not_named_twice() {
    let Some(path) = fixture("cbs/EhsanHasani_19041_CBS_fod_download_0x8024402c.log") else { return };
    let analysis = analyze(&path);
    assert!(!analysis.findings.is_empty());
    for f in &analysis.findings {
        assert!(f.related_codes.is_empty(), "{}: {:?}", f.title, f.related_codes);
    }
}
