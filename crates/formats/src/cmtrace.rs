//! Reads ConfigMgr client logs in CMTrace format (WUAHandler.log, UpdatesDeployment.log, …): the scans,
//! downloads and installs the ConfigMgr agent drove through Windows Update, with exact UTC from each
//! record's time-zone bias.

use crate::event::{Action, Confidence, Event, Level, OffsetInference, Source, SourceFile};
use crate::hresult::primary_code;
use crate::text::kb_of;
use crate::text::{bare_guid, for_each_line as each_line};
use crate::time::CivilTime;
use patchdx_bundle::{Entry, FileKind};
use regex::Regex;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

const MESSAGE_MAX: usize = 600;
/// A record that never closes is given up after this many lines (the rest are read as new records).
const MAX_RECORD_LINES: usize = 200;

/// One CMTrace record.
struct Record {
    text: String,
    local: CivilTime,
    /// Minutes to add to local time to get UTC (Windows' time-zone bias), when written.
    bias: Option<i64>,
    component: String,
    kind: u8,
}

fn record_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r#"(?s)^<!\[LOG\[(.*)\]LOG\]!><time="(\d{1,2}):(\d\d):(\d\d)(?:\.(\d{1,3}))?([+-]\d{1,4})?" date="(\d{1,2})-(\d{1,2})-(\d{4})" component="([^"]*)"(?: context="[^"]*")? type="(\d)""#,
        )
        .expect("static regex")
    })
}

fn hex_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"0[xX]([0-9A-Fa-f]{8})\b").expect("static regex"))
}

/// Reads one CMTrace-format log.
pub fn read(entry: &Entry) -> SourceFile {
    let mut file = SourceFile::new(&entry.path, Source::CmTrace);
    let mut pending: Option<(u64, String, usize)> = None;
    let mut reader = Reader::default();
    let path = entry.path.clone();
    let events = &mut file.events;
    file.records = each_line(entry, &mut file.warnings, |number, raw| {
        let raw = raw.trim_start_matches('\u{feff}');
        if raw.starts_with("<![LOG[") {
            if let Some((start, text, _)) = pending.take() {
                reader.finish(events, &path, start, &text);
            }
            pending = Some((number, raw.to_string(), 1));
        } else if let Some((_, text, lines)) = pending.as_mut() {
            text.push('\n');
            text.push_str(raw);
            *lines += 1;
        } else if !raw.trim().is_empty() {
            reader.unparsed += 1;
        }
        // A record ends with the closing `>` of its attributes.
        let closed = pending
            .as_ref()
            .is_some_and(|(_, t, n)| (t.contains("]LOG]!><") && t.ends_with('>')) || *n >= MAX_RECORD_LINES);
        if closed && let Some((start, text, _)) = pending.take() {
            reader.finish(events, &path, start, &text);
        }
    });
    if let Some((start, text, _)) = pending.take() {
        reader.finish(&mut file.events, &path, start, &text);
    }
    for event in &mut file.events {
        if event.title.is_none()
            && let Some(title) = event.update_id.as_ref().and_then(|id| reader.titles.get(id))
        {
            event.kb = event.kb.take().or_else(|| kb_of(title));
            event.title = Some(title.clone());
        }
    }
    let mut notes = vec!["CMTrace format".to_string()];
    if let Some((&bias, _)) = reader.biases.iter().max_by_key(|(_, n)| **n) {
        file.offset = OffsetInference::known(-bias * 60, "CMTrace time-zone bias on every record", Confidence::High);
        if reader.biases.len() > 1 {
            let list: Vec<String> = reader.biases.keys().map(|b| format!("{b:+}")).collect();
            notes.push(format!(
                "time-zone bias varies between records ({} minutes); each event uses its own",
                list.join(", ")
            ));
        }
    }
    if reader.unparsed > 0 {
        notes.push(format!("{} lines outside CMTrace records skipped", reader.unparsed));
    }
    file.note = Some(notes.join("; "));
    file.apply_offset();
    (file.first_local, file.last_local) = (reader.span.map(|s| s.0), reader.span.map(|s| s.1));
    file
}

/// What a record means: action, level, code, update id, title.
type Classified = (Action, Level, Option<u32>, Option<String>, Option<String>);

#[derive(Default)]
struct Reader {
    biases: BTreeMap<i64, u64>,
    titles: HashMap<String, String>,
    /// Update id → last ConfigMgr state seen, so that repeated progress records give one event per change.
    states: HashMap<String, String>,
    unparsed: u64,
    /// Earliest and latest record time (the file's span, not only of the events kept).
    span: Option<(CivilTime, CivilTime)>,
}

impl Reader {
    fn finish(&mut self, events: &mut Vec<Event>, path: &str, line: u64, raw: &str) {
        let Some(record) = parse_record(raw) else {
            self.unparsed += 1;
            return;
        };
        let t = record.local;
        self.span = Some(self.span.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
        if let Some(bias) = record.bias {
            *self.biases.entry(bias).or_default() += 1;
        }
        let Some((action, level, code, update_id, title)) = self.classify(&record) else { return };
        let mut event = Event::new(Source::CmTrace, path, action, level, crate::text::clip(&record.text, MESSAGE_MAX));
        event.line = Some(line);
        event.local = Some(record.local);
        event.utc = record.bias.map(|b| record.local.shifted(b * 60));
        event.code = code;
        event.kb = title.as_deref().and_then(kb_of).or_else(|| kb_of(&record.text));
        event.title = title;
        event.update_id = update_id;
        event.client = Some("ConfigMgr".to_string());
        event.phase = Some(record.component.clone());
        events.push(event);
    }

    /// What a record means, or `None` for routine chatter. The kinds of record are tried in this order and the
    /// first that matches decides.
    fn classify(&mut self, r: &Record) -> Option<Classified> {
        let text = r.text.as_str();
        let code = code_in(text);
        let id = update_id_in(text);
        if let Some(found) = self.update_found(text) {
            return Some(found);
        }
        if let Some(state) = after(text, "Status = ").map(|s| s.split([',', ' ']).next().unwrap_or(s).to_string())
            && let Some(id) = id.clone()
        {
            return self.state_change(id, state, code);
        }
        if text.contains("added to the targeted list of deployment") {
            return self.targeted(id?);
        }
        progress(r, code, id)
    }

    /// `Update (Missing): <title> (<guid>, <revision>)` names an update the scan found.
    fn update_found(&mut self, text: &str) -> Option<Classified> {
        let rest = text.strip_prefix("Update (").and_then(|t| t.split_once("): ")).map(|(_, r)| r)?;
        let (title, tail) = rest.rsplit_once(" (")?;
        let guid = bare_guid(tail)?;
        self.titles.insert(guid.clone(), title.trim().to_string());
        Some((Action::Note, Level::Info, None, Some(guid), Some(title.trim().to_string())))
    }

    /// `Status = ciState…` of an update: one event per change of its state, not one per progress record.
    fn state_change(&mut self, id: String, state: String, code: Option<u32>) -> Option<Classified> {
        if self.states.get(&id) == Some(&state) {
            return None;
        }
        self.states.insert(id.clone(), state.clone());
        let action = match state.as_str() {
            "ciStateError" => Action::InstallFailed,
            "ciStateDownloading" => Action::DownloadStarted,
            "ciStateInstalling" => Action::InstallStarted,
            "ciStateInstallComplete" | "ciStateInstalled" => Action::InstallSucceeded,
            s if s.contains("Reboot") => Action::RebootRequired,
            _ => Action::StateChanged,
        };
        let level = if action == Action::InstallFailed { Level::Error } else { Level::Info };
        Some((action, level, code.filter(|&c| c != 0), Some(id), None))
    }

    /// `… added to the targeted list of deployment`, once per update: which updates ConfigMgr wanted on this
    /// machine.
    fn targeted(&mut self, id: String) -> Option<Classified> {
        if self.states.contains_key(&id) {
            return None;
        }
        self.states.insert(id.clone(), "targeted".to_string());
        Some((Action::Note, Level::Info, None, Some(id), None))
    }
}

/// A record that is not about one update's state: an install's result, a failure or warning (named after the
/// work its words mention), or the start or end of a scan, download or install.
fn progress(r: &Record, code: Option<u32>, id: Option<String>) -> Option<Classified> {
    let text = r.text.as_str();
    let lower = text.to_ascii_lowercase();
    if let Some(rest) = after(text, "finished installing (") {
        let code = parse_hex(rest);
        let action = match code {
            Some(c) if patchdx_codes::is_failure(c) => Action::InstallFailed,
            _ if lower.contains("reboot required? (yes)") => Action::RebootRequired,
            _ => Action::InstallSucceeded,
        };
        let level = if action == Action::InstallFailed { Level::Error } else { Level::Info };
        return Some((action, level, code.filter(|&c| c != 0), id, None));
    }
    if code.is_some_and(patchdx_codes::is_failure) || r.kind == 3 {
        let action = if lower.contains("download") {
            Action::DownloadFailed
        } else if lower.contains("install") {
            Action::InstallFailed
        } else if lower.contains("scan") || lower.contains("search") {
            Action::ScanFailed
        } else {
            Action::Error
        };
        return Some((action, Level::Error, code, id, None));
    }
    if let Some(action) = milestone(text) {
        return Some((action, Level::Info, None, None, None));
    }
    if r.kind == 2 {
        return Some((Action::Warning, Level::Warning, code, id, None));
    }
    None
}

/// The agent's own words for the start or end of a scan, download or install.
fn milestone(text: &str) -> Option<Action> {
    if text.starts_with("Async searching of updates using WUAgent started") {
        return Some(Action::ScanStarted);
    }
    if text.starts_with("Successfully completed scan") {
        return Some(Action::ScanSucceeded);
    }
    if text.starts_with("Async installation of updates started") {
        return Some(Action::InstallStarted);
    }
    if text.starts_with("Async download of updates started") || text.starts_with("Download of updates started") {
        return Some(Action::DownloadStarted);
    }
    None
}

fn parse_record(raw: &str) -> Option<Record> {
    let caps = record_regex().captures(raw)?;
    let num = |i: usize| caps.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    let milli = caps.get(5).map_or(Some(0), |m| {
        // `.5` is half a second: CMTrace writes milliseconds, but pad short fractions as decimals.
        let digits = m.as_str();
        digits.parse::<u32>().ok().map(|v| v * 10u32.pow(3 - digits.len() as u32))
    })?;
    let local = CivilTime::from_parts(num(9)? as i32, num(7)?, num(8)?, num(2)?, num(3)?, num(4)?, milli)?;
    let bias = caps.get(6).and_then(|m| m.as_str().parse::<i64>().ok());
    Some(Record {
        text: caps.get(1).map_or("", |m| m.as_str()).trim().to_string(),
        local,
        bias,
        component: caps.get(10).map_or("", |m| m.as_str()).to_string(),
        kind: caps.get(11).and_then(|m| m.as_str().bytes().next()).map_or(1, |b| b - b'0'),
    })
}

/// The record's outcome code: the spellings `hresult` knows, else the first `0x` + 8 hex digits that is a
/// failure (ConfigMgr writes `error = 0x87d00215`).
fn code_in(text: &str) -> Option<u32> {
    if let Some(code) = primary_code(text) {
        return Some(code.value);
    }
    let codes: Vec<u32> = hex_regex()
        .captures_iter(text)
        .filter_map(|c| c.get(1).and_then(|m| u32::from_str_radix(m.as_str(), 16).ok()))
        .collect();
    codes.iter().copied().find(|&c| patchdx_codes::is_failure(c)).or_else(|| codes.first().copied())
}

/// `SUM_<guid>` (ConfigMgr's name for a WU update), else the first GUID in parentheses.
fn update_id_in(text: &str) -> Option<String> {
    after(text, "SUM_")
        .and_then(bare_guid)
        .or_else(|| text.match_indices('(').find_map(|(i, _)| bare_guid(&text[i + 1..])))
}

fn after<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.find(key).map(|i| &text[i + key.len()..])
}

fn parse_hex(text: &str) -> Option<u32> {
    let text = text.trim_start();
    let text = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")).unwrap_or(text);
    let len = text.bytes().take_while(u8::is_ascii_hexdigit).count();
    (1..=8).contains(&len).then(|| u32::from_str_radix(&text[..len], 16).ok()).flatten()
}

/// ConfigMgr (CMTrace-format) logs as an evidence source.
pub struct CmTraceSource;

impl crate::source::EvidenceSource for CmTraceSource {
    fn name(&self) -> &'static str {
        "cm-trace"
    }

    fn kinds(&self) -> &'static [FileKind] {
        &[FileKind::CmTrace]
    }

    fn sources(&self) -> &'static [Source] {
        &[Source::CmTrace]
    }

    fn recognise(&self, sample: &crate::source::Sample) -> Option<crate::source::Claim> {
        sample.text.starts_with("<![LOG[").then_some(crate::source::Claim::new(FileKind::CmTrace, 100))
    }

    fn read(&self, entry: &Entry) -> SourceFile {
        read(entry)
    }
}
