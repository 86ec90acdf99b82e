//! A fast producer of parser events for the plain subset of YAML that crm writes and
//! most hand edits keep, in front of libyaml (`libyaml.rs`), which stays the reader of
//! everything else.
//!
//! The rule: for a text it accepts, [`events`] returns exactly the events libyaml
//! would produce, with the same start and end [`Mark`]s (byte index, 0-based line,
//! 0-based column in characters); for any other text it returns `None`, and the text
//! goes to libyaml. It never accepts a text libyaml refuses or reads differently, so
//! what crm reads, refuses and reports does not depend on which producer ran. The test
//! of this rule runs both producers on every text the property tests make (see
//! `fast/tests.rs`); when in doubt, the answer here is `None`.
//!
//! The subset, line by line (lines end at `\n` or `\r\n`):
//!
//! - blank lines (spaces only) and full-line comments (spaces, then `#`);
//! - `key:` followed by a space and a value or by the end of the line, where the key is
//!   `[A-Za-z_][A-Za-z0-9_-]*` (at most 200 bytes);
//! - `- ` followed by a value or by `key: ...` (a mapping inside the item);
//! - block mappings and sequences nested by indentation, including sequences at their
//!   key's indentation (`key:` then `- item` lines at the same column);
//! - values: a plain scalar that starts with none of YAML's indicators (`-` only when a
//!   letter, digit, `-` or `.` follows) and has no `: `, ` #`, trailing `:` or trailing
//!   space; a one-line `'...'` without `'` inside or `"..."` without `\` or `"` inside;
//!   `[]`, `{}`, and a one-line flow list of such plain or quoted items (no `:`, `#`,
//!   brackets or braces in a plain item, no trailing comma); any of these may be
//!   followed by spaces and a `# comment`, and so may `key:`;
//! - after a value, the next line is a key or item of a collection already open (a
//!   line indented deeper would continue a plain scalar, or be an error).
//!
//! Declined: a BOM, a `\r` not followed by `\n`, tabs, NEL, LINE and PARAGRAPH SEPARATOR, control characters,
//! `---`, `...`, `%`, anchors, tags, aliases, `?` keys, quoted keys, block scalars
//! (`|`, `>`), other flow collections, trailing spaces, an empty `-` item, a
//! document with no content, and any line that fits none of the shapes above.
//!
//! This file has no `unsafe` and depends on nothing but the event types of `libyaml.rs`.

use super::libyaml::{Event, Mark, Style, Text};

/// One event with where it starts and ends, as [`super::libyaml::Parser::next_event`]
/// gives it.
pub(super) type Item = (Event, Mark, Mark);

/// Longest key accepted (libyaml refuses a simple key longer than 1024 characters).
const MAX_KEY: usize = 200;

/// The events of `text`, exactly as libyaml produces them, or `None` when `text` is not
/// in the subset this module reads.
pub(super) fn events(text: &str) -> Option<Vec<Item>> {
    if !plain_characters(text) {
        return None;
    }
    let mut reader = Reader {
        text,
        out: Vec::with_capacity(text.len() / 8 + 8),
        stack: Vec::new(),
        pending: None,
        started: false,
        line: 0,
        line_start: 0,
        line_ascii: true,
    };
    reader
        .out
        .push((Event::StreamStart, Mark::default(), Mark::default()));
    let mut start = 0;
    while start < text.len() {
        let end = text[start..].find('\n').map_or(text.len(), |at| start + at);
        // A `\r` is only ever the first half of a `\r\n` (see `plain_characters`).
        let content = end - usize::from(text.as_bytes()[start..end].last() == Some(&b'\r'));
        reader.line_start = start;
        reader.line_ascii = text[start..content].is_ascii();
        reader.line(content)?;
        reader.line += 1;
        start = end + 1;
    }
    reader.finish()
}

/// Whether every character of `text` is one libyaml reads as printable and not as a
/// line break, tab or byte-order mark: the only breaks left are `\n` and `\r\n`.
fn plain_characters(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes
        .iter()
        .all(|&b| (0x20..0x7F).contains(&b) || b == b'\n')
    {
        return true;
    }
    let lone_cr = bytes
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
    !lone_cr
        && text.chars().all(|c| match c {
            '\n' | '\r' | ' '..='~' => true,
            '\u{A0}'..='\u{D7FF}' => true,
            '\u{E000}'..='\u{FFFD}' => !matches!(c, '\u{FEFF}' | '\u{2028}' | '\u{2029}'),
            '\u{10000}'.. => true,
            _ => false,
        })
}

/// An open block collection: its indentation (the column of its keys or `-`), and for a
/// sequence whether it sits at its key's indentation (libyaml then opens no indentation
/// level for it, and closes it at the next key of the mapping).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    Map(usize),
    Seq { indent: usize, indentless: bool },
}

impl Frame {
    fn indent(self) -> usize {
        match self {
            Frame::Map(indent) | Frame::Seq { indent, .. } => indent,
        }
    }
}

/// What a content line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Key,
    Item,
}

struct Reader<'t> {
    text: &'t str,
    out: Vec<Item>,
    stack: Vec<Frame>,
    /// A `key:` with nothing after it, not yet known to be an empty value or the start
    /// of a nested collection: the indentation of its mapping and the mark just after
    /// its `:`.
    pending: Option<(usize, Mark)>,
    /// Whether the document has started (its first content line was read).
    started: bool,
    line: usize,
    line_start: usize,
    /// Whether the current line is ASCII, so that columns are byte offsets.
    line_ascii: bool,
}

impl Reader<'_> {
    /// The mark of byte `at` of the current line.
    fn mark(&self, at: usize) -> Mark {
        let column = if self.line_ascii {
            at - self.line_start
        } else {
            self.text[self.line_start..at].chars().count()
        };
        Mark {
            index: at,
            line: self.line,
            column,
        }
    }

    fn push(&mut self, event: Event, start: Mark, end: Mark) {
        self.out.push((event, start, end));
    }

    fn scalar(&mut self, from: usize, to: usize, value: &str, style: Style) {
        let (start, end) = (self.mark(from), self.mark(to));
        self.push(
            Event::Scalar {
                anchor: None,
                tag: None,
                value: Text::new(value),
                style,
            },
            start,
            end,
        );
    }

    fn empty_scalar(&mut self, at: Mark) {
        self.push(
            Event::Scalar {
                anchor: None,
                tag: None,
                value: Text::default(),
                style: Style::Plain,
            },
            at,
            at,
        );
    }

    /// Reads the line from `self.line_start` to `end` (its `\n` or the end of the text).
    fn line(&mut self, end: usize) -> Option<()> {
        let bytes = self.text.as_bytes();
        let indent = bytes[self.line_start..end]
            .iter()
            .take_while(|&&b| b == b' ')
            .count();
        let at = self.line_start + indent;
        if at == end || bytes[at] == b'#' {
            return Some(());
        }
        let shape = match (bytes[at], bytes.get(at + 1)) {
            (b'-', Some(b' ')) => Shape::Item,
            (b'-', _) => return None,
            _ => Shape::Key,
        };
        let here = self.mark(at);
        let mut opened = false;
        if let Some((parent, after_colon)) = self.pending.take() {
            match shape {
                Shape::Key if indent > parent => {
                    self.push(map_start(false), here, here);
                    self.stack.push(Frame::Map(indent));
                    opened = true;
                }
                Shape::Item if indent >= parent => {
                    let indentless = indent == parent;
                    let end_mark = if indentless { self.mark(at + 1) } else { here };
                    self.push(seq_start(false), here, end_mark);
                    self.stack.push(Frame::Seq { indent, indentless });
                    opened = true;
                }
                _ => self.empty_scalar(after_colon),
            }
        }
        if !opened {
            self.close(indent, shape == Shape::Key, here);
            match (self.stack.last(), shape) {
                (None, _) if !self.started => {
                    self.started = true;
                    self.push(Event::DocumentStart, here, here);
                    match shape {
                        Shape::Key => {
                            self.push(map_start(false), here, here);
                            self.stack.push(Frame::Map(indent));
                        }
                        Shape::Item => {
                            self.push(seq_start(false), here, here);
                            self.stack.push(Frame::Seq {
                                indent,
                                indentless: false,
                            });
                        }
                    }
                }
                (Some(&Frame::Map(i)), Shape::Key) if i == indent => {}
                (Some(&Frame::Seq { indent: i, .. }), Shape::Item) if i == indent => {}
                _ => return None,
            }
        }
        match shape {
            Shape::Key => self.entry(at, end),
            Shape::Item => {
                let item = at + 1 + count_spaces(&bytes[at + 1..end]);
                if item == end {
                    return None;
                }
                match key_len(&bytes[item..end]) {
                    Some(_) => {
                        let mark = self.mark(item);
                        self.push(map_start(false), mark, mark);
                        self.stack.push(Frame::Map(mark.column));
                        self.entry(item, end)
                    }
                    None => self.value(item, end),
                }
            }
        }
    }

    /// Reads `key:` and its value from `at` to the end of the line.
    fn entry(&mut self, at: usize, end: usize) -> Option<()> {
        let bytes = self.text.as_bytes();
        let len = key_len(&bytes[at..end])?;
        let colon = at + len;
        let text = self.text;
        self.scalar(at, colon, &text[at..colon], Style::Plain);
        if colon + 1 == end {
            let indent = self.stack.last().map_or(0, |frame| frame.indent());
            self.pending = Some((indent, self.mark(colon + 1)));
            return Some(());
        }
        let value = colon + 1 + count_spaces(&bytes[colon + 1..end]);
        if value == end {
            return None;
        }
        if bytes[value] == b'#' {
            // `key:  # a comment`: an empty value as after `key:` alone.
            let indent = self.stack.last().map_or(0, |frame| frame.indent());
            self.pending = Some((indent, self.mark(colon + 1)));
            return Some(());
        }
        self.value(value, end)
    }

    /// Reads a value from `at` (not a space) to `end`, which must be the end of the line.
    fn value(&mut self, at: usize, end: usize) -> Option<()> {
        let bytes = self.text.as_bytes();
        match bytes[at] {
            b'"' | b'\'' => {
                let close = self.quoted(at, end)?;
                comment_or_end(&bytes[close..end])
            }
            b'[' => self.flow_list(at, end),
            b'{' => {
                if bytes.get(at + 1) != Some(&b'}') {
                    return None;
                }
                let (open, inner, close) = (self.mark(at), self.mark(at + 1), self.mark(at + 2));
                self.push(map_start(true), open, inner);
                self.push(Event::MappingEnd, inner, close);
                comment_or_end(&bytes[at + 2..end])
            }
            _ => {
                let line = &bytes[at..end];
                if !plain_start(line) {
                    return None;
                }
                // A ` #` starts a comment; the scalar ends before the spaces in front.
                let len = match line.windows(2).position(|w| w == b" #") {
                    Some(cut) => cut - line[..cut].iter().rev().take_while(|&&b| b == b' ').count(),
                    None => line.len(),
                };
                let scalar = &line[..len];
                let bad = scalar.windows(2).any(|w| w == b": ")
                    || matches!(scalar.last(), Some(b':' | b' '));
                if bad {
                    return None;
                }
                let text = self.text;
                self.scalar(at, at + len, &text[at..at + len], Style::Plain);
                Some(())
            }
        }
    }

    /// Reads a one-line quoted scalar opening at `at` (a `'` or `"`), with no escapes;
    /// returns the byte after its closing quote.
    fn quoted(&mut self, at: usize, end: usize) -> Option<usize> {
        let bytes = self.text.as_bytes();
        let quote = bytes[at];
        let len = bytes[at + 1..end].iter().position(|&b| b == quote)?;
        let close = at + 1 + len;
        let text = self.text;
        let inner = &text[at + 1..close];
        if quote == b'"' && inner.contains('\\') {
            return None;
        }
        let style = if quote == b'"' {
            Style::DoubleQuoted
        } else {
            Style::SingleQuoted
        };
        self.scalar(at, close + 1, inner, style);
        Some(close + 1)
    }

    /// Reads a one-line flow list `[a, "b", c d]` opening at `at`, which must close at
    /// `end`.
    fn flow_list(&mut self, at: usize, end: usize) -> Option<()> {
        let bytes = self.text.as_bytes();
        let (open, inner) = (self.mark(at), self.mark(at + 1));
        self.push(seq_start(true), open, inner);
        let mut p = at + 1 + count_spaces(&bytes[at + 1..end]);
        if bytes.get(p) != Some(&b']') {
            loop {
                if p >= end {
                    return None;
                }
                p = match bytes[p] {
                    b'"' | b'\'' => self.quoted(p, end)?,
                    _ => {
                        let rest = &bytes[p..end];
                        if !plain_start(rest) {
                            return None;
                        }
                        let len = rest
                            .iter()
                            .position(|&b| b == b',' || b == b']')
                            .unwrap_or(rest.len());
                        let word = &rest[..len];
                        if word
                            .iter()
                            .any(|b| matches!(b, b':' | b'#' | b'[' | b'{' | b'}'))
                        {
                            return None;
                        }
                        let trimmed =
                            word.len() - word.iter().rev().take_while(|&&b| b == b' ').count();
                        let text = self.text;
                        self.scalar(p, p + trimmed, &text[p..p + trimmed], Style::Plain);
                        p + len
                    }
                };
                p += count_spaces(&bytes[p..end]);
                match bytes.get(p) {
                    Some(b',') if p < end => {
                        p += 1;
                        p += count_spaces(&bytes[p..end]);
                        if bytes.get(p) == Some(&b']') {
                            return None;
                        }
                    }
                    Some(b']') if p < end => break,
                    _ => return None,
                }
            }
        }
        let (close, after) = (self.mark(p), self.mark(p + 1));
        self.push(Event::SequenceEnd, close, after);
        comment_or_end(&bytes[p + 1..end])
    }

    /// Closes, at `at`, the collections that a token at column `indent` ends: those
    /// indented deeper, and a sequence at its key's indentation when the token is a key
    /// of that mapping.
    fn close(&mut self, indent: usize, key: bool, at: Mark) {
        while let Some(&top) = self.stack.last() {
            let close = match top {
                Frame::Map(i) => i > indent,
                Frame::Seq {
                    indent: i,
                    indentless,
                } => i > indent || (indentless && i == indent && key),
            };
            if !close {
                break;
            }
            self.stack.pop();
            let event = match top {
                Frame::Map(_) => Event::MappingEnd,
                Frame::Seq { .. } => Event::SequenceEnd,
            };
            self.push(event, at, at);
        }
    }

    /// Closes what is open at the end of the text.
    fn finish(mut self) -> Option<Vec<Item>> {
        if !self.started {
            return None;
        }
        if let Some((_, after_colon)) = self.pending.take() {
            self.empty_scalar(after_colon);
        }
        // libyaml first closes what is indented deeper than where the text ends (the
        // column of an unfinished last line), there; then, at the start of the line
        // after, everything else.
        let len = self.text.len();
        if !self.text.ends_with('\n') {
            self.line -= 1;
            let last = self.mark(len);
            self.line += 1;
            self.close(last.column, false, last);
        }
        let end = Mark {
            index: len,
            line: self.line,
            column: 0,
        };
        while let Some(frame) = self.stack.pop() {
            let event = match frame {
                Frame::Map(_) => Event::MappingEnd,
                Frame::Seq { .. } => Event::SequenceEnd,
            };
            self.push(event, end, end);
        }
        self.push(Event::DocumentEnd, end, end);
        self.push(Event::StreamEnd, end, end);
        Some(self.out)
    }
}

fn map_start(flow: bool) -> Event {
    Event::MappingStart {
        anchor: None,
        tag: None,
        flow,
    }
}

fn seq_start(flow: bool) -> Event {
    Event::SequenceStart {
        anchor: None,
        tag: None,
        flow,
    }
}

/// Whether what follows a value on its line is nothing, or spaces and a comment.
fn comment_or_end(rest: &[u8]) -> Option<()> {
    let spaces = count_spaces(rest);
    (rest.is_empty() || (spaces > 0 && rest.get(spaces) == Some(&b'#'))).then_some(())
}

fn count_spaces(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|&&b| b == b' ').count()
}

/// The length of the key at the start of `line` when it is `key:` followed by a space
/// or the end of the line.
fn key_len(line: &[u8]) -> Option<usize> {
    let first = *line.first()?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let len = line
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        .count();
    let ok = len <= MAX_KEY
        && line.get(len) == Some(&b':')
        && matches!(line.get(len + 1), None | Some(b' '));
    ok.then_some(len)
}

/// Whether a plain scalar may start `text`: no indicator, and `-` only before a letter,
/// digit, `-` or `.` (so it is not a list item).
fn plain_start(text: &[u8]) -> bool {
    match text.first() {
        None => false,
        Some(b'-') => {
            matches!(text.get(1), Some(b) if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'))
        }
        Some(b) => !matches!(
            b,
            b' ' | b'?'
                | b':'
                | b','
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'#'
                | b'&'
                | b'*'
                | b'!'
                | b'|'
                | b'>'
                | b'\''
                | b'"'
                | b'%'
                | b'@'
                | b'`'
        ),
    }
}

#[cfg(test)]
mod tests;
