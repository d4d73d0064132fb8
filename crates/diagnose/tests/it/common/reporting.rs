//! ReportingEvents.log records written in the exact shape Windows writes them, for tests of one class of
//! failure at a time.

use super::analyze;
use patchdx_diagnose::Analysis;

/// The update id of the records written by [`record`].
pub const UPDATE_ID: &str = "5B8E3C1A-4F1E-4A57-9D0E-2C4A7F9B6E21";

/// One ReportingEvents.log record in the exact shape Windows writes (tab-separated, `+HHMM` time).
pub fn record(time: &str, event: &str, code: &str, result: &str, text: &str) -> String {
    record_of(UPDATE_ID, time, event, code, result, text)
}

/// [`record`] of the update `update_id`.
pub fn record_of(update_id: &str, time: &str, event: &str, code: &str, result: &str, text: &str) -> String {
    format!(
        "{{9D6CEFC4-8C93-42F2-D982-F3F9AAD63977}}\t{time}:417+0800\t1\t{event}\t101\t{{{update_id}}}\t201\t{code}\tAutomaticUpdates\t{result}\tContent Install\t{text}\tGxloxZMaYZjWxXsg.1.0.0.3.0\r\n"
    )
}

/// Windows Update's "Installation Failure" record of `title` (update `update_id`) with `code` (hex digits).
pub fn install_failed(update_id: &str, time: &str, code: &str, title: &str) -> String {
    let text =
        format!("Installation Failure: Windows failed to install the following update with error 0x{code}: {title}.");
    record_of(update_id, time, "182 [AGENT_INSTALLING_FAILED]", code, "Failure", &text)
}

/// Windows Update's "Installation Successful" record of `title` (update `update_id`).
pub fn install_succeeded(update_id: &str, time: &str, title: &str) -> String {
    let text = format!("Installation Successful: Windows successfully installed the following update: {title}");
    record_of(update_id, time, "183 [AGENT_INSTALLING_SUCCEEDED]", "0", "Success", &text)
}

/// ReportingEvents.log as Windows writes it: UTF-16LE with a BOM.
pub fn analyze_reporting(records: &[String]) -> Analysis {
    let dir = tempfile::tempdir().expect("scratch");
    let path = dir.path().join("ReportingEvents.log");
    let text: String = records.concat();
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(&path, bytes).expect("write");
    analyze(&path)
}
