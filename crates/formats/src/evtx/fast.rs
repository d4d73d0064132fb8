//! Reads a healthy event log without rendering it: for each record, the provider and channel come straight
//! from its template and substitution values, and only the records of providers the mapping reads have
//! their fields taken out. The `evtx` crate builds a full tree of every record and renders it; on a System
//! log, where one record in ten comes from a mapped provider, that was nearly all of the time.
//!
//! Records of the common shape (a fragment holding one template instance) are read here; a chunk with any
//! other shape, or damage, makes [`parse`] give up, and the whole file is then read by the crate.
//! `fast_parity.rs` compares both readers' fields on every record of every fixture.

#![forbid(unsafe_code)]

use super::binxml::{Cursor, Unsupported, Value, instance_definition, read_values};
use super::layout::{CHUNK_SIZE, HEADER_SIZE, Layout, Slot};
use super::template::{Template, Templates, template_at};
use super::{Item, MAPPED_PROVIDERS, Parsed, source_from_channel};
use crate::event::Source;
use rayon::prelude::*;
use std::fs::File;

/// Reads every chunk of a file the layout found whole, in the order the crate reads them (from the chunk
/// holding the oldest records, wrapping around). `Err` leaves the file to the crate.
pub(super) fn parse(path_in_bundle: &str, file: &File, layout: &Layout) -> Result<Parsed, Unsupported> {
    if layout.cut_off.is_some() || layout.slots.iter().any(|slot| !matches!(slot, Slot::Chunk { .. } | Slot::Zeroed)) {
        return Err("the file is not whole");
    }
    let oldest = layout
        .slots
        .iter()
        .enumerate()
        .filter_map(|(number, slot)| match slot {
            Slot::Chunk { first, last } if first <= last => Some((*first, number)),
            _ => None,
        })
        .min()
        .map_or(0, |(_, number)| number);
    let order: Vec<usize> =
        (oldest..layout.slots.len()).chain(0..oldest).filter(|&n| layout.slots[n] != Slot::Zeroed).collect();
    // Chunks are independent: each is read and parsed on whichever core is free, and the results are put
    // together in the crate's order. Only the events are kept, so memory follows the events, not the file.
    let parts: Vec<Result<Parsed, Unsupported>> = order
        .par_iter()
        .map_init(
            || vec![0u8; CHUNK_SIZE],
            |chunk, &number| {
                read_at(file, (HEADER_SIZE + number * CHUNK_SIZE) as u64, chunk).map_err(|_| "read failed")?;
                chunk_parsed(chunk, path_in_bundle)
            },
        )
        .collect();
    let mut parsed = Parsed::default();
    for part in parts {
        parsed.merge(part?);
    }
    Ok(parsed)
}

/// Fills `buf` from `offset` without moving a shared cursor, so that threads can read one file at once.
#[cfg(unix)]
fn read_at(file: &File, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        match std::os::windows::fs::FileExt::seek_read(file, &mut buf[done..], offset + done as u64)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => done += n,
        }
    }
    Ok(())
}

/// Elsewhere there is no positional read to share one file between threads: the crate reads the file.
#[cfg(not(any(unix, windows)))]
fn read_at(_file: &File, _offset: u64, _buf: &mut [u8]) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

fn chunk_parsed(chunk: &[u8], path: &str) -> Result<Parsed, Unsupported> {
    let first = u64::from_le_bytes(chunk.get(24..32).and_then(|b| b.try_into().ok()).ok_or("a chunk too short")?);
    let mut parsed = Parsed::default();
    walk_records(chunk, |record, template, templates| {
        parsed.add(Ok(item(chunk, first, path, &record, template, templates)?));
        Ok(())
    })?;
    Ok(parsed)
}

/// One record of a chunk: its header fields and substitution values.
pub(super) struct Record {
    pub id: u64,
    /// Unix milliseconds of the record header's FILETIME.
    pub millis: i64,
    pub values: Vec<Value>,
}

/// Walks a chunk's records as the crate does (from the end of the chunk header to the free space, stopping
/// after the record the header names as the last), handing each one and its template to `visit`.
pub(super) fn walk_records(
    chunk: &[u8],
    mut visit: impl FnMut(Record, &Template, &mut Templates) -> Result<(), Unsupported>,
) -> Result<(), Unsupported> {
    let mut header = Cursor::at(chunk, 32);
    let last = u64::from(header.u32()?) | u64::from(header.u32()?) << 32;
    let free_space = Cursor::at(chunk, 48).u32()? as usize;
    let live_end = free_space.min(chunk.len());
    check_string_table(chunk)?;
    let mut templates = Templates::new();
    let mut offset = 512;
    while offset < live_end {
        let mut cursor = Cursor::at(chunk, offset);
        if cursor.bytes(4)? != b"\x2a\x2a\x00\x00" {
            return Err("a record without its signature");
        }
        let size = cursor.u32()? as usize;
        let id = u64::from(cursor.u32()?) | u64::from(cursor.u32()?) << 32;
        let filetime = u64::from(cursor.u32()?) | u64::from(cursor.u32()?) << 32;
        let binxml = offset + 24;
        let binxml_end = size.checked_sub(28).and_then(|len| binxml.checked_add(len)).ok_or("a record too short")?;
        let bounded = chunk.get(..binxml_end).ok_or("a record larger than its chunk")?;
        let mut cursor = Cursor::at(bounded, binxml);
        if bounded.get(binxml) == Some(&0x0f) {
            cursor.bytes(4)?;
        }
        if cursor.u8()? != 0x0c {
            return Err("a record that is not one template instance");
        }
        let definition = instance_definition(&mut cursor)?;
        let values = read_values(&mut cursor)?;
        if !matches!(bounded.get(cursor.pos), None | Some(0x00)) {
            return Err("a record with more than one template instance");
        }
        let template = template_at(chunk, definition, &mut templates)?;
        visit(Record { id, millis: millis_of(filetime)?, values }, &template, &mut templates)?;
        if id == last {
            break;
        }
        offset += size;
    }
    Ok(())
}

/// The chunk header's 64 chains of names (at 128), each name: next u32, hash u16, length u16, UTF-16, NUL.
/// The crate reads them all before any record and gives up on the chunk when one is out of bounds or not
/// UTF-16; a chunk it gives up on is left to it, so that its loss is reported the same way.
fn check_string_table(chunk: &[u8]) -> Result<(), Unsupported> {
    let mut seen = std::collections::HashSet::new();
    for bucket in 0..64 {
        let mut offset = Cursor::at(chunk, 128 + bucket * 4).u32()?;
        while offset > 0 && seen.insert(offset) {
            let mut cursor = Cursor::at(chunk, offset as usize);
            let next = cursor.u32()?;
            cursor.u16()?;
            let len = cursor.u16()? as usize;
            let units = cursor.bytes(len * 2)?.as_chunks::<2>().0.iter().map(|&pair| u16::from_le_bytes(pair));
            if char::decode_utf16(units).any(|c| c.is_err()) {
                return Err("a name in the string table that is not UTF-16");
            }
            cursor.u16()?;
            offset = next;
        }
    }
    Ok(())
}

/// The record's time in Unix milliseconds, as the crate reads the FILETIME (it refuses those past year 9999).
fn millis_of(filetime: u64) -> Result<i64, Unsupported> {
    let millis = super::values::unix_ticks(filetime).ok_or("a record time past year 9999")?.div_euclid(10_000);
    if millis > 253_402_300_799_999 {
        return Err("a record time past year 9999");
    }
    Ok(millis)
}

/// What one record means: its channel's source always; its event only when its provider is a mapped one.
fn item(
    chunk: &[u8],
    chunk_first: u64,
    path: &str,
    record: &Record,
    template: &Template,
    templates: &mut Templates,
) -> Result<Item, Unsupported> {
    let utc = (super::SANE_FROM_MILLIS..super::SANE_UNTIL_MILLIS)
        .contains(&record.millis)
        .then(|| crate::time::CivilTime::from_millis(record.millis));
    let bad_time = utc.is_none();
    // One name per chunk is enough to tell machines apart, and costs nothing on the other records.
    let computer = (record.id == chunk_first)
        .then(|| template.computer(chunk, &record.values).map(|c| (c.into_owned(), record.id)))
        .flatten();
    let provider = template.provider(chunk, &record.values);
    let mapped = provider.as_deref().is_none_or(|name| MAPPED_PROVIDERS.contains(&name));
    if !mapped {
        let channel = template.channel(chunk, &record.values);
        let source = channel.as_deref().map_or(Source::OtherEvtx, source_from_channel);
        return Ok(Item { chunk_first, source: Some(source), bad_time, event: None, computer });
    }
    let fields = super::resolve::fields_of(chunk, &template.tree, &record.values, templates)?;
    let event = super::map::to_event(&fields, path).map(|mut event| {
        event.record = Some(record.id);
        event.utc = utc;
        event
    });
    Ok(Item { chunk_first, source: Some(source_from_channel(&fields.channel)), bad_time, event, computer })
}
