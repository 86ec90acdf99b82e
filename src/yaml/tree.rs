//! A customer file's YAML as a tree of nodes that know their line and column, built
//! from the parser's events with the reader's limits applied *while* parsing: nesting
//! deeper than [`MAX_DEPTH`], more than [`MAX_ALIASES`] aliases and alias expansion past
//! [`MAX_ALIAS_EXPANSION`] nodes stop the parse at once, so hostile input costs no more
//! than the bytes before the point where it is refused. Duplicate keys are found in
//! every mapping of the document, not only in the fields crm reads.
//!
//! Because the limits count the parser's events, only real structure counts: a `*` or
//! `[` inside a quoted string, a plain scalar, a block scalar or a comment is text.

use std::collections::HashMap;

use super::fast;
use super::libyaml::{Event, Mark, Parser, Style, SyntaxError, Text};

/// Deepest nesting of mappings and sequences (block or flow, the document's own
/// mapping counting as one); real customer files stay below 5. serde_yaml is quadratic
/// on deep flow nesting, so the limit must stop the parse early, which it does.
pub(crate) const MAX_DEPTH: usize = 64;
/// Most aliases (`*name`) a file may use; real customer files use none.
pub(crate) const MAX_ALIASES: usize = 64;
/// Most nodes that aliases may add to a document when expanded ("billion laughs").
pub(crate) const MAX_ALIAS_EXPANSION: u64 = 10_000;

/// A 1-based line and column (in characters) of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Pos {
    /// 1-based line.
    pub(crate) line: usize,
    /// 1-based column, counted in characters.
    pub(crate) column: usize,
}

impl Pos {
    fn of(mark: Mark) -> Pos {
        Pos {
            line: mark.line.saturating_add(1),
            column: mark.column.saturating_add(1),
        }
    }

    /// The position of byte `offset` of `text`, counting lines as libyaml does (see
    /// [`break_len`]), so that it agrees with the positions of the parser's events.
    pub(crate) fn at_offset(text: &str, offset: usize) -> Pos {
        let mut cut = offset.min(text.len());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let bytes = text.as_bytes();
        let (mut line, mut line_start, mut i) = (1, 0, 0);
        while i < cut {
            match break_len(bytes, i) {
                0 => i += 1,
                n => {
                    i += n;
                    if i <= cut {
                        line += 1;
                        line_start = i;
                    }
                }
            }
        }
        Pos {
            line,
            column: text[line_start..cut].chars().count() + 1,
        }
    }
}

/// The lines of `text` as YAML (and so [`Pos`]) counts them, without their breaks:
/// split at `\r\n`, `\r`, `\n`, NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR.
pub(crate) fn yaml_lines(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            let len = break_len(bytes, i);
            if len > 0 {
                let line = &text[start..i];
                i += len;
                start = i;
                return Some(line);
            }
            i += 1;
        }
        if start < bytes.len() {
            let line = &text[start..];
            start = bytes.len();
            return Some(line);
        }
        None
    })
}

/// The length in bytes of the line break that starts at byte `i` of `bytes`, or 0.
/// Line breaks are YAML 1.1's, which libyaml follows: `\r\n`, `\r`, `\n`, and the
/// characters NEL (U+0085), LINE SEPARATOR (U+2028) and PARAGRAPH SEPARATOR (U+2029).
pub(crate) fn break_len(bytes: &[u8], i: usize) -> usize {
    match bytes.get(i..).unwrap_or_default() {
        [b'\r', b'\n', ..] => 2,
        [b'\r' | b'\n', ..] => 1,
        [0xC2, 0x85, ..] => 2,
        [0xE2, 0x80, 0xA8 | 0xA9, ..] => 3,
        _ => 0,
    }
}

/// Where a node's text is, as byte offsets into the parsed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    /// Where the node starts: its anchor or tag if it has one, the `-` of a block list,
    /// the `[` or `{` of a flow collection.
    pub(crate) start: usize,
    /// Where a collection itself begins, after any anchor or tag (which may be on the
    /// line above): its `[` or `{`, or the first `-`, key or `?` of a block collection,
    /// which is at the collection's indentation. For a scalar or alias, `start`.
    pub(crate) open: usize,
    /// Just past its last character of content: the closing quote or bracket, the last
    /// character of a plain scalar, the end of a block collection's last value. A block
    /// scalar (`|`, `>`) ends at the start of the line after its trailing blank lines.
    /// An empty value (`key:` or `-` with nothing after it) is an empty span just after
    /// its `:` or `-`.
    pub(crate) end: usize,
}

/// One node of the document.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    /// Where the node starts (its anchor or tag, if it has one).
    pub(crate) pos: Pos,
    /// Where its text is.
    pub(crate) span: Span,
    /// Whether it is a collection written in flow style (`[...]`, `{...}`).
    pub(crate) flow: bool,
    /// Its tag as written (`!!str`), if any.
    pub(crate) tag: Option<String>,
    /// What it holds.
    pub(crate) kind: NodeKind,
}

/// What a [`Node`] holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NodeKind {
    /// A scalar.
    Scalar {
        /// The value after unquoting.
        value: Text,
        /// How it was written.
        style: Style,
    },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in the order written. Of a key written twice only the first entry
    /// is here (the second is in [`Document::duplicates`]).
    Map(Vec<(Node, Node)>),
    /// An anchored node (`&name`, at its definition) or an alias to one (`*name`):
    /// an index into the document's anchors, see [`Document::resolve`].
    Anchor(usize),
}

impl Node {
    /// The scalar's value, if this is a scalar.
    pub(crate) fn scalar(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { value, .. } => Some(value.as_str()),
            _ => None,
        }
    }

    /// Whether this is an unquoted scalar that YAML reads as null (`~`, `null`, or
    /// nothing at all).
    pub(crate) fn is_null(&self) -> bool {
        match &self.kind {
            NodeKind::Scalar {
                value,
                style: Style::Plain,
            } => {
                matches!(self.tag.as_deref(), None | Some("tag:yaml.org,2002:null"))
                    && (value.is_empty() || parse_null(value))
            }
            _ => false,
        }
    }
}

/// A key written twice in one mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Duplicate {
    /// The key as written.
    pub(crate) key: String,
    /// The second occurrence.
    pub(crate) pos: Pos,
    /// The first occurrence.
    pub(crate) first: Pos,
}

/// A parsed document.
#[derive(Debug, Clone, Default)]
pub(crate) struct Document {
    /// The top node; `None` for a document of only comments.
    pub(crate) root: Option<Node>,
    anchors: Vec<Node>,
    /// How many aliases the document uses.
    pub(crate) aliases: usize,
    /// Keys written twice in a mapping, in document order.
    pub(crate) duplicates: Vec<Duplicate>,
    /// Scalars that YAML tools refuse to read (`!!int abc`, a 100-bit number), each
    /// with what is wrong.
    pub(crate) invalid: Vec<(Pos, String)>,
}

impl Document {
    /// The node an anchor or alias stands for; any other node itself.
    pub(crate) fn resolve<'a>(&'a self, node: &'a Node) -> &'a Node {
        let mut node = node;
        // Anchors point only to completed nodes, which are never anchors themselves,
        // but a bounded loop costs nothing.
        for _ in 0..4 {
            match node.kind {
                NodeKind::Anchor(id) => match self.anchors.get(id) {
                    Some(target) => node = target,
                    None => break,
                },
                _ => break,
            }
        }
        node
    }

    /// The value of `key` in mapping `node`, if any.
    pub(crate) fn get<'a>(&'a self, node: &'a Node, key: &str) -> Option<&'a Node> {
        self.entry(node, key).map(|(_, value)| value)
    }

    /// The key and value nodes of `key` in mapping `node`, if any.
    pub(crate) fn entry<'a>(&'a self, node: &'a Node, key: &str) -> Option<(&'a Node, &'a Node)> {
        match &self.resolve(node).kind {
            NodeKind::Map(entries) => entries
                .iter()
                .find(|(k, _)| self.resolve(k).scalar() == Some(key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }
}

/// Why a text could not be read as a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TreeError {
    /// The YAML parser's own error.
    Syntax(SyntaxError),
    /// Nesting past [`MAX_DEPTH`], at the collection that goes too deep.
    TooDeep(Pos),
    /// More than [`MAX_ALIASES`] aliases, at the first one too many.
    TooManyAliases(Pos),
    /// Aliases expanding past [`MAX_ALIAS_EXPANSION`] nodes, at the alias that does.
    ExpandsTooMuch(Pos),
    /// An alias inside the very node it names (it would expand for ever).
    Recursive(Pos, String),
    /// An alias without an anchor of that name before it.
    UnknownAnchor(Pos, String),
    /// A second document (`---`) in the file.
    MoreThanOneDocument(Pos),
}

/// A collection being read. Its items (a mapping's keys and values, alternately) are
/// on [`Builder::items`] from `base` on until it closes, so that each collection gets
/// one allocation of the right size rather than a vector grown item by item.
struct Frame {
    node: Node,
    anchor: Option<usize>,
    base: usize,
    size: u64,
}

/// Size of an anchor still being defined (an alias to it would be recursive).
const OPEN: u64 = u64::MAX;

struct Builder {
    stack: Vec<Frame>,
    /// The items of the open collections, innermost last (see [`Frame`]).
    items: Vec<Node>,
    doc: Document,
    names: HashMap<String, usize>,
    sizes: Vec<u64>,
    expansion: u64,
    documents: usize,
    /// Where the content read so far ends (see [`Span::end`]).
    last_end: usize,
}

/// Parses `text` into a [`Document`], applying the limits of this module.
///
/// The events come from the fast producer (`fast.rs`) when the text is in the plain
/// subset it reads, and from libyaml otherwise; the two give the same events and marks
/// for every text the fast one accepts, so the document does not depend on which ran.
pub(crate) fn parse(text: &str) -> Result<Document, TreeError> {
    match fast::events(text) {
        Some(events) => build(text, events.into_iter().map(Ok)),
        None => {
            let mut parser = Parser::new(text);
            build(text, std::iter::from_fn(|| parser.next_event()))
        }
    }
}

/// Builds the document of `text` from its parser events.
fn build(
    text: &str,
    events: impl Iterator<Item = Result<(Event, Mark, Mark), SyntaxError>>,
) -> Result<Document, TreeError> {
    let mut b = Builder {
        stack: Vec::new(),
        items: Vec::new(),
        doc: Document::default(),
        names: HashMap::new(),
        sizes: Vec::new(),
        expansion: 0,
        documents: 0,
        last_end: 0,
    };
    for next in events {
        let (event, start, end) = next.map_err(TreeError::Syntax)?;
        let pos = Pos::of(start);
        match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
            Event::DocumentStart => {
                b.documents += 1;
                if b.documents > 1 {
                    return Err(TreeError::MoreThanOneDocument(pos));
                }
            }
            Event::Alias(name) => {
                b.doc.aliases += 1;
                if b.doc.aliases > MAX_ALIASES {
                    return Err(TreeError::TooManyAliases(pos));
                }
                let Some(&id) = b.names.get(&name) else {
                    return Err(TreeError::UnknownAnchor(pos, name));
                };
                let size = b.sizes[id];
                if size == OPEN {
                    return Err(TreeError::Recursive(pos, name));
                }
                b.expansion = b.expansion.saturating_add(size);
                if b.expansion > MAX_ALIAS_EXPANSION {
                    return Err(TreeError::ExpandsTooMuch(pos));
                }
                b.last_end = end.index;
                let node = Node {
                    pos,
                    span: Span {
                        start: start.index,
                        open: start.index,
                        end: end.index,
                    },
                    flow: false,
                    tag: None,
                    kind: NodeKind::Anchor(id),
                };
                b.finish(node, None, size);
            }
            Event::Scalar {
                anchor,
                tag,
                value,
                style,
            } => {
                if tag.is_some()
                    || value.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+')
                {
                    if let Some(message) = scalar_problem(tag.as_deref(), &value, style) {
                        b.doc.invalid.push((pos, message));
                    }
                }
                // libyaml places an empty value just after its `:`, `-` or `?`, but a
                // value with no `:` at all (after `? key`) at the next token, which may
                // be lines further down, past comments: that one belongs where the text
                // before it ends.
                let after_indicator = start.index > 0
                    && matches!(
                        text.as_bytes().get(start.index - 1),
                        Some(b':' | b'-' | b'?')
                    );
                let span = if end.index > start.index || after_indicator {
                    Span {
                        start: start.index,
                        open: start.index,
                        end: end.index,
                    }
                } else {
                    Span {
                        start: b.last_end,
                        open: b.last_end,
                        end: b.last_end,
                    }
                };
                b.last_end = b.last_end.max(span.end);
                let anchor = anchor.map(|name| b.open_anchor(name));
                let node = Node {
                    pos,
                    span,
                    flow: false,
                    tag,
                    kind: NodeKind::Scalar { value, style },
                };
                b.finish(node, anchor, 1);
            }
            Event::SequenceStart { anchor, tag, flow } => {
                b.check_depth(pos)?;
                let anchor = anchor.map(|name| b.open_anchor(name));
                b.stack.push(Frame {
                    node: opened(
                        text,
                        pos,
                        start.index,
                        end.index,
                        flow,
                        tag,
                        NodeKind::Seq(Vec::new()),
                    ),
                    anchor,
                    base: b.items.len(),
                    size: 1,
                });
            }
            Event::MappingStart { anchor, tag, flow } => {
                b.check_depth(pos)?;
                let anchor = anchor.map(|name| b.open_anchor(name));
                b.stack.push(Frame {
                    node: opened(
                        text,
                        pos,
                        start.index,
                        end.index,
                        flow,
                        tag,
                        NodeKind::Map(Vec::new()),
                    ),
                    anchor,
                    base: b.items.len(),
                    size: 1,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(Frame {
                    mut node,
                    anchor,
                    base,
                    size,
                }) = b.stack.pop()
                else {
                    continue;
                };
                let base = base.min(b.items.len());
                if matches!(node.kind, NodeKind::Map(_)) {
                    let mut entries = Vec::with_capacity((b.items.len() - base) / 2);
                    let mut items = b.items.drain(base..);
                    // Keys and values alternate; the parser closes a mapping only
                    // after a key's value.
                    while let (Some(key), Some(value)) = (items.next(), items.next()) {
                        entries.push((key, value));
                    }
                    drop(items);
                    b.drop_duplicates(&mut entries);
                    node.kind = NodeKind::Map(entries);
                } else {
                    node.kind = NodeKind::Seq(b.items.drain(base..).collect());
                }
                // A flow collection ends at its bracket; a block one's end event is at
                // the next token, so it ends where its last value does.
                if node.flow {
                    b.last_end = end.index;
                }
                node.span.end = b.last_end.max(node.span.start);
                b.finish(node, anchor, size);
            }
        }
    }
    Ok(b.doc)
}

/// Where a collection begins, from the end of its start event: just past its `[` or
/// `{`; at the first key or `?` of a block mapping; at the first `-` of a block list,
/// or just past it for a list at its key's indentation.
/// A sequence or mapping node as its start event opens it (from `start` to
/// `event_end` in `text`); its end is filled in when it closes.
fn opened(
    text: &str,
    pos: Pos,
    start: usize,
    event_end: usize,
    flow: bool,
    tag: Option<String>,
    kind: NodeKind,
) -> Node {
    Node {
        pos,
        span: Span {
            start,
            open: opening(text, flow, event_end),
            end: start,
        },
        flow,
        tag,
        kind,
    }
}

fn opening(text: &str, flow: bool, event_end: usize) -> usize {
    let before = event_end.saturating_sub(1);
    if flow || text.as_bytes().get(before) == Some(&b'-') {
        before
    } else {
        event_end
    }
}

impl Builder {
    fn check_depth(&self, pos: Pos) -> Result<(), TreeError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(TreeError::TooDeep(pos));
        }
        Ok(())
    }

    fn open_anchor(&mut self, name: String) -> usize {
        let id = self.doc.anchors.len();
        self.doc.anchors.push(Node {
            pos: Pos { line: 1, column: 1 },
            span: Span::default(),
            flow: false,
            tag: None,
            kind: NodeKind::Seq(Vec::new()),
        });
        self.sizes.push(OPEN);
        self.names.insert(name, id);
        id
    }

    /// Places a completed node in its parent (or as the root). An anchored node goes
    /// to the anchor table, and its place in the tree points there.
    fn finish(&mut self, node: Node, anchor: Option<usize>, size: u64) {
        let node = match anchor {
            Some(id) => {
                let (pos, span, flow) = (node.pos, node.span, node.flow);
                self.doc.anchors[id] = node;
                self.sizes[id] = size;
                Node {
                    pos,
                    span,
                    flow,
                    tag: None,
                    kind: NodeKind::Anchor(id),
                }
            }
            None => node,
        };
        match self.stack.last_mut() {
            None => self.doc.root = Some(node),
            Some(frame) => {
                frame.size = frame.size.saturating_add(size);
                self.items.push(node);
            }
        }
    }

    /// Records every key written a second time in a mapping, and keeps only the first
    /// occurrence in the tree, so that `crm check` can go on reading the rest.
    fn drop_duplicates(&mut self, entries: &mut Vec<(Node, Node)>) {
        if entries.len() < 2 || all_distinct_words(entries) {
            return;
        }
        let mut seen: HashMap<String, Pos> = HashMap::with_capacity(entries.len());
        let mut keep = Vec::with_capacity(entries.len());
        for (key, _) in entries.iter() {
            let Some(identity) = key_identity(&self.doc, key) else {
                keep.push(true);
                continue;
            };
            if let Some(&first) = seen.get(&identity) {
                self.doc.duplicates.push(Duplicate {
                    key: key_text(&self.doc, key),
                    pos: key.pos,
                    first,
                });
                keep.push(false);
            } else {
                seen.insert(identity, key.pos);
                keep.push(true);
            }
        }
        if keep.contains(&false) {
            let mut flags = keep.into_iter();
            entries.retain(|_| flags.next().unwrap_or(true));
        }
    }
}

/// The common case, decided without allocating: a small mapping whose keys are all
/// untagged scalars that are plainly text (`name`, `coffee`), none written twice.
fn all_distinct_words(entries: &[(Node, Node)]) -> bool {
    const SMALL: usize = 32;
    if entries.len() > SMALL {
        return false;
    }
    let mut words: [&str; SMALL] = [""; SMALL];
    for (n, (key, _)) in entries.iter().enumerate() {
        let NodeKind::Scalar { value, style } = &key.kind else {
            return false;
        };
        let text_for_sure = *style != Style::Plain || resolve_plain(value) == Resolved::Str;
        if key.tag.is_some() || !text_for_sure || words[..n].contains(&value.as_str()) {
            return false;
        }
        words[n] = value.as_str();
    }
    true
}

/// The key as a person would recognise it in a message.
pub(crate) fn key_text(doc: &Document, key: &Node) -> String {
    match &doc.resolve(key).kind {
        NodeKind::Scalar { value, .. } => value.to_string(),
        NodeKind::Seq(_) => "[...]".to_string(),
        NodeKind::Map(_) => "{...}".to_string(),
        NodeKind::Anchor(_) => "*alias".to_string(),
    }
}

/// Longest identity compared for a complex (collection) key; longer ones are taken as
/// distinct rather than spending time on a hostile file.
const MAX_KEY_IDENTITY: usize = 4096;

/// What a key means to YAML, as serde_yaml compares keys: `name` and `"name"` are the
/// same key, `1` and `"1"` are not, `1` and `0x1` are. `None` when it is too large to
/// compare.
fn key_identity(doc: &Document, key: &Node) -> Option<String> {
    let mut out = String::new();
    write_identity(doc, key, &mut out, 0);
    (out.len() <= MAX_KEY_IDENTITY).then_some(out)
}

fn write_identity(doc: &Document, node: &Node, out: &mut String, depth: usize) {
    if out.len() > MAX_KEY_IDENTITY || depth > MAX_DEPTH {
        out.push_str("\u{0}...");
        return;
    }
    let node = doc.resolve(node);
    if let Some(tag) = &node.tag {
        if !tag.starts_with("tag:yaml.org,2002:") {
            out.push_str("\u{0}tag:");
            out.push_str(tag);
            out.push('\u{0}');
        }
    }
    match &node.kind {
        NodeKind::Scalar { value, style } => {
            let plain = *style == Style::Plain;
            let resolved = match node.tag.as_deref() {
                Some("tag:yaml.org,2002:str") => Resolved::Str,
                _ if plain => resolve_plain(value),
                _ => Resolved::Str,
            };
            match resolved {
                Resolved::Str => {
                    out.push_str("s:");
                    out.push_str(value);
                }
                Resolved::Null => out.push_str("\u{0}null"),
                Resolved::Bool(b) => out.push_str(if b { "\u{0}true" } else { "\u{0}false" }),
                Resolved::Int(i) => {
                    out.push_str("\u{0}int:");
                    out.push_str(&i.to_string());
                }
                Resolved::Float(f) => {
                    out.push_str("\u{0}float:");
                    out.push_str(
                        &(if f.is_nan() { f64::NAN } else { f })
                            .to_bits()
                            .to_string(),
                    );
                }
            }
        }
        NodeKind::Seq(items) => {
            out.push_str("\u{0}[");
            for item in items {
                write_identity(doc, item, out, depth + 1);
                out.push('\u{0}');
            }
            out.push(']');
        }
        NodeKind::Map(entries) => {
            out.push_str("\u{0}{");
            for (k, v) in entries {
                write_identity(doc, k, out, depth + 1);
                out.push('\u{0}');
                write_identity(doc, v, out, depth + 1);
                out.push('\u{0}');
            }
            out.push('}');
        }
        NodeKind::Anchor(_) => out.push_str("\u{0}*"),
    }
}

/// What an unquoted, untagged scalar means to YAML (the rules serde_yaml applies).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Resolved {
    /// Text.
    Str,
    /// `~`, `null` or nothing.
    Null,
    /// `true`, `false` and their capitalised forms.
    Bool(bool),
    /// A whole number in decimal, hexadecimal (`0x`), octal (`0o`) or binary (`0b`).
    Int(i128),
    /// A number with a fraction or exponent, or `.inf` / `.nan`.
    Float(f64),
}

impl Resolved {
    /// The value written the way YAML tools write it back; `None` for text.
    pub(crate) fn canonical(self) -> Option<String> {
        match self {
            Resolved::Str => None,
            Resolved::Null => Some(String::new()),
            Resolved::Bool(b) => Some(b.to_string()),
            Resolved::Int(i) => Some(i.to_string()),
            Resolved::Float(f) => Some(if f.is_nan() {
                ".nan".to_string()
            } else if f.is_infinite() {
                if f > 0.0 { ".inf" } else { "-.inf" }.to_string()
            } else {
                f.to_string()
            }),
        }
    }
}

/// How YAML reads an unquoted scalar `v`.
pub(crate) fn resolve_plain(v: &str) -> Resolved {
    if v.is_empty() || parse_null(v) {
        return Resolved::Null;
    }
    // Cheap exit for the common case: text that cannot be a number or a keyword.
    let first = v.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.' | b't' | b'T' | b'f' | b'F'))
    {
        return Resolved::Str;
    }
    match v {
        "true" | "True" | "TRUE" => return Resolved::Bool(true),
        "false" | "False" | "FALSE" => return Resolved::Bool(false),
        _ => {}
    }
    if let Some(i) = parse_int(v) {
        return Resolved::Int(i);
    }
    if !digits_but_not_number(v) {
        if let Some(f) = parse_float(v) {
            return Resolved::Float(f);
        }
    }
    Resolved::Str
}

fn parse_null(v: &str) -> bool {
    matches!(v, "~" | "null" | "Null" | "NULL")
}

/// Leading zeros followed by digits are text in YAML 1.2 (`0123`).
fn digits_but_not_number(v: &str) -> bool {
    let v = v.strip_prefix(['-', '+']).unwrap_or(v);
    v.len() > 1 && v.starts_with('0') && v[1..].bytes().all(|b| b.is_ascii_digit())
}

/// An integer as YAML writes it: its sign and magnitude.
fn int_parts(v: &str) -> Option<(bool, u128)> {
    let (negative, unsigned) = match v.as_bytes().first() {
        Some(b'-') => (true, &v[1..]),
        Some(b'+') => (false, &v[1..]),
        _ => (false, v),
    };
    if unsigned.starts_with(['+', '-']) {
        return None;
    }
    let radix_digits = [("0x", 16), ("0o", 8), ("0b", 2)]
        .iter()
        .find_map(|(prefix, radix)| unsigned.strip_prefix(prefix).map(|d| (d, *radix)));
    let magnitude = match radix_digits {
        Some((digits, radix)) => {
            if digits.starts_with(['+', '-']) {
                return None;
            }
            u128::from_str_radix(digits, radix).ok()?
        }
        None => {
            if digits_but_not_number(v) {
                return None;
            }
            unsigned.parse::<u128>().ok()?
        }
    };
    Some((negative, magnitude))
}

fn parse_int(v: &str) -> Option<i128> {
    let (negative, magnitude) = int_parts(v)?;
    let value = i128::try_from(magnitude).ok()?;
    Some(if negative { -value } else { value })
}

/// Whether `v` is an integer beyond 64 bits, which YAML tools (serde_yaml among them,
/// so crm's own writes) cannot hold.
fn int_too_large(v: &str) -> bool {
    match int_parts(v) {
        Some((false, magnitude)) => magnitude > u128::from(u64::MAX),
        Some((true, magnitude)) => magnitude > 1u128 << 63,
        None => false,
    }
}

/// What is wrong with a scalar that YAML tools refuse to read although it parses: a
/// value that does not match its type tag (`!!int abc`), or an integer beyond 64 bits.
fn scalar_problem(tag: Option<&str>, value: &str, style: Style) -> Option<String> {
    let core = tag.and_then(|t| t.strip_prefix("tag:yaml.org,2002:"));
    let fits = match core {
        Some("bool") => matches!(
            value,
            "true" | "True" | "TRUE" | "false" | "False" | "FALSE"
        ),
        Some("int") => parse_int(value).is_some() && !int_too_large(value),
        Some("float") => parse_float(value).is_some(),
        Some("null") => parse_null(value),
        Some(_) => true,
        None if style == Style::Plain && int_too_large(value) => {
            return Some(format!(
                "the number {value} is too large for YAML tools to read (crm included); if it is text, quote it: \"{value}\""
            ));
        }
        None => true,
    };
    (!fits).then(|| {
        let name = core.unwrap_or_default();
        format!(
            "{value:?} is not a valid `!!{name}` value; fix the value or remove the `!!{name}` tag"
        )
    })
}

fn parse_float(v: &str) -> Option<f64> {
    let unsigned = match v.strip_prefix('+') {
        Some(rest) if rest.starts_with(['+', '-']) => return None,
        Some(rest) => rest,
        None => v,
    };
    match unsigned {
        ".inf" | ".Inf" | ".INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    unsigned.parse::<f64>().ok().filter(|f| f.is_finite())
}

#[cfg(test)]
mod tests {
    use super::yaml_lines;

    #[test]
    fn yaml_lines_break_where_positions_do() {
        let text = "a\r\nb\rc\nd\u{2028}e\u{85}é\n";
        assert_eq!(
            yaml_lines(text).collect::<Vec<_>>(),
            ["a", "b", "c", "d", "e", "é"]
        );
        assert_eq!(yaml_lines("x").collect::<Vec<_>>(), ["x"]);
        assert_eq!(yaml_lines("").count(), 0);
    }

    use super::*;

    fn root(text: &str) -> Document {
        parse(text).unwrap()
    }

    #[test]
    fn nodes_know_their_positions() {
        let doc = root("name: Ada\ninteractions:\n  - date: 2025-03-01\n    kind: call\n");
        let top = doc.root.as_ref().unwrap();
        let list = doc.get(top, "interactions").unwrap();
        let NodeKind::Seq(items) = &list.kind else {
            panic!("{list:?}")
        };
        let kind = doc.get(&items[0], "kind").unwrap();
        assert_eq!(
            kind.pos,
            Pos {
                line: 4,
                column: 11
            }
        );
        assert_eq!(kind.scalar(), Some("call"));
    }

    #[test]
    fn stars_and_brackets_in_text_are_not_structure() {
        let mut text = String::from("name: A\nnotes: |\n");
        for _ in 0..100 {
            text.push_str("  - call back *urgent* [[{\n");
        }
        text.push_str("summary: \"*a *b [[[\" # *c [[[\nother: x *y [z\n");
        let doc = root(&text);
        assert_eq!(doc.aliases, 0);
    }

    #[test]
    fn aliases_of_any_name_are_counted() {
        let mut text = String::from("a: &-a0 [x]\n");
        for n in 0..70 {
            text.push_str(&format!("b{n}: *-a0\n"));
        }
        assert_eq!(
            parse(&text).unwrap_err(),
            TreeError::TooManyAliases(Pos {
                line: 66,
                column: 6
            })
        );
    }

    #[test]
    fn deep_nesting_stops_the_parse_early() {
        let text = format!("x: {}{}", "[".repeat(100_000), "]".repeat(100_000));
        let err = parse(&text).unwrap_err();
        assert_eq!(
            err,
            TreeError::TooDeep(Pos {
                line: 1,
                column: 67
            })
        );
    }

    #[test]
    fn expansion_is_bounded() {
        let mut text = String::from("l0: &l0 [a, b]\n");
        for n in 1..8 {
            let p = n - 1;
            text.push_str(&format!(
                "l{n}: &l{n} [*l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}]\n"
            ));
        }
        assert!(matches!(parse(&text), Err(TreeError::ExpandsTooMuch(_))));
    }

    #[test]
    fn recursive_and_unknown_aliases_are_refused() {
        assert!(matches!(
            parse("a: &a [*a]\n"),
            Err(TreeError::Recursive(_, _))
        ));
        assert!(matches!(
            parse("a: *nope\n"),
            Err(TreeError::UnknownAnchor(_, _))
        ));
    }

    #[test]
    fn duplicates_anywhere_are_found_with_both_positions() {
        let doc = root("name: A\nx:\n  y:\n    - {a: 1, \"a\": 2}\n  y: 3\n");
        let found: Vec<(String, Pos)> = doc
            .duplicates
            .iter()
            .map(|d| (d.key.clone(), d.pos))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "a".to_string(),
                    Pos {
                        line: 4,
                        column: 14
                    }
                ),
                ("y".to_string(), Pos { line: 5, column: 3 })
            ]
        );
    }

    #[test]
    fn keys_compare_as_yaml_values() {
        assert_eq!(root("1: a\n0x1: b\n").duplicates.len(), 1);
        assert_eq!(root("1: a\n\"1\": b\n").duplicates.len(), 0);
        assert_eq!(root("1: a\n1.0: b\n").duplicates.len(), 0);
        assert_eq!(root("1.0: a\n1.00: b\n").duplicates.len(), 1);
        assert_eq!(root("~: a\nnull: b\n").duplicates.len(), 1);
        assert_eq!(root("[a, b]: 1\n[a, b]: 2\n").duplicates.len(), 1);
    }

    #[test]
    fn plain_scalars_resolve_like_serde_yaml() {
        assert_eq!(resolve_plain("+4420"), Resolved::Int(4420));
        assert_eq!(resolve_plain("0o17"), Resolved::Int(15));
        assert_eq!(resolve_plain("0x10"), Resolved::Int(16));
        assert_eq!(resolve_plain("1e3"), Resolved::Float(1000.0));
        assert_eq!(resolve_plain("0123"), Resolved::Str);
        assert_eq!(resolve_plain("yes"), Resolved::Str);
        assert_eq!(resolve_plain("~"), Resolved::Null);
        assert_eq!(resolve_plain("True"), Resolved::Bool(true));
        assert_eq!(resolve_plain("12:30"), Resolved::Str);
        assert_eq!(resolve_plain("2025-03-01"), Resolved::Str);
        assert_eq!(Resolved::Float(1000.0).canonical().unwrap(), "1000");
        assert_eq!(Resolved::Int(4420).canonical().unwrap(), "4420");
    }

    #[test]
    fn scalars_that_yaml_tools_refuse_are_found() {
        let doc = root("a: !!int abc\nb: 99999999999999999999999\nc: -9223372036854775808\nd: !!bool true\ne: !!float 1\nf: \"99999999999999999999999\"\n");
        let found: Vec<usize> = doc.invalid.iter().map(|(pos, _)| pos.line).collect();
        assert_eq!(found, [1, 2]);
        assert!(doc.invalid[0].1.contains("`!!int`"), "{:?}", doc.invalid);
        assert!(doc.invalid[1].1.contains("too large"), "{:?}", doc.invalid);
    }

    #[test]
    fn a_second_document_is_refused() {
        assert_eq!(
            parse("name: One\n---\nname: Two\n").unwrap_err(),
            TreeError::MoreThanOneDocument(Pos { line: 2, column: 1 })
        );
    }

    #[test]
    fn byte_offsets_become_character_columns() {
        assert_eq!(Pos::at_offset("ab\ncé d", 7), Pos { line: 2, column: 4 });
    }

    #[test]
    fn lines_are_counted_as_libyaml_counts_them() {
        let text = "a\rb\r\nc\u{2028}d\ne";
        assert_eq!(Pos::at_offset(text, text.len()), Pos { line: 5, column: 2 });
        assert_eq!(Pos::at_offset(text, 1), Pos { line: 1, column: 2 });
        let doc = root("x: 1\ry: 2\r");
        let y = doc.entry(doc.root.as_ref().unwrap(), "y").unwrap().0;
        assert_eq!(y.pos, Pos::at_offset("x: 1\ry: 2\r", y.span.start));
    }

    fn spanned<'t>(text: &'t str, node: &Node) -> &'t str {
        &text[node.span.start..node.span.end]
    }

    #[test]
    fn nodes_know_the_bytes_they_span() {
        let text = "name: A\nlog: &l\n  - a: \"x\n y\"  # c\n    b:\n# after\nflow: [ {a: 1}, ]\nnote: |\n  text\n\nend: 1\n";
        let doc = root(text);
        let top = doc.root.as_ref().unwrap();
        let log = doc.get(top, "log").unwrap();
        assert_eq!(spanned(text, log), "&l\n  - a: \"x\n y\"  # c\n    b:");
        let NodeKind::Seq(items) = &doc.resolve(log).kind else {
            panic!("{log:?}")
        };
        let empty = doc.get(&items[0], "b").unwrap();
        assert_eq!(
            empty.span.start, empty.span.end,
            "an empty value is an empty span"
        );
        assert_eq!(
            &text[..empty.span.end],
            &text[..text.find("b:").unwrap() + 2]
        );
        let flow = doc.get(top, "flow").unwrap();
        assert!(flow.flow && !log.flow);
        assert_eq!(spanned(text, flow), "[ {a: 1}, ]");
        let note = doc.get(top, "note").unwrap();
        assert_eq!(
            spanned(text, note),
            "|\n  text\n\n",
            "a block scalar takes its blank lines"
        );
    }
}
