//! Inputs that hold several machines' logs: each machine is analysed apart, and one machine's success never
//! resolves another's failure; one machine's logs (a zone set after installation, an upgrade) stay one.

use crate::common::{analyze, failed, fixture, local, sample};
use patchdx_diagnose::Verdict;

#[test]
fn two_servers_of_one_build_in_the_same_hours_are_two_machines_and_srv02_success_does_not_resolve_srv01() {
    let analysis = analyze(&sample("machines/two-servers-same-hours"));
    let labels: Vec<&str> = analysis.machines.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(labels, ["SRV01/: build 17763, UTC+08:00", "SRV02/: build 17763, UTC+08:00"]);
    assert_eq!(analysis.machines[0].files, ["SRV01/CBS.log"]);
    assert_eq!(
        analysis.machines[1].apart_from,
        ["M1: two CBS logs covering the same hours with different lines (SRV02/CBS.log and SRV01/CBS.log)"]
    );
    let failures = failed(&analysis);
    assert_eq!(failures.len(), 1, "SRV02's KB5014805 install at 16:47 is another machine's: SRV01 stays failed");
    let f = failures[0];
    assert_eq!(
        (f.machine.as_deref(), f.kb.as_deref(), f.code.as_ref().map(|c| c.value)),
        (Some("M1"), Some("KB5014805"), Some(0x8007_3712))
    );
    assert!(f.resolution.is_none());
    assert_eq!(analysis.verdict.exit_code, 1);
    assert!(
        analysis.verdict.summary.starts_with(
            "2 machines in this input, analysed apart. M1 (SRV01/: build 17763, UTC+08:00): 1 failed servicing operation(s) diagnosed; first: KB5014805 failed with 0x80073712"
        ),
        "{}",
        analysis.verdict.summary
    );
    assert!(analysis.verdict.summary.ends_with("No failed servicing operation found on M2."));
    // Each machine has its own CBS history; the input as a whole has none.
    assert!(analysis.cbs.history.pieces.is_empty());
    let spans: Vec<String> = analysis
        .machines
        .iter()
        .map(|m| format!("{} → {}", local(m.cbs_history.first_local), local(m.cbs_history.last_local)))
        .collect();
    assert_eq!(spans, ["2022-09-09 15:57:40 → 2022-09-09 17:44:31", "2022-09-09 15:20:11 → 2022-09-09 17:54:41"]);
    assert!(analysis.attempts.iter().filter(|a| a.kb == "KB5014805").all(|a| a.machine.is_some()));
}

#[test]
fn an_upgrade_between_two_builds_is_one_machine_when_setup_logs_show_it_and_two_without_them() {
    let upgraded = sample("machines/upgrade-19045-to-22631");
    let analysis = analyze(&upgraded);
    assert!(analysis.machines.is_empty(), "Panther's setupact.log accounts for 19041 → 22621");
    assert_eq!(analysis.cbs.history.pieces.len(), 2);

    let dir = tempfile::tempdir().expect("scratch");
    let cbs = dir.path().join("Windows/Logs/CBS");
    std::fs::create_dir_all(&cbs).expect("folders");
    for name in ["CBS.log", "CbsPersist_20240301152213.log"] {
        std::fs::copy(upgraded.join("Windows/Logs/CBS").join(name), cbs.join(name)).expect("copy sample");
    }
    let apart = analyze(dir.path());
    let labels: Vec<&str> = apart.machines.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(labels, ["build 22621, UTC-05:00", "build 19041, UTC-05:00"]);
    assert_eq!(
        apart.machines[1].apart_from,
        [
            "M1: build 19041 and build 22621 (Windows/Logs/CBS/CbsPersist_20240301152213.log and Windows/Logs/CBS/CBS.log)"
        ]
    );
}

#[test]
fn a_zone_set_after_installation_keeps_one_machine() {
    let analysis = analyze(&sample("timeline/ist-0530-zone-changed"));
    assert!(analysis.machines.is_empty());
}

#[test]
fn event_logs_of_ten_hosts_are_ten_machines_each_with_its_own_findings() {
    let Some(dir) = fixture("evtx") else { return };
    let analysis = analyze(&dir);
    let labels: Vec<&str> = analysis.machines.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "DESKTOP-LEHA4OH",
            "37L4247F27-25",
            "WIN-2TO3V41EH3L",
            "EC2AMAZ-U1F32CD",
            "EC2AMAZ-GQ0HEKD",
            "WIN-C0E5KPB6P9R",
            "DESKTOP-29U0NPI",
            "WIN-AIRSIL7JFQV",
            "LAPTOP-BP7714TO",
            "グッドタイム訪問看護ステーション・柏",
        ]
    );
    // The host comes from the record that states it, the renamed machine's later names included.
    let hosts: Vec<String> = analysis.machines[1].hosts.iter().map(|h| format!("{}#{:?}", h.text, h.record)).collect();
    assert_eq!(hosts, ["37L4247F27-25#Some(1)", "PROACTIVE-PC#Some(493)"]);
    let kb4093137 = analysis.findings.iter().find(|f| f.kb.as_deref() == Some("KB4093137")).expect("KB4093137 finding");
    assert_eq!(
        (kb4093137.machine.as_deref(), kb4093137.code.as_ref().map(|c| c.value)),
        (Some("M1"), Some(0x800F_0816))
    );
    let phone = analysis
        .findings
        .iter()
        .find(|f| f.verdict == Verdict::Failed && f.code.as_ref().is_some_and(|c| c.value == 0x8007_3D02));
    assert_eq!(phone.and_then(|f| f.machine.as_deref()), Some("M9"));
    let m9 = &analysis.machines[8];
    assert_eq!((m9.verdict.failures, m9.verdict.resolved), (1, 6));
    assert_eq!(analysis.verdict.resolved, analysis.machines.iter().map(|m| m.verdict.resolved).sum::<usize>());
    assert!(
        analysis.verdict.summary.contains("No failed servicing operation found on M2, M3, M4, M5, M6, M7, M8, M10.")
    );
}

#[test]
fn cbs_logs_of_several_people_split_by_build_and_zone_and_one_machines_persist_cabs_stay_together() {
    let Some(dir) = fixture("cbs") else { return };
    let analysis = analyze(&dir);
    let with = |name: &str| analysis.machines.iter().position(|m| m.files.iter().any(|f| f.starts_with(name)));
    let matt = with("mattbalzan_26100_CbsPersist_20251214161635").expect("mattbalzan's pieces");
    assert_eq!(analysis.machines[matt].files.iter().filter(|f| f.starts_with("mattbalzan")).count(), 6);
    assert_eq!(with("mattbalzan_26100_CBS.log"), Some(matt));
    assert_eq!(with("pythoncharmers_win10-1809-17763_CbsPersist"), with("pythoncharmers_win10-1809-17763_CBS-FoD"),);
    let win81 = with("hofcake_win81").expect("hofcake");
    assert_eq!(analysis.machines[win81].files.len(), 1);
    assert_ne!(with("HowardZHY_19041"), with("EhsanHasani_19041"), "UTC+08:00 and UTC-08:00/+03:30 are two machines");
    assert_eq!(
        with("SecretLUL-WinMedic_26100_CbsPersist_cut_container_AI_0x800f0922"),
        with("SecretLUL-WinMedic_26100_CbsPersist_cut_container_AI_success")
    );
}
