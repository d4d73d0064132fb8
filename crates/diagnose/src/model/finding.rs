//! Findings: a diagnosed failure (or repaired damage) with its evidence, first cause and cascade, what the rules
//! say of it, its coverage and repair manifest; observations; CBS sessions.

use patchdx_formats::CivilTime;
use patchdx_formats::event::{Event, Source};
use patchdx_rules::schema::{Steps, Text};
use patchdx_rules::{Confidence as RuleConfidence, Severity};
use serde::Serialize;

/// An event's place on the timeline (its index there): later stages look the event up by it instead of
/// searching for its file and line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(pub usize);

/// A quoted log line: where it is and what it says.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct Evidence {
    /// The event quoted, on the analysis's timeline.
    #[serde(skip)]
    pub event: Option<EventId>,
    /// Inside-archive path of the file.
    pub file: String,
    /// 1-based line number (0 for event-log records, which have `record` instead).
    pub line: u64,
    /// Event record id, for .evtx records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
    /// The evidence source (`CBS`, `ReportingEvents`, …) when not CBS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub local_time: Option<CivilTime>,
    pub utc_time: Option<CivilTime>,
    pub code: Option<String>,
    pub text: String,
}

impl Evidence {
    /// The evidence of a timeline event (CBS records name no source: CBS is the default).
    pub fn of(id: EventId, event: &Event) -> Self {
        Evidence {
            event: Some(id),
            file: event.file.clone(),
            line: event.line.unwrap_or(0),
            record: event.record,
            source: (event.source != Source::Cbs).then(|| event.source.label().to_string()),
            local_time: event.local,
            utc_time: event.utc,
            code: event.code.map(|c| CodeRef::new(c, event.facts.code_name.as_deref()).label()),
            text: event.message.clone(),
        }
    }

    /// Where the record is: `file:line`, `file#record` for event-log records, or the file alone.
    pub fn place(&self) -> String {
        match (self.record, self.line) {
            // An event log's record has no line; an XML row has both, and the line is what an editor opens.
            (Some(record), 0) => format!("{}#{record}", self.file),
            (Some(record), line) => format!("{}:{line} (record {record})", self.file),
            (None, 0) => self.file.clone(),
            (None, line) => format!("{}:{line}", self.file),
        }
    }
}

/// An error code with what it means.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CodeRef {
    pub value: u32,
    /// `0x80073712`
    pub hex: String,
    pub name: Option<String>,
    pub known: bool,
    pub facility: &'static str,
    pub en: Option<String>,
    pub zh_cn: Option<String>,
}

impl CodeRef {
    pub fn new(value: u32, name_in_log: Option<&str>) -> Self {
        let info = patchdx_codes::lookup(value);
        CodeRef {
            value,
            hex: format!("0x{value:08X}"),
            // A code with no public symbol (`(no public symbol)` in the tables) is named by nothing rather than
            // by that phrase.
            name: info
                .map(|i| i.name.to_string())
                .filter(|n| !n.starts_with('('))
                .or_else(|| name_in_log.filter(|n| !n.is_empty()).map(str::to_string)),
            known: info.is_some(),
            facility: patchdx_codes::facility_name(value),
            en: info.map(|i| i.en.to_string()),
            zh_cn: info.map(|i| i.zh_cn.to_string()),
        }
    }

    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("{} {}", self.hex, n),
            None => self.hex.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// An operation failed, or damage remains unrepaired.
    Failed,
    /// Damage was found and repaired; nothing left failing.
    Repaired,
    /// An operation failed, and a later attempt of the same operation on the same machine succeeded.
    Resolved,
}

/// A later attempt of a finding's operation that failed the same way.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct Repeat {
    pub local_time: Option<CivilTime>,
    pub utc_time: Option<CivilTime>,
    /// The CBS session of this attempt, when it ran in one.
    pub session: Option<String>,
    pub first_cause: Evidence,
    pub outcome: Evidence,
    /// Where this attempt falls in the CBS history, when the history does not cover it (see
    /// `coverage`).
    pub coverage: Option<String>,
    /// The attempt's records other than its first cause and outcome (serialised with the finding's own).
    #[serde(skip)]
    pub records: Vec<Evidence>,
    #[serde(skip)]
    pub cbs: super::CbsCoverage,
}

/// An advanced installer that failed: its name, DLL and own code, and the components it was installing.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct InstallerFailure {
    /// As CSI names it (`Container Installer`, `Task Scheduler`, `Generic Command`).
    pub name: String,
    pub binary: Option<String>,
    /// The installer's own code, not the queue's (`0x800706D9`, not `0x800F0922`; never the `[gle=…]` CSI
    /// appends to fatal lines).
    pub code: CodeRef,
    /// Component identities it was installing (`Microsoft-Windows-…, version …, arch …`).
    pub components: Vec<String>,
}

/// Another code one failed operation's records state beside its own, with what it is and where it is said: a
/// store repair that ends in 0x800F0906 CBS_E_DOWNLOAD_FAILURE because Windows Update's download of the repair
/// content failed with 0x80240438 is one failure that names both.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct RelatedCode {
    pub code: CodeRef,
    /// What the code is the result of (`Windows Update download`).
    pub what: String,
    /// The first record that states it.
    pub evidence: Evidence,
}

/// How a failure was resolved: the later success of the same operation, and when.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct Resolution {
    pub local_time: Option<CivilTime>,
    pub utc_time: Option<CivilTime>,
    /// What the success shares with the failure: `KB5011493`, `update 0dc8405f-…`, `package …`, or
    /// `superseded by Package_for_RollupFix~…~7601.24264.1.4 (KB4462927)`.
    pub operation: String,
    /// The record of the success.
    pub by: Evidence,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    High,
    Medium,
    Low,
}

/// One diagnosed failure (or repaired damage), with its first cause and the cascade after it.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Finding {
    pub id: String,
    /// The machine (`M1`, …) when the input holds several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub machine: Option<String>,
    /// The update attempt this failure belongs to, when it is one.
    #[serde(skip)]
    pub attempt: Option<super::AttemptId>,
    pub verdict: Verdict,
    pub title: String,
    pub kb: Option<String>,
    pub package: Option<String>,
    pub session: Option<String>,
    pub client: Option<String>,
    /// The servicing phase the failure happened in, where the logs say (e.g. WER `failure source`).
    pub phase: Option<String>,
    pub code: Option<CodeRef>,
    /// Other codes the operation's records state beside `code`: the result of a step it depended on (the
    /// Windows Update download of its payload or repair content).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related_codes: Vec<RelatedCode>,
    pub local_time: Option<CivilTime>,
    pub utc_time: Option<CivilTime>,
    pub utc_offset: Option<String>,
    /// The earliest record of the failure chain: what went wrong first.
    pub first_cause: Evidence,
    /// Everything the first cause set off, in order, up to and including the final result.
    pub cascade: Vec<Evidence>,
    /// The record that states the operation's final result.
    pub outcome: Evidence,
    pub confidence: Confidence,
    pub confidence_reason: String,
    /// Items named by the finding: corrupt components or files, with their state.
    pub items: Vec<String>,
    /// Root cause as the detection rules name it, best first (empty when no rule fires).
    pub diagnosis: Vec<RuleDiagnosis>,
    /// Records of the same failure in other sources (ReportingEvents, WindowsUpdate.log, event logs…).
    pub corroboration: Vec<Evidence>,
    /// Further records of the operation that the rules read beside the evidence above, and the reports do not
    /// list: the Error lines a Windows Setup run wrote before its result (SetupDiag's rules read them too).
    #[serde(skip)]
    pub rule_context: Vec<EventId>,
    /// Where the failure falls in the CBS history, and which files span its time.
    #[serde(flatten)]
    pub coverage: super::Coverage,
    /// Later attempts of the same operation that failed the same way (the finding itself is the first): one
    /// failure, tried again.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub repeats: Vec<Repeat>,
    /// The advanced installer whose failure made the operation fail, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installer: Option<InstallerFailure>,
    /// The later success of the same operation that resolved this failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
    /// For store or file corruption: the component identities and files involved, the updates that carry
    /// them, and the repair source and commands that match them.
    pub repair: Option<super::RepairManifest>,
}

impl Finding {
    /// When the operation last failed: the last repeat's time, else the finding's.
    pub fn last_failed_at(&self) -> (Option<CivilTime>, Option<CivilTime>) {
        match self.repeats.last() {
            Some(r) => (r.utc_time, r.local_time),
            None => (self.utc_time, self.local_time),
        }
    }

    /// When the last failed attempt began: the time of its first cause (the last repeat's, else the finding's),
    /// else when it failed.
    pub fn last_attempt_began_at(&self) -> (Option<CivilTime>, Option<CivilTime>) {
        let first_cause = self.repeats.last().map_or(&self.first_cause, |r| &r.first_cause);
        match (first_cause.utc_time, first_cause.local_time) {
            (None, None) => self.last_failed_at(),
            known => known,
        }
    }

    /// How many times the operation failed this way: the finding and its repeats.
    pub fn attempts(&self) -> usize {
        1 + self.repeats.len()
    }

    /// The named facts a report lists under the title, in order, those that are known.
    pub fn facts(&self) -> Vec<(&'static str, &str)> {
        let mut facts: Vec<(&'static str, &str)> = [
            ("update", &self.kb),
            ("package", &self.package),
            ("session", &self.session),
            ("client", &self.client),
            ("phase", &self.phase),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_deref().map(|v| (name, v)))
        .collect();
        if let Some(ai) = &self.installer {
            facts.push(("installer", &ai.name));
            facts.extend(ai.binary.as_deref().map(|b| ("installer binary", b)));
            facts.extend(ai.components.iter().map(|c| ("component", c.as_str())));
        }
        facts
    }

    /// A finding with what every stage knows first; its time is the outcome's. The other fields are filled by
    /// the stage that builds it or by the later stages that know them (rules, other sources, coverage, repair).
    pub fn new(
        verdict: Verdict,
        title: String,
        first_cause: Evidence,
        outcome: Evidence,
        confidence: Confidence,
        confidence_reason: String,
    ) -> Self {
        Finding {
            id: String::new(),
            machine: None,
            attempt: None,
            verdict,
            title,
            kb: None,
            package: None,
            session: None,
            client: None,
            phase: None,
            code: None,
            related_codes: Vec::new(),
            local_time: outcome.local_time,
            utc_time: outcome.utc_time,
            utc_offset: None,
            first_cause,
            cascade: Vec::new(),
            outcome,
            confidence,
            confidence_reason,
            items: Vec::new(),
            diagnosis: Vec::new(),
            corroboration: Vec::new(),
            rule_context: Vec::new(),
            coverage: super::Coverage::default(),
            repeats: Vec::new(),
            installer: None,
            resolution: None,
            repair: None,
        }
    }
}

/// Something worth knowing that is not a failure (a repair run, boot-time processing, a rotation problem).
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Observation {
    /// The machine (`M1`, …) when the input holds several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub machine: Option<String>,
    pub kind: &'static str,
    pub summary: String,
    pub evidence: Vec<Evidence>,
}

/// One CBS servicing session.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Session {
    pub id: String,
    pub client: Option<String>,
    pub file: String,
    pub start_line: Option<u64>,
    pub start_local: Option<CivilTime>,
    pub start_utc: Option<CivilTime>,
    pub end_local: Option<CivilTime>,
    pub end_utc: Option<CivilTime>,
    pub package: Option<String>,
    pub kb: Option<String>,
    pub result: Option<CodeRef>,
    pub reboot_required: Option<bool>,
}

/// What a rule says about a finding.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct RuleDiagnosis {
    pub rule: String,
    pub category: String,
    pub severity: Severity,
    pub confidence: RuleConfidence,
    pub title: Text,
    pub explanation: Text,
    pub remediation: Steps,
    pub commands: Vec<String>,
    pub collect: Steps,
    pub references: Vec<String>,
}
