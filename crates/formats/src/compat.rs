//! Windows Setup's compatibility results: `CompatData_*.xml` (one per compatibility scan, in
//! `$WINDOWS.~BT\Sources\Panther`), `ScanResult.xml` (the same `<CompatReport>` schema, the scan's summary) and
//! the older Panther `appcompat.xml` (`<CompatReport><HardBlocks><Message>…`). Each entry that holds something
//! against the upgrade becomes one event quoting its line: a program, device or system requirement with
//! `BlockingType="Hard"` (setup will not upgrade: an error) or `"Soft"` (a warning), a driver package setup will
//! not migrate (`BlockMigration="True"`, a warning), or a `<HardBlocks>`/`<SoftBlocks>` section. Entries with
//! `BlockingType="None"` are counted, not reported. These files state no time; a `CompatData_YYYY_MM_DD_HH_MM_SS…`
//! name does, and its events take it, so that a block can be laid beside the setup run it stopped.

use crate::event::{Action, Event, Level, Record, Source, SourceFile, SourceRecord};
use crate::record::{BlockLevel, CompatBlock, CompatSubject};
use crate::text::clip;
use crate::text::xml::{Item, attr, walk_str};
use crate::time::CivilTime;
use patchdx_bundle::{Entry, FileKind, Severity, Warning};

/// The longest message kept for an event.
const MESSAGE_CHARS: usize = 500;

/// An entry being read: what it is, where the decisive line is, what its children said.
struct Open {
    block: CompatBlock,
    /// `BlockingType` as written (`None` until a `<CompatibilityInfo>` states it).
    blocking: Option<String>,
    /// The line of the element, and of the `<CompatibilityInfo>` that states how it blocks.
    line: u64,
    info_line: Option<u64>,
}

/// A `<HardBlocks>`/`<SoftBlocks>` section of `appcompat.xml`.
struct Section {
    level: BlockLevel,
    line: u64,
    message: Option<(u64, String)>,
}

struct Reader {
    path: String,
    time: Option<CivilTime>,
    events: Vec<Event>,
    /// Open elements, outermost first (to say where a cut file ends).
    stack: Vec<String>,
    entry: Option<Open>,
    section: Option<Section>,
    /// Entries read, and those that hold nothing against the upgrade.
    entries: u64,
    clear: u64,
    report: bool,
}

fn yes(value: Option<String>) -> Option<bool> {
    value.map(|v| v.trim().eq_ignore_ascii_case("true"))
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

impl Reader {
    fn new(path: &str) -> Self {
        Reader {
            path: path.to_string(),
            time: time_in_name(path),
            events: Vec::new(),
            stack: Vec::new(),
            entry: None,
            section: None,
            entries: 0,
            clear: 0,
            report: false,
        }
    }

    fn block(subject: CompatSubject, level: BlockLevel) -> CompatBlock {
        CompatBlock {
            level,
            subject,
            name: None,
            id: None,
            inf: None,
            class: None,
            status: None,
            message: None,
            action: None,
            link: None,
            signed: None,
        }
    }

    fn item(&mut self, item: Item<'_>, line: u64) {
        match item {
            Item::Start(name, attrs) => {
                self.start(&name, &attrs, line);
                self.stack.push(name);
            }
            Item::End(name) => {
                self.end(&name);
                if let Some(at) = self.stack.iter().rposition(|n| *n == name) {
                    self.stack.truncate(at);
                }
            }
            Item::Text(text) => {
                // appcompat.xml: the text of a section's own `<Message>` says what the section is about.
                if self.stack.last().is_some_and(|n| n == "Message")
                    && self.stack.len() >= 2
                    && self.stack[self.stack.len() - 2].ends_with("Blocks")
                    && let Some(section) = self.section.as_mut()
                    && section.message.is_none()
                {
                    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                    section.message = Some((line, text));
                }
            }
        }
    }

    fn start(&mut self, name: &str, attrs: &[(String, String)], line: u64) {
        let subject = match name {
            "CompatReport" => {
                self.report = true;
                return;
            }
            "Program" => CompatSubject::Program,
            "Device" => CompatSubject::Device,
            "HardwareItem" => CompatSubject::Hardware,
            "DriverPackage" => CompatSubject::DriverPackage,
            "HardBlocks" | "SoftBlocks" => {
                let level = if name == "HardBlocks" { BlockLevel::Hard } else { BlockLevel::Soft };
                self.section = Some(Section { level, line, message: None });
                return;
            }
            "CompatibilityInfo" => {
                if let Some(open) = self.entry.as_mut() {
                    open.blocking = attr(attrs, "BlockingType");
                    open.info_line = Some(line);
                    let b = &mut open.block;
                    b.status = non_empty(attr(attrs, "StatusDetail"));
                    b.message = non_empty(attr(attrs, "Message"));
                    // A requirement is named by its title (`Title="…"`), its type otherwise.
                    if b.subject == CompatSubject::Hardware
                        && let Some(title) = non_empty(attr(attrs, "Title"))
                    {
                        b.name = Some(title);
                    }
                }
                return;
            }
            "Action" => {
                if let Some(open) = self.entry.as_mut()
                    && open.block.action.is_none()
                {
                    open.block.action = non_empty(attr(attrs, "Name"));
                }
                return;
            }
            "Link" => {
                if let Some(open) = self.entry.as_mut()
                    && open.block.link.is_none()
                {
                    open.block.link = non_empty(attr(attrs, "Target"));
                }
                return;
            }
            _ => return,
        };
        let mut block = Self::block(subject, BlockLevel::Soft);
        let mut blocking = None;
        match subject {
            CompatSubject::Program => {
                block.name = non_empty(attr(attrs, "Name"));
                block.id = non_empty(attr(attrs, "Id"));
            }
            CompatSubject::Device => {
                let maker = non_empty(attr(attrs, "Manufacturer"));
                let model = non_empty(attr(attrs, "Model"));
                block.name = match (maker, model) {
                    // Models usually repeat the maker (`Intel Corporation` / `Intel(R) HD Graphics`): keep the model.
                    (Some(maker), Some(model)) if !model.contains(maker.split(' ').next().unwrap_or(&maker)) => {
                        Some(format!("{maker} {model}"))
                    }
                    (_, Some(model)) => Some(model),
                    (maker, None) => maker,
                };
                block.id = non_empty(attr(attrs, "DeviceInstanceId"));
                block.class = non_empty(attr(attrs, "Class"));
                block.inf = non_empty(attr(attrs, "Inf"));
            }
            CompatSubject::Hardware => {
                block.id = non_empty(attr(attrs, "HardwareType"));
                block.name = block.id.clone();
            }
            CompatSubject::DriverPackage => {
                block.inf = non_empty(attr(attrs, "Inf"));
                block.signed = yes(attr(attrs, "HasSignedBinaries"));
                // A driver package setup will not carry over: the upgrade can go on without it, the device may be
                // left without its driver.
                blocking = yes(attr(attrs, "BlockMigration")).map(|m| if m { "Migration" } else { "None" }.to_string());
            }
            CompatSubject::Unnamed => {}
        }
        self.finish_entry();
        self.entry = Some(Open { block, blocking, line, info_line: None });
    }

    fn end(&mut self, name: &str) {
        match name {
            "Program" | "Device" | "HardwareItem" | "DriverPackage" => self.finish_entry(),
            "HardBlocks" | "SoftBlocks" => self.finish_section(false),
            _ => {}
        }
    }

    /// The event of the entry being read, if it blocks anything.
    fn finish_entry(&mut self) {
        let Some(open) = self.entry.take() else { return };
        self.entries += 1;
        let mut block = open.block;
        block.level = match open.blocking.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("hard") => BlockLevel::Hard,
            Some("soft") | Some("migration") => BlockLevel::Soft,
            _ => {
                self.clear += 1;
                return;
            }
        };
        let what = match (block.subject, open.blocking.as_deref()) {
            (CompatSubject::DriverPackage, _) => match block.signed {
                Some(false) => "BlockMigration=\"True\", HasSignedBinaries=\"False\": setup will not migrate it",
                _ => "BlockMigration=\"True\": setup will not migrate it",
            }
            .to_string(),
            (_, Some(b)) => format!("BlockingType=\"{b}\""),
            _ => String::new(),
        };
        let line = open.info_line.unwrap_or(open.line);
        self.push(block, line, what);
    }

    /// The event of an appcompat.xml section; `cut` when the file ends inside it.
    fn finish_section(&mut self, cut: bool) {
        let Some(section) = self.section.take() else { return };
        self.entries += 1;
        let mut block = Self::block(CompatSubject::Unnamed, section.level);
        let line = section.message.as_ref().map_or(section.line, |(l, _)| *l);
        block.message = section.message.map(|(_, m)| m);
        let what = if cut {
            "the file is cut before it names the entries".to_string()
        } else {
            "the section names no entry".to_string()
        };
        self.push(block, line, what);
    }

    fn push(&mut self, block: CompatBlock, line: u64, what: String) {
        let (action, level, kind) = match block.level {
            BlockLevel::Hard => (Action::Error, Level::Error, "hard block"),
            BlockLevel::Soft => (Action::Warning, Level::Warning, "soft block"),
        };
        let mut text = format!("compatibility {kind}: {}", block.label());
        if let Some(inf) = block.inf.as_deref().filter(|_| block.subject != CompatSubject::DriverPackage) {
            text.push_str(&format!(", driver {inf}"));
        }
        if !what.is_empty() {
            text.push_str(&format!(" ({what})"));
        }
        if let Some(message) = &block.message {
            text.push_str(&format!(": {message}"));
        }
        if let Some(action) = &block.action {
            text.push_str(&format!(" [setup offers: {action}]"));
        }
        let mut event = Event::new(Source::SetupCompat, &self.path, action, level, clip(&text, MESSAGE_CHARS));
        event.line = Some(line);
        event.local = self.time;
        event.client = block.name.clone().or_else(|| block.inf.clone());
        event.facts.record = Record::Of(Box::new(SourceRecord::CompatBlock(Box::new(block))));
        self.events.push(event);
    }

    fn finish(mut self, mut warnings: Vec<Warning>, walk_failed: bool) -> SourceFile {
        let cut = !self.stack.is_empty();
        if cut && !walk_failed {
            // Setup was stopped (or the file copied) while it wrote the report: what came before the cut is read.
            let open: Vec<String> = self.stack.iter().map(|n| format!("<{n}>")).collect();
            warnings.push(Warning {
                path: self.path.clone(),
                severity: Severity::Damaged,
                message: format!(
                    "the compatibility report is cut short: it ends inside {} without closing them; the entries before the cut are read, any after it are lost",
                    open.join("")
                ),
            });
        }
        self.finish_entry();
        self.finish_section(cut);
        let mut file = SourceFile::new(&self.path, Source::SetupCompat);
        file.records = self.entries;
        file.warnings = warnings;
        let hard = self.events.iter().filter(|e| e.level == Level::Error).count();
        let soft = self.events.len() - hard;
        file.note = Some(if !self.report {
            "XML without a <CompatReport>: not a Windows Setup compatibility report".to_string()
        } else {
            let time = match self.time {
                Some(_) => "time taken from the file name",
                None => "no time in this file",
            };
            format!(
                "Windows Setup compatibility report: {hard} hard block(s), {soft} soft block(s), {} entr(ies) that block nothing; {time}",
                self.clear
            )
        });
        file.events = self.events;
        file.compute_range();
        file
    }
}

/// `CompatData_2020_12_30_03_44_12_…xml` → 2020-12-30 03:44:12 (local: setup names the file by the clock).
fn time_in_name(path: &str) -> Option<CivilTime> {
    let name = path.rsplit(['/', '\\', '!']).next().unwrap_or(path);
    let rest = name.get(..11).filter(|p| p.eq_ignore_ascii_case("compatdata_")).and(name.get(11..))?;
    let mut parts = rest.split(['_', '.', '-']).map(|p| p.parse::<u32>().ok());
    let mut next = || parts.next().flatten();
    let (y, mo, d, h, mi, s) = (next()?, next()?, next()?, next()?, next()?, next()?);
    CivilTime::from_parts(y as i32, mo, d, h, mi, s, 0)
}

/// Parses a compatibility report already in memory.
pub fn parse(path: &str, text: &str) -> SourceFile {
    let mut reader = Reader::new(path);
    let warning = walk_str(path, text.trim_start_matches('\u{feff}'), |item, line| reader.item(item, line));
    let failed = warning.is_some();
    reader.finish(warning.into_iter().collect(), failed)
}

/// Reads one compatibility report.
pub fn read(entry: &Entry) -> SourceFile {
    let mut warnings = Vec::new();
    let Some(text) = crate::text::read_text(entry, 64 << 20, &mut warnings) else {
        let mut file = SourceFile::new(&entry.path, Source::SetupCompat);
        file.warnings = warnings;
        return file;
    };
    let mut file = parse(&entry.path, &text);
    file.warnings.splice(0..0, warnings);
    file
}

/// Windows Setup's compatibility reports as an evidence source.
pub struct CompatSource;

impl crate::source::EvidenceSource for CompatSource {
    fn name(&self) -> &'static str {
        "setup-compat"
    }

    fn kinds(&self) -> &'static [FileKind] {
        &[FileKind::SetupCompatReport]
    }

    fn sources(&self) -> &'static [Source] {
        &[Source::SetupCompat]
    }

    fn recognise(&self, sample: &crate::source::Sample) -> Option<crate::source::Claim> {
        let head = sample.xml_head()?;
        head.contains("<CompatReport").then_some(crate::source::Claim::new(FileKind::SetupCompatReport, 93))
    }

    fn kind_from_name(&self, lower_name: &str) -> Option<FileKind> {
        let report = (lower_name.starts_with("compatdata_") && lower_name.ends_with(".xml"))
            || lower_name == "scanresult.xml"
            || lower_name == "appcompat.xml";
        report.then_some(FileKind::SetupCompatReport)
    }

    fn read(&self, entry: &Entry) -> SourceFile {
        read(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scan_time_is_read_from_a_compatdata_name() {
        let t = time_in_name("Panther/CompatData_2024_03_14_09_12_45_1_0001001A.xml").expect("time");
        assert_eq!(t.to_string(), "2024-03-14 09:12:45");
        assert!(time_in_name("ScanResult.xml").is_none());
        assert!(time_in_name("CompatData_x.xml").is_none());
    }
}
