//! Windows Setup's own process crashing: `Exception (code 0xC0000005: ACCESS_VIOLATION) occurred at … in
//! C:\$WINDOWS.~BT\Sources\win32ui.dll (+…). Minidump attached …` (Panther's diagerr.xml and setupact.log).
//! Setup stops there, whatever else its logs say; a crash no run of the input accounts for is a finding.

use super::*;

/// The exception code and the module a crash line names.
pub(super) fn crash_of(event: &Event) -> Option<(u32, String)> {
    if event.source != Source::Panther {
        return None;
    }
    let rest = event.message.split_once("Exception (code ")?.1;
    let hex = rest.trim_start_matches("0x").trim_start_matches("0X");
    let digits: String = hex.chars().take_while(char::is_ascii_hexdigit).collect();
    let code = u32::from_str_radix(&digits, 16).ok()?;
    let module = rest.split_once(" occurred at ")?.1.split_once(" in ")?.1;
    let module = module.split(" (+").next().unwrap_or(module).trim();
    Some((code, module.to_string()))
}

/// A finding per crash of setup that no setup run of the input claimed.
pub(super) fn crash_findings(timeline: &Timeline, claimed: &mut HashSet<EventId>, findings: &mut Vec<Finding>) {
    for (i, event) in timeline.events.iter().enumerate() {
        if claimed.contains(&EventId(i)) {
            continue;
        }
        let Some((code, module)) = crash_of(event) else { continue };
        claimed.insert(EventId(i));
        let code_ref = CodeRef::new(code, None);
        let file = module.rsplit(['\\', '/']).next().unwrap_or(&module).to_string();
        let evidence = Evidence::of(EventId(i), event);
        let dump = event.message.contains("Minidump attached");
        let mut items = vec![format!("crashed in {module}")];
        if dump {
            items.push("a minidump is attached to the record (debug it with WinDbg: !analyze -v)".to_string());
        }
        findings.push(Finding {
            code: Some(code_ref.clone()),
            client: Some("Windows Setup".to_string()),
            items,
            local_time: event.local,
            utc_time: event.utc,
            ..Finding::new(
                Verdict::Failed,
                format!("Windows Setup crashed with {} in {file}", code_ref.label()),
                evidence.clone(),
                evidence,
                Confidence::High,
                "setup's own record of the exception that ended it".to_string(),
            )
        });
    }
}
