//! The evidence sources patchdx reads, in one list. Adding a source is a module implementing
//! [`EvidenceSource`] and one line in [`SOURCES`] (plus its file kind and event source names).
//! The registry recognises text files for the bundle (every source claims what it can; the strongest claim
//! wins), says which source reads a kind and how a source writes time, and opens bundles with it.

use crate::event::{Source, SourceFile};
use crate::source::{Claim, EvidenceSource, Sample, TimeBasis};
use patchdx_bundle::{Bundle, Entry, FileKind, OpenError, OpenOptions, Recognise};
use patchdx_bundle::{Severity, Warning};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

/// Every evidence source.
pub static SOURCES: &[&dyn EvidenceSource] = &[
    &crate::cbs::source::Cbs,
    &crate::cmtrace::CmTraceSource,
    &crate::compat::CompatSource,
    &crate::dism::DismSource,
    &crate::evtx::EvtxSource,
    &crate::panther::PantherSource,
    &crate::reporting::ReportingSource,
    &crate::servicing_xml::ServicingXmlSource,
    &crate::setupapi::SetupApiSource,
    &crate::sfc::SfcSource,
    &crate::wulog::WindowsUpdateLogSource,
];

/// The source that reads files of `kind`.
pub fn for_kind(kind: FileKind) -> Option<&'static dyn EvidenceSource> {
    SOURCES.iter().copied().find(|s| s.kinds().contains(&kind))
}

/// The source whose events carry `source`.
pub fn for_source(source: Source) -> Option<&'static dyn EvidenceSource> {
    SOURCES.iter().copied().find(|s| s.sources().contains(&source))
}

/// How the events of `source` are timed.
pub fn time_basis(source: Source) -> TimeBasis {
    for_source(source).map_or(TimeBasis::Local, |s| s.time_basis())
}

/// Reads one file with the source that reads its kind (`None` for kinds no source reads), with the facts every
/// reader shares attached.
/// A reader that panics on a file costs only that file: it is listed with an `Unreadable` warning and the
/// rest of the bundle is analysed.
pub fn read(entry: &Entry) -> Option<SourceFile> {
    Some(read_with(for_kind(entry.kind)?, entry))
}

/// [`read`] with a given source.
pub fn read_with(source: &dyn EvidenceSource, entry: &Entry) -> SourceFile {
    let mut file = match catch_unwind(AssertUnwindSafe(|| source.read(entry))) {
        Ok(file) => file,
        Err(panic) => failed(source, entry, panic.as_ref()),
    };
    annotate(&mut file);
    file
}

/// Reads files of one source together (see [`EvidenceSource::reads_together`]), with shared facts attached.
/// A panic costs the files of that call (each listed with an `Unreadable` warning), never the bundle.
pub fn read_all(source: &dyn EvidenceSource, entries: &[&Entry]) -> Vec<SourceFile> {
    let mut files = match catch_unwind(AssertUnwindSafe(|| source.read_all(entries))) {
        Ok(files) => files,
        Err(panic) => entries.iter().map(|entry| failed(source, entry, panic.as_ref())).collect(),
    };
    files.iter_mut().for_each(annotate);
    files
}

/// The file a reader could not read because it panicked, with a warning that says so.
fn failed(source: &dyn EvidenceSource, entry: &Entry, panic: &(dyn std::any::Any + Send)) -> SourceFile {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string());
    let mut file = SourceFile::new(&entry.path, source.sources().first().copied().unwrap_or(Source::Cbs));
    file.warnings.push(Warning {
        path: entry.path.clone(),
        severity: Severity::Unreadable,
        message: format!(
            "the {} reader failed on this file (internal error: {what}); it is not analysed, the rest of the bundle is",
            source.name()
        ),
    });
    file
}

/// Facts read the same way whatever the source: what each record says is damaged. CBS bookkeeping records
/// (session starts, TrustedInstaller starts, …) say nothing about damage and are passed over.
fn annotate(file: &mut SourceFile) {
    use crate::cbs::CbsEventKind as K;
    for event in &mut file.events {
        let bookkeeping = event.cbs().is_some_and(|r| {
            matches!(
                r.kind,
                K::SessionStart { .. }
                    | K::ExecStarted { .. }
                    | K::TrustedInstallerInit
                    | K::ServicingStackLoaded { .. }
                    | K::LastBootTime { .. }
                    | K::BackupArchived { .. }
                    | K::StartupPackage { .. }
                    | K::StartupQueue
                    | K::InstallerBegin { .. }
                    | K::InstallerName { .. }
                    | K::InstallerComponent { .. }
                    | K::InstallerEnd { .. }
            )
        });
        if !bookkeeping {
            event.facts.damage = crate::damage::read(&event.message).map(Box::new);
        }
    }
}

/// The recogniser the bundle uses for text files.
#[derive(Debug, Clone, Copy, Default)]
pub struct Registry;

impl Recognise for Registry {
    fn recognise_text(&self, text: &str, lower_name: &str) -> FileKind {
        let sample = Sample::new(text, lower_name);
        SOURCES
            .iter()
            .filter_map(|s| s.recognise(&sample))
            .max_by_key(|claim: &Claim| claim.strength)
            .map_or(FileKind::UnknownText, |claim| claim.kind)
    }

    fn recognise_name(&self, lower_name: &str) -> Option<FileKind> {
        let base = lower_name.rsplit(['/', '\\']).next().unwrap_or(lower_name);
        SOURCES.iter().find_map(|s| s.kind_from_name(base))
    }
}

/// Options that recognise files with every source of the registry.
pub fn open_options() -> OpenOptions {
    OpenOptions { recogniser: Some(&Registry), ..OpenOptions::default() }
}

/// Opens a folder, archive or single file and recognises every file with the registry (`options.recogniser`
/// is set to it).
pub fn open(path: &Path, options: &OpenOptions) -> Result<Bundle, OpenError> {
    let options = OpenOptions { recogniser: Some(&Registry), ..options.clone() };
    patchdx_bundle::open(path, &options)
}

/// Why a file is not on the timeline, or `None` when it was analysed.
pub fn note_for(entry: &Entry, analysed: bool) -> Option<String> {
    if analysed {
        return None;
    }
    if let Some(note) = SOURCES.iter().find_map(|s| s.note_for_unread(entry.kind)) {
        return Some(note.to_string());
    }
    Some(match entry.kind {
        FileKind::Cab | FileKind::Zip => "archive: its members are listed separately".to_string(),
        FileKind::Empty => "empty".to_string(),
        FileKind::Etl => "binary ETL trace, not readable here: run Get-WindowsUpdateLog on a Windows machine and include the WindowsUpdate.log it writes".to_string(),
        FileKind::UnknownText | FileKind::UnknownBinary => "not recognised as servicing evidence".to_string(),
        _ => "recognised; this version of patchdx does not analyse this kind yet".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_evidence_kind_has_exactly_one_reader() {
        for kind in [
            FileKind::Cbs,
            FileKind::SfcDetails,
            FileKind::SfcOutput,
            FileKind::Dism,
            FileKind::WindowsUpdateLog,
            FileKind::ReportingEvents,
            FileKind::PantherSetupAct,
            FileKind::PantherSetupErr,
            FileKind::CmTrace,
            FileKind::SessionsXml,
            FileKind::PendingXml,
            FileKind::SetupDiagResults,
            FileKind::SetupCompatReport,
            FileKind::Evtx,
        ] {
            let readers = SOURCES.iter().filter(|s| s.kinds().contains(&kind)).count();
            assert_eq!(readers, 1, "{kind:?}");
        }
        for source in Source::ALL {
            assert!(for_source(*source).is_some(), "{source:?} has no reader");
        }
    }

    /// A reader bug costs the file it hit, said as an unreadable-input warning, never the run.
    #[test]
    fn a_reader_that_panics_costs_only_its_file_with_an_unreadable_warning() {
        struct Panics;
        impl EvidenceSource for Panics {
            fn name(&self) -> &'static str {
                "panics"
            }
            fn kinds(&self) -> &'static [FileKind] {
                &[FileKind::Dism]
            }
            fn sources(&self) -> &'static [Source] {
                &[Source::Dism]
            }
            fn read(&self, _entry: &Entry) -> SourceFile {
                panic!("index out of bounds in a test reader")
            }
        }
        let dir = tempfile::tempdir().expect("scratch");
        let path = dir.path().join("dism.log");
        std::fs::write(&path, "2022-10-12 11:10:05, Info                  DISM   API: PID=1\r\n").expect("write");
        let bundle = open(&path, &OpenOptions::default()).expect("opens");
        let entry = &bundle.entries[0];
        let file = read_with(&Panics, entry);
        assert!(file.events.is_empty());
        assert_eq!(file.warnings.len(), 1);
        assert_eq!(file.warnings[0].severity, Severity::Unreadable);
        assert_eq!(
            file.warnings[0].message,
            "the panics reader failed on this file (internal error: index out of bounds in a test reader); it is not analysed, the rest of the bundle is"
        );
        let files = read_all(&Panics, &[entry, entry]);
        assert_eq!(files.len(), 2);
    }

    #[test]
    fn renamed_cbs_log_is_still_a_cbs_log() {
        let text = "2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505\r\n";
        assert_eq!(Registry.recognise_text(text, "log1.txt"), FileKind::Cbs);
    }

    #[test]
    fn names_alone_give_a_kind_to_empty_files() {
        assert_eq!(Registry.recognise_name("cbspersist_20221011010000.log"), Some(FileKind::Cbs));
        assert_eq!(Registry.recognise_name("logs/windowsupdate.log"), Some(FileKind::WindowsUpdateLog));
        assert_eq!(Registry.recognise_name("notes.txt"), None);
    }
}
