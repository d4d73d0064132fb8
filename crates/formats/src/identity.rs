//! What a file says about the machine that wrote it — its host name, the OS build it runs — each with where
//! it says it. Files of different machines in one input are told apart by these (with the UTC offsets the
//! files state): they must not be stitched into one history.

use serde::Serialize;

/// How many distinct values of one kind a file keeps: a real log names one machine (two after a rename or an
/// upgrade); more is a merged or hostile file, and the first few are enough to tell.
const MAX_VALUES: usize = 8;

/// A value a file states, and the line (text files) or record (event logs) that states it first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stated {
    pub value: String,
    pub line: u64,
    pub record: Option<u64>,
}

/// The machine facts one file states.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// Host names (`Computer` of event records), as written.
    pub hosts: Vec<Stated>,
    /// OS build numbers (`19041`, `17763`, `7601`) of the running system.
    pub builds: Vec<Stated>,
}

impl Identity {
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty() && self.builds.is_empty()
    }

    /// Notes a host name (compared without case and without a DNS suffix: `SRV01` is `srv01.corp.example`).
    pub fn add_host(&mut self, name: &str, line: u64, record: Option<u64>) {
        let name = name.trim();
        if name.is_empty() || name == "-" {
            return;
        }
        add(&mut self.hosts, host_key(name), line, record);
    }

    /// Notes the build of a version string (`10.0.19041.1220` → 19041).
    pub fn add_build_of(&mut self, version: &str, line: u64, record: Option<u64>) {
        if let Some(build) = build_of_version(version) {
            add(&mut self.builds, build.to_string(), line, record);
        }
    }

    /// Adds what another file of the same machine states.
    pub fn extend(&mut self, other: &Identity) {
        for s in &other.hosts {
            add(&mut self.hosts, s.value.clone(), s.line, s.record);
        }
        for s in &other.builds {
            add(&mut self.builds, s.value.clone(), s.line, s.record);
        }
    }
}

fn add(list: &mut Vec<Stated>, value: String, line: u64, record: Option<u64>) {
    if list.len() < MAX_VALUES && !list.iter().any(|s| s.value == value) {
        list.push(Stated { value, line, record });
    }
}

/// The host part of a name, upper-cased: NetBIOS names are case-insensitive and event logs write the FQDN.
pub fn host_key(name: &str) -> String {
    name.split('.').next().unwrap_or(name).to_ascii_uppercase()
}

/// The build number of a Windows version string: the third part of `major.minor.build[.revision]`
/// (`6.1.7601.24094` → 7601, `10.0.22000` → 22000). Builds below 2600 are not Windows NT builds of a
/// servicing era (a `5.0.0` library version is not an OS), so they say nothing.
pub fn build_of_version(version: &str) -> Option<u32> {
    let mut parts = version.trim().trim_start_matches(['v', 'V']).split('.');
    let (major, _minor) = (parts.next()?.parse::<u32>().ok()?, parts.next()?.parse::<u32>().ok()?);
    let digits: String = parts.next()?.chars().take_while(char::is_ascii_digit).collect();
    let build = digits.parse::<u32>().ok()?;
    (matches!(major, 6 | 10) && (2600..100_000).contains(&build)).then_some(build)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_come_from_the_third_part_of_windows_versions_only() {
        assert_eq!(build_of_version("10.0.19041.1220"), Some(19041));
        assert_eq!(build_of_version("v10.0.26100.3764"), Some(26100));
        assert_eq!(build_of_version("6.1.7601.24094"), Some(7601));
        assert_eq!(build_of_version("10.0.22000"), Some(22000));
        assert_eq!(build_of_version("7.6.7601.23806"), None, "the WU agent's version is not the OS's");
        assert_eq!(build_of_version("10.0"), None);
        assert_eq!(build_of_version("garbage"), None);
    }

    #[test]
    fn host_names_compare_without_case_or_domain() {
        let mut id = Identity::default();
        id.add_host("srv01.corp.example", 0, Some(1));
        id.add_host("SRV01", 0, Some(9));
        id.add_host("", 0, None);
        assert_eq!(id.hosts.iter().map(|s| s.value.as_str()).collect::<Vec<_>>(), ["SRV01"]);
        assert_eq!(id.hosts[0].record, Some(1), "the first record that names it");
    }
}
