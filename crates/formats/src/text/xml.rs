//! A streaming walk over XML (Sessions.xml, pending.xml, Panther's diagerr/diagwrn rowsets, SetupDiag results,
//! setup's compatibility reports), calling back with each element, end tag and text with the line it is on, so
//! that readers quote XML evidence with file:line like every other source.

use patchdx_bundle::{Entry, Severity, Warning};
use quick_xml::events::{BytesStart, Event as XmlEvent};
use std::io::BufRead;

/// One XML item, with element and attribute names stripped of their prefixes.
pub enum Item<'a> {
    Start(String, Vec<(String, String)>),
    End(String),
    Text(&'a str),
}

pub fn attr(attrs: &[(String, String)], name: &str) -> Option<String> {
    attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

fn start_item(e: &BytesStart<'_>) -> Item<'static> {
    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
    let attrs = e
        .attributes()
        .flatten()
        .map(|a| {
            let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
            let value =
                a.unescape_value().map_or_else(|_| String::from_utf8_lossy(&a.value).into_owned(), |v| v.into());
            (key, value)
        })
        .collect();
    Item::Start(name, attrs)
}

/// Streams the XML of `reader`, calling `on` with each item and its line; `line_at` maps a byte offset of
/// the decoded text to its 1-based line. A parse error stops the walk and is returned as a warning.
fn walk<R: BufRead>(
    path: &str,
    reader: R,
    source: &[u8],
    mut line_at: impl FnMut(u64) -> u64,
    mut on: impl FnMut(Item<'_>, u64),
) -> Option<Warning> {
    let mut xml = quick_xml::Reader::from_reader(reader);
    xml.config_mut().trim_text(true);
    let mut buf = Vec::new();
    loop {
        let before = xml.buffer_position();
        let event = match xml.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(error) => {
                let line = line_at(xml.error_position());
                let message = format!("XML is malformed at line {line}: {error}; kept what was read before it");
                return Some(Warning { path: path.to_string(), severity: Severity::Damaged, message });
            }
        };
        // The reader stands just past the tag; a tag spread over lines started that many lines earlier.
        let inside = match &event {
            XmlEvent::Start(e) | XmlEvent::Empty(e) => memchr::memchr_iter(b'\n', e.as_ref()).count() as u64,
            _ => 0,
        };
        let line = match &event {
            // Text is trimmed, and the reader stands at the tag after it: the text's line is that of its first
            // character (`<Message>` then the message on the next line quotes the message's line).
            XmlEvent::Text(_) => {
                let rest = source.get(before as usize..).unwrap_or_default();
                let skipped = rest.iter().take_while(|b| b.is_ascii_whitespace()).count() as u64;
                line_at(before + skipped)
            }
            _ => line_at(xml.buffer_position()).saturating_sub(inside),
        };
        match &event {
            XmlEvent::Start(e) => on(start_item(e), line),
            XmlEvent::Empty(e) => {
                let item = start_item(e);
                let name = if let Item::Start(n, _) = &item { n.clone() } else { String::new() };
                on(item, line);
                on(Item::End(name), line);
            }
            XmlEvent::End(e) => on(Item::End(String::from_utf8_lossy(e.local_name().as_ref()).into_owned()), line),
            XmlEvent::Text(t) => on(Item::Text(&String::from_utf8_lossy(t.as_ref())), line),
            XmlEvent::Eof => return None,
            _ => {}
        }
        buf.clear();
    }
}

pub fn walk_str(path: &str, text: &str, on: impl FnMut(Item<'_>, u64)) -> Option<Warning> {
    let newlines: Vec<u64> = memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i as u64).collect();
    let line_at = |pos: u64| newlines.partition_point(|&n| n < pos) as u64 + 1;
    walk(path, text.as_bytes(), text.as_bytes(), line_at, on)
}

/// Walks a file read whole. Sessions.xml has been seen at 750 MB; files over 256 MiB are refused with an
/// `Unreadable` warning rather than held in memory (a streamed walk is possible with the same callbacks).
pub fn walk_entry(entry: &Entry, warnings: &mut Vec<Warning>, on: impl FnMut(Item<'_>, u64)) {
    if let Some(text) = super::read_text(entry, 256 << 20, warnings) {
        warnings.extend(walk_str(&entry.path, text.trim_start_matches('\u{feff}'), on));
    }
}
