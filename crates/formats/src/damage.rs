//! What a record says is damaged: the component identities it names, in every spelling servicing writes them
//! (the WinSxS key `amd64_name_31bf3856ad364e35_10.0.17763.3165_none_<hash>`, the strong name
//! `Name, Culture=neutral, Version=…, PublicKeyToken=…, ProcessorArchitecture=…`, and SFC's
//! `Name, version …, arch …, pkt {l:8 b:…}` of Windows 8 and later and `Name, Version = …, pA = …` of
//! Windows 7), the member file, what is wrong, and the update package it ties to the damage. Readers attach
//! it to each record as a typed fact; repair manifests are built from those facts.

use crate::text::{kb_of, package_identity};
use aho_corasick::{AhoCorasick, MatchKind};
use regex::{Captures, Regex};
use std::sync::LazyLock;

/// One component identity a record names.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ComponentIdentity {
    /// The identity as the record writes it.
    pub identity: String,
    /// `winsxs-key`, `strong-name` or `sfc`: the spelling it was read from.
    pub form: &'static str,
    pub name: String,
    pub version: String,
    /// `amd64`, `x86`, `wow64`, `msil`, `arm64`, … (`unknown` when the spelling omits it).
    pub architecture: String,
    pub token: Option<String>,
    pub culture: Option<String>,
    pub component_type: Option<String>,
    /// The member file, where the identity itself names one (`key\file`) or the record names exactly one
    /// component and one file.
    pub file: Option<String>,
}

/// An update package a record ties to damage, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DamagedPackage {
    pub identity: String,
    pub kb: Option<String>,
    /// `CBS MUM Missing (not fixed)`, `the store was flagged corrupt because of it`, …
    pub relation: String,
}

/// What one record says is damaged.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Damage {
    pub components: Vec<ComponentIdentity>,
    /// A member file the record names when it names no single component to give it to.
    pub unattributed_file: Option<String>,
    /// What is wrong, in a few words (`CSI Payload Corrupt (fixed)`, `file hash does not match its manifest`, …).
    pub problem: String,
    /// The wording states corruption (payload corrupt, manifest missing, hash mismatch, store corrupt, …).
    pub states_damage: bool,
    pub package: Option<DamagedPackage>,
}

/// Wording of records that state corruption (lowercase).
pub(crate) const MARKERS: &[&str] = &[
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

/// Words one of which every record that can say anything about damage contains (ASCII case ignored): the
/// architecture prefixes of WinSxS keys, the attribute words of strong names and SFC identities, the file
/// phrases, package identities and the wording of damage. Records without any are passed over cheaply.
static ANCHORS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    let mut words: Vec<&str> = vec![
        "amd64_",
        "x86_",
        "wow64_",
        "msil_",
        "arm64_",
        "arm_",
        "ia64_",
        "version=",
        "pkt {l:",
        "processor_architecture",
        "member file [",
        "file member [",
        "payload file (",
        "~31bf3856ad364e35~",
    ];
    words.extend(MARKERS);
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostFirst)
        .build(words)
        .expect("static words")
});

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

/// Compiles the patterns now, so that a caller with a spare thread pays for them while the bundle is read.
pub fn warm_up() {
    for pattern in [&KEY, &STRONG, &SFC, &SFC_OLD, &CULTURE, &MEMBER_FILE, &HASH_FILE, &PAYLOAD_FILE] {
        LazyLock::force(pattern);
    }
    LazyLock::force(&ANCHORS);
}

/// What `text` says is damaged, or `None` when it says nothing about damage.
pub fn read(text: &str) -> Option<Damage> {
    if !ANCHORS.is_match(text) {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    let states_damage = MARKERS.iter().any(|m| lower.contains(m));
    let found = identities(text);
    // A file named on a line with exactly one component belongs to it.
    let line_file = MEMBER_FILE
        .captures(text)
        .or_else(|| PAYLOAD_FILE.captures(text))
        .or_else(|| HASH_FILE.captures(text))
        .map(|c| c[1].to_string());
    let single = found.len() == 1;
    let components: Vec<ComponentIdentity> = found
        .into_iter()
        .map(|mut f| {
            if f.identity.file.is_none() && single {
                f.identity.file.clone_from(&line_file);
            }
            f.identity
        })
        .collect();
    let unattributed_file = if single { None } else { line_file };
    let package = package_of(text);
    if components.is_empty() && unattributed_file.is_none() && !states_damage && package.is_none() {
        return None;
    }
    Some(Damage { components, unattributed_file, problem: problem_of(text), states_damage, package })
}

/// An identity found in a record, with where it stands (spellings overlap: an SFC identity holds a strong-name
/// lookalike).
struct Found {
    identity: ComponentIdentity,
    span: (usize, usize),
}

/// Every component identity `text` names, in the order they stand. The spellings overlap (an SFC identity holds a
/// strong-name lookalike), so they are read in this order and a later match is passed over where an identity
/// already read stands.
fn identities(text: &str) -> Vec<Found> {
    let mut found: Vec<Found> = Vec::new();
    add_unclaimed(&mut found, SFC.captures_iter(text).chain(SFC_OLD.captures_iter(text)), sfc_identity);
    add_unclaimed(&mut found, STRONG.captures_iter(text), strong_name_identity);
    add_unclaimed(&mut found, KEY.captures_iter(text), winsxs_key_identity);
    found.sort_by_key(|f| f.span.0);
    found
}

/// Adds the identity `read` makes of each match that no identity already found overlaps.
fn add_unclaimed<'t>(
    found: &mut Vec<Found>,
    matches: impl Iterator<Item = Captures<'t>>,
    read: fn(&Captures<'t>) -> Option<ComponentIdentity>,
) {
    for caps in matches {
        let whole = caps.get(0).expect("group 0 of a match is the match");
        if found.iter().any(|p| whole.start() < p.span.1 && p.span.0 < whole.end()) {
            continue;
        }
        if let Some(identity) = read(&caps) {
            found.push(Found { identity, span: (whole.start(), whole.end()) });
        }
    }
}

/// SFC's spelling, of Windows 8 and later or of Windows 7 (same groups): name, version, architecture, the
/// attributes between (where the culture is), token and type.
fn sfc_identity(caps: &Captures) -> Option<ComponentIdentity> {
    let middle = caps.get(4).map_or("", |m| m.as_str());
    let culture = CULTURE
        .captures(middle)
        .and_then(|c| c.get(1).or(c.get(2)))
        .map(|m| m.as_str().to_ascii_lowercase())
        .filter(|c| !c.is_empty());
    Some(ComponentIdentity {
        identity: caps[0].to_string(),
        form: "sfc",
        name: caps[1].to_string(),
        version: caps[2].to_string(),
        architecture: architecture(&caps[3]),
        token: Some(caps[5].to_ascii_lowercase()),
        culture,
        component_type: caps.get(6).map(|m| m.as_str().to_string()).filter(|t| !t.is_empty()),
        file: None,
    })
}

/// The strong name `Name, Culture=…, Version=…, PublicKeyToken=…, ProcessorArchitecture=…`. Any name followed by
/// `key=value` pairs looks like one, so it counts only with a four-part version and a token or an architecture.
fn strong_name_identity(caps: &Captures) -> Option<ComponentIdentity> {
    let attrs: Vec<(String, String)> = caps[2]
        .split(',')
        .filter_map(|a| a.split_once('='))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let get = |k: &str| attrs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let version = get("version").filter(|v| v.split('.').count() == 4)?;
    let (token, arch) = (get("publickeytoken"), get("processorarchitecture"));
    if token.is_none() && arch.is_none() {
        return None;
    }
    Some(ComponentIdentity {
        identity: caps[0].to_string(),
        form: "strong-name",
        name: caps[1].to_string(),
        version,
        architecture: arch.as_deref().map_or_else(|| "unknown".to_string(), architecture),
        token: token.map(|t| t.to_ascii_lowercase()),
        culture: get("culture").map(|c| c.to_ascii_lowercase()),
        component_type: get("type"),
        file: None,
    })
}

/// The WinSxS key `amd64_name_token_version_culture_hash`, maybe followed by `\member-file`. `none` stands for
/// no token, and for the neutral culture.
fn winsxs_key_identity(caps: &Captures) -> Option<ComponentIdentity> {
    let whole = &caps[0];
    let culture = caps[5].to_ascii_lowercase();
    Some(ComponentIdentity {
        identity: whole.split('\\').next().unwrap_or(whole).to_string(),
        form: "winsxs-key",
        name: caps[2].to_string(),
        version: caps[4].to_string(),
        architecture: architecture(&caps[1]),
        token: Some(caps[3].to_ascii_lowercase()).filter(|t| t != "none"),
        culture: Some(if culture == "none" { "neutral".to_string() } else { culture }),
        component_type: None,
        file: caps.get(7).map(|m| m.as_str().trim_end_matches('.').to_string()),
    })
}

/// The package a record ties to damage: named as missing or corrupt by a corruption row, as the reason the
/// store was flagged corrupt, or as referencing a damaged component.
fn package_of(text: &str) -> Option<DamagedPackage> {
    let identity = package_identity(text)?;
    let relation = if let Some((category, state)) = corruption_row(text) {
        format!("{category} ({state})")
    } else if text.contains("Mark store corruption flag because of package")
        || text.contains("manifest missing for package")
    {
        "the store was flagged corrupt because of it".to_string()
    } else if text.contains("This component was referenced by") {
        "references a damaged component".to_string()
    } else {
        return None;
    };
    Some(DamagedPackage { kb: kb_of(identity), identity: identity.to_string(), relation })
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
