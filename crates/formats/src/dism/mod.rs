//! DISM.log (dism.log, dism.log.bak, DismHost logs): the Dism.exe and DismApi sessions, what each command did
//! and the one failure that decided it, with DISM's routine provider noise counted instead of reported.

use crate::event::{Action, Event, Level, OffsetInference, Source, SourceFile};
use crate::hresult::primary_code;
use crate::text::prefix::{self, Level as LineLevel, Prefix};
use crate::text::{kb_of, package_identity};
use crate::time::CivilTime;
use patchdx_bundle::{Entry, FileKind, Severity, Warning};
use std::collections::BTreeSet;

mod command;
use command::{Kind, api_kind, describe_command, failed_action, succeeded_action, switches};

const MAX_MESSAGE: usize = 400;

fn pid_of(message: &str) -> Option<u32> {
    let at = message.find("PID=")?;
    let digits: String = message[at + 4..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The failure code of a line: `hr:0x…` and friends, else DISM.EXE's bare `HRESULT=C1570118`.
fn failure_code(message: &str) -> Option<u32> {
    let code = primary_code(message).map(|c| c.value).or_else(|| {
        let rest = &message[message.find("HRESULT=")? + 8..];
        let token: String = rest.chars().take_while(|c| c.is_ascii_hexdigit() || *c == 'x' || *c == 'X').collect();
        patchdx_codes::parse_code(&token)
    })?;
    patchdx_codes::is_failure(code).then_some(code)
}

/// The code of a result-logging line of the Windows Implementation Library, which DISM's Appx provider writes
/// with the code bare (`… ReturnHr(1) tid(1e5c) C1570118     Msg:[Failed while adding package … since an equal
/// or higher version of the package … already exists]`). Only `ReturnHr` lines are read: a `LogHr` line logs a
/// code its caller handled.
fn returned_code(message: &str) -> Option<u32> {
    let rest = &message[message.find(") ReturnHr(")?..];
    let rest = &rest[rest.find(" tid(")?..];
    let token = rest[rest.find(") ")? + 2..].split_whitespace().next()?;
    let value = (token.len() == 8).then(|| u32::from_str_radix(token, 16).ok()).flatten()?;
    patchdx_codes::is_failure(value).then_some(value)
}

/// One Dism.exe or DismApi session as it unfolds.
#[derive(Default)]
struct Session {
    api: bool,
    pid: Option<u32>,
    start_line: u64,
    start_time: Option<CivilTime>,
    start_text: String,
    /// Index of its SessionStarted event once emitted (Dism.exe's waits for the command line).
    started: Option<usize>,
    command: Option<String>,
    verb: Option<String>,
    kind: Option<Kind>,
    target: Option<String>,
    kb: Option<String>,
    failed: bool,
    first_code: Option<u32>,
    final_code: Option<u32>,
    /// The program that started a DismApi session, as its `Parent process command line:` names it.
    caller: Option<String>,
    /// Whether a result-logging line of its was kept (only the first is: the rest unwind the same failure).
    returned: bool,
    /// Past "Image session has been closed" (its SessionEnded is out) but before the Ending banner.
    closed: bool,
}

impl Session {
    fn new(api: bool, pid: Option<u32>, line: &Line) -> Self {
        let start_text = crate::text::clip(line.text.trim_end(), MAX_MESSAGE);
        Session { api, pid, start_line: line.number, start_time: Some(line.time), start_text, ..Session::default() }
    }

    fn client(&self) -> String {
        match (&self.command, self.api) {
            (_, true) => "DismApi".to_string(),
            (Some(command), false) => command.clone(),
            (None, false) => "dism.exe".to_string(),
        }
    }

    /// Copies the session's command, verb and target onto an event.
    fn stamp(&self, mut event: Event) -> Event {
        event.client = Some(self.client());
        event.phase = self.verb.clone();
        event.package = event.package.or_else(|| self.target.clone());
        event.kb = event.kb.or_else(|| self.kb.clone());
        if let Some(caller) = &self.caller {
            event.facts.record = dism_record(caller);
        }
        event
    }

    /// Emits SessionStarted if it has not been: at the start line, with whatever command is known by now.
    fn ensure_started(&mut self, events: &mut Vec<Event>, path: &str) {
        if self.started.is_some() {
            return;
        }
        let mut message = self.start_text.clone();
        if let Some(pid) = self.pid.filter(|_| !message.contains("PID=")) {
            message.push_str(&format!(" (PID={pid})"));
        }
        let event = new_event(path, Action::SessionStarted, Level::Info, self.start_line, self.start_time, message);
        self.started = Some(events.len());
        events.push(self.stamp(event));
    }
}

fn new_event(path: &str, action: Action, level: Level, line: u64, time: Option<CivilTime>, text: String) -> Event {
    let mut event = Event::new(Source::Dism, path, action, level, text);
    event.line = Some(line);
    event.local = time;
    event
}

/// An event quoting the line.
fn line_event(path: &str, action: Action, level: Level, line: &Line) -> Event {
    new_event(path, action, level, line.number, Some(line.time), crate::text::clip(line.text.trim_end(), MAX_MESSAGE))
}

/// Where a line is in the file, and what it says.
struct Line<'a> {
    number: u64,
    time: CivilTime,
    text: &'a str,
    prefix: Prefix<'a>,
}

#[derive(Default)]
struct Reader {
    path: String,
    lines: u64,
    first: Option<CivilTime>,
    last: Option<CivilTime>,
    events: Vec<Event>,
    exe: Option<Session>,
    api: Vec<Session>,
    /// PID of the latest line that named one: Dism.exe's own lines carry none, the DISM Manager lines above do.
    last_pid: Option<u32>,
    exe_sessions: u64,
    api_sessions: u64,
    unended: u64,
    provider_loads: u64,
    provider_codes: BTreeSet<u32>,
    routine: u64,
    folded: u64,
    cut_lines: Vec<(u64, u64)>,
    identity: crate::identity::Identity,
}

impl Reader {
    fn chunk(&mut self, text: &[u8], cut: &[(usize, u64)]) {
        for &(offset, len) in cut {
            let before = text.get(..offset).unwrap_or(text);
            self.cut_lines.push((self.lines + 1 + bytecount::count(before, b'\n') as u64, len));
        }
        if text.is_empty() {
            return;
        }
        let body = text.strip_suffix(b"\n").unwrap_or(text);
        for raw in body.split(|b| *b == b'\n') {
            self.lines += 1;
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            let decoded = String::from_utf8_lossy(raw);
            let text = decoded.strip_prefix('\u{feff}').unwrap_or(&decoded);
            if let Some(prefix) = prefix::parse(text) {
                let line = Line { number: self.lines, time: prefix.time, text, prefix };
                self.first = Some(self.first.map_or(line.time, |t| t.min(line.time)));
                self.last = Some(self.last.map_or(line.time, |t| t.max(line.time)));
                self.stamped_line(&line);
            }
        }
    }

    fn stamped_line(&mut self, line: &Line) {
        let message = line.prefix.message;
        if line.prefix.component != "DISM" {
            // CSI shims, CONX driver-map timings and setup's EnumeratePathEx probes: in the file, not in the outcome.
            if line.prefix.level == LineLevel::Error {
                self.routine += 1;
            }
            return;
        }
        let pid = pid_of(message);
        if let Some(rest) = message.strip_prefix("DISM.EXE:") {
            self.exe_line(line, rest.trim());
            return;
        }
        if message.starts_with("API:") && message.contains("DismApi.dll:") {
            self.api_marker(line, pid);
        }
        if message.contains("Failed to load the provider") || message.contains("Failed to Load the provider") {
            // Optional providers (SiloedPackage, MetaDeploy, PE…) are absent on most images; every session logs them.
            self.provider_loads += 1;
            if let Some(code) = failure_code(message) {
                self.provider_codes.insert(code);
            }
            return;
        }
        if pid.is_some() && !message.starts_with("API:") {
            self.last_pid = pid;
        }
        if line.prefix.level != LineLevel::Error {
            return;
        }
        let Some(code) = failure_code(message) else {
            if let Some(code) = returned_code(message) {
                self.returned(line, code, pid);
            }
            return;
        };
        if message.contains("Error, file not found") && message.contains("OpenPackageByFile") {
            // Driver-info queries for oemNN.inf names that were since removed from the store.
            self.routine += 1;
            return;
        }
        self.failure(line, Some(code), pid, false);
    }

    fn api_marker(&mut self, line: &Line, pid: Option<u32>) {
        let message = line.prefix.message;
        if message.contains("<----- Starting DismApi.dll session") {
            self.api_sessions += 1;
            if let Some(i) = self.api.iter().position(|s| s.pid == pid) {
                self.api.remove(i);
                self.unended += 1;
            }
            let mut session = Session::new(true, pid, line);
            session.ensure_started(&mut self.events, &self.path);
            self.api.push(session);
        } else if let Some(parent) = message.split("Parent process command line:").nth(1) {
            let parent = parent.rsplit_once(" - ").map_or(parent, |(p, _)| p).trim();
            let Some(session) = self.api.iter_mut().find(|s| s.pid == pid) else { return };
            if let Some(event) = session.started.and_then(|i| self.events.get_mut(i)) {
                // Who called the API (cleanmgr, CompatTelRunner, Setup…) is the useful part of an API session.
                event.message =
                    crate::text::clip(&format!("{} [parent process: {parent}]", event.message), MAX_MESSAGE * 2);
                event.facts.record = dism_record(parent);
            }
            // Its own line too: it is what says a session's errors are a maintenance task's, not an update's.
            session.caller = Some(parent.to_string());
            let event = line_event(&self.path, Action::Note, Level::Info, line);
            self.events.push(session.stamp(event));
        } else if message.contains("<----- Ending DismApi.dll session") {
            let mut session = self.api.iter().position(|s| s.pid == pid).map(|i| self.api.remove(i));
            self.session_ended(line, session.as_mut());
        }
    }

    /// A line of Dism.exe itself: its session banners, command line, outcome and error lines.
    fn exe_line(&mut self, line: &Line, rest: &str) {
        if let Some(host) = rest.strip_prefix("Host machine information: OS Version=") {
            // The machine DISM runs on (the target image of /Image may be another build).
            self.identity.add_build_of(host.split(',').next().unwrap_or(host), line.number, None);
        }
        if rest.contains("<----- Starting Dism.exe session") {
            self.exe_sessions += 1;
            if self.exe.take().is_some_and(|s| !s.closed) {
                self.unended += 1;
            }
            self.exe = Some(Session::new(false, self.last_pid, line));
        } else if let Some(command) =
            rest.strip_prefix("Executing command line:").or_else(|| rest.strip_prefix("Command line:"))
        {
            self.exe_command(line, command);
        } else if rest.starts_with("Image session has been closed") {
            self.exe_image_closed(line, rest);
        } else if rest.contains("<----- Ending Dism.exe session") {
            match self.exe.take() {
                Some(session) if session.closed => {}
                Some(mut session) => self.session_ended(line, Some(&mut session)),
                None => self.session_ended(line, None),
            }
        } else if line.prefix.level == LineLevel::Error {
            if let (Some(session), Some(command)) =
                (self.exe.as_mut(), rest.strip_prefix("Failed validating command line:"))
            {
                set_command(session, command);
            }
            // DISM.EXE's own error lines are the command's final word ("processed the command line but failed").
            let code = failure_code(rest);
            if let Some(session) = self.exe.as_mut() {
                session.final_code = session.final_code.or(code);
            }
            self.failure(line, code, None, true);
        }
    }

    /// Dism.exe's command line: it starts the session's event and names a repair source, if any.
    fn exe_command(&mut self, line: &Line, command: &str) {
        let session = self.exe.get_or_insert_with(|| Session::new(false, self.last_pid, line));
        if session.started.is_none() {
            // The command line, not the banner, is what a reader wants to see as the start of the session.
            *session = Session::new(false, session.pid, line);
        }
        set_command(session, command);
        session.ensure_started(&mut self.events, &self.path);
        let options: Vec<String> = switches(command)
            .filter(|(name, _)| name.eq_ignore_ascii_case("Source") || name.eq_ignore_ascii_case("LimitAccess"))
            .map(|(name, value)| value.map_or(format!("/{name}"), |v| format!("/{name}:{v}")))
            .collect();
        if !options.is_empty() {
            let message = format!("repair source options: {}", options.join(" "));
            let event = new_event(&self.path, Action::Note, Level::Info, line.number, Some(line.time), message);
            self.events.push(session.stamp(event));
        }
    }

    /// `Image session has been closed`: the command's outcome (and reboot request) is known; the session ends.
    fn exe_image_closed(&mut self, line: &Line, rest: &str) {
        let Some(mut session) = self.exe.take().filter(|s| !s.closed) else {
            self.session_ended(line, None);
            return;
        };
        session.ensure_started(&mut self.events, &self.path);
        if !session.failed
            && let Some(kind) = session.kind
        {
            let event = line_event(&self.path, succeeded_action(kind), Level::Info, line);
            self.events.push(session.stamp(event));
        }
        session.final_code = session.final_code.or(failure_code(rest));
        self.session_ended(line, Some(&mut session));
        if rest.contains("Reboot required=yes") {
            let event = line_event(&self.path, Action::RebootRequired, Level::Info, line);
            self.events.push(session.stamp(event));
        }
        // Kept until its Ending banner, so that lines in between are still pinned on this command.
        session.closed = true;
        self.exe = Some(session);
    }

    /// A failure line: the first of a session becomes its failure event; later ones are the same failure unwinding.
    /// Provider lines carry the PID of a DismHost child, so a line whose PID is no API session's belongs to the
    /// running Dism.exe command, else to the latest API session.
    fn failure(&mut self, line: &Line, code: Option<u32>, pid: Option<u32>, from_exe: bool) {
        let by_pid = self.api.iter().rposition(|s| pid.is_some() && s.pid == pid).filter(|_| !from_exe);
        let session = match (by_pid, self.exe.as_mut().filter(|s| !s.closed)) {
            (Some(i), _) => self.api.get_mut(i),
            (None, Some(exe)) => Some(exe),
            (None, None) if from_exe => None,
            (None, None) => self.api.last_mut(),
        };
        let mut event = line_event(&self.path, Action::Error, Level::Error, line);
        event.code = code;
        event.package = package_identity(line.prefix.message).map(str::to_string);
        event.kb = kb_of(line.prefix.message);
        match session {
            Some(session) if session.failed => self.folded += 1,
            Some(session) => {
                session.ensure_started(&mut self.events, &self.path);
                session.failed = true;
                session.first_code = code;
                let kind = if session.api { api_kind(line.prefix.message) } else { session.kind };
                event.action = failed_action(kind);
                self.events.push(session.stamp(event));
            }
            None => {
                event.action = failed_action(api_kind(line.prefix.message));
                self.events.push(event);
            }
        }
    }

    /// A result-logging line that returns a failure code up the stack (`ReturnHr(1) … C1570118 Msg:[…]`): kept as
    /// an error record of its session, whole (its message, which says what went wrong, comes last), but not as
    /// the session's failure: the provider's own `Failed to …(hr:…)` line that follows is that.
    fn returned(&mut self, line: &Line, code: u32, pid: Option<u32>) {
        let by_pid = self.api.iter().position(|s| pid.is_some() && s.pid == pid);
        let session = match (by_pid, self.exe.as_mut().filter(|s| !s.closed)) {
            (Some(i), _) => self.api.get_mut(i),
            (None, Some(exe)) => Some(exe),
            (None, None) => self.api.last_mut(),
        };
        let mut event = line_event(&self.path, Action::Error, Level::Error, line);
        event.message = crate::text::clip(line.text.trim_end(), MAX_MESSAGE * 2);
        event.code = Some(code);
        match session {
            Some(session) if session.returned || session.failed => self.folded += 1,
            Some(session) => {
                session.returned = true;
                self.events.push(session.stamp(event));
            }
            None => self.events.push(event),
        }
    }

    fn session_ended(&mut self, line: &Line, session: Option<&mut Session>) {
        let mut event = line_event(&self.path, Action::SessionEnded, Level::Info, line);
        if let Some(session) = session {
            session.ensure_started(&mut self.events, &self.path);
            if session.failed {
                event.level = Level::Error;
                event.code = session.final_code.or(session.first_code);
            }
            event = session.stamp(event);
        }
        self.events.push(event);
    }

    fn finish(mut self, file: &mut SourceFile) {
        let open: Vec<Session> = self.exe.take().filter(|s| !s.closed).into_iter().chain(self.api.drain(..)).collect();
        self.unended += open.len() as u64;
        for mut session in open {
            session.ensure_started(&mut self.events, &self.path);
        }
        file.records = self.lines;
        file.first_local = self.first;
        file.last_local = self.last;
        for (line, len) in &self.cut_lines {
            let message = format!("line {line} is {len} bytes long; only its first 64 KiB were read");
            file.warnings.push(warning(&self.path, Severity::Damaged, message));
        }
        let mut parts = vec![format!("{} Dism.exe and {} DismApi sessions", self.exe_sessions, self.api_sessions)];
        if self.first.is_none() {
            parts = vec!["no DISM-stamped lines found".to_string()];
        }
        if self.unended > 0 {
            parts.push(format!("{} sessions without an end line", self.unended));
        }
        if self.provider_loads > 0 {
            let codes: Vec<String> = self.provider_codes.iter().map(|c| format!("0x{c:08x}")).collect();
            parts.push(format!(
                "{} provider-load failures ({}) ignored as noise",
                self.provider_loads,
                codes.join(", ")
            ));
        }
        if self.routine > 0 {
            parts.push(format!("{} routine error lines (driver-store lookups, non-DISM probes) ignored", self.routine));
        }
        if self.folded > 0 {
            parts.push(format!("{} follow-on error lines folded into their session's first failure", self.folded));
        }
        file.note = Some(parts.join("; "));
        file.events = self.events;
        file.identity = self.identity;
    }
}

/// The record that names the program behind a DismApi session.
fn dism_record(caller: &str) -> crate::event::Record {
    crate::event::Record::Of(Box::new(crate::event::SourceRecord::Dism(crate::record::DismRecord {
        caller: Some(caller.to_string()),
    })))
}

fn set_command(session: &mut Session, command: &str) {
    let command = command.trim();
    let (verb, kind, target) = describe_command(command);
    session.kb = kb_of(command);
    session.command = Some(command.to_string());
    session.verb = verb;
    session.kind = kind;
    session.target = target;
}

fn warning(path: &str, severity: Severity, message: String) -> Warning {
    Warning { path: path.to_string(), severity, message }
}

/// Reads one DISM log into events. Never fails: an unreadable file yields an empty result with a warning.
pub fn read(entry: &Entry) -> SourceFile {
    let mut file = SourceFile::new(&entry.path, Source::Dism);
    file.offset = OffsetInference {
        method: "unknown: DISM.log stamps are local wall-clock time and the log states no zone".to_string(),
        ..OffsetInference::unknown()
    };
    file.warnings.extend(entry.shape_warning());
    let mut reader = Reader { path: entry.path.clone(), ..Reader::default() };
    match entry.chunks() {
        Ok(mut chunks) => loop {
            match chunks.next_chunk() {
                Ok(Some(chunk)) => reader.chunk(chunk.text(), &chunk.cut_lines),
                Ok(None) => break,
                Err(err) => {
                    let message = format!("read failed after line {} ({err}); the rest is not analysed", reader.lines);
                    file.warnings.push(warning(&entry.path, Severity::Damaged, message));
                    break;
                }
            }
        },
        Err(err) => {
            file.warnings.push(warning(&entry.path, Severity::Unreadable, format!("cannot open: {err}")));
            file.note = Some("unreadable".to_string());
            return file;
        }
    }
    reader.finish(&mut file);
    file
}

/// The component DISM writes its own lines under.
pub const COMPONENT: &str = "DISM";

/// dism.log as an evidence source.
pub struct DismSource;

impl crate::source::EvidenceSource for DismSource {
    fn name(&self) -> &'static str {
        "dism"
    }

    fn kinds(&self) -> &'static [FileKind] {
        &[FileKind::Dism]
    }

    fn sources(&self) -> &'static [Source] {
        &[Source::Dism]
    }

    fn recognise(&self, sample: &crate::source::Sample) -> Option<crate::source::Claim> {
        let dism = sample.count_prefixed(|c, _| c == COMPONENT);
        let panther = sample.count_prefixed(|c, _| crate::panther::is_component(c));
        (dism > 0 && dism >= panther).then_some(crate::source::Claim::new(FileKind::Dism, 60))
    }

    fn kind_from_name(&self, lower_name: &str) -> Option<FileKind> {
        lower_name.starts_with("dism.log").then_some(FileKind::Dism)
    }

    fn read(&self, entry: &Entry) -> SourceFile {
        read(entry)
    }
}
