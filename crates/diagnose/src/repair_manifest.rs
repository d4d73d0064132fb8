//! Repair manifests for store and file corruption: the exact component identities a finding's evidence names
//! (the damage facts the readers attached to each record, see `patchdx_formats::damage`), their files, the
//! updates that carry them, and the repair source and commands that match them, in English and Simplified
//! Chinese.
//!
//! Only the finding's own evidence is read (first cause, cascade, outcome): the manifest never names a
//! component the quoted records do not name.

use crate::model::both;
pub use crate::model::{Bilingual, ComponentRef, PackageRef, Place, RepairCommand, RepairManifest, SourceMatch};
use crate::model::{EventId, Finding, Verdict};
use patchdx_formats::damage::{ComponentIdentity, Damage};
use patchdx_formats::event::Event;
use patchdx_formats::text::kb_of;
use source_match::sources;
use windows_builds::{os_version, package_build};

mod source_match;
mod windows_builds;

/// Attaches a repair manifest to every finding whose cause is store or file corruption and whose evidence names
/// what is damaged.
pub fn attach(findings: &mut [Finding], timeline: &[Event]) {
    for finding in findings {
        finding.repair = manifest_for(finding, timeline);
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

/// Builds the manifest of one finding, or `None` when its cause is not corruption or nothing damaged is named.
/// Reads the damage facts of the finding's quoted records on the timeline.
pub fn manifest_for(finding: &Finding, timeline: &[Event]) -> Option<RepairManifest> {
    let stated = stated_damage(finding, timeline);
    let code = finding.code.as_ref().map(|c| c.value);
    let marked = stated.iter().any(|(_, d)| d.states_damage);
    let strong_code = code.is_some_and(|c| CORRUPTION_CODES.contains(&c));
    let weak_code = code.is_some_and(|c| CORRUPTION_CODES_WITH_COMPONENTS.contains(&c));
    if !(marked || strong_code || weak_code) {
        return None;
    }
    let (mut components, unattributed_files, mut packages) = merge_records(&stated);
    if components.is_empty() && unattributed_files.is_empty() && packages.is_empty() {
        return None;
    }
    if !marked && !strong_code && components.is_empty() && unattributed_files.is_empty() {
        return None;
    }
    for c in &mut components {
        c.files.dedup();
    }
    add_own_package(finding, &mut packages);
    name_carried_versions(&mut packages, &components);
    let kbs = kbs_of(&packages, finding);
    let sources = sources(&components, &packages);
    let commands = commands(&components, &kbs, &sources);
    let repaired = finding.verdict == Verdict::Repaired;
    let steps = steps(&sources, repaired, finding);
    Some(RepairManifest { repaired, components, unattributed_files, packages, kbs, sources, commands, steps })
}

/// The damage facts of the records the finding quotes (first cause, cascade, outcome), each record once, with
/// where it stands.
fn stated_damage<'t>(finding: &Finding, timeline: &'t [Event]) -> Vec<(Place, &'t Damage)> {
    let mut seen: Vec<EventId> = Vec::new();
    let mut stated: Vec<(Place, &Damage)> = Vec::new();
    for record in std::iter::once(&finding.first_cause).chain(&finding.cascade).chain(std::iter::once(&finding.outcome))
    {
        let Some(id) = record.event else { continue };
        if seen.contains(&id) {
            continue;
        }
        seen.push(id);
        if let Some(damage) = timeline.get(id.0).and_then(|e| e.facts.damage.as_deref()) {
            stated.push((Place { file: record.file.clone(), line: record.line, record: record.record }, damage));
        }
    }
    stated
}

/// The components, unattributed files and packages the records state, merged. A file one record names without
/// its component stays unattributed only if no record gives it to one.
fn merge_records(stated: &[(Place, &Damage)]) -> (Vec<ComponentRef>, Vec<String>, Vec<PackageRef>) {
    let mut collector = Collector::default();
    for (place, damage) in stated {
        collector.add_record(damage, place);
    }
    let Collector { components, pending_files, packages } = collector;
    let unattributed_files: Vec<String> =
        pending_files.into_iter().filter(|f| !components.iter().any(|c| c.files.contains(f))).collect();
    (components, unattributed_files, packages)
}

/// Puts the finding's own update first: it carries the damaged version, or it was being installed when damage was
/// found.
fn add_own_package(finding: &Finding, packages: &mut Vec<PackageRef>) {
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
}

/// A package of the same build and revision as a damaged component carries that component's version.
fn name_carried_versions(packages: &mut [PackageRef], components: &[ComponentRef]) {
    for p in packages {
        if let Some((build, revision)) = package_build(&p.identity)
            && let Some(c) = components.iter().find(|c| os_version(&c.version) == Some((build, revision)))
        {
            p.relation = format!("carries {}", c.version);
        }
    }
}

/// The KBs of the packages, then the finding's own, each once.
fn kbs_of(packages: &[PackageRef], finding: &Finding) -> Vec<String> {
    let mut kbs: Vec<String> = Vec::new();
    for kb in packages.iter().filter_map(|p| p.kb.clone()).chain(finding.kb.clone()) {
        if !kbs.contains(&kb) {
            kbs.push(kb);
        }
    }
    kbs
}

#[derive(Default)]
struct Collector {
    components: Vec<ComponentRef>,
    /// Files named by hash-mismatch lines that do not name their component.
    pending_files: Vec<String>,
    packages: Vec<PackageRef>,
}

impl Collector {
    /// Merges what one record states: its components (with the record as their evidence), a member file it
    /// could not give to one component, and the package it ties to the damage.
    fn add_record(&mut self, damage: &Damage, place: &Place) {
        for component in &damage.components {
            self.add(component, &damage.problem, place);
        }
        if let Some(file) = &damage.unattributed_file
            && !self.pending_files.contains(file)
        {
            self.pending_files.push(file.clone());
        }
        if let Some(package) = &damage.package
            && !self.packages.iter().any(|p| p.identity == package.identity)
        {
            self.packages.push(PackageRef {
                identity: package.identity.clone(),
                kb: package.kb.clone(),
                relation: package.relation.clone(),
            });
        }
    }

    fn add(&mut self, p: &ComponentIdentity, problem: &str, place: &Place) {
        let slot = self.components.iter().position(|c| same_component(c, p));
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
                let last = self.components.len() - 1;
                &mut self.components[last]
            }
        };
        // A full spelling of the name beats the lowercased, shortened one of a WinSxS key.
        if c.form == "winsxs-key" && p.form != "winsxs-key" {
            c.name.clone_from(&p.name);
        }
        if c.public_key_token.is_none() {
            c.public_key_token.clone_from(&p.token);
        }
        if c.culture.is_none() {
            c.culture.clone_from(&p.culture);
        }
        if c.component_type.is_none() {
            c.component_type.clone_from(&p.component_type);
        }
        if let Some(file) = &p.file
            && !c.files.contains(file)
        {
            c.files.push(file.clone());
        }
        if !problem.is_empty() && !c.problems.iter().any(|x| x == problem) {
            c.problems.push(problem.to_string());
        }
        if !c.evidence.contains(place) {
            c.evidence.push(place.clone());
        }
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

fn same_component(c: &ComponentRef, p: &ComponentIdentity) -> bool {
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

fn commands(components: &[ComponentRef], kbs: &[String], sources: &[SourceMatch]) -> Vec<RepairCommand> {
    let kb = kbs.first().map_or("KBnnnnnnn".to_string(), Clone::clone);
    let mut out = media_commands();
    out.extend(update_commands(&kb, architecture_of(components)));
    out.push(RepairCommand {
        command: "sfc /scannow".to_string(),
        purpose: both(
            "After DISM: restore damaged system files from the repaired store.",
            "DISM 之后运行：用已修复的组件存储还原受损的系统文件。",
        ),
    });
    if components.iter().any(|c| c.component_type.as_deref() == Some("driverUpdate")) {
        out.push(RepairCommand {
            command: "pnputil /enum-drivers".to_string(),
            purpose: both(
                "Some damaged components are driver packages (type driverUpdate): check the driver store as well.",
                "部分受损组件是驱动程序包（type driverUpdate）：同时检查驱动程序存储。",
            ),
        });
    }
    // Original-release versions (revision 0 or 1) are in every media of the build; no update carries them.
    if kbs.is_empty() && !sources.is_empty() && sources.iter().all(|s| s.revision <= 1) {
        out.retain(|c| !c.command.contains(r"C:\CU\"));
    }
    out
}

/// The architecture of the update package to expand: arm64 if any damaged component is, x86 if all are, else
/// x64.
fn architecture_of(components: &[ComponentRef]) -> &'static str {
    if components.iter().any(|c| c.architecture == "arm64") {
        "arm64"
    } else if components.iter().all(|c| c.architecture == "x86") && !components.is_empty() {
        "x86"
    } else {
        "x64"
    }
}

/// Repair from install media: find the installed edition's index, then restore from install.wim or .esd.
fn media_commands() -> Vec<RepairCommand> {
    vec![
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
    ]
}

/// Repair from the cumulative update `kb`: unpack the .msu, expand the update's own .cab, restore from it.
fn update_commands(kb: &str, arch: &str) -> Vec<RepairCommand> {
    vec![
        RepairCommand {
            command: format!(r"mkdir C:\CU\{kb}\expanded"),
            purpose: both("Make a folder for the unpacked update.", "为解开的更新创建文件夹。"),
        },
        RepairCommand {
            command: format!(r"expand -F:* <folder>\<{kb} .msu file> C:\CU\{kb}"),
            purpose: both(
                format!(
                    "Unpack the cumulative update {kb} (Microsoft Update Catalog) that contains the damaged versions."
                ),
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
            purpose: both("Repair from the expanded update folder.", "以展开后的更新文件夹为源进行修复。"),
        },
    ]
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

    /// What one record states, merged as the manifest merges it.
    fn scan(c: &mut Collector, text: &str) {
        if let Some(damage) = patchdx_formats::damage::read(text) {
            c.add_record(&damage, &Place { file: "CBS.log".to_string(), line: 1, record: None });
        }
    }

    fn parse(text: &str) -> Vec<ComponentRef> {
        let mut c = Collector::default();
        scan(&mut c, text);
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
        scan(&mut c, "CSI 00000020 Hashes for file member [l:27]'MSFT_MpComputerStatus.cdxml' do not match.");
        scan(
            &mut c,
            "CSI 00000021 Warning: Unable to repair payload file ([l:27]'MSFT_MpComputerStatus.cdxml') for component ([l:96 ml:140]'amd64_windows-defender-management-powershell_31bf3856ad364e35_10.0.18362.1_none_b620cb061e8a941c') from backups directory with disposition (2).",
        );
        assert_eq!(c.components.len(), 1);
        assert_eq!(c.components[0].files, vec!["MSFT_MpComputerStatus.cdxml".to_string()]);
        assert_eq!(c.pending_files, vec!["MSFT_MpComputerStatus.cdxml".to_string()]);
    }

    #[test]
    fn shortened_key_names_merge_with_their_full_spelling() {
        let mut c = Collector::default();
        scan(
            &mut c,
            "manifest for component amd64_microsoft-windows-s..ngstack-onecoreuap_31bf3856ad364e35_10.0.19041.1_none_0123456789abcdef is missing",
        );
        scan(
            &mut c,
            "Microsoft-Windows-ServicingStack-OneCoreUAP, Culture=neutral, Version=10.0.19041.1, PublicKeyToken=31bf3856ad364e35, ProcessorArchitecture=amd64",
        );
        assert_eq!(c.components.len(), 1);
        assert_eq!(c.components[0].name, "Microsoft-Windows-ServicingStack-OneCoreUAP");
    }
}
