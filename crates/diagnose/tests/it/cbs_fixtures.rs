//! Diagnoses of real CBS logs from real machines (../shared/fixtures/cbs), asserted exactly. The facts checked
//! here were read off the logs by hand (see each test's comment).

use crate::common;
use common::*;
use patchdx_diagnose::Verdict;

/// mattbalzan: CBS.log + 5 LZX CbsPersist cabs of one Windows 11 24H2 machine, stitched in order.
#[test]
fn mattbalzan_cbs_log_and_five_cabs_stitch_into_one_history() {
    let Some(dir) = fixture("cbs") else { return };
    let scratch = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(&dir).expect("fixture dir") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if name.starts_with("mattbalzan_") {
            std::os::unix::fs::symlink(&path, scratch.path().join(&name)).expect("symlink");
        }
    }
    let analysis = analyze(scratch.path());
    let h = &analysis.cbs.history;
    let got: Vec<(String, String, String, u64, Option<i64>)> = h
        .pieces
        .iter()
        .map(|p| (p.path.clone(), local(p.first_local), local(p.last_local), p.lines, p.gap_before_seconds))
        .collect();
    let cab = |stamp: &str| format!("mattbalzan_26100_CbsPersist_{stamp}.cab!/CbsPersist_{stamp}.log");
    let expected = vec![
        (cab("20251214161635"), "2025-12-14 15:54:33", "2025-12-14 16:15:46", 75791, None),
        (cab("20251215094535"), "2025-12-14 16:16:35", "2025-12-15 09:22:23", 95316, Some(49)),
        (cab("20251215104535"), "2025-12-15 09:45:35", "2025-12-15 10:23:30", 73371, Some(23 * 60 + 12)),
        (cab("20251215114536"), "2025-12-15 10:45:35", "2025-12-15 10:58:25", 73371, Some(22 * 60 + 5)),
        (cab("20251215143522"), "2025-12-15 11:45:36", "2025-12-15 14:32:33", 76132, Some(47 * 60 + 11)),
        (
            "mattbalzan_26100_CBS.log".to_string(),
            "2025-12-15 14:35:22",
            "2025-12-15 17:09:35",
            25875,
            Some(2 * 60 + 49),
        ),
    ];
    let expected: Vec<_> =
        expected.into_iter().map(|(p, a, b, n, g)| (p, a.to_string(), b.to_string(), n, g)).collect();
    assert_eq!(got, expected);
    assert!(h.pieces.iter().all(|p| p.overlapping_events_removed == 0));
    assert!(h.duplicates.is_empty());
    // The oldest piece the logs name (archived before the first cab here) is not in the bundle.
    assert_eq!(h.missing_pieces, vec!["CbsPersist_20251214155433.cab".to_string()]);
    assert_eq!(local(h.first_utc), "2025-12-14 15:54:33", "this machine runs on UTC");
    assert!(failed(&analysis).is_empty(), "no operation failed on this machine: {:#?}", failed(&analysis));
    assert_eq!(analysis.verdict.exit_code, 0);
}

/// EhsanHasani: a Persian language pack (Feature on Demand) cannot be downloaded: 10 sessions end with
/// 0x8024402c because Windows Update is unreachable. The async session #1 ends only in its Exec line. Nine of
/// them try the fa-ir language pack and are one failure tried nine times; one tries Graphics Tools.
#[test]
fn ehsanhasani_fod_download_failures_name_0x8024402c_and_their_first_record() {
    let Some(path) = fixture("cbs/EhsanHasani_19041_CBS_fod_download_0x8024402c.log") else {
        return;
    };
    let analysis = analyze(&path);
    let failures = failed(&analysis);
    let attempts: Vec<(String, u64, u64)> = failures
        .iter()
        .flat_map(|f| {
            std::iter::once((f.session.clone().unwrap_or_default(), f.first_cause.line, f.outcome.line)).chain(
                f.repeats.iter().map(|r| (r.session.clone().unwrap_or_default(), r.first_cause.line, r.outcome.line)),
            )
        })
        .collect();
    assert_eq!(
        attempts,
        vec![
            ("31069300_2212357542".to_string(), 2003, 2053),
            ("31069302_569330756".to_string(), 2400, 2449),
            ("31069479_1726553672".to_string(), 4324, 4373),
            ("31069879_2159257785".to_string(), 6354, 6413),
            ("31069879_3601580260".to_string(), 6435, 6484),
            ("31070080_2877920892".to_string(), 7544, 7593),
            ("31070742_3349332598".to_string(), 9176, 9225),
            ("31070885_1425917106".to_string(), 10310, 10359),
            ("31071291_2015660064".to_string(), 12180, 12229),
            ("31069309_507941118".to_string(), 3047, 3096),
        ]
    );
    assert_eq!(
        failures.len(),
        2,
        "one failure per package: {:#?}",
        failures.iter().map(|f| &f.title).collect::<Vec<_>>()
    );
    assert_eq!(failures[0].attempts(), 9);
    assert!(
        failures[0].title.ends_with("(9 attempts, 2023-11-11 11:32:45 → 2023-11-21 09:03:51)"),
        "{}",
        failures[0].title
    );
    for f in &failures {
        let code = f.code.as_ref().expect("code");
        assert_eq!(code.hex, "0x8024402C");
        assert_eq!(code.name.as_deref(), Some("WU_E_PT_WINHTTP_NAME_NOT_RESOLVED"));
        assert!(f.first_cause.text.contains("DLWD:WU search failed [HRESULT = 0x8024402c"), "{}", f.first_cause.text);
        assert!(f.repeats.iter().all(|r| r.first_cause.text.contains("DLWD:WU search failed [HRESULT = 0x8024402c")));
        assert_eq!(f.kb, None, "KB777778 is the FOD placeholder identifier, not an update");
        assert_eq!(f.phase.as_deref(), Some("CBS Other (Absent → Absent)"));
    }
    assert_eq!(
        failures[0].package.as_deref(),
        Some("Microsoft-Windows-LanguageFeatures-Basic-fa-ir-Package~31bf3856ad364e35~amd64~~10.0.19041.1")
    );
    assert_eq!(failures[0].client.as_deref(), Some("FodHelper(LanguageFeaturesOnDemand)"));
    // The second attempt keeps its own records, times and session.
    let second = &failures[0].repeats[0];
    assert_eq!(
        second.records.iter().map(|e| e.line).collect::<Vec<_>>(),
        vec![
            2401, 2403, 2404, 2405, 2417, 2418, 2420, 2421, 2423, 2424, 2425, 2426, 2427, 2428, 2429, 2445, 2446, 2448,
            2450
        ]
    );
    assert_eq!(local(second.local_time), "2023-11-11 11:43:32");
    assert_eq!(local(second.utc_time), "2023-11-11 08:13:32", "Iran Standard Time, +03:30, from line 904 on");
    assert_eq!(
        failures[1].package.as_deref(),
        Some("Microsoft-OneCore-Graphics-Tools-Package~31bf3856ad364e35~amd64~~10.0.19041.1")
    );
    assert_eq!(failures[1].client.as_deref(), Some("DISM Package Manager Provider"));
    assert!(failures[1].repeats.is_empty());
    // The machine moved from -08:00 to +03:30; both stretches are recognised.
    let offsets: Vec<(u64, i64)> =
        analysis.cbs.logs[0].offsets.iter().map(|o| (o.from_line, o.offset_seconds)).collect();
    assert_eq!(offsets, vec![(8, -8 * 3600), (904, 3 * 3600 + 1800)]);
    // The language-list lookup at 1956 and the access check at 1719 end no operation.
    assert!(failures.iter().all(|f| f.first_cause.line != 1956 && f.first_cause.line != 1719));
    assert_eq!(analysis.verdict.exit_code, 1);
}

/// romi1996: DISM RestoreHealth finds 9 corrupt payload files and repairs all 9; the run ends S_OK.
#[test]
fn romi1996_nine_corruptions_repaired_is_not_a_failure() {
    let Some(path) = fixture("cbs/romi1996_1903_CBS_csi_payload_corrupt_fixed.log") else {
        return;
    };
    let analysis = analyze(&path);
    assert!(failed(&analysis).is_empty());
    assert_eq!(analysis.findings.len(), 1);
    let repair = &analysis.findings[0];
    assert_eq!(repair.verdict, Verdict::Repaired);
    assert_eq!(repair.title, "Component store corruption found and repaired: 9 detected, 9 repaired");
    // The store check found the damage file by file: the first hash mismatch is the first record of the run, and
    // each file's `Unable to repair payload file` line (no good backup) follows its hash line.
    assert_eq!(repair.first_cause.line, 2944, "Hashes for file member 'MSFT_MpComputerStatus.cdxml' do not match");
    assert_eq!(repair.outcome.line, 3356, "Total Repaired Corruption: 9");
    assert_eq!(repair.items.len(), 9);
    assert!(repair.items.iter().all(|i| {
        i.starts_with("CSI Payload Corrupt: amd64_windows-defender-management-powershell_") && i.ends_with("(fixed)")
    }));
    assert!(repair.items[8].contains("Defender.psd1"));
    let lines: Vec<u64> = repair.cascade.iter().map(|e| e.line).collect();
    let hash_and_payload: Vec<u64> =
        (0..9).flat_map(|n| [2944 + 4 * n, 2947 + 4 * n]).filter(|&line| line != 2944).collect();
    let expected: Vec<u64> = hash_and_payload
        .into_iter()
        .chain([2981, 3336, 3337, 3338, 3339, 3340, 3341, 3342, 3343, 3344, 3348, 3350, 3356])
        .collect();
    assert_eq!(lines, expected);
    assert_eq!(analysis.verdict.exit_code, 0);
}

/// HowardZHY: Dism++ resolved pending operations at boot; KB5000736 completed startup processing.
#[test]
fn howardzhy_boot_time_resolve_pending_is_recognised_and_succeeded() {
    let Some(path) = fixture("cbs/HowardZHY_19041_CBS_dismpp_resolve_pending.log") else {
        return;
    };
    let analysis = analyze(&path);
    assert!(failed(&analysis).is_empty());
    let startup: Vec<_> = analysis.observations.iter().filter(|o| o.kind == "startup-processing").collect();
    assert_eq!(startup.len(), 1);
    let s = &startup[0].summary;
    assert!(s.contains("CbsExecuteStateResolvePending"), "{s}");
    assert!(s.contains("pending.xml processed"), "{s}");
    assert!(s.contains("KB5000736 → Installed"), "{s}");
    assert!(s.ends_with("result 0x00000000 S_OK"), "{s}");
    let lines: Vec<u64> = startup[0].evidence.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![31, 88, 115, 122]);
    assert_eq!(analysis.cbs.session_counts.get("Dism++ Core"), Some(&1));
    assert_eq!(analysis.cbs.logs[0].offsets[0].offset_seconds, 8 * 3600);
}

/// loghub: Windows 7 dialect (client names end with a period, no BOM, no final newline).
#[test]
fn loghub_windows7_dialect_sessions_and_failed_log_rotation() {
    let Some(path) = fixture("cbs/loghub_win7_CBS_Windows_2k.log") else {
        return;
    };
    let analysis = analyze(&path);
    assert!(failed(&analysis).is_empty(), "448 CBS_E_MANIFEST_INVALID_ITEM enumeration lines are not failures");
    let log = &analysis.cbs.logs[0];
    assert_eq!(log.lines, 2000);
    assert_eq!(log.encoding.as_deref(), Some("UTF-8 (no BOM)"));
    assert_eq!(analysis.cbs.session_counts.get("WindowsUpdateAgent"), Some(&608));
    assert_eq!(analysis.cbs.session_counts.get("SPP"), Some(&1));
    let rotations: Vec<u64> =
        analysis.observations.iter().filter(|o| o.kind == "rotation-failure").map(|o| o.evidence[0].line).collect();
    assert_eq!(rotations, vec![936, 1103]);
    assert_eq!(log.offsets[0].offset_seconds, 8 * 3600);
}

/// asrana0002: 15 MB Windows Server 2022 CBS.log; 0x800f080c / 0x83750009 are enumeration noise.
#[test]
fn asrana0002_server_2022_large_log_has_no_failed_operation() {
    let Some(path) = fixture("cbs/asrana0002_ws2022_20348_CBS.log") else {
        return;
    };
    let analysis = analyze(&path);
    assert!(failed(&analysis).is_empty());
    let log = &analysis.cbs.logs[0];
    assert_eq!(log.lines, 84077);
    assert_eq!(
        (local(log.first.map(|f| f.local)), local(log.last.map(|l| l.local))),
        ("2025-03-09 16:10:02".into(), "2025-03-17 08:36:39".into())
    );
    let counts = &analysis.cbs.session_counts;
    assert_eq!(counts.values().sum::<usize>(), 1060);
    assert_eq!(counts.get("WinMgmt"), Some(&944));
    assert_eq!(counts.get("WindowsUpdateAgent"), Some(&80));
    assert_eq!(counts.get("DISM Package Manager Provider"), Some(&32));
    assert_eq!(analysis.cbs.history.missing_pieces, vec!["CbsPersist_20250309161002.cab".to_string()]);
    assert_eq!(analysis.verdict.exit_code, 0);
}

/// Jrose152 (negative control): SFC repaired the wallpaper img0.jpg; nothing failed.
#[test]
fn jrose152_clean_sfc_run_is_no_failure() {
    let Some(path) = fixture("cbs/Jrose152_19041_CBS_sfc_repaired.log") else {
        return;
    };
    let analysis = analyze(&path);
    assert!(analysis.findings.is_empty(), "{:#?}", analysis.findings);
    let sfc: Vec<_> = analysis.observations.iter().filter(|o| o.kind == "sfc-repair").collect();
    assert_eq!(sfc.len(), 1);
    assert!(sfc[0].summary.starts_with("SFC repaired 1 file(s)"), "{}", sfc[0].summary);
    assert!(sfc[0].summary.contains("img0.jpg"));
    assert_eq!(analysis.verdict.exit_code, 0);
}

/// The other real CBS logs hold no failed operation (read by hand); none may produce a failure verdict.
#[test]
fn quiet_and_healthy_real_logs_produce_no_failure_verdict() {
    for name in [
        "SolsticeProjekt_19041_CBS_cbstask_acr_sfc.log",
        "adrianosalves_26100_CBS_sfc_repaired.log",
        "doomscourge_19041_CBS_restorehealth_no_corruption.log",
        "eyeofparadox_26100_CBS_setup_wmic_fod_uninstall.log",
        "glsureshkumar_26100_CBS_sfc.log",
        "hofcake_win81_CBS_2015.log",
        "jessestew_22621_CBS_sfc_pnp_repaired.log",
    ] {
        let Some(path) = fixture(&format!("cbs/{name}")) else {
            return;
        };
        let analysis = analyze(&path);
        assert!(failed(&analysis).is_empty(), "{name}: {:#?}", failed(&analysis));
        assert_eq!(analysis.verdict.exit_code, 0, "{name}");
    }
}
