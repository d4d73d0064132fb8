//! The servicing stack's XML state: `Windows\servicing\Sessions\Sessions.xml` (every session CBS ran, long
//! after CBS.log rotated away) and the per-session `<id>.xml` files, and `Windows\WinSxS\pending.xml`
//! (operations queued for the next boot; `pending.xml.bad` is what a failed boot-time apply leaves). Session
//! times are `yyyy/MM/dd/HH:mm:ss` without a zone; they are taken as local and the offset is left unknown.
//! A parse error keeps what was read before it, with a `Damaged` warning.

use crate::event::{Action, Event, Level, Source, SourceFile};
use crate::text::kb_of;
use crate::text::xml::{Item, attr, walk_entry, walk_str};
use crate::time::CivilTime;
use patchdx_bundle::{Entry, FileKind, Warning};

use std::collections::BTreeMap;

/// One `<package>` of a session's `<Tasks>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionPackage {
    pub id: String,
    pub name: Option<String>,
    pub target_state: Option<String>,
    pub kb: Option<String>,
}

/// One `<Phase>` of a session's `<Actions>`: when each state was reached.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionPhase {
    pub seq: Option<u32>,
    pub reboot_required: bool,
    /// (`Resolved` / `Staged` / `Installed` / …, time), in the order written.
    pub states: Vec<(String, CivilTime)>,
    pub line: u64,
}

/// One `<Session>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServicingSession {
    pub id: String,
    pub client: Option<String>,
    pub status: Option<u32>,
    pub queued: Option<CivilTime>,
    pub started: Option<CivilTime>,
    pub complete: Option<CivilTime>,
    pub last_successful_state: Option<String>,
    pub current_phase: Option<String>,
    pub packages: Vec<SessionPackage>,
    pub phases: Vec<ActionPhase>,
    /// Line of the `<Session` tag.
    pub line: u64,
}

/// What pending.xml queues.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PendingSummary {
    pub version: Option<String>,
    pub wcp_version: Option<String>,
    pub identifier: Option<String>,
    /// Operation element name → count, over every `<POQ>`.
    pub operations: BTreeMap<String, u32>,
    pub reboot_required: bool,
    /// `<InstallerQueue Length="0x…">`.
    pub installers_queued: Option<u32>,
    /// `<Transaction>` / `<Install>` entries (Version 2.0 shape) and `<Change>` entries of the ChangeList.
    pub transactions: u32,
    pub changes: u32,
    /// The file is `pending.xml.bad`.
    pub bad: bool,
}

impl PendingSummary {
    pub fn operation_count(&self) -> u32 {
        self.operations.values().sum()
    }
}

/// Reads Sessions.xml, a per-session XML or pending.xml(.bad), by kind and content.
pub fn read(entry: &Entry) -> SourceFile {
    let name = entry.file_name().to_ascii_lowercase();
    if entry.kind == FileKind::PendingXml || name.starts_with("pending.xml") {
        read_pending(entry).0
    } else {
        read_sessions(entry).0
    }
}

/// Reads Sessions.xml or a per-session XML.
pub fn read_sessions(entry: &Entry) -> (SourceFile, Vec<ServicingSession>) {
    let mut sessions = Sessions::default();
    let mut warnings = Vec::new();
    walk_entry(entry, &mut warnings, |item, line| sessions.item(item, line));
    sessions.finish(&entry.path, warnings)
}

/// Parses Sessions XML already in memory.
pub fn parse_sessions(path: &str, text: &str) -> (SourceFile, Vec<ServicingSession>) {
    let mut sessions = Sessions::default();
    let warnings = walk_str(path, text, |item, line| sessions.item(item, line));
    sessions.finish(path, warnings.into_iter().collect())
}

/// Reads pending.xml or pending.xml.bad.
pub fn read_pending(entry: &Entry) -> (SourceFile, PendingSummary) {
    let mut pending = Pending::default();
    let mut warnings = Vec::new();
    walk_entry(entry, &mut warnings, |item, line| pending.item(item, line));
    pending.finish(&entry.path, entry.file_name(), warnings)
}

/// Parses pending.xml already in memory (`path` ending in `.bad` marks a failed boot-time apply).
pub fn parse_pending(path: &str, text: &str) -> (SourceFile, PendingSummary) {
    let mut pending = Pending::default();
    let warnings = walk_str(path, text, |item, line| pending.item(item, line));
    let name = path.rsplit(['/', '\\', '!']).next().unwrap_or(path);
    pending.finish(path, name, warnings.into_iter().collect())
}

#[derive(Default)]
struct Sessions {
    done: Vec<ServicingSession>,
    open: Option<ServicingSession>,
    /// Inside `<Tasks>` or `<Actions>`.
    section: Option<&'static str>,
}

impl Sessions {
    fn item(&mut self, item: Item<'_>, line: u64) {
        match item {
            Item::Start(name, attrs) => match name.as_str() {
                "Session" => {
                    if let Some(done) = self.open.take() {
                        self.done.push(done);
                    }
                    self.open = Some(ServicingSession {
                        id: attr(&attrs, "id").unwrap_or_default(),
                        client: attr(&attrs, "client"),
                        status: attr(&attrs, "status").and_then(|s| patchdx_codes::parse_code(&s)),
                        queued: attr(&attrs, "Queued").and_then(|t| session_time(&t)),
                        started: attr(&attrs, "Started").and_then(|t| session_time(&t)),
                        complete: attr(&attrs, "Complete").and_then(|t| session_time(&t)),
                        last_successful_state: attr(&attrs, "lastSuccessfulState"),
                        current_phase: attr(&attrs, "currentPhase"),
                        line,
                        ..ServicingSession::default()
                    });
                }
                "Tasks" => self.section = Some("Tasks"),
                "Actions" => self.section = Some("Actions"),
                "package" if self.section == Some("Tasks") => {
                    if let Some(session) = &mut self.open {
                        let id = attr(&attrs, "id").unwrap_or_default();
                        let name = attr(&attrs, "name");
                        let kb = kb_of(&id).or_else(|| name.as_deref().and_then(kb_of));
                        let target_state = attr(&attrs, "targetState");
                        session.packages.push(SessionPackage { id, name, target_state, kb });
                    }
                }
                "Phase" if self.section == Some("Actions") => {
                    if let Some(session) = &mut self.open {
                        let states = attrs.iter().filter_map(|(k, v)| Some((k.clone(), session_time(v)?))).collect();
                        session.phases.push(ActionPhase {
                            seq: attr(&attrs, "seq").and_then(|s| s.parse().ok()),
                            reboot_required: attr(&attrs, "rebootRequired").is_some_and(|v| v == "true"),
                            states,
                            line,
                        });
                    }
                }
                _ => {}
            },
            Item::End(name) if name == "Tasks" || name == "Actions" => self.section = None,
            Item::End(name) if name == "Session" => {
                if let Some(done) = self.open.take() {
                    self.done.push(done);
                }
            }
            _ => {}
        }
    }

    fn finish(mut self, path: &str, warnings: Vec<Warning>) -> (SourceFile, Vec<ServicingSession>) {
        // A session cut by a parse error is still evidence.
        if let Some(open) = self.open.take() {
            self.done.push(open);
        }
        let mut file = SourceFile::new(path, Source::SessionsXml);
        file.records = self.done.len() as u64;
        file.warnings.extend(warnings);
        for session in &self.done {
            session_events(&mut file, session);
        }
        file.compute_range();
        file.note = Some(match self.done.len() {
            0 => "no <Session> elements".to_string(),
            1 => "one servicing session; times have no zone (taken as local)".to_string(),
            n => format!("{n} servicing sessions; times have no zone (taken as local)"),
        });
        (file, self.done)
    }
}

fn session_events(file: &mut SourceFile, s: &ServicingSession) {
    let first = s.packages.first();
    let kb = s.packages.iter().find_map(|p| p.kb.clone());
    let client = s.client.clone().unwrap_or_else(|| "?".to_string());
    let packages: Vec<&str> = s.packages.iter().map(|p| p.name.as_deref().unwrap_or(&p.id)).collect();
    let target = first.and_then(|p| p.target_state.clone());
    let removing = !s.packages.is_empty() && s.packages.iter().all(|p| p.target_state.as_deref() == Some("Absent"));
    let base = |action, level, time: Option<CivilTime>, line, message: String| {
        let mut e = Event::new(Source::SessionsXml, &file.path, action, level, crate::text::clip(&message, 400));
        e.line = Some(line);
        e.local = time;
        e.kb = kb.clone();
        e.package = first.map(|p| p.id.clone());
        e.client = s.client.clone();
        e
    };
    let what = format!("{} → {}", packages.join(", "), target.as_deref().unwrap_or("?"));
    let start = s.started.or(s.queued);
    let started = format!("servicing session {} by {client}: {what}", s.id);
    file.events.push(base(Action::SessionStarted, Level::Info, start, s.line, started));
    for phase in &s.phases {
        for (state, time) in &phase.states {
            let text = format!("session {} phase {}: {state}", s.id, phase.seq.unwrap_or(0));
            let mut e = base(Action::StateChanged, Level::Info, Some(*time), phase.line, text);
            e.phase = Some(state.clone());
            file.events.push(e);
        }
        if phase.reboot_required {
            let at = phase.states.last().map(|(_, t)| *t).or(s.complete);
            let text = format!("session {} needs a reboot to finish (phase {})", s.id, phase.seq.unwrap_or(0));
            file.events.push(base(Action::RebootRequired, Level::Warning, at, phase.line, text));
        }
    }
    let end = s.complete.or(start);
    let states = format!(
        "last successful state {}, current phase {}",
        s.last_successful_state.as_deref().unwrap_or("?"),
        s.current_phase.as_deref().unwrap_or("?")
    );
    let (ok, fail) = if removing {
        (Action::UninstallSucceeded, Action::UninstallFailed)
    } else {
        (Action::InstallSucceeded, Action::InstallFailed)
    };
    let mut e = match s.status {
        Some(code) if patchdx_codes::is_failure(code) => {
            let text = format!("servicing session {} by {client} failed with 0x{code:08X}: {what} ({states})", s.id);
            base(fail, Level::Error, end, s.line, text)
        }
        Some(_) if s.complete.is_some() => {
            base(ok, Level::Info, end, s.line, format!("servicing session {} by {client} succeeded: {what}", s.id))
        }
        _ => {
            let text = format!("servicing session {} by {client} did not complete: {what} ({states})", s.id);
            base(Action::Warning, Level::Warning, end, s.line, text)
        }
    };
    e.code = s.status;
    e.phase = s.last_successful_state.clone();
    file.events.push(e);
}

/// `2022/09/09/15:57:41`.
fn session_time(text: &str) -> Option<CivilTime> {
    let mut parts = text.trim().split(['/', ':']).map(|p| p.parse::<u32>().ok());
    let mut next = || parts.next().flatten();
    let (y, mo, d, h, mi, s) = (next()?, next()?, next()?, next()?, next()?, next()?);
    CivilTime::from_parts(y as i32, mo, d, h, mi, s, 0)
}

#[derive(Default)]
struct Pending {
    summary: PendingSummary,
    line: Option<u64>,
    /// Depth inside a `<POQ>` (operations are its direct children).
    in_poq: u32,
    in_changes: bool,
    in_transactions: bool,
}

impl Pending {
    fn item(&mut self, item: Item<'_>, line: u64) {
        match item {
            Item::Start(name, attrs) => {
                if self.in_poq > 0 {
                    if self.in_poq == 1 {
                        *self.summary.operations.entry(name.clone()).or_default() += 1;
                    }
                    self.in_poq += 1;
                    return;
                }
                match name.as_str() {
                    "PendingTransaction" => {
                        self.line = Some(line);
                        self.summary.version = attr(&attrs, "Version");
                        self.summary.wcp_version = attr(&attrs, "WcpVersion");
                        self.summary.identifier = attr(&attrs, "Identifier");
                    }
                    "POQ" => {
                        self.in_poq = 1;
                        if attr(&attrs, "postAction").is_some_and(|a| a.eq_ignore_ascii_case("reboot")) {
                            self.summary.reboot_required = true;
                        }
                    }
                    "InstallerQueue" => {
                        self.summary.installers_queued = attr(&attrs, "Length").and_then(|l| parse_number(&l));
                    }
                    "Transactions" => self.in_transactions = true,
                    "ChangeList" => self.in_changes = true,
                    "Transaction" | "Install" | "Uninstall" if self.in_transactions => self.summary.transactions += 1,
                    "Change" if self.in_changes => self.summary.changes += 1,
                    _ => {}
                }
            }
            Item::End(name) => {
                if self.in_poq > 0 {
                    self.in_poq -= 1;
                } else if name == "Transactions" {
                    self.in_transactions = false;
                } else if name == "ChangeList" {
                    self.in_changes = false;
                }
            }
            Item::Text(_) => {}
        }
    }

    fn finish(mut self, path: &str, file_name: &str, warnings: Vec<Warning>) -> (SourceFile, PendingSummary) {
        let s = &mut self.summary;
        s.bad = file_name.to_ascii_lowercase().ends_with(".bad");
        let mut file = SourceFile::new(path, Source::PendingXml);
        file.warnings.extend(warnings);
        let line = self.line.unwrap_or(1);
        let ops: Vec<String> = s.operations.iter().map(|(k, v)| format!("{v} {k}")).collect();
        let mut text = format!(
            "pending.xml v{} (WcpVersion {}): {} queued operation(s){}",
            s.version.as_deref().unwrap_or("?"),
            s.wcp_version.as_deref().unwrap_or("?"),
            s.operation_count(),
            if ops.is_empty() { String::new() } else { format!(" ({})", ops.join(", ")) }
        );
        if let Some(n) = s.installers_queued {
            text.push_str(&format!(", {n} advanced installer(s) queued"));
        }
        if s.transactions + s.changes > 0 {
            text.push_str(&format!(", {} transaction entries, {} changes", s.transactions, s.changes));
        }
        text.push_str(if s.reboot_required { "; a reboot is needed to apply them" } else { "; no reboot requested" });
        let level = if s.reboot_required || s.operation_count() > 0 { Level::Warning } else { Level::Info };
        let mut event = Event::new(Source::PendingXml, path, Action::PendingOperations, level, text);
        event.line = Some(line);
        file.events.push(event);
        if s.bad {
            let text = "pending.xml.bad: a boot-time apply of pending servicing operations failed; Windows set the queue aside";
            let mut event = Event::new(Source::PendingXml, path, Action::Error, Level::Error, text);
            event.line = Some(line);
            file.events.push(event);
        }
        file.records = u64::from(s.operation_count());
        file.note = Some(if s.bad {
            "pending.xml.bad: left by a failed boot-time apply".to_string()
        } else {
            "pending operations queued for the next boot (no times in this file)".to_string()
        });
        (file, self.summary)
    }
}

fn parse_number(text: &str) -> Option<u32> {
    let t = text.trim();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => t.parse().ok(),
    }
}

/// Sessions.xml, per-session XML and pending.xml as an evidence source.
pub struct ServicingXmlSource;

impl crate::source::EvidenceSource for ServicingXmlSource {
    fn name(&self) -> &'static str {
        "servicing-xml"
    }

    fn kinds(&self) -> &'static [FileKind] {
        &[FileKind::SessionsXml, FileKind::PendingXml]
    }

    fn sources(&self) -> &'static [Source] {
        &[Source::SessionsXml, Source::PendingXml]
    }

    fn recognise(&self, sample: &crate::source::Sample) -> Option<crate::source::Claim> {
        let head = sample.xml_head()?;
        if head.contains("<PendingTransaction") {
            Some(crate::source::Claim::new(FileKind::PendingXml, 95))
        } else if head.contains("<Sessions") || head.contains("<Session ") {
            Some(crate::source::Claim::new(FileKind::SessionsXml, 94))
        } else {
            None
        }
    }

    fn read(&self, entry: &Entry) -> SourceFile {
        read(entry)
    }
}
