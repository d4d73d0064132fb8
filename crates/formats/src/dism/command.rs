//! DISM's command lines: which command a session runs (`/Add-Package`, `/Cleanup-Image /RestoreHealth`, …), what
//! it does to the image, and what it targets.

use crate::event::Action;
use crate::text::package_identity;

/// What a DISM command does to the image, which decides how its outcome is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Install,
    Uninstall,
    Repair,
}

/// Commands whose outcome is an install, removal or repair (as written on the command line).
pub(super) const VERBS: &[(&str, Kind)] = &[
    ("Add-Package", Kind::Install),
    ("Enable-Feature", Kind::Install),
    ("Add-Capability", Kind::Install),
    ("Add-ProvisionedAppxPackage", Kind::Install),
    ("Add-Driver", Kind::Install),
    ("Remove-Package", Kind::Uninstall),
    ("Disable-Feature", Kind::Uninstall),
    ("Remove-Capability", Kind::Uninstall),
    ("Remove-ProvisionedAppxPackage", Kind::Uninstall),
    ("Remove-Driver", Kind::Uninstall),
    ("RestoreHealth", Kind::Repair),
    ("ScanHealth", Kind::Repair),
    ("CheckHealth", Kind::Repair),
];

/// Switches that say where or how DISM runs, never what it does (skipped when naming the command).
pub(super) const GLOBAL_SWITCHES: &[&str] =
    &["online", "image", "english", "norestart", "quiet", "logpath", "loglevel", "scratchdir", "windir", "sysdrivedir"];

/// Switches whose value names what is being added or removed.
pub(super) const TARGET_SWITCHES: &[&str] = &["packagepath", "packagename", "featurename", "capabilityname", "driver"];

pub(super) fn failed_action(kind: Option<Kind>) -> Action {
    match kind {
        Some(Kind::Install) => Action::InstallFailed,
        Some(Kind::Uninstall) => Action::UninstallFailed,
        Some(Kind::Repair) => Action::RepairFailed,
        None => Action::Error,
    }
}

pub(super) fn succeeded_action(kind: Kind) -> Action {
    match kind {
        Kind::Install => Action::InstallSucceeded,
        Kind::Uninstall => Action::UninstallSucceeded,
        Kind::Repair => Action::RepairSucceeded,
    }
}

/// `/Name:value` or `/Name=value` split into the name and the unquoted value.
pub(super) fn switches(command: &str) -> impl Iterator<Item = (&str, Option<&str>)> {
    command.split_whitespace().filter_map(|token| {
        let token = token.strip_prefix('/').filter(|t| t.starts_with(|c: char| c.is_ascii_alphabetic()))?;
        let (name, value) = match token.split_once([':', '=']) {
            Some((n, v)) => (n, Some(v.trim_matches('"'))),
            None => (token, None),
        };
        Some((name, value))
    })
}

/// What a command line asks for: the verb (for `phase`), its kind, and the package / feature it names.
pub(super) fn describe_command(command: &str) -> (Option<String>, Option<Kind>, Option<String>) {
    let known =
        switches(command).find_map(|(name, _)| VERBS.iter().find(|(verb, _)| verb.eq_ignore_ascii_case(name)).copied());
    let verb = known.map(|(v, _)| v.to_string()).or_else(|| {
        switches(command)
            .map(|(name, _)| name)
            .find(|name| !GLOBAL_SWITCHES.iter().any(|g| g.eq_ignore_ascii_case(name)))
            .map(str::to_string)
    });
    let target = switches(command).find_map(|(name, value)| {
        let names_target = TARGET_SWITCHES.iter().any(|t| t.eq_ignore_ascii_case(name))
            || name.eq_ignore_ascii_case("Enable-Feature")
            || name.eq_ignore_ascii_case("Disable-Feature");
        value.filter(|v| names_target && !v.is_empty()).map(str::to_string)
    });
    let target = package_identity(command).map(str::to_string).or(target);
    (verb, known.map(|(_, k)| k), target)
}

/// The kind of an API command, from the command-object class a DismApi failure line names
/// (`CAddPackageCommandObject::InternalExecute`).
pub(super) fn api_kind(message: &str) -> Option<Kind> {
    let lower = message.to_ascii_lowercase();
    VERBS.iter().find(|(verb, _)| lower.contains(&verb.to_ascii_lowercase().replace('-', ""))).map(|(_, k)| *k)
}
