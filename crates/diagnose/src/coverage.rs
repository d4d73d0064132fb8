//! Which sources cover the time of each failure and which do not — so the report can say "the CBS history
//! starts after this failure; evidence comes only from ReportingEvents and WindowsUpdate.log".

use crate::model::Finding;
use crate::timeline::Timeline;
use patchdx_formats::CivilTime;
use serde::Serialize;
use std::collections::BTreeMap;

/// One file's time range on the timeline, and whether it covers a failure.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SourceSpan {
    pub source: String,
    pub file: String,
    pub first_utc: Option<CivilTime>,
    pub last_utc: Option<CivilTime>,
}

pub(crate) fn attach(findings: &mut [Finding], timeline: &Timeline) {
    // Span of every file, in the timeline's ordering instant (UTC where known).
    let mut spans: BTreeMap<&str, (String, CivilTime, CivilTime)> = BTreeMap::new();
    for event in &timeline.events {
        let Some(t) = event.instant() else { continue };
        let entry = spans.entry(event.file.as_str()).or_insert((event.source.label().to_string(), t, t));
        entry.1 = entry.1.min(t);
        entry.2 = entry.2.max(t);
    }
    for finding in findings {
        let Some(at) = finding.utc_time.or(finding.local_time) else { continue };
        for (file, (source, first, last)) in &spans {
            let span = SourceSpan {
                source: source.clone(),
                file: (*file).to_string(),
                first_utc: Some(*first),
                last_utc: Some(*last),
            };
            // A minute of slack: the same failure is stamped a few milliseconds apart by different writers.
            let slack = 60_000;
            if first.millis() - slack <= at.millis() && at.millis() <= last.millis() + slack {
                finding.covered_by.push(span);
            } else {
                finding.not_covered_by.push(span);
            }
        }
    }
}
