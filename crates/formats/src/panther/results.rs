//! Setup's results in files of their own: Panther's `diagerr.xml`/`diagwrn.xml` rowsets of error records, and
//! SetupDiag's results (XML, text `SetupDiagResults.log`, JSON).

use super::*;

/// Panther's `diagerr.xml` / `diagwrn.xml`: an ADO-persisted rowset, one `<z:row>` per setup error record
/// (`Msg`, `Err` in decimal, `DT`, `Exe`, `Mod`, …). An empty `<rs:data>` means setup recorded none.
pub(super) fn rowset(path: &str, text: &str) -> SourceFile {
    use crate::text::xml::{Item, attr, walk_str};
    let mut file = SourceFile::new(path, Source::Panther);
    let warning_only = path.to_ascii_lowercase().contains("diagwrn");
    let mut rowset = false;
    let warning = walk_str(path, text, |item, line| {
        let Item::Start(name, attrs) = item else { return };
        if name == "Schema" || name == "data" {
            rowset = true;
        }
        if name != "row" {
            return;
        }
        file.records += 1;
        let message = attr(&attrs, "Msg").unwrap_or_default();
        let level = if warning_only { Level::Warning } else { Level::Error };
        let mut event = Event::new(Source::Panther, path, Action::Error, level, crate::text::clip(&message, 400));
        event.line = Some(line);
        event.record = Some(file.records);
        event.code = attr(&attrs, "Err").and_then(|e| patchdx_codes::parse_code(&e)).filter(|&c| c != 0);
        event.local = attr(&attrs, "DT").and_then(|t| CivilTime::parse_dashed(t.replacen('T', " ", 1).as_bytes()));
        event.client = attr(&attrs, "Exe").or_else(|| attr(&attrs, "Mod"));
        event.kb = kb_of(&message);
        file.events.push(event);
    });
    file.warnings.extend(warning);
    file.compute_range();
    file.note = Some(match (rowset, file.records) {
        (false, _) => "XML that is neither a Panther diag rowset nor SetupDiag results".to_string(),
        (true, 0) => "Panther diag rowset with no rows: setup recorded no records here".to_string(),
        (true, n) => format!("Panther diag rowset with {n} rows"),
    });
    file
}

/// SetupDiag's `SetupDiagResults.xml`: the matched profile and its failure text, with the failure code in
/// SetupDiag's `0x8007000D-0x2000C` form (the extended part goes to `phase`).
pub(super) fn setupdiag(path: &str, text: &str) -> SourceFile {
    use crate::text::xml::{Item, walk_str};
    let mut file = SourceFile::new(path, Source::SetupDiag);
    let mut current = String::new();
    let mut fields: Vec<(String, String, u64)> = Vec::new();
    let warning = walk_str(path, text, |item, line| match item {
        Item::Start(name, _) => current = name,
        Item::Text(t) => fields.push((current.clone(), t.trim().to_string(), line)),
        Item::End(_) => current.clear(),
    });
    file.warnings.extend(warning);
    let field = |name: &str| fields.iter().find(|(n, _, _)| n == name);
    let profile = field("ProfileName").map(|(_, v, _)| v.clone());
    let failures: Vec<&(String, String, u64)> =
        fields.iter().filter(|(n, _, _)| n.starts_with("Failure") || n == "Error").collect();
    file.records = failures.len() as u64;
    if profile.is_none() && failures.is_empty() {
        file.note = Some("SetupDiag results without a matched failure profile".to_string());
        return file;
    }
    let (code, extended) =
        failures.iter().map(|(_, v, _)| setup_code(v)).find(|(c, _)| c.is_some()).unwrap_or_default();
    let detail: Vec<&str> = failures.iter().map(|(_, v, _)| v.as_str()).take(4).collect();
    let message = format!("SetupDiag: {}: {}", profile.as_deref().unwrap_or("failure"), detail.join(" | "));
    let mut event = Event::new(Source::SetupDiag, path, Action::Error, Level::Error, crate::text::clip(&message, 600));
    event.line = field("ProfileName").or(failures.first().copied()).map(|(_, _, l)| *l);
    event.code = code;
    event.phase = extended;
    event.local = field("DateTime").and_then(|(_, v, _)| CivilTime::parse_dashed(v.replacen('T', " ", 1).as_bytes()));
    event.kb = detail.iter().find_map(|d| kb_of(d));
    file.events.push(event);
    file.compute_range();
    file.note = profile.map(|p| format!("SetupDiag matched profile {p}"));
    file
}

/// SetupDiag's text results (`SetupDiagResults.log`: `Matching Profile found: <rule> - <guid>`, a System
/// Information block, then `Error: SetupDiag reports …` lines) and its JSON results (`"ProfileName":"…"`,
/// `"FailureDetails":"Err = 0x…-0x…, …"`): the matched profile and the failure, as one event like the XML's.
pub fn parse_setupdiag_text(path: &str, text: &str) -> SourceFile {
    let mut file = SourceFile::new(path, Source::SetupDiag);
    // A JSON string value, up to its closing quote (the document may be on one line or pretty-printed).
    let json_value = |line: &str, key: &str| -> Option<String> {
        let rest = line.split_once(&format!("\"{key}\":"))?.1.trim_start().strip_prefix('"')?;
        let mut value = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => match chars.next() {
                    Some('n') => value.push(' '),
                    Some('u') => {
                        let hex: String = chars.by_ref().take(4).collect();
                        let decoded = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32);
                        value.push(decoded.filter(|c| !c.is_control()).unwrap_or(' '));
                    }
                    Some(other) => value.push(other),
                    None => break,
                },
                c => value.push(c),
            }
        }
        Some(value.trim().to_string())
    };
    let mut profile: Option<(String, u64)> = None;
    let mut errors: Vec<(String, u64)> = Vec::new();
    let mut target: Option<String> = None;
    for (index, raw) in text.lines().enumerate() {
        let number = index as u64 + 1;
        let line = raw.trim().trim_start_matches('\u{feff}');
        // Text lines first; a JSON document may hold every key on one line.
        if let Some(rest) = line.strip_prefix("Matching Profile found:") {
            let name = rest.split(" - ").next().unwrap_or(rest).trim();
            profile = profile.or(Some((name.to_string(), number)));
        } else if line.starts_with("Error:") && line.contains("SetupDiag reports") || line.starts_with("Error: 0x") {
            errors.push((line.to_string(), number));
        } else if let Some(rest) = line.strip_prefix("TargetOSBuildString = ") {
            target = Some(rest.to_string());
        }
        if let Some(name) = json_value(line, "ProfileName") {
            profile = profile.or(Some((name, number)));
        }
        if let Some(details) = json_value(line, "FailureDetails") {
            errors.push((details, number));
        }
        if let Some(rest) = json_value(line, "TargetOSBuildString") {
            target = Some(rest);
        }
        file.records = number;
    }
    let Some((profile, line)) = profile else {
        file.note = Some("SetupDiag results without a matched failure profile".to_string());
        return file;
    };
    // The line that states an extended code is SetupDiag's summary of the failure; else the first code.
    let coded: Vec<(Option<u32>, Option<String>)> = errors.iter().map(|(e, _)| setup_code(e)).collect();
    let (code, extended) = coded
        .iter()
        .find(|(c, x)| c.is_some() && x.is_some())
        .or_else(|| coded.iter().find(|(c, _)| c.is_some()))
        .cloned()
        .unwrap_or_default();
    let detail: Vec<&str> = errors.iter().map(|(e, _)| e.as_str()).take(4).collect();
    let message = format!("SetupDiag: {profile}: {}", detail.join(" | "));
    let mut event = Event::new(Source::SetupDiag, path, Action::Error, Level::Error, crate::text::clip(&message, 600));
    event.line = Some(line);
    event.code = code;
    event.phase = extended;
    event.kb = detail.iter().find_map(|d| kb_of(d));
    file.events.push(event);
    file.note = Some(match target {
        Some(t) => format!("SetupDiag matched profile {profile} (target build {t})"),
        None => format!("SetupDiag matched profile {profile}"),
    });
    file
}
