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

/// Maps the agent's event to an action: by its name when written, else by its number, else by the
/// operation and Success/Failure columns (names are what the agent defines; numbers are what old logs keep).
fn action_for(number: u32, name: &str, operation: &str, failure: bool) -> Action {
    let by_name = |name: &str| -> Option<Action> {
        let ends = |s: &str| name.ends_with(s);
        if name.contains("REBOOT") {
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
        } else if ends("FAILED") || ends("KILLED") {
            failed
        } else if ends("CANCELED") || ends("CANCEL") || ends("SUSPENDED") {
            Action::Warning
        } else {
            Action::Note
        })
    };
    if let Some(action) = by_name(name) {
        return action;
    }
    let known = match number {
        147 => Some(Action::ScanSucceeded),
        148 => Some(Action::ScanFailed),
        161 => Some(Action::DownloadFailed),
        162 => Some(Action::DownloadSucceeded),
        163 => Some(Action::Warning),
        167 => Some(Action::DownloadStarted),
        181 => Some(Action::InstallStarted),
        182 => Some(Action::InstallFailed),
        183 => Some(Action::InstallSucceeded),
        _ => None,
    };
    if let Some(action) = known.filter(|_| name.is_empty()) {
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
