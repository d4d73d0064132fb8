//! SetupAPI's device-install log (`setupapi.dev.log`, also `setupapi.upgrade.log`/`setupapi.setup.log`): one
//! section per device or driver-package operation (`>>>  [title]`, `>>>  Section start …`, `<<<  [Exit status:
//! …]`), with its errors marked `!!!`. A feature update's first boot installs every device's driver here; the
//! section that never ends (the machine stopped during it) or that fails is what a driver rollback is about.

use crate::event::{Action, Event, Level, Source, SourceFile};
use crate::record::DeviceInstall;
use crate::text::{clip, for_each_line};
use crate::time::CivilTime;
use patchdx_bundle::{Entry, FileKind};

/// The longest message kept for an event.
const MESSAGE_CHARS: usize = 400;

/// A section being read.
struct Section {
    start_line: u64,
    start: Option<CivilTime>,
    /// The last time a line of the section stated (its date is the section's start date).
    last_time: Option<CivilTime>,
    last_step: Option<(u64, String)>,
    first_error: Option<(u64, String)>,
    install: DeviceInstall,
    /// Whether the driver node being read is the selected one.
    in_selected_node: bool,
}

/// `2021/05/18 05:09:22.337` (SetupAPI's own date form) at the start of `text`.
fn slash_time(text: &str) -> Option<CivilTime> {
    let b = text.trim().as_bytes();
    if b.len() < 19 || b[4] != b'/' || b[7] != b'/' || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| std::str::from_utf8(b.get(r)?).ok()?.parse::<u32>().ok();
    let milli = match (b.get(19), b.get(20..23)) {
        (Some(b'.'), Some(_)) => num(20..23)?,
        _ => 0,
    };
    CivilTime::from_parts(num(0..4)? as i32, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?, milli)
}

/// The `hh:mm:ss.mmm` a step line ends with, on the day of `day`.
fn trailing_clock(line: &str, day: CivilTime) -> Option<CivilTime> {
    let clock = line.trim_end().rsplit(' ').next()?;
    let b = clock.as_bytes();
    if b.len() != 12 || b[2] != b':' || b[5] != b':' || b[8] != b'.' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| std::str::from_utf8(b.get(r)?).ok()?.parse::<i64>().ok();
    let (h, m, s, ms) = (num(0..2)?, num(3..5)?, num(6..8)?, num(9..12)?);
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    let midnight = day.millis() - day.millis().rem_euclid(86_400_000);
    let mut at = midnight + ((h * 60 + m) * 60 + s) * 1000 + ms;
    // A section that runs past midnight: a clock earlier than the day's start is the next day.
    if at < day.millis() - 3_600_000 {
        at += 86_400_000;
    }
    Some(CivilTime::from_millis(at))
}

/// A SetupAPI error code as an HRESULT: `0xE0000219` (SetupAPI's own form) is `0x800F0219`; a small value is a
/// Win32 error.
pub fn hresult_of(raw: u32) -> u32 {
    patchdx_codes::win32_to_hresult_if_small(patchdx_codes::setupapi_to_hresult(raw))
}

/// The code a `!!!` line or an exit status states: `Error 0xe0000247:`, `Error = 0xE0000247`, `HRESULT =
/// 0x800f0207`, `exit(0xe0000248)`, `FAILURE(0xe0000219)`.
fn code_in(text: &str) -> Option<u32> {
    let lower = text.to_ascii_lowercase();
    let at = ["failure(", "error 0x", "error = 0x", "hresult = 0x", "exit(0x", "exit (0x", "error: 0x"]
        .iter()
        .find_map(|marker| lower.find(marker).map(|i| i + marker.len() - usize::from(marker.ends_with("0x")) * 2))?;
    let hex = lower[at..].trim_start_matches("0x");
    let digits: String = hex.chars().take_while(char::is_ascii_hexdigit).collect();
    u32::from_str_radix(&digits, 16).ok().filter(|&c| c != 0).map(hresult_of)
}

/// The device instance id or driver package a section title names after ` - `.
fn subject_of(title: &str) -> Option<String> {
    title.split_once(" - ").map(|(_, subject)| subject.trim().to_string()).filter(|s| !s.is_empty())
}

impl Section {
    fn new(line: u64, title: &str) -> Self {
        let install = DeviceInstall {
            operation: title.split(" - ").next().unwrap_or(title).trim().to_string(),
            device: subject_of(title),
            ..DeviceInstall::default()
        };
        Section {
            start_line: line,
            start: None,
            last_time: None,
            last_step: None,
            first_error: None,
            install,
            in_selected_node: false,
        }
    }

    /// A line inside the section: steps, errors, the selected driver.
    fn take(&mut self, number: u64, line: &str) {
        let body = line.trim_start();
        if let Some(day) = self.start
            && let Some(at) = trailing_clock(line, day)
        {
            self.last_time = Some(at);
        }
        if body.starts_with("!!!") {
            if self.first_error.is_none() {
                let text = body.trim_start_matches('!').split_whitespace().collect::<Vec<_>>().join(" ");
                self.first_error = Some((number, text));
            }
            return;
        }
        let text = body.split_once(": ").map_or(body, |(_, rest)| rest).trim();
        if let Some(status) = text.strip_prefix("Status         - ") {
            self.in_selected_node = status.starts_with("Selected");
        } else if self.in_selected_node
            && let Some(inf) = text.strip_prefix("Driver INF     - ")
        {
            self.install.driver_inf = Some(inf.to_string());
        } else if self.in_selected_node
            && let Some(version) = text.strip_prefix("Driver Version - ")
        {
            self.install.driver_version = Some(version.to_string());
        } else if let Some(name) = text.strip_prefix("{Configure Driver: ")
            && !name.starts_with("exit(")
        {
            self.install.driver_name = Some(name.trim_end_matches('}').to_string());
        }
        // Binary bytes where the file was cut when the machine stopped are no step.
        if text.chars().any(|c| c.is_control() && c != '\t' || c == '\u{fffd}') {
            return;
        }
        // `<ins>` marks where SetupAPI would have inserted the section's next lines: not a step.
        if !text.is_empty()
            && text != "<ins>"
            && !text.starts_with('{')
            && !text.contains(" - ")
            && !text.contains(" = ")
        {
            let step = match text.rsplit_once(' ') {
                Some((before, clock)) if self.start.is_some_and(|d| trailing_clock(clock, d).is_some()) => before,
                _ => text,
            };
            self.last_step = Some((number, step.to_string()));
        }
    }

    /// The section's event: its end (`exit` = the exit status line) or, when it never ended, its last step.
    fn finish(mut self, path: &str, exit: Option<(u64, &str, Option<CivilTime>)>) -> Option<Event> {
        let (line, status, end) = match exit {
            Some((line, status, end)) => (line, Some(status), end),
            None => (self.last_step.as_ref().map_or(self.start_line, |(l, _)| *l), None, None),
        };
        let code = status.and_then(code_in);
        let failed = status.is_some_and(|s| s.starts_with("FAILURE"));
        self.install.finished = status.is_some();
        self.install.first_error = self.first_error.clone();
        self.install.last_step = self.last_step.clone();
        self.install.waiting =
            !self.install.finished && self.last_step.as_ref().is_some_and(|(_, s)| s.starts_with("Waiting for"));
        let subject = self.install.device.as_deref().map(|d| format!(" {d}")).unwrap_or_default();
        let driver = self.install.driver_label().map(|d| format!(" with {d}")).unwrap_or_default();
        let (action, level, what) = match (status, failed) {
            (None, _) => {
                let step = self.last_step.as_ref().map_or(String::new(), |(_, s)| format!("; last step: {s}"));
                match self.install.waiting {
                    // Queued behind another install: a consequence of that one, not an error of its own.
                    true => (
                        Action::Note,
                        Level::Warning,
                        format!("never started: it was waiting for another install{step}"),
                    ),
                    false => (Action::Error, Level::Error, format!("never finished (no exit status){step}")),
                }
            }
            (Some(_), true) => {
                let error = self.first_error.as_ref().map_or(String::new(), |(_, e)| format!(": {e}"));
                (Action::Error, Level::Error, format!("failed{error}"))
            }
            (Some(s), false) => (Action::Note, Level::Info, format!("finished: {}", s.trim_end_matches(']'))),
        };
        let mut event = Event::new(
            Source::SetupApi,
            path,
            action,
            level,
            clip(&format!("{}{subject}{driver}: {what}", self.install.operation), MESSAGE_CHARS),
        );
        event.line = Some(line);
        event.local = end.or(self.last_time).or(self.start);
        event.code = code;
        event.client = self.install.device.clone();
        event.phase = Some(self.install.operation.clone());
        event.facts.record =
            crate::event::Record::Of(Box::new(crate::event::SourceRecord::DeviceInstall(Box::new(self.install))));
        Some(event)
    }
}

/// Reads one device-install log.
pub fn read(entry: &Entry) -> SourceFile {
    let mut file = SourceFile::new(&entry.path, Source::SetupApi);
    let path = entry.path.clone();
    let mut open: Option<Section> = None;
    let mut sections = 0u64;
    let mut unfinished = 0u64;
    let mut binary: Option<(u64, u64)> = None;
    let events = &mut file.events;
    file.records = for_each_line(entry, &mut file.warnings, |number, raw| {
        let line = raw.trim_start_matches('\u{feff}');
        if line.contains('\0') || line.contains('\u{fffd}') {
            let (first, count) = binary.get_or_insert((number, 0));
            let _ = first;
            *count += 1;
        }
        let trimmed = line.trim();
        if let Some(title) = trimmed.strip_prefix(">>>  [").or_else(|| trimmed.strip_prefix(">>> [")) {
            let title = title.trim_end_matches(']');
            if let Some(previous) = open.take() {
                unfinished += 1;
                events.extend(previous.finish(&path, None));
            }
            sections += 1;
            open = Some(Section::new(number, title));
        } else if let Some(rest) =
            trimmed.strip_prefix(">>>  Section start").or_else(|| trimmed.strip_prefix(">>> Section start"))
        {
            if let Some(section) = open.as_mut() {
                section.start = slash_time(rest);
                section.last_time = section.start;
            }
        } else if let Some(rest) =
            trimmed.strip_prefix("<<<  Section end").or_else(|| trimmed.strip_prefix("<<< Section end"))
        {
            if let Some(section) = open.as_mut()
                && let Some(end) = slash_time(rest)
            {
                section.last_time = Some(end);
            }
        } else if let Some(status) =
            trimmed.strip_prefix("<<<  [Exit status: ").or_else(|| trimmed.strip_prefix("<<< [Exit status: "))
        {
            if let Some(section) = open.take() {
                let end = section.last_time;
                events.extend(section.finish(&path, Some((number, status, end))));
            }
        } else if let Some(boot) = trimmed.strip_prefix("[Boot Session: ") {
            let mut event = Event::new(Source::SetupApi, &path, Action::Boot, Level::Info, "boot session started");
            event.line = Some(number);
            event.local = slash_time(boot);
            events.push(event);
        } else if let Some(section) = open.as_mut() {
            section.take(number, line);
        }
    });
    if let Some(section) = open.take() {
        unfinished += 1;
        file.events.extend(section.finish(&path, None));
    }
    let failed = file.events.iter().filter(|e| e.level == Level::Error && e.code.is_some()).count();
    let waiting = file.events.iter().filter(|e| e.level == Level::Warning).count() as u64;
    file.note = Some(format!(
        "{sections} device install section(s): {failed} failed, {} never finished (the log ends or the machine stopped during them), {waiting} waiting behind them",
        unfinished - waiting
    ));
    if let Some((first, count)) = binary {
        file.warnings.push(patchdx_bundle::Warning {
            path: entry.path.clone(),
            severity: patchdx_bundle::Severity::Notice,
            message: format!(
                "{count} line(s) of binary bytes from line {first}: the log was cut while it was written (the machine stopped or the file was copied then); the text before it is read"
            ),
        });
    }
    file.compute_range();
    file
}

/// SetupAPI's device-install logs.
pub struct SetupApiSource;

impl crate::source::EvidenceSource for SetupApiSource {
    fn name(&self) -> &'static str {
        "setupapi"
    }

    fn kinds(&self) -> &'static [FileKind] {
        &[FileKind::SetupApiLog]
    }

    fn sources(&self) -> &'static [Source] {
        &[Source::SetupApi]
    }

    fn recognise(&self, sample: &crate::source::Sample) -> Option<crate::source::Claim> {
        if sample.text.starts_with("[Device Install Log]") {
            return Some(crate::source::Claim::new(FileKind::SetupApiLog, 95));
        }
        let starts = sample.count_plain(|l| l.trim_start().starts_with(">>>  Section start"));
        let titles = sample.count_plain(|l| l.trim_start().starts_with(">>>  ["));
        (starts > 0 && titles >= starts).then_some(crate::source::Claim::new(FileKind::SetupApiLog, 70))
    }

    fn kind_from_name(&self, lower_name: &str) -> Option<FileKind> {
        (lower_name.starts_with("setupapi.") && lower_name.ends_with(".log")).then_some(FileKind::SetupApiLog)
    }

    fn read(&self, entry: &Entry) -> SourceFile {
        read(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_in_every_setupapi_spelling_become_hresults() {
        assert_eq!(code_in("FAILURE(0xe0000219)]"), Some(0x800F_0219));
        assert_eq!(code_in("!!!  inf:      Error 0xe0000247: A problem was encountered"), Some(0x800F_0247));
        assert_eq!(
            code_in("!!!  sto:  Failed to import driver package into Driver Store. Error = 0xE0000247"),
            Some(0x800F_0247)
        );
        assert_eq!(code_in("!!! set: Could not create … HRESULT = 0x800f0207"), Some(0x800F_0207));
        assert_eq!(code_in("FAILURE(0x00000207)]"), Some(0x8007_0207));
        assert_eq!(code_in("SUCCESS (REBOOT_REQUIRED)]"), None);
    }

    #[test]
    fn step_clocks_take_the_sections_day_and_roll_past_midnight() {
        let day = slash_time("2021/05/18 23:59:58.100").expect("start");
        let next = trailing_clock("     dvi: {Core Device Install} 00:00:01.493", day).expect("clock");
        assert_eq!(next.to_string(), "2021-05-19 00:00:01.493");
        assert!(trailing_clock("     utl:           Driver Rank    - 00FF2001", day).is_none());
    }
}
