//! CBS.log and its rotated pieces as an evidence source.

use crate::event::{Source, SourceFile};
use crate::source::{Claim, EvidenceSource, Sample};
use patchdx_bundle::{Entry, FileKind};

/// Components that write CBS.log lines.
pub const COMPONENTS: &[&str] = &["CBS", "CSI", DPX, "TI", "SQM"];

/// The Delta Patch Expander, which writes into CBS.log while CBS expands express payloads, and into its own
/// log (`C:\Windows\Logs\DPX\setupact.log`) when Windows Update has it expand a download.
pub const DPX: &str = "DPX";

pub fn is_component(component: &str) -> bool {
    COMPONENTS.contains(&component)
}

/// CBS.log, CbsPersist_*.log and SFC's `[SR]` extracts.
pub struct Cbs;

impl EvidenceSource for Cbs {
    fn name(&self) -> &'static str {
        "cbs"
    }

    fn kinds(&self) -> &'static [FileKind] {
        &[FileKind::Cbs, FileKind::SfcDetails]
    }

    fn sources(&self) -> &'static [Source] {
        &[Source::Cbs]
    }

    fn recognise(&self, sample: &Sample) -> Option<Claim> {
        let cbs = sample.count_prefixed(|c, _| is_component(c));
        if cbs == 0 {
            return None;
        }
        let sr = sample
            .lines
            .iter()
            .filter(|l| l.component.is_some_and(|(c, _)| is_component(c)))
            .filter(|l| memchr::memmem::find(l.text.as_bytes(), b"[SR]").is_some())
            .count();
        if sr == cbs {
            return Some(Claim::new(FileKind::SfcDetails, 90));
        }
        // DPX's own log has CBS's line shape but DPX lines alone (`Started DPX phase: Resume and Download Job`,
        // `CreateFileW failed, FileName:…\$dpx$.tmp\job.xml`, `DpxException hr=…`); CBS.log has DPX lines only
        // among CBS and CSI lines. A CBS.log or CbsPersist piece that opens with nothing but DPX lines keeps its
        // name's kind.
        let dpx = sample.count_prefixed(|c, _| c == DPX);
        let prefixed = sample.count_prefixed(|_, _| true);
        if dpx == cbs && dpx * 10 >= prefixed * 9 && self.kind_from_name(sample.lower_name).is_none() {
            return Some(Claim::new(FileKind::DpxLog, 70));
        }
        // DISM writes CBS lines into dism.log and CBS writes DISM lines into CBS.log: the file is CBS's when
        // its CBS lines are not drowned in DISM's.
        let dism = sample.count_prefixed(|c, _| c == crate::dism::COMPONENT);
        let mostly_cbs = dism == 0 || cbs * 10 >= dism || !sample.lower_name.contains("dism");
        (mostly_cbs && cbs * 4 >= dism).then_some(Claim::new(FileKind::Cbs, 70))
    }

    fn kind_from_name(&self, lower_name: &str) -> Option<FileKind> {
        let cbs = lower_name == "cbs.log" || (lower_name.starts_with("cbspersist_") && lower_name.ends_with(".log"));
        cbs.then_some(FileKind::Cbs)
    }

    fn note_for_unread(&self, kind: FileKind) -> Option<&'static str> {
        (kind == FileKind::DpxLog).then_some(
            "the Delta Patch Expander's log (express/UUP payload expansion), neither CBS history nor a Windows setup \
             (Panther) log; not analysed: read its DpxException and failure lines by hand",
        )
    }

    fn read(&self, entry: &Entry) -> SourceFile {
        super::read(entry)
    }

    fn reads_together(&self) -> bool {
        true
    }

    fn read_all(&self, entries: &[&Entry]) -> Vec<SourceFile> {
        super::read_all(entries)
    }
}
