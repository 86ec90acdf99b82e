//! A safe, pull-style view of libyaml's parser events, each with its position.
//!
//! serde_yaml runs this same parser (the `unsafe-libyaml` translation of libyaml) but
//! collects every event of the document before it looks at any, and reports no
//! positions for the values it hands out. The reader needs both: to stop at the first
//! sign of hostile input (nesting, aliases) before the rest is scanned, and to point at
//! the line and column of every problem. Using the same parser keeps crm's reading of a
//! file identical to serde_yaml's, which the append check relies on.
//!
//! All `unsafe` of the crate is in this file. It follows serde_yaml's own wrapper
//! (`serde_yaml/src/libyaml/parser.rs`): the parser state is heap-allocated and never
//! moves (libyaml keeps a pointer to it), every event is copied into owned Rust values
//! and freed at once, and the input outlives the parser by the `'input` lifetime.

use std::ffi::CStr;
use std::marker::PhantomData;
use std::mem::MaybeUninit;

use unsafe_libyaml as unsafe_sys;

/// A position in the input: 0-based line, 0-based column in characters, byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Mark {
    /// Byte offset from the start of the input.
    pub(crate) index: usize,
    /// 0-based line.
    pub(crate) line: usize,
    /// 0-based column, counted in characters.
    pub(crate) column: usize,
}

impl Mark {
    fn of(mark: unsafe_sys::yaml_mark_t) -> Mark {
        Mark {
            index: usize::try_from(mark.index).unwrap_or(usize::MAX),
            line: usize::try_from(mark.line).unwrap_or(usize::MAX),
            column: usize::try_from(mark.column).unwrap_or(usize::MAX),
        }
    }
}

/// A scalar's text as the parser hands it over. Most scalars of a customer file are
/// short (keys, dates, kinds, amounts, names): up to [`Text::INLINE`] bytes are kept
/// in the value itself, so reading a file does not allocate once per scalar; longer
/// ones are on the heap. Reads as a `&str` (through `Deref`).
#[derive(Clone)]
pub(crate) struct Text(Repr);

#[derive(Clone)]
enum Repr {
    /// The first `len` bytes of `bytes`, which are valid UTF-8.
    Inline {
        len: u8,
        bytes: [u8; Text::INLINE],
    },
    Heap(Box<str>),
}

impl Text {
    /// The longest text kept without an allocation (the value is as large as a
    /// `String`).
    pub(crate) const INLINE: usize = 22;

    /// The text of `s`.
    pub(crate) fn new(s: &str) -> Text {
        if s.len() <= Text::INLINE {
            let mut bytes = [0; Text::INLINE];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            Text(Repr::Inline {
                len: s.len() as u8,
                bytes,
            })
        } else {
            Text(Repr::Heap(s.into()))
        }
    }

    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        match &self.0 {
            // SAFETY: `bytes[..len]` is a copy of a `&str` (see `Text::new`), so it is
            // valid UTF-8, and `len <= INLINE`.
            Repr::Inline { len, bytes } => unsafe {
                std::str::from_utf8_unchecked(bytes.get_unchecked(..usize::from(*len)))
            },
            Repr::Heap(s) => s,
        }
    }
}

impl Default for Text {
    fn default() -> Text {
        Text::new("")
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::new(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        if s.len() <= Text::INLINE {
            Text::new(&s)
        } else {
            Text(Repr::Heap(s.into_boxed_str()))
        }
    }
}

impl From<Text> for String {
    fn from(t: Text) -> String {
        match t.0 {
            Repr::Heap(s) => s.into_string(),
            Repr::Inline { .. } => t.as_str().to_string(),
        }
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl std::hash::Hash for Text {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self.as_str(), f)
    }
}

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// Unquoted: YAML may read it as a number, boolean or null.
    Plain,
    /// `'...'`.
    SingleQuoted,
    /// `"..."`.
    DoubleQuoted,
    /// `|` block.
    Literal,
    /// `>` block.
    Folded,
}

/// One parser event, with its anchor (`&name`) and tag (`!tag`) where it can have them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Event {
    /// Start of the input.
    StreamStart,
    /// End of the input.
    StreamEnd,
    /// Start of a document (explicit `---` or implicit).
    DocumentStart,
    /// End of a document.
    DocumentEnd,
    /// `*name`.
    Alias(String),
    /// A scalar value.
    Scalar {
        /// Its anchor.
        anchor: Option<String>,
        /// Its tag.
        tag: Option<String>,
        /// The value after unquoting and folding.
        value: Text,
        /// How it was written.
        style: Style,
    },
    /// Start of a sequence.
    SequenceStart {
        /// Its anchor.
        anchor: Option<String>,
        /// Its tag.
        tag: Option<String>,
        /// Whether it is written `[...]` rather than as `- ` lines.
        flow: bool,
    },
    /// End of a sequence.
    SequenceEnd,
    /// Start of a mapping.
    MappingStart {
        /// Its anchor.
        anchor: Option<String>,
        /// Its tag.
        tag: Option<String>,
        /// Whether it is written `{...}` rather than as `key: value` lines.
        flow: bool,
    },
    /// End of a mapping.
    MappingEnd,
}

/// A syntax error as libyaml reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    /// What is wrong (`did not find expected key`).
    pub(crate) problem: String,
    /// Where, when libyaml knows the line (scanner and parser errors).
    pub(crate) mark: Option<Mark>,
    /// The byte offset, for errors found while decoding the text (reader errors).
    pub(crate) offset: usize,
    /// What was being parsed (`while parsing a block mapping`).
    pub(crate) context: Option<String>,
    /// Where that started (the opening quote of an unclosed string, the `[` of an
    /// unclosed list), when libyaml says.
    pub(crate) context_mark: Option<Mark>,
}

/// The parser over one input text.
pub(crate) struct Parser<'input> {
    /// Heap-allocated so that it never moves: libyaml points into it. Initialised by
    /// `yaml_parser_initialize` in [`Parser::new`], freed in `Drop`.
    state: Box<MaybeUninit<unsafe_sys::yaml_parser_t>>,
    done: bool,
    input: PhantomData<&'input [u8]>,
}

impl<'input> Parser<'input> {
    /// A parser over `input`, which must stay alive (and unchanged) while it runs.
    pub(crate) fn new(input: &'input str) -> Parser<'input> {
        let mut state = Box::new(MaybeUninit::<unsafe_sys::yaml_parser_t>::uninit());
        let parser = state.as_mut_ptr();
        // SAFETY: `parser` points to writable, heap-allocated memory that does not move
        // for the life of `state`. libyaml initialises it (it allocates only small
        // buffers; an allocation failure aborts the process, as in all Rust code).
        // The input pointer stays valid for `'input`, which outlives the parser.
        unsafe {
            if unsafe_sys::yaml_parser_initialize(parser).fail {
                std::process::abort();
            }
            unsafe_sys::yaml_parser_set_encoding(parser, unsafe_sys::YAML_UTF8_ENCODING);
            unsafe_sys::yaml_parser_set_input_string(parser, input.as_ptr(), input.len() as u64);
        }
        Parser {
            state,
            done: false,
            input: PhantomData,
        }
    }

    /// The next event with where it starts and ends, or the syntax error that stops
    /// the parse. After [`Event::StreamEnd`] or an error, every call returns `None`.
    pub(crate) fn next_event(&mut self) -> Option<Result<(Event, Mark, Mark), SyntaxError>> {
        if self.done {
            return None;
        }
        let parser = self.state.as_mut_ptr();
        let mut event = MaybeUninit::<unsafe_sys::yaml_event_t>::uninit();
        // SAFETY: `parser` was initialised in `new` and has not failed before (`done`
        // is set on the first error). On success libyaml has written a complete event,
        // which is read (its strings copied out) and then freed exactly once.
        unsafe {
            let event = event.as_mut_ptr();
            if unsafe_sys::yaml_parser_parse(parser, event).fail {
                self.done = true;
                return Some(Err(syntax_error(parser)));
            }
            let converted = convert(&*event);
            let start = Mark::of((*event).start_mark);
            let end = Mark::of((*event).end_mark);
            unsafe_sys::yaml_event_delete(event);
            if converted == Event::StreamEnd {
                self.done = true;
            }
            Some(Ok((converted, start, end)))
        }
    }
}

impl Drop for Parser<'_> {
    fn drop(&mut self) {
        // SAFETY: initialised in `new` and freed only here.
        unsafe { unsafe_sys::yaml_parser_delete(self.state.as_mut_ptr()) }
    }
}

/// Copies a NUL-terminated libyaml string; `None` for a null pointer.
///
/// # Safety
/// `ptr` is null or points to a NUL-terminated string that lives for the call.
unsafe fn c_string(ptr: *const u8) -> Option<String> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: non-null and NUL-terminated by the caller's contract.
    let bytes = unsafe { CStr::from_ptr(ptr.cast()) }.to_bytes();
    Some(String::from_utf8_lossy(bytes).into_owned())
}

/// # Safety
/// `event` is an event that `yaml_parser_parse` filled in and that is not yet freed.
unsafe fn convert(event: &unsafe_sys::yaml_event_t) -> Event {
    // SAFETY (all reads below): the union member read is the one `type_` says is set,
    // and its pointers are null or valid until the event is freed by the caller.
    unsafe {
        match event.type_ {
            unsafe_sys::YAML_STREAM_START_EVENT => Event::StreamStart,
            unsafe_sys::YAML_STREAM_END_EVENT => Event::StreamEnd,
            unsafe_sys::YAML_DOCUMENT_START_EVENT => Event::DocumentStart,
            unsafe_sys::YAML_DOCUMENT_END_EVENT => Event::DocumentEnd,
            unsafe_sys::YAML_ALIAS_EVENT => {
                Event::Alias(c_string(event.data.alias.anchor).unwrap_or_default())
            }
            unsafe_sys::YAML_SCALAR_EVENT => {
                let scalar = event.data.scalar;
                let length = usize::try_from(scalar.length).unwrap_or(0);
                let value = if length == 0 || scalar.value.is_null() {
                    Text::default()
                } else {
                    let bytes = std::slice::from_raw_parts(scalar.value, length);
                    match std::str::from_utf8(bytes) {
                        Ok(text) => Text::new(text),
                        Err(_) => Text::from(String::from_utf8_lossy(bytes).into_owned()),
                    }
                };
                Event::Scalar {
                    anchor: c_string(scalar.anchor),
                    tag: c_string(scalar.tag),
                    value,
                    style: match scalar.style {
                        unsafe_sys::YAML_SINGLE_QUOTED_SCALAR_STYLE => Style::SingleQuoted,
                        unsafe_sys::YAML_DOUBLE_QUOTED_SCALAR_STYLE => Style::DoubleQuoted,
                        unsafe_sys::YAML_LITERAL_SCALAR_STYLE => Style::Literal,
                        unsafe_sys::YAML_FOLDED_SCALAR_STYLE => Style::Folded,
                        _ => Style::Plain,
                    },
                }
            }
            unsafe_sys::YAML_SEQUENCE_START_EVENT => Event::SequenceStart {
                anchor: c_string(event.data.sequence_start.anchor),
                tag: c_string(event.data.sequence_start.tag),
                flow: event.data.sequence_start.style == unsafe_sys::YAML_FLOW_SEQUENCE_STYLE,
            },
            unsafe_sys::YAML_SEQUENCE_END_EVENT => Event::SequenceEnd,
            unsafe_sys::YAML_MAPPING_START_EVENT => Event::MappingStart {
                anchor: c_string(event.data.mapping_start.anchor),
                tag: c_string(event.data.mapping_start.tag),
                flow: event.data.mapping_start.style == unsafe_sys::YAML_FLOW_MAPPING_STYLE,
            },
            unsafe_sys::YAML_MAPPING_END_EVENT => Event::MappingEnd,
            // libyaml emits no other event types from a successful parse.
            _ => Event::StreamEnd,
        }
    }
}

/// # Safety
/// `parser` is an initialised parser whose last call failed.
unsafe fn syntax_error(parser: *const unsafe_sys::yaml_parser_t) -> SyntaxError {
    // SAFETY: the error fields are set by libyaml when a call fails; the strings are
    // static C strings.
    unsafe {
        let state = &*parser;
        let mark = state.problem_mark;
        let context = c_string(state.context.cast());
        SyntaxError {
            problem: c_string(state.problem.cast())
                .unwrap_or_else(|| "the YAML parser failed".to_string()),
            mark: (state.error != unsafe_sys::YAML_READER_ERROR).then(|| Mark::of(mark)),
            offset: usize::try_from(state.problem_offset).unwrap_or(0),
            context_mark: context.is_some().then(|| Mark::of(state.context_mark)),
            context,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(text: &str) -> Vec<Event> {
        let mut parser = Parser::new(text);
        let mut out = Vec::new();
        while let Some(next) = parser.next_event() {
            out.push(next.unwrap().0);
        }
        out
    }

    #[test]
    fn reads_scalars_with_their_style_and_position() {
        let mut parser = Parser::new("name: 'Ada'\nn: *x\n");
        let mut seen = Vec::new();
        while let Some(Ok((event, mark, _))) = parser.next_event() {
            seen.push((event, mark.line, mark.column));
        }
        assert!(seen.contains(&(
            Event::Scalar {
                anchor: None,
                tag: None,
                value: "Ada".into(),
                style: Style::SingleQuoted
            },
            0,
            6
        )));
        assert!(seen.contains(&(Event::Alias("x".into()), 1, 3)));
    }

    #[test]
    fn stops_at_the_first_error() {
        let mut parser = Parser::new("a: [b\n");
        let mut last = None;
        while let Some(next) = parser.next_event() {
            last = Some(next);
        }
        let err = last.unwrap().unwrap_err();
        assert!(err.mark.is_some(), "{err:?}");
        assert!(parser.next_event().is_none());
    }

    #[test]
    fn a_complete_stream() {
        assert_eq!(
            events("- 1\n"),
            [
                Event::StreamStart,
                Event::DocumentStart,
                Event::SequenceStart {
                    anchor: None,
                    tag: None,
                    flow: false
                },
                Event::Scalar {
                    anchor: None,
                    tag: None,
                    value: "1".into(),
                    style: Style::Plain
                },
                Event::SequenceEnd,
                Event::DocumentEnd,
                Event::StreamEnd
            ]
        );
    }
}
