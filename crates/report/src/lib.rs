//! Renders an analysis for people (terminal text, colour when the terminal wants it) and for programs (JSON).
#![forbid(unsafe_code)]

mod html;
mod machines;
mod markdown;
mod text;
mod timeline;

pub use html::render_html;
pub use markdown::render_markdown;
pub use text::{TextOptions, render_text};
pub use timeline::{render_timeline_csv, render_timeline_json, render_timeline_text};

use patchdx_diagnose::Analysis;
use patchdx_formats::CivilTime;

/// The JSON document (schema `patchdx.analysis/1`, see docs/json-schema.md).
pub fn render_json(analysis: &Analysis) -> String {
    // Serialising plain data structures cannot fail; fall back to an error object rather than panic.
    serde_json::to_string_pretty(analysis)
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialise analysis: {e}\"}}"))
}

pub(crate) fn time_pair(local: Option<CivilTime>, utc: Option<CivilTime>, offset: Option<&str>) -> String {
    match (local, utc) {
        (Some(l), Some(u)) => {
            // The offset the two times imply, when the caller has no label for it.
            let implied = || patchdx_formats::time::format_offset((l.millis() - u.millis()) / 1000);
            format!("{l} local ({}) = {u} UTC", offset.map_or_else(implied, str::to_string))
        }
        (Some(l), None) => {
            format!("{l} local (UTC offset unknown: no CSI UTC stamps in this file)")
        }
        (None, Some(u)) => format!("{u} UTC"),
        (None, None) => "time unknown".to_string(),
    }
}

/// A duration as a person reads it in a report: `1d 0h`, `3h 12m`, `47m`.
pub(crate) fn human_duration(seconds: i64) -> String {
    let (d, h, m) = (seconds / 86_400, (seconds % 86_400) / 3600, (seconds % 3600) / 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else {
        format!("{m}m")
    }
}
