//! Lossless appends to a person's customer file: crm only ever *adds* entries to the
//! `interactions:` list and leaves every other byte (comments, key order, quoting,
//! unknown fields, blank lines, line endings) exactly as it was. The one exception is an
//! empty value (`[]`, `~`, `null`), which is taken out so that entries can follow as a
//! block list.
//!
//! Where the list is, where it ends and what it holds come from the parser: every node
//! of the [`tree`](super::parse) knows the bytes it spans. So a quoted text running over several
//! lines, `\r` line ends, or a list written on the line after its key are seen exactly
//! as the YAML parser sees them. Lines are looked at only for what the parser skips:
//! indentation, and the comments after the list (those indented into it stay with it).
//!
//! [`plan`] decides from the parsed file alone whether and where entries can go, and
//! `crm check` runs that same function: a file check passes takes an append, and a file
//! an append refuses is reported by check. The caller still re-reads the result and
//! compares it with what it meant to write before anything is saved. This module works
//! on text alone: it never touches the file system.

use std::ops::Range;

use super::libyaml::Style;
use super::tree::{break_len, Document, Node, NodeKind, Pos};
use super::value::{push_entry, value_of, Value};
use crate::error::Error;

/// How entries are added to one file, as decided by [`plan`]; [`Plan::apply`] writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Bytes taken out first: an empty value (`[]`, `~`) that block entries replace,
    /// and what to put in its place (a blank, when a comment followed it directly).
    remove: Option<(Range<usize>, &'static str)>,
    /// Where the entries go: a line start or the end of the text for block entries,
    /// a place inside the brackets for flow entries. Never before `remove`.
    at: usize,
    how: How,
    newline: &'static str,
    /// Where messages about this append point: the line the new entries follow, or,
    /// in a `[...]` list, the place they go.
    pub(crate) pos: Pos,
    /// The part of the file an append can be verified on without reading the rest
    /// again (see [`Plan::verify_region`]); `None` where only the whole file will do.
    region: Option<Region>,
}

/// The end of a file from a line start where the parser is between two entries of the
/// top mapping, or between two items of the list, up to the end of the text: what
/// [`Plan::verify_region`] reads again instead of the whole file. Only a file without
/// aliases has one (an alias in the region could name an anchor before it).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Region {
    /// Where it starts in the text: at or before every byte the append changes.
    start: usize,
    /// What goes before it to give it the context it has in the file: the list's key
    /// at the mapping's indentation when the region starts at an item of the list.
    header: String,
    /// The top-level keys the region holds, as the file's parse read them (`None` for a
    /// key that is not a string).
    keys: Vec<Option<String>>,
    /// How many items of the list the region holds before the new ones.
    kept: usize,
}

/// A [`Plan`] that adds after the last item of a block list, as data: what crm keeps
/// of the last append to a big file so that the next one need not parse it (the store
/// keeps it with the file's stamp and a fingerprint of its bytes, and uses it only for
/// exactly those bytes). [`SavedPlan::plan`] checks it against the text again.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct SavedPlan {
    at: u64,
    indent: u64,
    offset: u64,
    newline: String,
    line: u64,
    start: u64,
    header: String,
    keys: Vec<Option<String>>,
}

impl SavedPlan {
    /// The plan again, for `text` (the bytes it was made for), if it still fits the
    /// text's shape: the entries go at a line start after the region's start, which is
    /// the line of an item's `- ` at the list's indentation.
    pub(crate) fn plan(&self, text: &str) -> Option<Plan> {
        let at = usize::try_from(self.at).ok()?;
        let start = usize::try_from(self.start).ok()?;
        let indent = usize::try_from(self.indent).ok()?;
        let offset = usize::try_from(self.offset).ok()?;
        let newline = ["\n", "\r\n", "\r"]
            .into_iter()
            .find(|n| *n == self.newline)?;
        let bytes = text.as_bytes();
        let fits = start < at
            && at <= text.len()
            && text.is_char_boundary(start)
            && is_line_start(bytes, start)
            && is_line_start(bytes, at)
            && offset >= 2
            && text[start..]
                .strip_prefix(&" ".repeat(indent))
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|rest| rest.starts_with(' '));
        if !fits {
            return None;
        }
        Some(Plan {
            remove: None,
            at,
            how: How::Block {
                indent,
                offset,
                key: None,
            },
            newline,
            pos: Pos {
                line: usize::try_from(self.line).ok()?,
                column: 1,
            },
            region: Some(Region {
                start,
                header: self.header.clone(),
                keys: self.keys.clone(),
                kept: 1,
            }),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum How {
    /// `- ` entries with the `-` at column `indent` (0-based) and each field `offset`
    /// columns after it; `key` is the `key:` line written first when the list is new.
    Block {
        indent: usize,
        offset: usize,
        key: Option<String>,
    },
    /// `{...}` entries in a `[...]` list, after `lead` (`", "`, `" "` or nothing).
    Flow { lead: &'static str },
}

/// Why crm cannot append to a file by adding to it, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppendError {
    /// 1-based line of the offending text.
    pub(crate) line: usize,
    /// 1-based column of the offending text.
    pub(crate) column: usize,
    /// What is in the way.
    pub(crate) layout: Layout,
}

/// A file layout crm does not append to, because doing so would mean rewriting what a
/// person wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Layout {
    /// The whole file is one flow mapping: `{name: A, interactions: []}`.
    FlowMapping,
    /// The file is no mapping at all (a list, or nothing but comments).
    NoMapping,
    /// The list's key is written as `? key` (an explicit key).
    ExplicitKey,
    /// The list carries an anchor, alias or tag (the text given).
    Decorated(String),
    /// The key holds something other than a list (the text given).
    NotAList(String),
    /// The file ends inside a `|` or `>` block without a line break, which the new
    /// lines would add to the block's text.
    UnendedBlock,
}

impl AppendError {
    fn at(text: &str, offset: usize, layout: Layout) -> AppendError {
        let pos = Pos::at_offset(text, offset);
        AppendError {
            line: pos.line,
            column: pos.column,
            layout,
        }
    }

    /// The user-facing error for file `shown` of customer `id`: where, why, and how to
    /// write the file so that crm can append to it.
    pub(crate) fn into_error(self, shown: &str, id: &str) -> Error {
        let (why, hint) = self.explain(id);
        Error::invalid_file(format!(
            "{shown}:{}:{}: {why}; nothing was written",
            self.line, self.column
        ))
        .with_hint(hint)
    }

    /// Why crm cannot append to the file of customer `id`, and how to write it so that
    /// it can (also what `crm check` says about such a file).
    pub(crate) fn explain(&self, id: &str) -> (String, String) {
        let block = format!(
            "with `crm edit {id}`, write `interactions:` on a line of its own with one `  - date: ...` entry per interaction under it (see docs/format.md), then run the command again"
        );
        match &self.layout {
            Layout::FlowMapping => (
                "the file is written as one flow mapping (`{...}`); crm appends only to block-style files with one `key: value` per line".to_string(),
                format!("with `crm edit {id}`, rewrite it one `key: value` per line (drop the braces and commas), then run the command again"),
            ),
            Layout::NoMapping => (
                "the file is not a mapping of `key: value` lines".to_string(),
                format!("with `crm edit {id}`, make it a customer file that starts with `name: ...` (see docs/format.md)"),
            ),
            Layout::ExplicitKey => (
                "`interactions` is written as `? interactions` (a YAML explicit key); crm appends only to a list written `interactions:`".to_string(),
                format!("with `crm edit {id}`, write the `? interactions` and `: ...` lines as one `interactions:` line, then run the command again"),
            ),
            Layout::Decorated(token) => (
                format!("`interactions` carries the YAML anchor, alias or tag `{token}`; crm appends only to a plain list"),
                format!("with `crm edit {id}`, remove `{token}` and keep `interactions:` a plain list of `  - date: ...` entries, then run the command again"),
            ),
            Layout::NotAList(value) => (
                format!("`interactions` holds `{value}`, which is not a list crm can append to"),
                block,
            ),
            Layout::UnendedBlock => (
                "the file ends inside this `|` or `>` block with no line break after its last line; adding lines after it would add one to its text".to_string(),
                format!("with `crm edit {id}`, end the file with a line break (or write `|-` to keep the text without one), then run the command again"),
            ),
        }
    }
}

/// Decides how entries are appended to the top-level list `key` of `text`, parsed as
/// `doc` (by [`super::parse`]), keeping every byte before and after them:
///
/// - a block list gets them after its last entry (and after comments indented into
///   it), with the list's own indentation;
/// - `key:` with nothing after it gets them on the next lines;
/// - `key: []`, `key: ~` or any spelling of null loses that empty value (a comment after
///   it stays, with its spacing) and gets them on the next lines;
/// - a non-empty `[...]` list gets them as `{...}` after its last entry;
/// - a missing key is added, with the entries, after the mapping's last value: before
///   trailing blank lines, comments at the keys' indentation (a footer) and a `...`.
///
/// Anything else is refused with its line and column: a file that is one `{...}`
/// mapping, `? interactions`, a list with an anchor, alias or tag, and a file that ends
/// inside a `|` or `>` block without a line break (new lines after it would change its
/// text).
pub(crate) fn plan(text: &str, doc: &Document, key: &str) -> Result<Plan, AppendError> {
    let mut plan = layout(text, doc, key)?;
    if doc.aliases == 0 {
        plan.region = region(text, doc, key, &plan);
    }
    Ok(plan)
}

/// [`plan`] without its [`Region`].
fn layout(text: &str, doc: &Document, key: &str) -> Result<Plan, AppendError> {
    let refuse = |offset: usize, layout| Err(AppendError::at(text, offset, layout));
    let Some(root) = doc.root.as_ref() else {
        return refuse(0, Layout::NoMapping);
    };
    let top = doc.resolve(root);
    let NodeKind::Map(entries) = &top.kind else {
        return refuse(top.span.start, Layout::NoMapping);
    };
    if top.flow {
        return refuse(top.span.start, Layout::FlowMapping);
    }
    let Some((_, last)) = entries.last() else {
        return refuse(top.span.start, Layout::NoMapping);
    };
    // libyaml starts no block mapping on the `---` line, so its first key (or `?`) is
    // the first thing on its line, at the mapping's indentation.
    let indent = top.span.open - line_start(text, top.span.open);
    let newline = newline_of(text);

    let Some((key_node, value)) = doc.entry(root, key) else {
        let at = after_comments(text, content_end(text, doc, last)?, indent);
        let how = How::Block {
            indent: indent + 2,
            offset: 2,
            key: Some(format!("{}{key}:", " ".repeat(indent))),
        };
        return Ok(Plan::new(text, None, at, how, newline));
    };
    let key_line = line_start(text, key_node.span.start);
    let prefix = &text[key_line..key_node.span.start];
    if !prefix.bytes().all(|b| b == b' ') {
        return refuse(key_line + spaces(prefix), Layout::ExplicitKey);
    }
    let key_indent = prefix.len();
    let target = doc.resolve(value);
    if matches!(value.kind, NodeKind::Anchor(_)) || target.tag.is_some() {
        let token = token_at(text, value.span.start);
        return refuse(value.span.start, Layout::Decorated(token));
    }
    match &target.kind {
        NodeKind::Seq(items) if target.flow => {
            let Some(last) = items.last() else {
                let inside = &text[target.span.start..target.span.end];
                if inside.contains('#') {
                    // Comments inside the brackets stay: the entries go after `[`.
                    let how = How::Flow { lead: "" };
                    return Ok(Plan::new(text, None, target.span.open + 1, how, newline));
                }
                return Ok(replace_empty(text, target, key_indent, newline));
            };
            let after = last.span.end;
            let blanks = spaces_or_tabs(&text[after..]);
            let how_at = if text[after + blanks..].starts_with(',') {
                (How::Flow { lead: " " }, after + blanks + 1)
            } else {
                (How::Flow { lead: ", " }, after)
            };
            Ok(Plan::new(text, None, how_at.1, how_at.0, newline))
        }
        NodeKind::Seq(items) => {
            let dash = target.span.open;
            let item_indent = dash - line_start(text, dash);
            let offset = items
                .first()
                .map(|item| item.span.start.saturating_sub(dash))
                .filter(|&offset| !has_break(&text[dash..dash + offset]))
                .unwrap_or(2)
                .max(2);
            let at = after_comments(text, content_end(text, doc, value)?, item_indent);
            let how = How::Block {
                indent: item_indent,
                offset,
                key: None,
            };
            Ok(Plan::new(text, None, at, how, newline))
        }
        _ if target.is_null() => Ok(replace_empty(text, target, key_indent, newline)),
        _ => {
            let token = token_at(text, value.span.start);
            let shown: String = token.chars().take(40).collect();
            refuse(value.span.start, Layout::NotAList(shown))
        }
    }
}

/// The [`Region`] an append planned as `plan` is verified on, if the file's layout
/// gives one: from the line of the list's last item when the entries follow it in a
/// block list (the key put before it), else from the line of the list's key, or of the
/// mapping's last key when the list is new. Each start must be a line that holds
/// nothing before the key or the item's `- ` but spaces.
fn region(text: &str, doc: &Document, key: &str, plan: &Plan) -> Option<Region> {
    let root = doc.root.as_ref()?;
    let NodeKind::Map(entries) = &doc.resolve(root).kind else {
        return None;
    };
    let keys_from = |first: usize| -> Vec<Option<String>> {
        entries[first..]
            .iter()
            .map(|(k, _)| doc.resolve(k).scalar().map(str::to_string))
            .collect()
    };
    let key_line = |node: &Node| -> Option<usize> {
        let start = line_start(text, node.span.start);
        text[start..node.span.start]
            .bytes()
            .all(|b| b == b' ')
            .then_some(start)
    };
    let found = entries
        .iter()
        .position(|(k, _)| doc.resolve(k).scalar() == Some(key));
    let Some(index) = found else {
        // A new list after the mapping's last entry: from that entry's key.
        let last = entries.len().checked_sub(1)?;
        let start = key_line(&entries[last].0)?;
        return Some(Region {
            start,
            header: String::new(),
            keys: keys_from(last),
            kept: 0,
        });
    };
    let (key_node, value) = &entries[index];
    let start = key_line(key_node)?;
    let target = doc.resolve(value);
    let block_items = match (&target.kind, &plan.how) {
        (NodeKind::Seq(items), How::Block { indent, .. }) if !target.flow => {
            items.last().map(|item| (item, *indent))
        }
        _ => None,
    };
    let Some((item, indent)) = block_items else {
        // An empty value, or a `[...]` list: from the key's line.
        let kept = match &target.kind {
            NodeKind::Seq(items) => items.len(),
            _ => 0,
        };
        return Some(Region {
            start,
            header: String::new(),
            keys: keys_from(index),
            kept,
        });
    };
    // From the line of the last item's `- `, with the key before it.
    let line = line_start(text, item.span.start);
    let lead = &text[line..item.span.start];
    let dash = lead.strip_prefix(&" ".repeat(indent))?.strip_prefix('-')?;
    if dash.is_empty() || !dash.bytes().all(|b| b == b' ') {
        return None;
    }
    let key_indent = key_node.span.start - start;
    Some(Region {
        start: line,
        header: format!("{}{key}:{}", " ".repeat(key_indent), plan.newline),
        keys: keys_from(index),
        kept: 1,
    })
}

/// Block entries in place of the empty value `value` (`[]`, `~`, or nothing at all)
/// of a key at column `key_indent`. The value goes with the blanks before it, and its
/// whole line if nothing else is on it.
fn replace_empty(text: &str, value: &Node, key_indent: usize, newline: &'static str) -> Plan {
    let span = value.span;
    let remove = (span.start < span.end).then(|| {
        let mut start = span.start;
        while start > 0 && matches!(text.as_bytes()[start - 1], b' ' | b'\t') {
            start -= 1;
        }
        let begin = line_start(text, start);
        let rest = &text[span.end..line_end(text, span.end)];
        if begin == start && rest.trim_matches([' ', '\t']).is_empty() {
            (begin..next_line(text, span.end), "")
        } else if rest.starts_with('#') {
            // `key: []#note`: a comment needs a blank before it.
            (start..span.end, " ")
        } else {
            (start..span.end, "")
        }
    });
    let at = after_comments(text, span.end, key_indent);
    let how = How::Block {
        indent: key_indent + 2,
        offset: 2,
        key: None,
    };
    Plan::new(text, remove, at, how, newline)
}

impl Plan {
    fn new(
        text: &str,
        remove: Option<(Range<usize>, &'static str)>,
        at: usize,
        how: How,
        newline: &'static str,
    ) -> Plan {
        let pos = match how {
            How::Flow { .. } => Pos::at_offset(text, at),
            How::Block { .. } => Pos {
                line: Pos::at_offset(text, at.saturating_sub(1)).line,
                column: 1,
            },
        };
        Plan {
            remove,
            at,
            how,
            newline,
            pos,
            region: None,
        }
    }

    /// Verifies an append by reading again only the end of the file it changed: `new`
    /// (what [`Plan::apply`] made of `old` with the entries that read as `entries`)
    /// must keep every byte of `old` before the region and after the insertion, the
    /// region of `old` must read (serde_yaml, with its header) as the file's own parse
    /// read it (the same top-level keys, the same number of list items), and the region
    /// of `new` as that plus `entries` on the list `key`. YAML is read from the start
    /// of a line on with no memory of the lines before but the open collections, which
    /// the header restores, so this is what the whole file would say; the property test
    /// below holds it to the whole-file comparison on thousands of mangled files.
    ///
    /// Gives the region of `new` with its header (for the caller's typed read of the
    /// new items, which follow [`Plan::kept`] items of the list), or `None` when the
    /// plan has no region or any of this fails: then the caller compares whole files.
    pub(crate) fn verify_region(
        &self,
        old: &str,
        new: &str,
        key: &str,
        entries: Vec<Value>,
    ) -> Option<String> {
        let region = self.region.as_ref()?;
        let start = region.start;
        let tail = old.len().checked_sub(self.at)?;
        let unchanged = new.len() >= start + tail
            && new.as_bytes()[..start] == old.as_bytes()[..start]
            && new.as_bytes()[new.len() - tail..] == old.as_bytes()[self.at..];
        if !unchanged || !new.is_char_boundary(start) {
            return None;
        }
        let old_region = format!("{}{}", region.header, &old[start..]);
        let new_region = format!("{}{}", region.header, &new[start..]);
        let mut expected = value_of(&old_region).ok()?;
        let map = expected.as_mapping()?;
        let keys: Vec<Option<String>> =
            map.keys().map(|k| k.as_str().map(str::to_string)).collect();
        let same_keys = keys.len() == region.keys.len()
            && keys
                .iter()
                .zip(&region.keys)
                .all(|(read, parsed)| read.is_none() || parsed.is_none() || read == parsed);
        let kept = match map.get(key) {
            None | Some(Value::Null) => 0,
            Some(Value::Sequence(items)) => items.len(),
            Some(_) => return None,
        };
        if !same_keys || kept != region.kept {
            return None;
        }
        for entry in entries {
            push_entry(&mut expected, key, entry);
        }
        (value_of(&new_region).ok()? == expected).then_some(new_region)
    }

    /// The plan [`plan`] would make for the text [`Plan::apply`] makes of `text` with
    /// `entries`, without parsing that text: for a plan that adds to a block list after
    /// its last item (no key to write, nothing to take out, a region that starts at the
    /// last item), the new entries are the list's last items, so the next ones go right
    /// after them, in the same layout, and are verified from the line of the last new
    /// item. `None` for any other plan (the next append then parses the file). A
    /// property test holds this to [`plan`] of the new text on mangled files.
    pub(crate) fn after(&self, text: &str, entries: &[Vec<String>]) -> Option<Plan> {
        let (How::Block { key: None, .. }, None, Some(region)) =
            (&self.how, &self.remove, &self.region)
        else {
            return None;
        };
        if region.header.is_empty() || !is_line_start(text.as_bytes(), self.at) {
            return None;
        }
        let last = entries.last()?;
        let (_, added) = self.splice(text, entries);
        let (_, last_added) = self.splice(text, std::slice::from_ref(last));
        let at = self.at + added.len();
        // The line breaks the new entries hold, counted as positions count them.
        let breaks = Pos::at_offset(&added, added.len()).line - 1;
        Some(Plan {
            remove: None,
            at,
            how: self.how.clone(),
            newline: self.newline,
            pos: Pos {
                line: self.pos.line + breaks,
                column: 1,
            },
            region: Some(Region {
                start: at - last_added.len(),
                header: region.header.clone(),
                keys: region.keys.clone(),
                kept: 1,
            }),
        })
    }

    /// The plan as data to keep until the next append (see [`SavedPlan`]), for the
    /// plans [`Plan::after`] can continue; `None` for others.
    pub(crate) fn saved(&self) -> Option<SavedPlan> {
        let (
            How::Block {
                indent,
                offset,
                key: None,
            },
            None,
            Some(region),
        ) = (&self.how, &self.remove, &self.region)
        else {
            return None;
        };
        if region.header.is_empty() || region.kept != 1 {
            return None;
        }
        Some(SavedPlan {
            at: self.at as u64,
            indent: *indent as u64,
            offset: *offset as u64,
            newline: self.newline.to_string(),
            line: self.pos.line as u64,
            start: region.start as u64,
            header: region.header.clone(),
            keys: region.keys.clone(),
        })
    }

    /// How many items of the list the region of [`Plan::verify_region`] holds before
    /// the new ones.
    pub(crate) fn kept(&self) -> usize {
        self.region.as_ref().map_or(0, |r| r.kept)
    }

    /// `text` (the text the plan was made for) with one entry per item of `entries`
    /// added, each given as its `key: value` fields.
    pub(crate) fn apply(&self, text: &str, entries: &[Vec<String>]) -> String {
        let (cut, replacement) = self.splice(text, entries);
        let mut out = String::with_capacity(text.len() + replacement.len());
        out.push_str(&text[..cut.start]);
        out.push_str(&replacement);
        out.push_str(&text[cut.end..]);
        out
    }

    /// What [`Plan::apply`] does, as one edit: the bytes of `text` it replaces and what
    /// goes in their place. For a caller that makes other edits to the same text in
    /// the same pass (the three-way merge of `super::merge`); the range never reaches
    /// before an entry of the list or after the list's end.
    pub(crate) fn splice(&self, text: &str, entries: &[Vec<String>]) -> (Range<usize>, String) {
        let mut added = String::new();
        match &self.how {
            How::Block {
                indent,
                offset,
                key,
            } => {
                let bytes = text.as_bytes();
                if self.at == text.len() && !text.is_empty() && !is_line_start(bytes, self.at) {
                    added.push_str(self.newline);
                }
                if let Some(key) = key {
                    added.push_str(key);
                    added.push_str(self.newline);
                }
                for fields in entries {
                    for (n, field) in fields.iter().enumerate() {
                        if n == 0 {
                            added.push_str(&" ".repeat(*indent));
                            added.push('-');
                            added.push_str(&" ".repeat(offset - 1));
                        } else {
                            added.push_str(&" ".repeat(indent + offset));
                        }
                        added.push_str(field);
                        added.push_str(self.newline);
                    }
                }
            }
            How::Flow { lead } => {
                added.push_str(lead);
                for (n, fields) in entries.iter().enumerate() {
                    if n > 0 {
                        added.push_str(", ");
                    }
                    added.push('{');
                    added.push_str(&fields.join(", "));
                    added.push('}');
                }
            }
        }
        let (cut, filler) = self.remove.clone().unwrap_or((self.at..self.at, ""));
        let mut out = String::with_capacity(self.at - cut.start + added.len());
        out.push_str(filler);
        out.push_str(&text[cut.end..self.at]);
        out.push_str(&added);
        (cut.start..self.at, out)
    }
}

/// The line ending the file uses: that of its first line, `\n` if it has none.
pub(super) fn newline_of(text: &str) -> &'static str {
    let bytes = text.as_bytes();
    match (0..bytes.len()).find(|&i| break_len(bytes, i) > 0) {
        Some(i) if bytes[i..].starts_with(b"\r\n") => "\r\n",
        Some(i) if bytes[i] == b'\r' => "\r",
        _ => "\n",
    }
}

/// Whether byte `i` starts a line: the start of the text or just after a line break.
pub(crate) fn is_line_start(bytes: &[u8], i: usize) -> bool {
    break_before(bytes, i).is_some() || i == 0
}

/// The start of the line break that ends just before byte `i`, if one does.
pub(crate) fn break_before(bytes: &[u8], i: usize) -> Option<usize> {
    let before = bytes.get(..i)?;
    match before {
        [.., b'\r', b'\n'] => Some(i - 2),
        [.., b'\n'] => Some(i - 1),
        [.., b'\r'] if bytes.get(i) != Some(&b'\n') => Some(i - 1),
        [.., 0xC2, 0x85] => Some(i - 2),
        [.., 0xE2, 0x80, 0xA8 | 0xA9] => Some(i - 3),
        _ => None,
    }
}

/// The start of the line holding byte `i`.
pub(crate) fn line_start(text: &str, i: usize) -> usize {
    let bytes = text.as_bytes();
    let mut start = i.min(bytes.len());
    while start > 0 && !is_line_start(bytes, start) {
        start -= 1;
    }
    start
}

/// The end of the line holding byte `i`, before its line break.
pub(crate) fn line_end(text: &str, i: usize) -> usize {
    let bytes = text.as_bytes();
    (i..bytes.len())
        .find(|&n| break_len(bytes, n) > 0)
        .unwrap_or(bytes.len())
}

/// The start of the line after the one holding byte `i` (the end of the text if none).
pub(crate) fn next_line(text: &str, i: usize) -> usize {
    let end = line_end(text, i);
    end + break_len(text.as_bytes(), end)
}

pub(crate) fn has_break(text: &str) -> bool {
    let bytes = text.as_bytes();
    (0..bytes.len()).any(|i| break_len(bytes, i) > 0)
}

pub(super) fn spaces(text: &str) -> usize {
    text.len() - text.trim_start_matches(' ').len()
}

fn spaces_or_tabs(text: &str) -> usize {
    text.len() - text.trim_start_matches([' ', '\t']).len()
}

/// The word at byte `i` (up to a blank or the end of the line), for messages.
pub(super) fn token_at(text: &str, i: usize) -> String {
    let rest = &text[i..line_end(text, i)];
    rest.split([' ', '\t']).next().unwrap_or(rest).to_string()
}

/// Where new lines go after content that ends at byte `end`: the start of the next
/// line (unless `end` is one already), moved past the comment lines that follow when
/// they are indented deeper than `indent` (they belong to what ends there). Between the
/// end of a node's content and the next token there are only blanks and comments.
///
/// Lines whose leading blanks hold a tab are moved past too: YAML accepts them after
/// the content they follow only as the tail of a plain value indented no deeper than
/// the tab, and the new entries' own last value may be indented deeper.
pub(super) fn after_comments(text: &str, end: usize, indent: usize) -> usize {
    let bytes = text.as_bytes();
    let mut at = if is_line_start(bytes, end) {
        end
    } else {
        next_line(text, end)
    };
    let mut line = at;
    while line < text.len() {
        let content = &text[line..line_end(text, line)];
        let next = next_line(text, line);
        let body = content.trim_start_matches([' ', '\t']);
        let tabbed = content[..content.len() - body.len()].contains('\t');
        let comment = body.starts_with('#');
        if !body.is_empty() && !comment {
            break;
        }
        if tabbed || (comment && spaces(content) > indent) {
            at = next;
        } else if comment {
            break;
        }
        line = next;
    }
    at
}

/// Where the content of `node` ends, for adding lines after it: its span's end, except
/// that a block scalar (`|`, `>`) ending it gives back the empty lines it swallowed,
/// unless it keeps them (`|+`), which makes them part of its text. Refused when it is a
/// block scalar that ends the file without a line break: the lines added after it would
/// give it one.
pub(super) fn content_end(text: &str, doc: &Document, node: &Node) -> Result<usize, AppendError> {
    let mut end = node.span.end;
    let leaf = last_leaf(doc, node);
    let block = matches!(
        leaf.kind,
        NodeKind::Scalar {
            style: Style::Literal | Style::Folded,
            ..
        }
    );
    if !block || leaf.span.end != end {
        return Ok(end);
    }
    let bytes = text.as_bytes();
    let chomping = chomping(text, leaf.span.start);
    if end == text.len() && !is_line_start(bytes, end) && chomping != Some('-') {
        return Err(AppendError::at(text, leaf.span.start, Layout::UnendedBlock));
    }
    if chomping != Some('+') {
        // Only lines with nothing at all on them: a line of spaces can be text.
        while let Some(start) = break_before(bytes, end) {
            if start <= leaf.span.start || !is_line_start(bytes, start) {
                break;
            }
            end = start;
        }
    }
    Ok(end)
}

/// The node written last inside `node` (itself for a scalar, a flow collection or an
/// alias, whose target is written elsewhere).
fn last_leaf<'a>(doc: &'a Document, node: &'a Node) -> &'a Node {
    let mut node = node;
    loop {
        let target = doc.resolve(node);
        if target.span.end != node.span.end {
            return node;
        }
        let child = match &target.kind {
            NodeKind::Seq(items) if !target.flow => items.last(),
            NodeKind::Map(entries) if !target.flow => entries.last().map(|(_, value)| value),
            _ => None,
        };
        match child {
            Some(child) => node = child,
            None => return target,
        }
    }
}

/// The chomping indicator (`+` keeps trailing empty lines, `-` strips the last line
/// break) of the block scalar starting at byte `start` (at its anchor, tag, or `|`/`>`).
fn chomping(text: &str, start: usize) -> Option<char> {
    let mut rest = &text[start..];
    loop {
        rest = rest.trim_start();
        if rest.starts_with(['&', '!']) {
            let len = rest.find(char::is_whitespace).unwrap_or(rest.len());
            rest = &rest[len..];
        } else if rest.starts_with('#') {
            rest = &rest[line_end(rest, 0)..];
        } else {
            break;
        }
    }
    let header = rest.strip_prefix(['|', '>'])?;
    header
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '+' | '-'))
        .find(|c| matches!(c, '+' | '-'))
}

/// `text` without the lines that equal one of `unwanted` (compared without their line
/// endings), if taking them out leaves what the YAML says exactly as it was; otherwise
/// `None`. For comment lines crm itself put into a file (`crm edit --new`'s template).
pub(crate) fn without_lines(text: &str, unwanted: &[&str]) -> Option<String> {
    let kept: String = text
        .split_inclusive('\n')
        .filter(|line| !unwanted.contains(&line.trim_end_matches(['\r', '\n'])))
        .collect();
    let before: serde_yaml::Value = serde_yaml::from_str(text).ok()?;
    let after: serde_yaml::Value = serde_yaml::from_str(&kept).ok()?;
    (before == after).then_some(kept)
}

#[cfg(test)]
mod tests;
