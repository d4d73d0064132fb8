//! System File Checker evidence: `sfc /scannow` console output (English, German, Simplified Chinese; UTF-8 or
//! UTF-16 as the console redirected it) and `[SR]` extracts of CBS.log (`sfcdetails.txt`, made with
//! `findstr /c:"[SR]"`). Both become repair events naming the files SFC found corrupt, repaired or could not
//! repair, plus one outcome event per scan, so that "SFC says healthy" is evidence like any other.

use crate::event::{Action, Event, Level, Source, SourceFile};
use crate::text::prefix;
use crate::time::CivilTime;
use patchdx_bundle::{Entry, FileKind};

/// What one SFC scan concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SfcOutcome {
    /// No integrity violations.
    Clean,
    /// Corrupt files found and all repaired.
    Repaired,
    /// Corrupt files found; some could not be repaired.
    SomeUnrepaired,
    /// "Could not perform the requested operation" / "could not start the repair service".
    CouldNotRun,
    /// A repair is pending and needs a reboot before SFC can run.
    RebootPending,
}

/// Counts over the whole file, for reports and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SfcSummary {
    /// `[SR] Verifying N components` lines, and the sum of their N.
    pub verify_batches: u32,
    pub components_verified: u64,
    /// Sum of N over `[SR] Repairing N components`.
    pub components_to_repair: u64,
    /// File names of `Hashes for file member … do not match`, one per line.
    pub hash_mismatches: Vec<String>,
    /// File names of `[SR] Repairing file … from store` / `[SR] Repaired file`, one per line.
    pub repaired: Vec<String>,
    /// File names of `[SR] Cannot repair member file` / `Could not reproject`, one per line.
    pub cannot_repair: Vec<String>,
    /// Highest `Verification N% complete` of console output.
    pub verification_percent: Option<u8>,
    /// Outcome of the last scan.
    pub outcome: Option<SfcOutcome>,
}

/// Reads an SFC file (console output or `[SR]` extract).
pub fn read(entry: &Entry) -> SourceFile {
    read_detailed(entry).0
}

/// Like [`read`], with the counts.
pub fn read_detailed(entry: &Entry) -> (SourceFile, SfcSummary) {
    let mut parser = Parser::new(&entry.path);
    let mut warnings = Vec::new();
    crate::text::for_each_line(entry, &mut warnings, |_, line| parser.line(line));
    parser.file.warnings.extend(warnings);
    parser.finish()
}

/// Parses SFC text already in memory (`path` names it in events).
pub fn parse_text(path: &str, text: &str) -> (SourceFile, SfcSummary) {
    let mut parser = Parser::new(path);
    for line in text.split('\n') {
        parser.line(line);
    }
    parser.finish()
}

struct Parser {
    file: SourceFile,
    summary: SfcSummary,
    line_no: u64,
    /// A scan has started and has not written its outcome yet: (line, time, cannot-repair count, repaired count
    /// at its start).
    open_run: Option<(u64, Option<CivilTime>, usize, usize)>,
    last_time: Option<CivilTime>,
}

impl Parser {
    fn new(path: &str) -> Self {
        Parser {
            file: SourceFile::new(path, Source::Sfc),
            summary: SfcSummary::default(),
            line_no: 0,
            open_run: None,
            last_time: None,
        }
    }

    fn event(&self, action: Action, level: Level, time: Option<CivilTime>, message: String) -> Event {
        let mut event = Event::new(Source::Sfc, &self.file.path, action, level, crate::text::clip(&message, 400));
        event.line = Some(self.line_no);
        event.local = time;
        event
    }

    fn line(&mut self, raw: &str) {
        self.line_no += 1;
        let line = raw.trim_end_matches(['\r', '\n']).trim_start_matches('\u{feff}');
        if !line.trim().is_empty() {
            self.file.records += 1;
        }
        match prefix::parse(line) {
            Some(prefix) => {
                self.last_time = Some(prefix.time);
                self.file.first_local = Some(self.file.first_local.map_or(prefix.time, |t| t.min(prefix.time)));
                self.file.last_local = Some(self.file.last_local.map_or(prefix.time, |t| t.max(prefix.time)));
                self.details_line(prefix.message, Some(prefix.time));
            }
            // A redirected console writes progress as `\r`-separated updates on one line.
            None => {
                for part in line.split('\r') {
                    self.console_line(part.trim());
                }
            }
        }
    }

    fn start_run(&mut self, time: Option<CivilTime>, message: &str) {
        if self.open_run.is_none() {
            self.open_run = Some((self.line_no, time, self.summary.cannot_repair.len(), self.summary.repaired.len()));
            let event = self.event(Action::RepairStarted, Level::Info, time, message.to_string());
            self.file.events.push(event);
        }
    }

    /// A CBS-prefixed line of an `[SR]` extract.
    fn details_line(&mut self, message: &str, time: Option<CivilTime>) {
        if let Some(n) = count_after(message, "[SR] Verifying ") {
            self.summary.verify_batches += 1;
            self.summary.components_verified += n;
            self.start_run(time, "SFC verification of component files started");
        } else if let Some(n) = count_after(message, "[SR] Repairing ").filter(|_| message.ends_with("components")) {
            self.summary.components_to_repair += n;
        } else if message.contains("Hashes for file member") {
            let name = file_name(message);
            let text = format!("SFC: hashes of {name} do not match the component store (file is corrupt)");
            self.file.events.push(self.event(Action::CorruptionFound, Level::Warning, time, text));
            self.summary.hash_mismatches.push(name);
        } else if message.contains("[SR] Cannot repair member file") || message.contains("[SR] Could not reproject") {
            let name = file_name(message);
            let mut event =
                self.event(Action::RepairFailed, Level::Error, time, format!("SFC cannot repair {name}: {message}"));
            event.package = member_of(message);
            self.file.events.push(event);
            self.summary.cannot_repair.push(name);
        } else if message.contains("[SR] Repairing file") || message.contains("[SR] Repaired file") {
            let name = file_name(message);
            let text = format!("SFC repaired {name} from the component store");
            self.file.events.push(self.event(Action::RepairSucceeded, Level::Info, time, text));
            self.summary.repaired.push(name);
        } else if message.contains("[SR] Repair complete")
            || message.contains("[SR] Verify and Repair Transaction completed")
        {
            self.close_run(time, None);
        }
    }

    /// Ends the open scan with one outcome event (from the counts of an extract, or the console's verdict).
    fn close_run(&mut self, time: Option<CivilTime>, verdict: Option<SfcOutcome>) {
        let Some((_, _, cannot_before, repaired_before)) = self.open_run.take() else {
            // The transaction line that follows `Repair complete` (or a verdict without a start line).
            if let Some(outcome) = verdict {
                self.push_outcome(time, outcome, &[], &[]);
            }
            return;
        };
        let cannot: Vec<String> = self.summary.cannot_repair[cannot_before..].to_vec();
        let repaired: Vec<String> = self.summary.repaired[repaired_before..].to_vec();
        let outcome = verdict.unwrap_or(if !cannot.is_empty() {
            SfcOutcome::SomeUnrepaired
        } else if !repaired.is_empty() {
            SfcOutcome::Repaired
        } else {
            SfcOutcome::Clean
        });
        self.push_outcome(time, outcome, &cannot, &repaired);
    }

    fn push_outcome(&mut self, time: Option<CivilTime>, outcome: SfcOutcome, cannot: &[String], repaired: &[String]) {
        self.summary.outcome = Some(outcome);
        let list = |names: &[String]| {
            let mut unique: Vec<&str> = names.iter().map(String::as_str).collect();
            unique.dedup();
            unique.join(", ")
        };
        let (action, level, text) = match outcome {
            SfcOutcome::Clean => (Action::Note, Level::Info, "SFC found no integrity violations".to_string()),
            SfcOutcome::Repaired if repaired.is_empty() => {
                (Action::RepairSucceeded, Level::Info, "SFC found corrupt files and repaired them".to_string())
            }
            SfcOutcome::Repaired => {
                (Action::RepairSucceeded, Level::Info, format!("SFC repaired all corrupt files: {}", list(repaired)))
            }
            SfcOutcome::SomeUnrepaired if cannot.is_empty() => {
                (Action::RepairFailed, Level::Error, "SFC found corrupt files it could not repair".to_string())
            }
            SfcOutcome::SomeUnrepaired => {
                (Action::RepairFailed, Level::Error, format!("SFC could not repair: {}", list(cannot)))
            }
            SfcOutcome::CouldNotRun => {
                (Action::RepairFailed, Level::Error, "SFC could not perform the requested operation".to_string())
            }
            SfcOutcome::RebootPending => (
                Action::RebootRequired,
                Level::Warning,
                "SFC did not run: a system repair is pending and needs a reboot".to_string(),
            ),
        };
        self.file.events.push(self.event(action, level, time, text));
    }

    /// A line of `sfc /scannow` console output.
    fn console_line(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        if text.starts_with("Beginning system scan")
            || text.starts_with("开始系统扫描")
            || text.starts_with("Systemüberprüfung wird gestartet")
        {
            self.start_run(None, "sfc /scannow started");
            return;
        }
        if let Some(percent) = verification_percent(text) {
            self.summary.verification_percent = Some(self.summary.verification_percent.unwrap_or(0).max(percent));
            return;
        }
        if let Some(outcome) = console_verdict(text) {
            self.close_run(None, Some(outcome));
        }
    }

    fn finish(mut self) -> (SourceFile, SfcSummary) {
        if let Some((line, _, _, _)) = self.open_run {
            let text = match self.summary.verification_percent {
                Some(p) => format!("SFC output ends at {p}% verification without a result (scan interrupted?)"),
                None => "SFC log ends before the scan finished (scan interrupted, or the extract is cut)".to_string(),
            };
            let mut event = self.event(Action::Warning, Level::Warning, self.last_time, text);
            event.line = Some(line.max(self.line_no));
            self.file.events.push(event);
        }
        if self.file.records == 0 {
            self.file.note = Some("empty".to_string());
        }
        (self.file, self.summary)
    }
}

/// `N` of `<marker>N components`.
fn count_after(message: &str, marker: &str) -> Option<u64> {
    let rest = &message[message.find(marker)? + marker.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if rest[digits.len()..].trim_start().starts_with("components") { digits.parse().ok() } else { None }
}

/// The file an `[SR]` / hash line names (`[l:9]'Appx.psd1'`, `[l:24{12}]"Amd64\x.dpb"`, a projected path bare
/// or quoted in parts), read as the CBS reader reads it; empty when the line names none.
fn file_name(message: &str) -> String {
    use crate::cbs::sr;
    let name = if message.contains("Hashes for file member") {
        sr::hash_member(message)
    } else if message.contains("Cannot repair member file") {
        sr::cannot_repair_member(message)
    } else if message.contains("corrupted file ") {
        sr::path_after(message, "corrupted file ")
    } else {
        sr::path_after(message, "file ")
    };
    name.unwrap_or_default()
}

/// The component of `Cannot repair member file … of <component>, Version = …`.
fn member_of(message: &str) -> Option<String> {
    let rest = message.split(" of ").nth(1)?;
    let name = rest.split(',').next()?.trim();
    (!name.is_empty()).then(|| name.to_string())
}

fn verification_percent(text: &str) -> Option<u8> {
    let known = ["Verification", "验证", "Überprüfung"];
    if !text.contains('%') || !known.iter().any(|k| text.contains(k)) {
        return None;
    }
    let before = &text[..text.find('%')?];
    let digits: String = before
        .trim_end()
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().ok().filter(|p| *p <= 100)
}

/// Phrases any of which means the outcome.
type Verdict = (&'static [&'static str], SfcOutcome);

/// The verdict lines of the console, per language: the marker that says the line is SFC's verdict
/// ("Windows Resource Protection …"), then the phrases that tell each verdict, checked in this order.
const CONSOLE_VERDICTS: &[(&str, &[Verdict])] = &[
    (
        "Windows Resource Protection",
        &[
            (&["did not find any integrity violations"], SfcOutcome::Clean),
            (&["unable to fix some"], SfcOutcome::SomeUnrepaired),
            (&["successfully repaired"], SfcOutcome::Repaired),
            (&["could not perform", "could not start the repair service"], SfcOutcome::CouldNotRun),
        ],
    ),
    (
        // Windows 资源保护未找到任何完整性冲突。 / 找到了损坏文件并成功修复了它们。 / 找到了损坏文件，但无法修复其中某些文件。
        "资源保护",
        &[
            (&["未找到任何完整性冲突"], SfcOutcome::Clean),
            (&["无法修复"], SfcOutcome::SomeUnrepaired),
            (&["成功修复"], SfcOutcome::Repaired),
            (&["无法执行", "无法启动"], SfcOutcome::CouldNotRun),
        ],
    ),
    (
        "Ressourcenschutz",
        &[
            (&["keine Integritätsverletzungen"], SfcOutcome::Clean),
            (&["nicht reparieren"], SfcOutcome::SomeUnrepaired),
            (&["erfolgreich repariert"], SfcOutcome::Repaired),
            (&["nicht ausführen", "nicht starten"], SfcOutcome::CouldNotRun),
        ],
    ),
];

/// The verdict line of the console, in the languages we can recognise.
fn console_verdict(text: &str) -> Option<SfcOutcome> {
    if let Some((_, verdicts)) = CONSOLE_VERDICTS.iter().find(|(marker, _)| text.contains(marker)) {
        return verdicts
            .iter()
            .find(|(phrases, _)| phrases.iter().any(|phrase| text.contains(phrase)))
            .map(|(_, outcome)| *outcome);
    }
    text.contains("system repair pending which requires reboot").then_some(SfcOutcome::RebootPending)
}

/// Phrases of `sfc /scannow` console output (English, Simplified Chinese, German).
fn is_console_line(line: &str) -> bool {
    line.contains("Windows Resource Protection")
        || line.contains("Beginning system scan")
        || line.contains("资源保护")
        || line.contains("开始系统扫描")
        || line.contains("Ressourcenschutz")
}

/// `sfc /scannow` console output as an evidence source (`[SR]` extracts of CBS.log are read as CBS).
pub struct SfcSource;

impl crate::source::EvidenceSource for SfcSource {
    fn name(&self) -> &'static str {
        "sfc"
    }

    fn kinds(&self) -> &'static [FileKind] {
        &[FileKind::SfcOutput]
    }

    fn sources(&self) -> &'static [Source] {
        &[Source::Sfc]
    }

    fn recognise(&self, sample: &crate::source::Sample) -> Option<crate::source::Claim> {
        (sample.count_plain(is_console_line) > 0).then_some(crate::source::Claim::new(FileKind::SfcOutput, 20))
    }

    fn read(&self, entry: &Entry) -> SourceFile {
        read(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_in_every_sr_spelling() {
        assert_eq!(file_name("Hashes for file member [l:9]'Appx.psd1' do not match."), "Appx.psd1");
        assert_eq!(
            file_name("[SR] Cannot repair member file [l:24{12}]\"Amd64\\CNBJ2530.DPB\" of prncacla.inf, Version = 1"),
            "Amd64\\CNBJ2530.DPB"
        );
        assert_eq!(
            file_name("[SR] Repairing file \\??\\C:\\WINDOWS\\Web\\Wallpaper\\Windows\\\\img0.jpg from store"),
            "C:\\WINDOWS\\Web\\Wallpaper\\Windows\\img0.jpg"
        );
        assert_eq!(
            file_name(
                "[SR] Could not reproject corrupted file \\??\\C:\\Windows\\System32\\\\LServer_PKConfig.xml; source file in store is also corrupted"
            ),
            "C:\\Windows\\System32\\LServer_PKConfig.xml"
        );
    }

    #[test]
    fn progress_percent_is_read_from_carriage_return_updates() {
        let (_, summary) =
            parse_text("x", "Beginning system scan.\nVerification 5% complete.\rVerification 37% complete.\r\n");
        assert_eq!(summary.verification_percent, Some(37));
        assert_eq!(summary.outcome, None);
    }
}
