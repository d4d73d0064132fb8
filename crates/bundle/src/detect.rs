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
    /// The Delta Patch Expander's own setupact.log/setuperr.log (`C:\Windows\Logs\DPX`): CBS's line shape,
    /// written by DPX alone while express and UUP payloads are expanded; neither CBS history nor a Panther log.
    DpxLog,
    CmTrace,
    /// SetupAPI's device-install log (setupapi.dev.log, setupapi.upgrade.log).
    SetupApiLog,
    /// Windows Setup's compatibility results: `CompatData_*.xml`, `ScanResult.xml`, Panther's `appcompat.xml`.
    SetupCompatReport,
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
            FileKind::DpxLog => "Delta Patch Expander (DPX) log",
            FileKind::CmTrace => "ConfigMgr (CMTrace) log",
            FileKind::SetupApiLog => "SetupAPI device install log",
            FileKind::SetupCompatReport => "Windows Setup compatibility report",
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
    // between the East Asian double-byte code pages. Chinese systems are the ones we meet: when the guess is
    // East Asian, the choice is GBK or Big5, from what each reading of the bytes yields (`--encoding`
    // overrides for Korean or Japanese systems).
    if EAST_ASIAN.contains(&guess)
        && let Some(chinese) = chinese_code_page(sample)
    {
        guess = chinese;
    }
    let encoding =
        if guess == encoding_rs::UTF_8 { TextEncoding::Utf8 { bom: false } } else { TextEncoding::Legacy(guess) };
    (encoding, EncodingEvidence::StatisticalGuess)
}

/// The East Asian double-byte code pages a statistical guess may name for Chinese text.
const EAST_ASIAN: [&Encoding; 5] =
    [encoding_rs::GBK, encoding_rs::BIG5, encoding_rs::EUC_KR, encoding_rs::SHIFT_JIS, encoding_rs::EUC_JP];

/// GBK (Simplified Chinese Windows, code page 936) or Big5 (Traditional Chinese Windows, code page 950) for a
/// sample of East Asian double-byte text; `None` when it is neither.
///
/// Most byte pairs decode in both, so validity alone settles little: Big5 text is nearly always valid GBK, and
/// GBK's everyday characters are valid Big5. What settles it is what each reading yields: the characters of
/// its everyday range (GB2312's characters and punctuation; Big5's punctuation and frequent characters), the
/// characters nobody writes in it (GBK's private-use rows, kana and Cyrillic; Big5's extension rows), and words
/// that Windows and its users write (系统/系統, 下载/下載, 损坏/損毀, …; GBK also writes Traditional characters,
/// a zh-CN system with a folder named in them, so its reading may yield words of either script). A misread
/// sample yields a scatter of rare characters and private-use code points and no words; Big5 must win outright,
/// a tie is GBK's (the systems we meet are mostly Simplified Chinese).
fn chinese_code_page(sample: &[u8]) -> Option<&'static Encoding> {
    let gbk = Reading::of(sample, encoding_rs::GBK, gbk_pair, &[SHARED_WORDS, SIMPLIFIED_WORDS, TRADITIONAL_WORDS]);
    let big5 = Reading::of(sample, encoding_rs::BIG5, big5_pair, &[SHARED_WORDS, TRADITIONAL_WORDS]);
    match (gbk, big5) {
        (Some(gbk), Some(big5)) if big5.score() > gbk.score() => Some(encoding_rs::BIG5),
        (Some(_), _) => Some(encoding_rs::GBK),
        (None, Some(_)) => Some(encoding_rs::BIG5),
        (None, None) => None,
    }
}

/// How a byte pair reads in a double-byte code page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pair {
    /// A character of the code page's everyday range.
    Everyday,
    /// A valid but uncommon character (extension characters, symbols).
    Rare,
    /// A character no Chinese text writes in this code page (private use, kana, Cyrillic, extension rows).
    Foreign,
}

/// A GBK byte pair: GB2312's characters (rows 0xB0–0xF7) and its punctuation rows (0xA1, 0xA3) are everyday;
/// kana, Greek and Cyrillic (0xA4–0xA7) and the user-defined rows (0xAA–0xAF, 0xF8–0xFE, and 0xA1–0xA7 with a
/// low trail byte; private use when decoded) are foreign; GBK's extension characters and other symbols are rare.
fn gbk_pair(lead: u8, trail: u8) -> Pair {
    let high = trail >= 0xA1;
    match lead {
        0xB0..=0xF7 | 0xA1 | 0xA3 if high => Pair::Everyday,
        0xA4..=0xA7 | 0xAA..=0xAF | 0xF8..=0xFE if high => Pair::Foreign,
        0xA1..=0xA7 if !high => Pair::Foreign,
        _ => Pair::Rare,
    }
}

/// A Big5 byte pair: the common punctuation (0xA140–0xA17E: ，、。：（）「」…) and the frequent characters
/// (0xA440–0xC67E) are everyday; the other symbols (0xA1A1–0xA3BF) and the less frequent characters
/// (0xC940–0xF9D5) are rare; the HKSCS rows (leads below 0xA1) and the ETEN extension rows (0xC6A1–0xC8FE,
/// 0xF9D6 on: kana, Cyrillic, box drawing) are foreign.
fn big5_pair(lead: u8, trail: u8) -> Pair {
    let pointer = u16::from_be_bytes([lead, trail]);
    match pointer {
        0xA140..=0xA17E | 0xA440..=0xC67E => Pair::Everyday,
        0xA1A1..=0xA3BF | 0xC940..=0xF9D5 => Pair::Rare,
        _ => Pair::Foreign,
    }
}

/// Words Windows, its logs and its users write (console output, messages, folder names), written the same in
/// both scripts; blank-separated.
const SHARED_WORDS: &str =
    "桌面 文件 更新 完成 成功 完整性 映像 需要 我的 部署 管理 版本 正在 程序 找到 找不到 操作 新建 新增";

/// The same kind of words in Simplified Chinese.
const SIMPLIFIED_WORDS: &str = "系统 用户 下载 文档 安装 错误 失败 修复 扫描 验证 资源保护 损坏 组件 存储 服务 设置 \
     计算机 网络 请稍后 重试 重新启动 无法 开始 阶段 详细 会话 处理 执行 时间 补丁 备份 软件";

/// The same kind of words in Traditional Chinese, as Windows writes them in Taiwan and Hong Kong.
const TRADITIONAL_WORDS: &str = "系統 檔案 資料 使用者 下載 安裝 錯誤 失敗 修復 掃描 驗證 資源保護 損毀 元件 存放區 程式 \
     服務 作業 設定 電腦 網路 請稍後 重試 重新啟動 無法 開始 階段 詳細 工作階段 處理 執行 時間 \
     補丁 備份 軟體";

/// What one code page makes of a sample.
#[derive(Debug, Clone, Copy, Default)]
struct Reading {
    everyday: usize,
    foreign: usize,
    /// Characters of the reading that are part of the words it may yield.
    in_words: usize,
}

impl Reading {
    /// Reads `sample` in `encoding`; `None` when it is not valid there (a character cut off by the end of the
    /// sample does not count).
    fn of(sample: &[u8], encoding: &'static Encoding, pair: fn(u8, u8) -> Pair, words: &[&str]) -> Option<Reading> {
        let mut decoder = encoding.new_decoder_without_bom_handling();
        let mut text = String::with_capacity(decoder.max_utf8_buffer_length_without_replacement(sample.len())?);
        let (result, _) = decoder.decode_to_string_without_replacement(sample, &mut text, false);
        if result != encoding_rs::DecoderResult::InputEmpty {
            return None;
        }
        let mut reading = Reading::default();
        let mut at = 0;
        while at + 1 < sample.len() {
            let lead = sample[at];
            if lead < 0x81 || lead == 0xFF {
                at += 1;
                continue;
            }
            let trail = sample[at + 1];
            // GB18030's four-byte form (a digit after the lead; never valid Big5) is nothing Chinese systems write
            // in logs.
            let four_bytes = trail.is_ascii_digit();
            match if four_bytes { Pair::Foreign } else { pair(lead, trail) } {
                Pair::Everyday => reading.everyday += 1,
                Pair::Rare => {}
                Pair::Foreign => reading.foreign += 1,
            }
            at += if four_bytes { 4 } else { 2 };
        }
        reading.in_words = words
            .iter()
            .flat_map(|list| list.split_whitespace())
            .map(|word| text.matches(word).count() * word.chars().count())
            .sum();
        Some(reading)
    }

    fn score(self) -> isize {
        let score = self.everyday + 2 * self.in_words;
        score as isize - self.foreign as isize
    }
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

    /// `sfc /scannow` on a Traditional-Chinese Windows (code page 950), saved from the console.
    const SFC_ZH_TW: &str = "\r\n開始系統掃描。此處理程序將需要一些時間。\r\n\r\n開始系統掃描的驗證階段。\r\n驗證 100% 已完成。\r\n\r\n\
        Windows 資源保護找到損毀的檔案，並成功修復這些檔案。\r\n詳細資料包含在 CBS.Log windir\\Logs\\CBS\\CBS.log 中。\
        例如 C:\\Windows\\Logs\\CBS\\CBS.log。請注意，在離線服務情況下目前不支援記錄。\r\n";

    /// The same on a Simplified-Chinese Windows (code page 936).
    const SFC_ZH_CN: &str = "\r\n开始系统扫描。此过程将需要一些时间。\r\n\r\n开始系统扫描的验证阶段。\r\n验证 100% 已完成。\r\n\r\n\
        Windows 资源保护找到了损坏文件并成功修复了它们。\r\n对于联机修复，位于 windir\\Logs\\CBS\\CBS.log 的 CBS 日志文件中\
        有详细信息。例如 C:\\Windows\\Logs\\CBS\\CBS.log。\r\n";

    /// CBS lines whose only Chinese is a user's download folder.
    fn cbs_path_line(path: &str) -> String {
        format!(
            "2023-03-14 09:41:07, Info                  CBS    Exec: Processing package from {path}\\windows10.0-kb5023696-x64.msu\r\n\
             2023-03-14 09:41:09, Error                 CBS    Failed to open package: {path}\\windows10.0-kb5023696-x64.msu [HRESULT = 0x80070002 - ERROR_FILE_NOT_FOUND]\r\n"
        )
    }

    fn encoded(text: &str, encoding: &'static Encoding) -> Vec<u8> {
        let (bytes, used, unmappable) = encoding.encode(text);
        assert_eq!(used, encoding);
        assert!(!unmappable, "{text:?} is representable in {}", encoding.name());
        bytes.into_owned()
    }

    #[track_caller]
    fn assert_detected(bytes: &[u8], want: &'static Encoding) {
        let (encoding, evidence) = detect_encoding(bytes);
        assert_eq!(encoding, TextEncoding::Legacy(want), "{}", want.decode(bytes).0);
        assert_eq!(evidence, EncodingEvidence::StatisticalGuess);
    }

    #[test]
    fn traditional_chinese_sfc_output_is_big5_and_simplified_is_gbk() {
        assert_detected(&encoded(SFC_ZH_TW, encoding_rs::BIG5), encoding_rs::BIG5);
        assert_detected(&encoded(SFC_ZH_CN, encoding_rs::GBK), encoding_rs::GBK);
    }

    #[test]
    fn one_short_console_line_is_enough() {
        assert_detected(&encoded("驗證 100% 已完成。\r\n", encoding_rs::BIG5), encoding_rs::BIG5);
        assert_detected(&encoded("验证 100% 已完成。\r\n", encoding_rs::GBK), encoding_rs::GBK);
        assert_detected(&encoded("Windows 資源保護找不到任何完整性違規。\r\n", encoding_rs::BIG5), encoding_rs::BIG5);
        assert_detected(&encoded("Windows 资源保护未找到任何完整性冲突。\r\n", encoding_rs::GBK), encoding_rs::GBK);
    }

    #[test]
    fn cbs_lines_with_a_chinese_user_folder_are_read_in_their_code_page() {
        let tw = cbs_path_line("C:\\Users\\陳大文\\下載");
        let cn = cbs_path_line("C:\\Users\\王小明\\下载");
        assert_detected(&encoded(&tw, encoding_rs::BIG5), encoding_rs::BIG5);
        assert_detected(&encoded(&cn, encoding_rs::GBK), encoding_rs::GBK);
        // Big5 bytes are valid GBK, but read as GBK the folder is 朝, a private-use character, ゅ, … .
        let gbk_reading = encoding_rs::GBK.decode(&encoded(&tw, encoding_rs::BIG5)).0.into_owned();
        assert!(gbk_reading.contains("\\Users\\朝\u{e610}ゅ\\"), "{gbk_reading}");
    }

    #[test]
    fn a_chinese_cbs_message_is_read_in_its_code_page() {
        let line = |message: &str| format!("2022-10-12 11:10:09, Info                  CBS    Exec: {message}\r\n");
        let tw = line("工作階段已完成，元件存放區已損毀，需要修復。請稍後重試安裝更新套件。");
        assert_detected(&encoded(&tw, encoding_rs::BIG5), encoding_rs::BIG5);
        let cn = line("会话已完成，组件存储已损坏，需要修复。请稍后重试安装更新程序包。");
        assert_detected(&encoded(&cn, encoding_rs::GBK), encoding_rs::GBK);
        // A zh-CN system writes Traditional characters in GBK too.
        assert_detected(&encoded(&tw, encoding_rs::GBK), encoding_rs::GBK);
    }

    #[test]
    fn a_sample_cut_inside_a_character_keeps_its_code_page() {
        for (text, encoding) in [(SFC_ZH_TW, encoding_rs::BIG5), (SFC_ZH_CN, encoding_rs::GBK)] {
            let bytes = encoded(&text.repeat(200), encoding);
            // End the sample after the lead byte of a double-byte character.
            let mut at = 1000;
            while bytes[at] < 0x81 {
                at += 1;
            }
            let cut = at + 1;
            assert!(encoding.decode_without_bom_handling_and_without_replacement(&bytes[..cut]).is_none());
            assert_detected(&bytes[..cut], encoding);
        }
    }
}
