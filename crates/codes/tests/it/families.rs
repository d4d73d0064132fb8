//! Families added for issue 13 ("Codes"): each decodes with the right facility (setup, DISM and Appx provider
//! codes are not NTSTATUS; HRESULT_FROM_NT values are the NTSTATUS they wrap), has exactly the entries it should,
//! and keeps to its own data file.

use patchdx_codes::{Severity, all, decode, facility_name, family, lookup, lookup_name, nt_from_hresult};

fn name(value: u32) -> &'static str {
    lookup(value).unwrap_or_else(|| panic!("0x{value:08X} should be known")).name
}

#[test]
fn setup_platform_codes_are_mosetup_not_ntstatus() {
    for value in [0xC190_0101, 0xC190_0208, 0xC190_0223, 0xC180_0104, 0xC180_0118, 0xC190_040F] {
        assert_eq!(facility_name(value), "MOSETUP", "0x{value:08X}");
        let d = decode(value);
        assert!(!d.ntstatus && !d.hresult_from_nt, "0x{value:08X}");
        assert_eq!(d.severity, Severity::Error);
    }
    let d = decode(0xC190_0101);
    assert_eq!((d.facility, d.code), (0x190, 0x0101));
    assert_eq!(decode(0xC180_0104).facility, 0x180);
    assert_eq!(name(0xC190_0101), "MOSETUP_E_SETUP_PLATFORM");
    assert_eq!(family(0xC190_0101), Some("mosetup.tsv"));
    // Published by Microsoft with a meaning but no symbolic name.
    assert_eq!(name(0xC180_0118), "(no public symbol)");
    assert!(lookup(0xC180_0118).is_some_and(|c| c.en.contains("WSUS") && c.zh_cn.contains("解密密钥")));
    assert_eq!(name(0xC190_0223), "(no public symbol)");
    // Seen in logs, documented nowhere public: structure only.
    assert!(lookup(0xC180_0104).is_none() && lookup(0xC190_040F).is_none());
}

#[test]
fn dism_and_appx_provider_codes_name_their_component() {
    let appx = decode(0xC157_0118);
    assert_eq!(appx.facility_name, "DISM_APPX");
    assert!(!appx.ntstatus && !appx.hresult_from_nt);
    assert_eq!((appx.facility, appx.code, appx.severity), (0x157, 0x0118, Severity::Error));
    // DISM names no symbol for it; its own log line says what it means.
    assert_eq!(name(0xC157_0118), "(no public symbol)");
    assert_eq!(family(0xC157_0118), Some("dism.tsv"));
    assert!(
        lookup(0xC157_0118).is_some_and(|c| c.en.contains("equal or higher version") && c.zh_cn.contains("更高版本"))
    );
    let dism = decode(0xC142_011C);
    assert_eq!((dism.facility_name, dism.facility, dism.ntstatus), ("DISM", 0x142, false));
    assert!(lookup(0xC142_011C).is_none());
    // Their neighbours that are real NTSTATUS facilities stay NTSTATUS.
    assert_eq!(facility_name(0xC015_0004), "NTSTATUS");
    assert_eq!(facility_name(0xC01A_001D), "NTSTATUS");
    assert_eq!(facility_name(0x8013_1040), "URT");
}

#[test]
fn hresult_from_nt_decodes_to_the_wrapped_ntstatus() {
    assert_eq!(nt_from_hresult(0xD000_0034), Some(0xC000_0034));
    assert_eq!(nt_from_hresult(0x9019_0009), Some(0x8019_0009));
    assert_eq!(nt_from_hresult(0xC000_0034), None);
    assert_eq!(nt_from_hresult(0x8007_0005), None);
    assert_eq!(nt_from_hresult(0xFF83_D799), None, "customer bit set: not read as HRESULT_FROM_NT");

    let status = lookup(0xC000_0034).expect("STATUS_OBJECT_NAME_NOT_FOUND");
    let info = lookup(0xD000_0034).expect("HRESULT_FROM_NT(STATUS_OBJECT_NAME_NOT_FOUND)");
    assert_eq!(info.value, 0xD000_0034);
    assert_eq!(info.name, "HRESULT_FROM_NT(STATUS_OBJECT_NAME_NOT_FOUND)");
    assert!(info.en.starts_with(status.en.trim_end_matches('.')), "{}", info.en);
    assert!(info.en.contains("HRESULT form of NTSTATUS 0xC0000034"), "{}", info.en);
    assert!(info.zh_cn.starts_with(status.zh_cn.trim_end_matches('。')), "{}", info.zh_cn);
    assert!(info.zh_cn.contains("NTSTATUS 0xC0000034 的 HRESULT 形式"), "{}", info.zh_cn);
    assert_eq!(facility_name(0xD000_0034), "NTSTATUS");
    assert_eq!(family(0xD000_0034), Some("ntstatus.tsv"));
    let d = decode(0xD000_0034);
    assert!(d.ntstatus && d.hresult_from_nt && !d.customer);
    assert_eq!((d.severity, d.facility, d.code), (Severity::Error, 0, 0x34));
    assert_eq!(lookup_name("HRESULT_FROM_NT(STATUS_OBJECT_NAME_NOT_FOUND)").map(|c| c.value), Some(0xD000_0034));
    // The derived forms are not table entries: counts and the sorted table are unchanged by them.
    assert!(all().iter().all(|c| c.value & 0x1000_0000 == 0 || c.value >> 28 == 0xF));

    // A transaction status in its HRESULT form.
    assert_eq!(name(0xD019_0013), "HRESULT_FROM_NT(STATUS_TRANSACTION_REQUEST_NOT_VALID)");
    assert_eq!(decode(0xD019_0013).facility, 0x19);
    // An unknown one is decoded, and still unknown.
    assert!(lookup(0xD0AB_0001).is_none());
    let unknown = decode(0xD0AB_0001);
    assert!(unknown.ntstatus && unknown.hresult_from_nt);
    assert_eq!((unknown.facility, unknown.facility_name, unknown.code), (0x0AB, "NTSTATUS", 1));
    // Garbage hex stays unknown and is not dressed up as NTSTATUS.
    assert!(lookup(0xFF83_D799).is_none());
    assert!(!decode(0xFF83_D799).ntstatus);
}

#[test]
fn transaction_and_log_codes_win32_and_ntstatus() {
    for (value, symbol) in [
        (0x8007_1A2E, "ERROR_TRANSACTION_REQUEST_NOT_VALID"),
        (0x8007_1A90, "ERROR_TRANSACTIONAL_CONFLICT"),
        (0x8007_1A91, "ERROR_RM_NOT_ACTIVE"),
        (0x8007_19E4, "ERROR_LOG_FULL"),
        (0x8007_19C8, "ERROR_LOG_SECTOR_INVALID"),
        (0x8007_1AC7, "ERROR_TRANSACTION_NOT_ENLISTED"),
    ] {
        assert_eq!(name(value), symbol);
        assert_eq!(family(value), Some("ktm_clfs.tsv"));
        assert_eq!(facility_name(value), "WIN32");
    }
    for (value, symbol) in [
        (0xC019_0013, "STATUS_TRANSACTION_REQUEST_NOT_VALID"),
        (0xC019_0001, "STATUS_TRANSACTIONAL_CONFLICT"),
        (0xC019_0005, "STATUS_RM_NOT_ACTIVE"),
        (0xC01A_001D, "STATUS_LOG_FULL"),
        (0x4019_0001, "STATUS_HEURISTIC_DAMAGE_POSSIBLE"),
        (0x401A_000C, "STATUS_LOG_NO_RESTART"),
    ] {
        assert_eq!(name(value), symbol);
        assert_eq!(family(value), Some("ntstatus.tsv"));
        assert_eq!(facility_name(value), "NTSTATUS");
        assert!(decode(value).ntstatus);
    }
    assert_eq!(decode(0x4019_0001).severity, Severity::Informational);
    // Win32 and NTSTATUS forms of one condition say the same thing.
    assert_eq!(lookup(0x8007_1A2E).map(|c| c.en), lookup(0xC019_0013).map(|c| c.en));
}

#[test]
fn appx_bits_and_wu_additions() {
    assert_eq!(name(0x8007_3CF9), "ERROR_INSTALL_FAILED");
    assert_eq!(name(0x8007_3D02), "ERROR_PACKAGES_IN_USE");
    assert_eq!(name(0x8007_3D1B), "ERROR_PACKAGES_REPUTATION_CHECK_FAILED");
    assert_eq!(name(0x8007_3D54), "APPMODEL_ERROR_NO_PACKAGE");
    assert_eq!(name(0x8007_3DE1), "ERROR_API_UNAVAILABLE");
    assert_eq!(family(0x8007_3D02), Some("appx.tsv"));
    assert_eq!(name(0x8020_0054), "BG_E_MAXDOWNLOAD_TIMEOUT");
    assert_eq!(facility_name(0x8020_0054), "BACKGROUNDCOPY");
    assert_eq!(name(0x8024_502D), "WU_E_PT_SAME_REDIR_ID");
}

fn count(file: &str, pred: impl Fn(u32) -> bool) -> usize {
    all().iter().filter(|c| family(c.value) == Some(file) && pred(c.value)).count()
}

#[test]
fn counts_per_family() {
    let exact = [
        ("win32.tsv", 454),
        ("ktm_clfs.tsv", 135),
        ("appx.tsv", 101),
        ("cbs.tsv", 136),
        ("setupapi.tsv", 89),
        ("wu.tsv", 465),
        ("mosetup.tsv", 73),
        ("ntstatus.tsv", 204),
        ("bits_do.tsv", 197),
        ("com_rpc.tsv", 266),
        ("dotnet.tsv", 8),
        ("dism.tsv", 3),
    ];
    for (file, n) in exact {
        assert_eq!(count(file, |_| true), n, "{file}");
    }
    assert_eq!(all().len(), exact.iter().map(|(_, n)| n).sum::<usize>());
    // Sub-families.
    assert_eq!(count("ktm_clfs.tsv", |v| (0x8007_19C8..=0x8007_19F8).contains(&v)), 49, "CLFS ERROR_LOG_*");
    assert_eq!(count("ktm_clfs.tsv", |v| (0x8007_1A2C..=0x8007_1AC7).contains(&v)), 86, "KTM / TxF");
    assert_eq!(count("ntstatus.tsv", |v| v >> 16 == 0xC019), 74, "STATUS_TRANSACTION_* and TxF");
    assert_eq!(count("ntstatus.tsv", |v| v >> 16 == 0xC01A), 47, "STATUS_LOG_*");
    assert_eq!(count("appx.tsv", |v| v >> 8 == 0x0080_073D), 85, "0x80073Dxx");
    assert_eq!(count("bits_do.tsv", |v| v >> 16 == 0x8020), 70, "BG_E_*");
    assert_eq!(count("wu.tsv", |v| v >> 16 == 0x8024), 447, "WU_E_*");
}

#[test]
fn each_family_keeps_to_its_range() {
    for c in all() {
        let v = c.value;
        let file = family(v).expect("known");
        let win32 = v >> 16 == 0x8007;
        let low = v & 0xFFFF;
        if win32 && (6600..6900).contains(&low) {
            assert_eq!(file, "ktm_clfs.tsv", "0x{v:08X}");
        }
        if win32 && (15600..15872).contains(&low) {
            assert_eq!(file, "appx.tsv", "0x{v:08X}");
        }
        match file {
            "ktm_clfs.tsv" => assert!(win32 && (6600..6900).contains(&low), "0x{v:08X}"),
            "appx.tsv" => assert!(win32 && (15600..15872).contains(&low), "0x{v:08X}"),
            "mosetup.tsv" => assert!(matches!(v >> 20, 0xC18 | 0xC19), "0x{v:08X}"),
            "dotnet.tsv" => assert_eq!(v >> 16, 0x8013, "0x{v:08X}"),
            "dism.tsv" => assert!(matches!(v >> 16, 0xC142 | 0xC157), "0x{v:08X}"),
            _ => {}
        }
    }
}

#[test]
fn readme_states_the_code_count() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).expect("README");
    let n = all().len();
    let spelled = format!("{},{:03} codes", n / 1000, n % 1000);
    assert!(readme.contains(&spelled), "README.md should say {spelled:?}");
}

/// Spot checks of `explain` for the codes issue 13 names (and neighbours seen in servicing logs): name, facility
/// and whether patchdx knows it. 0x8007199E is Win32 6558, which winerror.h does not define (ERROR_LOG_FULL is
/// 6628, 0x800719E4): it stays unknown with its structure.
#[test]
fn issue_13_spot_checks() {
    let cases: [(u32, Option<&str>, &str); 13] = [
        (0xC180_0104, None, "MOSETUP"),
        (0xC190_0223, Some("(no public symbol)"), "MOSETUP"),
        (0xC157_0118, Some("(no public symbol)"), "DISM_APPX"),
        (0x8013_1502, Some("COR_E_ARGUMENTOUTOFRANGE"), "URT"),
        (0xD000_0034, Some("HRESULT_FROM_NT(STATUS_OBJECT_NAME_NOT_FOUND)"), "NTSTATUS"),
        (0x8007_1A90, Some("ERROR_TRANSACTIONAL_CONFLICT"), "WIN32"),
        (0x8007_19E4, Some("ERROR_LOG_FULL"), "WIN32"),
        (0x8007_199E, None, "WIN32"),
        (0xC019_0001, Some("STATUS_TRANSACTIONAL_CONFLICT"), "NTSTATUS"),
        (0x8020_0010, Some("BG_E_NETWORK_DISCONNECTED"), "BACKGROUNDCOPY"),
        (0x8007_3D02, Some("ERROR_PACKAGES_IN_USE"), "WIN32"),
        (0x8024_0438, Some("WU_E_PT_ENDPOINT_UNREACHABLE"), "WINDOWSUPDATE"),
        (0x8024_ABCD, None, "WINDOWSUPDATE"),
    ];
    for (value, symbol, facility) in cases {
        assert_eq!(lookup(value).map(|c| c.name), symbol, "0x{value:08X}");
        assert_eq!(facility_name(value), facility, "0x{value:08X}");
        let d = decode(value);
        assert_eq!(d.facility_name, facility, "0x{value:08X}");
        assert_eq!(d.severity, Severity::Error, "0x{value:08X}");
    }
    // Unknown codes are decoded, not guessed: a Win32 code's facility and number.
    let d = decode(0x8007_199E);
    assert_eq!((d.ntstatus, d.facility, d.code), (false, 7, 6558));
    let d = decode(0xC180_0104);
    assert_eq!((d.ntstatus, d.facility, d.code), (false, 0x180, 0x0104));
}
