//! The closed list of root-cause categories a rule may name. Reports group and colour findings by category, so
//! a misspelt one would silently start a group of its own; `rules lint` refuses a rule whose category is not
//! listed here. Adding a category is a reviewed change to this table, one line saying what it means.

/// A root-cause category: its name as rules and reports spell it, and what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Category {
    pub name: &'static str,
    pub about: &'static str,
}

const fn category(name: &'static str, about: &'static str) -> Category {
    Category { name, about }
}

/// Every category, sorted by name.
pub const CATEGORIES: &[Category] = &[
    category("access-denied", "Servicing was denied access to a file or registry key it must change."),
    category(
        "advanced-installer-failed",
        "An advanced installer (a component's install-time action) failed and the update was rolled back.",
    ),
    category("appx-deployment", "A Store / Appx (MSIX) app package could not be deployed, provisioned or updated."),
    category(
        "component-store-corruption",
        "The component store (WinSxS) is corrupt: payloads, manifests or assemblies are missing or damaged.",
    ),
    category("component-store-repaired", "Corruption in the component store was found and repaired."),
    category("defender-update", "A Microsoft Defender Antivirus definition or platform update failed."),
    category("disk-space", "A volume servicing writes to has too little free space."),
    category(
        "dism-usage",
        "DISM was pointed at a target or given a package it cannot use (no image at the path, package in the wrong form).",
    ),
    category("download", "Windows Update could not download the update's content."),
    category("driver-package", "A driver package could not be added or trusted (driver store, signature, catalog)."),
    category(
        "feature-upgrade-compat",
        "A compatibility check blocks a feature update (an app, the hardware, an unfinished earlier upgrade).",
    ),
    category(
        "feature-upgrade-failed",
        "A feature update stopped with a failure before it changed the running system (no rollback).",
    ),
    category("feature-upgrade-rollback", "A feature update was installing and rolled back."),
    category("file-locked", "A file servicing must replace is held open by another process."),
    category("installer-failed", "An installer the update ran returned a fatal error."),
    category("not-applicable", "The update does not apply to this system."),
    category("out-of-memory", "The servicing process ran out of memory (RAM, page file or kernel resources)."),
    category("pending-reboot", "A restart or a pending servicing operation must complete before this one can run."),
    category(
        "post-reboot-state",
        "After the restart the update was not in the state Windows Update expected (reverted or superseded at startup).",
    ),
    category("psfx-delta", "A differential (PSFX delta) update does not fit the binaries installed."),
    category(
        "repair-source-missing",
        "The files needed to install or repair a component could not be found or fetched.",
    ),
    category("reserved-storage", "CBS could not adjust reserved storage for the update."),
    category(
        "role-owned-file",
        "A file an installed role rewrites by design differs from its manifest: SFC reports it, nothing is damaged.",
    ),
    category("servicing-stack-outdated", "The update needs a newer servicing stack installed first."),
    category("system-file-corruption", "SFC found corrupt system files it could not repair."),
    category(
        "transient",
        "A passing failure Windows retries by itself (cancelled, pre-empted, paused, more content to fetch first).",
    ),
    category("winre-partition-too-small", "The recovery (WinRE) partition is too small for the WinRE update."),
    category("wsus-policy", "Update policy, the WSUS server or a proxy stands between the client and its updates."),
    category(
        "wu-client-state",
        "The Windows Update client's own data (data store, download cache, update metadata) is missing or inconsistent.",
    ),
    category("wu-connectivity", "The client cannot reach the update service (name resolution, connection, TLS)."),
];

/// The category of this name, if it is one.
pub fn find(name: &str) -> Option<&'static Category> {
    CATEGORIES.iter().find(|c| c.name == name)
}

#[cfg(test)]
mod tests {
    use super::CATEGORIES;

    #[test]
    fn categories_are_sorted_unique_kebab_case_and_each_said_in_one_sentence() {
        for pair in CATEGORIES.windows(2) {
            assert!(pair[0].name < pair[1].name, "{} before {}", pair[0].name, pair[1].name);
        }
        for c in CATEGORIES {
            assert!(c.name.chars().all(|ch| ch.is_ascii_lowercase() || ch == '-'), "{}", c.name);
            assert!(c.about.ends_with('.') && !c.about.contains('\n'), "{}: {}", c.name, c.about);
        }
    }
}
