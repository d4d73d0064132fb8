//! Windows Setup (Panther) logs: `setupact.log` / `setuperr.log` of feature upgrades, clean installs, OOBE,
//! sysprep, push-button reset and Azure provisioning, plus the two XML shapes found next to them: Panther's
//! `diagerr.xml` / `diagwrn.xml` (an ADO rowset of setup's error records, *not* SetupDiag) and SetupDiag's
//! `SetupDiagResults.xml`. Lines use the CBS-style fixed-width prefix; the component column may be blank
//! (windeploy, recovery tools), and codes come in every spelling (`Result = 0x…`, `Error: 0x…[gle=…]`,
//! `dwRet = 0x3cf2`, `failed with error 80070490`, `0xC1900101 - 0x20017`).

use crate::event::{Action, Event, Level, Source, SourceFile};
use crate::text::kb_of;
use crate::text::prefix;
use crate::time::CivilTime;
use patchdx_bundle::{Entry, FileKind};
use regex::Regex;
use std::sync::OnceLock;

mod results;
pub use results::parse_setupdiag_text;
use results::{rowset, setupdiag};

/// Reads a Panther file of any of the shapes above; SetupDiag results come back as `Source::SetupDiag`.
pub fn read(entry: &Entry) -> SourceFile {
    let is_err = entry.kind == FileKind::PantherSetupErr || entry.file_name().to_ascii_lowercase().contains("setuperr");
    if entry.kind == FileKind::SetupDiagResults && !looks_like_xml(entry) {
        // SetupDiagResults.log (text) or .json: small, read whole.
        let mut warnings = Vec::new();
        let mut file = match crate::text::read_text(entry, 16 << 20, &mut warnings) {
            Some(text) => parse_setupdiag_text(&entry.path, &text),
            None => SourceFile::new(&entry.path, Source::SetupDiag),
        };
        file.warnings.splice(0..0, warnings);
        return file;
    }
    if entry.kind == FileKind::SetupDiagResults || looks_like_xml(entry) {
        let mut warnings = Vec::new();
        let mut file = match crate::text::read_text(entry, 64 << 20, &mut warnings) {
            Some(text) => parse_xml(&entry.path, &text),
            None => SourceFile::new(&entry.path, Source::Panther),
        };
        file.warnings.splice(0..0, warnings);
        return file;
    }
    let mut parser = Parser::new(&entry.path, is_err);
    let mut warnings = Vec::new();
    crate::text::for_each_line(entry, &mut warnings, |_, line| parser.line(line));
    parser.file.warnings.extend(warnings);
    parser.finish()
}

/// Parses setupact/setuperr text already in memory.
pub fn parse_text(path: &str, text: &str, is_setuperr: bool) -> SourceFile {
    let mut parser = Parser::new(path, is_setuperr);
    for line in text.split('\n') {
        parser.line(line);
    }
    parser.finish()
}

/// Parses `diagerr.xml`-style rowsets and `SetupDiagResults.xml`.
pub fn parse_xml(path: &str, text: &str) -> SourceFile {
    if text.contains("<SetupDiag") { setupdiag(path, text) } else { rowset(path, text) }
}

struct Parser {
    file: SourceFile,
    is_err: bool,
    line_no: u64,
    /// Whether the file has shown a rollback happening: a failed setup result after it is the rollback's result.
    rolled_back: bool,
}

impl Parser {
    fn new(path: &str, is_err: bool) -> Self {
        Parser { file: SourceFile::new(path, Source::Panther), is_err, line_no: 0, rolled_back: false }
    }

    fn line(&mut self, raw: &str) {
        self.line_no += 1;
        let line = raw.trim_end_matches(['\r', '\n']).trim_start_matches('\u{feff}');
        if line.trim().is_empty() {
            return;
        }
        self.file.records += 1;
        let Some(parsed) = split_line(line) else { return };
        self.file.first_local = Some(self.file.first_local.map_or(parsed.time, |t| t.min(parsed.time)));
        self.file.last_local = Some(self.file.last_local.map_or(parsed.time, |t| t.max(parsed.time)));
        if let Some(extended) = extended_line(parsed.message) {
            // `ImageExit: Initializing Extended: [0x30018]` completes the result the line before it stated.
            if let Some(last) = self.file.events.last_mut()
                && last.message.contains("Initializing SetupResult")
                && last.local == Some(parsed.time)
                && last.phase.is_none()
            {
                last.phase = extended;
            }
            return;
        }
        if let Some(event) = self.classify(&parsed) {
            self.rolled_back |= event.action == Action::Rollback;
            self.file.events.push(event);
        }
    }

    fn classify(&self, l: &Line<'_>) -> Option<Event> {
        let m = l.message;
        if let Some((result, extended)) = setup_result(m).filter(|(r, _)| patchdx_codes::is_failure(*r)) {
            // Setup reports its result after the restart only when it has rolled back; `SetupResult` lines
            // are written at every exit, a rollback's or a failure before any change (a compatibility block).
            let rollback = self.rolled_back || m.contains("post reboot event");
            let action = if rollback { Action::Rollback } else { Action::InstallFailed };
            let mut event =
                Event::new(Source::Panther, &self.file.path, action, Level::Error, crate::text::clip(m, 400));
            event.line = Some(self.line_no);
            event.local = Some(l.time);
            event.client = client_of(l);
            event.code = Some(result);
            event.phase = extended;
            return Some(event);
        }
        let failed_level = match l.level {
            "Error" => Some(Level::Error),
            w if w.starts_with("Fatal") => Some(Level::Critical),
            // setuperr.log holds only errors, whatever the level column says.
            _ if self.is_err => Some(Level::Error),
            _ => None,
        };
        if let Some(fact) = crate::record::SetupFact::of(m) {
            let mut event =
                Event::new(Source::Panther, &self.file.path, Action::Note, Level::Info, crate::text::clip(m, 400));
            event.line = Some(self.line_no);
            event.local = Some(l.time);
            event.client = client_of(l);
            event.facts.record = crate::event::Record::Of(Box::new(crate::event::SourceRecord::Setup(fact)));
            return Some(event);
        }
        let (action, level, phase) = if let Some(to) = phase_change(m) {
            let level = if to == "Error" { Level::Error } else { Level::Info };
            (Action::SetupPhase, failed_level.unwrap_or(level), Some(to))
        } else if let Some(phase) = execution_phase(m) {
            (Action::SetupPhase, failed_level.unwrap_or(Level::Info), Some(phase))
        } else if is_rollback(m) {
            (Action::Rollback, failed_level.unwrap_or(Level::Warning), None)
        } else if let Some(level) = failed_level {
            (Action::Error, level, None)
        } else {
            return None;
        };
        let mut event = Event::new(Source::Panther, &self.file.path, action, level, crate::text::clip(m, 400));
        event.line = Some(self.line_no);
        event.local = Some(l.time);
        event.client = client_of(l);
        event.phase = phase;
        if action != Action::SetupPhase || level >= Level::Warning {
            let (code, extended) = setup_code(m);
            event.code = code;
            if event.phase.is_none() {
                event.phase = extended;
            }
            event.kb = kb_of(m);
        }
        Some(event)
    }

    fn finish(mut self) -> SourceFile {
        if self.file.records == 0 {
            self.file.note = Some("empty".to_string());
        } else if self.file.first_local.is_none() {
            self.file.note = Some("no timestamped setup lines".to_string());
        }
        self.file
    }
}

/// One prefixed line.
struct Line<'a> {
    time: CivilTime,
    level: &'a str,
    component: &'a str,
    message: &'a str,
}

/// Splits the prefix; a blank component column (the message starts where a component would end) gives "".
fn split_line(line: &str) -> Option<Line<'_>> {
    let prefix = prefix::parse(line)?;
    let level = line.get(20..)?.split_whitespace().next().unwrap_or("");
    let component_at = prefix.component.as_ptr() as usize - line.as_ptr() as usize;
    // The level field is padded to column 43 and the component to column 50; text that starts past the
    // component column means the column was empty.
    if component_at >= 49 {
        let message = &line[component_at..];
        return Some(Line { time: prefix.time, level, component: "", message: message.trim_end() });
    }
    Some(Line { time: prefix.time, level, component: prefix.component, message: prefix.message.trim_end() })
}

/// The component, or the `[tool.exe]` tag of a blank-column line.
fn client_of(l: &Line<'_>) -> Option<String> {
    if !l.component.is_empty() {
        return Some(l.component.to_string());
    }
    let tag = l.message.strip_prefix('[')?.split(']').next()?;
    (!tag.is_empty() && !tag.contains(' ')).then(|| tag.to_string())
}

/// `Setup phase change: [SetupPhaseInstall] -> [SetupPhaseError]` → `Error`.
fn phase_change(message: &str) -> Option<String> {
    let rest = message.strip_prefix("Setup phase change: ")?;
    let to = rest.rsplit("-> [").next()?.trim_end_matches(']');
    Some(to.strip_prefix("SetupPhase").unwrap_or(to).to_string())
}

/// SetupPlatform's `Start execution phase Downlevel` / `Successfully processed execution phase Downlevel`, and
/// image-based setup's `Setup has started phase 4 at …`.
fn execution_phase(message: &str) -> Option<String> {
    if let Some(at) = message.find("execution phase ") {
        let name = message[at + "execution phase ".len()..].split([',', ';', '[']).next()?;
        let name = name.trim().trim_end_matches('.');
        return (!name.is_empty()).then(|| name.to_string());
    }
    for marker in ["Setup has started phase ", "Setup has completed phase "] {
        if let Some(rest) = message.strip_prefix(marker) {
            let n = rest.split(' ').next()?;
            return Some(format!("setup phase {n}"));
        }
    }
    None
}

/// Setup's statement of its overall result and extended code (phase and operation, as `0x30018`):
/// `SetupHost: Reporting post reboot event -> [0xC1900101, 0x30018]`, `ImageExit: Initializing SetupResult:
/// [0xc1900101]` (its extended code follows on the next line, see [`extended_line`]) and the one-line
/// `SetupResult [0xc1900101] Extended [0x30018]`. `None` for any other line.
fn setup_result(message: &str) -> Option<(u32, Option<String>)> {
    if let Some(at) = message.find("post reboot event -> [") {
        let inner = message[at + "post reboot event -> [".len()..].split(']').next()?;
        let mut parts = inner.split(',');
        let result = hex_value(parts.next()?)?;
        return Some((result, parts.next().and_then(extended_code)));
    }
    let at = message.find("SetupResult")?;
    let (result, rest) = bracketed(&message[at + "SetupResult".len()..])?;
    let result = hex_value(result)?;
    let extended = rest
        .find("Extended")
        .and_then(|e| bracketed(&rest[e + "Extended".len()..]))
        .and_then(|(x, _)| extended_code(x));
    Some((result, extended))
}

/// `ImageExit: Initializing Extended: [0x30018]` → `Some(Some("0x30018"))`; `[0x0]` → `Some(None)`.
fn extended_line(message: &str) -> Option<Option<String>> {
    let at = message.find("Initializing Extended")?;
    let (value, _) = bracketed(&message[at + "Initializing Extended".len()..])?;
    Some(extended_code(value))
}

/// `: [0xc1900101] rest` → (`0xc1900101`, ` rest`): the first bracketed value after blanks and a colon.
fn bracketed(text: &str) -> Option<(&str, &str)> {
    let text = text.trim_start_matches([':', ' ', '\t']).strip_prefix('[')?;
    text.split_once(']')
}

fn hex_value(text: &str) -> Option<u32> {
    let text = text.trim();
    let digits = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X"))?;
    u32::from_str_radix(digits, 16).ok()
}

/// A non-zero extended code in setup's `0x30018` spelling.
fn extended_code(text: &str) -> Option<String> {
    hex_value(text).filter(|&v| v != 0).map(|v| format!("0x{v:X}"))
}

/// Lines that report a rollback actually happening (not the many lines that merely prepare one).
fn is_rollback(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    [
        "rolling back",
        "rolled back",
        "rollback started",
        "rollback initiated",
        "starting rollback",
        "initiating rollback",
        "executerollback",
        "running rollback script",
        "rollback failed",
        "rollback complete",
    ]
    .iter()
    .any(|p| lower.contains(p))
}

fn code_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?ix)
            (gle=)?0x([0-9a-f]{1,8})\b(?:\s*-\s*0x([0-9a-f]{1,8})\b)?
            |
            (?:error|failed|status:|returned)\s+([0-9a-f]{8})\b
            |
            HRESULT_FROM_WIN32\((\d{1,5})\)
            |
            \b((?:STATUS|ERROR|E)_[A-Z0-9_]{3,})\b",
        )
        .expect("static regex")
    })
}

/// The code that best describes a setup error line, and SetupDiag/MOSETUP's extended part
/// (`0xC1900101 - 0x20017` → `0x20017`). `gle=` values are last-error leftovers and never chosen; small
/// Win32 values (`0x3cf2`, `0x00000490`) become HRESULTs.
pub fn setup_code(message: &str) -> (Option<u32>, Option<String>) {
    let mut first: Option<(u32, Option<String>)> = None;
    for caps in code_regex().captures_iter(message) {
        if caps.get(1).is_some() {
            continue;
        }
        // Symbolic spellings: `HRESULT_FROM_WIN32(534)`, `STATUS_OBJECT_NAME_NOT_FOUND`.
        let symbolic =
            caps.get(5).and_then(|d| d.as_str().parse::<u32>().ok()).map(patchdx_codes::win32_to_hresult_if_small);
        let symbolic =
            symbolic.or_else(|| caps.get(6).and_then(|n| patchdx_codes::lookup_name(n.as_str())).map(|i| i.value));
        if caps.get(5).is_some() || caps.get(6).is_some() {
            if let Some(value) = symbolic.filter(|v| patchdx_codes::is_failure(*v)) {
                return (Some(value), None);
            }
            continue;
        }
        let hex = caps.get(2).or_else(|| caps.get(4)).map_or("", |m| m.as_str());
        let Ok(value) = u32::from_str_radix(hex, 16) else { continue };
        let extended = caps.get(3).map(|m| format!("0x{}", m.as_str().to_ascii_uppercase()));
        if caps.get(4).is_some() && !patchdx_codes::is_failure(value) {
            continue;
        }
        if patchdx_codes::is_failure(value) {
            return (Some(value), extended);
        }
        if value != 0 && first.is_none() {
            first = Some((patchdx_codes::win32_to_hresult_if_small(value), extended));
        }
    }
    match first {
        Some((value, extended)) => (Some(value), extended),
        None => (None, None),
    }
}

fn looks_like_xml(entry: &Entry) -> bool {
    let head = crate::text::head_lines(entry, 4);
    head.trim_start_matches('\u{feff}').trim_start().starts_with('<')
}

/// Components that write Windows Setup (Panther) lines.
pub const COMPONENTS: &[&str] = &[
    "SP",
    "MOUPG",
    "CONX",
    "PANTHR",
    "SYSPRP",
    "IBS",
    "MIG",
    "SETUPUGC",
    "UI",
    "DU",
    "SIF",
    "COMPAT",
    "BLOCK",
    "OOBE",
    "WINPE",
    "DIAG",
    "ACTIONLIST",
    "SETUPPLATFORM",
    "UNATTEND",
    "UNATTENDGC",
    "SETUPCL",
    "IBSLIB",
    "SCRIPTS",
];

pub fn is_component(component: &str) -> bool {
    COMPONENTS.contains(&component)
}

/// `dispci.dll:  DisplayClassInstaller: …`, `AudMig: Applying saved Audio settings` (a driver installer's
/// `C:\Windows\setupact.log`, which shares Panther's file name).
fn is_driver_line(line: &str) -> bool {
    let mut s = crate::text::shape::Shape::of(line);
    if !(s.exactly(1, |c| c.is_ascii_alphabetic()) && s.run(0, usize::MAX, |c| c.is_ascii_alphanumeric() || c == b'_'))
    {
        return false;
    }
    let rest = &line[s.at..];
    let rest = rest.strip_prefix(".dll").unwrap_or(rest);
    rest.starts_with(": ")
}

/// Line counts by who wrote them, as Panther recognition weighs them.
struct Counts {
    cbs: usize,
    dism: usize,
    /// Setup components, plus blank-column lines whose message starts with a `[tool.exe]` tag.
    panther: usize,
    /// Lines whose component column is blank (the message starts at column 49 or later).
    blank: usize,
    /// Prefixed lines of any other component.
    other: usize,
}

fn counts(sample: &crate::source::Sample) -> Counts {
    let known = |c: &str| crate::cbs::source::is_component(c) || c == crate::dism::COMPONENT || is_component(c);
    let tool_tag = |c: &str| c.starts_with('[') && c.ends_with(".exe]");
    Counts {
        cbs: sample.count_prefixed(|c, _| crate::cbs::source::is_component(c)),
        dism: sample.count_prefixed(|c, _| c == crate::dism::COMPONENT),
        panther: sample.count_prefixed(|c, at| is_component(c) || (!known(c) && at >= 49 && tool_tag(c))),
        blank: sample.count_prefixed(|c, at| !known(c) && at >= 49),
        other: sample.count_prefixed(|c, at| !known(c) && at < 49),
    }
}

/// Windows Setup logs (setupact.log, setuperr.log, diagerr/diagwrn.xml) and SetupDiag's results.
pub struct PantherSource;

impl crate::source::EvidenceSource for PantherSource {
    fn name(&self) -> &'static str {
        "panther"
    }

    fn kinds(&self) -> &'static [FileKind] {
        &[FileKind::PantherSetupAct, FileKind::PantherSetupErr, FileKind::SetupDiagResults]
    }

    fn sources(&self) -> &'static [Source] {
        &[Source::Panther, Source::SetupDiag]
    }

    fn recognise(&self, sample: &crate::source::Sample) -> Option<crate::source::Claim> {
        use crate::source::Claim;
        let by_name =
            if sample.lower_name.contains("setuperr") { FileKind::PantherSetupErr } else { FileKind::PantherSetupAct };
        if let Some(head) = sample.xml_head() {
            if head.contains("<SetupDiag") {
                return Some(Claim::new(FileKind::SetupDiagResults, 93));
            }
            // Panther's diagerr.xml / diagwrn.xml: setup's error records as an ADO rowset (not SetupDiag).
            if head.contains("#RowsetSchema") && head.contains("name=\"Msg\"") {
                return Some(Claim::new(FileKind::PantherSetupErr, 92));
            }
        }
        // SetupDiag's text and JSON results.
        let setupdiag_line = |l: &str| {
            let l = l.trim();
            l.starts_with("Matching Profile found:")
                || (l.contains("\"ProfileName\":") && sample.text.contains("\"ProfileGuid\""))
                || (l.starts_with("Error: SetupDiag reports") && sample.lower_name.contains("setupdiag"))
        };
        if sample.count_plain(setupdiag_line) > 0 {
            return Some(Claim::new(FileKind::SetupDiagResults, 93));
        }
        let n = counts(sample);
        // An upgrade's setupact.log embeds CBS and DISM lines; CBS.log and dism.log carry setup components
        // rarely (a few CONX lines at most).
        if n.panther >= 5 && (n.panther * 10 >= n.cbs + n.dism || sample.named_setup_log()) {
            return Some(Claim::new(by_name, 80));
        }
        if n.panther + n.blank > 0 && n.panther + n.blank >= n.other {
            return Some(Claim::new(by_name, 50));
        }
        // Look-alikes of the same file name, claimed so that the file list can say what they are.
        let driver = sample.count_plain(is_driver_line);
        let lines = sample.lines.len();
        if driver > 0 && driver * 2 >= lines && n.cbs + n.dism + n.panther + n.blank + n.other == 0 {
            return Some(Claim::new(FileKind::DriverSetupLog, 15));
        }
        if sample.lower_name.ends_with("setupact.log") && (n.other > 0 || sample.text.contains(">>>  [")) {
            return Some(Claim::new(FileKind::DriverSetupLog, 14));
        }
        (n.other > 0 && sample.lower_name.contains("setup")).then_some(Claim::new(by_name, 10))
    }

    fn kind_from_name(&self, lower_name: &str) -> Option<FileKind> {
        match lower_name {
            "setuperr.log" => Some(FileKind::PantherSetupErr),
            "setupact.log" => Some(FileKind::PantherSetupAct),
            _ => None,
        }
    }

    fn note_for_unread(&self, kind: FileKind) -> Option<&'static str> {
        (kind == FileKind::DriverSetupLog)
            .then_some("a device installer's setupact.log, not a Windows setup (Panther) log")
    }

    fn read(&self, entry: &Entry) -> SourceFile {
        read(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_in_every_setup_spelling() {
        let cases = [
            ("CInstallUI::GetDefaultLanguage(2027): Result = 0x80070002[gle=0x00000002]", Some(0x8007_0002), None),
            ("Failed to check OS architecture. 0x00000490[gle=0x00000002]", Some(0x8007_0490), None),
            ("[windeploy.exe] CFirstUXWnd::OpenExisting failed with error 80070490", Some(0x8007_0490), None),
            ("Exit code of RemoveAllApps thread was 0x3cf2.", Some(0x8007_3cf2), None),
            ("SendCallbackMessage: [0x7] -> user callback returned 0x800704D3", Some(0x8007_04D3), None),
            ("BCD: Failed to export alterations to firmware. Status: c000000d", Some(0xC000_000D), None),
            ("MOSETUP result 0xC1900101 - 0x20017", Some(0xC190_0101), Some("0x20017")),
            ("SetupHost: Diagnostic tool does not exist [x.exe][gle=0x00000002]", None, None),
        ];
        for (text, code, extended) in cases {
            let (got, ext) = setup_code(text);
            assert_eq!(got, code, "{text}");
            assert_eq!(ext.as_deref(), extended, "{text}");
        }
    }

    #[test]
    fn blank_component_column_is_not_taken_from_the_message() {
        let l =
            split_line("2021-06-09 12:08:20, Error                        WinReGetConfigEx failed. Error: 0x00000003")
                .expect("line");
        assert_eq!(l.component, "");
        assert!(l.message.starts_with("WinReGetConfigEx"));
        let l =
            split_line("2019-03-29 00:32:48, Error      [0x0606ae] IBS    [SetupCl library] Required").expect("line");
        assert_eq!(l.component, "IBS");
    }
}
