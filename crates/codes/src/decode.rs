//! Structural decoding of a 32-bit code that may not be in the table: HRESULT or NTSTATUS layout,
//! severity, customer bit, facility and code.

use serde::Serialize;

/// Severity as encoded in the top bits.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Success,
    Informational,
    Warning,
    Error,
}

/// The fields of a code, for values patchdx does not know by name.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Decoded {
    pub value: u32,
    /// `true` when the value is an NTSTATUS (two severity bits) or the HRESULT_FROM_NT form of one; severity,
    /// facility and code are then those of the NTSTATUS.
    pub ntstatus: bool,
    /// `true` when the value is HRESULT_FROM_NT(status): an NTSTATUS with the N bit (bit 28) set, as CSI and
    /// CBS write them (`0xD0000034` = HRESULT_FROM_NT(STATUS_OBJECT_NAME_NOT_FOUND 0xC0000034)).
    pub hresult_from_nt: bool,
    pub severity: Severity,
    /// The customer ("C") bit: set for codes defined outside Microsoft.
    pub customer: bool,
    pub facility: u16,
    pub facility_name: &'static str,
    pub code: u16,
}

/// The NTSTATUS that an HRESULT_FROM_NT value wraps: `0xD0000034` → `0xC0000034`. Only values whose N bit is
/// set, whose customer bit is clear and whose severity is error, warning or informational (0xD…, 0x9…, 0x5…)
/// are read that way; anything else gives `None`.
pub fn nt_from_hresult(value: u32) -> Option<u32> {
    matches!(value >> 28, 0x5 | 0x9 | 0xD).then_some(value & !0x1000_0000)
}

/// Windows component codes that use the NTSTATUS bit layout (severity 11, N bit clear) with a private facility
/// of their own: they are not NTSTATUS values, and their facility is named after the component.
fn component_facility(value: u32) -> Option<&'static str> {
    if value >> 28 != 0xC {
        return None;
    }
    match (value >> 16) & 0x0FFF {
        // Modern setup (MoSetup / SetupPlatform / the setup Update Agent): 0xC18xxxxx and 0xC19xxxxx.
        0x180..=0x19F => Some("MOSETUP"),
        // DISM's own errors (image session, mount, driver servicing): 0xC142xxxx.
        0x142 => Some("DISM"),
        // DISM's Appx (provisioned app package) provider: 0xC157xxxx.
        0x157 => Some("DISM_APPX"),
        _ => None,
    }
}

/// NTSTATUS values are 0xC…/0x8…/0x4… with the customer bit clear; 0xC… with bit 28 clear is not a valid
/// HRESULT (bit 28 would be the reserved "N" bit), so those are read as NTSTATUS, except the component families
/// that only borrow the layout (see [`component_facility`]).
fn looks_ntstatus(value: u32) -> bool {
    if component_facility(value).is_some() {
        return false;
    }
    let top = value >> 28;
    top == 0xC || (top == 0x4 && value & 0x2000_0000 == 0) || crate::family(value) == Some("ntstatus.tsv")
}

/// Decodes any 32-bit value into severity, customer bit, facility and code.
pub fn decode(value: u32) -> Decoded {
    let inner = nt_from_hresult(value);
    let layout = inner.unwrap_or(value);
    let ntstatus = inner.is_some() || looks_ntstatus(value);
    let severity = if ntstatus {
        match layout >> 30 {
            0 => Severity::Success,
            1 => Severity::Informational,
            2 => Severity::Warning,
            _ => Severity::Error,
        }
    } else if crate::is_failure(value) {
        Severity::Error
    } else {
        Severity::Success
    };
    let facility = if ntstatus { (layout >> 16) & 0x0FFF } else { (value >> 16) & 0x1FFF } as u16;
    Decoded {
        value,
        ntstatus,
        hresult_from_nt: inner.is_some(),
        severity,
        customer: value & 0x2000_0000 != 0,
        facility,
        facility_name: facility_name(value),
        code: (value & 0xFFFF) as u16,
    }
}

/// The facility of a code, named where it matters for servicing. NTSTATUS values (0xC… with bit 28 clear, values
/// listed in the NTSTATUS table) and their HRESULT_FROM_NT forms (0xD…, 0x9…, 0x5…) are reported as "NTSTATUS"
/// since HRESULT facilities do not apply; setup's 0xC18…/0xC19… codes are "MOSETUP", DISM's 0xC142… "DISM" and
/// its Appx provider's 0xC157… "DISM_APPX".
pub fn facility_name(value: u32) -> &'static str {
    // SetupAPI's own errors (APPLICATION_ERROR_MASK | ERROR_SEVERITY_ERROR | n), as setupapi and Panther logs
    // write them before they become HRESULTs of FACILITY_SETUPAPI.
    if value & 0xFFFF_0000 == 0xE000_0000 {
        return "SETUPAPI";
    }
    if let Some(name) = component_facility(value) {
        return name;
    }
    if nt_from_hresult(value).is_some()
        || (value & 0xC000_0000 == 0xC000_0000 && value & 0x1000_0000 == 0)
        || crate::family(value) == Some("ntstatus.tsv")
    {
        return "NTSTATUS";
    }
    match (value >> 16) & 0x1FFF {
        0 => "NULL",
        1 => "RPC",
        2 => "DISPATCH",
        3 => "STORAGE",
        4 => "ITF",
        7 => "WIN32",
        8 => "WINDOWS",
        9 => "SECURITY",
        10 => "CONTROL",
        11 => "CERT",
        12 => "INTERNET",
        15 => "SETUPAPI",
        16 => "SCARD",
        17 => "COMPLUS",
        19 => "URT",
        23 => "SXS",
        25 => "HTTP",
        32 => "BACKGROUNDCOPY",
        33 => "CONFIGURATION",
        36 => "WINDOWSUPDATE",
        37 => "DIRECTORYSERVICE",
        40 => "TPM_SERVICES",
        41 => "TPM_SOFTWARE",
        49 => "FVE",
        208 => "DELIVERY_OPTIMIZATION",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_hresult_decodes() {
        let d = decode(0x8024_FFFE);
        assert!(!d.ntstatus);
        assert_eq!(d.severity, Severity::Error);
        assert!(!d.customer);
        assert_eq!((d.facility, d.facility_name, d.code), (36, "WINDOWSUPDATE", 0xFFFE));
    }

    #[test]
    fn ntstatus_is_honest() {
        let d = decode(0xC015_0004);
        assert!(d.ntstatus);
        assert_eq!(d.facility_name, "NTSTATUS");
        assert_eq!(d.facility, 0x015);
        assert_eq!(facility_name(0xC190_0101), "MOSETUP");
        assert!(!decode(0xC190_0101).ntstatus);
        assert_eq!(facility_name(0x800F_0831), "SETUPAPI");
        assert_eq!(facility_name(0x8007_0005), "WIN32");
        assert_eq!(decode(0x4015_000D).severity, Severity::Informational);
    }

    #[test]
    fn setupapi_raw_errors_and_dotnet_hresults_name_their_facility() {
        assert_eq!(facility_name(0xE000_0102), "SETUPAPI");
        assert_eq!(facility_name(0x8013_1502), "URT");
    }
}
