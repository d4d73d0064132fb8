//! Reads everything in a bundle once: CBS logs (stitched into one history) and every other evidence source,
//! with a summary line per file and every per-file warning.

use crate::FileSummary;
use crate::timeline::{self, Timeline};
use patchdx_bundle::{Bundle, Entry, FileKind, Severity, Warning};
use patchdx_formats::cbs::{self, CbsLog, history::History};
use patchdx_formats::event::SourceFile;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What was read from a bundle.
pub struct BundleEvidence {
    pub files: Vec<FileSummary>,
    pub warnings: Vec<Warning>,
    /// CBS pieces in history order, then SFC extracts.
    pub cbs_logs: Vec<CbsLog>,
    pub history: History,
    /// Every non-CBS source file that was parsed (moved into the timeline by [`BundleEvidence::timeline`]).
    pub sources: Vec<SourceFile>,
}

fn is_cbs(kind: FileKind) -> bool {
    matches!(kind, FileKind::Cbs | FileKind::SfcDetails)
}

pub fn read_evidence(bundle: &Bundle) -> BundleEvidence {
    let mut warnings = bundle.warnings.clone();
    let cbs_entries: Vec<&Entry> = bundle.entries.iter().filter(|e| is_cbs(e.kind) && e.size > 0).collect();
    let mut logs = cbs::read_all(&cbs_entries);
    for log in &mut logs {
        warnings.append(&mut log.warnings);
        if log.first.is_none() && log.lines > 0 {
            warnings.push(Warning {
                path: log.path.clone(),
                severity: Severity::Notice,
                message: "no timestamped CBS line found in this file".to_string(),
            });
        }
    }
    let other: Vec<&Entry> = bundle.entries.iter().filter(|e| !is_cbs(e.kind)).collect();
    // Plain threads, not the rayon pool: the evtx reader hands chunks to the rayon pool and blocks until they
    // are parsed, which deadlocks when every pool thread is itself blocked in such a reader (guarded by a test
    // with two .evtx files).
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8).min(other.len().max(1));
    let mut sources: Vec<(usize, SourceFile)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut read = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(entry) = other.get(i) else { break };
                        if let Some(source) = patchdx_formats::read_source(entry) {
                            read.push((i, source));
                        }
                    }
                    read
                })
            })
            .collect();
        // A reader that panicked loses only its own files; their absence shows in the file list.
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    });
    sources.sort_by_key(|(i, _)| *i);
    let mut sources: Vec<SourceFile> = sources.into_iter().map(|(_, s)| s).collect();
    for source in &mut sources {
        warnings.append(&mut source.warnings);
    }
    let parsed: std::collections::HashSet<&str> = sources.iter().map(|s| s.path.as_str()).collect();
    let files = bundle
        .entries
        .iter()
        .map(|entry| {
            let analysed = (is_cbs(entry.kind) && entry.size > 0) || parsed.contains(entry.path.as_str());
            FileSummary {
                path: entry.path.clone(),
                kind: entry.kind,
                kind_label: entry.kind.label(),
                size: entry.size,
                encoding: entry.encoding.map(|e| e.label()),
                encoding_evidence: entry.encoding_evidence,
                analysed,
                note: patchdx_formats::registry::note_for(entry, analysed),
            }
        })
        .collect();
    // SFC [SR] extracts repeat CBS.log lines: diagnose them, but do not stitch them into the CBS history.
    let (mut history_logs, extracts): (Vec<CbsLog>, Vec<CbsLog>) =
        logs.into_iter().partition(|l| l.kind == FileKind::Cbs);
    let history = cbs::history::stitch(&mut history_logs);
    let mut cbs_logs = history_logs;
    cbs_logs.extend(extracts);
    BundleEvidence { files, warnings, cbs_logs, history, sources }
}

impl BundleEvidence {
    /// All sources, CBS included, on one UTC timeline. The non-CBS sources move into it (their events are not
    /// copied); the CBS logs stay, since the diagnosis reads them.
    pub fn timeline(&mut self) -> Timeline {
        timeline_of(&self.cbs_logs, std::mem::take(&mut self.sources))
    }
}

/// The timeline of CBS logs and the other sources (which move into it).
pub fn timeline_of(cbs_logs: &[CbsLog], sources: Vec<SourceFile>) -> Timeline {
    let mut files: Vec<SourceFile> = cbs_logs.iter().map(cbs::timeline::to_source_file).collect();
    files.extend(sources);
    timeline::build(files)
}
