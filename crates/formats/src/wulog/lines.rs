//! What each line of a WindowsUpdate.log says: [`handle`] tries the kinds of line in a fixed order (a `tz`
//! header, what a thread is doing, which update it names, a result, a failure trace) and the first that
//! matches turns the line into events or into state for the lines that follow.

use super::{Context, Line, MESSAGE_MAX, State};
use crate::event::{Action, Event, Level, Source};
use crate::hresult::primary_code;
use crate::reporting::record_event;
use crate::text::{bare_guid, kb_of};

/// A repeat of the same `*FAILED*` trace within this time of the last one kept is folded into it: agents
/// retry in loops and write the same trace hundreds of times, which says nothing new.
const FOLD_WINDOW_MS: i64 = 3600 * 1000;

/// The line being handled, where it is, and the zone it is read in.
struct At<'l, 'a> {
    path: &'l str,
    number: u64,
    line: &'l Line<'a>,
    /// Offset from the latest `tz:` header of a legacy log, when there was one.
    tz: Option<i64>,
}

impl At<'_, '_> {
    /// Appends an event for the line and returns it for the caller to fill in.
    fn emit<'e>(&self, events: &'e mut Vec<Event>, action: Action, level: Level) -> &'e mut Event {
        let line = self.line;
        let mut event =
            Event::new(Source::WindowsUpdateLog, self.path, action, level, crate::text::clip(line.text, MESSAGE_MAX));
        event.line = Some(self.number);
        event.local = Some(line.local);
        // A legacy log names its zone in headers; each line follows the latest one.
        event.utc = self.tz.map(|tz| line.local.shifted(-tz));
        event.phase = Some(line.component.to_string());
        events.push(event);
        let last = events.len() - 1;
        &mut events[last]
    }

    fn thread(&self) -> &str {
        self.line.thread.as_str()
    }

    /// The text without the `*` and blanks that indent the agent's item lines (`  * Title = …`).
    fn item(&self) -> &str {
        self.line.text.trim_start_matches(['*', ' '])
    }
}

/// Reads one line. The kinds of line are tried in a fixed order and the first that matches handles it: a
/// `tz` header, then what each thread is doing, which update it names, a result, and last a bare failure
/// trace.
pub(super) fn handle(state: &mut State, events: &mut Vec<Event>, path: &str, number: u64, line: &Line) {
    if let Some(tz) = tz_header(line.text) {
        state.tz = Some(tz);
        state.first_tz.get_or_insert(tz);
        state.tz_values.push(tz);
        return;
    }
    let at = At { path, number, line, tz: state.tz };
    if context_line(state, events, &at) || update_line(state, events, &at) || result_line(state, events, &at) {
        return;
    }
    trace_line(state, events, &at);
}

// --- what each thread is doing ----------------------------------------------------------------------------

/// `START` / `END` markers and the lines that open an install call, which set what a thread is doing so that
/// the lines after them can be attributed. Whether the line was one of them.
fn context_line(state: &mut State, events: &mut Vec<Event>, at: &At) -> bool {
    let text = at.line.text;
    if let Some(rest) = strip_marker(text, "START") {
        start_marker(state, events, at, rest);
        return true;
    }
    if let Some(rest) = strip_marker(text, "END") {
        end_marker(state, events, at, rest);
        return true;
    }
    if let Some(client) = after_key(text, "Beginning Installing of updates, CallerId = ") {
        let client = client.trim_end_matches('.').trim();
        state.contexts.insert(at.thread().to_string(), Context::Install(Some(client.to_string())));
        return true;
    }
    if text.starts_with("PreDeploymentCheck of updates complete for Install") {
        state.contexts.insert(at.thread().to_string(), Context::Install(None));
        return true;
    }
    false
}

/// A scan starts (an event), or a download or install call starts on the thread (a context).
fn start_marker(state: &mut State, events: &mut Vec<Event>, at: &At, rest: &str) {
    let thread = at.thread();
    state.awaiting_id.remove(thread);
    if let Some(client) = after_key(rest, "Finding updates").map(|_| caller(rest)) {
        if !rest.contains("Queueing") {
            at.emit(events, Action::ScanStarted, Level::Info).client = client;
            state.legacy_exit.remove(thread);
        }
    } else if rest.contains("Begin Downloading Updates") || rest.contains("Agent: Downloading updates") {
        state.contexts.insert(thread.to_string(), Context::Download(caller(rest)));
    } else if rest.contains("Installing updates") {
        state.contexts.insert(thread.to_string(), Context::Install(caller(rest)));
        state.call_updates.remove(thread);
    }
}

/// A scan ends with its exit code (or the legacy `WARNING: Exit code` seen inside it); any call on the
/// thread ends.
fn end_marker(state: &mut State, events: &mut Vec<Event>, at: &At, rest: &str) {
    let thread = at.thread();
    if rest.contains("Finding updates") && !rest.contains("Queueing") {
        let code = after_key(rest, "Exit code = ")
            .and_then(parse_hex)
            .or_else(|| state.legacy_exit.remove(thread))
            .filter(|&c| c != 0);
        let failed = code.is_some_and(patchdx_codes::is_failure);
        let (action, level) =
            if failed { (Action::ScanFailed, Level::Error) } else { (Action::ScanSucceeded, Level::Info) };
        let event = at.emit(events, action, level);
        event.client = caller(rest);
        event.code = code;
    }
    state.contexts.remove(thread);
    state.awaiting_id.remove(thread);
    state.call_updates.remove(thread);
}

// --- which update -----------------------------------------------------------------------------------------

/// `Title =` and `UpdateId =` lines, and the agent's `Deserialized installable update` list: they name the
/// update a call works on, or give an id its title. Whether the line was one of them.
fn update_line(state: &mut State, events: &mut Vec<Event>, at: &At) -> bool {
    let item = at.item();
    if let Some(title) = item.strip_prefix("Title = ") {
        title_line(state, events, at, title.trim().to_string());
        return true;
    }
    if let Some(id) = item.strip_prefix("UpdateId = ").and_then(bare_guid) {
        update_id_line(state, events, at.thread(), id);
        return true;
    }
    if let Some(rest) = after_key(at.line.text, "Deserialized installable update ") {
        if let Some((title, id)) = rest.rsplit_once(", UpdateID = ")
            && let Some(id) = bare_guid(id)
        {
            state.titles.insert(id, title.trim().to_string());
        }
        return true;
    }
    false
}

/// Inside a download or install call, a title starts that update's download or install (its id follows on
/// the next `UpdateId =` line); outside any, it waits for its id to name it.
fn title_line(state: &mut State, events: &mut Vec<Event>, at: &At, title: String) {
    let thread = at.thread();
    match state.contexts.get(thread).cloned() {
        Some(context) => {
            let (action, client) = match context {
                Context::Download(c) => (Action::DownloadStarted, c),
                Context::Install(c) => (Action::InstallStarted, c),
            };
            let event = at.emit(events, action, Level::Info);
            event.client = client;
            event.kb = kb_of(&title);
            event.title = Some(title);
            state.awaiting_id.insert(thread.to_string(), events.len() - 1);
        }
        None => {
            state.loose_title.insert(thread.to_string(), title);
        }
    }
}

/// The id of the update the thread's last title named: it goes on that event and is remembered with its
/// title (and, in an install call, as one of the call's updates).
fn update_id_line(state: &mut State, events: &mut [Event], thread: &str, id: String) {
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
}

// --- results ----------------------------------------------------------------------------------------------

/// The outcome of an install, uninstall or download, a reporting record, or a reboot request. Whether the
/// line was one of them.
fn result_line(state: &mut State, events: &mut Vec<Event>, at: &At) -> bool {
    let (text, component) = (at.line.text, at.line.component);
    if let Some(rest) = after_key(text, "LogHistory called") {
        log_history(events, at, rest);
        return true;
    }
    if let Some(rest) = after_key(text, "REPORT EVENT: ") {
        let fields: Vec<&str> = rest.split('\t').collect();
        if let Some((mut event, _)) = record_event(&fields, Source::WindowsUpdateLog, at.path, at.number) {
            // The record keeps its own time and zone (when the agent recorded the result, which may be seconds
            // before it copied the record here): local and UTC then name the same instant.
            event.phase = Some(component.to_string());
            events.push(event);
        }
        return true;
    }
    if (component == "ComApi" || component == "COMAPI")
        && at.item().trim_start_matches(['-', ' ']).eq_ignore_ascii_case("Reboot required = True")
    {
        at.emit(events, Action::RebootRequired, Level::Info);
        return true;
    }
    if let Some(code) = download_failure(text) {
        let event = at.emit(events, Action::DownloadFailed, Level::Error);
        event.code = Some(code);
        event.update_id = update_id_in(text);
        return true;
    }
    if let Some(rest) = after_key(text, "AU: Download update [UpdateId = ") {
        // The legacy agent's callback when one update's download ends: `…, succeeded]` is the only outcome
        // word it writes for a finished download (a failed one is reported by its REPORT EVENT line).
        if let Some(id) = bare_guid(rest)
            && rest.trim_end().ends_with(", succeeded]")
            && state.downloaded.insert(id.clone())
        {
            at.emit(events, Action::DownloadSucceeded, Level::Info).update_id = Some(id);
        }
        return true;
    }
    if handler_package_line(state, events, at) {
        return true;
    }
    if text.contains(" completed successfully, updateId = ") && text.contains(" job {") {
        if let Some(id) = update_id_in(text)
            && state.downloaded.insert(id.clone())
        {
            at.emit(events, Action::DownloadSucceeded, Level::Info).update_id = Some(id);
        }
        return true;
    }
    if text.contains("deployment completed: Status: Completed")
        && after_key(text, "HR: ").and_then(parse_hex) == Some(0)
        && let Some(id) = update_id_in(text)
    {
        // A Store app's deployment by the WU handler went through. A note, not an install success: the agent's
        // own history line (`LogHistory called … resultMapped=…`) says that, and a deployment can complete more
        // than once per install.
        at.emit(events, Action::Note, Level::Info).update_id = Some(id);
        return true;
    }
    if let Some(id) =
        after_key(text, "ShutdownDataSourcesAndDeployment: Running down deployment for ").and_then(bare_guid)
    {
        // The handler stopping an app's deployment (its download was suspended or cancelled, or the service is
        // stopping): a failure of that deployment right after it is the interruption, not a broken install.
        at.emit(events, Action::Note, Level::Info).update_id = Some(id);
        return true;
    }
    if let Some(code) = install_failure(text) {
        // `Completed install of CBS update … hr=` names no update; inside a call that installs exactly one, the
        // failure is that update's (so it can be put beside the same failure in other sources).
        let sole = match state.call_updates.get(at.thread()).map(Vec::as_slice) {
            Some([only]) => Some(only.clone()),
            _ => None,
        };
        let event = at.emit(events, Action::InstallFailed, Level::Error);
        event.code = Some(code);
        event.update_id = update_id_in(text).or(sole);
        return true;
    }
    false
}

/// The Windows 7/8 handler's lines about the CBS package of an update: which package a thread installs, the
/// file (and so the KB) it installs it from, and the package's result after the restart (`Post-reboot status
/// for package Package_for_RollupFix~…~7601.24263.1.4: 0x80242016.`), which is where a post-reboot failure
/// shows first — and, for a cumulative rollup, which newer rollup was committed in the same restart. Whether
/// the line was one of them.
fn handler_package_line(state: &mut State, events: &mut Vec<Event>, at: &At) -> bool {
    let text = at.line.text;
    if let Some(package) = text.strip_prefix("CBS package identity: ") {
        state.thread_package.insert(at.thread().to_string(), package.trim().to_string());
        return true;
    }
    if let Some(source) = after_key(text, "Installing self-contained with source=") {
        let file = source.split(',').next().unwrap_or(source);
        let file = file.rsplit('\\').next().unwrap_or(file).to_ascii_uppercase();
        if let Some(package) = state.thread_package.get(at.thread())
            && let Some(kb) = kb_of(&file)
        {
            state.package_kb.insert(package.clone(), kb);
        }
        return true;
    }
    let Some(rest) = text.strip_prefix("Post-reboot status for package ") else { return false };
    let Some((package, status)) = rest.rsplit_once(": ") else { return false };
    let Some(code) = parse_hex(status) else { return false };
    let failed = patchdx_codes::is_failure(code);
    let (action, level) =
        if failed { (Action::InstallFailed, Level::Error) } else { (Action::InstallSucceeded, Level::Info) };
    let package = package.trim().to_string();
    let kb = state.package_kb.get(&package).cloned().or_else(|| kb_of(&package));
    let event = at.emit(events, action, level);
    event.code = (code != 0).then_some(code);
    event.kb = kb;
    event.package = Some(package);
    true
}

/// `LogHistory called … idUpdate=… resultMapped=…`: the agent's record of an install or uninstall outcome.
fn log_history(events: &mut Vec<Event>, at: &At, rest: &str) {
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
    let event = at.emit(events, action, level);
    event.update_id = Some(id);
    event.code = (code != 0).then_some(code);
    event.client = after_key(rest, "Caller=").map(|c| c.split(',').next().unwrap_or(c).to_string());
}

// --- traces -----------------------------------------------------------------------------------------------

/// A `*FAILED* [code]`, `WARNING:` or `FATAL:` trace with a non-zero code, kept unless the same trace was kept
/// less than [`FOLD_WINDOW_MS`] before.
fn trace_line(state: &mut State, events: &mut Vec<Event>, at: &At) {
    let (text, item) = (at.line.text, at.item());
    let trace = if let Some(rest) = text.strip_prefix("*FAILED* [") {
        rest.split_once(']').and_then(|(hex, _)| parse_hex(hex))
    } else if item.starts_with("WARNING:") || item.starts_with("FATAL:") {
        let code = primary_code(text).map(|c| c.value).or_else(|| after_key(text, "0x").and_then(parse_hex));
        if item.starts_with("WARNING: Exit code = ")
            && let Some(c) = code
        {
            state.legacy_exit.insert(at.thread().to_string(), c);
        }
        code
    } else {
        None
    };
    let Some(code) = trace.filter(|&c| c != 0) else { return };
    let key = format!("{}|{code:08X}|{}", at.line.component, shape(text));
    let now = at.line.local.millis();
    match state.folded_at.get(&key) {
        Some(&kept) if (now - kept).abs() < FOLD_WINDOW_MS => state.folded += 1,
        _ => {
            state.folded_at.insert(key, now);
            let level = if patchdx_codes::is_failure(code) { Level::Warning } else { Level::Info };
            let event = at.emit(events, Action::Error, level);
            event.code = Some(code);
            event.update_id = update_id_in(text);
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
