//! An input of several machines: each machine's files analysed apart, then put side by side — findings,
//! observations, attempts and sources tagged with their machine on one list each, a timeline that holds every
//! machine's events (machine after machine), one verdict over all, and a summary per machine.

use crate::evidence::MachineEvidence;
use crate::machines::{self, Group};
use crate::model::{Analysis, AttemptId, CaseSummary, CbsSection, EventId, Evidence, Finding, Machine, Overall};
use crate::timeline::Timeline;
use crate::verdict::Counts;
use crate::{Analyzed, FileSummary};
use patchdx_bundle::Warning;
use patchdx_formats::event::SourceFile;

/// Analyses each group's files with `analyse` (given the machine's evidence, files, warnings and the number of
/// findings before it) and combines the results.
pub(crate) fn analyse_apart(
    sources: Vec<SourceFile>,
    facts: &[machines::Facts],
    groups: &[Group],
    files: Vec<FileSummary>,
    warnings: Vec<Warning>,
    mut analyse: impl FnMut(MachineEvidence, Vec<FileSummary>, Vec<Warning>, usize) -> (Analysis, Timeline),
) -> Analyzed {
    let identities: Vec<_> = groups.iter().map(|g| machines::identity_of(&sources, facts, g)).collect();
    let folders = own_folders(&sources, groups);
    let apart: Vec<Vec<String>> = (0..groups.len())
        .map(|k| {
            (0..k)
                .filter_map(|j| {
                    machines::why_apart(&sources, facts, &groups[k], &groups[j]).map(|why| format!("M{}: {why}", j + 1))
                })
                .collect()
        })
        .collect();
    let mut slots: Vec<Option<SourceFile>> = sources.into_iter().map(Some).collect();
    let mut combined = Combined::default();
    for (k, group) in groups.iter().enumerate() {
        let id = format!("M{}", k + 1);
        let mine: Vec<SourceFile> =
            group.files.iter().filter_map(|&i| slots.get_mut(i).and_then(Option::take)).collect();
        let paths: Vec<String> = mine.iter().map(|f| f.path.clone()).collect();
        let own = |path: &str| paths.iter().any(|p| p == path);
        let machine_files: Vec<FileSummary> = files.iter().filter(|f| own(&f.path)).cloned().collect();
        let machine_warnings: Vec<Warning> = warnings.iter().filter(|w| own(&w.path)).cloned().collect();
        let first_id = combined.analysis.as_ref().map_or(0, |a| a.findings.len());
        let (mut analysis, timeline) = analyse(MachineEvidence::of(mine), machine_files, machine_warnings, first_id);
        let (hosts, builds, offsets) = identities[k].clone();
        let label = label(k, folders[k].as_deref(), &hosts, &builds, &offsets);
        combined.add(&id, &mut analysis, timeline);
        analysis.summary = crate::summary::summarize(&analysis);
        combined.machines.push(Machine {
            id,
            label,
            hosts,
            builds,
            utc_offsets: offsets.iter().map(|o| patchdx_formats::time::format_offset(*o)).collect(),
            apart_from: apart[k].clone(),
            files: paths,
            verdict: analysis.verdict.clone(),
            cbs_history: analysis.cbs.history.clone(),
            summary: analysis.summary.clone(),
            analysis: Box::new(analysis),
        });
    }
    combined.finish(files, warnings)
}

/// The timeline of an input without its analysis: each machine's files on their own timeline (their offsets
/// found among themselves), machine after machine, each file naming its machine when there are several.
pub fn timeline_of(bundle: &patchdx_bundle::Bundle) -> (Timeline, Vec<Warning>) {
    let crate::evidence::BundleEvidence { warnings, sources, .. } = crate::evidence::read_evidence(bundle);
    let groups = machines::partition(&sources, &machines::facts_of(&sources));
    let several = groups.len() > 1;
    let mut slots: Vec<Option<SourceFile>> = sources.into_iter().map(Some).collect();
    let mut all = Timeline::default();
    for (k, group) in groups.iter().enumerate() {
        let mine: Vec<SourceFile> =
            group.files.iter().filter_map(|&i| slots.get_mut(i).and_then(Option::take)).collect();
        let Timeline { files, events } = MachineEvidence::of(mine).timeline();
        all.files.extend(files.into_iter().map(|mut f| {
            f.machine = several.then(|| format!("M{}", k + 1));
            f
        }));
        all.events.extend(events);
    }
    (all, warnings)
}

/// What a person calls a machine: its host name, else the folder that holds its files (when it holds no other
/// machine's) and the facts that tell it apart, else its number.
fn label(k: usize, folder: Option<&str>, hosts: &[Evidence], builds: &[Evidence], offsets: &[i64]) -> String {
    if let Some(host) = hosts.first() {
        return host.text.clone();
    }
    let mut parts: Vec<String> = builds.iter().map(|b| format!("build {}", b.text)).collect();
    parts.extend(offsets.iter().map(|o| format!("UTC{}", patchdx_formats::time::format_offset(*o))));
    match (folder, parts.is_empty()) {
        (Some(folder), true) => format!("{folder}/"),
        (Some(folder), false) => format!("{folder}/: {}", parts.join(", ")),
        (None, true) => format!("machine {}", k + 1),
        (None, false) => parts.join(", "),
    }
}

/// Each group's own folder: the deepest folder holding all its files, when no other group's files are in it.
fn own_folders(sources: &[SourceFile], groups: &[Group]) -> Vec<Option<String>> {
    let common: Vec<String> = groups
        .iter()
        .map(|g| {
            let mut dirs = g.files.iter().filter_map(|&i| sources.get(i)).map(|f| parent(&f.path));
            let first = dirs.next().unwrap_or_default();
            dirs.fold(first, |acc, d| common_folder(&acc, &d))
        })
        .collect();
    let inside = |path: &str, folder: &str| path.strip_prefix(folder).is_some_and(|rest| rest.starts_with('/'));
    (0..groups.len())
        .map(|k| {
            let folder = &common[k];
            let shared = groups.iter().enumerate().any(|(j, g)| {
                j != k && g.files.iter().filter_map(|&i| sources.get(i)).any(|f| inside(&f.path, folder))
            });
            (!folder.is_empty() && !shared).then(|| folder.clone())
        })
        .collect()
}

fn parent(path: &str) -> String {
    path.rsplit_once('/').map(|(dir, _)| dir.to_string()).unwrap_or_default()
}

fn common_folder(a: &str, b: &str) -> String {
    let shared: Vec<&str> = a.split('/').zip(b.split('/')).take_while(|(x, y)| x == y).map(|(x, _)| x).collect();
    shared.join("/")
}

#[derive(Default)]
struct Combined {
    analysis: Option<Analysis>,
    timeline: Timeline,
    machines: Vec<Machine>,
}

impl Combined {
    /// Tags one machine's analysis with its id, moves its events onto the combined timeline (so its evidence
    /// points at the combined timeline's events) and appends its lists.
    fn add(&mut self, id: &str, analysis: &mut Analysis, timeline: Timeline) {
        let event_base = self.timeline.events.len();
        let attempt_base = self.analysis.as_ref().map_or(0, |a| a.attempts.len());
        let shift = |e: &mut Evidence| e.event = e.event.map(|EventId(n)| EventId(n + event_base));
        for finding in &mut analysis.findings {
            finding.machine = Some(id.to_string());
            finding.attempt = finding.attempt.map(|AttemptId(n)| AttemptId(n + attempt_base));
            for_each_evidence(finding, shift);
        }
        for observation in &mut analysis.observations {
            observation.machine = Some(id.to_string());
            observation.evidence.iter_mut().for_each(shift);
        }
        for attempt in &mut analysis.attempts {
            attempt.machine = Some(id.to_string());
            attempt.id = AttemptId(attempt.id.0 + attempt_base);
            attempt.events.iter_mut().for_each(|EventId(n)| *n += event_base);
            attempt.failure = attempt.failure.map(|EventId(n)| EventId(n + event_base));
            attempt.resolved_by = attempt.resolved_by.map(|AttemptId(n)| AttemptId(n + attempt_base));
        }
        for file in &mut analysis.sources {
            file.machine = Some(id.to_string());
        }
        let Timeline { files, events } = timeline;
        self.timeline.files.extend(files.into_iter().map(|mut f| {
            f.machine = Some(id.to_string());
            f
        }));
        self.timeline.events.extend(events);
        match &mut self.analysis {
            None => self.analysis = Some(analysis.clone()),
            Some(all) => {
                all.findings.extend(analysis.findings.iter().cloned());
                all.observations.extend(analysis.observations.iter().cloned());
                all.attempts.extend(analysis.attempts.iter().cloned());
                all.sources.extend(analysis.sources.iter().cloned());
                all.cbs.logs.extend(analysis.cbs.logs.iter().cloned());
                all.cbs.sessions.extend(analysis.cbs.sessions.iter().cloned());
                for (client, n) in &analysis.cbs.session_counts {
                    *all.cbs.session_counts.entry(client.clone()).or_default() += n;
                }
            }
        }
    }

    /// The combined analysis: every file and warning of the input, one verdict over all machines.
    fn finish(self, files: Vec<FileSummary>, warnings: Vec<Warning>) -> Analyzed {
        let Combined { analysis, timeline, machines } = self;
        let mut analysis = analysis.unwrap_or_else(unreachable_empty);
        analysis.cbs = CbsSection {
            history: Default::default(),
            logs: std::mem::take(&mut analysis.cbs.logs),
            sessions: std::mem::take(&mut analysis.cbs.sessions),
            session_counts: std::mem::take(&mut analysis.cbs.session_counts),
        };
        analysis.verdict = verdict(&machines, &warnings);
        analysis.files = files;
        analysis.warnings = warnings;
        analysis.machines = machines;
        Analyzed { analysis, timeline }
    }
}

/// `analyse_apart` is only called with two groups or more: there is always a first analysis.
fn unreachable_empty() -> Analysis {
    let (analysis, _) = crate::analysis::analyse_machine(
        MachineEvidence::of(Vec::new()),
        Vec::new(),
        Vec::new(),
        &patchdx_rules::RuleSet::builtin(),
        0,
    );
    analysis
}

/// Every quoted record of a finding, to move them onto another timeline.
fn for_each_evidence(finding: &mut Finding, mut visit: impl FnMut(&mut Evidence)) {
    visit(&mut finding.first_cause);
    visit(&mut finding.outcome);
    finding.cascade.iter_mut().for_each(&mut visit);
    finding.corroboration.iter_mut().for_each(&mut visit);
    for repeat in &mut finding.repeats {
        visit(&mut repeat.first_cause);
        visit(&mut repeat.outcome);
        repeat.records.iter_mut().for_each(&mut visit);
    }
    if let Some(resolution) = &mut finding.resolution {
        visit(&mut resolution.by);
    }
}

/// One verdict over every machine: counts added up, the worst exit code, a sentence per machine.
fn verdict(machines: &[Machine], warnings: &[Warning]) -> Overall {
    let sum = |count: fn(&Overall) -> usize| machines.iter().map(|m| count(&m.verdict)).sum::<usize>();
    let (failures, repaired, resolved) = (sum(|v| v.failures), sum(|v| v.repaired), sum(|v| v.resolved));
    let unreadable = warnings.iter().any(|w| w.severity >= patchdx_bundle::Severity::Damaged);
    let exit_code = if unreadable { 2 } else { i32::from(failures > 0) };
    let mut summary = format!("{} machines in this input, analysed apart.", machines.len());
    let mut quiet = Vec::new();
    for m in machines {
        let v = &m.verdict;
        if v.failures + v.repaired + v.resolved == 0 {
            quiet.push(m.id.as_str());
            continue;
        }
        let counts = Counts { failures: v.failures, repaired: v.repaired, resolved: v.resolved };
        let outcome = crate::verdict::outcome(counts, &m.analysis.findings).join(". ");
        summary.push_str(&format!(" {} ({}): {outcome}.", m.id, m.label));
    }
    if !quiet.is_empty() {
        summary.push_str(&format!(" No failed servicing operation found on {}.", quiet.join(", ")));
    }
    if unreadable {
        summary.push_str(" Some input could not be read (see warnings).");
    }
    Overall { failures, repaired, resolved, unreadable_input: unreadable, exit_code, summary }
}

/// The case summary of a multi-machine input: which machines, then each machine's own summary.
pub(crate) fn summarize(analysis: &mut Analysis) -> CaseSummary {
    let n = analysis.machines.len();
    let mut en = format!("Machines\n- This input holds the logs of {n} machines; each was analysed apart.\n");
    let mut zh = format!("计算机\n- 本输入包含 {n} 台计算机的日志，已分别分析。\n");
    for m in &analysis.machines {
        let files = m.files.len();
        en.push_str(&format!("- {} {}: {files} file(s).\n", m.id, m.label));
        zh.push_str(&format!("- {} {}：{files} 个文件。\n", m.id, m.label));
    }
    for m in &analysis.machines {
        en.push_str(&format!("\n== {} {} ==\n{}\n", m.id, m.label, m.summary.en));
        zh.push_str(&format!("\n== {} {} ==\n{}\n", m.id, m.label, m.summary.zh_cn));
    }
    CaseSummary { en, zh_cn: zh }
}
