//! The grammar of one CBS.log line: `YYYY-MM-DD HH:MM:SS, Level   [0xNNNNNN] Component  message`, and what
//! the message means for servicing (session start/end, results, failures, corruption, repair, reboot).

use super::sr;
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
        Some(kind) => {
            let kind = kind?;
            let code = own_code(&kind, message).or_else(|| primary_code(message));
            Some(Classified { kind, code })
        }
        None => failure_by_code(level, component, message),
    }
}

/// The code a kind of line states in its own field, which wins over any other code on the line (an error
/// summary row's `ErrorCode: 800706d9` over the `[gle=0x80004005]` CSI appends to every fatal line; an
/// installer's `Completion status: S_OK`).
fn own_code(kind: &CbsEventKind, m: &str) -> Option<FoundCode> {
    match kind {
        CbsEventKind::InstallerSummary { .. } => {
            let hex = after(m, "ErrorCode: ")?;
            let digits = hex.bytes().take_while(u8::is_ascii_hexdigit).count();
            let value = u32::from_str_radix(hex.get(..digits)?, 16).ok()?;
            Some(FoundCode { value, name_in_log: None })
        }
        CbsEventKind::InstallerStatus if has!(m, "S_OK") => Some(FoundCode { value: 0, name_in_log: None }),
        // `with HRESULT HRESULT_FROM_WIN32(1058)` (read by the code scanner) or `with HRESULT 800f0207 [Error,…]`,
        // a bare hex value the scanner does not take.
        CbsEventKind::InstallerFailed { .. } => {
            let value = after(m, "with HRESULT ")?;
            let digits = value.bytes().take_while(u8::is_ascii_hexdigit).count();
            let bare = digits == 8 && !value[digits..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
            bare.then(|| u32::from_str_radix(&value[..digits], 16).ok())
                .flatten()
                .map(|value| FoundCode { value, name_in_log: None })
        }
        // `Session: … finalized. Download error: 0x80240438 [Unknown Error], Reboot required: no [HRESULT =
        // 0x800f0906 - CBS_E_DOWNLOAD_FAILURE]`: the session's result is the bracketed HRESULT; the download
        // error before it is Windows Update's (kept in the kind).
        CbsEventKind::SessionFinalized { .. } => primary_code(&m[find!(m, "[HRESULT")?..]),
        _ => None,
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
        .or_else(|| advanced_installers(m))
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
        let download_error =
            after(m, "Download error: ").and_then(crate::text::parse_hex).filter(|&c| patchdx_codes::is_failure(c));
        Some(session_id(m).map(|session| CbsEventKind::SessionFinalized {
            session,
            reboot_required,
            asynchronous,
            download_error,
        }))
    } else {
        None
    }
}

/// Boot-time (startup) processing, and pending.xml, the queue of operations it carries out.
fn startup_processing(m: &str) -> Option<CbsEventKind> {
    if let Some(state) = m.strip_prefix("Startup: current ExecuteState is ") {
        Some(CbsEventKind::StartupState { state: state.trim().to_string() })
    } else if m.starts_with("Startup: Processing advanced operation queue") {
        Some(CbsEventKind::StartupQueue)
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

/// Advanced installers: CSI running one (its begin line, then its name and component on continuation lines; its
/// end line, then its completion status), the queue giving up on one, and the rows of CSI's error summary. A
/// continuation line that names nothing (`New component: (null)`) is dropped.
fn advanced_installers(m: &str) -> GroupVerdict {
    if let Some(rest) = m.strip_prefix("Installer name: ") {
        let name = rest.trim().trim_matches('\'').trim();
        return Some((!name.is_empty()).then(|| CbsEventKind::InstallerName { name: name.to_string() }));
    }
    if let Some(rest) = m.strip_prefix("New component: ") {
        // Windows 10 1809 quotes a strong name with its length: `[l:154 ml:155]'Name, Culture=…'`.
        let rest = rest.trim();
        let identity = match rest.strip_prefix("[l:").and_then(|r| r.split_once("]'")) {
            Some((_, quoted)) => quoted.trim_end_matches('\''),
            None => rest,
        };
        let named = !identity.is_empty() && identity != "(null)";
        return Some(named.then(|| CbsEventKind::InstallerComponent { identity: identity.to_string() }));
    }
    if m.starts_with("Completion status: ") {
        return Some(Some(CbsEventKind::InstallerStatus));
    }
    // One search rules out the lines below for nearly every line the scan picks.
    if !has!(m, "nstaller") {
        return None;
    }
    let sequence = || after(m, "(sequence ").and_then(|s| s.split(')').next()).and_then(|n| n.trim().parse().ok());
    if has!(m, "Begin executing advanced installer") {
        Some(sequence().map(|sequence| CbsEventKind::InstallerBegin { sequence }))
    } else if has!(m, "End executing advanced installer") {
        Some(sequence().map(|sequence| CbsEventKind::InstallerEnd { sequence }))
    } else if let Some(rest) = after(m, "Failed execution of queue item Installer: ") {
        let name = rest.split(" ({").next().unwrap_or(rest).split(" with HRESULT").next().unwrap_or(rest).trim();
        // An installer CSI does not rely on fails without consequence: no rollback, nothing to diagnose.
        let ignored = has!(m, "Failure will be ignored");
        Some((!name.is_empty() && !ignored).then(|| CbsEventKind::InstallerFailed { installer: name.to_string() }))
    } else if let Some(rest) = after(m, "(F) Installer: ") {
        let name = rest.split('\t').next().unwrap_or("").trim();
        let binary = after(rest, "Binary Name: ").map_or("", |b| b.split('\t').next().unwrap_or("").trim());
        Some(
            (!name.is_empty())
                .then(|| CbsEventKind::InstallerSummary { installer: name.to_string(), binary: binary.to_string() }),
        )
    } else {
        None
    }
}

/// Damage found and repaired: DISM's corruption rows and summary counts, SFC's `[SR]` lines, the store flagged
/// corrupt. A summary line without a readable count is dropped.
fn corruption_and_repair(m: &str) -> GroupVerdict {
    if m.starts_with("(p)") {
        Some(Some(corruption_row(m)))
    } else if let Some(kind) = sfc_repair(m) {
        Some(kind)
    } else if let Some(kind) = file_integrity(m) {
        Some(kind)
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
    let code = primary_code(m).or_else(|| decimal_status(m));
    if !(is_failure_code(&code) || (level == Level::Error && (has!(m, "Failed") || has!(m, "failed")))) {
        return None;
    }
    let kind = if is_benign(component, m, &code) {
        CbsEventKind::Benign
    } else if is_download(m) && is_failure_code(&code) {
        CbsEventKind::DownloadFailed
    } else {
        CbsEventKind::Failure
    };
    Some(Classified { kind, code })
}

/// Lines of CBS fetching payload (features on demand, language packs, repair content) from Windows Update: its
/// `DWLD:` lines (also spelt `DLWD:`), the Windows Update acquirer's, and `Failed to download … from WU`.
fn is_download(m: &str) -> bool {
    m.starts_with("DWLD") || m.starts_with("DLWD") || has!(m, "FCAcquirerWUClient") || has!(m, "Failed to download")
}

/// A status CSI writes as a negative decimal (`Failed to create container base layer … with status
/// -2147023143`), read as the HRESULT it is (0x800706D9); only failures count.
fn decimal_status(m: &str) -> Option<FoundCode> {
    let rest = after(m, "status -")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let magnitude: i64 = rest.get(..digits)?.parse().ok()?;
    let value = i32::try_from(-magnitude).ok()? as u32;
    patchdx_codes::is_failure(value).then_some(FoundCode { value, name_in_log: None })
}

/// SFC's `[SR]` repair lines. Most lines the scan picks are none of these: one search for `[SR] ` rules them
/// all out before the longer ones. A line whose file cannot be read is dropped.
fn sfc_repair(m: &str) -> GroupVerdict {
    if !has!(m, "[SR] ") {
        return None;
    }
    if has!(m, "[SR] Cannot repair member file") {
        Some(sr::cannot_repair_member(m).map(|file| CbsEventKind::SfcCannotRepair { file }))
    } else if has!(m, "[SR] Could not reproject corrupted file") {
        Some(sr::path_after(m, "corrupted file ").map(|path| CbsEventKind::SfcCouldNotReproject { path }))
    } else if has!(m, "[SR] Repairing file")
        || has!(m, "[SR] Repaired file")
        || has!(m, "[SR] Repairing corrupted file")
    {
        Some(sr::path_after(m, "file ").map(|file| CbsEventKind::SfcRepaired { file }))
    } else if has!(m, "[SR] Verify and Repair Transaction completed") {
        Some(Some(CbsEventKind::SfcTransactionComplete { all_repaired: has!(m, "successfully repaired") }))
    } else {
        None
    }
}

/// CSI's file checks outside the `[SR]` lines: a member whose hash does not match its manifest (SFC's verify
/// pass and DISM's store check both write it), and a corrupt payload with no backup to repair it from. A fatal
/// `(F)` payload line stays a fatal CSI record: failure chains read those.
fn file_integrity(m: &str) -> GroupVerdict {
    if has!(m, "Hashes for file member") {
        Some(sr::hash_member(m).map(|file| CbsEventKind::FileHashMismatch { file }))
    } else if has!(m, "Unable to repair payload file") && !has!(m, "(F)") {
        Some(sr::payload_member(m).map(|file| CbsEventKind::PayloadUnrepairable { file }))
    } else {
        None
    }
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

    /// SFC's and CSI's file lines name their file, in the spellings of Windows 7 to 11: member names, projected
    /// paths bare or quoted in two parts, `\SystemRoot\WinSxS` paths.
    #[test]
    fn file_integrity_lines_name_their_file() {
        let kind = |message| classify(Level::Info, "CSI", message).map(|c| c.kind);
        let file = |f: &str| f.to_string();
        assert_eq!(
            kind("0000012b Hashes for file member [l:23]'tls_branding_config.xml' do not match."),
            Some(CbsEventKind::FileHashMismatch { file: file("tls_branding_config.xml") })
        );
        assert_eq!(
            kind(
                r#"00000389 Hashes for file member \SystemRoot\WinSxS\amd64_prncacla.inf_31bf3856ad364e35_6.1.7600.16385_none_7e4bd0d7bbb97c2c\Amd64\CNBJ2530.DPB do not match actual file [l:36{18}]"Amd64\CNBJ2530.DPB" :"#
            ),
            Some(CbsEventKind::FileHashMismatch { file: file(r"Amd64\CNBJ2530.DPB") })
        );
        assert_eq!(
            kind(
                r"0000012c [SR] Could not reproject corrupted file \??\C:\Windows\System32\\tls_branding_config.xml; source file in store is also corrupted"
            ),
            Some(CbsEventKind::SfcCouldNotReproject { path: file(r"C:\Windows\System32\tls_branding_config.xml") })
        );
        assert_eq!(
            kind(
                r#"00003d56 [SR] Could not reproject corrupted file [l:23 ml:24]"\??\C:\WINDOWS\SysWOW64"[l:10]"opencl.dll"; source file in store is also corrupted"#
            ),
            Some(CbsEventKind::SfcCouldNotReproject { path: file(r"C:\WINDOWS\SysWOW64\opencl.dll") })
        );
        assert_eq!(
            kind(
                "0000012e [SR] Cannot repair member file [l:20]'LServer_PKConfig.xml' of Microsoft-Windows-TerminalServices-LicenseServer-LRWIZDLL, version 10.0.20348.2849, arch amd64, nonSxS, pkt {l:8 b:31bf3856ad364e35} in the store, hash mismatch"
            ),
            Some(CbsEventKind::SfcCannotRepair { file: file("LServer_PKConfig.xml") })
        );
        assert_eq!(
            kind(
                r#"000003b3 [SR] Repairing corrupted file [ml:520{260},l:46{23}]"\??\C:\Windows\System32"\[l:20{10}]"mshtml.dll" from store"#
            ),
            Some(CbsEventKind::SfcRepaired { file: file(r"C:\Windows\System32\mshtml.dll") })
        );
        assert_eq!(
            kind(
                "00000021 Warning: Unable to repair payload file ([l:27]'MSFT_MpComputerStatus.cdxml') for component ([l:96 ml:140]'amd64_windows-defender-management-powershell_31bf3856ad364e35_10.0.18362.1_none_b620cb061e8a941c') from backups directory with disposition (2). A backup file may not exist or may be corrupt."
            ),
            Some(CbsEventKind::PayloadUnrepairable { file: file("MSFT_MpComputerStatus.cdxml") })
        );
        // Lines about other things, and a line whose file cannot be read, are no file-integrity record.
        assert_eq!(kind("00000134 [SR] Verify complete"), None);
        assert_eq!(
            kind(
                "0000012f [SR] This component was referenced by [l:102]'Microsoft-Windows-TerminalServices-Licensing-Package~31bf3856ad364e35~amd64~~10.0.20348.3207.Licensing'"
            ),
            None
        );
        assert_eq!(kind("00000139 Hashes for file member do not match."), None);
    }

    /// A session end that states Windows Update's download result beside its own: the session's code is the
    /// bracketed HRESULT, the download's is kept apart; a session end without one keeps none.
    #[test]
    fn session_end_with_download_error_keeps_both_codes() {
        let m = "Session: 31218019_4279730216 finalized. Download error: 0x80240438 [Unknown Error], Reboot required: no [HRESULT = 0x800f0906 - CBS_E_DOWNLOAD_FAILURE]";
        let c = classify(Level::Info, "CBS", m).expect("line");
        assert_eq!(
            c.kind,
            CbsEventKind::SessionFinalized {
                session: "31218019_4279730216".to_string(),
                reboot_required: Some(false),
                asynchronous: false,
                download_error: Some(0x8024_0438),
            }
        );
        assert_eq!(c.code.map(|c| c.value), Some(0x800F_0906));
        let plain = "Session: 31069302_569330756 finalized. Reboot required: no [HRESULT = 0x8024402c - Unknown Error]";
        let c = classify(Level::Info, "CBS", plain).expect("line");
        assert!(matches!(c.kind, CbsEventKind::SessionFinalized { download_error: None, .. }), "{:?}", c.kind);
        assert_eq!(c.code.map(|c| c.value), Some(0x8024_402C));
    }

    /// CBS's own records of fetching payload from Windows Update (`DWLD`, its `DLWD` misspelling, the WU client
    /// acquirer) are download failures, whose code is Windows Update's; other failures stay failures.
    #[test]
    fn windows_update_download_lines_are_download_failures() {
        for (level, m, code) in [
            (Level::Info, "DLWD:WU search failed [HRESULT = 0x8024402c - Unknown Error]", 0x8024_402C),
            (
                Level::Info,
                "DWLD:Failed to do Windows update search [HRESULT = 0x80240438 - Unknown Error]",
                0x8024_0438,
            ),
            (Level::Error, "FC:   CFCAcquirerWUClient::Download(134): Result = 0x80240438", 0x8024_0438),
        ] {
            let c = classify(level, "CBS", m).expect("line");
            assert_eq!(c.kind, CbsEventKind::DownloadFailed, "{m}");
            assert_eq!(c.code.map(|c| c.value), Some(code), "{m}");
        }
        let c = classify(
            Level::Info,
            "CBS",
            "Failed to run Detect and repair. [HRESULT = 0x800f0906 - CBS_E_DOWNLOAD_FAILURE]",
        )
        .expect("line");
        assert_eq!(c.kind, CbsEventKind::Failure);
    }

    /// Every line of an advanced installer's run, in the shapes of Windows 10 1809 and Windows 11 24H2.
    #[test]
    fn advanced_installer_lines_of_every_shape() {
        let kind = |level, component, message| classify(level, component, message).map(|c| (c.kind, c.code));
        assert_eq!(
            kind(Level::Info, "CSI", "00000044 Begin executing advanced installer phase 39 index 0 (sequence 0)"),
            Some((CbsEventKind::InstallerBegin { sequence: 0 }, None))
        );
        assert_eq!(
            kind(Level::Continuation, "", "Installer name: 'Container Installer'").map(|k| k.0),
            Some(CbsEventKind::InstallerName { name: "Container Installer".to_string() })
        );
        assert_eq!(
            kind(
                Level::Continuation,
                "",
                "New component: [l:154 ml:155]'Microsoft-Windows-DLNA-MDEServer, Culture=neutral, Version=10.0.17763.1'"
            )
            .map(|k| k.0),
            Some(CbsEventKind::InstallerComponent {
                identity: "Microsoft-Windows-DLNA-MDEServer, Culture=neutral, Version=10.0.17763.1".to_string()
            })
        );
        assert_eq!(kind(Level::Continuation, "", "New component: (null)"), None);
        let status = |m| kind(Level::Continuation, "", m).and_then(|k| k.1).map(|c| c.value);
        assert_eq!(status("Completion status: S_OK "), Some(0));
        assert_eq!(status("Completion status: HRESULT_FROM_WIN32(1753) "), Some(0x8007_06D9));
        let failed = "0000004b (F) Failed execution of queue item Installer: Container Installer ({9edf0f01-ef44-4c87-ac5a-8aad730137ab}) with HRESULT HRESULT_FROM_WIN32(1753).  Failure will not be ignored: A rollback will be initiated after all the operations in the installer queue are completed; installer is reliable[gle=0x80004005]";
        assert_eq!(
            kind(Level::Error, "CSI", failed),
            Some((
                CbsEventKind::InstallerFailed { installer: "Container Installer".to_string() },
                Some(FoundCode { value: 0x8007_06D9, name_in_log: Some("HRESULT_FROM_WIN32(1753)".to_string()) })
            ))
        );
        let bare = "0000002b (F) Failed execution of queue item Installer: Root Devices ({3d07d150-2f3d-4184-9793-d0fd59b0c885}) with HRESULT 800f0207 [Error,Facility=(000f),Code=519 (0x0207)]. Failure will not be ignored: A rollback will be initiated";
        assert_eq!(kind(Level::Error, "CSI", bare).and_then(|k| k.1).map(|c| c.value), Some(0x800F_0207));
        let ignored = "0000002b (F) Failed execution of queue item Installer: Root Devices ({3d07d150-2f3d-4184-9793-d0fd59b0c885}) with HRESULT 800f0207. Failure will be ignored: installer is not reliable";
        assert_eq!(kind(Level::Error, "CSI", ignored), None);
        let summary = "0000006b (F) Installer: Container Installer\tBinary Name: containerai.dll\tErrorCode: 800706d9\tPhase: 39\tMode: Delta\tComponent: NONE[gle=0x80004005]";
        assert_eq!(
            kind(Level::Error, "CSI", summary),
            Some((
                CbsEventKind::InstallerSummary {
                    installer: "Container Installer".to_string(),
                    binary: "containerai.dll".to_string()
                },
                Some(FoundCode { value: 0x8007_06D9, name_in_log: None })
            ))
        );
        let own = "00000048 Failed to create container base layer for client id Microsoft-Windows-Professional-Config with status -2147023143";
        assert_eq!(kind(Level::Info, "CSI", own).and_then(|k| k.1).map(|c| c.value), Some(0x8007_06D9));
    }
}
