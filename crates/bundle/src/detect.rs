//! Recognises what a file is (by content first, name second) and which text encoding it uses.

use encoding_rs::Encoding;
use serde::Serialize;

/// How many leading bytes are sniffed to recognise a file.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// What kind of evidence a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    /// CBS.log or a rotated CbsPersist_*.log.
    Cbs,
    /// An `[SR]` extract of CBS.log (sfcdetails.txt).
    SfcDetails,
    /// `sfc /scannow` console output.
    SfcOutput,
    Dism,
    WindowsUpdateLog,
    ReportingEvents,
    PantherSetupAct,
    PantherSetupErr,
    /// A device installer's setupact.log: same file name as Panther's, different content.
    DriverSetupLog,
    CmTrace,
    SessionsXml,
    PendingXml,
    SetupDiagResults,
    Evtx,
    Etl,
    Cab,
    Zip,
    Empty,
    /// Text that none of the parsers recognise.
    UnknownText,
    /// Binary data that none of the parsers recognise.
    UnknownBinary,
}

impl FileKind {
    pub fn label(self) -> &'static str {
        match self {
            FileKind::Cbs => "CBS log",
            FileKind::SfcDetails => "SFC [SR] extract",
            FileKind::SfcOutput => "SFC console output",
            FileKind::Dism => "DISM log",
            FileKind::WindowsUpdateLog => "WindowsUpdate.log",
            FileKind::ReportingEvents => "ReportingEvents.log",
            FileKind::PantherSetupAct => "Panther setupact.log",
            FileKind::PantherSetupErr => "Panther setuperr.log",
            FileKind::DriverSetupLog => "driver installer log (not Panther)",
            FileKind::CmTrace => "ConfigMgr (CMTrace) log",
            FileKind::SessionsXml => "servicing Sessions XML",
            FileKind::PendingXml => "pending.xml",
            FileKind::SetupDiagResults => "SetupDiag results",
            FileKind::Evtx => "Windows event log (.evtx)",
            FileKind::Etl => "binary ETL trace",
            FileKind::Cab => "CAB archive",
            FileKind::Zip => "ZIP archive",
            FileKind::Empty => "empty file",
            FileKind::UnknownText => "unrecognised text",
            FileKind::UnknownBinary => "unrecognised binary",
        }
    }

    pub fn is_archive(self) -> bool {
        matches!(self, FileKind::Cab | FileKind::Zip)
    }
}

/// The text encoding of a file, with how the BOM (if any) looked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8 {
        bom: bool,
    },
    Utf16Le {
        bom: bool,
    },
    Utf16Be {
        bom: bool,
    },
    /// A single- or multi-byte legacy code page (GBK, windows-1252, …).
    Legacy(&'static Encoding),
}

impl TextEncoding {
    pub fn label(self) -> String {
        let bom = |b: bool| if b { " (BOM)" } else { " (no BOM)" };
        match self {
            TextEncoding::Utf8 { bom: b } => format!("UTF-8{}", bom(b)),
            TextEncoding::Utf16Le { bom: b } => format!("UTF-16LE{}", bom(b)),
            TextEncoding::Utf16Be { bom: b } => format!("UTF-16BE{}", bom(b)),
            TextEncoding::Legacy(e) => e.name().to_string(),
        }
    }

    /// Number of BOM bytes at the start of the file.
    pub fn bom_len(self) -> usize {
        match self {
            TextEncoding::Utf8 { bom: true } => 3,
            TextEncoding::Utf16Le { bom: true } | TextEncoding::Utf16Be { bom: true } => 2,
            _ => 0,
        }
    }

    /// The encoding_rs decoder target; `None` means the bytes are already UTF-8.
    pub fn decoder_encoding(self) -> Option<&'static Encoding> {
        match self {
            TextEncoding::Utf8 { .. } => None,
            TextEncoding::Utf16Le { .. } => Some(encoding_rs::UTF_16LE),
            TextEncoding::Utf16Be { .. } => Some(encoding_rs::UTF_16BE),
            TextEncoding::Legacy(e) => Some(e),
        }
    }

    pub fn is_utf16(self) -> bool {
        matches!(self, TextEncoding::Utf16Le { .. } | TextEncoding::Utf16Be { .. })
    }

    /// Parses an `--encoding` label: `utf-8`, `utf-16le`, `utf-16be`, `gbk`, `windows-1252`, …
    pub fn from_label(label: &str) -> Option<TextEncoding> {
        let lower = label.trim().to_ascii_lowercase();
        match lower.as_str() {
            "utf-8" | "utf8" => Some(TextEncoding::Utf8 { bom: false }),
            "utf-16le" | "utf16le" | "utf-16" | "unicode" => Some(TextEncoding::Utf16Le { bom: false }),
            "utf-16be" | "utf16be" => Some(TextEncoding::Utf16Be { bom: false }),
            _ => Encoding::for_label(lower.as_bytes()).map(TextEncoding::Legacy),
        }
    }
}

/// Which of the ways an encoding was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EncodingEvidence {
    ByteOrderMark,
    ZeroBytePattern,
    ValidUtf8,
    StatisticalGuess,
    UserOverride,
}

/// Decides the encoding of a text sample (the first bytes of a file).
pub fn detect_encoding(sample: &[u8]) -> (TextEncoding, EncodingEvidence) {
    if sample.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return (TextEncoding::Utf8 { bom: true }, EncodingEvidence::ByteOrderMark);
    }
    if sample.starts_with(&[0xFF, 0xFE]) {
        return (TextEncoding::Utf16Le { bom: true }, EncodingEvidence::ByteOrderMark);
    }
    if sample.starts_with(&[0xFE, 0xFF]) {
        return (TextEncoding::Utf16Be { bom: true }, EncodingEvidence::ByteOrderMark);
    }
    if let Some(utf16) = utf16_by_zero_bytes(sample) {
        return (utf16, EncodingEvidence::ZeroBytePattern);
    }
    if valid_utf8_prefix(sample) {
        return (TextEncoding::Utf8 { bom: false }, EncodingEvidence::ValidUtf8);
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(sample, false);
    let mut guess = detector.guess(None, chardetng::Utf8Detection::Allow);
    // Servicing logs carry little non-ASCII text (a path, a user name), too little for a statistical guess
    // between the East Asian double-byte code pages. Chinese systems are the ones we meet; GBK wins whenever
    // the bytes are valid GBK (`--encoding` overrides for Korean, Japanese or Big5 systems).
    let cjk = [encoding_rs::EUC_KR, encoding_rs::BIG5, encoding_rs::SHIFT_JIS, encoding_rs::EUC_JP];
    if cjk.contains(&guess) && encoding_rs::GBK.decode_without_bom_handling_and_without_replacement(sample).is_some() {
        guess = encoding_rs::GBK;
    }
    let encoding =
        if guess == encoding_rs::UTF_8 { TextEncoding::Utf8 { bom: false } } else { TextEncoding::Legacy(guess) };
    (encoding, EncodingEvidence::StatisticalGuess)
}

/// ASCII-heavy UTF-16 text has a zero in every other byte; which half tells the byte order.
fn utf16_by_zero_bytes(sample: &[u8]) -> Option<TextEncoding> {
    let pairs = sample.len() / 2;
    // Most files have no zero byte at all; finding that out with a SIMD search spares a byte-by-byte count
    // of 32 K pairs for every file of a bundle.
    if pairs < 4 || memchr::memchr(0, sample).is_none() {
        return None;
    }
    let (mut even_zero, mut odd_zero) = (0usize, 0usize);
    for pair in sample.chunks_exact(2) {
        even_zero += usize::from(pair[0] == 0);
        odd_zero += usize::from(pair[1] == 0);
    }
    if odd_zero * 10 >= pairs * 3 && even_zero * 20 < pairs {
        Some(TextEncoding::Utf16Le { bom: false })
    } else if even_zero * 10 >= pairs * 3 && odd_zero * 20 < pairs {
        Some(TextEncoding::Utf16Be { bom: false })
    } else {
        None
    }
}

/// Valid UTF-8, allowing a multi-byte character cut off by the end of the sample.
fn valid_utf8_prefix(sample: &[u8]) -> bool {
    match std::str::from_utf8(sample) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && sample.len() - e.valid_up_to() < 4,
    }
}

/// Decodes a sample to text for recognition (lossy; never fails). Valid UTF-8 is borrowed, not copied.
pub fn decode_sample(sample: &[u8], encoding: TextEncoding) -> std::borrow::Cow<'_, str> {
    let body = &sample[encoding.bom_len().min(sample.len())..];
    match encoding.decoder_encoding() {
        // `from_utf8` checks ASCII a word at a time; `from_utf8_lossy` goes byte by byte.
        None => match std::str::from_utf8(body) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(body),
        },
        Some(enc) => enc.decode_without_bom_handling(body).0,
    }
}

/// Recognises a file from its first bytes and its name.
pub fn detect_kind(sample: &[u8], file_name: &str, encoding: Option<TextEncoding>) -> (FileKind, Option<TextEncoding>) {
    let (kind, encoding, _) = detect_kind_and_evidence(sample, file_name, encoding);
    (kind, encoding)
}

/// [`detect_kind`], also saying how the encoding was decided (`forced` counts as the user's override). The
/// encoding is detected once: it is the costliest part of recognising a text file.
pub fn detect_kind_and_evidence(
    sample: &[u8],
    file_name: &str,
    forced: Option<TextEncoding>,
) -> (FileKind, Option<TextEncoding>, Option<EncodingEvidence>) {
    let lower_name = file_name.to_ascii_lowercase();
    if sample.is_empty() {
        return (FileKind::Empty, None, None);
    }
    if sample.starts_with(b"MSCF") {
        return (FileKind::Cab, None, None);
    }
    if sample.starts_with(b"PK\x03\x04") || sample.starts_with(b"PK\x05\x06") {
        return (FileKind::Zip, None, None);
    }
    if sample.starts_with(b"ElfFile\0") {
        return (FileKind::Evtx, None, None);
    }
    if lower_name.ends_with(".etl") && looks_binary(sample) {
        return (FileKind::Etl, None, None);
    }
    let (encoding, evidence) = match forced {
        Some(encoding) => (encoding, EncodingEvidence::UserOverride),
        None => detect_encoding(sample),
    };
    if looks_binary(sample) && !encoding.is_utf16() {
        return (FileKind::UnknownBinary, None, None);
    }
    let text = decode_sample(sample, encoding);
    (classify_text(&text, &lower_name), Some(encoding), Some(evidence))
}

fn looks_binary(sample: &[u8]) -> bool {
    let head = &sample[..sample.len().min(4096)];
    let controls = head.iter().filter(|&&b| b < 0x09 || (0x0E..0x1A).contains(&b)).count();
    controls * 20 > head.len()
}

/// A cursor over the start of a line, for checking line shapes by hand: recognition runs on the first lines of
/// every file, and compiling regexes for it cost more than reading the files' heads.
struct Shape<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Shape<'a> {
    fn of(line: &'a str) -> Self {
        Shape { bytes: line.as_bytes(), at: 0 }
    }

    /// Exactly `n` bytes that pass `test`.
    fn exactly(&mut self, n: usize, test: impl Fn(u8) -> bool) -> bool {
        let ok = self.bytes.get(self.at..self.at + n).is_some_and(|run| run.iter().all(|&c| test(c)));
        self.at += n;
        ok
    }

    /// Between `min` and `max` bytes that pass `test` (as many as there are, up to `max`).
    fn run(&mut self, min: usize, max: usize, test: impl Fn(u8) -> bool) -> bool {
        let n = self.bytes[self.at.min(self.bytes.len())..].iter().take(max).take_while(|&&c| test(c)).count();
        self.at += n;
        n >= min
    }

    fn digits(&mut self, n: usize) -> bool {
        self.exactly(n, |c| c.is_ascii_digit())
    }

    fn byte(&mut self, want: u8) -> bool {
        self.exactly(1, |c| c == want)
    }

    fn one_of(&mut self, set: &[u8]) -> bool {
        self.exactly(1, |c| set.contains(&c))
    }

    fn blanks(&mut self) -> bool {
        self.run(1, usize::MAX, |c| c.is_ascii_whitespace())
    }

    /// `yyyy-mm-dd`, with one of `separators` between the parts.
    fn date(&mut self, separators: &[u8]) -> bool {
        self.digits(4) && self.one_of(separators) && self.digits(2) && self.one_of(separators) && self.digits(2)
    }

    /// `hh:mm:ss`.
    fn clock(&mut self) -> bool {
        self.digits(2) && self.byte(b':') && self.digits(2) && self.byte(b':') && self.digits(2)
    }
}

/// `2016-09-28\t04:30:30:123\t  988\t 1c4\t…` (Windows 7/8 WindowsUpdate.log).
fn is_wu_win7_line(line: &str) -> bool {
    let mut s = Shape::of(line);
    s.date(b"-")
        && s.byte(b'\t')
        && s.clock()
        && s.byte(b':')
        && s.digits(3)
        && s.blanks()
        && s.run(1, usize::MAX, |c| c.is_ascii_digit())
        && s.blanks()
        && s.run(1, usize::MAX, |c| c.is_ascii_hexdigit())
        && s.byte(b'\t')
}

/// `2022/09/09 15:58:23.4567890 1234  5678  Agent  …` (Get-WindowsUpdateLog output, `/` or `-` in the date).
fn is_wu_win10_line(line: &str) -> bool {
    let mut s = Shape::of(line);
    s.date(b"/-")
        && s.byte(b' ')
        && s.clock()
        && s.byte(b'.')
        && s.run(3, 7, |c| c.is_ascii_digit())
        && s.blanks()
        && s.run(1, usize::MAX, |c| c.is_ascii_digit())
        && s.blanks()
        && s.run(1, usize::MAX, |c| c.is_ascii_digit())
        && s.blanks()
        && s.exactly(1, |c| !c.is_ascii_whitespace())
}

/// `{GUID}\t2022-09-09 15:58:23:456+0800\t…` (ReportingEvents.log).
fn is_reporting_line(line: &str) -> bool {
    let mut s = Shape::of(line);
    s.byte(b'{')
        && s.exactly(36, |c| c.is_ascii_hexdigit() || c == b'-')
        && s.byte(b'}')
        && s.byte(b'\t')
        && s.date(b"-")
        && s.byte(b' ')
        && s.clock()
        && s.byte(b':')
        && s.digits(3)
        && s.one_of(b"+-")
        && s.digits(4)
        && s.byte(b'\t')
}

/// `dispci.dll:  DisplayClassInstaller: …`, `AudMig: Applying saved Audio settings` (a driver installer's
/// C:\Windows\setupact.log).
fn is_driver_line(line: &str) -> bool {
    let mut s = Shape::of(line);
    if !(s.exactly(1, |c| c.is_ascii_alphabetic()) && s.run(0, usize::MAX, |c| c.is_ascii_alphanumeric() || c == b'_'))
    {
        return false;
    }
    let rest = &line[s.at..];
    let rest = rest.strip_prefix(".dll").unwrap_or(rest);
    rest.starts_with(": ")
}

/// The component column of a `2019-07-29 22:34:35, Info                  CBS    message` line (CBS, DISM and
/// Panther share the shape) and the byte where it starts. Written out by hand: it runs on the first lines of
/// every file in a bundle, where a capturing regex cost more than the rest of recognition together.
fn prefixed_component(line: &str) -> Option<(&str, usize)> {
    let b = line.as_bytes();
    const SHAPE: &[u8; 19] = b"dddd-dd-dd dd:dd:dd";
    if b.len() < 21
        || !SHAPE.iter().zip(b).all(|(want, got)| if *want == b'd' { got.is_ascii_digit() } else { want == got })
    {
        return None;
    }
    if b[19] != b',' {
        return None;
    }
    let mut at = 20 + usize::from(b[20] == b' ');
    let level_start = at;
    while at < b.len() && (b[at].is_ascii_alphanumeric() || b[at] == b'_') {
        at += 1;
    }
    let spaces = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_whitespace()).count();
    let gap = spaces(at);
    if at == level_start || gap == 0 {
        return None;
    }
    at += gap;
    // An optional `[0x018003]` after the level (Windows 7), itself followed by blanks.
    if b[at..].starts_with(b"[0x") {
        let digits = b[at + 3..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
        let close = at + 3 + digits;
        if digits > 0 && b.get(close) == Some(&b']') && spaces(close + 1) > 0 {
            at = close + 1 + spaces(close + 1);
        }
    }
    let end = at + b[at..].iter().take_while(|c| !c.is_ascii_whitespace()).count();
    // The component must be followed by a blank, as the message always is.
    if end == at || end >= b.len() {
        return None;
    }
    Some((&line[at..end], at))
}

const PANTHER_COMPONENTS: &[&str] = &[
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

fn classify_text(text: &str, lower_name: &str) -> FileKind {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with("<![LOG[") {
        return FileKind::CmTrace;
    }
    if trimmed.starts_with('<') {
        let head: String = trimmed.chars().take(4096).collect();
        if head.contains("<PendingTransaction") {
            return FileKind::PendingXml;
        }
        if head.contains("<Sessions") || head.contains("<Session ") {
            return FileKind::SessionsXml;
        }
        if head.contains("<SetupDiag") {
            return FileKind::SetupDiagResults;
        }
        // Panther's diagerr.xml / diagwrn.xml: setup's error records as an ADO rowset (not SetupDiag).
        if head.contains("#RowsetSchema") && head.contains("name=\"Msg\"") {
            return FileKind::PantherSetupErr;
        }
    }
    let (mut cbs, mut sr, mut dism, mut panther, mut other_prefixed) = (0usize, 0usize, 0usize, 0usize, 0usize);
    let (mut wu, mut reporting, mut lines) = (0usize, 0usize, 0usize);
    let mut sfc_console = false;
    // Panther lines with a blank component column (windeploy, reset tools); driver-installer `x.dll:  ` lines.
    let (mut blank, mut driver) = (0usize, 0usize);
    for line in trimmed.lines().take(400) {
        lines += 1;
        if let Some((component, component_at)) = prefixed_component(line) {
            match component {
                "CBS" | "CSI" | "DPX" | "TI" | "SQM" => {
                    cbs += 1;
                    sr += usize::from(memchr::memmem::find(line.as_bytes(), b"[SR]").is_some());
                }
                "DISM" => dism += 1,
                c if PANTHER_COMPONENTS.contains(&c) => panther += 1,
                tag if component_at >= 49 => {
                    blank += 1;
                    // `[windeploy.exe] …`: setup's tools name themselves when the component column is blank.
                    panther += usize::from(tag.starts_with('[') && tag.ends_with(".exe]"));
                }
                _ => other_prefixed += 1,
            }
        } else if is_wu_win7_line(line) || is_wu_win10_line(line) {
            wu += 1;
        } else if is_reporting_line(line) {
            reporting += 1;
        } else if line.contains("Windows Resource Protection")
            || line.contains("Beginning system scan")
            || line.contains("资源保护")
            || line.contains("开始系统扫描")
            || line.contains("Ressourcenschutz")
        {
            sfc_console = true;
        } else if is_driver_line(line) {
            driver += 1;
        }
    }
    if cbs > 0 && sr == cbs {
        return FileKind::SfcDetails;
    }
    // Upgrade setupact.log embeds CBS and DISM lines; CBS.log and dism.log carry setup components rarely
    // (a few CONX lines at most).
    let named_setup = lower_name.contains("setupact") || lower_name.contains("setuperr");
    if panther >= 5 && (panther * 10 >= cbs + dism || named_setup) {
        return if lower_name.contains("setuperr") { FileKind::PantherSetupErr } else { FileKind::PantherSetupAct };
    }
    if cbs > 0 && (dism == 0 || cbs * 10 >= dism || !lower_name.contains("dism")) && cbs * 4 >= dism {
        return FileKind::Cbs;
    }
    if dism > 0 && dism >= panther {
        return FileKind::Dism;
    }
    if panther + blank > 0 && panther + blank >= other_prefixed {
        return if lower_name.contains("setuperr") { FileKind::PantherSetupErr } else { FileKind::PantherSetupAct };
    }
    if reporting > 0 && reporting * 2 >= lines.min(400) / 2 {
        return FileKind::ReportingEvents;
    }
    if wu > 0 {
        return FileKind::WindowsUpdateLog;
    }
    if sfc_console {
        return FileKind::SfcOutput;
    }
    if driver > 0 && driver * 2 >= lines && cbs + dism + panther + blank + other_prefixed == 0 {
        return FileKind::DriverSetupLog;
    }
    if lower_name.ends_with("setupact.log") && (other_prefixed > 0 || text.contains(">>>  [")) {
        return FileKind::DriverSetupLog;
    }
    if other_prefixed > 0 && lower_name.contains("setup") {
        return if lower_name.contains("setuperr") { FileKind::PantherSetupErr } else { FileKind::PantherSetupAct };
    }
    FileKind::UnknownText
}

/// The kind implied by a file name alone, for files whose content says nothing (empty files).
pub fn kind_from_name(lower_name: &str) -> Option<FileKind> {
    let base = lower_name.rsplit(['/', '\\']).next().unwrap_or(lower_name);
    if base == "cbs.log" || (base.starts_with("cbspersist_") && base.ends_with(".log")) {
        Some(FileKind::Cbs)
    } else if base.starts_with("dism.log") {
        Some(FileKind::Dism)
    } else if base == "setuperr.log" {
        Some(FileKind::PantherSetupErr)
    } else if base == "setupact.log" {
        Some(FileKind::PantherSetupAct)
    } else if base == "windowsupdate.log" {
        Some(FileKind::WindowsUpdateLog)
    } else if base == "reportingevents.log" {
        Some(FileKind::ReportingEvents)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16le_without_bom_is_recognised_by_zero_bytes() {
        let text = "2022-10-12 11:10:00, Info                  CBS    TI: --- Initializing Trusted Installer ---\r\n";
        let bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(detect_encoding(&bytes).0, TextEncoding::Utf16Le { bom: false });
        assert_eq!(detect_kind(&bytes, "x.txt", None).0, FileKind::Cbs);
    }

    #[test]
    fn gbk_text_is_not_taken_for_utf8() {
        let (bytes, _, _) = encoding_rs::GBK.encode("2022-10-12 11:10:00, Info                  CBS    会话已完成，组件存储已损坏，需要修复。请稍后重试安装更新程序包。\r\n");
        let (encoding, evidence) = detect_encoding(&bytes);
        assert_eq!(encoding, TextEncoding::Legacy(encoding_rs::GBK));
        assert_eq!(evidence, EncodingEvidence::StatisticalGuess);
    }

    #[test]
    fn component_column_of_every_prefixed_shape() {
        let cases = [
            ("2019-07-29 22:34:35, Info                  CBS    Loaded Servicing Stack", Some(("CBS", 43))),
            ("2017-03-10 10:24:32, Error      [0x018003] CSI    00000c71 (F) Failed", Some(("CSI", 43))),
            ("2021-05-01 10:00:00, Info                  DISM   API: PID=1", Some(("DISM", 43))),
            ("2023-01-02 03:04:05,Info MOUPG x", Some(("MOUPG", 25))),
            (
                "2023-01-02 03:04:05, Info                                      [windeploy.exe] x",
                Some(("[windeploy.exe]", 63)),
            ),
            ("2023-01-02 03:04:05, Info                  CBS", None),
            ("2023-01-02 03:04:05 Info                  CBS    x", None),
            ("2023-01-02T03:04:05, Info                  CBS    x", None),
            ("短", None),
        ];
        for (line, want) in cases {
            assert_eq!(prefixed_component(line), want, "{line}");
        }
    }

    #[test]
    fn renamed_cbs_log_is_still_a_cbs_log() {
        let text = b"2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505\r\n";
        assert_eq!(detect_kind(text, "log1.txt", None).0, FileKind::Cbs);
    }
}
