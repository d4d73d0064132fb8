//! Windows builds as component and package versions spell them, and the releases each build stands for.

/// `(build, revision)` of a Windows component version (`10.0.17763.3165`, `6.1.7601.24384`).
pub(super) fn os_version(version: &str) -> Option<(u32, u32)> {
    let parts: Vec<u32> = version.split('.').map(str::parse).collect::<Result<_, _>>().ok()?;
    let [major, minor, build, revision] = parts[..] else {
        return None;
    };
    let windows = (major == 10 && minor == 0) || (major == 6 && minor <= 3);
    (windows && build >= 6000).then_some((build, revision))
}

/// `(build, revision)` an update package's version stands for: `~17763.3165.1.7` or `~10.0.17763.3165`.
pub(super) fn package_build(identity: &str) -> Option<(u32, u32)> {
    let version = identity.rsplit('~').next()?;
    let parts: Vec<u32> = version.split('.').map_while(|p| p.parse().ok()).collect();
    match parts[..] {
        [10, 0, build, revision, ..] | [6, _, build, revision, ..] if build >= 6000 => Some((build, revision)),
        [build, revision, ..] if build >= 6000 => Some((build, revision)),
        _ => None,
    }
}

/// Windows releases of a build. Enablement-package releases share their base build's components (19045 carries
/// 10.0.19041.x), so the base build names all of them.
pub(super) fn release_of(build: u32) -> Option<&'static str> {
    Some(match build {
        7600 => "Windows 7 / Windows Server 2008 R2 (RTM)",
        7601 => "Windows 7 SP1 / Windows Server 2008 R2 SP1",
        9200 => "Windows 8 / Windows Server 2012",
        9600 => "Windows 8.1 / Windows Server 2012 R2",
        10240 => "Windows 10 1507",
        14393 => "Windows 10 1607 / Windows Server 2016",
        15063 => "Windows 10 1703",
        16299 => "Windows 10 1709",
        17134 => "Windows 10 1803",
        17763 => "Windows 10 1809 / Windows Server 2019",
        18362 => "Windows 10 1903 and 1909 (build 18363)",
        19041 => "Windows 10 2004, 20H2, 21H1, 21H2 and 22H2 (builds 19041–19045)",
        20348 => "Windows Server 2022",
        22000 => "Windows 11 21H2",
        22621 => "Windows 11 22H2 and 23H2 (build 22631)",
        26100 => "Windows 11 24H2 and 25H2 (build 26200) / Windows Server 2025",
        _ => return None,
    })
}

/// [`release_of`] in Simplified Chinese, for the builds whose wording has words or brackets to translate; the
/// others read the same in both languages.
pub(super) fn release_zh(build: u32) -> Option<&'static str> {
    Some(match build {
        18362 => "Windows 10 1903 和 1909（内部版本 18363）",
        19041 => "Windows 10 2004、20H2、21H1、21H2 和 22H2（内部版本 19041–19045）",
        22621 => "Windows 11 22H2 和 23H2（内部版本 22631）",
        26100 => "Windows 11 24H2 和 25H2（内部版本 26200）/ Windows Server 2025",
        7600 => "Windows 7 / Windows Server 2008 R2（RTM）",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_versions_give_build_and_revision() {
        assert_eq!(package_build("Package_for_KB5014805~31bf3856ad364e35~amd64~~17763.3165.1.7"), Some((17763, 3165)));
        assert_eq!(package_build("Package_1234_for_KB5014805~31bf3856ad364e35~amd64~~10.0.1.7"), None);
        assert_eq!(
            package_build(
                "Microsoft-Windows-TerminalServices-Licensing-Package~31bf3856ad364e35~amd64~~10.0.20348.3207.Licensing"
            ),
            Some((20348, 3207))
        );
        assert_eq!(os_version("10.0.18362.1"), Some((18362, 1)));
        assert_eq!(os_version("4.0.15744.161"), None);
    }
}
