//! Civil (wall-clock) times as logs write them, without a zone, and the arithmetic needed to put them on UTC.
//!
//! A [`CivilTime`] is a count of milliseconds from 1970-01-01 00:00 of its own (unknown) zone, so ordering,
//! hashing and shifting it are integer operations. The calendar (whether a date exists, how many days lie
//! between it and 1970, which date a count of days is) is jiff's. The stamp parsers run on the CBS lines the scan
//! picks out and on every line of the smaller logs, so the date jiff converted last is remembered per thread
//! (see `date_seconds`).

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::Offset;
use serde::{Serialize, Serializer};
use std::cell::Cell;
use std::fmt;

/// A wall-clock time with millisecond resolution and no zone: what a log line's timestamp says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilTime {
    /// Milliseconds since 1970-01-01 00:00:00 of the same (unknown) zone.
    millis: i64,
}

impl CivilTime {
    /// The time these parts name, or `None` when they name none: jiff's calendar checks the date (29 February
    /// only in a leap year) and counts its days. A leap second (`:60`) is the next minute's `:00`, as it always
    /// was here (jiff's own times stop at `:59`); a year so far out that its milliseconds overflow is `None`.
    pub fn from_parts(
        year: i32,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
        milli: u32,
    ) -> Option<Self> {
        if hour > 23 || minute > 59 || second > 60 || milli > 999 {
            return None;
        }
        let midnight = date_seconds(year, month, day)?;
        let secs = midnight + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
        secs.checked_mul(1000)?.checked_add(i64::from(milli)).map(|millis| CivilTime { millis })
    }

    pub fn millis(self) -> i64 {
        self.millis
    }

    pub fn from_millis(millis: i64) -> Self {
        CivilTime { millis }
    }

    /// Moves the time by a number of seconds (e.g. to turn local time into UTC). No calendar is involved: a
    /// civil time is a count of milliseconds, and a jiff `Timestamp` would only add a range check per event.
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

    /// Year, month, day, hour, minute, second and millisecond, by jiff's calendar.
    pub fn date_time_parts(self) -> (i32, u32, u32, u32, u32, u32, u32) {
        // Folded into the 400 years from 1970, which jiff always holds (any i64 of milliseconds is a time
        // here: FILETIMEs are formatted with this); the whole cycles go back on the year.
        let cycles = self.millis.div_euclid(MILLIS_PER_CYCLE);
        let within = self.millis.rem_euclid(MILLIS_PER_CYCLE);
        let at = Timestamp::from_millisecond(within).expect("400 years from 1970 are within jiff's range");
        let t = Offset::UTC.to_datetime(at);
        let year = i64::from(t.year()) + cycles * YEARS_PER_CYCLE;
        let part = |v: i8| v as u32;
        (
            year as i32,
            part(t.month()),
            part(t.day()),
            part(t.hour()),
            part(t.minute()),
            part(t.second()),
            t.millisecond() as u32,
        )
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

/// The Gregorian calendar repeats itself every 400 years, which are 146 097 days.
const YEARS_PER_CYCLE: i64 = 400;
const SECONDS_PER_CYCLE: i64 = 146_097 * 86_400;
const MILLIS_PER_CYCLE: i64 = SECONDS_PER_CYCLE * 1000;
const EPOCH: Date = Date::constant(1970, 1, 1);
/// The years jiff's calendar holds.
const JIFF_YEARS: std::ops::RangeInclusive<i32> = -9999..=9999;

/// A year jiff holds and the whole 400-year cycles taken off to reach it: jiff's calendar ends at ±9999, while a
/// civil time goes as far as its milliseconds do (a FILETIME can name the year 30828, a corrupt record any year),
/// as it did before jiff.
fn fold_year(year: i32) -> Option<(i16, i64)> {
    let cycles = if JIFF_YEARS.contains(&year) { 0 } else { (i64::from(year) - 1970).div_euclid(YEARS_PER_CYCLE) };
    let folded = i16::try_from(i64::from(year) - cycles * YEARS_PER_CYCLE).ok()?;
    Some((folded, cycles))
}

thread_local! {
    /// The date [`date_seconds`] converted last on this thread (year, month, day) and its seconds.
    static LAST_DATE: Cell<Option<(i32, u32, u32, i64)>> = const { Cell::new(None) };
}

/// Seconds from 1970-01-01 to the start of this date; `None` if there is no such date.
///
/// The fast path: a log's stamps come in order, so nearly every one falls on the date of the stamp before it,
/// and that date's seconds are remembered. Asking jiff each time (a checked `Date`, then the days since 1970)
/// took about 40 instructions more per stamp than the calendar arithmetic this module did itself before jiff,
/// and `parse_dashed` runs on every CBS line the scan looks at; remembered, a stamp costs fewer than before.
fn date_seconds(year: i32, month: u32, day: u32) -> Option<i64> {
    LAST_DATE.with(|last| {
        if let Some((y, m, d, seconds)) = last.get()
            && (y, m, d) == (year, month, day)
        {
            return Some(seconds);
        }
        let seconds = jiff_date_seconds(year, month, day)?;
        last.set(Some((year, month, day, seconds)));
        Some(seconds)
    })
}

/// [`date_seconds`] without the memory: jiff checks the date and counts its days from 1970.
fn jiff_date_seconds(year: i32, month: u32, day: u32) -> Option<i64> {
    let (year, cycles) = fold_year(year)?;
    let date = Date::new(year, small(month)?, small(day)?).ok()?;
    cycles.checked_mul(SECONDS_PER_CYCLE)?.checked_add(date.duration_since(EPOCH).as_secs())
}

/// A month or day as jiff takes it; a number too large for one names no date.
fn small(value: u32) -> Option<i8> {
    i8::try_from(value).ok()
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
    fn every_day_of_eight_centuries_is_one_day_after_the_one_before() {
        let mut previous = CivilTime::from_parts(1599, 12, 31, 0, 0, 0, 0).expect("valid").millis();
        for year in 1600..=2400 {
            for month in 1..=12 {
                for day in 1..=31 {
                    let Some(t) = CivilTime::from_parts(year, month, day, 0, 0, 0, 0) else {
                        assert!(day > 28, "{year}-{month}-{day} exists");
                        continue;
                    };
                    assert_eq!(t.millis() - previous, 86_400_000, "{year}-{month}-{day}");
                    assert_eq!(t.date_time_parts(), (year, month, day, 0, 0, 0, 0));
                    previous = t.millis();
                }
            }
        }
        assert_eq!(CivilTime::from_parts(1970, 1, 1, 0, 0, 0, 0).map(CivilTime::millis), Some(0));
        assert_eq!(CivilTime::from_parts(2000, 3, 1, 0, 0, 0, 0).map(CivilTime::millis), Some(951_868_800_000));
    }

    #[test]
    fn a_leap_second_is_the_next_minute() {
        let leap = CivilTime::parse_dashed(b"2016-12-31 23:59:60").expect("valid");
        assert_eq!(leap.to_string(), "2017-01-01 00:00:00");
        assert!(CivilTime::parse_dashed(b"2016-12-31 23:59:61").is_none());
    }

    #[test]
    fn times_beyond_jiffs_years_keep_their_calendar() {
        // The largest FILETIME is 30828-09-14 02:48:05.4775807 UTC.
        let ticks = i64::MAX - 116_444_736_000_000_000;
        let last = CivilTime::from_millis(ticks.div_euclid(10_000));
        assert_eq!(last.date_time_parts(), (30828, 9, 14, 2, 48, 5, 477));
        assert_eq!(CivilTime::from_parts(30828, 9, 14, 2, 48, 5, 477), Some(last));
        let ancient = CivilTime::from_parts(-12_344, 2, 29, 1, 2, 3, 4).expect("-12344 is a leap year");
        assert_eq!(ancient.date_time_parts(), (-12_344, 2, 29, 1, 2, 3, 4));
        assert!(CivilTime::from_parts(-12_343, 2, 29, 0, 0, 0, 0).is_none());
        assert!(CivilTime::from_parts(i32::MAX, 1, 1, 0, 0, 0, 0).is_none(), "its milliseconds overflow");
        assert_eq!(CivilTime::from_millis(i64::MIN).to_string(), "-292275055-05-16 16:47:04.192");
    }

    #[test]
    fn offsets_format_with_sign() {
        assert_eq!(format_offset(8 * 3600), "+08:00");
        assert_eq!(format_offset(-4 * 3600 - 1800), "-04:30");
    }
}
