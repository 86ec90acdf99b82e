//! Lossless edits of a person's customer file: crm only ever *adds* an entry to the
//! `interactions:` list and leaves every other byte (comments, key order, quoting,
//! unknown fields, blank lines, line endings) exactly as it was. The one exception is an
//! empty value on the `interactions:` line (`[]`, `~`, `null`), which is taken out so
//! that entries can follow as a block list. The caller re-parses the result and
//! compares it with what it meant to write before anything is saved. This module works
//! on text alone: it never touches the file system.

use crate::error::Error;

/// One line of a file, without its line ending.
struct Line<'a> {
    text: &'a str,
    /// Byte offset of the start of the line in the file.
    start: usize,
    /// Byte offset just past the line ending.
    end: usize,
}

fn lines(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            let mut body = &text[start..i];
            body = body.strip_suffix('\r').unwrap_or(body);
            out.push(Line {
                text: body,
                start,
                end: i + 1,
            });
            start = i + 1;
        }
    }
    if start < text.len() {
        out.push(Line {
            text: text[start..].strip_suffix('\r').unwrap_or(&text[start..]),
            start,
            end: text.len(),
        });
    }
    out
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

fn is_blank_or_comment(line: &str) -> bool {
    is_blank(line) || is_comment(line)
}

fn is_seq_item(line: &str) -> bool {
    let t = line.trim_start_matches(' ');
    t == "-" || t.starts_with("- ") || t.starts_with("-\t")
}

/// Whether `line` is the document marker `marker` (`---` or `...`), alone or followed
/// by a space; returns what follows it.
fn after_marker<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(marker)?;
    (rest.is_empty() || rest.starts_with([' ', '\t'])).then_some(rest)
}

/// The line ending the file uses (`\r\n` if its first line ends so, else `\n`).
pub fn newline_of(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// If `line` (starting at the key's column) is the mapping key `key`, plain or quoted
/// (`key:`, `"key":`, `'key' :`), the byte offset just past its `:`.
fn key_at(line: &str, key: &str) -> Option<usize> {
    let rest = line
        .strip_prefix(key)
        .or_else(|| quoted(line, '"', key))
        .or_else(|| quoted(line, '\'', key))?;
    let after = rest.trim_start_matches([' ', '\t']).strip_prefix(':')?;
    (after.is_empty() || after.starts_with([' ', '\t'])).then_some(line.len() - after.len())
}

fn quoted<'a>(line: &'a str, quote: char, key: &str) -> Option<&'a str> {
    line.strip_prefix(quote)?
        .strip_prefix(key)?
        .strip_prefix(quote)
}

/// The top-level mapping of a file, as found by scanning lines.
struct Body {
    /// Index of its first line.
    first: usize,
    /// Indentation of its keys (0 unless the whole mapping is indented).
    indent: usize,
    /// Index just past its last line: a `...` or `---` line, or the end of the file.
    end: usize,
}

fn body(all: &[Line<'_>]) -> Result<Body, AppendError> {
    let refuse = |n: usize, column: usize, layout: Layout| AppendError {
        line: n + 1,
        column,
        layout,
    };
    for (n, line) in all.iter().enumerate() {
        let text = line.text;
        if is_blank_or_comment(text) || text.starts_with('%') {
            continue;
        }
        if let Some(rest) = after_marker(text, "---") {
            let rest = rest.trim_start();
            if rest.is_empty() || rest.starts_with('#') {
                continue;
            }
            return Err(refuse(
                n,
                text.len() - rest.len() + 1,
                Layout::StartsOnMarker,
            ));
        }
        let column = indent(text) + 1;
        let trimmed = text.trim_start();
        if trimmed.starts_with('{') {
            return Err(refuse(n, column, Layout::FlowMapping));
        }
        if trimmed.starts_with('[') || is_seq_item(text) {
            return Err(refuse(n, column, Layout::NoMapping));
        }
        let end = all
            .iter()
            .enumerate()
            .skip(n + 1)
            .find(|(_, l)| {
                after_marker(l.text, "---").is_some() || after_marker(l.text, "...").is_some()
            })
            .map_or(all.len(), |(end, _)| end);
        return Ok(Body {
            first: n,
            indent: column - 1,
            end,
        });
    }
    Err(refuse(0, 1, Layout::NoMapping))
}

/// The index of the line holding the top-level key `key`.
fn find_key(all: &[Line<'_>], body: &Body, key: &str) -> Option<usize> {
    (body.first..body.end).find(|&n| {
        let text = all[n].text;
        indent(text) == body.indent && key_at(&text[body.indent..], key).is_some()
    })
}

/// Where a block list under a top-level key is, as found by scanning lines.
struct ListSpan {
    /// Indentation of the list's `-` markers.
    item_indent: usize,
    /// Columns from the `-` to the entry's first key.
    item_offset: usize,
    /// Index of the last line that belongs to the list (the key line if empty).
    last_line: usize,
    /// Start line of each entry.
    items: Vec<usize>,
}

/// The block list whose key is on line `key_line` of the mapping `body`.
fn find_list(all: &[Line<'_>], body: &Body, key_line: usize) -> ListSpan {
    let mut items = Vec::new();
    let mut item_indent = None;
    let mut item_offset = 2;
    let mut last_line = key_line;
    for (n, line) in all.iter().enumerate().take(body.end).skip(key_line + 1) {
        let text = line.text;
        if is_blank_or_comment(text) {
            // A comment indented deeper than the `-` markers (or, before the first
            // entry, than the key) belongs to the list, so a new entry goes after it;
            // one further out belongs to what follows.
            let inside = indent(text) > item_indent.unwrap_or(body.indent);
            if inside && !is_blank(text) {
                last_line = n;
            }
            continue;
        }
        let ind = indent(text);
        match item_indent {
            None if is_seq_item(text) && ind >= body.indent => {
                item_indent = Some(ind);
                let after = &text[ind + 1..];
                item_offset = 1 + after.len() - after.trim_start_matches(' ').len();
                items.push(n);
            }
            None => break,
            Some(item) if ind == item && is_seq_item(text) => items.push(n),
            Some(item) if ind > item => {}
            Some(_) => break,
        }
        last_line = n;
    }
    ListSpan {
        item_indent: item_indent.unwrap_or(body.indent + 2),
        item_offset: item_offset.max(2),
        last_line,
        items,
    }
}

/// Why crm cannot append to a file by adding lines, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendError {
    /// 1-based line of the offending text.
    pub line: usize,
    /// 1-based column of the offending text.
    pub column: usize,
    /// What is in the way.
    pub layout: Layout,
}

/// A file layout crm does not append to, because doing so would mean rewriting what a
/// person wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// The whole file is one flow mapping: `{name: A, interactions: []}`.
    FlowMapping,
    /// The document's content starts on its `---` line: `--- name: A`.
    StartsOnMarker,
    /// The file is no mapping at all (a list, or nothing but comments).
    NoMapping,
    /// The mapping has a `? key` entry (an explicit key), which may be the list.
    ExplicitKey,
    /// `interactions:` carries an anchor, alias or tag (the text given).
    Decorated(String),
    /// `interactions:` holds something other than a list (the text given).
    NotAList(String),
    /// `interactions:` opens a `[` list whose end crm cannot find.
    UnclosedFlow,
}

impl AppendError {
    /// The user-facing error for file `shown` of customer `id`: where, why, and how to
    /// write the file so that crm can append to it.
    pub fn into_error(self, shown: &str, id: &str) -> Error {
        let (why, hint) = self.explain(id);
        Error::invalid_file(format!(
            "{shown}:{}:{}: {why}; nothing was written",
            self.line, self.column
        ))
        .with_hint(hint)
    }

    /// Why crm cannot append to the file of customer `id`, and how to write it so that
    /// it can (also what `crm check` says about such a file).
    pub fn explain(&self, id: &str) -> (String, String) {
        let block = format!(
            "with `crm edit {id}`, write `interactions:` on a line of its own with one `  - date: ...` entry per interaction under it (see docs/format.md), then run the command again"
        );
        match &self.layout {
            Layout::FlowMapping => (
                "the file is written as one flow mapping (`{...}`); crm appends only to block-style files with one `key: value` per line".to_string(),
                format!("with `crm edit {id}`, rewrite it one `key: value` per line (drop the braces and commas), then run the command again"),
            ),
            Layout::StartsOnMarker => (
                "the file's content starts on its `---` line; crm appends only to files whose keys start lines of their own".to_string(),
                format!("with `crm edit {id}`, move what follows `---` onto the next line, then run the command again"),
            ),
            Layout::NoMapping => (
                "the file is not a mapping of `key: value` lines".to_string(),
                format!("with `crm edit {id}`, make it a customer file that starts with `name: ...` (see docs/format.md)"),
            ),
            Layout::ExplicitKey => (
                "the file writes a key as `? key` (a YAML explicit key); crm appends only to files whose keys are written `key: value`".to_string(),
                format!("with `crm edit {id}`, write the `? key` and `: value` lines as one `key: value`, then run the command again"),
            ),
            Layout::Decorated(token) => (
                format!("`interactions` carries the YAML anchor, alias or tag `{token}`; crm appends only to a plain list"),
                format!("with `crm edit {id}`, remove `{token}` and keep `interactions:` a plain list of `  - date: ...` entries, then run the command again"),
            ),
            Layout::NotAList(value) => (
                format!("`interactions` holds `{value}`, which is not a list crm can append to"),
                block,
            ),
            Layout::UnclosedFlow => (
                "`interactions` opens a `[...]` list whose closing `]` crm cannot find".to_string(),
                block,
            ),
        }
    }
}

/// The result of [`append_to_list`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// The whole new text.
    pub text: String,
    /// The 1-based line of the new text where the new entry starts.
    pub line: usize,
}

/// Appends an entry made of `fields` (`key: value` lines) to the top-level list `key`
/// of `text`, keeping every byte before and after the insertion point:
///
/// - a block list gets the entry after its last line (and after comments indented
///   into it), with the list's own indentation;
/// - `key:` with nothing after it gets the entry on the next line;
/// - `key: []`, `key: ~` or any spelling of null loses that empty value (any comment
///   after it stays, with its spacing) and gets the entry on the next line;
/// - a non-empty flow list `key: [...]` gets the entry as `{...}` before its `]`;
/// - a missing key is added, with the entry, after the last line of the mapping:
///   before trailing blank lines, comments at the keys' indentation (a footer) and a
///   `...` document end.
///
/// Quoted keys, indented top-level mappings, CRLF line endings and a missing final
/// line ending are handled. Anything else is refused with its line and column.
pub fn append_to_list(text: &str, key: &str, fields: &[String]) -> Result<Appended, AppendError> {
    let newline = newline_of(text);
    let all = lines(text);
    let body = body(&all)?;
    let Some(key_line) = find_key(&all, &body, key) else {
        // `? interactions` would hide the list from the search above.
        if let Some(n) = (body.first..body.end).find(|&n| {
            let line = all[n].text;
            indent(line) == body.indent && after_marker(&line[body.indent..], "?").is_some()
        }) {
            return Err(AppendError {
                line: n + 1,
                column: body.indent + 1,
                layout: Layout::ExplicitKey,
            });
        }
        return Ok(add_missing(text, &all, &body, key, fields, newline));
    };
    let line = &all[key_line];
    let after_colon =
        body.indent + key_at(&line.text[body.indent..], key).expect("find_key matched this key");
    let rest = &line.text[after_colon..];
    let value_at = after_colon + rest.len() - rest.trim_start_matches([' ', '\t']).len();
    let value = &line.text[value_at..];
    let column = line.text[..value_at].chars().count() + 1;
    if value.is_empty() || value.starts_with('#') {
        let span = find_list(&all, &body, key_line);
        let from = span.items.last().copied().unwrap_or(key_line);
        let last = after_kept_blanks(&all, from, span.last_line, body.end);
        let entry = render_entry(fields, span.item_indent, span.item_offset, newline);
        return Ok(insert_lines(text, all[last].end, &entry, newline, last + 2));
    }
    if let Some(len) = empty_value(value) {
        // Drop the empty value and the blanks before it; keep the rest of the line.
        let mut out = String::with_capacity(text.len() + 128);
        out.push_str(&text[..line.start + after_colon]);
        out.push_str(&text[line.start + value_at + len..line.end]);
        if !out.ends_with('\n') {
            out.push_str(newline);
        }
        out.push_str(&render_entry(fields, body.indent + 2, 2, newline));
        out.push_str(&text[line.end..]);
        return Ok(Appended {
            text: out,
            line: key_line + 2,
        });
    }
    let refuse = |layout| AppendError {
        line: key_line + 1,
        column,
        layout,
    };
    if value.starts_with('[') {
        let (close, content_end) =
            flow_end(text, line.start + value_at).ok_or_else(|| refuse(Layout::UnclosedFlow))?;
        debug_assert!(content_end <= close);
        let entry = format!("{{{}}}", fields.join(", "));
        let insert = match text.as_bytes()[content_end - 1] {
            b'[' => entry,
            b',' => format!(" {entry}"),
            _ => format!(", {entry}"),
        };
        let mut out = String::with_capacity(text.len() + insert.len());
        out.push_str(&text[..content_end]);
        out.push_str(&insert);
        out.push_str(&text[content_end..]);
        let line = text[..content_end].matches('\n').count() + 1;
        return Ok(Appended { text: out, line });
    }
    let token = value.split([' ', '\t']).next().unwrap_or(value).to_string();
    if value.starts_with(['&', '*', '!']) {
        return Err(refuse(Layout::Decorated(token)));
    }
    let without_comment = value.split(" #").next().unwrap_or(value).trim_end();
    let shown: String = without_comment.chars().take(40).collect();
    Err(refuse(Layout::NotAList(shown)))
}

/// The length of the empty value at the start of `value` (`[]`, `[ ]`, `~`, `null`,
/// `Null`, `NULL`), if that is all the line holds before an optional comment.
fn empty_value(value: &str) -> Option<usize> {
    let len = if let Some(inner) = value.strip_prefix('[') {
        let blanks = inner.len() - inner.trim_start_matches([' ', '\t']).len();
        inner[blanks..].starts_with(']').then_some(blanks + 2)?
    } else {
        ["~", "null", "Null", "NULL"]
            .iter()
            .find(|word| value.starts_with(**word))?
            .len()
    };
    let tail = &value[len..];
    let ends = tail.is_empty()
        || (tail.starts_with([' ', '\t']) && {
            let t = tail.trim_start_matches([' ', '\t']);
            t.is_empty() || t.starts_with('#')
        });
    ends.then_some(len)
}

/// For the flow collection opening at byte `open` of `text`, the byte offset of its
/// closing bracket and the offset just past its last content (not blanks or comments).
/// Quotes and comments are honoured, so a `]` inside `"..."` or after `#` does not count.
fn flow_end(text: &str, open: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut content_end = open + 1;
    let mut i = open;
    while i < bytes.len() {
        let b = bytes[i];
        let starts_token = i == 0
            || matches!(
                bytes[i - 1],
                b'[' | b'{' | b',' | b':' | b' ' | b'\t' | b'\n' | b'\r'
            );
        match b {
            b'"' | b'\'' if starts_token => {
                i += 1;
                loop {
                    match bytes.get(i)? {
                        b'\\' if b == b'"' => i += 1,
                        q if *q == b && b == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 1,
                        q if *q == b => break,
                        _ => {}
                    }
                    i += 1;
                }
                content_end = i + 1;
            }
            b'#' if matches!(bytes[i - 1], b' ' | b'\t' | b'\n' | b'\r') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'[' | b'{' => {
                depth += 1;
                content_end = i + 1;
            }
            b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some((i, content_end));
                }
                content_end = i + 1;
            }
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => content_end = i + 1,
        }
        i += 1;
    }
    None
}

/// Adds `key:` with the entry after the mapping's last line.
fn add_missing(
    text: &str,
    all: &[Line<'_>],
    body: &Body,
    key: &str,
    fields: &[String],
    newline: &str,
) -> Appended {
    let last = (body.first..body.end)
        .rev()
        .find(|&n| {
            let line = all[n].text;
            let footer = is_blank(line) || (is_comment(line) && indent(line) <= body.indent);
            !footer
        })
        .unwrap_or(body.first);
    let from = (body.first..=last)
        .rev()
        .find(|&n| indent(all[n].text) <= body.indent && !is_blank_or_comment(all[n].text))
        .unwrap_or(body.first);
    let last = after_kept_blanks(all, from, last, body.end);
    let lines = format!(
        "{pad}{key}:{newline}{entry}",
        pad = " ".repeat(body.indent),
        entry = render_entry(fields, body.indent + 2, 2, newline)
    );
    insert_lines(text, all[last].end, &lines, newline, last + 2)
}

/// The line after which to insert when the text from line `from` to line `last` is the
/// last thing before the insertion point: `last`, or, when a block scalar in it keeps
/// its trailing blank lines (`|+`, `>+`), the last of the blank lines that follow, which
/// belong to that scalar.
fn after_kept_blanks(all: &[Line<'_>], from: usize, last: usize, end: usize) -> usize {
    let keeps = |line: &str| {
        let value = line.split(" #").next().unwrap_or("").trim_end();
        let header = value.rsplit([' ', '\t']).next().unwrap_or("");
        header.starts_with(['|', '>'])
            && header[1..].contains('+')
            && header[1..].chars().all(|c| c == '+' || c.is_ascii_digit())
    };
    if !(from..=last).any(|n| keeps(all[n].text)) {
        return last;
    }
    let mut n = last;
    while n + 1 < end && is_blank(all[n + 1].text) {
        n += 1;
    }
    n
}

/// Inserts whole `lines` at byte `at` (a line start or the end of the text).
fn insert_lines(text: &str, at: usize, lines: &str, newline: &str, line: usize) -> Appended {
    let mut out = String::with_capacity(text.len() + lines.len() + 2);
    out.push_str(&text[..at]);
    if !out.is_empty() && !out.ends_with('\n') {
        out.push_str(newline);
    }
    out.push_str(lines);
    out.push_str(&text[at..]);
    Appended { text: out, line }
}

fn render_entry(fields: &[String], item_indent: usize, offset: usize, newline: &str) -> String {
    let mut out = String::new();
    for (n, field) in fields.iter().enumerate() {
        if n == 0 {
            out.push_str(&" ".repeat(item_indent));
            out.push('-');
            out.push_str(&" ".repeat(offset - 1));
        } else {
            out.push_str(&" ".repeat(item_indent + offset));
        }
        out.push_str(field);
        out.push_str(newline);
    }
    out
}

/// `text` without the lines that equal one of `unwanted` (compared without their line
/// endings), if taking them out leaves what the YAML says exactly as it was; otherwise
/// `None`. For comment lines crm itself put into a file (`crm edit --new`'s template).
pub fn without_lines(text: &str, unwanted: &[&str]) -> Option<String> {
    let kept: String = text
        .split_inclusive('\n')
        .filter(|line| !unwanted.contains(&line.trim_end_matches(['\r', '\n'])))
        .collect();
    let before: serde_yaml::Value = serde_yaml::from_str(text).ok()?;
    let after: serde_yaml::Value = serde_yaml::from_str(&kept).ok()?;
    (before == after).then_some(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Vec<String> {
        vec!["date: 2025-04-01".into(), "kind: call".into()]
    }

    fn append(text: &str) -> String {
        append_to_list(text, "interactions", &entry()).unwrap().text
    }

    #[test]
    fn appends_after_the_last_entry_and_keeps_comments() {
        let text = "# top\nname: Ada # inline\ninteractions:\n  # first ever\n  - date: 2025-03-01\n    kind: call\n    # trailing inside\n\n# about extra\nextra: kept\n";
        let out = append_to_list(text, "interactions", &entry()).unwrap();
        assert_eq!(
            out.text,
            "# top\nname: Ada # inline\ninteractions:\n  # first ever\n  - date: 2025-03-01\n    kind: call\n    # trailing inside\n  - date: 2025-04-01\n    kind: call\n\n# about extra\nextra: kept\n"
        );
        assert_eq!(out.line, 8);
    }

    #[test]
    fn handles_unindented_lists_and_wide_offsets() {
        let text = "interactions:\n-   date: 2025-03-01\n    kind: call\n";
        assert_eq!(
            append(text),
            format!("{text}-   date: 2025-04-01\n    kind: call\n")
        );
    }

    #[test]
    fn handles_empty_forms() {
        for empty in [
            "interactions:",
            "interactions: []",
            "interactions: [ ]",
            "interactions:\t[\t]",
            "interactions: ~",
            "interactions: null",
            "interactions: Null",
            "interactions: NULL",
            "\"interactions\":",
            "'interactions' : []",
            "interactions:   # none yet",
        ] {
            let text = format!("name: A\n{empty}\nnotes: x\n");
            let out = append(&text);
            assert!(
                out.contains("  - date: 2025-04-01\n    kind: call\nnotes: x\n"),
                "{out}"
            );
            let value: serde_yaml::Value = serde_yaml::from_str(&out).unwrap();
            assert_eq!(value["interactions"][0]["kind"], "call", "{out}");
        }
    }

    #[test]
    fn an_empty_value_goes_but_the_comment_keeps_its_spacing() {
        assert_eq!(
            append("name: A\ninteractions: []   # none\n"),
            "name: A\ninteractions:   # none\n  - date: 2025-04-01\n    kind: call\n"
        );
        assert_eq!(
            append("name: A\r\ninteractions: ~\t# none"),
            "name: A\r\ninteractions:\t# none\r\n  - date: 2025-04-01\r\n    kind: call\r\n"
        );
    }

    #[test]
    fn words_that_only_start_like_null_are_not_null() {
        let err = append_to_list("name: A\ninteractions: nullish\n", "interactions", &entry())
            .unwrap_err();
        assert_eq!(err.line, 2);
        assert_eq!(err.column, 15);
        assert_eq!(err.layout, Layout::NotAList("nullish".into()));
    }

    #[test]
    fn adds_a_missing_list_after_the_last_key_even_without_final_newline() {
        assert_eq!(
            append("name: A"),
            "name: A\ninteractions:\n  - date: 2025-04-01\n    kind: call\n"
        );
    }

    #[test]
    fn a_missing_list_goes_before_a_footer_and_a_document_end() {
        let text = "---\nname: A\nnotes: |\n  text\n  # inside the note\n\n# footer\n...\n";
        assert_eq!(
            append(text),
            "---\nname: A\nnotes: |\n  text\n  # inside the note\ninteractions:\n  - date: 2025-04-01\n    kind: call\n\n# footer\n...\n"
        );
    }

    #[test]
    fn an_indented_top_level_mapping_keeps_its_indentation() {
        assert_eq!(
            append("  name: A\n"),
            "  name: A\n  interactions:\n    - date: 2025-04-01\n      kind: call\n"
        );
        assert_eq!(
            append("  name: A\n  interactions:\n"),
            "  name: A\n  interactions:\n    - date: 2025-04-01\n      kind: call\n"
        );
    }

    #[test]
    fn blank_lines_kept_by_a_block_scalar_stay_with_it() {
        assert_eq!(
            append("name: A\nnotes: |+\n  keep\n\n\n# footer\n"),
            "name: A\nnotes: |+\n  keep\n\n\ninteractions:\n  - date: 2025-04-01\n    kind: call\n# footer\n"
        );
        assert_eq!(
            append("interactions:\n  - summary: >2+\n      keep\n\nx: 1\n"),
            "interactions:\n  - summary: >2+\n      keep\n\n  - date: 2025-04-01\n    kind: call\nx: 1\n"
        );
    }

    #[test]
    fn keeps_crlf_line_endings() {
        let text = "name: A\r\ninteractions:\r\n  - date: 2025-03-01\r\n    kind: call\r\n";
        assert_eq!(
            append(text),
            format!("{text}  - date: 2025-04-01\r\n    kind: call\r\n")
        );
    }

    #[test]
    fn extends_non_empty_flow_lists_in_flow_style() {
        let cases = [
            (
                "interactions: [{date: 2025-03-01, kind: call}]  # log\n",
                "interactions: [{date: 2025-03-01, kind: call}, {date: 2025-04-01, kind: call}]  # log\n",
            ),
            (
                "interactions: [\n  {date: 2025-03-01, kind: call, summary: \"a ] b\"},  # first\n]\n",
                "interactions: [\n  {date: 2025-03-01, kind: call, summary: \"a ] b\"}, {date: 2025-04-01, kind: call}  # first\n]\n",
            ),
            (
                "interactions: [\n]\n",
                "interactions: [{date: 2025-04-01, kind: call}\n]\n",
            ),
            (
                "interactions: [{summary: 'it''s ]', kind: call, date: 2025-03-01}, ]\n",
                "interactions: [{summary: 'it''s ]', kind: call, date: 2025-03-01}, {date: 2025-04-01, kind: call} ]\n",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(
                append(&format!("name: A\n{text}")),
                format!("name: A\n{expected}")
            );
        }
    }

    #[test]
    fn refuses_what_it_cannot_extend_with_line_and_column() {
        let cases = [
            ("{name: A, interactions: []}\n", 1, 1, Layout::FlowMapping),
            ("--- {name: A}\n", 1, 5, Layout::StartsOnMarker),
            ("- name: A\n", 1, 1, Layout::NoMapping),
            ("name: A\n? interactions\n: []\n", 2, 1, Layout::ExplicitKey),
            (
                "name: A\ninteractions: &log\n  - date: 2025-03-01\n",
                2,
                15,
                Layout::Decorated("&log".into()),
            ),
            (
                "name: A\ninteractions: [{date: 2025-03-01\n",
                2,
                15,
                Layout::UnclosedFlow,
            ),
        ];
        for (text, line, column, layout) in cases {
            assert_eq!(
                append_to_list(text, "interactions", &entry()),
                Err(AppendError {
                    line,
                    column,
                    layout
                }),
                "{text}"
            );
        }
    }

    #[test]
    fn refusals_say_where_why_and_how_to_fix() {
        let err = append_to_list("{name: A}\n", "interactions", &entry())
            .unwrap_err()
            .into_error("customers/a.yaml", "a");
        assert!(
            err.message.starts_with("customers/a.yaml:1:1: "),
            "{}",
            err.message
        );
        assert!(err.message.contains("block-style"), "{}", err.message);
        assert!(err.hint.unwrap().contains("crm edit a"));
    }
}
