//! Repair manifests for store and file corruption: the exact component identities a finding's evidence names
//! (parsed from the WinSxS key form `amd64_name_31bf3856ad364e35_10.0.17763.3165_none_<hash>`, the strong-name
//! form `Name, Culture=neutral, Version=…, PublicKeyToken=…, ProcessorArchitecture=…` and SFC's
//! `Name, version …, arch …, pkt {l:8 b:…}` form), their files, the updates that carry them, and the repair
//! source and commands that match them, in English and Simplified Chinese.
//!
//! Only the finding's own evidence is read (first cause, cascade, outcome, items): the manifest never names a
//! component the quoted records do not name.

use crate::model::both;
pub use crate::model::{Bilingual, ComponentRef, PackageRef, Place, RepairCommand, RepairManifest, SourceMatch};
use crate::model::{Evidence, Finding, Verdict};
use patchdx_formats::text::{kb_of, package_identity};
use regex::Regex;
use std::sync::LazyLock;

/// Attaches a repair manifest to every finding whose cause is store or file corruption and whose evidence names
/// what is damaged.
pub fn attach(findings: &mut [Finding]) {
    for finding in findings {
        finding.repair = manifest_for(finding);
    }
}

/// Codes that by themselves say the store or a component file is damaged.
const CORRUPTION_CODES: &[u32] = &[
    0x8007_3712, // ERROR_SXS_COMPONENT_STORE_CORRUPT
    0x800F_0831, // CBS_E_STORE_CORRUPTION
    0x8007_3701, // ERROR_SXS_ASSEMBLY_MISSING
    0x8007_36CC, // ERROR_SXS_FILE_HASH_MISMATCH
];

/// Codes that mean corruption when the chain also names a damaged component (0x800F081F alone is as often a
/// Feature on Demand without a source).
const CORRUPTION_CODES_WITH_COMPONENTS: &[u32] = &[
    0x800F_081F, // CBS_E_SOURCE_MISSING
    0x8007_371B, // ERROR_SXS_TRANSACTION_CLOSURE_INCOMPLETE
    0x8007_0570, // ERROR_FILE_CORRUPT
    0x800F_0984, // PSFX_E_MATCHING_BINARY_MISSING
    0x800F_0982, // PSFX_E_MATCHING_COMPONENT_NOT_FOUND
];

/// Wording of records that state corruption (lowercase).
const MARKERS: &[&str] = &[
    "payload corrupt",
    "manifest corrupt",
    "manifest missing",
    "mum missing",
    "is missing or corrupt",
    "cannot repair member file",
    "hashes for file member",
    "unable to repair payload file",
    "store corrupt",
    "store corruption",
    "hash mismatch",
    "component_store_corrupt",
    "store_corruption",
    "sxs_assembly_missing",
];

/// Builds the manifest of one finding, or `None` when its cause is not corruption or nothing damaged is named.
pub fn manifest_for(finding: &Finding) -> Option<RepairManifest> {
    let records: Vec<&Evidence> = std::iter::once(&finding.first_cause)
        .chain(&finding.cascade)
        .chain(std::iter::once(&finding.outcome))
        .collect();
    let code = finding.code.as_ref().map(|c| c.value);
    let marked = records.iter().map(|e| e.text.as_str()).chain(finding.items.iter().map(String::as_str)).any(|t| {
        let lower = t.to_ascii_lowercase();
        MARKERS.iter().any(|m| lower.contains(m))
    });
    let strong_code = code.is_some_and(|c| CORRUPTION_CODES.contains(&c));
    let weak_code = code.is_some_and(|c| CORRUPTION_CODES_WITH_COMPONENTS.contains(&c));
    if !(marked || strong_code || weak_code) {
        return None;
    }
    let mut collector = Collector::default();
    let mut seen: Vec<(&str, u64, Option<u64>)> = Vec::new();
    for record in records {
        let key = (record.file.as_str(), record.line, record.record);
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        collector
            .scan(&record.text, Some(Place { file: record.file.clone(), line: record.line, record: record.record }));
    }
    for item in &finding.items {
        collector.scan(item, None);
    }
    let Collector { mut components, pending_files, mut packages } = collector;
    let unattributed_files: Vec<String> =
        pending_files.into_iter().filter(|f| !components.iter().any(|c| c.files.contains(f))).collect();
    if components.is_empty() && unattributed_files.is_empty() && packages.is_empty() {
        return None;
    }
    if !marked && !strong_code && components.is_empty() && unattributed_files.is_empty() {
        return None;
    }
    for c in &mut components {
        c.files.dedup();
    }
    // The finding's own update: it carries the damaged version, or it was being installed when damage was found.
    if let Some(identity) = &finding.package
        && !packages.iter().any(|p| &p.identity == identity)
    {
        packages.insert(
            0,
            PackageRef {
                identity: identity.clone(),
                kb: finding.kb.clone().or_else(|| kb_of(identity)),
                relation: "being installed".to_string(),
            },
        );
    }
    for p in &mut packages {
        if let Some((build, revision)) = package_build(&p.identity)
            && let Some(c) = components.iter().find(|c| os_version(&c.version) == Some((build, revision)))
        {
            p.relation = format!("carries {}", c.version);
        }
    }
    let mut kbs: Vec<String> = Vec::new();
    for kb in packages.iter().filter_map(|p| p.kb.clone()).chain(finding.kb.clone()) {
        if !kbs.contains(&kb) {
            kbs.push(kb);
        }
    }
    let sources = sources(&components, &packages);
    let mut commands = commands(&components, &kbs);
    // Original-release versions (revision 0 or 1) are in every media of the build; no update carries them.
    if kbs.is_empty() && !sources.is_empty() && sources.iter().all(|s| s.revision <= 1) {
        commands.retain(|c| !c.command.contains(r"C:\CU\"));
    }
    let repaired = finding.verdict == Verdict::Repaired;
    let steps = steps(&sources, repaired, finding);
    Some(RepairManifest { repaired, components, unattributed_files, packages, kbs, sources, commands, steps })
}

// ASCII classes (`[A-Za-z0-9_]`, `[0-9]`, an ASCII `\b`) rather than Unicode `\w`/`\d`/`\b`: component
// identities are ASCII, and the Unicode forms made these patterns six times slower to compile (4.6 -> 0.7 ms).
macro_rules! regex {
    ($name:ident, $pattern:expr) => {
        static $name: LazyLock<Regex> = LazyLock::new(|| Regex::new($pattern).expect("static regex"));
    };
}

// `amd64_microsoft-windows-rasserver_31bf3856ad364e35_10.0.17763.3165_none_4f1b3a4e3c2a7d11`, optionally
// followed by `\member-file` (corruption rows, `Repr:` lines, old hash-mismatch lines).
regex!(
    KEY,
    r#"(?i)(?-u:\b)(amd64|x86|wow64|msil|arm64|arm|ia64)_([a-z0-9][a-z0-9._\-]*?)_([0-9a-f]{16}|none)_([0-9]+\.[0-9]+\.[0-9]+\.[0-9]+)_([a-z]{2,3}(?:-[a-z0-9]+)*|none)_([0-9a-f]{16})(?:\\([^\t\n\x0B\x0C\r '"\]]+))?"#
);
// `Name, Culture=neutral, Version=10.0.17763.1, PublicKeyToken=31bf3856ad364e35, ProcessorArchitecture=amd64, …`
regex!(STRONG, r#"([A-Za-z0-9][A-Za-z0-9_.\-]*)((?:, ?[A-Za-z]+=[^,'"\]\t\n\x0B\x0C\r ]+)+)"#);
// SFC since Windows 8: `Name, version 10.0.17763.1, arch amd64, nonSxS, pkt {l:8 b:31bf3856ad364e35}, type [l:12]'driverUpdate'`
regex!(
    SFC,
    r#"([A-Za-z0-9][A-Za-z0-9_.\-]*), version ([0-9]+(?:\.[0-9]+){3}), arch (Host= ?[A-Za-z0-9_]+ Guest= ?[A-Za-z0-9_]+|[A-Za-z0-9_]+)([^{}]*?)pkt \{l:[0-9]+ b:([0-9a-fA-F]{16})\}(?:, type \[l:[0-9]+(?:\{[0-9]+\})?\]['"]([^'"]*)['"])?"#
);
// SFC of Windows 7: `Name, Version = 6.1.7600.16385, pA = PROCESSOR_ARCHITECTURE_AMD64 (9), Culture neutral, …
// PublicKeyToken = {l:8 b:31bf3856ad364e35}, Type = [l:24{12}]"driverUpdate"`
regex!(
    SFC_OLD,
    r#"([A-Za-z0-9][A-Za-z0-9_.\-]*), Version = ([0-9]+(?:\.[0-9]+){3}), pA = PROCESSOR_ARCHITECTURE_([A-Za-z0-9_]+) \([0-9]+\)([^{}]*?)PublicKeyToken = \{l:[0-9]+ b:([0-9a-fA-F]{16})\}(?:, Type = \[l:[0-9]+(?:\{[0-9]+\})?\]['"]([^'"]*)['"])?"#
);
regex!(
    CULTURE,
    r#"(?i)(?-u:\b)culture (?:= ?)?(?:\[l:[0-9]+(?:\{[0-9]+\})?\]['"]([^'"]*)['"]|([A-Za-z][A-Za-z0-9_\-]*))"#
);
regex!(MEMBER_FILE, r#"member file \[l:[0-9]+(?:\{[0-9]+\})?\]['"]([^'"]+)['"]"#);
regex!(HASH_FILE, r#"file member \[l:[0-9]+(?:\{[0-9]+\})?\]['"]([^'"]+)['"]"#);
regex!(PAYLOAD_FILE, r#"payload file \(\[l:[^\]]*\]['"]([^'"]+)['"]\)"#);

/// Compiles the patterns now (see [`crate::warm_up`]).
pub(crate) fn warm_up() {
    for pattern in [&KEY, &STRONG, &SFC, &SFC_OLD, &CULTURE, &MEMBER_FILE, &HASH_FILE, &PAYLOAD_FILE] {
        LazyLock::force(pattern);
    }
}

#[derive(Default)]
struct Collector {
    components: Vec<ComponentRef>,
    /// Files named by hash-mismatch lines that do not name their component.
    pending_files: Vec<String>,
    packages: Vec<PackageRef>,
}

/// A parsed identity before it is merged.
struct Parsed {
    identity: String,
    form: &'static str,
    name: String,
    version: String,
    architecture: String,
    token: Option<String>,
    culture: Option<String>,
    component_type: Option<String>,
    file: Option<String>,
    span: (usize, usize),
}

impl Collector {
    fn scan(&mut self, text: &str, place: Option<Place>) {
        let problem = problem_of(text);
        let mut found: Vec<Parsed> = Vec::new();
        let overlaps = |found: &[Parsed], s: usize, e: usize| found.iter().any(|p| s < p.span.1 && p.span.0 < e);
        for caps in SFC.captures_iter(text).chain(SFC_OLD.captures_iter(text)) {
            let whole = caps.get(0).expect("match");
            if overlaps(&found, whole.start(), whole.end()) {
                continue;
            }
            let middle = caps.get(4).map_or("", |m| m.as_str());
            let culture = CULTURE
                .captures(middle)
                .and_then(|c| c.get(1).or(c.get(2)))
                .map(|m| m.as_str().to_ascii_lowercase())
                .filter(|c| !c.is_empty());
            found.push(Parsed {
                identity: whole.as_str().to_string(),
                form: "sfc",
                name: caps[1].to_string(),
                version: caps[2].to_string(),
                architecture: architecture(&caps[3]),
                token: Some(caps[5].to_ascii_lowercase()),
                culture,
                component_type: caps.get(6).map(|m| m.as_str().to_string()).filter(|t| !t.is_empty()),
                file: None,
                span: (whole.start(), whole.end()),
            });
        }
        for caps in STRONG.captures_iter(text) {
            let whole = caps.get(0).expect("match");
            if overlaps(&found, whole.start(), whole.end()) {
                continue;
            }
            let attrs: Vec<(String, String)> = caps[2]
                .split(',')
                .filter_map(|a| a.split_once('='))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                .collect();
            let get = |k: &str| attrs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
            let Some(version) = get("version").filter(|v| v.split('.').count() == 4) else {
                continue;
            };
            let (token, arch) = (get("publickeytoken"), get("processorarchitecture"));
            if token.is_none() && arch.is_none() {
                continue;
            }
            found.push(Parsed {
                identity: whole.as_str().to_string(),
                form: "strong-name",
                name: caps[1].to_string(),
                version,
                architecture: arch.as_deref().map_or_else(|| "unknown".to_string(), architecture),
                token: token.map(|t| t.to_ascii_lowercase()),
                culture: get("culture").map(|c| c.to_ascii_lowercase()),
                component_type: get("type"),
                file: None,
                span: (whole.start(), whole.end()),
            });
        }
        for caps in KEY.captures_iter(text) {
            let whole = caps.get(0).expect("match");
            if overlaps(&found, whole.start(), whole.end()) {
                continue;
            }
            let identity = whole.as_str().split('\\').next().unwrap_or(whole.as_str()).to_string();
            let culture = caps[5].to_ascii_lowercase();
            found.push(Parsed {
                identity,
                form: "winsxs-key",
                name: caps[2].to_string(),
                version: caps[4].to_string(),
                architecture: architecture(&caps[1]),
                token: Some(caps[3].to_ascii_lowercase()).filter(|t| t != "none"),
                culture: Some(if culture == "none" { "neutral".to_string() } else { culture }),
                component_type: None,
                file: caps.get(7).map(|m| m.as_str().trim_end_matches('.').to_string()),
                span: (whole.start(), whole.end()),
            });
        }
        found.sort_by_key(|p| p.span.0);
        // A file named on a line with exactly one component belongs to it.
        let line_file = MEMBER_FILE
            .captures(text)
            .or_else(|| PAYLOAD_FILE.captures(text))
            .or_else(|| HASH_FILE.captures(text))
            .map(|c| c[1].to_string());
        let single = found.len() == 1;
        for mut parsed in found {
            if parsed.file.is_none() && single {
                parsed.file.clone_from(&line_file);
            }
            self.add(parsed, &problem, place.as_ref());
        }
        if !single
            && let Some(file) = line_file
            && !self.pending_files.contains(&file)
        {
            self.pending_files.push(file);
        }
        self.packages_of(text);
    }

    fn add(&mut self, p: Parsed, problem: &str, place: Option<&Place>) {
        let slot = self.components.iter().position(|c| same_component(c, &p));
        let c = match slot {
            Some(i) => &mut self.components[i],
            None => {
                self.components.push(ComponentRef {
                    identity: p.identity.clone(),
                    form: p.form,
                    name: p.name.clone(),
                    version: p.version.clone(),
                    architecture: p.architecture.clone(),
                    public_key_token: p.token.clone(),
                    culture: p.culture.clone(),
                    component_type: p.component_type.clone(),
                    files: Vec::new(),
                    problems: Vec::new(),
                    evidence: Vec::new(),
                });
                self.components.last_mut().expect("just pushed")
            }
        };
        // A full spelling of the name beats the lowercased, shortened one of a WinSxS key.
        if c.form == "winsxs-key" && p.form != "winsxs-key" {
            c.name = p.name;
        }
        if c.public_key_token.is_none() {
            c.public_key_token = p.token;
        }
        if c.culture.is_none() {
            c.culture = p.culture;
        }
        if c.component_type.is_none() {
            c.component_type = p.component_type;
        }
        if let Some(file) = p.file
            && !c.files.contains(&file)
        {
            c.files.push(file);
        }
        if !problem.is_empty() && !c.problems.iter().any(|x| x == problem) {
            c.problems.push(problem.to_string());
        }
        if let Some(place) = place
            && !c.evidence.contains(place)
        {
            c.evidence.push(place.clone());
        }
    }

    /// Packages a record names as missing, corrupt, the reason for a corrupt flag, or referencing damage.
    fn packages_of(&mut self, text: &str) {
        let Some(identity) = package_identity(text) else {
            return;
        };
        let relation = if let Some((category, state)) = corruption_row(text) {
            format!("{category} ({state})")
        } else if text.contains("Mark store corruption flag because of package")
            || text.contains("manifest missing for package")
        {
            "the store was flagged corrupt because of it".to_string()
        } else if text.contains("This component was referenced by") {
            "references a damaged component".to_string()
        } else {
            return;
        };
        let identity = identity.to_string();
        if self.packages.iter().any(|p| p.identity == identity) {
            return;
        }
        self.packages.push(PackageRef { kb: kb_of(&identity), identity, relation });
    }
}

fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    if a == b {
        return true;
    }
    // WinSxS keys shorten long names: `microsoft-windows-s..ngstack-onecoreuap`.
    let shortened = |short: &str, full: &str| {
        short.split_once("..").is_some_and(|(head, tail)| {
            full.len() >= head.len() + tail.len() && full.starts_with(head) && full.ends_with(tail)
        })
    };
    shortened(&a, &b) || shortened(&b, &a)
}

fn same_component(c: &ComponentRef, p: &Parsed) -> bool {
    let optional = |x: &Option<String>, y: &Option<String>| match (x, y) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
        _ => true,
    };
    c.version == p.version
        && c.architecture == p.architecture
        && same_name(&c.name, &p.name)
        && optional(&c.public_key_token, &p.token)
        && optional(&c.culture, &p.culture)
}

fn architecture(raw: &str) -> String {
    let lower = raw.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("host=") {
        let mut words = rest.split_whitespace();
        let host = words.next().unwrap_or("");
        let guest = words.next().and_then(|g| g.strip_prefix("guest=")).map(str::trim);
        let guest = guest.filter(|g| !g.is_empty()).or_else(|| words.next()).unwrap_or("");
        return match (host, guest) {
            ("amd64", "x86") => "wow64".to_string(),
            (host, guest) => format!("{guest} on {host}"),
        };
    }
    match lower.as_str() {
        "intel" => "x86",
        "ia32_on_win64" => "wow64",
        other => other,
    }
    .to_string()
}

/// `(category, state)` of a `(p)` corruption row or of the item patchdx made of one (`Category: item (fixed)`).
fn corruption_row(text: &str) -> Option<(String, &'static str)> {
    if let Some(at) = text.find("(p)\t") {
        let cells: Vec<&str> = text[at..].split('\t').map(str::trim).filter(|c| !c.is_empty()).collect();
        let category = cells.get(1)?.to_string();
        let state = if cells.contains(&"(Fixed)") { "fixed" } else { "not fixed" };
        return Some((category, state));
    }
    let (category, rest) = text.split_once(": ")?;
    let state = if rest.ends_with(" (fixed)") {
        "fixed"
    } else if rest.ends_with(" (NOT fixed)") {
        "not fixed"
    } else {
        return None;
    };
    category.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ').then(|| (category.to_string(), state))
}

fn problem_of(text: &str) -> String {
    if let Some((category, state)) = corruption_row(text) {
        return format!("{category} ({state})");
    }
    if text.contains("Cannot repair member file") || text.contains(" in the store, ") {
        return match text.split(" in the store, ").nth(1) {
            Some(reason) => format!("SFC cannot repair the file: {} in the store", reason.trim().trim_end_matches('.')),
            None => "SFC cannot repair the file".to_string(),
        };
    }
    if text.contains("Unable to repair payload file") {
        return "payload file damaged and no backup copy to repair it from".to_string();
    }
    if text.contains("Hashes for file member") {
        return "file hash does not match its manifest".to_string();
    }
    let lower = text.to_ascii_lowercase();
    if lower.contains("manifest") && (lower.contains("missing") || lower.contains("corrupt")) {
        return "manifest missing or corrupt".to_string();
    }
    if lower.contains("missing payload") {
        return "payload missing".to_string();
    }
    if let Some(rest) = text.split("(F) ").nth(1) {
        let rest = rest.split(" [gle=").next().unwrap_or(rest).trim();
        let short: String = rest.chars().take(120).collect();
        return format!("fatal CSI record: {short}");
    }
    "named in the failure chain".to_string()
}

/// `(build, revision)` of a Windows component version (`10.0.17763.3165`, `6.1.7601.24384`).
fn os_version(version: &str) -> Option<(u32, u32)> {
    let parts: Vec<u32> = version.split('.').map(str::parse).collect::<Result<_, _>>().ok()?;
    let [major, minor, build, revision] = parts[..] else {
        return None;
    };
    let windows = (major == 10 && minor == 0) || (major == 6 && minor <= 3);
    (windows && build >= 6000).then_some((build, revision))
}

/// `(build, revision)` an update package's version stands for: `~17763.3165.1.7` or `~10.0.17763.3165`.
fn package_build(identity: &str) -> Option<(u32, u32)> {
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
fn release_of(build: u32) -> Option<&'static str> {
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

fn release_zh(build: u32) -> Option<&'static str> {
    Some(match build {
        18362 => "Windows 10 1903 和 1909（内部版本 18363）",
        19041 => "Windows 10 2004、20H2、21H1、21H2 和 22H2（内部版本 19041–19045）",
        22621 => "Windows 11 22H2 和 23H2（内部版本 22631）",
        26100 => "Windows 11 24H2 和 25H2（内部版本 26200）/ Windows Server 2025",
        7600 => "Windows 7 / Windows Server 2008 R2（RTM）",
        _ => return None,
    })
}

fn sources(components: &[ComponentRef], packages: &[PackageRef]) -> Vec<SourceMatch> {
    let mut builds: Vec<(u32, u32, String)> = Vec::new();
    for c in components {
        let Some((build, revision)) = os_version(&c.version) else {
            continue;
        };
        match builds.iter_mut().find(|(b, _, _)| *b == build) {
            Some(entry) if entry.1 < revision => *entry = (build, revision, c.version.clone()),
            Some(_) => {}
            None => builds.push((build, revision, c.version.clone())),
        }
    }
    builds.sort_by_key(|b| b.0);
    builds
        .into_iter()
        .map(|(build, revision, version)| {
            let mut languages: Vec<String> = components
                .iter()
                .filter(|c| os_version(&c.version).is_some_and(|(b, _)| b == build))
                .filter_map(|c| c.culture.clone())
                .filter(|c| c != "neutral" && c != "none")
                .collect();
            languages.sort();
            languages.dedup();
            let mut carried_by: Vec<String> = packages
                .iter()
                .filter(|p| package_build(&p.identity) == Some((build, revision)))
                .filter_map(|p| p.kb.clone())
                .collect();
            carried_by.dedup();
            let release = release_of(build);
            let (carrier_en, carrier_zh) = match carried_by.as_slice() {
                [] => (
                    format!(" (the logs do not name it; it is the update of OS build {build}.{revision})"),
                    format!("（日志未指明；即操作系统内部版本 {build}.{revision} 对应的更新）"),
                ),
                kbs => (format!(" ({}, per these logs)", kbs.join(", ")), format!("（据日志为 {}）", kbs.join("、"))),
            };
            let (mut en, mut zh) = if revision <= 1 {
                (
                    format!(
                        "install.wim/.esd of build {build} at revision {revision} or later: {version} is the release's original version, so media of that build carries it unless a later update replaced the component there."
                    ),
                    format!(
                        "内部版本 {build}、修订号 {revision} 或更高的 install.wim/.esd：{version} 是该版本发布时的原始版本，只要介质中该组件未被后续更新替换即可使用。"
                    ),
                )
            } else {
                (
                    format!(
                        "install.wim/.esd of build {build} at revision {revision} or later, or the cumulative update that contains {version}{carrier_en}."
                    ),
                    format!(
                        "内部版本 {build}、修订号 {revision} 或更高的 install.wim/.esd，或包含 {version} 的累积更新{carrier_zh}。"
                    ),
                )
            };
            if let Some(release) = release {
                en.push_str(&format!(" Build {build} is {release}."));
                zh.push_str(&format!("内部版本 {build} 即 {}。", release_zh(build).unwrap_or(release)));
            }
            en.push_str(
                " The image must be the installed edition (pick its index) and language. A later revision holds the \
                 component only if that image still carries it; when DISM ends with 0x800F081F the source lacks this \
                 version: use the cumulative update that contains it.",
            );
            zh.push_str(
                "映像的版本（选择对应索引）和语言须与已安装系统一致。更高修订号的映像只有仍包含该组件版本时才可用；\
                 若 DISM 以 0x800F081F 结束，说明源中没有此版本，请改用包含它的累积更新。",
            );
            if !languages.is_empty() {
                en.push_str(&format!(" It must also carry the language(s) {}.", languages.join(", ")));
                zh.push_str(&format!("源还须包含语言 {}。", languages.join("、")));
            }
            if build == 7600 || build == 7601 {
                en.push_str(
                    " Windows 7 / Server 2008 R2 has no DISM /RestoreHealth: run the System Update Readiness Tool \
                     (KB947821) with the update packages placed in %windir%\\Temp\\CheckSUR\\Packages.",
                );
                zh.push_str(
                    "Windows 7 / Server 2008 R2 没有 DISM /RestoreHealth：请将更新包放入 %windir%\\Temp\\CheckSUR\\Packages 后运行系统更新准备工具（KB947821）。",
                );
            }
            SourceMatch {
                build,
                revision,
                version,
                release,
                languages,
                carried_by,
                text: Bilingual { en, zh_cn: zh },
            }
        })
        .collect()
}

fn commands(components: &[ComponentRef], kbs: &[String]) -> Vec<RepairCommand> {
    let arch = if components.iter().any(|c| c.architecture == "arm64") {
        "arm64"
    } else if components.iter().all(|c| c.architecture == "x86") && !components.is_empty() {
        "x86"
    } else {
        "x64"
    };
    let kb = kbs.first().map_or("KBnnnnnnn".to_string(), Clone::clone);
    let mut out = vec![
        RepairCommand {
            command: r"DISM /Get-WimInfo /WimFile:<drive>:\sources\install.wim".to_string(),
            purpose: both(
                "List the editions in the image; note the index of the installed edition (install.esd: /WimFile:<drive>:\\sources\\install.esd).",
                "列出映像中的版本，记下与已安装版本一致的索引（install.esd 则用 /WimFile:<drive>:\\sources\\install.esd）。",
            ),
        },
        RepairCommand {
            command: r"DISM /Online /Cleanup-Image /RestoreHealth /Source:wim:<drive>:\sources\install.wim:<index> /LimitAccess"
                .to_string(),
            purpose: both(
                "Repair the component store from the matching install.wim only (/LimitAccess keeps Windows Update out).",
                "仅从匹配的 install.wim 修复组件存储（/LimitAccess 不使用 Windows 更新）。",
            ),
        },
        RepairCommand {
            command: r"DISM /Online /Cleanup-Image /RestoreHealth /Source:esd:<drive>:\sources\install.esd:<index> /LimitAccess"
                .to_string(),
            purpose: both("The same, when the media carries install.esd.", "介质中为 install.esd 时使用此命令。"),
        },
        RepairCommand {
            command: format!(r"mkdir C:\CU\{kb}\expanded"),
            purpose: both("Make a folder for the unpacked update.", "为解开的更新创建文件夹。"),
        },
        RepairCommand {
            command: format!(r"expand -F:* <folder>\<{kb} .msu file> C:\CU\{kb}"),
            purpose: both(
                format!("Unpack the cumulative update {kb} (Microsoft Update Catalog) that contains the damaged versions."),
                format!("解开包含受损组件版本的累积更新 {kb}（Microsoft Update Catalog 下载）。"),
            ),
        },
        RepairCommand {
            command: format!(r"expand -F:* C:\CU\{kb}\Windows*-{kb}-{arch}.cab C:\CU\{kb}\expanded"),
            purpose: both(
                "Expand the update's own .cab (not the SSU or WSUSSCAN cab) into a folder.",
                "将更新本身的 .cab（不是 SSU 或 WSUSSCAN 的 cab）展开到文件夹。",
            ),
        },
        RepairCommand {
            command: format!(r"DISM /Online /Cleanup-Image /RestoreHealth /Source:C:\CU\{kb}\expanded /LimitAccess"),
            purpose: both(
                "Repair from the expanded update folder.",
                "以展开后的更新文件夹为源进行修复。",
            ),
        },
        RepairCommand {
            command: "sfc /scannow".to_string(),
            purpose: both(
                "After DISM: restore damaged system files from the repaired store.",
                "DISM 之后运行：用已修复的组件存储还原受损的系统文件。",
            ),
        },
    ];
    if components.iter().any(|c| c.component_type.as_deref() == Some("driverUpdate")) {
        out.push(RepairCommand {
            command: "pnputil /enum-drivers".to_string(),
            purpose: both(
                "Some damaged components are driver packages (type driverUpdate): check the driver store as well.",
                "部分受损组件是驱动程序包（type driverUpdate）：同时检查驱动程序存储。",
            ),
        });
    }
    out
}

fn steps(sources: &[SourceMatch], repaired: bool, finding: &Finding) -> Vec<Bilingual> {
    let mut out = Vec::new();
    if repaired {
        out.push(both(
            "This repair run already fixed the damage; keep the recipe below in case the same components break again.",
            "本次修复已修好这些损坏；如同样的组件再次损坏，可按以下步骤处理。",
        ));
    }
    match sources {
        [] => out.push(both(
            "Get install media of the same build, edition and language as the installed Windows (winver shows the build).",
            "准备与已安装 Windows 内部版本、版本和语言一致的安装介质（winver 可查看内部版本）。",
        )),
        _ => {
            for s in sources {
                out.push(both(format!("Repair source: {}", s.text.en), format!("修复源：{}", s.text.zh_cn)));
            }
        }
    }
    out.push(both(
        "Mount the ISO (it gets a drive letter), find the edition's index with DISM /Get-WimInfo, then run DISM /RestoreHealth with /Source and /LimitAccess.",
        "装载 ISO（获得一个盘符），用 DISM /Get-WimInfo 找到对应版本的索引，然后运行带 /Source 和 /LimitAccess 的 DISM /RestoreHealth。",
    ));
    out.push(both(
        "If the media is older than the damaged versions, expand the cumulative update that contains them and use that folder as /Source (an update that ships only express/delta payloads cannot serve as a source: use matching media then).",
        "如果介质比受损组件版本旧，请展开包含这些版本的累积更新，并以该文件夹作为 /Source（仅含快速/差分负载的更新不能作为源，此时请使用匹配的介质）。",
    ));
    out.push(both(
        "Run sfc /scannow after DISM succeeds, then check CBS.log for any [SR] Cannot repair member file lines left.",
        "DISM 成功后运行 sfc /scannow，再检查 CBS.log 中是否仍有 [SR] Cannot repair member file 行。",
    ));
    if finding.verdict == Verdict::Failed
        && let Some(kb) = &finding.kb
    {
        out.push(both(format!("Install {kb} again."), format!("重新安装 {kb}。")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<ComponentRef> {
        let mut c = Collector::default();
        c.scan(text, None);
        c.components
    }

    #[test]
    fn winsxs_key_with_underscores_in_the_name() {
        let got = parse(
            "(p)\tCSI Payload Corrupt\t(n)\t\tamd64_dual_netrasa.inf_31bf3856ad364e35_10.0.19041.1_none_5b3c1bd3a1b1d2f3\\netrasa.PNF",
        );
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].name, "dual_netrasa.inf");
        assert_eq!(got[0].version, "10.0.19041.1");
        assert_eq!(got[0].files, vec!["netrasa.PNF".to_string()]);
        assert_eq!(got[0].problems, vec!["CSI Payload Corrupt (not fixed)".to_string()]);
    }

    #[test]
    fn strong_name_form() {
        let got = parse(
            "Error CSI 00000042 (F) Component store corruption: Microsoft-Windows-RasServer, Culture=neutral, Version=10.0.17763.3165, PublicKeyToken=31bf3856ad364e35, ProcessorArchitecture=amd64, versionScope=NonSxS [gle=0x80073712]",
        );
        assert_eq!(got.len(), 1);
        let c = &got[0];
        assert_eq!(
            (c.name.as_str(), c.version.as_str(), c.architecture.as_str(), c.public_key_token.as_deref()),
            ("Microsoft-Windows-RasServer", "10.0.17763.3165", "amd64", Some("31bf3856ad364e35"))
        );
        assert_eq!(c.culture.as_deref(), Some("neutral"));
    }

    #[test]
    fn sfc_forms_of_windows_7_and_10() {
        let got = parse(
            "CSI 00000396 [SR] Cannot repair member file [l:36{18}]\"Amd64\\CNBJ2530.DPB\" of prncacla.inf, Version = 6.1.7600.16385, pA = PROCESSOR_ARCHITECTURE_AMD64 (9), Culture neutral, VersionScope = 1 nonSxS, PublicKeyToken = {l:8 b:31bf3856ad364e35}, Type = [l:24{12}]\"driverUpdate\", TypeName neutral, PublicKey neutral in the store, hash mismatch",
        );
        assert_eq!(got.len(), 1);
        let c = &got[0];
        assert_eq!(
            (c.name.as_str(), c.version.as_str(), c.architecture.as_str()),
            ("prncacla.inf", "6.1.7600.16385", "amd64")
        );
        assert_eq!(c.files, vec!["Amd64\\CNBJ2530.DPB".to_string()]);
        assert_eq!(c.component_type.as_deref(), Some("driverUpdate"));
        assert_eq!(c.problems, vec!["SFC cannot repair the file: hash mismatch in the store".to_string()]);
        let got = parse(
            "CSI 00003d48 [SR] Cannot repair member file [l:10]\"opencl.dll\" of microsoft-windows-RemoteFX-clientVM-RemoteFXWDDMDriver-WOW64-C, version 10.0.10586.0, arch Host= amd64 Guest= x86, nonSxS, pkt {l:8 b:31bf3856ad364e35} in the store, hash mismatch",
        );
        assert_eq!(got[0].architecture, "wow64");
        assert_eq!(got[0].files, vec!["opencl.dll".to_string()]);
    }

    #[test]
    fn hash_mismatch_file_joins_the_component_named_after_it() {
        let mut c = Collector::default();
        c.scan("CSI 00000020 Hashes for file member [l:27]'MSFT_MpComputerStatus.cdxml' do not match.", None);
        c.scan("CSI 00000021 Warning: Unable to repair payload file ([l:27]'MSFT_MpComputerStatus.cdxml') for component ([l:96 ml:140]'amd64_windows-defender-management-powershell_31bf3856ad364e35_10.0.18362.1_none_b620cb061e8a941c') from backups directory with disposition (2).", None);
        assert_eq!(c.components.len(), 1);
        assert_eq!(c.components[0].files, vec!["MSFT_MpComputerStatus.cdxml".to_string()]);
        assert_eq!(c.pending_files, vec!["MSFT_MpComputerStatus.cdxml".to_string()]);
    }

    #[test]
    fn shortened_key_names_merge_with_their_full_spelling() {
        let mut c = Collector::default();
        c.scan("manifest for component amd64_microsoft-windows-s..ngstack-onecoreuap_31bf3856ad364e35_10.0.19041.1_none_0123456789abcdef is missing", None);
        c.scan("Microsoft-Windows-ServicingStack-OneCoreUAP, Culture=neutral, Version=10.0.19041.1, PublicKeyToken=31bf3856ad364e35, ProcessorArchitecture=amd64", None);
        assert_eq!(c.components.len(), 1);
        assert_eq!(c.components[0].name, "Microsoft-Windows-ServicingStack-OneCoreUAP");
    }

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
