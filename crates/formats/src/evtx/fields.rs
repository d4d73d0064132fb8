//! The few parts of a rendered event record that the mapping needs: provider, event id, level, channel and
//! the payload values, taken from the JSON the `evtx` crate renders (`Event.System…`, `Event.EventData…`,
//! `Event.UserData.<Template>…`).

use serde_json::Value;

/// One record's header fields and payload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Fields {
    pub provider: String,
    pub event_id: u32,
    /// `System/Level`: 0 LogAlways, 1 Critical, 2 Error, 3 Warning, 4 Information, 5 Verbose.
    pub level: u8,
    pub channel: String,
    /// Payload values that have a name (`<Data Name="updateTitle">`, `UserData` template fields).
    pub named: Vec<(String, String)>,
    /// Payload values without a name (`<Data>…</Data>`), in order: classic sources such as WER and
    /// EventLog write their parameters this way, so the position is the meaning.
    pub unnamed: Vec<String>,
}

impl Fields {
    /// A named value, compared case-insensitively (field names vary in case between Windows versions).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.named.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// A named value that is not empty.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// The `index`th unnamed value, if present and not empty.
    pub fn nth(&self, index: usize) -> Option<&str> {
        self.unnamed.get(index).map(|v| v.trim()).filter(|v| !v.is_empty())
    }
}

/// Picks the fields out of one record rendered as JSON. Missing parts stay empty: a record is never
/// rejected here, the mapping decides what it can use.
pub(crate) fn from_json(record: &Value) -> Fields {
    let mut fields = Fields::default();
    let Some(event) = record.get("Event") else {
        return fields;
    };
    if let Some(system) = event.get("System") {
        fields.provider = system
            .get("Provider")
            .and_then(|p| p.get("#attributes"))
            .and_then(|a| a.get("Name"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        // `EventID` carries a `Qualifiers` attribute for classic sources, which turns it into an object.
        fields.event_id = system.get("EventID").and_then(number).and_then(|n| u32::try_from(n).ok()).unwrap_or(0);
        fields.level = system.get("Level").and_then(number).and_then(|n| u8::try_from(n).ok()).unwrap_or(0);
        fields.channel = system.get("Channel").and_then(Value::as_str).unwrap_or_default().to_string();
    }
    for part in ["EventData", "UserData"] {
        if let Some(payload) = event.get(part) {
            collect(payload, &mut fields);
        }
    }
    fields
}

fn number(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Object(map) => map.get("#text").and_then(number),
        _ => None,
    }
}

fn collect(value: &Value, fields: &mut Fields) {
    let Value::Object(map) = value else {
        return;
    };
    for (key, item) in map {
        match key.as_str() {
            // Namespaces and raw binary blobs say nothing the mapping reads.
            "#attributes" | "Binary" => {}
            "Data" | "#text" => push_unnamed(item, fields),
            _ => match item {
                // A `UserData` template (`CbsPackageChangeState { … }`) nests its fields one level down;
                // an element with attributes renders as `{ "#attributes": …, "#text": … }` and is a value.
                Value::Object(inner) if !inner.contains_key("#text") => collect(item, fields),
                _ => fields.named.push((key.clone(), scalar(item))),
            },
        }
    }
}

fn push_unnamed(value: &Value, fields: &mut Fields) {
    match value {
        Value::Array(items) => items.iter().for_each(|item| fields.unnamed.push(scalar(item))),
        Value::Object(map) => match map.get("#text") {
            Some(text) => push_unnamed(text, fields),
            None => collect(value, fields),
        },
        other => fields.unnamed.push(scalar(other)),
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(scalar).collect::<Vec<_>>().join(", "),
        Value::Object(map) => map.get("#text").map(scalar).unwrap_or_default(),
        other => other.to_string(),
    }
}
