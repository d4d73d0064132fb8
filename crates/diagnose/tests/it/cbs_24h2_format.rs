//! Class: the CBS line format of Windows 11 24H2 and later, which writes a bracketed code after the level
//! (`Error      [0x01806a] CSI    …`, `Info       [0x0f004d] CBS    …`), is read exactly like the classic one by
//! every part of the analysis: the scan, first causes and cascades, sessions, SFC and corruption, advanced
//! installers, times and UTC offsets. Each classic sample is rewritten in the new format and both analyses are
//! compared.

use crate::common::*;
use patchdx_diagnose::Analysis;

/// A prefixed line `YYYY-MM-DD HH:MM:SS, Level<blanks>Component  message` in the 24H2 shape: the level padded to
/// 11 columns, then `[0x…] ` so that the component stays at column 43. Continuation lines are unchanged.
fn as_24h2(line: &str, n: usize) -> String {
    let bytes = line.as_bytes();
    let bom = if line.starts_with('\u{feff}') { 3 } else { 0 };
    let prefixed = bytes.len() > bom + 43 && bytes[bom + 19] == b',' && bytes[bom + 4] == b'-';
    if !prefixed {
        return line.to_string();
    }
    let head = &line[..bom + 21];
    let rest = &line[bom + 21..];
    let (level, after_level) = rest.split_once(' ').unwrap_or((rest, ""));
    let component_and_message = after_level.trim_start();
    format!("{head}{level:<11}[0x{:06x}] {component_and_message}", 0x0f0000 + n)
}

/// What the analysis concluded, without the quoted text (which differs by the brackets).
fn conclusions(analysis: &Analysis) -> Vec<String> {
    let mut out: Vec<String> = analysis
        .findings
        .iter()
        .map(|f| {
            let cascade: Vec<u64> = f.cascade.iter().map(|e| e.line).collect();
            format!(
                "{} {:?} {} code={:?} at={} utc={} first={} outcome={} cascade={cascade:?} installer={:?} items={:?} repair={:?}",
                f.id,
                f.verdict,
                f.title,
                f.code.as_ref().map(|c| c.value),
                local(f.local_time),
                local(f.utc_time),
                f.first_cause.line,
                f.outcome.line,
                f.installer.as_ref().map(|i| (&i.name, i.code.value, &i.components)),
                f.items,
                f.repair.as_ref().map(|r| r.components.iter().map(|c| c.identity.clone()).collect::<Vec<_>>()),
            )
        })
        .collect();
    out.extend(analysis.observations.iter().map(|o| format!("observation {} {}", o.kind, o.summary)));
    out.extend(analysis.cbs.sessions.iter().map(|s| format!("session {} {:?} {:?}", s.id, s.start_line, s.result)));
    out.extend(analysis.cbs.logs.iter().map(|l| format!("log lines={} offsets={:?}", l.lines, l.offsets.len())));
    out
}

fn same_in_both_formats(classic: &std::path::Path) {
    let text = std::fs::read_to_string(classic).expect("sample is UTF-8");
    let rewritten: String = text.split_inclusive('\n').enumerate().map(|(n, line)| as_24h2(line, n)).collect();
    assert_ne!(rewritten, text, "{} was rewritten", classic.display());
    let dir = tempfile::tempdir().expect("scratch");
    let path = dir.path().join(classic.file_name().expect("file name"));
    std::fs::write(&path, rewritten).expect("write");
    let (before, after) = (analyze(classic), analyze(&path));
    assert!(!before.findings.is_empty() || !before.observations.is_empty(), "{} shows something", classic.display());
    assert_eq!(conclusions(&before), conclusions(&after), "{}", classic.display());
}

#[test]
fn every_classic_cbs_sample_reads_the_same_in_the_24h2_line_format() {
    for name in [
        "cbs/kb5014805-wu-install-store-corrupt-0x80073712.log",
        "cbs/sfc-19045-cannot-repair-dwmcore-prncacla-hash-mismatch.log",
        "cbs/kb5005568-1809-http-installer-service-disabled-0x800f0922.log",
        "cbs/sfc-20348-rd-licensing-xml-rewritten-by-role-cannot-repair.log",
        "cbs/sfc-7601-cannot-repair-cnbj2530-settings-ini-quoted-paths-repaired-mshtml.log",
    ] {
        same_in_both_formats(&sample(name));
    }
}

#[test]
fn real_logs_read_the_same_in_the_24h2_line_format() {
    for name in ["cbs/romi1996_1903_CBS_csi_payload_corrupt_fixed.log", "cbs/Jrose152_19041_CBS_sfc_repaired.log"] {
        if let Some(path) = fixture(name) {
            same_in_both_formats(&path);
        }
    }
}

#[test]
fn the_rewrite_keeps_the_component_column() {
    let classic = "2022-09-09 15:58:22, Error                 CSI    000003a2 (F) Component store corruption";
    assert_eq!(
        as_24h2(classic, 0x6a),
        "2022-09-09 15:58:22, Error      [0x0f006a] CSI    000003a2 (F) Component store corruption"
    );
    assert_eq!(as_24h2("    Installer name: 'Container Installer'", 1), "    Installer name: 'Container Installer'");
}
