//! Which machine each file comes from. An input may hold the logs of several machines (a folder per server, or
//! files of several machines side by side); stitching their CBS logs into one history, or matching one
//! machine's failure with another's success, would mislead. Files are taken to be of one machine unless what
//! they state says otherwise: different host names, different OS builds (other than an upgrade that setup logs
//! in the input account for), different UTC offsets at the same time, a servicing stack older than one loaded
//! before it, or two CBS logs that cover the same hours with different lines. Files that state none of these
//! (or whose times never meet) stay together: nothing says they are of different machines.

use crate::model::{EventId, Evidence};
use patchdx_formats::CivilTime;
use patchdx_formats::cbs::CbsEventKind;
use patchdx_formats::event::{Confidence, Source, SourceFile};
use patchdx_formats::identity::Identity;
use std::collections::HashSet;

/// Files further apart in time than this may have different offsets on one machine.
const OFFSET_WINDOW_MILLIS: i64 = 24 * 3_600_000;
/// CBS logs of one machine overlap only by a rotation's seconds, or wholly when one is a copy of the other.
const CBS_OVERLAP_MILLIS: i64 = 3_600_000;

/// What one file says about its machine.
pub(crate) struct Facts {
    identity: Identity,
    /// UTC offsets the file states itself (not inferred from other files), in seconds.
    offsets: Vec<i64>,
    /// First and last UTC time, in milliseconds.
    span: Option<(i64, i64)>,
    /// A CBS history piece (not an SFC extract).
    cbs: bool,
    /// Servicing stack versions CBS loaded, as (build, revision): a machine's only ever go up.
    stacks: Vec<(u32, u32)>,
    /// Path components, to place files that state nothing next to those that do.
    dirs: Vec<String>,
}

impl Facts {
    fn of(file: &SourceFile) -> Facts {
        let mut identity = file.identity.clone();
        let mut offsets = Vec::new();
        let mut stacks = Vec::new();
        if let Some(log) = file.cbs.as_deref() {
            // The servicing stack CBS loads is the running system's: its build is the machine's.
            for event in &file.events {
                if let Some(record) = event.cbs()
                    && let CbsEventKind::ServicingStackLoaded { version } = &record.kind
                {
                    identity.add_build_of(version, event.line.unwrap_or(0), None);
                    stacks.extend(stack_version(version));
                }
            }
            offsets.extend(log.offsets.iter().map(|o| o.offset_seconds));
        } else if file.offset.confidence == Confidence::High
            && let Some(offset) = file.offset.offset_seconds
            && patchdx_formats::registry::time_basis(file.source) == patchdx_formats::source::TimeBasis::Local
        {
            offsets.push(offset);
        }
        offsets.sort_unstable();
        offsets.dedup();
        let utc = |local: Option<CivilTime>, at_end: bool| {
            let offset = if at_end { offsets.last() } else { offsets.first() };
            match patchdx_formats::registry::time_basis(file.source) {
                patchdx_formats::source::TimeBasis::Local => local.zip(offset.copied()).map(|(t, o)| t.shifted(-o)),
                _ => local,
            }
        };
        let span = utc(file.first_local, false).zip(utc(file.last_local, true)).map(|(a, b)| (a.millis(), b.millis()));
        let dirs = file.path.split(['/', '\\']).map(str::to_string).collect::<Vec<_>>();
        let dirs = dirs[..dirs.len().saturating_sub(1)].to_vec();
        let cbs = file.cbs.as_deref().is_some_and(|l| l.kind == patchdx_bundle::FileKind::Cbs);
        Facts { identity, offsets, span, cbs, stacks, dirs }
    }

    fn states_anything(&self) -> bool {
        !self.identity.is_empty() || !self.offsets.is_empty()
    }
}

/// `10.0.19041.1220` → (19041, 1220).
fn stack_version(version: &str) -> Option<(u32, u32)> {
    let build = patchdx_formats::identity::build_of_version(version)?;
    let revision = version.split('.').nth(3)?.chars().take_while(char::is_ascii_digit).collect::<String>();
    Some((build, revision.parse().ok()?))
}

/// The files of one machine (indexes into the list given to [`partition`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Group {
    pub files: Vec<usize>,
}

/// Why two files cannot be of one machine, in words, or `None` when nothing says so.
fn conflict(a: &Facts, b: &Facts, fa: &SourceFile, fb: &SourceFile, upgrade_seen: bool) -> Option<String> {
    let disjoint = |x: &[patchdx_formats::identity::Stated], y: &[patchdx_formats::identity::Stated]| {
        !x.is_empty() && !y.is_empty() && !x.iter().any(|s| y.iter().any(|t| t.value == s.value))
    };
    if disjoint(&a.identity.hosts, &b.identity.hosts) {
        return Some(format!("host {} and host {}", a.identity.hosts[0].value, b.identity.hosts[0].value));
    }
    if disjoint(&a.identity.builds, &b.identity.builds) && !upgrade_between(a, b, upgrade_seen) {
        return Some(format!("build {} and build {}", a.identity.builds[0].value, b.identity.builds[0].value));
    }
    if !a.offsets.is_empty() && !b.offsets.is_empty() && !a.offsets.iter().any(|o| b.offsets.contains(o)) {
        // At one time a machine has one offset. Over months it changes by daylight saving (an hour), or once
        // when the zone is set after installation (from setup's default: UTC or Pacific time). Any other change
        // of zone is a move of the machine, rarer than two machines' logs in one input.
        let close = a.span.zip(b.span).is_none_or(|(sa, sb)| sa.0.max(sb.0) - sa.1.min(sb.1) < OFFSET_WINDOW_MILLIS);
        if close || !zone_change_explains(a, b) {
            return Some(format!(
                "UTC{} and UTC{}",
                patchdx_formats::time::format_offset(a.offsets[0]),
                patchdx_formats::time::format_offset(b.offsets[0])
            ));
        }
    }
    if let (Some(sa), Some(sb)) = (a.span, b.span) {
        let overlap = sa.1.min(sb.1) - sa.0.max(sb.0);
        if a.cbs && b.cbs && overlap > CBS_OVERLAP_MILLIS && !same_lines_in_overlap(fa, fb, sa, sb) {
            return Some("two CBS logs covering the same hours with different lines".to_string());
        }
        let (earlier, later) = if sa.1 <= sb.0 { (a, b) } else { (b, a) };
        if sa.1 <= sb.0 || sb.1 <= sa.0 {
            let went_down = earlier.stacks.iter().any(|(build, rev)| {
                later.stacks.iter().any(|(later_build, later_rev)| later_build == build && later_rev < rev)
            });
            if went_down {
                return Some("a servicing stack older than one loaded before it".to_string());
            }
        }
    }
    None
}

/// Whether one machine could have written both files' offsets at their times: a daylight-saving hour apart, or
/// the earlier file still in one of setup's default zones.
fn zone_change_explains(a: &Facts, b: &Facts) -> bool {
    const DEFAULT_ZONES: [i64; 3] = [0, -8 * 3600, -7 * 3600];
    let an_hour = a.offsets.iter().any(|x| b.offsets.iter().any(|y| (x - y).abs() <= 3600));
    let earlier = match (a.span, b.span) {
        (Some(sa), Some(sb)) if sb.1 <= sa.0 => b,
        (Some(_), Some(_)) => a,
        _ => return an_hour,
    };
    an_hour || earlier.offsets.iter().all(|o| DEFAULT_ZONES.contains(o))
}

/// A lower build before a higher one, when setup logs in the input show a feature update: one machine,
/// upgraded.
fn upgrade_between(a: &Facts, b: &Facts, upgrade_seen: bool) -> bool {
    let build = |f: &Facts| f.identity.builds.iter().filter_map(|s| s.value.parse::<u32>().ok()).max();
    match (upgrade_seen, a.span, b.span, build(a), build(b)) {
        (true, Some(sa), Some(sb), Some(ba), Some(bb)) => (sa.1 <= sb.0 && ba < bb) || (sb.1 <= sa.0 && bb < ba),
        _ => false,
    }
}

/// Whether two CBS logs hold the same records where their spans overlap (copies, or a piece and the log it
/// rotated from), rather than two machines' records.
fn same_lines_in_overlap(fa: &SourceFile, fb: &SourceFile, sa: (i64, i64), sb: (i64, i64)) -> bool {
    let (from, to) = (sa.0.max(sb.0), sa.1.min(sb.1));
    fn records(f: &SourceFile, from: i64, to: i64) -> HashSet<(i64, &str)> {
        f.events
            .iter()
            .filter_map(|e| Some((e.utc?.millis(), e.message.as_ref())))
            .filter(|(t, _)| (from..=to).contains(t))
            .collect()
    }
    let (ra, rb) = (records(fa, from, to), records(fb, from, to));
    let smaller = ra.len().min(rb.len());
    // Too few records in the overlap to judge: say nothing.
    smaller < 3 || ra.intersection(&rb).count() * 2 >= smaller
}

/// How far apart two files' times are (0 when they meet; unknown counts as furthest).
fn time_apart(a: &Facts, b: &Facts) -> i64 {
    match (a.span, b.span) {
        (Some(sa), Some(sb)) => (sa.0.max(sb.0) - sa.1.min(sb.1)).max(0),
        _ => i64::MAX,
    }
}

fn common_prefix(a: &[String], b: &[String]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// Splits the files into machines. One group when nothing says there are several; files that state nothing
/// go with the machine whose files share the longest part of their path.
/// What each file says about its machine (read once: partition, identities and reasons all use it).
pub(crate) fn facts_of(files: &[SourceFile]) -> Vec<Facts> {
    files.iter().map(Facts::of).collect()
}

pub(crate) fn partition(files: &[SourceFile], facts: &[Facts]) -> Vec<Group> {
    let upgrade_seen = files.iter().any(|f| matches!(f.source, Source::Panther | Source::SetupDiag));
    // Files that name a host first, then those that name a build, then the rest: the strongest facts found
    // the machines, the weaker ones join them.
    let mut order: Vec<usize> = (0..files.len()).filter(|&i| facts[i].states_anything()).collect();
    order.sort_by_key(|&i| (facts[i].identity.hosts.is_empty(), facts[i].identity.builds.is_empty(), i));
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for i in order {
        let fits = |g: &Vec<usize>| {
            g.iter().all(|&j| conflict(&facts[i], &facts[j], &files[i], &files[j], upgrade_seen).is_none())
        };
        let best = groups
            .iter()
            .enumerate()
            .filter(|(_, g)| fits(g))
            .max_by_key(|(n, g)| {
                let shares_host = g.iter().any(|&j| {
                    facts[i].identity.hosts.iter().any(|h| facts[j].identity.hosts.iter().any(|k| k.value == h.value))
                });
                let shares_build = g.iter().any(|&j| {
                    facts[i].identity.builds.iter().any(|b| facts[j].identity.builds.iter().any(|k| k.value == b.value))
                });
                let prefix = g.iter().map(|&j| common_prefix(&facts[i].dirs, &facts[j].dirs)).max().unwrap_or(0);
                let nearest = g.iter().map(|&j| time_apart(&facts[i], &facts[j])).min().unwrap_or(i64::MAX);
                (shares_host, shares_build, prefix, std::cmp::Reverse(nearest), std::cmp::Reverse(*n))
            })
            .map(|(n, _)| n);
        match best {
            Some(n) => groups[n].push(i),
            None => groups.push(vec![i]),
        }
    }
    if groups.len() <= 1 {
        return vec![Group { files: (0..files.len()).collect() }];
    }
    for i in (0..files.len()).filter(|&i| !facts[i].states_anything()) {
        let best = groups
            .iter()
            .enumerate()
            .max_by_key(|(n, g)| {
                let prefix = g.iter().map(|&j| common_prefix(&facts[i].dirs, &facts[j].dirs)).max().unwrap_or(0);
                (prefix, g.len(), std::cmp::Reverse(*n))
            })
            .map(|(n, _)| n)
            .unwrap_or(0);
        groups[best].push(i);
    }
    let mut groups: Vec<Group> = groups
        .into_iter()
        .map(|mut files| {
            files.sort_unstable();
            Group { files }
        })
        .collect();
    groups.sort_by_key(|g| g.files.first().copied());
    groups
}

/// Why the files of two groups are of different machines: the first conflict between a file of each.
pub(crate) fn why_apart(files: &[SourceFile], facts: &[Facts], a: &Group, b: &Group) -> Option<String> {
    let upgrade_seen = files.iter().any(|f| matches!(f.source, Source::Panther | Source::SetupDiag));
    a.files.iter().find_map(|&i| {
        b.files.iter().find_map(|&j| {
            conflict(&facts[i], &facts[j], &files[i], &files[j], upgrade_seen)
                .map(|why| format!("{why} ({} and {})", files[i].path, files[j].path))
        })
    })
}

/// What one group's files state: hosts, builds and offsets, each with the file and line that says it first.
pub(crate) fn identity_of(
    files: &[SourceFile],
    facts: &[Facts],
    group: &Group,
) -> (Vec<Evidence>, Vec<Evidence>, Vec<i64>) {
    let (mut hosts, mut builds, mut offsets) = (Vec::<Evidence>::new(), Vec::<Evidence>::new(), Vec::new());
    for &i in &group.files {
        let file = &files[i];
        let facts = &facts[i];
        let quote = |list: &mut Vec<Evidence>, value: &str, line: u64, record: Option<u64>| {
            if !list.iter().any(|e| e.text == value) {
                list.push(Evidence {
                    event: None::<EventId>,
                    file: file.path.clone(),
                    line,
                    record,
                    source: Some(file.source.label().to_string()),
                    local_time: None,
                    utc_time: None,
                    code: None,
                    text: value.to_string(),
                });
            }
        };
        for s in &facts.identity.hosts {
            quote(&mut hosts, &s.value, s.line, s.record);
        }
        for s in &facts.identity.builds {
            quote(&mut builds, &s.value, s.line, s.record);
        }
        for &o in &facts.offsets {
            if !offsets.contains(&o) {
                offsets.push(o);
            }
        }
    }
    (hosts, builds, offsets)
}
