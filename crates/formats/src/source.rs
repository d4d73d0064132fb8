//! What an evidence source is, in one trait: how it recognises its files by content, how it reads one into
//! typed events with file:line, how it writes time, and which event sources and file kinds it stands for.
//! Every reader implements it; [`crate::registry`] lists them.

use crate::event::{Source, SourceFile};
use crate::text::prefix;
use patchdx_bundle::{Entry, FileKind};

/// How a source writes the times of its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeBasis {
    /// Wall-clock local time, with or without a stated offset; the timeline infers UTC where none is stated.
    Local,
    /// UTC (event logs).
    Utc,
}

/// One of the first lines of a text file, as recognition sees it.
#[derive(Debug, Clone, Copy)]
pub struct SampleLine<'a> {
    pub text: &'a str,
    /// The component column and the byte it starts at, for lines with the CBS-style prefix.
    pub component: Option<(&'a str, usize)>,
}

/// What recognition sees of a text file: its first decoded lines (BOM and leading blanks trimmed) and its
/// lower-case file name. Line shapes are read once here and shared by every source's recogniser.
#[derive(Debug)]
pub struct Sample<'a> {
    /// The decoded head, trimmed of a BOM and leading blanks.
    pub text: &'a str,
    pub lower_name: &'a str,
    pub lines: Vec<SampleLine<'a>>,
}

/// How many of the first lines recognition reads.
const SAMPLE_LINES: usize = 400;

impl<'a> Sample<'a> {
    pub fn new(text: &'a str, lower_name: &'a str) -> Self {
        let text = text.trim_start_matches('\u{feff}').trim_start();
        let lines = text
            .lines()
            .take(SAMPLE_LINES)
            .map(|line| SampleLine { text: line, component: prefix::component_column(line) })
            .collect();
        Sample { text, lower_name, lines }
    }

    /// Prefixed lines whose component passes `test(component, column)`.
    pub fn count_prefixed(&self, test: impl Fn(&str, usize) -> bool) -> usize {
        self.lines.iter().filter(|l| l.component.is_some_and(|(c, at)| test(c, at))).count()
    }

    /// Lines without the CBS-style prefix that pass `test`.
    pub fn count_plain(&self, test: impl Fn(&str) -> bool) -> usize {
        self.lines.iter().filter(|l| l.component.is_none() && test(l.text)).count()
    }

    /// The XML head of the file (its first 4,096 characters), when the file starts with `<`.
    pub fn xml_head(&self) -> Option<String> {
        self.text.starts_with('<').then(|| self.text.chars().take(4096).collect())
    }

    /// Whether the file name says `setupact`/`setuperr`.
    pub fn named_setup_log(&self) -> bool {
        self.lower_name.contains("setupact") || self.lower_name.contains("setuperr")
    }
}

/// A source's claim on a text file: the kind it would read it as, and how strongly (the strongest claim wins;
/// the strengths order the tests a person would apply: a file's own markers before line counts before names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    pub kind: FileKind,
    pub strength: u8,
}

impl Claim {
    pub fn new(kind: FileKind, strength: u8) -> Self {
        Claim { kind, strength }
    }
}

/// An evidence source: one log format and its reader.
pub trait EvidenceSource: Sync {
    /// A short stable name (`cbs`, `dism`, `evtx`, …).
    fn name(&self) -> &'static str;

    /// The file kinds this source reads.
    fn kinds(&self) -> &'static [FileKind];

    /// The event sources its events carry (one for most; the event log reader yields one per channel).
    fn sources(&self) -> &'static [Source];

    /// How its times are written.
    fn time_basis(&self) -> TimeBasis {
        TimeBasis::Local
    }

    /// Its claim on a text file, from the file's first lines and name; binary formats are recognised by their
    /// magic bytes when the bundle is opened and claim nothing here.
    fn recognise(&self, _sample: &Sample) -> Option<Claim> {
        None
    }

    /// The kind a file name alone implies, for files whose content says nothing (empty files).
    fn kind_from_name(&self, _lower_name: &str) -> Option<FileKind> {
        None
    }

    /// Why a file of a kind this source recognised is not read (a look-alike it claims in order to say so).
    fn note_for_unread(&self, _kind: FileKind) -> Option<&'static str> {
        None
    }

    /// Reads one file. Problems become warnings on the result; this never fails.
    fn read(&self, entry: &Entry) -> SourceFile;

    /// Whether the source reads all its files of a bundle in one call to [`EvidenceSource::read_all`]
    /// (CBS scans its pieces, and ranges of large pieces, on every core); others are read one by one.
    fn reads_together(&self) -> bool {
        false
    }

    /// Reads several files of this source.
    fn read_all(&self, entries: &[&Entry]) -> Vec<SourceFile> {
        entries.iter().map(|entry| self.read(entry)).collect()
    }
}
