//! Civil (wall-clock) times as logs write them, without a zone, and the arithmetic needed to put them on UTC.

use serde::{Serialize, Serializer};
use std::fmt;

/// A wall-clock time with millisecond resolution and no zone: what a log line's timestamp says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilTime {
    /// Milliseconds since 1970-01-01 00:00:00 of the same (unknown) zone.
    millis: i64,
}

impl CivilTime {
    pub fn from_parts(
        year: i32,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
        milli: u32,
    ) -> Option<Self> {
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
            || milli > 999
        {
            return None;
        }
        let days = days_from_civil(year, month, day);
        let secs = days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
        Some(CivilTime { millis: secs * 1000 + i64::from(milli) })
    }

    pub fn millis(self) -> i64 {
        self.millis
    }

    pub fn from_millis(millis: i64) -> Self {
        CivilTime { millis }
    }

    /// Moves the time by a number of seconds (e.g. to turn local time into UTC).
    pub fn shifted(self, seconds: i64) -> Self {
        CivilTime { millis: self.millis + seconds * 1000 }
    }

    /// Parses `YYYY-MM-DD HH:MM:SS` at the start of `bytes`.
    pub fn parse_dashed(bytes: &[u8]) -> Option<Self> {
        if bytes.len() < 19
            || bytes[4] != b'-'
            || bytes[7] != b'-'
            || bytes[10] != b' '
            || bytes[13] != b':'
            || bytes[16] != b':'
        {
            return None;
        }
        let year = digits(&bytes[0..4])?;
        let month = digits(&bytes[5..7])?;
        let day = digits(&bytes[8..10])?;
        let hour = digits(&bytes[11..13])?;
        let minute = digits(&bytes[14..16])?;
        let second = digits(&bytes[17..19])?;
        Self::from_parts(year as i32, month, day, hour, minute, second, 0)
    }

    /// Parses `yyyy/m/d:h:mm:ss.mmm` (the CSI UTC stamp) at the start of `text`; returns the time and length used.
    pub fn parse_csi_stamp(text: &[u8]) -> Option<(Self, usize)> {
        let mut fields = [0u32; 7];
        let separators = [b'/', b'/', b':', b':', b':', b'.'];
        let mut index = 0;
        let mut pos = 0;
        for (field, slot) in fields.iter_mut().enumerate() {
            let start = pos;
            while pos < text.len() && text[pos].is_ascii_digit() && pos - start < 4 {
                pos += 1;
            }
            if pos == start {
                return None;
            }
            *slot = digits(&text[start..pos])?;
            if field < separators.len() {
                if text.get(pos) != Some(&separators[field]) {
                    return None;
                }
                pos += 1;
            }
            index = pos;
        }
        let [year, month, day, hour, minute, second, milli] = fields;
        Self::from_parts(year as i32, month, day, hour, minute, second, milli).map(|t| (t, index))
    }

    pub fn date_time_parts(self) -> (i32, u32, u32, u32, u32, u32, u32) {
        let secs = self.millis.div_euclid(1000);
        let milli = self.millis.rem_euclid(1000) as u32;
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        (y, m, d, (rem / 3600) as u32, ((rem % 3600) / 60) as u32, (rem % 60) as u32, milli)
    }
}

impl fmt::Display for CivilTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s, ms) = self.date_time_parts();
        write!(f, "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")?;
        if ms != 0 {
            write!(f, ".{ms:03}")?;
        }
        Ok(())
    }
}

impl Serialize for CivilTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (y, mo, d, h, mi, sec, ms) = self.date_time_parts();
        s.serialize_str(&format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{sec:02}.{ms:03}"))
    }
}

/// Offsets in use are whole quarter hours (UTC+05:45, UTC+08:45 and UTC+12:45 are the finest).
const QUARTER_MS: i64 = 900_000;
/// How far from a quarter hour a local−UTC difference may be and still count as an offset: two stamps of one
/// moment are written a moment apart (CBS's local prefix has whole seconds, its CSI stamp milliseconds; the
/// components that record one update result write it up to 2 s apart). 5 s covers that with room and stays far
/// from the 900 s grid.
pub const OFFSET_TOLERANCE_MS: i64 = 5_000;
/// The widest offsets in use are UTC−12 and UTC+14.
pub const MAX_OFFSET_MS: i64 = 14 * 3600 * 1000;

/// Local − UTC of one moment, rounded to the nearest quarter hour, when it is within [`OFFSET_TOLERANCE_MS`]
/// of one and a possible offset.
pub fn quarter_hour_offset_ms(local: CivilTime, utc: CivilTime) -> Option<i64> {
    let diff = local.millis() - utc.millis();
    let rounded = (diff + QUARTER_MS / 2).div_euclid(QUARTER_MS) * QUARTER_MS;
    ((diff - rounded).abs() <= OFFSET_TOLERANCE_MS && rounded.abs() <= MAX_OFFSET_MS).then_some(rounded)
}

/// Formats a UTC offset in seconds as `+08:00`.
pub fn format_offset(seconds: i64) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let abs = seconds.abs();
    format!("{sign}{:02}:{:02}", abs / 3600, (abs % 3600) / 60)
}

fn digits(bytes: &[u8]) -> Option<u32> {
    let mut value = 0u32;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u32::from(b - b'0');
    }
    Some(value)
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days.
fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y as i32, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashed_and_csi_stamps_round_trip() {
        let local = CivilTime::parse_dashed(b"2019-07-29 22:36:17, Error").expect("valid");
        assert_eq!(local.to_string(), "2019-07-29 22:36:17");
        let (utc, used) = CivilTime::parse_csi_stamp(b"2019/7/29:15:36:17.166 (F)").expect("valid");
        assert_eq!(used, 22);
        assert_eq!(utc.to_string(), "2019-07-29 15:36:17.166");
        assert_eq!((local.millis() - utc.millis() + 500).div_euclid(1000), 7 * 3600);
    }

    #[test]
    fn impossible_dates_are_rejected() {
        assert!(CivilTime::parse_dashed(b"2023-02-29 00:00:00").is_none());
        assert!(CivilTime::parse_dashed(b"2024-02-29 00:00:00").is_some());
        assert!(CivilTime::parse_dashed(b"2024-13-01 00:00:00").is_none());
    }

    #[test]
    fn offsets_format_with_sign() {
        assert_eq!(format_offset(8 * 3600), "+08:00");
        assert_eq!(format_offset(-4 * 3600 - 1800), "-04:30");
    }
}
