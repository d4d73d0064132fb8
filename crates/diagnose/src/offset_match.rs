//! Cross-source matching: the UTC offset of a file that states none, found from events it shares with files
//! whose UTC is known. When WindowsUpdate.log (local time, no zone) records KB5014805 failing with 0x80073712
//! at 15:58:23.092 and ReportingEvents.log (`+0800` on every line) records the same failure at 07:58:23.417
//! UTC, the difference — rounded to a quarter hour — is WindowsUpdate.log's offset.
//!
//! "The same event" is strict: the same update (KB, else update id, package or title), the same result
//! (install/uninstall/download succeeded/failed) and the same code when both carry one; the local−UTC
//! difference must sit within [`OFFSET_TOLERANCE_MS`] of a whole quarter hour and within ±14 h; and the result must
//! occur once on each side around that time (see [`KnownIndex::infer`]). Known-UTC results are indexed by
//! (update, result) and sorted by UTC, so each lookup only reads the ±14 h window around it.

use patchdx_formats::CivilTime;
use patchdx_formats::event::{Action, Event, SourceFile};
use std::collections::{BTreeMap, BTreeSet, HashMap};

use patchdx_formats::time::{MAX_OFFSET_MS, OFFSET_TOLERANCE_MS, quarter_hour_offset_ms};
/// Matched events of one file closer than this, with the same update and result, are one occurrence: the
/// WU log can write one failure on more than one line.
const SAME_OCCURRENCE_MS: i64 = 60_000;

/// The results compared. Start events are left out on purpose: components note a start at quite different
/// moments (ReportingEvents' 181 "installation started" comes minutes before CBS begins executing).
fn is_result(action: Action) -> bool {
    matches!(
        action,
        Action::InstallSucceeded
            | Action::InstallFailed
            | Action::UninstallSucceeded
            | Action::UninstallFailed
            | Action::DownloadSucceeded
            | Action::DownloadFailed
    )
}

fn action_words(action: Action) -> &'static str {
    match action {
        Action::InstallSucceeded => "install succeeded",
        Action::InstallFailed => "install failed",
        Action::UninstallSucceeded => "uninstall succeeded",
        Action::UninstallFailed => "uninstall failed",
        Action::DownloadSucceeded => "download succeeded",
        Action::DownloadFailed => "download failed",
        _ => "event",
    }
}

/// One name of the update an event is about, normalised so that sources spelling it differently compare.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Identity {
    Kb(String),
    UpdateId(String),
    Package(String),
    Title(String),
}

fn trimmed(text: &Option<String>) -> Option<&str> {
    text.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

/// `{5B8E…21}.201` and `5b8e…21` are one update: braces and revision dropped (case is ignored when compared).
fn update_id(event: &Event) -> Option<&str> {
    let id = trimmed(&event.update_id)?.trim_start_matches('{');
    id.split(['}', '.']).next().filter(|id| !id.is_empty())
}

/// An event's names: KB, update id, package identity, title.
fn names(event: &Event) -> [Option<&str>; 4] {
    [trimmed(&event.kb), update_id(event), trimmed(&event.package), trimmed(&event.title)]
}

fn identities(event: &Event) -> Vec<Identity> {
    let [kb, id, package, title] = names(event);
    [
        kb.map(|k| Identity::Kb(k.to_ascii_uppercase())),
        id.map(|i| Identity::UpdateId(i.to_ascii_uppercase())),
        package.map(|p| Identity::Package(p.to_ascii_lowercase())),
        title.map(|t| Identity::Title(t.to_ascii_lowercase())),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Two events are about the same update when they share a name and no KB or update id of theirs differs.
/// (Compared in place: this runs for every pair looked at.)
fn same_update(a: &Event, b: &Event) -> bool {
    let (a, b) = (names(a), names(b));
    let equal = |i: usize| match (a[i], b[i]) {
        (Some(x), Some(y)) => Some(x.eq_ignore_ascii_case(y)),
        _ => None,
    };
    if equal(0) == Some(false) || equal(1) == Some(false) {
        return false;
    }
    (0..4).any(|i| equal(i) == Some(true))
}

/// The same code when both carry one (a source that writes no code for a success still matches).
fn codes_agree(a: Option<u32>, b: Option<u32>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

/// A result: its time (ms), file index and event index.
type Entry = (i64, usize, usize);

/// Results by (update name, result), each list in time order.
struct ResultIndex {
    by_key: HashMap<(Identity, Action), Vec<Entry>>,
}

impl ResultIndex {
    fn new<'e>(events: impl Iterator<Item = (usize, usize, &'e Event, Option<CivilTime>)>) -> Self {
        let mut by_key: HashMap<(Identity, Action), Vec<Entry>> = HashMap::new();
        for (fi, ei, event, time) in events {
            let Some(time) = time.filter(|_| is_result(event.action)) else { continue };
            for identity in identities(event) {
                by_key.entry((identity, event.action)).or_default().push((time.millis(), fi, ei));
            }
        }
        for list in by_key.values_mut() {
            list.sort_unstable();
            // An event indexed under two names of one key list is still one entry.
            list.dedup();
        }
        ResultIndex { by_key }
    }

    /// Results of the same update, result and code as `event`, timed within `from..=to` (ms), each once, in
    /// time order, none of file `skip`. Stops early once they are two occurrences: callers only need to know there is more than one,
    /// and a result repeated thousands of times (a servicing loop) must not make each lookup read them all.
    fn same_results(
        &self,
        files: &[SourceFile],
        event: &Event,
        (from, to): (i64, i64),
        skip: Option<usize>,
    ) -> Vec<Entry> {
        let mut out: Vec<Entry> = Vec::new();
        for identity in identities(event) {
            let Some(list) = self.by_key.get(&(identity, event.action)) else { continue };
            let start = list.partition_point(|(t, _, _)| *t < from);
            let mut first: Option<i64> = None;
            for &entry @ (t, fi, ei) in list[start..].iter().take_while(|(t, _, _)| *t <= to) {
                let Some(other) = files.get(fi).and_then(|f| f.events.get(ei)) else { continue };
                if skip == Some(fi) || !same_update(event, other) || !codes_agree(event.code, other.code) {
                    continue;
                }
                if !out.contains(&entry) {
                    out.push(entry);
                }
                if *first.get_or_insert(t) + SAME_OCCURRENCE_MS < t {
                    break;
                }
            }
        }
        out.sort_unstable();
        out
    }
}

/// How many separate occurrences the times (sorted) are: the records of one result lie within a minute of
/// the first (measured from the first, so a result repeated every 30 s for hours is many occurrences).
fn occurrence_count(times: impl Iterator<Item = i64>) -> usize {
    let mut count = 0;
    let mut first: Option<i64> = None;
    for t in times {
        if first.is_none_or(|f| t - f > SAME_OCCURRENCE_MS) {
            count += 1;
            first = Some(t);
        }
    }
    count
}

/// The results of the files whose UTC is known, to match the other files against.
pub struct KnownIndex<'a> {
    files: &'a [SourceFile],
    known: ResultIndex,
}

/// One event of the file being placed that matched known-UTC results at one offset.
struct Matched {
    offset_ms: i64,
    local: CivilTime,
    label: String,
    /// The event's own offset (local − its UTC) when the file states one.
    own_ms: Option<i64>,
    known_files: BTreeSet<usize>,
}

/// What matching says about one file.
pub enum Outcome {
    /// Nothing matched.
    None,
    /// Every matched event gives the same offset.
    Agreed {
        offset_seconds: i64,
        /// Distinct occurrences matched (several lines about one failure count once).
        occurrences: usize,
        /// `matched 2 events with ReportingEvents.log (KB… install failed 0x… at … local)`.
        evidence: String,
        /// Own offsets (the file states one) of matched events that differ from `offset_seconds`.
        disagreeing_own: Vec<i64>,
    },
    /// Matched events give different offsets: `(offset seconds, occurrences)`, most first.
    Conflict(Vec<(i64, usize)>),
}

impl<'a> KnownIndex<'a> {
    /// Indexes the results of the files for which `known(i)` says the UTC is known (their events' `utc` must be
    /// filled).
    pub fn new(files: &'a [SourceFile], known: impl Fn(usize) -> bool) -> Self {
        let events = files
            .iter()
            .enumerate()
            .filter(|(fi, _)| known(*fi))
            .flat_map(|(fi, f)| f.events.iter().enumerate().map(move |(ei, e)| (fi, ei, e, e.utc)));
        KnownIndex { files, known: ResultIndex::new(events) }
    }

    /// Matches the results of `files[index]` (local time) against the known results of the other files.
    ///
    /// A result counts only when the pairing cannot be with the wrong repeat: the other files hold one
    /// occurrence of it within ±14 h of it, and this file no other occurrence within ±14 h of that one (which
    /// could pair with it just as well). A result repeated within hours — a package re-processed every hour,
    /// Defender definitions several times a day, a retry on a timer — would otherwise pair with a repeat whose
    /// own counterpart is missing whenever the two happen to lie a whole number of quarter hours apart (seen
    /// in the real fixtures: one rollup package installed 1 h 15 min apart in two CBS pieces). Daily retries
    /// still match in zones up to about ±10 h; beyond that the next day's repeat falls in the window and the
    /// file keeps the fallback.
    pub fn infer(&self, index: usize) -> Outcome {
        let Some(file) = self.files.get(index) else { return Outcome::None };
        let own = ResultIndex::new(file.events.iter().enumerate().map(|(ei, e)| (index, ei, e, e.local)));
        let mut matched = Vec::new();
        for event in file.events.iter().filter(|e| is_result(e.action)) {
            let Some(local) = event.local else { continue };
            let at = local.millis();
            let window = (at - MAX_OFFSET_MS - OFFSET_TOLERANCE_MS, at + MAX_OFFSET_MS + OFFSET_TOLERANCE_MS);
            let known = self.known.same_results(self.files, event, window, Some(index));
            if known.is_empty() || occurrence_count(known.iter().map(|(t, _, _)| *t)) != 1 {
                continue;
            }
            let Some(&(known_at, _, _)) = known.first() else { continue };
            let around =
                (known_at - MAX_OFFSET_MS - OFFSET_TOLERANCE_MS, known_at + MAX_OFFSET_MS + OFFSET_TOLERANCE_MS);
            let repeats = own.same_results(self.files, event, around, None);
            if occurrence_count(repeats.iter().map(|(t, _, _)| *t)) != 1 {
                continue;
            }
            let mut found: BTreeMap<i64, BTreeSet<usize>> = BTreeMap::new();
            for (utc, fi, _) in known {
                if let Some(offset) = quarter_hour_offset_ms(local, CivilTime::from_millis(utc)) {
                    found.entry(offset).or_default().insert(fi);
                }
            }
            // An event that fits two offsets proves neither.
            if found.len() != 1 {
                continue;
            }
            let Some((offset_ms, known_files)) = found.pop_first() else { continue };
            matched.push(Matched {
                offset_ms,
                local,
                label: label(event),
                own_ms: event.utc.and_then(|u| quarter_hour_offset_ms(local, u)),
                known_files,
            });
        }
        summarize(self.files, matched)
    }
}

/// `KB5014805 install failed 0x80073712`.
fn label(event: &Event) -> String {
    let [kb, id, package, title] = names(event);
    let name = kb.map(str::to_ascii_uppercase).or(title.or(package).or(id).map(str::to_string)).unwrap_or_default();
    let code = event.code.filter(|&c| c != 0).map(|c| format!(" 0x{c:08X}")).unwrap_or_default();
    format!("{name} {}{code}", action_words(event.action))
}

/// Occurrences (by label, a minute apart at least) of the matched events, in order.
fn occurrences(matched: &[&Matched]) -> Vec<(String, CivilTime)> {
    let mut sorted: Vec<&&Matched> = matched.iter().collect();
    sorted.sort_by(|a, b| (&a.label, a.local).cmp(&(&b.label, b.local)));
    let mut out: Vec<(String, CivilTime)> = Vec::new();
    for m in sorted {
        let same =
            out.last().is_some_and(|(l, t)| *l == m.label && m.local.millis() - t.millis() <= SAME_OCCURRENCE_MS);
        if !same {
            out.push((m.label.clone(), m.local));
        }
    }
    out.sort_by_key(|(_, t)| *t);
    out
}

fn summarize(files: &[SourceFile], matched: Vec<Matched>) -> Outcome {
    let mut by_offset: BTreeMap<i64, Vec<&Matched>> = BTreeMap::new();
    for m in &matched {
        by_offset.entry(m.offset_ms).or_default().push(m);
    }
    if by_offset.len() > 1 {
        let mut counts: Vec<(i64, usize)> =
            by_offset.iter().map(|(offset, ms)| (offset / 1000, occurrences(ms).len())).collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        return Outcome::Conflict(counts);
    }
    let Some((offset_ms, ms)) = by_offset.into_iter().next() else { return Outcome::None };
    let found = occurrences(&ms);
    let known: BTreeSet<String> = ms
        .iter()
        .flat_map(|m| m.known_files.iter())
        .filter_map(|&fi| files.get(fi))
        .map(|f| f.path.rsplit('/').next().unwrap_or(&f.path).to_string())
        .collect();
    let mut names: Vec<String> = known.iter().take(3).cloned().collect();
    if known.len() > 3 {
        names.push(format!("{} more files", known.len() - 3));
    }
    let evidence = format!(
        "matched {} event{} with {} ({})",
        found.len(),
        if found.len() == 1 { "" } else { "s" },
        names.join(", "),
        describe(&found)
    );
    let disagreeing_own =
        ms.iter().filter_map(|m| m.own_ms).filter(|&own| own != offset_ms).map(|own| own / 1000).collect();
    Outcome::Agreed { offset_seconds: offset_ms / 1000, occurrences: found.len(), evidence, disagreeing_own }
}

/// `KB5014805 install failed 0x80073712 at 2022-09-09 15:58:23, 2022-10-10 16:38:25 local; …`, the first
/// three kinds with their first three times.
fn describe(found: &[(String, CivilTime)]) -> String {
    // In order of first appearance; looked up by label, since a big file can match thousands of kinds.
    let mut kinds: Vec<(&str, Vec<CivilTime>)> = Vec::new();
    let mut slot: HashMap<&str, usize> = HashMap::new();
    for (label, at) in found {
        let i = *slot.entry(label).or_insert_with(|| {
            kinds.push((label, Vec::new()));
            kinds.len() - 1
        });
        if let Some((_, times)) = kinds.get_mut(i) {
            times.push(*at);
        }
    }
    let mut parts: Vec<String> = kinds
        .iter()
        .take(3)
        .map(|(label, times)| {
            let mut shown: Vec<String> = times
                .iter()
                .take(3)
                .map(|t| CivilTime::from_millis(t.millis().div_euclid(1000) * 1000).to_string())
                .collect();
            if times.len() > 3 {
                shown.push(format!("{} more", times.len() - 3));
            }
            format!("{label} at {} local", shown.join(", "))
        })
        .collect();
    if kinds.len() > 3 {
        parts.push(format!("{} more kinds", kinds.len() - 3));
    }
    parts.join("; ")
}
