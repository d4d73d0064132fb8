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

const PHASES: [&str; 6] = [
    "unknown phase (SP_EXECUTION_UNKNOWN)",
    "downlevel phase, running in the old OS (SP_EXECUTION_DOWNLEVEL)",
    "Safe OS phase (SP_EXECUTION_SAFE_OS)",
    "first boot phase (SP_EXECUTION_FIRST_BOOT)",
    "second boot / OOBE phase (SP_EXECUTION_OOBE_BOOT)",
    "uninstall / rollback phase (SP_EXECUTION_UNINSTALL)",
];

const OPERATIONS: [&str; 33] = [
    "unknown operation (SP_EXECUTION_OP_UNKNOWN)",
    "copying the payload (SP_EXECUTION_OP_COPY_PAYLOAD)",
    "downloading updates (SP_EXECUTION_OP_DOWNLOAD_UPDATES)",
    "installing updates (SP_EXECUTION_OP_INSTALL_UPDATES)",
    "installing the recovery environment (SP_EXECUTION_OP_INSTALL_RECOVERY_ENVIRONMENT)",
    "installing the recovery image (SP_EXECUTION_OP_INSTALL_RECOVERY_IMAGE)",
    "replicating optional components (SP_EXECUTION_OP_REPLICATE_OC)",
    "installing drivers (SP_EXECUTION_OP_INSTALL_DRVIERS)",
    "preparing the Safe OS (SP_EXECUTION_OP_PREPARE_SAFE_OS)",
    "preparing rollback (SP_EXECUTION_OP_PREPARE_ROLLBACK)",
    "preparing the first boot (SP_EXECUTION_OP_PREPARE_FIRST_BOOT)",
    "preparing the OOBE boot (SP_EXECUTION_OP_PREPARE_OOBE_BOOT)",
    "applying the image (SP_EXECUTION_OP_APPLY_IMAGE)",
    "migrating data (SP_EXECUTION_OP_MIGRATE_DATA)",
    "setting the product key (SP_EXECUTION_OP_SET_PRODUCT_KEY)",
    "adding the unattend file (SP_EXECUTION_OP_ADD_UNATTEND)",
    "adding a driver (SP_EXECUTION_OP_ADD_DRIVER)",
    "enabling a feature (SP_EXECUTION_OP_ENABLE_FEATURE)",
    "disabling a feature (SP_EXECUTION_OP_DISABLE_FEATURE)",
    "registering an asynchronous process (SP_EXECUTION_OP_REGISTER_ASYNC_PROCESS)",
    "registering a synchronous process (SP_EXECUTION_OP_REGISTER_SYNC_PROCESS)",
    "creating a file (SP_EXECUTION_OP_CREATE_FILE)",
    "creating registry entries (SP_EXECUTION_OP_CREATE_REGISTRY)",
    "booting (SP_EXECUTION_OP_BOOT)",
    "running Sysprep (SP_EXECUTION_OP_SYSPREP)",
    "running OOBE (SP_EXECUTION_OP_OOBE)",
    "beginning the first boot (SP_EXECUTION_OP_BEGIN_FIRST_BOOT)",
    "ending the first boot (SP_EXECUTION_OP_END_FIRST_BOOT)",
    "beginning the OOBE boot (SP_EXECUTION_OP_BEGIN_OOBE_BOOT)",
    "ending the OOBE boot (SP_EXECUTION_OP_END_OOBE_BOOT)",
    "before OOBE (SP_EXECUTION_OP_PRE_OOBE)",
    "after OOBE (SP_EXECUTION_OP_POST_OOBE)",
    "adding a provisioning package (SP_EXECUTION_OP_ADD_PROVISIONING_PACKAGE)",
];

/// Describes a Windows Setup extend code (`0x4000D` → "second boot / OOBE phase …: migrating data …").
/// `None` when the phase or operation is outside the documented tables.
pub fn describe_extended(ext: u32) -> Option<&'static str> {
    static TEXTS: OnceLock<Vec<String>> = OnceLock::new();
    let phase = (ext >> 16) as usize;
    let operation = (ext & 0xFFFF) as usize;
    if phase >= PHASES.len() || operation >= OPERATIONS.len() {
        return None;
    }
    let texts = TEXTS.get_or_init(|| {
        let mut all = Vec::with_capacity(PHASES.len() * OPERATIONS.len());
        for (p, phase) in PHASES.iter().enumerate() {
            for (o, op) in OPERATIONS.iter().enumerate() {
                all.push(format!("phase {p}: {phase}; operation 0x{o:02X}: {op}"));
            }
        }
        all
    });
    texts.get(phase * OPERATIONS.len() + operation).map(String::as_str)
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
