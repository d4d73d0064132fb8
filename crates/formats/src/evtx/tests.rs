//! Record shapes no fixture has (WER 1001, WUSA, WUClient failures), written as the `evtx` crate renders
//! them: unnamed `<Data>` as `"Data": {"#text": [...]}`, named data as plain keys.

use super::fields::from_json;
use super::map::{code_any, code_hex, to_event};
use crate::event::{Action, Level};
use serde_json::json;

fn record(provider: &str, id: u32, channel: &str, data: serde_json::Value) -> serde_json::Value {
    json!({"Event": {"System": {
        "Provider": {"#attributes": {"Name": provider}},
        "EventID": {"#attributes": {"Qualifiers": 0}, "#text": id},
        "Level": 4, "Channel": channel},
        "EventData": data}})
}

fn wer(params: &[&str]) -> serde_json::Value {
    let mut data = vec!["", "0"];
    data.extend_from_slice(params);
    record("Windows Error Reporting", 1001, "Application", json!({"Data": {"#text": data}}))
}

#[test]
fn wer_cbs_package_servicing_failure_is_decoded_by_position() {
    // The 1001 posted in Microsoft Q&A 382259, with the five leading fields before P1.
    let value = wer(&[
        "CbsPackageServicingFailure2",
        "Not available",
        "0",
        "10.0.17763.1690",
        "Package_for_RollupFix",
        "17763.1697.1.9",
        "amd64",
        "unknown",
        "80073701",
        "Resolve",
        "Absent",
        "Installed",
        "WindowsUpdateAgent",
        "",
    ]);
    let event = to_event(&from_json(&value), "Application.evtx").expect("a failure report");
    assert_eq!(event.action, Action::FailureReport);
    assert_eq!(event.level, Level::Error);
    assert_eq!(event.code, Some(0x8007_3701));
    assert_eq!(event.phase.as_deref(), Some("Resolve"));
    assert_eq!(event.client.as_deref(), Some("WindowsUpdateAgent"));
    assert_eq!(event.package.as_deref(), Some("Package_for_RollupFix~17763.1697.1.9"));
    assert_eq!(event.kb, None);
}

#[test]
fn wer_cbs_failure_names_the_kb_when_the_package_does() {
    let value = wer(&[
        "CbsPackageServicingFailure2",
        "Not available",
        "0",
        "10.0.14393.3930",
        "Package_for_KB4577015",
        "10.0.1.3",
        "amd64",
        "unknown",
        "800f0922",
        "Execute",
        "Staged",
        "Installed",
        "UpdateAgentLCU",
    ]);
    let event = to_event(&from_json(&value), "Application.evtx").expect("a failure report");
    assert_eq!((event.kb.as_deref(), event.code), (Some("KB4577015"), Some(0x800f_0922)));
    assert_eq!(event.phase.as_deref(), Some("Execute"));
}

#[test]
fn wer_windows_update_failure3_is_decoded_by_position() {
    // The parameters of a real WerReportSubmit trace of such a report.
    let value = wer(&[
        "WindowsUpdateFailure3",
        "Not available",
        "0",
        "10.0.14393.0",
        "8024402c",
        "00000000-0000-0000-0000-000000000000",
        "Scan",
        "0",
        "0",
        "8024500b",
        "UpdateOrchestrator",
        "{9482F4B4-E343-43B6-B170-9A65BC822C77}",
        "0",
    ]);
    let event = to_event(&from_json(&value), "Application.evtx").expect("a failure report");
    assert_eq!(event.action, Action::FailureReport);
    assert_eq!(event.code, Some(0x8024_402c));
    assert_eq!(event.phase.as_deref(), Some("Scan"));
    assert_eq!(event.client.as_deref(), Some("UpdateOrchestrator"));
    assert_eq!(event.update_id, None, "an all-zero update id means no update");
    assert!(event.message.contains("extended error 0x8024500b"), "{}", event.message);
}

#[test]
fn other_wer_reports_are_ignored() {
    let value = wer(&["APPCRASH", "Not available", "0", "explorer.exe"]);
    assert!(to_event(&from_json(&value), "Application.evtx").is_none());
}

#[test]
fn wusa_failure_code_is_decimal() {
    let value = record(
        "Microsoft-Windows-WUSA",
        3,
        "Setup",
        json!({"UpdateTitle": "", "ErrorCode": 2147942402u32,
               "ErrorString": "The system cannot find the file specified.",
               "CommandLine": "C:\\Windows\\system32\\wusa.exe C:\\Windows\\Temp\\Windows6.1-KB3033929-x64.msu /quiet"}),
    );
    let event = to_event(&from_json(&value), "Setup.evtx").expect("an install failure");
    assert_eq!(event.action, Action::InstallFailed);
    assert_eq!(event.code, Some(0x8007_0002));
    assert_eq!(event.kb.as_deref(), Some("KB3033929"));
}

#[test]
fn update_client_failure_carries_its_code_and_kb() {
    let value = record(
        "Microsoft-Windows-WindowsUpdateClient",
        20,
        "System",
        json!({"errorCode": "0x80073712",
               "updateTitle": "2022-09 Cumulative Update for Windows Server 2019 (KB5017315)",
               "updateGuid": "{0bfc4bd9-9c0c-4bb0-8dc5-7b0c1e2c2d2a}", "updateRevisionNumber": 1}),
    );
    let event = to_event(&from_json(&value), "System.evtx").expect("an install failure");
    assert_eq!(event.action, Action::InstallFailed);
    assert_eq!(event.level, Level::Error);
    assert_eq!(event.code, Some(0x8007_3712));
    assert_eq!(event.kb.as_deref(), Some("KB5017315"));
    assert_eq!(event.update_id.as_deref(), Some("0bfc4bd9-9c0c-4bb0-8dc5-7b0c1e2c2d2a"));
}

#[test]
fn operational_scan_failure_carries_its_code() {
    let value = record(
        "Microsoft-Windows-WindowsUpdateClient",
        25,
        "Microsoft-Windows-WindowsUpdateClient/Operational",
        json!({"errorCode": "0x8024402c"}),
    );
    let event = to_event(&from_json(&value), "WU.evtx").expect("a scan failure");
    assert_eq!((event.action, event.code), (Action::ScanFailed, Some(0x8024_402c)));
}

#[test]
fn codes_are_read_in_every_spelling() {
    assert_eq!(code_any("0x800f0816"), Some(0x800f_0816));
    assert_eq!(code_any("2147942402"), Some(0x8007_0002));
    assert_eq!(code_any("-2146498538"), Some(0x800f_0816));
    assert_eq!(code_any("junk"), None);
    assert_eq!(code_hex("80073701"), Some(0x8007_3701));
    assert_eq!(code_hex("0x8024402C"), Some(0x8024_402c));
    assert_eq!(code_hex("123456789"), None);
}
