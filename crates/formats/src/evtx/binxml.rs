//! The part of the BinXML grammar (MS-EVEN6 §2.2.3) that nearly every record uses: a template definition
//! or an embedded fragment read into a small element tree whose text and attribute values are literals or
//! substitution slots. Anything outside that part is reported as [`Unsupported`], and the caller then
//! leaves the whole file to the `evtx` crate, which reads every form.

/// Why a file is left to the `evtx` crate: its bytes use a form this reader does not handle, or they are
/// damaged. Never shown to a user: the crate then reads the file and reports what it finds.
pub(super) type Unsupported = &'static str;

/// One piece of an element's text or of an attribute's value.
#[derive(Debug, Clone)]
pub(super) enum Piece {
    Literal(String),
    /// Template substitution `index`; `optional` ones disappear when their value is null.
    Slot {
        index: u16,
        optional: bool,
    },
}

#[derive(Debug, Clone, Default)]
pub(super) struct Element {
    pub name: String,
    /// A template element's DependencyId: the slot whose null value leaves the element out (MS-EVEN6
    /// 2.2.12).
    pub dependency: Option<u16>,
    pub attributes: Vec<(String, Vec<Piece>)>,
    pub children: Vec<Node>,
}

#[derive(Debug, Clone)]
pub(super) enum Node {
    Element(Element),
    Text(Piece),
    /// A template instance inside an embedded fragment: the definition's offset in the chunk and its values.
    Instance {
        definition: u32,
        values: Vec<Value>,
    },
}

/// Little-endian reads that fail with a reason instead of panicking on short input.
pub(super) struct Cursor<'a> {
    pub data: &'a [u8],
    pub pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn at(data: &'a [u8], pos: usize) -> Self {
        Cursor { data, pos }
    }

    pub fn bytes(&mut self, len: usize) -> Result<&'a [u8], Unsupported> {
        let end = self.pos.checked_add(len).ok_or("length overflows")?;
        let slice = self.data.get(self.pos..end).ok_or("runs past the end of its chunk")?;
        self.pos = end;
        Ok(slice)
    }

    pub fn u8(&mut self) -> Result<u8, Unsupported> {
        Ok(self.bytes(1)?[0])
    }

    pub fn u16(&mut self) -> Result<u16, Unsupported> {
        let b = self.bytes(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub fn u32(&mut self) -> Result<u32, Unsupported> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// A UTF-16LE string as text, up to its first NUL (Windows often stores one or more at the end; the crate
/// reads every string as ending there).
pub(super) fn utf16(bytes: &[u8]) -> String {
    let pairs = bytes.as_chunks::<2>().0;
    let pairs = &pairs[..pairs.iter().position(|&pair| pair == [0, 0]).unwrap_or(pairs.len())];
    // Nearly every name and value is ASCII: take every other byte without decoding.
    if pairs.iter().all(|&[low, high]| high == 0 && low < 0x80) {
        return pairs.iter().map(|&[low, _]| char::from(low)).collect();
    }
    let units = pairs.iter().map(|&pair| u16::from_le_bytes(pair));
    char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect()
}

/// The name stored at `offset` in the chunk (string table entry: next u32, hash u16, length u16, UTF-16).
fn name_at(chunk: &[u8], offset: u32) -> Result<String, Unsupported> {
    let mut cursor = Cursor::at(chunk, offset as usize + 6);
    let len = cursor.u16()? as usize;
    Ok(utf16(cursor.bytes(len * 2)?))
}

/// Reads a name reference and steps over the name when it is stored right here rather than earlier.
fn name_ref(cursor: &mut Cursor<'_>) -> Result<String, Unsupported> {
    let offset = cursor.u32()?;
    let name = name_at(cursor.data, offset)?;
    if offset as usize == cursor.pos {
        let len = {
            let mut peek = Cursor::at(cursor.data, cursor.pos + 6);
            peek.u16()? as usize
        };
        cursor.bytes(10 + len * 2)?;
    }
    Ok(name)
}

/// Deeper nesting (of elements, or of fragments in values) is left to the crate: resolving is recursive, and
/// real events nest a handful of levels.
pub(super) const MAX_DEPTH: usize = 32;

/// The elements of the BinXML stream at `start` in `chunk` (a template definition when `template`, whose
/// element starts carry a dependency id; else an embedded fragment). Stops at its EOF token or `end`.
pub(super) fn read_stream(chunk: &[u8], start: usize, end: usize, template: bool) -> Result<Vec<Node>, Unsupported> {
    let mut stream =
        Stream { cursor: Cursor::at(chunk, start), template, stack: vec![Element::default()], in_start_tag: false };
    while stream.cursor.pos < end {
        let token = stream.cursor.u8()?;
        match token {
            0x00 => break,
            // Fragment header: version and flags.
            0x0f => {
                stream.cursor.bytes(3)?;
            }
            0x01 | 0x41 => stream.open_element(token)?,
            0x02 => stream.in_start_tag = false,
            0x03 | 0x04 => stream.close_element()?,
            0x06 | 0x46 => stream.attribute()?,
            0x05 | 0x45 | 0x0d | 0x0e => stream.value(token)?,
            0x0c if !template => stream.instance()?,
            _ => return Err("a BinXML token this reader does not handle"),
        }
    }
    if stream.stack.len() != 1 {
        return Err("the stream ends inside an element");
    }
    Ok(stream.stack.pop().map(|root| root.children).unwrap_or_default())
}

/// A BinXML stream being read: where the reader is and the elements still open.
struct Stream<'a> {
    cursor: Cursor<'a>,
    template: bool,
    /// Open elements; index 0 collects the stream's top-level nodes.
    stack: Vec<Element>,
    /// Whether the innermost element's start tag is still open (attributes may follow).
    in_start_tag: bool,
}

impl Stream<'_> {
    /// An element starts (`0x41`: one with attributes, whose start tag carries their size).
    fn open_element(&mut self, token: u8) -> Result<(), Unsupported> {
        let cursor = &mut self.cursor;
        let dependency = if self.template { Some(cursor.u16()?).filter(|&id| id != 0xffff) } else { None };
        cursor.u32()?;
        let name = name_ref(cursor)?;
        if token == 0x41 {
            cursor.u32()?;
        }
        if self.stack.len() > MAX_DEPTH {
            return Err("elements nested deeper than any event's");
        }
        self.stack.push(Element { name, dependency, ..Element::default() });
        self.in_start_tag = true;
        Ok(())
    }

    /// An element ends (empty, or after its content) and becomes a child of the one around it.
    fn close_element(&mut self) -> Result<(), Unsupported> {
        self.in_start_tag = false;
        if self.stack.len() < 2 {
            return Err("an element ends that never started");
        }
        let done = self.stack.pop().ok_or("an element ends that never started")?;
        self.stack.last_mut().ok_or("an element ends that never started")?.children.push(Node::Element(done));
        Ok(())
    }

    /// An attribute of the open start tag; its value follows.
    fn attribute(&mut self) -> Result<(), Unsupported> {
        let name = name_ref(&mut self.cursor)?;
        let open = self.stack.last_mut().filter(|_| self.in_start_tag).ok_or("an attribute outside a start tag")?;
        open.attributes.push((name, Vec::new()));
        Ok(())
    }

    /// A string literal (`0x05`, `0x45`) or a substitution slot (`0x0d`, `0x0e` optional): part of the
    /// attribute being read, or text of the open element.
    fn value(&mut self, token: u8) -> Result<(), Unsupported> {
        let cursor = &mut self.cursor;
        let piece = match token {
            0x05 | 0x45 => {
                if cursor.u8()? != 0x01 {
                    return Err("a literal value that is not a string");
                }
                let chars = cursor.u16()? as usize;
                Piece::Literal(utf16(cursor.bytes(chars * 2)?))
            }
            _ => {
                let index = cursor.u16()?;
                cursor.u8()?;
                Piece::Slot { index, optional: token == 0x0e }
            }
        };
        let depth = self.stack.len();
        let open = self.stack.last_mut().ok_or("a value outside any element")?;
        if self.in_start_tag {
            open.attributes.last_mut().ok_or("a value in a start tag without an attribute")?.1.push(piece);
        } else if depth > 1 {
            open.children.push(Node::Text(piece));
        } else {
            return Err("a value outside any element");
        }
        Ok(())
    }

    /// A template instance inside an embedded fragment: its definition's offset and its values.
    fn instance(&mut self) -> Result<(), Unsupported> {
        let definition = instance_definition(&mut self.cursor)?;
        let values = read_values(&mut self.cursor)?;
        let open = self.stack.last_mut().ok_or("an instance outside the stream")?;
        open.children.push(Node::Instance { definition, values });
        Ok(())
    }
}

/// One substitution value of a record: its BinXML value type and where its bytes lie in the chunk.
#[derive(Debug, Clone, Copy)]
pub(super) struct Value {
    pub kind: u8,
    pub at: usize,
    pub len: usize,
}

impl Value {
    pub fn bytes<'c>(&self, chunk: &'c [u8]) -> &'c [u8] {
        chunk.get(self.at..self.at + self.len).unwrap_or_default()
    }
}

/// The substitution table after a template instance: a count, (size u16, type u8, padding u8) per value,
/// then the values one after another.
pub(super) fn read_values(cursor: &mut Cursor<'_>) -> Result<Vec<Value>, Unsupported> {
    let count = cursor.u32()? as usize;
    let descriptors = cursor.bytes(count.checked_mul(4).ok_or("too many substitutions")?)?;
    let mut values = Vec::with_capacity(count);
    for descriptor in descriptors.chunks_exact(4) {
        let len = u16::from_le_bytes([descriptor[0], descriptor[1]]) as usize;
        // The crate refuses a record with a value of an unknown type or a string of an odd length.
        match descriptor[2] {
            0x00..=0x15 | 0x21 | 0x81..=0x95 => {}
            _ => return Err("a value of a type this reader does not handle"),
        }
        if descriptor[2] == 0x01 && len % 2 == 1 {
            return Err("a string of an odd length");
        }
        let at = cursor.pos;
        cursor.bytes(len)?;
        values.push(Value { kind: descriptor[2], at, len });
    }
    Ok(values)
}

/// Reads a template instance's header (after its token) and returns its definition's offset in the chunk,
/// stepping over the definition when it is stored right here (the first instance of it in the chunk).
pub(super) fn instance_definition(cursor: &mut Cursor<'_>) -> Result<u32, Unsupported> {
    cursor.u8()?;
    cursor.u32()?;
    let definition = cursor.u32()?;
    if definition as usize == cursor.pos {
        cursor.bytes(20)?;
        let size = cursor.u32()? as usize;
        cursor.bytes(size)?;
    }
    Ok(definition)
}
