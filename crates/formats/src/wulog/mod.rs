//! Reads WindowsUpdate.log in its three dialects (Windows 7/8 tab-separated text, Get-WindowsUpdateLog
//! output with slash or dash dates) and keeps what matters for a diagnosis: scans, downloads, installs and
//! their results per update, reboot requests and the agent's `*FAILED*` traces.
//!
//! This module splits a line into time, thread, component and text in either dialect, keeps the state that
//! lines leave for later ones, and writes the file's notes; [`lines`] says what each kind of line means.

use crate::event::{Confidence, OffsetInference, Source, SourceFile};
use crate::text::for_each_line as each_line;
use crate::text::kb_of;
use crate::time::CivilTime;
use patchdx_bundle::{Entry, FileKind};
use std::collections::{HashMap, HashSet};

mod lines;

const MESSAGE_MAX: usize = 600;

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
    /// Thread → the CBS package identity its handler is installing (`CBS package identity: …`).
    thread_package: HashMap<String, String>,
    /// CBS package identity → the KB of the file it was installed from (`Installing self-contained with
    /// source=…\Windows6.1-KB4462923-x64.cab`): a `Package_for_RollupFix` names no KB by itself.
    package_kb: HashMap<String, String>,
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
    let identity = &mut file.identity;
    file.records = each_line(entry, &mut file.warnings, |number, raw| {
        let raw = raw.trim_start_matches('\u{feff}');
        if let Some(at) = raw.find("&OSVersion=") {
            // The device attributes Windows Update sends with each scan name the running OS's version.
            let version = &raw[at + "&OSVersion=".len()..];
            identity.add_build_of(version.split('&').next().unwrap_or(version), number, None);
        }
        match parse_line(raw) {
            Some((dialect, line)) => {
                state.dialect.get_or_insert(dialect);
                state.span =
                    Some(state.span.map_or((line.local, line.local), |(a, b)| (a.min(line.local), b.max(line.local))));
                lines::handle(&mut state, events, &path, number, &line);
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
