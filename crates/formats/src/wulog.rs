//! Reads WindowsUpdate.log in its three dialects (Windows 7/8 tab-separated text, Get-WindowsUpdateLog
//! output with slash or dash dates) and keeps what matters for a diagnosis: scans, downloads, installs and
//! their results per update, reboot requests and the agent's `*FAILED*` traces.

use crate::event::{Action, Confidence, Event, Level, OffsetInference, Source, SourceFile};
use crate::hresult::primary_code;
use crate::reporting::record_event;
use crate::text::kb_of;
use crate::text::{bare_guid, for_each_line as each_line};
use crate::time::CivilTime;
use patchdx_bundle::{Entry, FileKind};
use std::collections::{HashMap, HashSet};

const MESSAGE_MAX: usize = 600;
/// A repeat of the same `*FAILED*` trace within this time of the last one kept is folded into it: agents
/// retry in loops and write the same trace hundreds of times, which says nothing new.
const FOLD_WINDOW_MS: i64 = 3600 * 1000;

/// Which way the file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Windows 7/8 agent: `YYYY-MM-DD<TAB>HH:MM:SS:mmm<TAB>PID<TAB>TID<TAB>Component<TAB>Text`.
    Legacy,
    /// Get-WindowsUpdateLog: `YYYY/MM/DD HH:MM:SS.fffffff PID TID Component Text`.
    Decoded,
    /// The same with dash dates: `YYYY-MM-DD HH:MM:SS.fffffff …`.
    DecodedDashed,
}

impl Dialect {
    pub fn label(self) -> &'static str {
        match self {
            Dialect::Legacy => "Windows 7/8 text log (tab-separated)",
            Dialect::Decoded => "Get-WindowsUpdateLog output (YYYY/MM/DD)",
            Dialect::DecodedDashed => "Get-WindowsUpdateLog-style output with dash dates (YYYY-MM-DD)",
        }
    }
}

/// One parsed line.
struct Line<'a> {
    local: CivilTime,
    thread: String,
    component: &'a str,
    text: &'a str,
}

/// What a thread is doing, so that the `Title =` / `UpdateId =` lines that follow can be attributed.
#[derive(Clone)]
enum Context {
    Download(Option<String>),
    Install(Option<String>),
}

#[derive(Default)]
struct State {
    dialect: Option<Dialect>,
    /// Offset (seconds) from the latest `tz:` header of the legacy agent.
    tz: Option<i64>,
    first_tz: Option<i64>,
    tz_values: Vec<i64>,
    contexts: HashMap<String, Context>,
    /// Thread → index of the event whose `UpdateId =` line should follow.
    awaiting_id: HashMap<String, usize>,
    /// Thread → update ids named by the install call running on it (`Title =` then `UpdateId =`).
    call_updates: HashMap<String, Vec<String>>,
    /// Thread → title seen outside any download/install context, waiting for its `UpdateId =`.
    loose_title: HashMap<String, String>,
    titles: HashMap<String, String>,
    /// Thread → failure code of a legacy `WARNING: Exit code = …` seen inside a scan.
    legacy_exit: HashMap<String, u32>,
    downloaded: HashSet<String>,
    folded_at: HashMap<String, i64>,
    folded: u64,
    unparsed: u64,
    /// Earliest and latest time of any line (the file's span, not only of the events kept).
    span: Option<(CivilTime, CivilTime)>,
}

/// Reads one WindowsUpdate.log.
pub fn read(entry: &Entry) -> SourceFile {
    let mut file = SourceFile::new(&entry.path, Source::WindowsUpdateLog);
    let mut state = State::default();
    let path = entry.path.clone();
    let events = &mut file.events;
    file.records = each_line(entry, &mut file.warnings, |number, raw| {
        let raw = raw.trim_start_matches('\u{feff}');
        match parse_line(raw) {
            Some((dialect, line)) => {
                state.dialect.get_or_insert(dialect);
                state.span =
                    Some(state.span.map_or((line.local, line.local), |(a, b)| (a.min(line.local), b.max(line.local))));
                handle(&mut state, events, &path, number, &line);
            }
            None if !raw.trim().is_empty() => state.unparsed += 1,
            None => {}
        }
    });
    for event in &mut file.events {
        if let Some(id) = &event.update_id
            && event.title.is_none()
            && let Some(title) = state.titles.get(id)
        {
            event.kb = event.kb.take().or_else(|| kb_of(title));
            event.title = Some(title.clone());
        }
    }
    let mut notes = vec![state.dialect.map_or("no WindowsUpdate.log lines recognised", Dialect::label).to_string()];
    if let Some(tz) = state.first_tz {
        file.offset = OffsetInference::known(tz, "tz header", Confidence::High);
        state.tz_values.sort_unstable();
        state.tz_values.dedup();
        if state.tz_values.len() > 1 {
            let list: Vec<String> = state.tz_values.iter().map(|v| format!("{v:+}s")).collect();
            notes.push(format!("tz headers differ ({}); each line uses the latest header before it", list.join(", ")));
        }
    } else if state.dialect.is_some() {
        notes.push("times are local to the machine that wrote the log; the file states no UTC offset".to_string());
    }
    if state.folded > 0 {
        notes.push(format!(
            "{} repeats of a *FAILED*/WARNING trace less than an hour after the same trace were folded into it",
            state.folded
        ));
    }
    if state.unparsed > 0 {
        notes.push(format!("{} lines without a timestamp skipped", state.unparsed));
    }
    file.note = Some(notes.join("; "));
    file.apply_offset();
    (file.first_local, file.last_local) = (state.span.map(|s| s.0), state.span.map(|s| s.1));
    file
}

/// Recognises the timestamp, thread and component of a line in any dialect.
fn parse_line(raw: &str) -> Option<(Dialect, Line<'_>)> {
    let b = raw.as_bytes();
    if b.len() < 24 || !b[..4].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let legacy = b[10] == b'\t';
    let dialect = match (b[4], legacy) {
        (b'-', true) => Dialect::Legacy,
        (b'/', false) => Dialect::Decoded,
        (b'-', false) => Dialect::DecodedDashed,
        _ => return None,
    };
    let mut stamp = [0u8; 19];
    stamp.copy_from_slice(&b[..19]);
    stamp[4] = b'-';
    stamp[7] = b'-';
    stamp[10] = b' ';
    let base = CivilTime::parse_dashed(&stamp)?;
    if !matches!(b[19], b':' | b'.') {
        return None;
    }
    let fraction_end = b[20..].iter().position(|c| !c.is_ascii_digit()).map_or(b.len(), |p| 20 + p);
    let milli: i64 = raw.get(20..23.min(fraction_end))?.parse().ok()?;
    let local = CivilTime::from_millis(base.millis() + milli);
    let rest = raw.get(fraction_end..)?;
    let (thread, component, text) = if legacy {
        let mut parts = rest.trim_start_matches('\t').splitn(4, '\t');
        let (pid, tid) = (parts.next()?.trim(), parts.next()?.trim());
        let component = parts.next()?.trim();
        (format!("{pid}/{tid}"), component, parts.next().unwrap_or(""))
    } else {
        let rest = rest.trim_start();
        let (pid, rest) = rest.split_once(' ')?;
        let rest = rest.trim_start();
        let (tid, rest) = rest.split_once(' ')?;
        let rest = rest.trim_start();
        let (component, text) = rest.split_once(' ').unwrap_or((rest, ""));
        (format!("{pid}/{tid}"), component, text)
    };
    Some((dialect, Line { local, thread, component, text: text.trim() }))
}

/// Appends an event for `line` and returns it for the caller to fill in.
fn push<'e>(
    events: &'e mut Vec<Event>,
    tz: Option<i64>,
    path: &str,
    number: u64,
    line: &Line,
    action: Action,
    level: Level,
) -> &'e mut Event {
    let mut event =
        Event::new(Source::WindowsUpdateLog, path, action, level, crate::text::clip(line.text, MESSAGE_MAX));
    event.line = Some(number);
    event.local = Some(line.local);
    // A legacy log names its zone in headers; each line follows the latest one.
    event.utc = tz.map(|tz| line.local.shifted(-tz));
    event.phase = Some(line.component.to_string());
    events.push(event);
    let last = events.len() - 1;
    &mut events[last]
}

fn handle(state: &mut State, events: &mut Vec<Event>, path: &str, number: u64, line: &Line) {
    let text = line.text;
    let thread = line.thread.as_str();
    macro_rules! emit {
        ($action:expr, $level:expr) => {
            push(events, state.tz, path, number, line, $action, $level)
        };
    }
    // --- headers and contexts -------------------------------------------------------------------------
    if let Some(tz) = tz_header(text) {
        state.tz = Some(tz);
        state.first_tz.get_or_insert(tz);
        state.tz_values.push(tz);
        return;
    }
    if let Some(rest) = strip_marker(text, "START") {
        state.awaiting_id.remove(thread);
        if let Some(client) = after_key(rest, "Finding updates").map(|_| caller(rest)) {
            if !rest.contains("Queueing") {
                emit!(Action::ScanStarted, Level::Info).client = client;
                state.legacy_exit.remove(thread);
            }
        } else if rest.contains("Begin Downloading Updates") || rest.contains("Agent: Downloading updates") {
            state.contexts.insert(thread.to_string(), Context::Download(caller(rest)));
        } else if rest.contains("Installing updates") {
            state.contexts.insert(thread.to_string(), Context::Install(caller(rest)));
            state.call_updates.remove(thread);
        }
        return;
    }
    if let Some(rest) = strip_marker(text, "END") {
        if rest.contains("Finding updates") && !rest.contains("Queueing") {
            let code = after_key(rest, "Exit code = ")
                .and_then(parse_hex)
                .or_else(|| state.legacy_exit.remove(thread))
                .filter(|&c| c != 0);
            let failed = code.is_some_and(patchdx_codes::is_failure);
            let (action, level) =
                if failed { (Action::ScanFailed, Level::Error) } else { (Action::ScanSucceeded, Level::Info) };
            let event = emit!(action, level);
            event.client = caller(rest);
            event.code = code;
        }
        state.contexts.remove(thread);
        state.awaiting_id.remove(thread);
        state.call_updates.remove(thread);
        return;
    }
    if let Some(client) = after_key(text, "Beginning Installing of updates, CallerId = ") {
        let client = client.trim_end_matches('.').trim();
        state.contexts.insert(thread.to_string(), Context::Install(Some(client.to_string())));
        return;
    }
    if text.starts_with("PreDeploymentCheck of updates complete for Install") {
        state.contexts.insert(thread.to_string(), Context::Install(None));
        return;
    }
    // --- which update -----------------------------------------------------------------------------------
    let item = text.trim_start_matches(['*', ' ']);
    if let Some(title) = item.strip_prefix("Title = ") {
        let title = title.trim().to_string();
        match state.contexts.get(thread).cloned() {
            Some(context) => {
                let (action, client) = match context {
                    Context::Download(c) => (Action::DownloadStarted, c),
                    Context::Install(c) => (Action::InstallStarted, c),
                };
                let event = emit!(action, Level::Info);
                event.client = client;
                event.kb = kb_of(&title);
                event.title = Some(title);
                state.awaiting_id.insert(thread.to_string(), events.len() - 1);
            }
            None => {
                state.loose_title.insert(thread.to_string(), title);
            }
        }
        return;
    }
    if let Some(id) = item.strip_prefix("UpdateId = ").and_then(bare_guid) {
        if let Some(i) = state.awaiting_id.remove(thread) {
            if events[i].action == Action::DownloadStarted {
                state.downloaded.remove(&id);
            } else {
                state.call_updates.entry(thread.to_string()).or_default().push(id.clone());
            }
            if let Some(title) = events[i].title.clone() {
                state.titles.insert(id.clone(), title);
            }
            events[i].update_id = Some(id);
        } else if let Some(title) = state.loose_title.remove(thread) {
            state.titles.insert(id, title);
        }
        return;
    }
    if let Some(rest) = after_key(text, "Deserialized installable update ") {
        if let Some((title, id)) = rest.rsplit_once(", UpdateID = ")
            && let Some(id) = bare_guid(id)
        {
            state.titles.insert(id, title.trim().to_string());
        }
        return;
    }
    // --- results ----------------------------------------------------------------------------------------
    if let Some(rest) = after_key(text, "LogHistory called") {
        let Some(id) = after_key(rest, "idUpdate=").and_then(bare_guid) else { return };
        let code = after_key(rest, "resultMapped=").and_then(parse_hex).unwrap_or(0);
        let uninstall = rest.contains("operation = Uninstall");
        let (action, level) = match code {
            // WU_E_UH_POSTREBOOTSTILLPENDING: installed, finishes after the restart.
            0x8024_2014 => (Action::RebootRequired, Level::Info),
            c if patchdx_codes::is_failure(c) && uninstall => (Action::UninstallFailed, Level::Error),
            c if patchdx_codes::is_failure(c) => (Action::InstallFailed, Level::Error),
            _ if uninstall => (Action::UninstallSucceeded, Level::Info),
            _ => (Action::InstallSucceeded, Level::Info),
        };
        let event = emit!(action, level);
        event.update_id = Some(id);
        event.code = (code != 0).then_some(code);
        event.client = after_key(rest, "Caller=").map(|c| c.split(',').next().unwrap_or(c).to_string());
        return;
    }
    if let Some(rest) = after_key(text, "REPORT EVENT: ") {
        let fields: Vec<&str> = rest.split('\t').collect();
        if let Some((mut event, _)) = record_event(&fields, Source::WindowsUpdateLog, path, number) {
            // The agent's own clock for the line, with the zone the record states.
            event.local = Some(line.local);
            event.phase = Some(line.component.to_string());
            events.push(event);
        }
        return;
    }
    if (line.component == "ComApi" || line.component == "COMAPI")
        && item.trim_start_matches(['-', ' ']).eq_ignore_ascii_case("Reboot required = True")
    {
        emit!(Action::RebootRequired, Level::Info);
        return;
    }
    if let Some(code) = download_failure(text) {
        let event = emit!(Action::DownloadFailed, Level::Error);
        event.code = Some(code);
        event.update_id = update_id_in(text);
        return;
    }
    if text.contains(" completed successfully, updateId = ") && text.contains(" job {") {
        if let Some(id) = update_id_in(text)
            && state.downloaded.insert(id.clone())
        {
            emit!(Action::DownloadSucceeded, Level::Info).update_id = Some(id);
        }
        return;
    }
    if let Some(code) = install_failure(text) {
        // `Completed install of CBS update … hr=` names no update; inside a call that installs exactly one, the
        // failure is that update's (so it can be put beside the same failure in other sources).
        let sole = match state.call_updates.get(thread).map(Vec::as_slice) {
            Some([only]) => Some(only.clone()),
            _ => None,
        };
        let event = emit!(Action::InstallFailed, Level::Error);
        event.code = Some(code);
        event.update_id = update_id_in(text).or(sole);
        return;
    }
    // --- traces -----------------------------------------------------------------------------------------
    let trace = if let Some(rest) = text.strip_prefix("*FAILED* [") {
        rest.split_once(']').and_then(|(hex, _)| parse_hex(hex))
    } else if item.starts_with("WARNING:") || item.starts_with("FATAL:") {
        let code = primary_code(text).map(|c| c.value).or_else(|| after_key(text, "0x").and_then(parse_hex));
        if item.starts_with("WARNING: Exit code = ")
            && let Some(c) = code
        {
            state.legacy_exit.insert(thread.to_string(), c);
        }
        code
    } else {
        None
    };
    if let Some(code) = trace.filter(|&c| c != 0) {
        let key = format!("{}|{code:08X}|{}", line.component, shape(text));
        let now = line.local.millis();
        match state.folded_at.get(&key) {
            Some(&at) if (now - at).abs() < FOLD_WINDOW_MS => state.folded += 1,
            _ => {
                state.folded_at.insert(key, now);
                let level = if patchdx_codes::is_failure(code) { Level::Warning } else { Level::Info };
                let event = emit!(Action::Error, level);
                event.code = Some(code);
                event.update_id = update_id_in(text);
            }
        }
    }
}

/// `===========  Logging initialized (build: 7.6.7600.256, tz: +0530)  ===========` → +19800 s.
fn tz_header(text: &str) -> Option<i64> {
    if !text.contains("Logging initialized") {
        return None;
    }
    let tz = after_key(text, "tz: ")?.as_bytes();
    let sign = match tz.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits = std::str::from_utf8(tz.get(1..5)?).ok()?;
    let value: i64 = digits.parse().ok()?;
    Some(sign * (value / 100 * 3600 + value % 100 * 60))
}

/// Text after `* START *` / `** START **` / `-- START --` markers (any dialect), else `None`.
fn strip_marker<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    let t = text.trim_start_matches(['*', '-', '<', '>', ' ']);
    let rest = t.strip_prefix(word)?;
    rest.starts_with([' ', '*', '-']).then(|| rest.trim_start_matches(['*', '-', ' ']))
}

fn after_key<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.find(key).map(|i| &text[i + key.len()..])
}

/// `CallerId = X` up to a comma, bracket or double space; empty callers are `None`.
fn caller(text: &str) -> Option<String> {
    let rest = after_key(text, "CallerId = ")?;
    let end = [rest.find(','), rest.find(']'), rest.find("  "), rest.find(" (cV")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(rest.len());
    let client = rest[..end].trim();
    (!client.is_empty()).then(|| client.to_string())
}

/// Leading hex digits (optionally after `0x`), as a code.
fn parse_hex(text: &str) -> Option<u32> {
    let text = text.trim_start();
    let text = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")).unwrap_or(text);
    let len = text.bytes().take_while(u8::is_ascii_hexdigit).count();
    if len == 0 || len > 8 {
        return None;
    }
    u32::from_str_radix(&text[..len], 16).ok()
}

fn update_id_in(text: &str) -> Option<String> {
    ["updateId = ", "update ID: ", "UUP update ", "downloading update ", "updateID "]
        .iter()
        .find_map(|key| after_key(text, key).and_then(bare_guid))
        .or_else(|| text.strip_prefix('{').and_then(bare_guid))
}

/// A failed download job or download of one update, with its code.
fn download_failure(text: &str) -> Option<u32> {
    if (text.starts_with("DO job {") || text.starts_with("BITS job {")) && text.contains("} failed, updateId = ") {
        return after_key(text, "hr = ").and_then(parse_hex);
    }
    if text.starts_with("OnDownloadJobFailure - UUP update ") {
        // The handler also reports `failed with 0x00000000` when it merely resets a job.
        return after_key(text, " failed with ").and_then(parse_hex).filter(|&c| patchdx_codes::is_failure(c));
    }
    if text.starts_with("*FAILED* [") && text.contains("Error occurred while downloading update") {
        return parse_hex(&text["*FAILED* [".len()..]);
    }
    None
}

/// A handler's failed install of one update, with its code.
fn install_failure(text: &str) -> Option<u32> {
    let code = if text.contains("deployment completed: Status: Error") {
        after_key(text, "HR: ").and_then(parse_hex)
    } else if text.starts_with("Completed install of CBS update") {
        after_key(text, "hr=").and_then(parse_hex)
    } else if text.starts_with("Install complete for update ID:") {
        after_key(text, "Return code is ").and_then(parse_hex)
    } else if text.starts_with("Command line install completed.") {
        after_key(text, "Return code = ").and_then(parse_hex)
    } else {
        None
    };
    code.filter(|&c| patchdx_codes::is_failure(c))
}

/// The line with every number, GUID part or code replaced by `#`, so repeats of one trace about different
/// updates or source lines compare equal.
fn shape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
        let hex_part = word.len() >= 4
            && word.bytes().all(|b| b.is_ascii_hexdigit())
            && (word == word.to_ascii_uppercase() || word == word.to_ascii_lowercase());
        out.push_str(if hex_part || word.bytes().any(|b| b.is_ascii_digit()) { "#" } else { word });
        out.push(' ');
    }
    out
}

/// `2016-09-28\t04:30:30:123\t  988\t 1c4\t…` (Windows 7/8 WindowsUpdate.log).
fn is_win7_line(line: &str) -> bool {
    let mut s = crate::text::shape::Shape::of(line);
    s.date(b"-")
        && s.byte(b'\t')
        && s.clock()
        && s.byte(b':')
        && s.digits(3)
        && s.blanks()
        && s.run(1, usize::MAX, |c| c.is_ascii_digit())
        && s.blanks()
        && s.run(1, usize::MAX, |c| c.is_ascii_hexdigit())
        && s.byte(b'\t')
}

/// `2022/09/09 15:58:23.4567890 1234  5678  Agent  …` (Get-WindowsUpdateLog output, `/` or `-` in the date).
fn is_win10_line(line: &str) -> bool {
    let mut s = crate::text::shape::Shape::of(line);
    s.date(b"/-")
        && s.byte(b' ')
        && s.clock()
        && s.byte(b'.')
        && s.run(3, 7, |c| c.is_ascii_digit())
        && s.blanks()
        && s.run(1, usize::MAX, |c| c.is_ascii_digit())
        && s.blanks()
        && s.run(1, usize::MAX, |c| c.is_ascii_digit())
        && s.blanks()
        && s.exactly(1, |c| !c.is_ascii_whitespace())
}

/// WindowsUpdate.log (Windows 7/8 and Get-WindowsUpdateLog output) as an evidence source.
pub struct WindowsUpdateLogSource;

impl crate::source::EvidenceSource for WindowsUpdateLogSource {
    fn name(&self) -> &'static str {
        "windows-update-log"
    }

    fn kinds(&self) -> &'static [FileKind] {
        &[FileKind::WindowsUpdateLog]
    }

    fn sources(&self) -> &'static [Source] {
        &[Source::WindowsUpdateLog]
    }

    fn recognise(&self, sample: &crate::source::Sample) -> Option<crate::source::Claim> {
        let lines = sample.count_plain(|l| is_win7_line(l) || is_win10_line(l));
        (lines > 0).then_some(crate::source::Claim::new(FileKind::WindowsUpdateLog, 30))
    }

    fn kind_from_name(&self, lower_name: &str) -> Option<FileKind> {
        (lower_name == "windowsupdate.log").then_some(FileKind::WindowsUpdateLog)
    }

    fn read(&self, entry: &Entry) -> SourceFile {
        read(entry)
    }
}
