//! Substitution values as the `evtx` crate writes them in its JSON (numbers in decimal, GUIDs lower-case in
//! braces, binary as upper-case hex, FILETIMEs with seven fractional digits). Forms the mapping never meets
//! in practice (floats, arrays, system times, handles) are [`Unsupported`]: the crate reads those chunks.

use super::binxml::{Unsupported, utf16};

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// The text of one value; `None` for a null one.
pub(super) fn text(kind: u8, bytes: &[u8]) -> Result<Option<String>, Unsupported> {
    let le = |n: usize| -> Result<u64, Unsupported> {
        let bytes = bytes.get(..n).filter(|_| bytes.len() == n).ok_or("a value of the wrong size")?;
        Ok(bytes.iter().rev().fold(0u64, |acc, &b| acc << 8 | u64::from(b)))
    };
    let text = match kind {
        0x00 => return Ok(None),
        0x01 => utf16(bytes),
        0x02 if bytes.is_ascii() => String::from_utf8_lossy(bytes).trim_end_matches('\0').to_string(),
        0x03 => (le(1)? as u8 as i8).to_string(),
        0x04 => le(1)?.to_string(),
        0x05 => (le(2)? as u16 as i16).to_string(),
        0x06 => le(2)?.to_string(),
        0x07 => (le(4)? as u32 as i32).to_string(),
        0x08 => le(4)?.to_string(),
        0x09 => (le(8)? as i64).to_string(),
        0x0a => le(8)?.to_string(),
        0x0d => match le(4)? {
            0 => "false".to_string(),
            1 => "true".to_string(),
            _ => return Err("a boolean that is neither 0 nor 1"),
        },
        0x0e => bytes
            .iter()
            .flat_map(|&b| [HEX_UPPER[usize::from(b >> 4)], HEX_UPPER[usize::from(b & 15)]])
            .map(char::from)
            .collect(),
        0x0f => guid(bytes)?,
        0x10 if bytes.len() == 4 => format!("0x{:x}", le(4)?),
        0x10 => format!("0x{:x}", le(8)?),
        0x11 => filetime(le(8)?)?,
        0x12 => systime(bytes)?,
        0x13 => sid(bytes)?,
        0x14 => format!("0x{:x}", le(4)?),
        0x15 => format!("0x{:x}", le(8)?),
        _ => return Err("a value type this reader does not handle"),
    };
    Ok(Some(text))
}

fn guid(bytes: &[u8]) -> Result<String, Unsupported> {
    let b: &[u8; 16] = bytes.try_into().map_err(|_| "a GUID that is not 16 bytes")?;
    Ok(format!(
        "{{{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}}}",
        b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]
    ))
}

/// `S-1-5-18`: revision, sub-authority count, a 48-bit big-endian authority, then the sub-authorities.
fn sid(bytes: &[u8]) -> Result<String, Unsupported> {
    let [revision, count, authority @ ..] = bytes else { return Err("a SID too short") };
    let (authority, subs) = authority.split_at_checked(6).ok_or("a SID too short")?;
    let authority = authority.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b));
    let mut text = format!("S-{revision}-{authority}");
    for sub in subs.chunks_exact(4).take(*count as usize) {
        text.push_str(&format!("-{}", u32::from_le_bytes([sub[0], sub[1], sub[2], sub[3]])));
    }
    Ok(text)
}

/// 100 ns ticks from FILETIME's epoch (1601-01-01) to 1970-01-01.
const UNIX_EPOCH_TICKS: i64 = 116_444_736_000_000_000;

/// A FILETIME as 100 ns ticks since 1970-01-01 (negative before it); `None` past what an i64 holds.
pub(super) fn unix_ticks(filetime: u64) -> Option<i64> {
    i64::try_from(filetime).ok().map(|ticks| ticks - UNIX_EPOCH_TICKS)
}

/// `2023-05-10T10:20:30.1234567Z`; a zero FILETIME is `1601-01-01T00:00:00.0000000Z`.
fn filetime(filetime: u64) -> Result<String, Unsupported> {
    let ticks = unix_ticks(filetime).ok_or("a FILETIME out of range")?;
    let (year, month, day, hour, minute, second, _) =
        crate::time::CivilTime::from_millis(ticks.div_euclid(10_000)).date_time_parts();
    Ok(format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{:07}Z", ticks.rem_euclid(10_000_000)))
}

/// A SYSTEMTIME (eight u16: year, month, weekday, day, hour, minute, second, milliseconds) in the same form.
fn systime(bytes: &[u8]) -> Result<String, Unsupported> {
    let [year, month, _, day, hour, minute, second, millis] = <[u8; 16]>::try_from(bytes)
        .map_err(|_| "a SYSTEMTIME that is not 16 bytes")?
        .as_chunks::<2>()
        .0
        .iter()
        .map(|pair| u16::from_le_bytes(*pair))
        .collect::<Vec<_>>()[..]
    else {
        return Err("a SYSTEMTIME that is not 16 bytes");
    };
    Ok(format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{:07}Z", u32::from(millis) * 10_000))
}
