//! The merge's helpers that need no merge state: aligning a side's entries with the
//! base's, reading fields of entries and lists, the layout of a list, and the text
//! arithmetic (lines, breaks, indentation) the edits are made with.

use super::*;
pub(super) use crate::yaml::{
    break_before, has_break, is_line_start, line_end, line_start, next_line,
};

/// Empty lists and mappings read as nothing, as crm reads them (`interactions:` with
/// its last entry deleted is empty, and reads as null).
pub(super) fn normalized(value: &Value) -> Value {
    match value {
        Value::Sequence(items) if items.is_empty() => Value::Null,
        Value::Mapping(map) if map.is_empty() => Value::Null,
        Value::Sequence(items) => Value::Sequence(items.iter().map(normalized).collect()),
        Value::Mapping(map) => Value::Mapping(
            map.iter()
                .map(|(k, v)| (k.clone(), normalized(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// What became of one entry of the base on one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fate {
    /// Still there, unchanged, as the side's entry n.
    Kept(usize),
    /// Changed into the side's entry n.
    Edited(usize),
    /// Gone.
    Deleted,
}

impl Fate {
    pub(super) fn index(self) -> Option<usize> {
        match self {
            Fate::Kept(n) | Fate::Edited(n) => Some(n),
            Fate::Deleted => None,
        }
    }
}

/// Aligns a side's entries with the base's: what became of each base entry, and which
/// of the side's entries are new. Equal entries are matched by a longest common
/// subsequence; among the rest between two matches, an entry of the base and one of
/// the side with the same date are one entry edited (a changed date reads as the
/// entry deleted and a new one added, which merges the same unless the other side
/// edited it too: a conflict either way).
pub(super) fn align(base: &[Value], side: &[Value]) -> (Vec<Fate>, Vec<usize>) {
    let mut fates = vec![Fate::Deleted; base.len()];
    let mut added = Vec::new();
    let prefix = base.iter().zip(side).take_while(|(a, b)| a == b).count();
    let rest = (base.len() - prefix).min(side.len() - prefix);
    let suffix = (0..rest)
        .take_while(|&n| base[base.len() - 1 - n] == side[side.len() - 1 - n])
        .count();
    let mut pairs: Vec<(usize, usize)> = (0..prefix).map(|n| (n, n)).collect();
    let (b0, b1) = (prefix, base.len() - suffix);
    let (s0, s1) = (prefix, side.len() - suffix);
    pairs.extend(
        lcs(&base[b0..b1], &side[s0..s1])
            .into_iter()
            .map(|(b, s)| (b + b0, s + s0)),
    );
    pairs.extend((0..suffix).map(|n| (b1 + n, s1 + n)));

    let mut bprev = 0;
    let mut sprev = 0;
    let mut bounds = pairs.clone();
    bounds.push((base.len(), side.len()));
    for (bm, sm) in bounds {
        let gap_base: Vec<usize> = (bprev..bm).collect();
        let gap_side: Vec<usize> = (sprev..sm).collect();
        let mut taken = vec![false; gap_side.len()];
        for &b in &gap_base {
            let date = date_of(&base[b]);
            match gap_side
                .iter()
                .enumerate()
                .position(|(n, &s)| !taken[n] && date_of(&side[s]) == date)
            {
                Some(n) => {
                    taken[n] = true;
                    fates[b] = Fate::Edited(gap_side[n]);
                }
                None => fates[b] = Fate::Deleted,
            }
        }
        added.extend(
            (0..gap_side.len())
                .filter(|&n| !taken[n])
                .map(|n| gap_side[n]),
        );
        if bm < base.len() {
            fates[bm] = Fate::Kept(sm);
        }
        bprev = bm + 1;
        sprev = sm + 1;
    }
    (fates, added)
}

/// The pairs of a longest common subsequence of `a` and `b`, in order.
pub(super) fn lcs(a: &[Value], b: &[Value]) -> Vec<(usize, usize)> {
    if a.is_empty() || b.is_empty() || a.len().saturating_mul(b.len()) > MAX_ALIGN_CELLS {
        return Vec::new();
    }
    let w = b.len() + 1;
    let mut table = vec![0u32; (a.len() + 1) * w];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            table[i * w + j] = if a[i] == b[j] {
                table[(i + 1) * w + j + 1] + 1
            } else {
                table[(i + 1) * w + j].max(table[i * w + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut pairs = Vec::new();
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            pairs.push((i, j));
            i += 1;
            j += 1;
        } else if table[(i + 1) * w + j] >= table[i * w + j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    pairs
}

pub(super) fn field<'v>(entry: &'v Value, name: &str) -> &'v Value {
    static NULL: Value = Value::Null;
    entry.get(name).unwrap_or(&NULL)
}

/// The rule's "exact duplicate": the same date, kind, summary and amount, and every
/// other field the same too (in any key order), so that dropping one copy drops
/// nothing either side wrote; `crm merge` of two customers uses the same test.
pub(super) fn same_entry(a: &Value, b: &Value) -> bool {
    a == b
}

/// An entry's date as text (`2025-04-01` sorts as text does).
pub(super) fn date_of(entry: &Value) -> String {
    scalar_text(field(entry, "date"))
}

pub(super) fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => render_flow(other),
    }
}

pub(super) fn entry_subject(entry: &Value) -> Subject {
    Subject::Entry {
        date: date_of(entry),
        kind: scalar_text(field(entry, "kind")),
    }
}

pub(super) fn key_name(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        other => render_flow(other),
    }
}

pub(super) fn list_of(value: Option<&Value>) -> Result<&[Value], String> {
    match value {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Sequence(items)) => Ok(items),
        Some(_) => Err("`interactions` is not a list".to_string()),
    }
}

pub(super) fn items_of<'d>(
    doc: &'d Document,
    node: Option<&'d Node>,
    len: usize,
) -> Result<Vec<&'d Node>, String> {
    let items: Vec<&Node> = match node.map(|n| &doc.resolve(n).kind) {
        Some(NodeKind::Seq(items)) => items.iter().map(|item| doc.resolve(item)).collect(),
        _ => Vec::new(),
    };
    if items.len() != len {
        return Err("the interactions could not be matched to their text".to_string());
    }
    Ok(items)
}

pub(super) fn tag_list(value: Option<&Value>) -> Option<Vec<String>> {
    match value {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(Value::String(s)) => Some(vec![s.clone()]),
        Some(Value::Sequence(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_string))
            .collect(),
        Some(_) => None,
    }
}

/// How OURS writes its interaction list, for entries written into it.
pub(super) struct ListLayout {
    pub(super) flow: bool,
    /// Column of the `-` of a block list.
    pub(super) indent: usize,
    /// Columns from the `-` to the entry's fields.
    pub(super) offset: usize,
}

impl ListLayout {
    pub(super) fn of(text: &str, list: Option<&Node>, items: &[&Node]) -> Option<ListLayout> {
        let list = list?;
        let first = items.first()?;
        if list.flow {
            return Some(ListLayout {
                flow: true,
                indent: 0,
                offset: 0,
            });
        }
        let dash = list.span.open;
        let indent = dash - line_start(text, dash);
        let offset = first
            .span
            .start
            .checked_sub(dash)
            .filter(|&n| !has_break(&text[dash..dash + n]))
            .unwrap_or(2)
            .max(2);
        Some(ListLayout {
            flow: false,
            indent,
            offset,
        })
    }

    /// The bytes of entry `n`: for a block list its whole lines, from its `-`.
    pub(super) fn item_range(&self, text: &str, items: &[&Node], n: usize) -> Range<usize> {
        let item = items[n];
        if self.flow {
            return item.span.start..item.span.end;
        }
        let start = line_start(text, dash_of(text, item));
        let end = region_end(text, item, item.span.start);
        start..after_comments(text, end, self.indent)
    }

    /// The bytes to take out to delete entry `n` (with a comma of a flow list).
    pub(super) fn delete_range(&self, text: &str, items: &[&Node], n: usize) -> Range<usize> {
        let range = self.item_range(text, items, n);
        if !self.flow {
            return range;
        }
        match (items.get(n + 1), n.checked_sub(1).map(|p| items[p])) {
            (Some(next), _) => range.start..next.span.start,
            (None, Some(prev)) => prev.span.end..range.end,
            (None, None) => range,
        }
    }

    /// Where an entry goes to stand before entry `n`.
    pub(super) fn insert_at(&self, text: &str, items: &[&Node], n: usize) -> usize {
        if self.flow {
            items[n].span.start
        } else {
            self.item_range(text, items, n).start
        }
    }

    /// An entry of `fields` as it replaces an entry.
    pub(super) fn render(&self, fields: &[String], nl: &str) -> String {
        if self.flow {
            return format!("{{{}}}", fields.join(", "));
        }
        let mut out = String::new();
        for (n, field) in fields.iter().enumerate() {
            if n == 0 {
                out.push_str(&" ".repeat(self.indent));
                out.push('-');
                out.push_str(&" ".repeat(self.offset - 1));
            } else {
                out.push_str(&" ".repeat(self.indent + self.offset));
            }
            out.push_str(field);
            out.push_str(nl);
        }
        out
    }

    /// An entry of `fields` as it goes before another.
    pub(super) fn render_before(&self, fields: &[String], nl: &str) -> String {
        if self.flow {
            format!("{}, ", self.render(fields, nl))
        } else {
            self.render(fields, nl)
        }
    }
}

/// The `-` of a block list entry.
pub(super) fn dash_of(text: &str, item: &Node) -> usize {
    let bytes = text.as_bytes();
    let mut at = item.span.start;
    while at > 0 && matches!(bytes[at - 1], b' ' | b'\t' | b'\r' | b'\n') {
        at -= 1;
    }
    if at > 0 && bytes[at - 1] == b'-' {
        at - 1
    } else {
        item.span.start
    }
}

/// The fields of THEIRS' entry `node` (read as `value`) as `key: value` texts of one
/// line each: THEIRS' own text of a one-line value, crm's writer for the rest (and, in
/// a `[...]` list, for any plain text that flow style would read differently).
pub(super) fn entry_fields(side: &Side<'_>, node: &Node, value: &Value, flow: bool) -> Vec<String> {
    let NodeKind::Map(entries) = &node.kind else {
        return vec![render_flow(value)];
    };
    let Value::Mapping(map) = untagged(value.clone()) else {
        return vec![render_flow(value)];
    };
    entries
        .iter()
        .zip(map.iter())
        .map(|((k, v), (kv, vv))| {
            let key = source_or_render(side.text, &side.doc, k, kv, true);
            let value = source_or_render(side.text, &side.doc, v, vv, !flow);
            if value.is_empty() {
                format!("{key}:")
            } else {
                format!("{key}: {value}")
            }
        })
        .collect()
}

/// The text of `node` as written, if it is one line that means the same anywhere
/// (in flow context when not `block`); else `value` written by crm.
pub(super) fn source_or_render(
    text: &str,
    doc: &Document,
    node: &Node,
    value: &Value,
    block: bool,
) -> String {
    let source = &text[node.span.start..node.span.end];
    let one_line = !has_break(source) && !source.contains(" #");
    let fits = match &node.kind {
        NodeKind::Scalar { style, .. } => match style {
            Style::Plain => block || !source.contains([',', '[', ']', '{', '}']),
            Style::SingleQuoted | Style::DoubleQuoted => true,
            Style::Literal | Style::Folded => false,
        },
        NodeKind::Seq(_) | NodeKind::Map(_) => {
            node.flow && doc.aliases == 0 && !source.contains(['&', '*'])
        }
        NodeKind::Anchor(_) => false,
    };
    if one_line && fits {
        source.to_string()
    } else {
        render_flow(value)
    }
}

/// `value` written by crm on one line, in flow style: text as crm's writer quotes it.
pub(super) fn render_flow(value: &Value) -> String {
    match value {
        Value::Null => "~".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => yaml::scalar(s),
        Value::Sequence(items) => {
            let inner: Vec<String> = items.iter().map(render_flow).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Mapping(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", render_flow(k), render_flow(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        Value::Tagged(tagged) => format!("{} {}", tagged.tag, render_flow(&tagged.value)),
    }
}

/// At most 60 characters of `text`, for messages.
pub(super) fn short(text: &str) -> String {
    if text.chars().count() <= 60 {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(59).collect::<String>())
    }
}

/// The line ending OURS uses: that of its first line, `\n` if it has none.
pub(super) fn newline_of(text: &str) -> &'static str {
    let bytes = text.as_bytes();
    match (0..bytes.len()).find(|&i| break_len(bytes, i) > 0) {
        Some(i) if bytes[i..].starts_with(b"\r\n") => "\r\n",
        Some(i) if bytes[i] == b'\r' => "\r",
        _ => "\n",
    }
}

/// `text` with its `\r\n`, `\r` and `\n` line ends as `nl`.
pub(super) fn with_newlines(text: &str, nl: &str) -> String {
    let unix = text.replace("\r\n", "\n").replace('\r', "\n");
    if nl == "\n" {
        unix
    } else {
        unix.replace('\n', nl)
    }
}

/// `text` ending with a line break (`nl` added if it has none), unless empty.
pub(super) fn ensure_break(mut text: String, nl: &str) -> String {
    let bytes = text.as_bytes();
    if !text.is_empty() && !is_line_start(bytes, bytes.len()) {
        text.push_str(nl);
    }
    text
}

/// Lines of `text` moved from column `from` to column `to`; `None` if a line is
/// indented less than the columns to take away.
pub(super) fn reindent(text: &str, from: usize, to: usize) -> Option<String> {
    if from == to {
        return Some(text.to_string());
    }
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\r', '\n']);
        if body.trim_matches([' ', '\t']).is_empty() {
            out.push_str(line);
        } else if to > from {
            out.push_str(&" ".repeat(to - from));
            out.push_str(line);
        } else {
            let cut = from - to;
            if !line.as_bytes().iter().take(cut).all(|&b| b == b' ') || line.len() < cut {
                return None;
            }
            out.push_str(&line[cut..]);
        }
    }
    Some(out)
}

/// Where the content of `node` ends: its span's end, less the empty lines a block
/// scalar (`|`, `>`) ending it swallowed.
pub(super) fn content_end(text: &str, node: &Node) -> usize {
    let bytes = text.as_bytes();
    let mut end = node.span.end;
    if end > node.span.start && is_line_start(bytes, end) {
        while let Some(b) = break_before(bytes, end) {
            if b > node.span.start && is_line_start(bytes, b) {
                end = b;
            } else {
                break;
            }
        }
    }
    end
}

/// The start of the line after the content of `node` (which starts its entry at
/// `from`): the whole lines it takes.
pub(super) fn region_end(text: &str, node: &Node, from: usize) -> usize {
    let end = content_end(text, node);
    if end > from && is_line_start(text.as_bytes(), end) {
        end
    } else {
        next_line(text, end)
    }
}

/// `at` (a line start) moved past the comment lines that follow when they are indented
/// deeper than `indent` (they belong to what ends there), and past blank lines before
/// such comments.
pub(super) fn after_comments(text: &str, at: usize, indent: usize) -> usize {
    let mut at = at;
    let mut line = at;
    while line < text.len() {
        let content = &text[line..line_end(text, line)];
        let next = next_line(text, line);
        let body = content.trim_start_matches([' ', '\t']);
        let lead = &content[..content.len() - body.len()];
        let comment = body.starts_with('#');
        if !body.is_empty() && !comment {
            break;
        }
        if lead.contains('\t') || (comment && lead.len() > indent) {
            at = next;
        } else if comment {
            break;
        }
        line = next;
    }
    at
}
