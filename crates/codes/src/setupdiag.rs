//! SetupDiag / Windows Setup result codes: `0xC1900101 - 0x4000D` is a result code plus an extend code whose
//! first hex digit is the phase and whose low digits are the operation (Microsoft's "Upgrade error codes" page).

use crate::parse_hex;
use std::sync::OnceLock;

/// Parses `0x8007000D-0x2000C`, `0xC1900101 - 0x4000D` or `8007000D-2000C` into (result code, extend code).
pub fn parse_setupdiag(text: &str) -> Option<(u32, u32)> {
    let (left, right) = text.trim().split_once('-')?;
    let digits = |s: &'_ str| {
        let s = s.trim();
        let d = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s);
        (!d.is_empty() && d.chars().all(|c| c.is_ascii_hexdigit())).then_some(d.len())
    };
    // The result code is a full 8-digit failure HRESULT/NTSTATUS; the extend code is at most 5 hex digits
    // (phase 0-5 plus a 16-bit operation). This keeps dates such as 2024-05-01 from matching.
    if digits(left)? != 8 || digits(right)? > 5 {
        return None;
    }
    let hex = |s: &str| {
        let s = s.trim();
        parse_hex(s).or_else(|| u32::from_str_radix(s, 16).ok())
    };
    let error = hex(left)?;
    let extended = hex(right)?;
    crate::is_failure(error).then_some((error, extended))
}

/// The table of setup phases and operations, as data.
const EXTENDED: &str = include_str!("../data/setup-extended.tsv");

/// One phase or operation of Windows Setup's extend codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupStep {
    pub value: u32,
    /// `SP_EXECUTION_FIRST_BOOT`, `SP_EXECUTION_OP_SYSPREP`.
    pub symbol: &'static str,
    pub en: &'static str,
    pub zh_cn: &'static str,
}

/// The documented phases and operations, each in value order (a malformed data line is skipped; a test
/// checks the file has none).
pub fn setup_steps() -> &'static (Vec<SetupStep>, Vec<SetupStep>) {
    static TABLE: OnceLock<(Vec<SetupStep>, Vec<SetupStep>)> = OnceLock::new();
    TABLE.get_or_init(|| {
        let (mut phases, mut operations) = (Vec::new(), Vec::new());
        for line in EXTENDED.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let f: Vec<&'static str> = line.split('\t').collect();
            let (Some(kind), Some(value), Some(symbol), Some(en), Some(zh_cn)) =
                (f.first(), f.get(1).and_then(|v| parse_hex(v)), f.get(2), f.get(3), f.get(4))
            else {
                continue;
            };
            let step = SetupStep { value, symbol, en, zh_cn };
            match *kind {
                "phase" => phases.push(step),
                "operation" => operations.push(step),
                _ => {}
            }
        }
        (phases, operations)
    })
}

/// The phase and operation of an extend code, when both are documented.
fn steps_of(ext: u32) -> Option<(&'static SetupStep, &'static SetupStep)> {
    let (phases, operations) = setup_steps();
    let phase = phases.iter().find(|p| p.value == ext >> 16)?;
    let operation = operations.iter().find(|o| o.value == ext & 0xFFFF)?;
    Some((phase, operation))
}

/// Describes a Windows Setup extend code (`0x4000D` → "phase 4: second boot / OOBE phase
/// (SP_EXECUTION_OOBE_BOOT); operation 0x0D: migrating data (SP_EXECUTION_OP_MIGRATE_DATA)"). `None` when the
/// phase or operation is outside the documented tables.
pub fn describe_extended(ext: u32) -> Option<&'static str> {
    describe(ext, false)
}

/// [`describe_extended`] in Simplified Chinese.
pub fn describe_extended_zh(ext: u32) -> Option<&'static str> {
    describe(ext, true)
}

fn describe(ext: u32, chinese: bool) -> Option<&'static str> {
    static TEXTS: OnceLock<Vec<(u32, String, String)>> = OnceLock::new();
    let (phase, operation) = steps_of(ext)?;
    let texts = TEXTS.get_or_init(|| {
        let (phases, operations) = setup_steps();
        let mut all = Vec::with_capacity(phases.len() * operations.len());
        for p in phases {
            for o in operations {
                let en = format!(
                    "phase {}: {} ({}); operation 0x{:02X}: {} ({})",
                    p.value, p.en, p.symbol, o.value, o.en, o.symbol
                );
                let zh = format!(
                    "阶段 {}：{}（{}）；操作 0x{:02X}：{}（{}）",
                    p.value, p.zh_cn, p.symbol, o.value, o.zh_cn, o.symbol
                );
                all.push(((p.value << 16) | o.value, en, zh));
            }
        }
        all
    });
    let key = (phase.value << 16) | operation.value;
    texts.iter().find(|(k, _, _)| *k == key).map(|(_, en, zh)| if chinese { zh.as_str() } else { en.as_str() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setupdiag_pairs_parse() {
        assert_eq!(parse_setupdiag("0x8007000D-0x2000C"), Some((0x8007000D, 0x2000C)));
        assert_eq!(parse_setupdiag("0xC1900101 - 0x4000D"), Some((0xC1900101, 0x4000D)));
        assert_eq!(parse_setupdiag("C1900101-40017"), Some((0xC1900101, 0x40017)));
        assert_eq!(parse_setupdiag("2024-05-01"), None);
        assert_eq!(parse_setupdiag("0x80070002-0x123456"), None);
        assert_eq!(parse_setupdiag("banana"), None);
    }

    /// Every entry of the table: well formed, in value order without gaps, a symbol of its kind, both
    /// languages; and each decodes inside an extend code.
    #[test]
    fn every_phase_and_operation_of_the_table_decodes() {
        let data_lines = EXTENDED.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).count();
        let (phases, operations) = setup_steps();
        assert_eq!((phases.len(), operations.len(), data_lines), (6, 33, 39));
        for (i, p) in phases.iter().enumerate() {
            assert_eq!(p.value as usize, i);
            assert!(p.symbol.starts_with("SP_EXECUTION_") && !p.symbol.starts_with("SP_EXECUTION_OP_"), "{p:?}");
            assert!(!p.en.is_empty() && !p.zh_cn.is_empty(), "{p:?}");
        }
        for (i, o) in operations.iter().enumerate() {
            assert_eq!(o.value as usize, i);
            assert!(o.symbol.starts_with("SP_EXECUTION_OP_"), "{o:?}");
            assert!(!o.en.is_empty() && !o.zh_cn.is_empty(), "{o:?}");
            for p in phases {
                let text = describe_extended((p.value << 16) | o.value).expect("documented");
                assert!(text.contains(p.symbol) && text.contains(o.symbol), "{text}");
                let zh = describe_extended_zh((p.value << 16) | o.value).expect("documented");
                assert!(zh.contains(p.zh_cn) && zh.contains(o.zh_cn), "{zh}");
            }
        }
    }

    /// The pairs Microsoft's page and SetupDiag's reports cite.
    #[test]
    fn documented_examples_decode_to_their_phase_and_operation() {
        for (ext, phase, operation) in [
            (0x30018, "SP_EXECUTION_FIRST_BOOT", "SP_EXECUTION_OP_SYSPREP"),
            (0x2000C, "SP_EXECUTION_SAFE_OS", "SP_EXECUTION_OP_APPLY_IMAGE"),
            (0x20017, "SP_EXECUTION_SAFE_OS", "SP_EXECUTION_OP_BOOT"),
            (0x4000D, "SP_EXECUTION_OOBE_BOOT", "SP_EXECUTION_OP_MIGRATE_DATA"),
            (0x40017, "SP_EXECUTION_OOBE_BOOT", "SP_EXECUTION_OP_BOOT"),
            (0x30017, "SP_EXECUTION_FIRST_BOOT", "SP_EXECUTION_OP_BOOT"),
            (0x20007, "SP_EXECUTION_SAFE_OS", "SP_EXECUTION_OP_INSTALL_DRVIERS"),
            (0x10019, "SP_EXECUTION_DOWNLEVEL", "SP_EXECUTION_OP_OOBE"),
        ] {
            let text = describe_extended(ext).expect("documented");
            assert!(text.contains(&format!("({phase});")) && text.ends_with(&format!("({operation})")), "{text}");
        }
    }

    #[test]
    fn extend_codes_describe_phase_and_operation() {
        let text = describe_extended(0x4000D).expect("documented");
        assert!(text.contains("OOBE") && text.contains("migrating data"), "{text}");
        assert!(describe_extended(0x2000C).expect("documented").contains("Safe OS"));
        assert!(describe_extended(0x30018).expect("documented").contains("Sysprep"));
        assert_eq!(describe_extended(0x60001), None);
        assert_eq!(describe_extended(0x10021), None);
    }
}
