//! The repair source that matches the damaged components: media or an update of the right build, revision,
//! edition and language.

use super::windows_builds::{os_version, package_build, release_of, release_zh};
use super::{Bilingual, ComponentRef, PackageRef, SourceMatch};

/// The repair sources that carry the damaged versions: one per Windows build among them.
pub(super) fn sources(components: &[ComponentRef], packages: &[PackageRef]) -> Vec<SourceMatch> {
    newest_version_per_build(components)
        .into_iter()
        .map(|(build, revision, version)| {
            let languages = languages_of_build(components, build);
            let carried_by = carriers(packages, build, revision);
            let release = release_of(build);
            let text = source_text(build, revision, &version, release, &languages, &carried_by);
            SourceMatch { build, revision, version, release, languages, carried_by, text }
        })
        .collect()
}

/// Each Windows build the damaged components belong to (in build order) with the newest version of it they
/// name: the repair source must be of that revision or later.
fn newest_version_per_build(components: &[ComponentRef]) -> Vec<(u32, u32, String)> {
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
}

/// The languages of the damaged components of `build` that are not language-neutral: the source must carry
/// them too.
fn languages_of_build(components: &[ComponentRef], build: u32) -> Vec<String> {
    let mut languages: Vec<String> = components
        .iter()
        .filter(|c| os_version(&c.version).is_some_and(|(b, _)| b == build))
        .filter_map(|c| c.culture.clone())
        .filter(|c| c != "neutral" && c != "none")
        .collect();
    languages.sort();
    languages.dedup();
    languages
}

/// The KBs of the packages the logs show at exactly this build and revision.
fn carriers(packages: &[PackageRef], build: u32, revision: u32) -> Vec<String> {
    let mut carried_by: Vec<String> = packages
        .iter()
        .filter(|p| package_build(&p.identity) == Some((build, revision)))
        .filter_map(|p| p.kb.clone())
        .collect();
    carried_by.dedup();
    carried_by
}

/// Where to get the damaged version from, and what else the source must match (edition, language, and on
/// Windows 7 the tool that replaces DISM /RestoreHealth).
fn source_text(
    build: u32,
    revision: u32,
    version: &str,
    release: Option<&'static str>,
    languages: &[String],
    carried_by: &[String],
) -> Bilingual {
    let (mut en, mut zh) = media_or_update(build, revision, version, carried_by);
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
    Bilingual { en, zh_cn: zh }
}

/// Media of the build, for a release's original version (no update carries it); else media or the cumulative
/// update that carries the version, named where the logs name it.
fn media_or_update(build: u32, revision: u32, version: &str, carried_by: &[String]) -> (String, String) {
    let (carrier_en, carrier_zh) = match carried_by {
        [] => (
            format!(" (the logs do not name it; it is the update of OS build {build}.{revision})"),
            format!("（日志未指明；即操作系统内部版本 {build}.{revision} 对应的更新）"),
        ),
        kbs => (format!(" ({}, per these logs)", kbs.join(", ")), format!("（据日志为 {}）", kbs.join("、"))),
    };
    if revision <= 1 {
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
    }
}
