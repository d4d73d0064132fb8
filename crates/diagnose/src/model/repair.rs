//! Repair manifests: the damaged component identities a finding's evidence names, their files, the updates
//! that carry them, and the repair source and commands that match them.

use serde::Serialize;

/// A text in both languages.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Bilingual {
    pub en: String,
    pub zh_cn: String,
}

pub(crate) fn both(en: impl Into<String>, zh_cn: impl Into<String>) -> Bilingual {
    Bilingual { en: en.into(), zh_cn: zh_cn.into() }
}

/// One component identity named by the evidence.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ComponentRef {
    /// The identity as the log first writes it.
    pub identity: String,
    /// `winsxs-key`, `strong-name` or `sfc` (the spelling the identity was parsed from).
    pub form: &'static str,
    /// Component name. WinSxS keys lowercase it and shorten long names with `..`; a strong-name or SFC
    /// spelling of the same component, when the evidence has one, replaces it.
    pub name: String,
    pub version: String,
    /// `amd64`, `x86`, `wow64`, `msil`, `arm64`, …
    pub architecture: String,
    pub public_key_token: Option<String>,
    /// `neutral` or a language (`en-us`), where the spelling carries it.
    pub culture: Option<String>,
    /// The component type where the log gives it (`driverUpdate`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component_type: Option<String>,
    /// Member files named as damaged, in the order the logs name them.
    pub files: Vec<String>,
    /// What the logs say is wrong with it.
    pub problems: Vec<String>,
    /// The records that name it.
    pub evidence: Vec<Place>,
}

/// Where a record is: file and line (or event record).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Place {
    pub file: String,
    pub line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
}

/// An update package the evidence ties to the damage.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PackageRef {
    pub identity: String,
    pub kb: Option<String>,
    /// How it is tied: `carries 10.0.17763.3165`, `being installed`, `CBS MUM Missing (not fixed)`, …
    pub relation: String,
}

/// The repair source that matches the damaged components of one Windows build.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SourceMatch {
    /// Windows build (the components' third version part): 17763.
    pub build: u32,
    /// Highest revision (fourth part) among the damaged components of that build: 3165.
    pub revision: u32,
    /// That component version: `10.0.17763.3165`.
    pub version: String,
    /// The Windows releases of that build, where patchdx knows them.
    pub release: Option<&'static str>,
    /// Languages the source must also carry (components that are not language-neutral).
    pub languages: Vec<String>,
    /// KBs the logs show carrying that version.
    pub carried_by: Vec<String>,
    pub text: Bilingual,
}

/// A command of the recipe with what it does.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RepairCommand {
    pub command: String,
    pub purpose: Bilingual,
}

/// What is damaged and how to repair it, for a finding caused by store or file corruption.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RepairManifest {
    /// True when the finding is a repair run that already fixed the damage (the recipe is for a recurrence).
    pub repaired: bool,
    pub components: Vec<ComponentRef>,
    /// Damaged files the evidence names without their component.
    pub unattributed_files: Vec<String>,
    pub packages: Vec<PackageRef>,
    pub kbs: Vec<String>,
    /// Matching repair sources, one per Windows build the components belong to.
    pub sources: Vec<SourceMatch>,
    pub commands: Vec<RepairCommand>,
    pub steps: Vec<Bilingual>,
}
