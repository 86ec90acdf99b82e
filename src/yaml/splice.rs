//! Lossless changes to one value of a YAML document: replace the value of a key, add a
//! key, take a key out, add items to a list or take them out. Every byte outside the
//! value changed stays as it was (comments, key order, quoting, blank lines, line
//! endings); where a change cannot be made without rewriting what a person wrote (a
//! key sharing its line with other content, an anchored value, comments inside a
//! `[...]` list that would have to be rewritten), it is refused with the place.
//!
//! Generic YAML: nothing here knows about customers. Works on text and the parsed
//! [`tree`](super::tree) alone; the caller re-reads the result and compares it with what
//! it meant to write before anything is saved.

use super::edit::{
    after_comments, content_end, is_line_start, line_start, newline_of, next_line, token_at,
};
use super::libyaml::Style;
use super::tree::{Document, Node, NodeKind, Pos};
use super::yaml_text::scalar;

/// Why a change cannot be spliced in, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SpliceError {
    /// Where the offending text is.
    pub(crate) pos: Pos,
    /// What is in the way, as a sentence fragment.
    pub(crate) why: String,
}

impl SpliceError {
    fn at(text: &str, offset: usize, why: impl Into<String>) -> SpliceError {
        SpliceError {
            pos: Pos::at_offset(text, offset),
            why: why.into(),
        }
    }
}

type Spliced = Result<String, SpliceError>;

/// A block mapping's entries and the column its keys start at.
type BlockMap<'a> = (&'a [(Node, Node)], usize);

/// `text` with `range` replaced by `with`.
fn splice(text: &str, range: std::ops::Range<usize>, with: &str) -> String {
    let mut out = String::with_capacity(text.len() + with.len());
    out.push_str(&text[..range.start]);
    out.push_str(with);
    out.push_str(&text[range.end..]);
    out
}

/// Refuses a value that carries an anchor or is an alias: another part of the
/// document may refer to it, so changing it in place could change what that says.
fn plain_node<'a>(text: &str, node: &'a Node) -> Result<&'a Node, SpliceError> {
    if matches!(node.kind, NodeKind::Anchor(_)) {
        let token = token_at(text, node.span.start);
        return Err(SpliceError::at(
            text,
            node.span.start,
            format!("the value carries the YAML anchor or alias `{token}`, which other values may refer to"),
        ));
    }
    Ok(node)
}

/// `text` with the value `node` written as `new` (YAML text, such as a scalar from
/// [`scalar`] or a flow list). An empty value (`key:` with nothing after it) gets a
/// blank before the new text; a block scalar (`|`, `>`) keeps the line break that
/// ended it.
pub(crate) fn replace_node(text: &str, doc: &Document, node: &Node, new: &str) -> Spliced {
    let node = plain_node(text, node)?;
    let end = content_end(text, doc, node).map_err(|e| SpliceError {
        pos: Pos {
            line: e.line,
            column: e.column,
        },
        why: "the file ends inside this block without a line break".to_string(),
    })?;
    let span = node.span;
    let span = super::tree::Span { end, ..span };
    if span.start == span.end {
        return Ok(splice(text, span.start..span.end, &format!(" {new}")));
    }
    let block = matches!(
        node.kind,
        NodeKind::Scalar {
            style: Style::Literal | Style::Folded,
            ..
        }
    );
    let mut with = new.to_string();
    if block && is_line_start(text.as_bytes(), span.end) {
        // The block ran to the start of the next line: keep one line break.
        with.push_str(newline_of(text));
    }
    Ok(splice(text, span.start..span.end, &with))
}

/// `text` with the value of `key` in mapping `map` written as `new`; `None` when the
/// mapping has no such key.
pub(crate) fn replace_value(
    text: &str,
    doc: &Document,
    map: &Node,
    key: &str,
    new: &str,
) -> Option<Spliced> {
    let (_, value) = doc.entry(map, key)?;
    Some(replace_node(text, doc, value, new))
}

/// The column (0-based) at which the keys of block mapping `map` start, or why new
/// keys cannot be written into it.
fn block_map<'a>(
    text: &str,
    doc: &'a Document,
    map: &'a Node,
) -> Result<BlockMap<'a>, SpliceError> {
    let map = plain_node(text, map)?;
    let target = doc.resolve(map);
    let NodeKind::Map(entries) = &target.kind else {
        return Err(SpliceError::at(
            text,
            map.span.start,
            "this is not a mapping of `key: value` lines",
        ));
    };
    if target.flow {
        return Err(SpliceError::at(
            text,
            target.span.start,
            "the mapping is written in flow style (`{...}`)",
        ));
    }
    let indent = target.span.open - line_start(text, target.span.open);
    Ok((entries, indent))
}

/// `text` with `key: value` added to block mapping `map`, after the entry of `after`
/// when the mapping has it, else after its last entry (and the comments indented into
/// that entry), at the mapping's indentation. `value` is YAML text written after the
/// key; each of `children` becomes a `key: value` line indented two columns deeper
/// (for a new mapping: `value` empty). Keys are quoted as [`scalar`] quotes them.
pub(crate) fn insert_entry(
    text: &str,
    doc: &Document,
    map: &Node,
    after: Option<&str>,
    key: &str,
    value: &str,
    children: &[(String, String)],
) -> Spliced {
    let (entries, indent) = block_map(text, doc, map)?;
    let follow = after
        .and_then(|k| {
            entries
                .iter()
                .find(|(kn, _)| doc.resolve(kn).scalar() == Some(k))
        })
        .or(entries.last());
    let Some((_, last)) = follow else {
        return Err(SpliceError::at(
            text,
            map.span.start,
            "the mapping is empty",
        ));
    };
    let end = content_end(text, doc, last).map_err(|e| SpliceError {
        pos: Pos {
            line: e.line,
            column: e.column,
        },
        why: "the file ends inside this block without a line break".to_string(),
    })?;
    let at = after_comments(text, end, indent);
    let newline = newline_of(text);
    let mut added = String::new();
    if at == text.len() && !text.is_empty() && !is_line_start(text.as_bytes(), at) {
        added.push_str(newline);
    }
    added.push_str(&" ".repeat(indent));
    added.push_str(&scalar(key));
    added.push(':');
    if !value.is_empty() {
        added.push(' ');
        added.push_str(value);
    }
    added.push_str(newline);
    for (child, child_value) in children {
        added.push_str(&" ".repeat(indent + 2));
        added.push_str(&scalar(child));
        added.push_str(": ");
        added.push_str(child_value);
        added.push_str(newline);
    }
    Ok(splice(text, at..at, &added))
}

/// `text` without the entry of `key` in mapping `map`: its lines, with the comments
/// indented into it; comment lines above it stay. A `{...}` mapping is written again
/// without it, if it holds no comments. `None` when the mapping has no such key.
pub(crate) fn remove_entry(text: &str, doc: &Document, map: &Node, key: &str) -> Option<Spliced> {
    let target = doc.resolve(map);
    let NodeKind::Map(entries) = &target.kind else {
        return None;
    };
    let index = entries
        .iter()
        .position(|(k, _)| doc.resolve(k).scalar() == Some(key))?;
    if target.flow {
        let keep: Vec<usize> = (0..entries.len()).filter(|&n| n != index).collect();
        return Some(rebuild_flow(text, target, &keep, &[]));
    }
    let (key_node, value) = &entries[index];
    Some(remove_lines(text, doc, key_node.span.start, value))
}

/// Takes out the lines from the one holding `start` (which must begin the line, after
/// blanks) to the end of `last`'s content and the comments indented into it.
fn remove_lines(text: &str, doc: &Document, start: usize, last: &Node) -> Spliced {
    let range = lines_of(text, doc, start, last)?;
    Ok(splice(text, range, ""))
}

/// The byte range [`remove_lines`] takes out.
fn lines_of(
    text: &str,
    doc: &Document,
    start: usize,
    last: &Node,
) -> Result<std::ops::Range<usize>, SpliceError> {
    let begin = line_start(text, start);
    let prefix = &text[begin..start];
    if !prefix.bytes().all(|b| b == b' ') {
        return Err(SpliceError::at(
            text,
            start,
            "the entry shares its line with other text",
        ));
    }
    let end = content_end(text, doc, last).unwrap_or(last.span.end);
    let end = if is_line_start(text.as_bytes(), end) && end > begin {
        end
    } else {
        next_line(text, end)
    };
    Ok(begin..after_comments(text, end, prefix.len()))
}

/// `text` with `items` (YAML text each) added at the end of list `seq`: as `- item`
/// lines in a block list (with its indentation), in a `[...]` list after its last item.
pub(crate) fn push_items(text: &str, doc: &Document, seq: &Node, items: &[String]) -> Spliced {
    let seq = plain_node(text, seq)?;
    let NodeKind::Seq(existing) = &seq.kind else {
        return Err(SpliceError::at(text, seq.span.start, "this is not a list"));
    };
    if seq.flow {
        let keep: Vec<usize> = (0..existing.len()).collect();
        return rebuild_flow(text, seq, &keep, items);
    }
    let dash = seq.span.open;
    let indent = dash - line_start(text, dash);
    let end = content_end(text, doc, seq).map_err(|e| SpliceError {
        pos: Pos {
            line: e.line,
            column: e.column,
        },
        why: "the file ends inside this block without a line break".to_string(),
    })?;
    let at = after_comments(text, end, indent);
    let newline = newline_of(text);
    let mut added = String::new();
    if at == text.len() && !is_line_start(text.as_bytes(), at) {
        added.push_str(newline);
    }
    for item in items {
        added.push_str(&" ".repeat(indent));
        added.push_str("- ");
        added.push_str(item);
        added.push_str(newline);
    }
    Ok(splice(text, at..at, &added))
}

/// `text` without the items at `remove` (indices) of list `seq`: their lines in a
/// block list, in a `[...]` list the list written again without them.
pub(crate) fn remove_items(text: &str, doc: &Document, seq: &Node, remove: &[usize]) -> Spliced {
    let seq = plain_node(text, seq)?;
    let NodeKind::Seq(items) = &seq.kind else {
        return Err(SpliceError::at(text, seq.span.start, "this is not a list"));
    };
    if seq.flow {
        let keep: Vec<usize> = (0..items.len()).filter(|n| !remove.contains(n)).collect();
        return rebuild_flow(text, seq, &keep, &[]);
    }
    let mut out = text.to_string();
    let mut indices: Vec<usize> = remove
        .iter()
        .copied()
        .filter(|&n| n < items.len())
        .collect();
    indices.sort_unstable();
    indices.dedup();
    // From the last, so earlier offsets stay true.
    for &n in indices.iter().rev() {
        let item = &items[n];
        let dash = text[..item.span.start]
            .trim_end_matches(' ')
            .len()
            .checked_sub(1)
            .filter(|&d| text.as_bytes()[d] == b'-')
            .ok_or_else(|| {
                SpliceError::at(
                    text,
                    item.span.start,
                    "the list item is not on a `- ` line of its own",
                )
            })?;
        // Ranges of `text`; `out` has only lost bytes after this item so far.
        out.replace_range(lines_of(text, doc, dash, item)?, "");
    }
    Ok(out)
}

/// The text of item `index` of block list `seq` (its lines, from the one holding its
/// `-` to the end of its content) and the column of its `-`.
pub(crate) fn item_text(
    text: &str,
    doc: &Document,
    seq: &Node,
    index: usize,
) -> Result<(String, usize), SpliceError> {
    let NodeKind::Seq(items) = &seq.kind else {
        return Err(SpliceError::at(text, seq.span.start, "this is not a list"));
    };
    let Some(item) = items.get(index) else {
        return Err(SpliceError::at(
            text,
            seq.span.start,
            "the list has no such item",
        ));
    };
    if seq.flow {
        return Ok((format!("- {}\n", &text[item.span.start..item.span.end]), 0));
    }
    let dash = item_dash(text, item)?;
    let begin = line_start(text, dash);
    let end = content_end(text, doc, item).unwrap_or(item.span.end);
    let end = if is_line_start(text.as_bytes(), end) {
        end
    } else {
        next_line(text, end)
    };
    let mut lines = text[begin..end].to_string();
    if !lines.ends_with('\n') && !lines.ends_with('\r') {
        lines.push_str(newline_of(text));
    }
    Ok((lines, dash - begin))
}

/// The `-` of block list item `item`, which must begin its line (after blanks).
fn item_dash(text: &str, item: &Node) -> Result<usize, SpliceError> {
    text[..item.span.start]
        .trim_end_matches(' ')
        .len()
        .checked_sub(1)
        .filter(|&d| text.as_bytes()[d] == b'-')
        .ok_or_else(|| {
            SpliceError::at(
                text,
                item.span.start,
                "the list item is not on a `- ` line of its own",
            )
        })
}

/// `lines` (text of whole lines, as [`item_text`] gives) moved from column `from` to
/// column `to`: blanks added to or taken from the start of every line.
pub(crate) fn reindent(lines: &str, from: usize, to: usize) -> String {
    lines
        .split_inclusive('\n')
        .map(|line| {
            if to >= from {
                if line.trim().is_empty() {
                    line.to_string()
                } else {
                    format!("{}{line}", " ".repeat(to - from))
                }
            } else {
                let blanks = line.len() - line.trim_start_matches(' ').len();
                line[blanks.min(from - to)..].to_string()
            }
        })
        .collect()
}

/// `text` with `lines` (whole lines, already indented) put into block list `seq`:
/// before item `before`, or after its last item (and the comments indented into it).
pub(crate) fn insert_lines(
    text: &str,
    doc: &Document,
    seq: &Node,
    before: Option<usize>,
    lines: &str,
) -> Spliced {
    let seq = plain_node(text, seq)?;
    let NodeKind::Seq(items) = &seq.kind else {
        return Err(SpliceError::at(text, seq.span.start, "this is not a list"));
    };
    if seq.flow {
        return Err(SpliceError::at(
            text,
            seq.span.start,
            "the list is written in flow style (`[...]`)",
        ));
    }
    let indent = seq.span.open - line_start(text, seq.span.open);
    let at = match before.and_then(|n| items.get(n)) {
        Some(item) => line_start(text, item_dash(text, item)?),
        None => {
            let end = content_end(text, doc, seq).map_err(|e| SpliceError {
                pos: Pos {
                    line: e.line,
                    column: e.column,
                },
                why: "the file ends inside this block without a line break".to_string(),
            })?;
            after_comments(text, end, indent)
        }
    };
    let mut added = String::new();
    if at == text.len() && !is_line_start(text.as_bytes(), at) {
        added.push_str(newline_of(text));
    }
    added.push_str(lines);
    Ok(splice(text, at..at, &added))
}

/// `[...]` or `{...}` collection `node` written again on one line with the items at
/// `keep` (as they were written) and then `add`; refused when comments inside it would
/// be lost.
fn rebuild_flow(text: &str, node: &Node, keep: &[usize], add: &[String]) -> Spliced {
    let spans: Vec<(usize, usize)> = match &node.kind {
        NodeKind::Seq(items) => items.iter().map(|i| (i.span.start, i.span.end)).collect(),
        NodeKind::Map(entries) => entries
            .iter()
            .map(|(k, v)| (k.span.start, v.span.end.max(k.span.end)))
            .collect(),
        _ => return Err(SpliceError::at(text, node.span.start, "this is not a list")),
    };
    let (open, close) = (node.span.open, node.span.end);
    let mut gap_start = open + 1;
    for &(start, end) in spans.iter().chain(std::iter::once(&(close - 1, close))) {
        if text[gap_start..start.max(gap_start)].contains('#') {
            return Err(SpliceError::at(
                text,
                gap_start,
                "the list holds comments, which writing it again would lose",
            ));
        }
        gap_start = end;
    }
    let mut parts: Vec<String> = keep
        .iter()
        .filter_map(|&n| spans.get(n))
        .map(|&(s, e)| text[s..e].to_string())
        .collect();
    parts.extend(add.iter().cloned());
    let (left, right) = if matches!(node.kind, NodeKind::Map(_)) {
        ('{', '}')
    } else {
        ('[', ']')
    };
    let with = format!("{left}{}{right}", parts.join(", "));
    Ok(splice(text, open..close, &with))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::tree;

    fn top(doc: &Document) -> &Node {
        doc.root.as_ref().unwrap()
    }

    fn set(text: &str, key: &str, new: &str) -> String {
        let doc = tree::parse(text).unwrap();
        replace_value(text, &doc, top(&doc), key, new)
            .expect("key present")
            .unwrap()
    }

    #[test]
    fn replacing_a_value_keeps_every_other_byte() {
        let text = "# head\nname: Ada   # the Countess\nemail: 'old@x.com' # work\nz: 1\n";
        assert_eq!(
            set(text, "email", "new@x.com"),
            "# head\nname: Ada   # the Countess\nemail: new@x.com # work\nz: 1\n"
        );
        assert_eq!(set("a: 1\r\nb:\r\n", "b", "2"), "a: 1\r\nb: 2\r\n");
        assert_eq!(set("a: 1\nb: ~\n", "b", "2"), "a: 1\nb: 2\n");
        assert_eq!(set("a: |\n  x\n  y\n\nb: 2\n", "a", "z"), "a: z\n\nb: 2\n");
    }

    #[test]
    fn anchored_values_are_refused() {
        let text = "a: &x 1\nb: *x\n";
        let doc = tree::parse(text).unwrap();
        let err = replace_value(text, &doc, top(&doc), "a", "2")
            .unwrap()
            .unwrap_err();
        assert_eq!(err.pos, Pos { line: 1, column: 4 });
    }

    #[test]
    fn inserting_goes_after_the_named_key_or_at_the_end() {
        let text = "name: A # c\n  # about name\nlist:\n  - 1\n# footer\n";
        let doc = tree::parse(text).unwrap();
        assert_eq!(
            insert_entry(text, &doc, top(&doc), Some("name"), "email", "a@x", &[]).unwrap(),
            "name: A # c\n  # about name\nemail: a@x\nlist:\n  - 1\n# footer\n"
        );
        assert_eq!(
            insert_entry(
                text,
                &doc,
                top(&doc),
                None,
                "prefs",
                "",
                &[("k".into(), "v".into())]
            )
            .unwrap(),
            "name: A # c\n  # about name\nlist:\n  - 1\nprefs:\n  k: v\n# footer\n"
        );
        let doc = tree::parse("a: 1").unwrap();
        assert_eq!(
            insert_entry("a: 1", &doc, top(&doc), None, "b", "2", &[]).unwrap(),
            "a: 1\nb: 2\n"
        );
    }

    #[test]
    fn inserting_into_a_nested_mapping_uses_its_indentation() {
        let text = "name: A\nprefs:\n    tea: green\nz: 1\n";
        let doc = tree::parse(text).unwrap();
        let prefs = doc.get(top(&doc), "prefs").unwrap();
        assert_eq!(
            insert_entry(text, &doc, prefs, None, "coffee", "black", &[]).unwrap(),
            "name: A\nprefs:\n    tea: green\n    coffee: black\nz: 1\n"
        );
        let flow = "p: {a: 1}\n";
        let doc = tree::parse(flow).unwrap();
        let p = doc.get(top(&doc), "p").unwrap();
        assert!(insert_entry(flow, &doc, p, None, "b", "2", &[]).is_err());
    }

    #[test]
    fn removing_an_entry_takes_its_lines_and_its_own_comments() {
        let text = "# about a\na: 1 # one\nb:\n  c: 2\n  # inside b\n# about d\nd: 3\n";
        let doc = tree::parse(text).unwrap();
        assert_eq!(
            remove_entry(text, &doc, top(&doc), "b").unwrap().unwrap(),
            "# about a\na: 1 # one\n# about d\nd: 3\n"
        );
        assert_eq!(
            remove_entry(text, &doc, top(&doc), "a").unwrap().unwrap(),
            "# about a\nb:\n  c: 2\n  # inside b\n# about d\nd: 3\n"
        );
        assert!(remove_entry(text, &doc, top(&doc), "x").is_none());
        let flow = "p: {a: 1, b: 2}\n";
        let doc = tree::parse(flow).unwrap();
        let p = doc.get(top(&doc), "p").unwrap();
        assert_eq!(
            remove_entry(flow, &doc, p, "a").unwrap().unwrap(),
            "p: {b: 2}\n"
        );
    }

    #[test]
    fn items_move_between_lists_with_their_lines() {
        let other =
            "log:\n    - date: 1\n      summary: |\n        two\n         lines\n    - date: 3\n";
        let doc = tree::parse(other).unwrap();
        let log = doc.get(top(&doc), "log").unwrap();
        let (lines, dash) = item_text(other, &doc, log, 0).unwrap();
        assert_eq!(dash, 4);
        let moved = reindent(&lines, dash, 2);
        assert_eq!(
            moved,
            "  - date: 1\n    summary: |\n      two\n       lines\n"
        );
        let keep = "log:\n  - date: 0\n  - date: 2 # c\nx: 1\n";
        let doc = tree::parse(keep).unwrap();
        let log = doc.get(top(&doc), "log").unwrap();
        assert_eq!(
            insert_lines(keep, &doc, log, Some(1), &moved).unwrap(),
            "log:\n  - date: 0\n  - date: 1\n    summary: |\n      two\n       lines\n  - date: 2 # c\nx: 1\n"
        );
        assert_eq!(
            insert_lines(keep, &doc, log, None, "  - date: 9\n").unwrap(),
            "log:\n  - date: 0\n  - date: 2 # c\n  - date: 9\nx: 1\n"
        );
    }

    #[test]
    fn lists_take_and_lose_items_in_their_own_style() {
        let text = "tags: [vip, 'no']  # t\nx: 1\n";
        let doc = tree::parse(text).unwrap();
        let tags = doc.get(top(&doc), "tags").unwrap();
        assert_eq!(
            push_items(text, &doc, tags, &["new".into()]).unwrap(),
            "tags: [vip, 'no', new]  # t\nx: 1\n"
        );
        assert_eq!(
            remove_items(text, &doc, tags, &[0]).unwrap(),
            "tags: ['no']  # t\nx: 1\n"
        );
        let block = "tags:\n  - a # first\n  - b\n  # about b\nx: 1\n";
        let doc = tree::parse(block).unwrap();
        let tags = doc.get(top(&doc), "tags").unwrap();
        assert_eq!(
            push_items(block, &doc, tags, &["c".into()]).unwrap(),
            "tags:\n  - a # first\n  - b\n  - c\n  # about b\nx: 1\n"
        );
        assert_eq!(
            remove_items(block, &doc, tags, &[0, 1]).unwrap(),
            "tags:\n  # about b\nx: 1\n"
        );
        assert_eq!(
            remove_items(block, &doc, tags, &[1]).unwrap(),
            "tags:\n  - a # first\n  # about b\nx: 1\n"
        );
        let commented = "tags: [a, # c\n  b]\n";
        let doc = tree::parse(commented).unwrap();
        let tags = doc.get(top(&doc), "tags").unwrap();
        assert!(push_items(commented, &doc, tags, &["c".into()]).is_err());
    }
}
