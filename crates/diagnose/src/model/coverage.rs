//! Coverage: which sources span the time of a failure, and where it falls in the CBS history.

use patchdx_formats::CivilTime;
use serde::Serialize;

/// One file's time range on the timeline, and whether it covers a failure.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SourceSpan {
    pub source: String,
    pub file: String,
    pub first_utc: Option<CivilTime>,
    pub last_utc: Option<CivilTime>,
}

/// Where a failure falls in the CBS history: the one place that decides whether CBS can name the failing
/// component, and why not.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CbsCoverage {
    /// The finding's own records are CBS lines, or its time falls inside the piece named.
    Covered { piece: String },
    /// Between the last line of one piece and the first line of the next: no CBS line of that time is in the
    /// bundle. Times are local, as the pieces write them.
    Gap { before: String, before_ends: CivilTime, after: String, after_starts: CivilTime },
    /// Before the first line of the oldest piece (that part of the history had rotated away).
    BeforeHistory { oldest: String, starts: CivilTime },
    /// After the last line of the newest piece.
    AfterHistory { newest: String, ends: CivilTime },
    /// No CBS log in the bundle.
    NoHistory,
    /// The failure's time is unknown, so its place in the history cannot be told.
    #[default]
    Unknown,
}

impl CbsCoverage {
    /// Why CBS cannot name the failing component, in one sentence; `None` when CBS covers the failure.
    pub fn sentence(&self) -> Option<String> {
        const NO_COMPONENT: &str = "so the failing component cannot be named from these logs";
        Some(match self {
            CbsCoverage::Covered { .. } => return None,
            CbsCoverage::Gap { before, before_ends, after, after_starts } => format!(
                "this failure falls in the gap between CBS pieces {before} (ends {before_ends}) and {after} \
                 (starts {after_starts}), local time: no CBS line of that time is in the bundle, {NO_COMPONENT}"
            ),
            CbsCoverage::BeforeHistory { oldest, starts } => format!(
                "this failure is before the first line of the oldest CBS piece, {oldest} (starts {starts}, local): \
                 the CBS log of that time had rotated away, {NO_COMPONENT}"
            ),
            CbsCoverage::AfterHistory { newest, ends } => format!(
                "this failure is after the last line of the newest CBS piece, {newest} (ends {ends}, local), \
                 {NO_COMPONENT}"
            ),
            CbsCoverage::NoHistory => "no CBS.log in the bundle: the failing component cannot be named".to_string(),
            CbsCoverage::Unknown => {
                "the failure's time is not known, so whether the CBS history covers it cannot be told".to_string()
            }
        })
    }
}

impl CbsCoverage {
    /// [`CbsCoverage::sentence`] in Simplified Chinese.
    pub fn sentence_zh(&self) -> Option<String> {
        const NO_COMPONENT: &str = "因此无法根据这些日志确定具体失败的组件";
        Some(match self {
            CbsCoverage::Covered { .. } => return None,
            CbsCoverage::Gap { before, before_ends, after, after_starts } => format!(
                "此失败发生在 CBS 日志片段 {before}（结束于 {before_ends}）与 {after}（开始于 {after_starts}）之间的空档（本地时间）：\
                 日志包中没有该时间的 CBS 记录，{NO_COMPONENT}"
            ),
            CbsCoverage::BeforeHistory { oldest, starts } => format!(
                "此失败早于最早的 CBS 日志片段 {oldest} 的第一行（开始于 {starts}，本地时间）：当时的 CBS 日志已被轮转覆盖，{NO_COMPONENT}"
            ),
            CbsCoverage::AfterHistory { newest, ends } => {
                format!("此失败晚于最新的 CBS 日志片段 {newest} 的最后一行（结束于 {ends}，本地时间），{NO_COMPONENT}")
            }
            CbsCoverage::NoHistory => "日志包中没有 CBS.log：无法确定具体失败的组件".to_string(),
            CbsCoverage::Unknown => "失败时间未知，无法判断 CBS 历史是否涵盖此失败".to_string(),
        })
    }
}

/// A failure's coverage: its place in the CBS history, and the files whose records span its time and those
/// whose records start after or end before it (they cannot show it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Coverage {
    pub cbs: CbsCoverage,
    pub covered_by: Vec<SourceSpan>,
    pub not_covered_by: Vec<SourceSpan>,
}

/// As three fields of the finding: `coverage` (the sentence, absent when CBS covers it), `covered_by`,
/// `not_covered_by`.
impl Serialize for Coverage {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Coverage", 3)?;
        s.serialize_field("coverage", &self.cbs.sentence())?;
        s.serialize_field("covered_by", &self.covered_by)?;
        s.serialize_field("not_covered_by", &self.not_covered_by)?;
        s.end()
    }
}
