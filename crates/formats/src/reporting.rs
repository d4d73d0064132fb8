//! Reads `SoftwareDistribution\ReportingEvents.log`: one Windows Update agent event per tab-separated line,
//! each stamped with its own UTC offset, so every event lands on the UTC timeline exactly.

use crate::event::Confidence;
use crate::event::{Action, Event, Level, OffsetInference, Source, SourceFile};
use crate::text::{bare_guid, for_each_line as each_line, kb_of};
use crate::time::CivilTime;
use patchdx_bundle::{Entry, FileKind};
use std::collections::BTreeMap;

/// Longest message kept on an event.
const MESSAGE_MAX: usize = 600;

/// Reads one ReportingEvents.log (UTF-16 is already decoded by the bundle).
pub fn read(entry: &Entry) -> SourceFile {
    let mut file = SourceFile::new(&entry.path, Source::ReportingEvents);
    // Offset (seconds) → how many lines carry it; a DST change or a moved machine gives several.
    let mut offsets: BTreeMap<i64, u64> = BTreeMap::new();
    let mut unparsed = 0u64;
    let path = entry.path.clone();
    let events = &mut file.events;
    let records = each_line(entry, &mut file.warnings, |number, line| {
        if line.trim().is_empty() {
            return;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        match record_event(&fields, Source::ReportingEvents, &path, number) {
            Some((event, offset)) => {
                *offsets.entry(offset).or_default() += 1;
                events.push(event);
            }
            None => unparsed += 1,
        }
    });
    file.records = records;
    if let Some((&offset, _)) = offsets.iter().max_by_key(|(_, count)| **count) {
        file.offset = OffsetInference::known(offset, "±HHMM on every line", Confidence::High);
    }
    let mut notes = Vec::new();
    if offsets.len() > 1 {
        let list: Vec<String> = offsets.iter().map(|(o, n)| format!("{} ({n} lines)", hhmm(*o))).collect();
        notes.push(format!("UTC offsets vary between lines: {}; each event uses its own", list.join(", ")));
    }
    if unparsed > 0 {
        notes.push(format!("{unparsed} non-empty lines are not ReportingEvents records and were skipped"));
    }
    if file.events.is_empty() {
        notes.push("no ReportingEvents records found".to_string());
    }
    file.note = (!notes.is_empty()).then(|| notes.join("; "));
    file.compute_range();
    file
}

/// Turns the 12 or 13 tab-separated columns of one ReportingEvents record into an event and the line's
/// UTC offset in seconds. Also used for the `REPORT EVENT:` lines the Windows 7 agent copies into
/// WindowsUpdate.log (those carry the bare event number without its `[NAME]`).
pub(crate) fn record_event(fields: &[&str], source: Source, file: &str, line: u64) -> Option<(Event, i64)> {
    if fields.len() < 12 || !is_braced_guid(fields[0].trim()) {
        return None;
    }
    let (local, offset) = parse_stamp(fields[1].trim())?;
    let (number, name) = split_event_id(fields[3].trim());
    let code = u32::from_str_radix(fields[7].trim(), 16).ok().filter(|&c| c != 0);
    let failure = fields[9].trim().eq_ignore_ascii_case("Failure");
    let operation = fields[10].trim();
    let message = fields[11].trim();
    let action = action_for(number, name, operation, failure);
    let level = match action {
        _ if failure => Level::Error,
        Action::ScanFailed | Action::DownloadFailed | Action::InstallFailed | Action::UninstallFailed => Level::Error,
        Action::Warning | Action::RebootRequired => Level::Warning,
        _ => Level::Info,
    };
    let mut event = Event::new(source, file, action, level, crate::text::clip(message, MESSAGE_MAX));
    event.line = Some(line);
    event.local = Some(local);
    event.utc = Some(local.shifted(-offset));
    event.code = code;
    event.update_id = bare_guid(fields[5]).filter(|g| g.chars().any(|c| c != '0' && c != '-'));
    event.title = title_of(message);
    event.kb = kb_of(message);
    let client = fields[8].trim();
    event.client = (!client.is_empty()).then(|| client.to_string());
    event.phase = (!operation.is_empty()).then(|| operation.to_string());
    Some((event, offset))
}

/// `182 [AGENT_INSTALLING_FAILED]` → (182, "AGENT_INSTALLING_FAILED"); `182` → (182, "").
fn split_event_id(text: &str) -> (u32, &str) {
    let (number, rest) = text.split_once(' ').unwrap_or((text, ""));
    let name = rest.trim().trim_start_matches('[').trim_end_matches(']');
    (number.parse().unwrap_or(0), if name == "(null)" { "" } else { name })
}

/// Maps the agent's event to an action: by its name when written, else by the name the agent gives its number
/// (Windows 7/8 logs and the `REPORT EVENT:` copies in WindowsUpdate.log write the number alone), else by the
/// operation and Success/Failure columns.
fn action_for(number: u32, name: &str, operation: &str, failure: bool) -> Action {
    let name = if name.is_empty() { agent_event_name(number).unwrap_or("") } else { name };
    if let Some(action) = action_by_name(name) {
        return action;
    }
    match (operation, failure) {
        ("Content Install", true) => Action::InstallFailed,
        ("Content Download", true) => Action::DownloadFailed,
        ("Content Uninstall", true) => Action::UninstallFailed,
        ("Software Synchronization", true) => Action::ScanFailed,
        (_, true) => Action::Error,
        _ => Action::Note,
    }
}

/// The action an agent event name stands for; `None` for names that are not about a scan, download, install or
/// uninstall (status, connectivity, self-update…), which the operation columns then classify.
fn action_by_name(name: &str) -> Option<Action> {
    let ends = |s: &str| name.ends_with(s);
    if name.is_empty() {
        return None;
    }
    // `AU_REBOOT_COMPLETED` ("Reboot completed."): a restart happened; it says nothing about an update.
    if ends("REBOOT_COMPLETED") {
        return Some(Action::Note);
    }
    // "Installation successful and restart required": installed, but only final after the restart (the
    // post-reboot result may still fail, as 0x80242016 does).
    if ends("REBOOT_REQUIRED") || name.contains("COMPLETE_WITH_REBOOT") {
        return Some(Action::RebootRequired);
    }
    if name.contains("DETECTION") {
        return Some(if ends("FAILED") {
            Action::ScanFailed
        } else if ends("STARTED") {
            Action::ScanStarted
        } else {
            Action::ScanSucceeded
        });
    }
    let (started, succeeded, failed) = if name.contains("UNINSTALL") {
        (Action::UninstallStarted, Action::UninstallSucceeded, Action::UninstallFailed)
    } else if name.contains("DOWNLOAD") {
        (Action::DownloadStarted, Action::DownloadSucceeded, Action::DownloadFailed)
    } else if name.contains("INSTALL") {
        (Action::InstallStarted, Action::InstallSucceeded, Action::InstallFailed)
    } else {
        return None;
    };
    Some(if ends("STARTED") || ends("RESUMED") {
        started
    } else if ends("SUCCEEDED") || ends("SUCCEEDED_FROM_PEER") || ends("SUCCESS") {
        succeeded
    } else if ends("FAILED") || ends("KILLED") || ends("FAILED_POST_REBOOT") {
        failed
    } else if ends("CANCELED") || ends("CANCEL") || ends("SUSPENDED") {
        Action::Warning
    } else {
        // READY, PENDING, HIDE, UNHIDE, PROGRESS: steps, not results.
        Action::Note
    })
}

/// The Windows Update agent's own name for each ReportingEvents event number: the table of its
/// `GetEventIdString` (wuaueng.dll, as a public decompilation of the Windows 10 agent shows it). Real records
/// agree with it across agent generations: the Windows 7 agent's `190` is "Installation Successful", `195`
/// "Installation Failure", `191` "Installation successful and restart required", `188` "Installation Ready",
/// `194` "Restart Required", `202` "Reboot completed", `149` "Unable to Connect", `156` "Reporting client
/// status" (the rsasbeih WindowsUpdate.log fixture), and Windows 10's named records carry the same numbers
/// (147, 148, 161–168, 181–183 in the dcheva ReportingEvents fixtures).
pub fn agent_event_name(number: u32) -> Option<&'static str> {
    Some(match number {
        121 => "INVENTORY_RULES_DOWNLOAD_FAILED",
        122 => "INVENTORY_RULES_PROCESSING_FAILED",
        123 => "INVENTORY_COLLECTION_FAILED",
        124 => "INVENTORY_UPLOAD_FAILED",
        125 => "INVENTORY_OPERATIONAL_FAILURE",
        126 => "INVENTORY_COLLECTION_SUCCESS",
        147 => "AGENT_DETECTION_FINISHED",
        148 => "AGENT_DETECTION_FAILED",
        149 => "AU_UNABLE_TO_CONNECT",
        153 => "AGENT_STATUS",
        154 => "AGENT_INVALID_PID",
        155 => "AGENT_UPDATE_DETECTED",
        156 => "AGENT_STATUS_30",
        161 => "AGENT_DOWNLOAD_FAILED",
        162 => "AGENT_DOWNLOAD_SUCCEEDED",
        163 => "AGENT_DOWNLOAD_CANCELED",
        164 => "AGENT_DOWNLOAD_SUCCEEDED_FROM_PEER",
        165 => "AGENT_DOWNLOAD_SUSPENDED",
        166 => "AGENT_DOWNLOAD_RESUMED",
        167 => "AGENT_DOWNLOAD_STARTED",
        170 => "AGENT_DOWNLOAD_PROGRESS",
        171 => "AGENT_PREDOWNLOAD_STARTED",
        172 => "AGENT_PREDOWNLOAD_FAILED",
        173 => "AGENT_PREDOWNLOAD_SUCCEEDED",
        174 => "AGENT_PREDOWNLOAD_CANCELED",
        181 => "AGENT_INSTALLING_STARTED",
        182 => "AGENT_INSTALLING_FAILED",
        183 => "AGENT_INSTALLING_SUCCEEDED",
        184 => "AGENT_INSTALL_COMPLETE_WITH_REBOOT",
        185 => "AGENT_INSTALL_HIDE",
        186 => "AGENT_INSTALL_CANCEL",
        187 => "AGENT_INSTALL_KILLED",
        188 => "AU_SCHEDULED_INSTALL_READY",
        189 => "AU_UNSCHEDULED_INSTALL_READY",
        190 => "AU_SCHEDULED_INSTALL_SUCCESS",
        191 => "AU_SCHEDULED_INSTALL_COMPLETE_WITH_REBOOT",
        192 => "AU_SCHEDULED_INSTALL_KILLED",
        193 => "AU_UNSCHEDULED_REBOOT_REQUIRED",
        194 => "AU_SCHEDULED_REBOOT_REQUIRED",
        195 => "AU_SCHEDULED_INSTALL_FAILED",
        196 => "AGENT_INSTALL_UNHIDE",
        197 => "AU_SHUTDOWN_INSTALL_SUCCESS",
        198 => "AU_SHUTDOWN_INSTALL_FAILED",
        199 => "AU_SHUTDOWN_INSTALL_COMPLETE_WITH_REBOOT",
        200 => "AU_SHUTDOWN_INSTALL_KILLED",
        201 => "AGENT_INSTALLING_PENDING",
        202 => "AU_REBOOT_COMPLETED",
        203 => "AGENT_INSTALL_POSTREBOOT_SUCCEEDED",
        204 => "AGENT_INSTALLING_FAILED_POST_REBOOT",
        221 => "AGENT_UNINSTALLING_FAILED",
        222 => "AGENT_UNINSTALLING_SUCCEEDED",
        223 => "AGENT_UNINSTALL_CANCEL",
        224 => "AGENT_UNINSTALL_COMPLETE_WITH_REBOOT",
        225 => "AGENT_UNINSTALL_KILLED",
        226 => "AGENT_UNINSTALL_STARTED",
        241 => "AU_PAUSED",
        242 => "AU_RESUMED",
        243 => "CHECK_CONNECTION",
        244 => "PROXY_AUTH_REQUIRED",
        245 => "AU_HEALTH_CHANGED",
        251 => "AGENT_CONNECTIVITY_LOST",
        252 => "AGENT_CONNECTIVITY_GAINED",
        253 => "AGENT_SERVICE_STOP",
        254 => "AGENT_SERVICE_SHUTDOWN",
        271 => "SELFUPDATE_CORE_FAILED",
        272 => "SELFUPDATE_AUX_FAILED",
        273 => "SELFUPDATE_CORE_SUCCEEDED",
        274 => "SELFUPDATE_AUX_SUCCEEDED",
        _ => return None,
    })
}

/// The update named after `…the following update:` or `…the following update with error 0x…:`.
fn title_of(message: &str) -> Option<String> {
    let at = message.find("following update")?;
    let rest = &message[at..];
    let colon = rest.find(':')?;
    let title = rest[colon + 1..].trim().trim_end_matches('.').trim();
    (!title.is_empty()).then(|| title.to_string())
}

/// `YYYY-MM-DD HH:MM:SS:mmm±HHMM` → (local time, offset seconds).
fn parse_stamp(text: &str) -> Option<(CivilTime, i64)> {
    let bytes = text.as_bytes();
    if bytes.len() < 28 || !matches!(bytes[19], b':' | b'.') {
        return None;
    }
    let base = CivilTime::parse_dashed(bytes)?;
    let milli: i64 = text.get(20..23)?.parse().ok()?;
    let sign = match bytes[23] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hours: i64 = text.get(24..26)?.parse().ok()?;
    let minutes: i64 = text.get(26..28)?.parse().ok()?;
    Some((CivilTime::from_millis(base.millis() + milli), sign * (hours * 3600 + minutes * 60)))
}

fn hhmm(offset: i64) -> String {
    let sign = if offset < 0 { '-' } else { '+' };
    format!("{sign}{:02}{:02}", offset.abs() / 3600, offset.abs() % 3600 / 60)
}

fn is_braced_guid(text: &str) -> bool {
    text.len() == 38 && text.starts_with('{') && text.ends_with('}') && bare_guid(text).is_some()
}

/// `{GUID}\t2022-09-09 15:58:23:456+0800\t…`: a ReportingEvents.log record.
pub fn is_record_line(line: &str) -> bool {
    let mut s = crate::text::shape::Shape::of(line);
    s.byte(b'{')
        && s.exactly(36, |c| c.is_ascii_hexdigit() || c == b'-')
        && s.byte(b'}')
        && s.byte(b'\t')
        && s.date(b"-")
        && s.byte(b' ')
        && s.clock()
        && s.byte(b':')
        && s.digits(3)
        && s.one_of(b"+-")
        && s.digits(4)
        && s.byte(b'\t')
}

/// ReportingEvents.log as an evidence source.
pub struct ReportingSource;

impl crate::source::EvidenceSource for ReportingSource {
    fn name(&self) -> &'static str {
        "reporting-events"
    }

    fn kinds(&self) -> &'static [FileKind] {
        &[FileKind::ReportingEvents]
    }

    fn sources(&self) -> &'static [Source] {
        &[Source::ReportingEvents]
    }

    fn recognise(&self, sample: &crate::source::Sample) -> Option<crate::source::Claim> {
        let records = sample.count_plain(is_record_line);
        let lines = sample.lines.len();
        (records > 0 && records * 2 >= lines / 2).then_some(crate::source::Claim::new(FileKind::ReportingEvents, 40))
    }

    fn kind_from_name(&self, lower_name: &str) -> Option<FileKind> {
        (lower_name == "reportingevents.log").then_some(FileKind::ReportingEvents)
    }

    fn read(&self, entry: &Entry) -> SourceFile {
        read(entry)
    }
}
