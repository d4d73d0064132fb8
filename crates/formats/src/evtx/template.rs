//! A chunk's template definitions, each read once into its element tree (which `resolve` fills in with a
//! record's values) together with where the record's provider, channel and computer come from (which `fast` reads
//! straight from the values, to skip the records of providers the mapping ignores). Both use one cache of
//! templates per chunk; it sits below them so that neither depends on the other for it.

use super::binxml::{self, Cursor, Element, Node, Piece, Unsupported, Value};
use std::borrow::Cow;
use std::collections::HashMap;
use std::rc::Rc;

/// Where a template takes one of the record's header values from.
#[derive(Debug, Clone)]
enum From {
    Literal(String),
    Slot(u16),
    /// Absent, or made of several pieces: read by resolving the whole record.
    Elsewhere,
}

/// A template definition of a chunk, read once and used by every record that instantiates it.
pub(super) struct Template {
    pub tree: Vec<Node>,
    provider: From,
    channel: From,
    computer: From,
}

impl Template {
    /// The record's provider name; `None` when it can only be known by resolving the whole record.
    pub fn provider<'t>(&'t self, chunk: &[u8], values: &[Value]) -> Option<Cow<'t, str>> {
        header_value(chunk, &self.provider, values)
    }

    /// The record's channel; `None` when it can only be known by resolving the whole record.
    pub fn channel<'t>(&'t self, chunk: &[u8], values: &[Value]) -> Option<Cow<'t, str>> {
        header_value(chunk, &self.channel, values)
    }

    /// The name of the machine that wrote the record; `None` when it can only be known by resolving it.
    pub fn computer<'t>(&'t self, chunk: &[u8], values: &[Value]) -> Option<Cow<'t, str>> {
        header_value(chunk, &self.computer, values)
    }
}

/// A chunk's templates read so far, by their definition's offset.
pub(super) type Templates = HashMap<u32, Rc<Template>>;

/// The template defined at `definition`, read once per chunk.
pub(super) fn template_at(
    chunk: &[u8],
    definition: u32,
    templates: &mut Templates,
) -> Result<Rc<Template>, Unsupported> {
    if let Some(template) = templates.get(&definition) {
        return Ok(Rc::clone(template));
    }
    let template = Rc::new(read_template(chunk, definition)?);
    templates.insert(definition, Rc::clone(&template));
    Ok(template)
}

fn read_template(chunk: &[u8], definition: u32) -> Result<Template, Unsupported> {
    let mut cursor = Cursor::at(chunk, definition as usize + 20);
    let size = cursor.u32()? as usize;
    let tree = binxml::read_stream(chunk, cursor.pos, cursor.pos + size, true)?;
    let system = find(&tree, "Event").and_then(|event| child(event, "System"));
    let provider = system
        .and_then(|s| child(s, "Provider"))
        .and_then(|p| attribute(p, "Name"))
        .map_or(From::Elsewhere, from_pieces);
    let text_of = |name: &str| match system.and_then(|s| child(s, name)) {
        Some(element) => from_pieces(&element.children.iter().filter_map(text_piece).cloned().collect::<Vec<_>>()),
        None => From::Literal(String::new()),
    };
    let (channel, computer) = (text_of("Channel"), text_of("Computer"));
    Ok(Template { tree, provider, channel, computer })
}

fn from_pieces(pieces: &[Piece]) -> From {
    match pieces {
        [Piece::Literal(text)] => From::Literal(text.clone()),
        [Piece::Slot { index, .. }] => From::Slot(*index),
        _ => From::Elsewhere,
    }
}

/// A header value of the record; `None` when it can only be known by resolving the whole record.
fn header_value<'t>(chunk: &[u8], from: &'t From, values: &[Value]) -> Option<Cow<'t, str>> {
    match from {
        From::Literal(text) => Some(Cow::Borrowed(text)),
        From::Slot(index) => match values.get(*index as usize) {
            Some(value) if value.kind == 0x01 => Some(Cow::Owned(binxml::utf16(value.bytes(chunk)))),
            Some(value) if value.kind == 0x00 => Some(Cow::Borrowed("")),
            None => Some(Cow::Borrowed("")),
            Some(_) => None,
        },
        From::Elsewhere => None,
    }
}

fn find<'t>(nodes: &'t [Node], name: &str) -> Option<&'t Element> {
    nodes.iter().find_map(|node| match node {
        Node::Element(element) if element.name == name => Some(element),
        _ => None,
    })
}

fn child<'t>(element: &'t Element, name: &str) -> Option<&'t Element> {
    find(&element.children, name)
}

fn attribute<'t>(element: &'t Element, name: &str) -> Option<&'t [Piece]> {
    element.attributes.iter().find(|(n, _)| n == name).map(|(_, pieces)| pieces.as_slice())
}

fn text_piece(node: &Node) -> Option<&Piece> {
    match node {
        Node::Text(piece) => Some(piece),
        _ => None,
    }
}
