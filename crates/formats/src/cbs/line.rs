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

/// What one group of tests makes of a line: `None` when no test of the group matches (the next group is
/// tried), `Some(None)` when one matches but the line lacks what its kind needs (a session id, a count): such a
/// line is of no diagnostic value, and no later, looser test gets to call it something else.
type GroupVerdict = Option<Option<CbsEventKind>>;

/// Classifies a line (prefix already split). Returns `None` for lines of no diagnostic value.
pub fn classify(level: Level, component: &str, message: &str) -> Option<Classified> {
    match named_kind(component, message) {
        // The code is read (a regex over the line) only once the line is known to matter: most lines the scan
        // picks out turn out to be of no diagnostic value.
        Some(kind) => Some(Classified { kind: kind?, code: primary_code(message) }),
        None => failure_by_code(level, component, message),
    }
}

/// The kinds a line's own wording names. The first test that matches decides and the tests overlap (a
/// `Failed to perform operation` line also carries the failure code the last resort goes by; a line of CSI's
/// may both be fatal and flag the store corrupt), so the groups run in this order, each with its tests in order.
fn named_kind(component: &str, m: &str) -> GroupVerdict {
    installer_start(m)
        .map(Some)
        .or_else(|| session_bookkeeping(m))
        .or_else(|| startup_processing(m).map(Some))
        .or_else(|| wer_report(m).map(Some))
        .or_else(|| corruption_and_repair(m))
        .or_else(|| failure_and_rotation_markers(component, m).map(Some))
}

/// TrustedInstaller starting: the servicing stack it loads and the boot it follows.
fn installer_start(m: &str) -> Option<CbsEventKind> {
    if m.starts_with("TI: --- Initializing Trusted Installer")
        || m.starts_with("Starting TrustedInstaller initialization")
    {
        Some(CbsEventKind::TrustedInstallerInit)
    } else if let Some(rest) = m.strip_prefix("Loaded Servicing Stack v") {
        Some(CbsEventKind::ServicingStackLoaded { version: rest.split_whitespace().next().unwrap_or("").to_string() })
    } else {
        m.strip_prefix("TI: Last boot time: ").map(|rest| CbsEventKind::LastBootTime { boot: rest.trim().to_string() })
    }
}

/// The start, execution and end of a servicing session. Each names its session; a line whose session id
/// cannot be read is dropped.
fn session_bookkeeping(m: &str) -> GroupVerdict {
    if m.starts_with("Session:") && has!(m, " initialized by client ") {
        let client = after(m, " initialized by client ").unwrap_or("");
        let client = find!(client, ", external").map_or(client, |end| &client[..end]).trim().trim_end_matches('.');
        Some(session_id(m).map(|session| CbsEventKind::SessionStart { session, client: client.to_string() }))
    } else if m.starts_with("Exec: Processing started.") {
        let session = field(m, "Session:").and_then(session_id);
        Some(session.map(|session| CbsEventKind::ExecStarted {
            session,
            client: field(m, "Client:").unwrap_or("").to_string(),
        }))
    } else if m.starts_with("Exec: Session processing started.") {
        let client = m.split("Session(").nth(1).and_then(|s| s.split(')').next()).unwrap_or("");
        let session = session_id(after(m, "):").unwrap_or(""));
        Some(session.map(|session| CbsEventKind::ExecStarted { session, client: client.to_string() }))
    } else if m.starts_with("Exec: Processing complete") {
        let session = field(m, "Session:").or_else(|| after(m, "):")).and_then(session_id);
        Some(session.map(|session| CbsEventKind::ExecComplete { session }))
    } else if (m.starts_with("Session:") || m.starts_with("Asynchronous Session:")) && has!(m, " finalized.") {
        let reboot_required = after(m, "Reboot required: ").map(|r| r.starts_with("yes"));
        let asynchronous = m.starts_with("Asynchronous");
        Some(session_id(m).map(|session| CbsEventKind::SessionFinalized { session, reboot_required, asynchronous }))
    } else {
        None
    }
}

/// Boot-time (startup) processing, and pending.xml, the queue of operations it carries out.
fn startup_processing(m: &str) -> Option<CbsEventKind> {
    if let Some(state) = m.strip_prefix("Startup: current ExecuteState is ") {
        Some(CbsEventKind::StartupState { state: state.trim().to_string() })
    } else if m.starts_with("Startup: Processing complete") || m.starts_with("Startup processing completed") {
        Some(CbsEventKind::StartupComplete)
    } else if m.starts_with("Startup: Package:") && has!(m, "completed startup processing") {
        Some(CbsEventKind::StartupPackage { new_state: field(m, "new state:").unwrap_or("").to_string() })
    } else if has!(m, "pending.xml") && !has!(m, "WER report") {
        Some(CbsEventKind::PendingXml)
    } else {
        None
    }
}

/// The failure report CBS files with Windows Error Reporting: where the operation failed and between which
/// states.
fn wer_report(m: &str) -> Option<CbsEventKind> {
    m.starts_with("WER: Generating failure report").then(|| CbsEventKind::WerReport {
        failure_source: field(m, "failure source:").unwrap_or("").to_string(),
        start_state: field(m, "start state:").unwrap_or("").to_string(),
        target_state: field(m, "target state:").unwrap_or("").to_string(),
        client: field(m, "client id:").unwrap_or("").to_string(),
    })
}

/// Damage found and repaired: DISM's corruption rows and summary counts, SFC's `[SR]` lines, the store flagged
/// corrupt. A summary line without a readable count is dropped.
fn corruption_and_repair(m: &str) -> GroupVerdict {
    if m.starts_with("(p)") {
        Some(Some(corruption_row(m)))
    } else if let Some(kind) = sfc_repair(m) {
        Some(Some(kind))
    } else if let Some(n) = m.strip_prefix("Total Detected Corruption:") {
        Some(n.trim().parse().ok().map(|count| CbsEventKind::SummaryDetected { count }))
    } else if let Some(n) = m.strip_prefix("Total Repaired Corruption:") {
        Some(n.trim().parse().ok().map(|count| CbsEventKind::SummaryRepaired { count }))
    } else if m.starts_with("Operation result:") {
        Some(Some(CbsEventKind::OperationResult))
    } else if has!(m, "tore corrupt")
        && (has!(m, "Mark store corruption flag")
            || has!(m, "mark store corrupt")
            || has!(m, "Store corruption, manifest missing"))
    {
        Some(Some(CbsEventKind::StoreMarkedCorrupt))
    } else {
        None
    }
}

/// A `(p)` row of DISM's corruption table: tab-separated cells, the category second and the item last.
fn corruption_row(m: &str) -> CbsEventKind {
    let cells: Vec<&str> = m.split('\t').map(str::trim).filter(|c| !c.is_empty()).collect();
    let category = cells.get(1).copied().unwrap_or("").to_string();
    let fixed = cells.contains(&"(Fixed)");
    let item = cells.last().copied().unwrap_or("").to_string();
    CbsEventKind::CorruptionRow { category, fixed, item }
}

/// Records that name a failure outright (CSI's fatal errors, the installer's inner error, a failed operation),
/// and CBS rotating its own log.
fn failure_and_rotation_markers(component: &str, m: &str) -> Option<CbsEventKind> {
    if component == "CSI" && has!(m, "(F)") {
        Some(CbsEventKind::CsiFatal)
    } else if has!(m, "Inner Error Message from AI") {
        Some(CbsEventKind::InstallerError)
    } else if let Some(path) = m.strip_prefix("Archived backup log: ") {
        let name = path.trim().trim_end_matches('.').rsplit(['\\', '/']).next().unwrap_or("").to_string();
        Some(CbsEventKind::BackupArchived { name })
    } else if m.starts_with("Failed to create backup log cab") {
        Some(CbsEventKind::BackupCabFailed)
    } else if m.starts_with("Failed to perform operation")
        || m.starts_with("Startup: Failed to process advanced operation queue")
    {
        Some(CbsEventKind::FailedOperation)
    } else {
        None
    }
}

/// A line no wording names matters only as a failure: it carries a failure code, or says it failed at Error
/// level. Routine failures are kept, as benign, so that they are counted but explain nothing.
fn failure_by_code(level: Level, component: &str, m: &str) -> Option<Classified> {
    let code = primary_code(m);
    if !(is_failure_code(&code) || (level == Level::Error && (has!(m, "Failed") || has!(m, "failed")))) {
        return None;
    }
    let kind = if is_benign(component, m, &code) { CbsEventKind::Benign } else { CbsEventKind::Failure };
    Some(Classified { kind, code })
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
