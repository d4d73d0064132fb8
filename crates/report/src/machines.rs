//! What every report says about an input of several machines: each machine's name, the facts that identify
//! it (with where they are stated) and why it is not one of the others.

use patchdx_diagnose::{Analysis, Evidence, Machine};

/// `M2 (SRV02)` for a finding, observation or attempt of machine `M2`; `None` for a one-machine input.
pub(crate) fn name(analysis: &Analysis, id: Option<&str>) -> Option<String> {
    let id = id?;
    let machine = analysis.machines.iter().find(|m| m.id == id)?;
    Some(format!("{} ({})", machine.id, machine.label))
}

/// The facts that identify a machine, each with where it is stated: `host SRV01 (System.evtx#1), build
/// 17763 (CBS.log:12), UTC+08:00`.
pub(crate) fn identity(machine: &Machine) -> String {
    let quoted = |what: &str, list: &[Evidence]| -> Vec<String> {
        list.iter().map(|e| format!("{what} {} ({})", e.text, e.place())).collect()
    };
    let mut parts = quoted("host", &machine.hosts);
    parts.extend(quoted("build", &machine.builds));
    parts.extend(machine.utc_offsets.iter().map(|o| format!("UTC{o}")));
    if parts.is_empty() { "states no host, build or offset".to_string() } else { parts.join(", ") }
}

/// Why a machine is not each earlier one, without the reasons its label already shows: two machines that state
/// different host names need no sentence to be told apart, two that state none (or the same one) do.
pub(crate) fn reasons_to_show(machine: &Machine) -> impl Iterator<Item = &str> {
    machine
        .apart_from
        .iter()
        .map(String::as_str)
        .filter(|why| why.split_once(": ").is_none_or(|(_, reason)| !reason.starts_with("host ")))
}
