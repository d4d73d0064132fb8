//! What SFC did to each file: its `[SR]` results (`Cannot repair member file`, `Could not reproject corrupted
//! file`, `Repairing file … from store`) and the `Hashes for file member … do not match` lines that come before
//! them, grouped per scan and per file. Files SFC could not repair make one failed finding that lists each file
//! with what the lines say of it and where they are; files it repaired make an observation.

use crate::flat::Flat;
use crate::model::{Confidence, Finding, Observation, Verdict};
use crate::repair::{group_by_time, within};
use patchdx_formats::cbs::CbsEventKind;

/// SFC writes a hash mismatch and its `[SR]` result for the file within the same second; this leaves room for a
/// slow disk without reaching into another run.
const SAME_CHECK_SECONDS: i64 = 60;

/// One scan's lines are all within this of the previous one (a verify pass, then a repair pass).
const SAME_SCAN_SECONDS: i64 = 7200;

/// True when the hash-mismatch line `index` is SFC's: the hash lines after it end in an `[SR]` result. A hash
/// mismatch DISM's store check writes is followed by its own repair lines (`Unable to repair payload file`)
/// instead, and belongs to the DISM run.
pub(crate) fn checked_by_sfc(flat: &Flat, index: usize) -> bool {
    for next in index + 1..flat.events.len() {
        if !flat.same_piece(index, next) || !within(flat, index, next, SAME_CHECK_SECONDS) {
            return false;
        }
        match flat.kind(next) {
            CbsEventKind::FileHashMismatch { .. } => {}
            kind => return sfc_result(kind).is_some(),
        }
    }
    false
}

/// What an `[SR]` result line says of its file.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SrResult {
    CannotRepair,
    NotReprojected,
    Repaired,
}

fn sfc_result(kind: &CbsEventKind) -> Option<(SrResult, &str)> {
    match kind {
        CbsEventKind::SfcCannotRepair { file } => Some((SrResult::CannotRepair, file)),
        CbsEventKind::SfcCouldNotReproject { path } => Some((SrResult::NotReprojected, path)),
        CbsEventKind::SfcRepaired { file } => Some((SrResult::Repaired, file)),
        _ => None,
    }
}

/// The last segment of a member name or path (`Amd64\CNBJ2530.DPB` → `CNBJ2530.DPB`), the key that joins the
/// spellings of one file: the hash line and `Cannot repair` name the member, `Could not reproject` and
/// `Repairing file` the projected path.
fn leaf(name: &str) -> &str {
    name.rsplit(['\\', '/']).next().unwrap_or(name)
}

/// What SFC's lines of one scan say of one file.
struct FileState {
    /// The member name, or the projected path once a line names it (where the user sees the file).
    name: String,
    path: Option<String>,
    /// The component a `Cannot repair member file … of <component>` line names: two copies of one file (System32
    /// and SysWOW64) share a member name and differ by it.
    component: Option<String>,
    hash_mismatch: bool,
    cannot_repair: bool,
    not_reprojected: bool,
    /// The last `[SR]` result for the file: a file repaired after SFC first gave up on it counts as repaired.
    last: Option<SrResult>,
    /// The file's lines, in order.
    lines: Vec<usize>,
}

impl FileState {
    fn new(name: &str) -> Self {
        FileState {
            name: name.to_string(),
            path: None,
            component: None,
            hash_mismatch: false,
            cannot_repair: false,
            not_reprojected: false,
            last: None,
            lines: Vec::new(),
        }
    }

    fn unrepaired(&self) -> bool {
        matches!(self.last, Some(SrResult::CannotRepair | SrResult::NotReprojected))
    }

    fn is(&self, name: &str) -> bool {
        leaf(&self.name).eq_ignore_ascii_case(leaf(name))
    }

    /// `C:\Windows\System32\x.xml: hash does not match …; SFC could not reproject it … — CBS.log:5, CBS.log:6`.
    fn item(&self, flat: &Flat) -> String {
        let mut said: Vec<&str> = Vec::new();
        if self.hash_mismatch {
            said.push("hash does not match its manifest");
        }
        if self.cannot_repair {
            said.push("SFC cannot repair the member file (the store copy is damaged too)");
        }
        if self.not_reprojected {
            said.push("SFC could not reproject it (the source file in the store is also corrupted)");
        }
        if self.last == Some(SrResult::Repaired) {
            said.push("repaired from the store");
        }
        let places: Vec<String> = self.lines.iter().map(|&i| flat.evidence(i).place()).collect();
        format!("{}: {} — {}", self.name, said.join("; "), places.join(", "))
    }
}

/// The component of `[SR] Cannot repair member file [l:11]'x.dll' of <component>, version …`.
fn component_of(message: &str) -> Option<String> {
    let rest = message.split_once("' of ").or_else(|| message.split_once("\" of ")).map(|(_, rest)| rest)?;
    let name = rest.split(',').next()?.trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// A hash-mismatch line and the member it names.
type HashLine<'a> = (usize, &'a str);

/// The files of one scan, in the order the lines first name them. A hash line waits for the result line of
/// its file, which says which copy it was (the hash line names only the member).
fn files_of(flat: &Flat, group: &[usize]) -> Vec<FileState> {
    let mut files: Vec<FileState> = Vec::new();
    let mut waiting: Vec<HashLine> = Vec::new();
    for &i in group {
        let kind = flat.kind(i);
        if let CbsEventKind::FileHashMismatch { file } = kind {
            waiting.push((i, file));
            continue;
        }
        let Some((result, name)) = sfc_result(kind) else { continue };
        let at = match result {
            SrResult::CannotRepair => {
                let component = component_of(&flat.event(i).message);
                let at = files.iter().position(|f| f.is(name) && component.is_some() && f.component == component);
                let at = at.or_else(|| files.iter().rposition(|f| f.is(name) && f.component.is_none()));
                let at = at.unwrap_or_else(|| {
                    files.push(FileState::new(name));
                    files.len() - 1
                });
                files[at].component = files[at].component.take().or(component);
                files[at].cannot_repair = true;
                at
            }
            SrResult::NotReprojected | SrResult::Repaired => {
                let same_path = |f: &FileState| f.path.as_deref().is_some_and(|p| p.eq_ignore_ascii_case(name));
                let at = files.iter().position(same_path);
                let at = at.or_else(|| files.iter().rposition(|f| f.is(name) && f.path.is_none()));
                let at = at.unwrap_or_else(|| {
                    files.push(FileState::new(name));
                    files.len() - 1
                });
                files[at].path = Some(name.to_string());
                files[at].name = name.to_string();
                files[at].not_reprojected |= result == SrResult::NotReprojected;
                at
            }
        };
        let file = &mut files[at];
        file.last = Some(result);
        // The hash lines of this file that came before its result.
        let (own, others): (Vec<HashLine>, Vec<HashLine>) =
            waiting.into_iter().partition(|(_, member)| file.is(member));
        waiting = others;
        file.hash_mismatch |= !own.is_empty();
        file.lines.extend(own.into_iter().map(|(line, _)| line));
        file.lines.push(i);
    }
    // A hash line no result followed (the log ends mid-scan) stays with the last copy of its file, or alone.
    for (line, member) in waiting {
        let at = files.iter().rposition(|f| f.is(member)).unwrap_or_else(|| {
            files.push(FileState::new(member));
            files.len() - 1
        });
        files[at].hash_mismatch = true;
        files[at].lines.push(line);
    }
    for file in &mut files {
        file.lines.sort_unstable();
    }
    files
}

/// SFC results: the files it could not repair are a failure, listed each with its lines; the files it repaired
/// are an observation.
pub(crate) fn sfc_results(
    flat: &Flat,
    claimed: &mut [bool],
    findings: &mut Vec<Finding>,
    observations: &mut Vec<Observation>,
) {
    let lines: Vec<usize> = (0..flat.events.len())
        .filter(|&i| {
            !claimed[i]
                && match flat.kind(i) {
                    CbsEventKind::FileHashMismatch { .. } => checked_by_sfc(flat, i),
                    kind => sfc_result(kind).is_some(),
                }
        })
        .collect();
    for group in group_by_time(flat, &lines, SAME_SCAN_SECONDS) {
        for &i in &group {
            claimed[i] = true;
        }
        let files = files_of(flat, &group);
        let (unrepaired, repaired): (Vec<&FileState>, Vec<&FileState>) = files.iter().partition(|f| f.unrepaired());
        if !unrepaired.is_empty() {
            findings.push(unrepaired_finding(flat, &unrepaired));
        }
        if !repaired.is_empty() {
            let mut evidence: Vec<usize> = repaired.iter().flat_map(|f| f.lines.iter().copied()).collect();
            evidence.sort_unstable();
            let names: Vec<&str> = repaired.iter().map(|f| f.name.as_str()).collect();
            observations.push(Observation {
                machine: None,
                kind: "sfc-repair",
                summary: format!(
                    "SFC repaired {} file(s) from the component store: {}",
                    repaired.len(),
                    names.join(", ")
                ),
                evidence: evidence.iter().map(|&i| flat.evidence(i)).collect(),
            });
        }
    }
}

/// The finding of the files one scan could not repair: from the first line naming one of them (when SFC found
/// the damage) to the last result, every file listed with its lines.
fn unrepaired_finding(flat: &Flat, files: &[&FileState]) -> Finding {
    let mut chain: Vec<usize> = files.iter().flat_map(|f| f.lines.iter().copied()).collect();
    chain.sort_unstable();
    let first = chain[0];
    let outcome = chain.iter().rev().copied().find(|&i| sfc_result(flat.kind(i)).is_some()).unwrap_or(first);
    let title = format!("SFC could not repair {} file(s)", files.len());
    let reason = "SFC states it cannot repair these files";
    let base = flat.finding(Verdict::Failed, title, first, outcome, Confidence::High, reason);
    Finding {
        client: Some("SFC (Windows Resource Protection)".to_string()),
        phase: Some("system file check".to_string()),
        // Dated by the first line about a damaged file: that is when SFC found the damage.
        local_time: flat.event(first).local,
        utc_time: flat.event(first).utc,
        utc_offset: flat.offset_label(first),
        cascade: chain.iter().skip(1).map(|&i| flat.evidence(i)).collect(),
        items: files.iter().map(|f| f.item(flat)).collect(),
        ..base
    }
}

#[cfg(test)]
mod tests {
    use super::leaf;

    #[test]
    fn leaf_joins_member_names_and_paths() {
        assert_eq!(leaf(r"Amd64\CNBJ2530.DPB"), "CNBJ2530.DPB");
        assert_eq!(leaf(r"C:\Windows\System32\LServer_PKConfig.xml"), "LServer_PKConfig.xml");
        assert_eq!(leaf("img0.jpg"), "img0.jpg");
    }
}
