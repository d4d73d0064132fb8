//! SetupDiag's verdict on a run: told apart from setup's own records and compared with the result the setup
//! logs state.

use super::*;

/// SetupDiag's verdict (its matched profile, with the code it reports): it runs after the failure, often days
/// later, so it is matched to a run by its code, not by time.
pub(super) fn is_setupdiag_verdict(event: &Event) -> bool {
    event.source == Source::SetupDiag && event.action == Action::Error
}

/// What SetupDiag concluded about the run, against what patchdx read from the logs.
pub(super) fn compare_with_setupdiag(verdict: &Event, code: Option<u32>, extended: Option<&str>) -> String {
    let profile =
        verdict.message.strip_prefix("SetupDiag: ").and_then(|m| m.split(':').next()).unwrap_or("a failure profile");
    let theirs = match (verdict.code, verdict.phase.as_deref()) {
        (Some(c), Some(e)) => format!("0x{c:08X}-{e}"),
        (Some(c), None) => format!("0x{c:08X}"),
        _ => "no code".to_string(),
    };
    let ours = match (code, extended) {
        (Some(c), Some(e)) => format!("0x{c:08X}-{e}"),
        (Some(c), None) => format!("0x{c:08X}"),
        _ => "no code".to_string(),
    };
    let agree_code = verdict.code.is_some() && verdict.code == code;
    let agree_phase = verdict.phase.as_deref().map(str::to_ascii_uppercase) == extended.map(str::to_ascii_uppercase);
    let place = format!("{}:{}", verdict.file, verdict.line.unwrap_or(0));
    match (agree_code, agree_phase) {
        (true, true) => format!("SetupDiag agrees ({place}): profile {profile}, {theirs}"),
        (true, false) => format!(
            "SetupDiag ({place}) agrees on the code but not on the phase: profile {profile}, {theirs}; the logs' own result is {ours}"
        ),
        _ => format!(
            "SetupDiag ({place}) differs: profile {profile}, {theirs}; the logs' own result is {ours} (SetupDiag reports the failure it matched first; the setup log's result line is what setup itself recorded)"
        ),
    }
}
