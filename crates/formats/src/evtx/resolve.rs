//! A record's element tree with every substitution replaced by its value, and the fields the mapping reads
//! taken from it the way [`super::fields::from_json`] takes them from the crate's JSON rendering.

use super::binxml::{self, Element, Node, Piece, Unsupported, Value};
use super::fields::Fields;
use super::template::{Templates, template_at};

/// A record's element tree with every substitution replaced by its value.
#[derive(Debug, Default)]
struct Resolved {
    name: String,
    attributes: Vec<(String, Option<String>)>,
    children: Vec<ResolvedNode>,
}

#[derive(Debug)]
enum ResolvedNode {
    Element(Resolved),
    /// `None` for a null value.
    Text(Option<String>),
}

/// Which child elements to resolve: `None` for all. Only the header fields of `System` are read, and
/// formatting the others (times, GUIDs, SIDs) was most of the cost of a record.
type Wanted = Option<&'static [&'static str]>;

/// The children worth resolving inside an element of `name`, when its parent was filtered.
fn wanted_in(name: &str) -> Wanted {
    match name {
        "Event" => Some(&["System", "EventData", "UserData"]),
        "System" => Some(&["Provider", "EventID", "Level", "Channel"]),
        _ => None,
    }
}

/// Resolves the trees of one chunk, reading each nested template definition once.
struct Resolver<'c, 't> {
    chunk: &'c [u8],
    templates: &'t mut Templates,
    /// Fragments being resolved inside one another.
    depth: usize,
}

impl Resolver<'_, '_> {
    /// Resolves `nodes` into `out`. `top` for a template's or fragment's own top level, whose elements are
    /// rendered whatever their dependency says.
    fn nodes(
        &mut self,
        nodes: &[Node],
        values: &[Value],
        top: bool,
        wanted: Wanted,
        out: &mut Vec<ResolvedNode>,
    ) -> Result<(), Unsupported> {
        let chunk = self.chunk;
        for node in nodes {
            match node {
                Node::Element(element) if wanted.is_some_and(|names| !names.contains(&element.name.as_str())) => {}
                Node::Element(element)
                    if !top
                        && element
                            .dependency
                            .and_then(|slot| values.get(slot as usize))
                            .is_some_and(|value| value.kind == 0x00) => {}
                Node::Text(Piece::Slot { index, optional: true })
                    if values.get(*index as usize).is_some_and(|value| is_empty(chunk, value)) => {}
                Node::Element(element) => {
                    let inner = wanted.and_then(|_| wanted_in(&element.name));
                    match string_array_in(element, values) {
                        // Windows repeats the element once per item of an array value (MS-EVEN6 §3.1.4.7.5).
                        Some((index, array)) => {
                            for item in string_array_items(chunk, array) {
                                let mut one = values.to_vec();
                                one[index] = item;
                                out.push(ResolvedNode::Element(self.element(element, &one, inner)?));
                            }
                        }
                        None => out.push(ResolvedNode::Element(self.element(element, values, inner)?)),
                    }
                }
                Node::Text(Piece::Literal(text)) => out.push(ResolvedNode::Text(Some(text.clone()))),
                Node::Text(Piece::Slot { index, .. }) => match values.get(*index as usize) {
                    Some(value) if value.kind == 0x21 => self.embedded(value, out)?,
                    Some(value) => out.push(ResolvedNode::Text(super::values::text(value.kind, value.bytes(chunk))?)),
                    None => out.push(ResolvedNode::Text(None)),
                },
                Node::Instance { definition, values: inner } => {
                    let template = template_at(chunk, *definition, self.templates)?;
                    self.nodes(&template.tree, inner, true, None, out)?;
                }
            }
        }
        Ok(())
    }

    /// A substitution value that is itself a BinXML fragment (`UserData` payloads, for one); its name and
    /// template offsets are the chunk's.
    fn embedded(&mut self, value: &Value, out: &mut Vec<ResolvedNode>) -> Result<(), Unsupported> {
        if self.depth >= binxml::MAX_DEPTH {
            return Err("fragments nested deeper than any event's");
        }
        let nodes = binxml::read_stream(self.chunk, value.at, value.at + value.len, false)?;
        self.depth += 1;
        let resolved = self.nodes(&nodes, &[], true, None, out);
        self.depth -= 1;
        resolved
    }

    fn element(&mut self, element: &Element, values: &[Value], wanted: Wanted) -> Result<Resolved, Unsupported> {
        let chunk = self.chunk;
        let mut attributes = Vec::with_capacity(element.attributes.len());
        for (name, pieces) in &element.attributes {
            let mut text: Option<String> = None;
            let mut dropped = false;
            for piece in pieces {
                let part = match piece {
                    Piece::Literal(literal) => Some(literal.clone()),
                    Piece::Slot { index, optional } => {
                        let value = values.get(*index as usize);
                        dropped |= *optional && value.is_none_or(|value| is_empty(chunk, value));
                        match value {
                            Some(value) if value.kind != 0x21 => super::values::text(value.kind, value.bytes(chunk))?,
                            Some(_) => return Err("a fragment as an attribute value"),
                            None => None,
                        }
                    }
                };
                if let Some(part) = part {
                    text.get_or_insert_with(String::new).push_str(&part);
                }
            }
            if !dropped {
                attributes.push((name.clone(), text));
            }
        }
        let mut children = Vec::new();
        self.nodes(&element.children, values, false, wanted, &mut children)?;
        Ok(Resolved { name: element.name.clone(), attributes, children })
    }
}

/// Whether an optional substitution of this value is left out: null, or an empty string, binary, fragment
/// or array.
fn is_empty(chunk: &[u8], value: &Value) -> bool {
    match value.kind {
        0x00 => true,
        0x01 => binxml::utf16(value.bytes(chunk)).is_empty(),
        0x02 | 0x0e | 0x21 => value.len == 0,
        kind => kind & 0x80 != 0 && value.len == 0,
    }
}

/// The slot and value of a string array that is part of the element's text.
fn string_array_in(element: &Element, values: &[Value]) -> Option<(usize, Value)> {
    element.children.iter().find_map(|node| match node {
        Node::Text(Piece::Slot { index, .. }) => {
            let index = *index as usize;
            values.get(index).filter(|value| value.kind == 0x81).map(|value| (index, *value))
        }
        _ => None,
    })
}

/// The items of a string array (NUL-terminated UTF-16 strings one after another) as string values; an
/// empty item as a null value, which renders as no text.
fn string_array_items(chunk: &[u8], array: Value) -> Vec<Value> {
    let bytes = array.bytes(chunk);
    let mut items = Vec::new();
    let mut start = 0;
    for (unit, pair) in bytes.chunks_exact(2).enumerate() {
        let at = unit * 2;
        if pair == [0, 0] {
            items.push(Value { kind: if at > start { 0x01 } else { 0x00 }, at: array.at + start, len: at - start });
            start = at + 2;
        }
    }
    if start + 1 < bytes.len() {
        items.push(Value { kind: 0x01, at: array.at + start, len: (bytes.len() - start) & !1 });
    }
    items
}

/// The fields the mapping reads, taken the way [`super::fields::from_json`] takes them from the crate's JSON.
pub(super) fn fields_of(
    chunk: &[u8],
    tree: &[Node],
    values: &[Value],
    templates: &mut Templates,
) -> Result<Fields, Unsupported> {
    let mut roots = Vec::new();
    Resolver { chunk, templates, depth: 0 }.nodes(tree, values, true, Some(&["Event"]), &mut roots)?;
    let mut fields = Fields::default();
    let Some(event) = roots.iter().find_map(|node| element_named(node, "Event")) else {
        return Ok(fields);
    };
    let part = |name: &str| event.children.iter().find_map(|node| element_named(node, name));
    if let Some(system) = part("System") {
        let field = |name: &str| system.children.iter().find_map(|node| element_named(node, name));
        fields.provider = field("Provider")
            .and_then(|p| p.attributes.iter().find(|(n, _)| n == "Name"))
            .and_then(|(_, value)| value.clone())
            .unwrap_or_default();
        let number = |name: &str| field(name).and_then(text_of).and_then(|t| t.trim().parse::<u64>().ok());
        fields.event_id = number("EventID").and_then(|n| u32::try_from(n).ok()).unwrap_or(0);
        fields.level = number("Level").and_then(|n| u8::try_from(n).ok()).unwrap_or(0);
        fields.channel = field("Channel").and_then(text_of).unwrap_or_default();
    }
    for name in ["EventData", "UserData"] {
        if let Some(payload) = part(name) {
            collect(payload, &mut fields);
        }
    }
    Ok(fields)
}

fn element_named<'r>(node: &'r ResolvedNode, name: &str) -> Option<&'r Resolved> {
    match node {
        ResolvedNode::Element(element) if element.name == name => Some(element),
        _ => None,
    }
}

/// An element's text: its text children joined, `None` when there is none or all are null or empty.
fn text_of(element: &Resolved) -> Option<String> {
    let mut text: Option<String> = None;
    for node in &element.children {
        if let ResolvedNode::Text(Some(part)) = node
            && !part.is_empty()
        {
            text.get_or_insert_with(String::new).push_str(part);
        }
    }
    text
}

/// The payload's values as `fields::collect` reads the crate's JSON of it: `<Data Name="n">` and other
/// elements become named values (an element holding elements is read through), `<Data>` without a name
/// becomes an unnamed one, `Binary` and attributes are passed over. The crate names the second element
/// with a name already used in the same object `name_1`, the third `name_2`.
fn collect(element: &Resolved, fields: &mut Fields) {
    let mut used: Vec<String> = Vec::new();
    for node in &element.children {
        let ResolvedNode::Element(child) = node else { continue };
        let name = child.attributes.iter().find(|(n, _)| n == "Name").and_then(|(_, v)| v.clone());
        let mut key = match (child.name.as_str(), name) {
            ("Data", Some(name)) => name,
            (other, _) => other.to_string(),
        };
        let holds_elements = child.children.iter().any(|n| matches!(n, ResolvedNode::Element(_)));
        if key == "Data" {
            if holds_elements {
                collect(child, fields);
            } else {
                fields.unnamed.push(text_of(child).unwrap_or_default());
            }
            continue;
        }
        if used.contains(&key) {
            let base = key.clone();
            key = (1..).map(|n| format!("{base}_{n}")).find(|candidate| !used.contains(candidate)).unwrap_or(base);
        }
        used.push(key.clone());
        if key == "Binary" {
            continue;
        }
        if holds_elements {
            collect(child, fields);
            continue;
        }
        let text = text_of(child);
        // An element with attributes and no text renders as an object of attributes alone: no value.
        let renders_attributes = child.attributes.iter().any(|(n, _)| child.name != "Data" || n != "Name");
        if text.is_none() && renders_attributes {
            continue;
        }
        fields.named.push((key, text.unwrap_or_default()));
    }
}
