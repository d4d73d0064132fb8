//! The grammar of one CBS.log line: `YYYY-MM-DD HH:MM:SS, Level   [0xNNNNNN] Component  message`, and what
//! the message means for servicing (session start/end, results, failures, corruption, repair, reboot).

use crate::hresult::{FoundCode, primary_code};
use crate::text::{after, find, has};

pub use crate::record::CbsEventKind;
pub use crate::text::prefix::Level;

/// One classified line.
#[derive(Debug, Clone)]
pub struct Classified {
    pub kind: CbsEventKind,
    pub code: Option<FoundCode>,
}

fn session_id(text: &str) -> Option<String> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let id: String = text[start..].chars().take_while(|c| c.is_ascii_digit() || *c == '_').collect();
    id.contains('_').then_some(id)
}

fn field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let value = after(text, name)?.trim_start();
    Some(value.split([',', '[']).next().unwrap_or(value).trim())
}

fn is_failure_code(code: &Option<FoundCode>) -> bool {
    code.as_ref().is_some_and(|c| patchdx_codes::is_failure(c.value))
}

/// Known-routine failure lines: they do not mean an operation failed.
fn is_benign(component: &str, message: &str, code: &Option<FoundCode>) -> bool {
    if component == "SQM" || message.starts_with("SQM:") || message.starts_with("Not able to ") {
        return true;
    }
    let value = code.as_ref().map_or(0, |c| c.value);
    matches!(value, 0x8007_0002 | 0x8007_0003 | 0x8007_0490 | 0x8007_012F | 0x8007_0216)
        || (value == 0x800F_0805 && (has!(message, "OpenPackage") || has!(message, "open package")))
        || (value == 0x800F_080C && has!(message, "Failed to get internal update"))
        || (value == 0x8375_0009 && has!(message, "onesettings"))
        || has!(message, "Failed to query registry value")
}

/// Classifies a line (prefix already split). Returns `None` for lines of no diagnostic value.
pub fn classify(level: Level, component: &str, message: &str) -> Option<Classified> {
    let m = message;
    // The code is read (a regex over the line) only once the line is known to matter: most lines the scan
    // picks out turn out to be of no diagnostic value.
    let mut code_read = None;
    let kind = if m.starts_with("TI: --- Initializing Trusted Installer")
        || m.starts_with("Starting TrustedInstaller initialization")
    {
        CbsEventKind::TrustedInstallerInit
    } else if let Some(rest) = m.strip_prefix("Loaded Servicing Stack v") {
        CbsEventKind::ServicingStackLoaded { version: rest.split_whitespace().next().unwrap_or("").to_string() }
    } else if let Some(rest) = m.strip_prefix("TI: Last boot time: ") {
        CbsEventKind::LastBootTime { boot: rest.trim().to_string() }
    } else if m.starts_with("Session:") && has!(m, " initialized by client ") {
        let client = after(m, " initialized by client ").unwrap_or("");
        let client = find!(client, ", external").map_or(client, |end| &client[..end]).trim().trim_end_matches('.');
        CbsEventKind::SessionStart { session: session_id(m)?, client: client.to_string() }
    } else if m.starts_with("Exec: Processing started.") {
        CbsEventKind::ExecStarted {
            session: field(m, "Session:").and_then(session_id)?,
            client: field(m, "Client:").unwrap_or("").to_string(),
        }
    } else if m.starts_with("Exec: Session processing started.") {
        let client = m.split("Session(").nth(1).and_then(|s| s.split(')').next()).unwrap_or("");
        CbsEventKind::ExecStarted { session: session_id(after(m, "):").unwrap_or(""))?, client: client.to_string() }
    } else if m.starts_with("Exec: Processing complete") {
        let session = field(m, "Session:").or_else(|| after(m, "):")).and_then(session_id)?;
        CbsEventKind::ExecComplete { session }
    } else if (m.starts_with("Session:") || m.starts_with("Asynchronous Session:")) && has!(m, " finalized.") {
        let reboot = after(m, "Reboot required: ").map(|r| r.starts_with("yes"));
        CbsEventKind::SessionFinalized {
            session: session_id(m)?,
            reboot_required: reboot,
            asynchronous: m.starts_with("Asynchronous"),
        }
    } else if let Some(state) = m.strip_prefix("Startup: current ExecuteState is ") {
        CbsEventKind::StartupState { state: state.trim().to_string() }
    } else if m.starts_with("Startup: Processing complete") || m.starts_with("Startup processing completed") {
        CbsEventKind::StartupComplete
    } else if m.starts_with("Startup: Package:") && has!(m, "completed startup processing") {
        CbsEventKind::StartupPackage { new_state: field(m, "new state:").unwrap_or("").to_string() }
    } else if has!(m, "pending.xml") && !has!(m, "WER report") {
        CbsEventKind::PendingXml
    } else if m.starts_with("WER: Generating failure report") {
        CbsEventKind::WerReport {
            failure_source: field(m, "failure source:").unwrap_or("").to_string(),
            start_state: field(m, "start state:").unwrap_or("").to_string(),
            target_state: field(m, "target state:").unwrap_or("").to_string(),
            client: field(m, "client id:").unwrap_or("").to_string(),
        }
    } else if m.starts_with("(p)") {
        let cells: Vec<&str> = m.split('\t').map(str::trim).filter(|c| !c.is_empty()).collect();
        let category = cells.get(1).copied().unwrap_or("").to_string();
        let fixed = cells.contains(&"(Fixed)");
        let item = cells.last().copied().unwrap_or("").to_string();
        CbsEventKind::CorruptionRow { category, fixed, item }
    } else if let Some(kind) = sfc_repair(m) {
        kind
    } else if let Some(n) = m.strip_prefix("Total Detected Corruption:") {
        CbsEventKind::SummaryDetected { count: n.trim().parse().ok()? }
    } else if let Some(n) = m.strip_prefix("Total Repaired Corruption:") {
        CbsEventKind::SummaryRepaired { count: n.trim().parse().ok()? }
    } else if m.starts_with("Operation result:") {
        CbsEventKind::OperationResult
    } else if has!(m, "tore corrupt")
        && (has!(m, "Mark store corruption flag")
            || has!(m, "mark store corrupt")
            || has!(m, "Store corruption, manifest missing"))
    {
        CbsEventKind::StoreMarkedCorrupt
    } else if component == "CSI" && has!(m, "(F)") {
        CbsEventKind::CsiFatal
    } else if has!(m, "Inner Error Message from AI") {
        CbsEventKind::InstallerError
    } else if let Some(path) = m.strip_prefix("Archived backup log: ") {
        let name = path.trim().trim_end_matches('.').rsplit(['\\', '/']).next().unwrap_or("").to_string();
        CbsEventKind::BackupArchived { name }
    } else if m.starts_with("Failed to create backup log cab") {
        CbsEventKind::BackupCabFailed
    } else if m.starts_with("Failed to perform operation")
        || m.starts_with("Startup: Failed to process advanced operation queue")
    {
        CbsEventKind::FailedOperation
    } else {
        let code = primary_code(m);
        if !(is_failure_code(&code) || (level == Level::Error && (has!(m, "Failed") || has!(m, "failed")))) {
            return None;
        }
        let kind = if is_benign(component, m, &code) { CbsEventKind::Benign } else { CbsEventKind::Failure };
        code_read = Some(code);
        kind
    };
    Some(Classified { kind, code: code_read.unwrap_or_else(|| primary_code(m)) })
}

/// SFC's `[SR]` repair lines. Most lines the scan picks are none of these: one search for `[SR] ` rules them
/// all out before the four longer ones.
fn sfc_repair(m: &str) -> Option<CbsEventKind> {
    if !has!(m, "[SR] ") {
        return None;
    }
    if has!(m, "[SR] Cannot repair member file") {
        Some(CbsEventKind::SfcCannotRepair { file: sr_file(m) })
    } else if has!(m, "[SR] Repairing file") || has!(m, "[SR] Repaired file") {
        Some(CbsEventKind::SfcRepaired { file: sr_file(m) })
    } else if has!(m, "[SR] Verify and Repair Transaction completed") {
        Some(CbsEventKind::SfcTransactionComplete { all_repaired: has!(m, "successfully repaired") })
    } else {
        None
    }
}

fn sr_file(message: &str) -> String {
    let after_marker = message.split("file").nth(1).unwrap_or("").trim();
    after_marker.split(" from ").next().unwrap_or(after_marker).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_shapes_of_every_windows_generation() {
        for (message, client) in [
            ("Session: 30546173_4261722401 initialized by client WindowsUpdateAgent.", "WindowsUpdateAgent"),
            (
                "Session: 30966576_3062129724 initialized by client Dism++ Core, external staging directory: (null), external registry directory: (null)",
                "Dism++ Core",
            ),
            ("Session: 31176359_1 initialized by client CbsTask", "CbsTask"),
        ] {
            let c = classify(Level::Info, "CBS", message).expect("classified");
            assert!(
                matches!(c.kind, CbsEventKind::SessionStart { client: ref got, .. } if got == client),
                "{message}: {:?}",
                c.kind
            );
        }
    }

    #[test]
    fn routine_failures_are_benign() {
        let c = classify(
            Level::Info,
            "CBS",
            "SQM: Failed to start upload with file pattern: x, flags: 0x2 [HRESULT = 0x80004005 - E_FAIL]",
        )
        .expect("line");
        assert_eq!(c.kind, CbsEventKind::Benign);
        let c = classify(
            Level::Info,
            "CBS",
            "Failed to get next element [HRESULT = 0x800f080d - CBS_E_MANIFEST_INVALID_ITEM]",
        )
        .expect("line");
        assert_eq!(c.kind, CbsEventKind::Failure);
    }
}
