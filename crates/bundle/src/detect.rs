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

/// Recognises what evidence a text file holds. The sources that read evidence know their files; the bundle
/// only knows containers, binary signatures and encodings, and asks a recogniser about text (patchdx-formats'
/// registry is the one patchdx uses).
pub trait Recognise: Sync + std::fmt::Debug {
    /// The kind of a text file, from its decoded first bytes and its lower-case file name.
    fn recognise_text(&self, text: &str, lower_name: &str) -> FileKind;
    /// The kind a file name alone implies, for files whose content says nothing (empty files).
    fn recognise_name(&self, lower_name: &str) -> Option<FileKind>;
}

/// Recognises a file from its first bytes and its name, also saying how the encoding was decided (`forced`
/// counts as the user's override). The encoding is detected once: it is the costliest part of recognising a
/// text file. Without a recogniser, text files are `UnknownText`.
pub fn detect_kind_and_evidence(
    sample: &[u8],
    file_name: &str,
    forced: Option<TextEncoding>,
    recogniser: Option<&dyn Recognise>,
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
    let kind = recogniser.map_or(FileKind::UnknownText, |r| r.recognise_text(&text, &lower_name));
    (kind, Some(encoding), Some(evidence))
}

fn looks_binary(sample: &[u8]) -> bool {
    let head = &sample[..sample.len().min(4096)];
    let controls = head.iter().filter(|&&b| b < 0x09 || (0x0E..0x1A).contains(&b)).count();
    controls * 20 > head.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16le_without_bom_is_recognised_by_zero_bytes() {
        let text = "2022-10-12 11:10:00, Info                  CBS    TI: --- Initializing Trusted Installer ---\r\n";
        let bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(detect_encoding(&bytes).0, TextEncoding::Utf16Le { bom: false });
    }

    #[test]
    fn gbk_text_is_not_taken_for_utf8() {
        let (bytes, _, _) = encoding_rs::GBK.encode("2022-10-12 11:10:00, Info                  CBS    会话已完成，组件存储已损坏，需要修复。请稍后重试安装更新程序包。\r\n");
        let (encoding, evidence) = detect_encoding(&bytes);
        assert_eq!(encoding, TextEncoding::Legacy(encoding_rs::GBK));
        assert_eq!(evidence, EncodingEvidence::StatisticalGuess);
    }
}
