//! What each event log record that matters for servicing means, as an [`Event`].
//!
//! Event ids and payload field names follow the providers' manifests as published on the detection wiki
//! (`microsoft-windows-servicing`, `microsoft-windows-wusa`, `microsoft-windows-windowsupdateclient`) and
//! were checked against the real records of the fixtures under `shared/fixtures/evtx/`.

use super::fields::Fields;
use crate::event::{Action, Event, Level, Source};
use crate::text::kb_of;

const MESSAGE_MAX: usize = 600;

/// The event a record stands for, or `None` for records of other providers and ids. The source is a
/// placeholder: the file's source is known only after all records are counted.
pub(crate) fn to_event(f: &Fields, file: &str) -> Option<Event> {
    let mapped = match f.provider.as_str() {
        "Microsoft-Windows-Servicing" => servicing(f),
        "Microsoft-Windows-WUSA" => wusa(f),
        "Microsoft-Windows-WindowsUpdateClient" => update_client(f),
        "Windows Error Reporting" if f.event_id == 1001 => wer_report(f),
        "Microsoft-Windows-Kernel-General"
        | "Microsoft-Windows-Kernel-Boot"
        | "Microsoft-Windows-Kernel-Power"
        | "EventLog"
        | "User32" => power(f),
        _ => None,
    }?;
    let mut event = mapped;
    event.file = file.to_string();
    event.level = event.level.max(level_of(f.level));
    event.message =
        crate::text::clip(&format!("{} {}: {}", short_provider(&f.provider), f.event_id, event.message), MESSAGE_MAX);
    event.code = event.code.filter(|&c| c != 0);
    Some(event)
}

/// The event a provider's record stands for; [`to_event`] sets the file, the final level and the message
/// prefix.
fn provider_event(action: Action, level: Level, message: String) -> Event {
    Event::new(Source::OtherEvtx, "", action, level, message)
}

fn level_of(raw: u8) -> Level {
    match raw {
        1 => Level::Critical,
        2 => Level::Error,
        3 => Level::Warning,
        5 => Level::Verbose,
        // 0 (LogAlways, which every Servicing event uses) and 4 are informational.
        _ => Level::Info,
    }
}

fn short_provider(provider: &str) -> &str {
    provider.strip_prefix("Microsoft-Windows-").unwrap_or(provider)
}

fn owned(value: Option<&str>) -> Option<String> {
    value.map(str::to_string)
}

/// A code written as `0x800f0816`, as a decimal (`2147942402`, how WUSA writes it) or as a negative
/// decimal (a signed HRESULT).
pub(crate) fn code_any(text: &str) -> Option<u32> {
    let text = text.trim();
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return u32::from_str_radix(hex, 16).ok();
    }
    if let Ok(value) = text.parse::<u32>() {
        return Some(value);
    }
    text.parse::<i32>().ok().map(|v| v as u32)
}

/// A code always written in hex, with or without `0x` (WER signature parameters: `80073701`).
pub(crate) fn code_hex(text: &str) -> Option<u32> {
    let text = text.trim();
    let hex = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")).unwrap_or(text);
    if hex.is_empty() || hex.len() > 8 {
        return None;
    }
    u32::from_str_radix(hex, 16).ok()
}

/// A CBS package state as Setup.evtx writes it: a name (older builds, or the `…Textized` twin) or the
/// number 5000 + the `CbsInstallState` value (5000 Absent, 5064 Staged, 5080 Superseded, 5112 Installed).
fn state_name(f: &Fields, field: &str) -> Option<String> {
    if let Some(text) = f.text(&format!("{field}Textized")) {
        return Some(text.to_string());
    }
    let raw = f.text(field)?;
    let name = match raw.parse::<u32>().ok().and_then(|n| n.checked_sub(5000)) {
        Some(0x00) => "Absent",
        Some(0x05) => "UninstallPending",
        Some(0x10) => "Resolving",
        Some(0x20) => "Resolved",
        Some(0x30) => "Staging",
        Some(0x40) => "Staged",
        Some(0x50) => "Superseded",
        Some(0x60) => "InstallPending",
        Some(0x65) => "PartiallyInstalled",
        Some(0x70) => "Installed",
        Some(0x80) => "Permanent",
        _ => raw,
    };
    Some(name.to_string())
}

/// Setup.evtx, `Microsoft-Windows-Servicing`: 1–6 are package changes (`CbsPackageInitiateChanges`,
/// `CbsPackageChangeState`), 7–16 turn selectable updates (features) of a package on or off
/// (`CbsUpdateChangeState`). The Debug-channel START/END events are not in exported Setup.evtx files.
fn servicing(f: &Fields) -> Option<Event> {
    let package = f.text("PackageIdentifier");
    let target = state_name(f, "IntendedPackageState");
    let code = f.text("ErrorCode").and_then(code_any);
    let change = Change {
        pkg: package.unwrap_or("?"),
        target: target.as_deref(),
        code_text: code.map(|c| format!(" (0x{c:08x})")).unwrap_or_default(),
    };
    let (action, level, message) = match f.event_id {
        1..=6 => package_change(f, &change)?,
        _ => selectable_update_change(f.event_id, f.text("UpdateName").unwrap_or("?"), &change)?,
    };
    let mut mapped = provider_event(action, level, format!("{message}; client {}", f.text("Client").unwrap_or("?")));
    mapped.kb = package.and_then(kb_of);
    mapped.package = owned(package);
    mapped.code = code;
    mapped.client = owned(f.text("Client"));
    mapped.phase = target;
    Some(mapped)
}

/// What a servicing record says about its package, in the words of its messages.
struct Change<'f> {
    pkg: &'f str,
    /// The state the package is being changed to.
    target: Option<&'f str>,
    /// ` (0x…)` after a failure, or nothing.
    code_text: String,
}

/// Events 1–6: a package change starts, succeeds, fails, waits for a reboot or cannot be done.
fn package_change(f: &Fields, change: &Change) -> Option<(Action, Level, String)> {
    use Action::*;
    let (pkg, code_text) = (change.pkg, &change.code_text);
    let removing = change.target == Some("Absent");
    let target_text = change.target.unwrap_or("?");
    Some(match f.event_id {
        1 => {
            let from = state_name(f, "InitialPackageState").unwrap_or_else(|| "?".to_string());
            let action = if removing { UninstallStarted } else { InstallStarted };
            (action, Level::Info, format!("initiating changes for package {pkg}: {from} -> {target_text}"))
        }
        2 => {
            let action = match change.target {
                Some("Installed") => InstallSucceeded,
                Some("Absent") => UninstallSucceeded,
                _ => StateChanged,
            };
            (action, Level::Info, format!("package {pkg} was successfully changed to the {target_text} state"))
        }
        3 => {
            let action = if removing { UninstallFailed } else { InstallFailed };
            (action, Level::Error, format!("package {pkg} failed to be changed to the {target_text} state{code_text}"))
        }
        4 => (
            RebootRequired,
            Level::Info,
            format!("a reboot is necessary before package {pkg} can be changed to the {target_text} state"),
        ),
        5 => (
            Warning,
            Level::Warning,
            format!("the servicing request for package {pkg} ({target_text}) cannot be satisfied{code_text}"),
        ),
        6 => (
            InstallFailed,
            Level::Error,
            format!(
                "package {pkg} failed to be changed to the {target_text} state and is now partially installed{code_text}"
            ),
        ),
        _ => return None,
    })
}

/// Events 7–16: a selectable update of a package is turned on or off, fails to be, or waits for a reboot.
fn selectable_update_change(event_id: u32, update: &str, change: &Change) -> Option<(Action, Level, String)> {
    use Action::*;
    let (pkg, code_text) = (change.pkg, &change.code_text);
    Some(match event_id {
        7 => (InstallStarted, Level::Info, format!("initiating changes to turn on update {update} of package {pkg}")),
        8 => {
            (UninstallStarted, Level::Info, format!("initiating changes to turn off update {update} of package {pkg}"))
        }
        9 => (InstallSucceeded, Level::Info, format!("selectable update {update} of package {pkg} was turned on")),
        10 => (UninstallSucceeded, Level::Info, format!("selectable update {update} of package {pkg} was turned off")),
        15 => (
            UninstallSucceeded,
            Level::Info,
            format!("selectable update {update} of package {pkg} was turned off with its payload removed"),
        ),
        11 => {
            (InstallFailed, Level::Error, format!("update {update} of package {pkg} failed to be turned on{code_text}"))
        }
        12 | 16 => (
            UninstallFailed,
            Level::Error,
            format!("update {update} of package {pkg} failed to be turned off{code_text}"),
        ),
        13 => (
            RebootRequired,
            Level::Info,
            format!("a reboot is necessary before update {update} of package {pkg} can be turned on"),
        ),
        14 => (
            RebootRequired,
            Level::Info,
            format!("a reboot is necessary before update {update} of package {pkg} can be turned off"),
        ),
        _ => return None,
    })
}

/// Setup.evtx, `Microsoft-Windows-WUSA` (the standalone .msu installer): 2 installed, 3 failed with the
/// code in DECIMAL (`ErrorCode: 2147942402` is 0x80070002). Event 1 is a Debug-channel trace line.
fn wusa(f: &Fields) -> Option<Event> {
    let title = f.text("UpdateTitle");
    let command = f.text("CommandLine");
    let name = title.or(command).unwrap_or("?");
    let mut mapped = match f.event_id {
        2 => provider_event(
            Action::InstallSucceeded,
            Level::Info,
            format!("Windows update {name} was successfully installed"),
        ),
        3 => {
            let code = f.text("ErrorCode").and_then(code_any);
            let mut m = provider_event(
                Action::InstallFailed,
                Level::Error,
                format!(
                    "Windows update {name} could not be installed because of error 0x{:08x} \"{}\"",
                    code.unwrap_or(0),
                    f.text("ErrorString").unwrap_or("")
                ),
            );
            m.code = code;
            m
        }
        _ => return None,
    };
    mapped.kb = title.and_then(kb_of).or_else(|| command.and_then(kb_of));
    mapped.title = owned(title);
    mapped.client = Some("wusa.exe".to_string());
    Some(mapped)
}

/// `Microsoft-Windows-WindowsUpdateClient`, in System (16–24, 43, 44) and in its Operational log (25, 26,
/// 31, 41). Payload: `updateTitle`, `updateGuid`, `updateRevisionNumber`, `serviceGuid`, and `errorCode`
/// on failures (the manifest's name; the code is also searched among all values in case it differs).
fn update_client(f: &Fields) -> Option<Event> {
    use Action::*;
    let (action, level, what) = match f.event_id {
        16 => (ScanFailed, Level::Warning, "unable to connect to the automatic updates service"),
        17 | 18 => (DownloadSucceeded, Level::Info, "installation ready"),
        19 => (InstallSucceeded, Level::Info, "installation successful"),
        20 => (InstallFailed, Level::Error, "installation failure"),
        21 | 22 => (RebootRequired, Level::Info, "restart required"),
        23 => (UninstallSucceeded, Level::Info, "uninstallation successful"),
        24 => (UninstallFailed, Level::Error, "uninstallation failure"),
        25 => (ScanFailed, Level::Error, "failed to check for updates"),
        26 => (ScanSucceeded, Level::Info, "found updates"),
        31 => (DownloadFailed, Level::Error, "failed to download an update"),
        41 => (DownloadSucceeded, Level::Info, "an update was downloaded"),
        43 => (InstallStarted, Level::Info, "installation started"),
        44 => (DownloadStarted, Level::Info, "started downloading an update"),
        _ => return None,
    };
    let title = f.text("updateTitle").or_else(|| f.text("updatelist"));
    let failed = matches!(action, InstallFailed | UninstallFailed | ScanFailed | DownloadFailed);
    let code = if failed { update_client_code(f) } else { None };
    let mut message = what.to_string();
    if let Some(code) = code {
        message.push_str(&format!(" with error 0x{code:08x}"));
    }
    if let Some(title) = title {
        message.push_str(&format!(": {title}"));
    }
    let mut mapped = provider_event(action, level, message);
    mapped.kb = title.and_then(kb_of);
    mapped.title = owned(title);
    mapped.update_id = f.text("updateGuid").map(|g| g.trim_matches(['{', '}']).to_string());
    mapped.code = code;
    Some(mapped)
}

fn update_client_code(f: &Fields) -> Option<u32> {
    if let Some(code) = f.text("errorCode").or_else(|| f.text("hresult")).and_then(code_any) {
        return Some(code);
    }
    // Older or differently named payloads: the first value written like an HRESULT.
    f.named
        .iter()
        .map(|(_, v)| v.as_str())
        .chain(f.unnamed.iter().map(String::as_str))
        .filter(|v| v.trim().starts_with("0x"))
        .find_map(code_any)
}

/// A decoded WER "problem signature" of an Application.evtx event 1001 about servicing or Windows Update.
///
/// Event 1001's payload is unnamed `<Data>` in a fixed order: 0 fault bucket, 1 bucket type, 2 event name,
/// 3 response, 4 cab id, 5–14 the signature parameters P1–P10, then attached files, storage path, analysis
/// symbol, recheck flag, report id, report status, hashed bucket, cab guid.
///
/// P1–P10 depend on the event name; there is no official documentation of them, so the meaning below comes
/// from real reports and the CBS.log line that creates the report:
/// - `CbsPackageServicingFailure2` — CBS writes "WER: Generating failure report for package: P, status: S,
///   failure source: F, start state: A, target state: B, client id: C" (formats.md §1), and the posted 1001
///   (Microsoft Q&A 382259: `P1: 10.0.17763.1690 P2: Package_for_RollupFix P3: 17763.1697.1.9 P4: amd64
///   P5: unknown P6: 80073701 P7: Resolve P8: Absent P9: Installed P10: WindowsUpdateAgent`) lines up with
///   it: P1 servicing stack / OS build, P2 package name, P3 package version, P4 architecture, P5 language
///   (`unknown` for language-neutral packages), P6 HRESULT in hex without `0x`, P7 failure source (the
///   phase: Resolve, Stage, Execute, Plan…), P8 start state, P9 target state, P10 client id.
/// - `WindowsUpdateFailure3` (Windows 10+) — from a real `WerReportSubmit` trace of such a report
///   (`10.0.14393.0, 8024402c, 00000000-…, Scan, 0, 0, 8024500b, UpdateOrchestrator, {9482F4B4-…}`): P1
///   Windows Update client version, P2 HRESULT (hex), P3 update id (all zeros for a scan), P4 operation
///   (Scan / Download / Install), P5 and P6 flags of unknown meaning, P7 a second (extended) HRESULT, P8
///   the caller (client), P9 the service id, P10 unknown.
/// - `WindowsUpdateFailure2` / `WindowsUpdateFailure` (Windows 7/8) — P1 client version, P2 HRESULT, P3
///   update id, P4 operation; the rest is not decoded.
fn wer_report(f: &Fields) -> Option<Event> {
    let name = f.nth(2)?;
    let p = |n: usize| f.nth(4 + n);
    match name {
        "CbsPackageServicingFailure2" => {
            let package = p(2);
            let code = p(6).and_then(code_hex);
            let message = format!(
                "WER report {name}: package {} {} ({}) failed with 0x{:08x} in {}, {} -> {}, client {}, servicing stack {}",
                package.unwrap_or("?"),
                p(3).unwrap_or(""),
                p(4).unwrap_or("?"),
                code.unwrap_or(0),
                p(7).unwrap_or("?"),
                p(8).unwrap_or("?"),
                p(9).unwrap_or("?"),
                p(10).unwrap_or("?"),
                p(1).unwrap_or("?"),
            );
            let mut mapped = provider_event(Action::FailureReport, Level::Error, message);
            mapped.kb = package.and_then(kb_of);
            mapped.package = package.map(|pkg| match p(3) {
                Some(version) => format!("{pkg}~{version}"),
                None => pkg.to_string(),
            });
            mapped.code = code;
            mapped.phase = owned(p(7));
            mapped.client = owned(p(10));
            Some(mapped)
        }
        "WindowsUpdateFailure3" | "WindowsUpdateFailure2" | "WindowsUpdateFailure" => {
            let code = p(2).and_then(code_hex);
            let update_id = p(3).filter(|id| !id.trim_matches(['0', '-', '{', '}']).is_empty());
            let caller = if name == "WindowsUpdateFailure3" { p(8) } else { None };
            let mut message = format!(
                "WER report {name}: {} failed with 0x{:08x}, client version {}",
                p(4).unwrap_or("operation"),
                code.unwrap_or(0),
                p(1).unwrap_or("?")
            );
            if let Some(id) = update_id {
                message.push_str(&format!(", update {id}"));
            }
            if let Some(caller) = caller {
                message.push_str(&format!(", caller {caller}"));
            }
            if name == "WindowsUpdateFailure3"
                && let Some(extended) = p(7).and_then(code_hex).filter(|&c| c != 0)
            {
                message.push_str(&format!(", extended error 0x{extended:08x}"));
            }
            let mut mapped = provider_event(Action::FailureReport, Level::Error, message);
            mapped.code = code;
            mapped.update_id = update_id.map(|id| id.trim_matches(['{', '}']).to_string());
            mapped.phase = owned(p(4));
            mapped.client = owned(caller);
            Some(mapped)
        }
        _ => None,
    }
}

/// Boots and shutdowns in System.evtx, which tell whether a required restart happened and whether the
/// machine went down uncleanly in the middle of servicing.
fn power(f: &Fields) -> Option<Event> {
    let (action, level, message) = match (f.provider.as_str(), f.event_id) {
        ("Microsoft-Windows-Kernel-General", 12) => {
            let version =
                match (f.text("MajorVersion"), f.text("MinorVersion"), f.text("BuildVersion"), f.text("QfeVersion")) {
                    (Some(a), Some(b), Some(c), Some(d)) => format!(" (Windows {a}.{b}.{c}.{d})"),
                    _ => String::new(),
                };
            (Action::Boot, Level::Info, format!("the operating system started{version}"))
        }
        ("Microsoft-Windows-Kernel-General", 13) => {
            (Action::Shutdown, Level::Info, "the operating system is shutting down".to_string())
        }
        ("Microsoft-Windows-Kernel-Boot", 27) => {
            (Action::Boot, Level::Info, format!("boot type {}", f.text("BootType").unwrap_or("?")))
        }
        ("Microsoft-Windows-Kernel-Power", 41) => (
            Action::Shutdown,
            Level::Critical,
            "the system has rebooted without cleanly shutting down first".to_string(),
        ),
        ("EventLog", 6005) => (Action::Boot, Level::Info, "the event log service was started".to_string()),
        ("EventLog", 6006) => (Action::Shutdown, Level::Info, "the event log service was stopped".to_string()),
        ("EventLog", 6008) => (
            Action::Shutdown,
            Level::Error,
            format!(
                "the previous system shutdown at {} on {} was unexpected",
                f.nth(0).unwrap_or("?"),
                // Windows puts left-to-right marks around the date parts.
                f.nth(1).unwrap_or("?").replace('\u{200e}', "")
            ),
        ),
        ("EventLog", 6009) => (
            Action::Boot,
            Level::Info,
            format!("Windows {}{} {} started", f.nth(0).unwrap_or(""), f.nth(1).unwrap_or(""), f.nth(2).unwrap_or("")),
        ),
        ("User32", 1074) => {
            let value = |name: &str, index: usize| f.text(name).or_else(|| f.nth(index));
            let mut m = provider_event(
                Action::Shutdown,
                Level::Info,
                format!(
                    "{} initiated by {} for user {}: {} (reason 0x{})",
                    value("param5", 4).unwrap_or("shutdown"),
                    value("param1", 0).unwrap_or("?"),
                    value("param7", 6).unwrap_or("?"),
                    value("param3", 2).unwrap_or("?"),
                    value("param4", 3).unwrap_or("?").trim_start_matches("0x"),
                ),
            );
            // `C:\Windows\system32\winlogon.exe (HOST)` → `winlogon.exe`.
            m.client = value("param1", 0)
                .map(|p| p.split(" (").next().unwrap_or(p))
                .map(|p| p.rsplit(['\\', '/']).next().unwrap_or(p).to_string());
            m.phase = owned(value("param5", 4));
            return Some(m);
        }
        _ => return None,
    };
    Some(provider_event(action, level, message))
}
