//! The operation a failure belongs to — the KBs, update ids, packages, installer and titles its records name —
//! and the successes that would make it good: what tells a repeat of a failure, and its resolution, from
//! another operation.

use crate::model::{EventId, Evidence, Finding, Resolution};
use crate::resolution::{later, supersedes};
use crate::timeline::Timeline;
use patchdx_formats::CivilTime;
use patchdx_formats::event::{Action, Event};

/// What identifies the operation a failure belongs to, from the records it quotes.
#[derive(Default)]
pub(crate) struct Operation {
    kbs: Vec<String>,
    update_ids: Vec<String>,
    titles: Vec<String>,
    packages: Vec<String>,
    /// The advanced installer the failure happened in.
    installers: Vec<String>,
    /// The actions that would undo the failure: an install failure is made good by an install success.
    successes: Vec<Action>,
}

impl Operation {
    pub(crate) fn of(finding: &Finding, timeline: &Timeline) -> Operation {
        let mut op = Operation::default();
        let records = std::iter::once(&finding.first_cause)
            .chain(&finding.cascade)
            .chain(std::iter::once(&finding.outcome))
            .chain(&finding.corroboration);
        for event in records.filter_map(|e| e.event).filter_map(|id| timeline.events.get(id.0)) {
            push_new(&mut op.kbs, event.kb.as_deref());
            push_new(&mut op.update_ids, event.update_id.as_deref());
            push_new(&mut op.titles, event.title.as_deref());
            push_new(&mut op.packages, event.package.as_deref());
            for success in successes_for(event.action) {
                if !op.successes.contains(success) {
                    op.successes.push(*success);
                }
            }
        }
        push_new(&mut op.kbs, finding.kb.as_deref());
        push_new(&mut op.packages, finding.package.as_deref());
        push_new(&mut op.installers, finding.installer.as_ref().map(|i| i.name.as_str()));
        op
    }

    /// Whether `other` is the same operation: they name a common KB, update, package, installer or title.
    pub(crate) fn same_as(&self, other: &Operation) -> bool {
        let common = |a: &[String], b: &[String]| a.iter().any(|x| b.contains(x));
        common(&self.kbs, &other.kbs)
            || common(&self.update_ids, &other.update_ids)
            || common(&self.packages, &other.packages)
            || common(&self.installers, &other.installers)
            || common(&self.titles, &other.titles)
    }

    /// The first success of this operation after `after` (and before `before`, when given), as a resolution.
    pub(crate) fn first_success_after(
        &self,
        timeline: &Timeline,
        after: (Option<CivilTime>, Option<CivilTime>),
        before: Option<(Option<CivilTime>, Option<CivilTime>)>,
    ) -> Option<Resolution> {
        if self.successes.is_empty() {
            return None;
        }
        timeline.events.iter().enumerate().find_map(|(index, event)| {
            let when = (event.utc, event.local);
            if !self.successes.contains(&event.action)
                || later(when, after) != Some(true)
                || before.is_some_and(|b| later(b, when) != Some(true))
            {
                return None;
            }
            let operation = self.shared_with(event)?;
            Some(Resolution {
                local_time: event.local,
                utc_time: event.utc,
                operation,
                by: Evidence::of(EventId(index), event),
            })
        })
    }

    /// The first install of a newer build of this operation's cumulative rollup after `after`, as a resolution.
    pub(crate) fn first_superseding_after(
        &self,
        timeline: &Timeline,
        after: (Option<CivilTime>, Option<CivilTime>),
    ) -> Option<Resolution> {
        if !self.successes.contains(&Action::InstallSucceeded) {
            return None;
        }
        timeline.events.iter().enumerate().find_map(|(index, event)| {
            if event.action != Action::InstallSucceeded || later((event.utc, event.local), after) != Some(true) {
                return None;
            }
            let newer = event.package.as_deref().filter(|p| self.packages.iter().any(|q| supersedes(p, q)))?;
            Some(Resolution {
                local_time: event.local,
                utc_time: event.utc,
                operation: superseded_by(newer, event),
                by: Evidence::of(EventId(index), event),
            })
        })
    }

    /// What `success` shares with this operation, said for the report; `None` when it is another operation.
    fn shared_with(&self, success: &Event) -> Option<String> {
        if let Some(kb) = success.kb.as_deref().filter(|kb| self.kbs.iter().any(|k| k == kb)) {
            return Some(kb.to_string());
        }
        if let Some(id) = success.update_id.as_deref().filter(|id| self.update_ids.iter().any(|u| u == id)) {
            return Some(format!("update {id}"));
        }
        if let Some(package) = success.package.as_deref().filter(|p| self.packages.iter().any(|q| q == p)) {
            return Some(format!("package {package}"));
        }
        if let Some(title) = success.title.as_deref().filter(|t| self.titles.iter().any(|u| u == t)) {
            return Some(title.to_string());
        }
        let newer = success.package.as_deref().filter(|p| self.packages.iter().any(|q| supersedes(p, q)))?;
        Some(superseded_by(newer, success))
    }
}

/// `superseded by Package_for_RollupFix~…~7601.24264.1.4 (KB4462927)`: the newer package, and its KB when known.
fn superseded_by(newer: &str, success: &Event) -> String {
    match success.kb.as_deref() {
        Some(kb) => format!("superseded by {newer} ({kb})"),
        None => format!("superseded by {newer}"),
    }
}

fn push_new(list: &mut Vec<String>, value: Option<&str>) {
    if let Some(value) = value.filter(|v| !v.is_empty())
        && !list.iter().any(|v| v == value)
    {
        list.push(value.to_string());
    }
}

/// The successes that make good a failure recorded with `action`.
fn successes_for(action: Action) -> &'static [Action] {
    match action {
        Action::InstallFailed | Action::FailureReport | Action::Rollback => &[Action::InstallSucceeded],
        Action::UninstallFailed => &[Action::UninstallSucceeded],
        Action::DownloadFailed => &[Action::DownloadSucceeded, Action::InstallSucceeded],
        _ => &[],
    }
}
