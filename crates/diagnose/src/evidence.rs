//! Reads everything in a bundle once: CBS logs (stitched into one history) and every other evidence source,
//! with a summary line per file and every per-file warning.

use crate::FileSummary;
use crate::timeline::{self, Timeline};
use patchdx_bundle::{Bundle, Entry, FileKind, Severity, Warning};
use patchdx_formats::cbs::{self, CbsLog, history::History};
use patchdx_formats::event::SourceFile;
use patchdx_formats::registry;
use patchdx_formats::source::EvidenceSource;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What was read from a bundle, before it is split by machine.
pub struct BundleEvidence {
    pub files: Vec<FileSummary>,
    pub warnings: Vec<Warning>,
    /// Every file read: CBS files (history pieces and SFC extracts) in bundle order, then the other sources in
    /// bundle order.
    pub sources: Vec<SourceFile>,
}

/// The evidence of one machine: its CBS history stitched, and its files.
pub struct MachineEvidence {
    pub history: History,
    /// CBS pieces in history order, then SFC extracts, then the other sources in bundle order (moved into the
    /// timeline by [`MachineEvidence::timeline`]).
    pub sources: Vec<SourceFile>,
}

/// A reader and the files it reads together.
type ReadTogether<'b> = (&'static dyn EvidenceSource, Vec<&'b Entry>);

/// The files of readers that read their files together, and the files read one by one, in bundle order.
fn by_reader(bundle: &Bundle) -> (Vec<ReadTogether<'_>>, Vec<&Entry>) {
    let mut together: Vec<ReadTogether<'_>> = Vec::new();
    let mut one_by_one = Vec::new();
    for entry in &bundle.entries {
        let Some(reader) = registry::for_kind(entry.kind) else { continue };
        // Readers that read their files together (CBS) skip empty files: there is nothing to stitch.
        if reader.reads_together() {
            if entry.size > 0 {
                match together.iter_mut().find(|(r, _)| r.name() == reader.name()) {
                    Some((_, entries)) => entries.push(entry),
                    None => together.push((reader, vec![entry])),
                }
            }
        } else {
            one_by_one.push(entry);
        }
    }
    (together, one_by_one)
}

/// Reads files one by one on a few plain threads. Not the rayon pool: the evtx reader hands chunks to the
/// rayon pool and blocks until they are parsed, which deadlocks when every pool thread is itself blocked in
/// such a reader (guarded by a test with two .evtx files).
fn read_one_by_one(entries: &[&Entry]) -> Vec<SourceFile> {
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8).min(entries.len().max(1));
    let mut read: Vec<(usize, SourceFile)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut read = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(entry) = entries.get(i) else { break };
                        if let Some(source) = patchdx_formats::read_source(entry) {
                            read.push((i, source));
                        }
                    }
                    read
                })
            })
            .collect();
        // Readers are called behind `catch_unwind` (see `registry::read`): a worker never panics, so joining it
        // loses nothing.
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    });
    read.sort_by_key(|(i, _)| *i);
    read.into_iter().map(|(_, s)| s).collect()
}

pub fn read_evidence(bundle: &Bundle) -> BundleEvidence {
    let mut warnings = bundle.warnings.clone();
    let (together, one_by_one) = by_reader(bundle);
    let mut cbs_files: Vec<SourceFile> = Vec::new();
    for (reader, entries) in together {
        cbs_files.extend(registry::read_all(reader, &entries));
    }
    for file in &mut cbs_files {
        warnings.append(&mut file.warnings);
        if let Some(log) = file.cbs.as_deref()
            && log.first.is_none()
            && log.lines > 0
        {
            warnings.push(Warning {
                path: file.path.clone(),
                severity: Severity::Notice,
                message: "no timestamped CBS line found in this file".to_string(),
            });
        }
    }
    let mut others = read_one_by_one(&one_by_one);
    for source in &mut others {
        warnings.append(&mut source.warnings);
    }
    let parsed: std::collections::HashSet<&str> = cbs_files.iter().chain(&others).map(|s| s.path.as_str()).collect();
    let files = bundle
        .entries
        .iter()
        .map(|entry| {
            let analysed = parsed.contains(entry.path.as_str());
            FileSummary {
                path: entry.path.clone(),
                kind: entry.kind,
                kind_label: entry.kind.label(),
                size: entry.size,
                encoding: entry.encoding.map(|e| e.label()),
                encoding_evidence: entry.encoding_evidence,
                analysed,
                note: registry::note_for(entry, analysed),
            }
        })
        .collect();
    let mut sources = cbs_files;
    sources.extend(others);
    BundleEvidence { files, warnings, sources }
}

impl MachineEvidence {
    /// Stitches the CBS history of one machine's files.
    pub fn of(files: Vec<SourceFile>) -> MachineEvidence {
        let (cbs_files, others): (Vec<SourceFile>, Vec<SourceFile>) = files.into_iter().partition(|f| f.cbs.is_some());
        // SFC [SR] extracts repeat CBS.log lines: diagnose them, but do not stitch them into the CBS history.
        let (mut history_files, extracts): (Vec<SourceFile>, Vec<SourceFile>) =
            cbs_files.into_iter().partition(|f| f.cbs.as_deref().is_some_and(|l| l.kind == FileKind::Cbs));
        let history = cbs::history::stitch(&mut history_files);
        let mut sources = history_files;
        sources.extend(extracts);
        sources.extend(others);
        MachineEvidence { history, sources }
    }

    /// What each CBS file read says about itself (history order, then SFC extracts).
    pub fn cbs_logs(&self) -> Vec<CbsLog> {
        self.sources.iter().filter_map(|s| s.cbs.as_deref().cloned()).collect()
    }

    /// All sources, CBS included, on one UTC timeline; the files move into it.
    pub fn timeline(&mut self) -> Timeline {
        timeline::build(std::mem::take(&mut self.sources))
    }
}
