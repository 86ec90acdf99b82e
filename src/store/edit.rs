//! Lossless edits of a person's customer file: crm only ever *adds* lines to the
//! `interactions:` list and leaves every other byte (comments, key order, quoting,
//! unknown fields, blank lines, line endings) exactly as it was. The caller re-parses
//! the result and compares it with what it meant to write before anything is saved.

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

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('#')
}

fn is_seq_item(line: &str) -> bool {
    let t = line.trim_start_matches(' ');
    t == "-" || t.starts_with("- ")
}

/// The line ending the file uses (`\r\n` if its first line ends so, else `\n`).
pub fn newline_of(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// Where the top-level `interactions:` list is, as found by scanning lines.
struct ListSpan {
    /// Index of the `interactions:` line.
    key_line: usize,
    /// Indentation of the list's `-` markers.
    item_indent: usize,
    /// Columns from the `-` to the entry's first key.
    item_offset: usize,
    /// Index of the last line that belongs to the list (the key line if empty).
    last_line: usize,
    /// Start line of each entry.
    items: Vec<usize>,
}

fn top_level_key(line: &str, key: &str) -> Option<usize> {
    let rest = line.strip_prefix(key)?;
    let rest = rest.trim_start_matches(' ');
    rest.strip_prefix(':')?;
    Some(line.len() - rest.len() + 1)
}

fn find_list(all: &[Line<'_>], key: &str) -> Option<ListSpan> {
    let key_line = all
        .iter()
        .position(|l| top_level_key(l.text, key).is_some())?;
    let mut items = Vec::new();
    let mut item_indent = None;
    let mut item_offset = 2;
    let mut last_line = key_line;
    for (n, line) in all.iter().enumerate().skip(key_line + 1) {
        let text = line.text;
        if is_blank_or_comment(text) {
            // A comment indented deeper than the `-` markers belongs to the entry above
            // it, so a new entry goes after it; one further out belongs to what follows.
            let inside = item_indent.is_some_and(|item| indent(text) > item);
            if inside && !text.trim().is_empty() {
                last_line = n;
            }
            continue;
        }
        let ind = indent(text);
        match item_indent {
            None if is_seq_item(text) => {
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
        if text.starts_with("---") || text.starts_with("...") {
            break;
        }
        last_line = n;
    }
    Some(ListSpan {
        key_line,
        item_indent: item_indent.unwrap_or(2),
        item_offset: item_offset.max(2),
        last_line,
        items,
    })
}

/// Why an entry could not be appended by line editing.
#[derive(Debug, PartialEq, Eq)]
pub enum AppendError {
    /// `interactions:` holds something crm cannot extend line by line (a non-empty
    /// flow list like `[{...}]`, or a scalar). Carries the 1-based line number.
    UnusualLayout(usize),
}

/// Appends an entry made of `fields` (`key: value` lines) to the top-level list `key`
/// of `text`. Handles `key:` with nothing after it, `key: []`, `key: ~`, a missing key
/// (added at the end of the file), lists indented or not, and files without a final
/// line ending. Everything else in the file is left byte for byte.
pub fn append_to_list(text: &str, key: &str, fields: &[String]) -> Result<String, AppendError> {
    let newline = newline_of(text);
    let all = lines(text);
    let Some(span) = find_list(&all, key) else {
        let mut out = text.to_string();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(newline);
        }
        out.push_str(key);
        out.push(':');
        out.push_str(newline);
        out.push_str(&render_entry(fields, 2, 2, newline));
        return Ok(out);
    };
    let key_line = &all[span.key_line];
    let value_start = top_level_key(key_line.text, key).expect("find_list matched this key");
    let value = key_line.text[value_start..].trim();
    let value_without_comment = if value.starts_with('#') {
        ""
    } else {
        value.split(" #").next().unwrap_or("").trim()
    };
    let mut out = String::with_capacity(text.len() + 128);
    if !matches!(value_without_comment, "" | "[]" | "~" | "null") {
        return Err(AppendError::UnusualLayout(span.key_line + 1));
    }
    if value_without_comment.is_empty() {
        let insert_at = all[span.last_line].end;
        out.push_str(&text[..insert_at]);
        if !out.ends_with('\n') {
            out.push_str(newline);
        }
        out.push_str(&render_entry(
            fields,
            span.item_indent,
            span.item_offset,
            newline,
        ));
        out.push_str(&text[insert_at..]);
    } else {
        // `interactions: []` or `~`: drop the empty value, keep any comment after it.
        let comment = value.find(" #").map(|i| &value[i..]).unwrap_or("");
        out.push_str(&text[..key_line.start]);
        out.push_str(key);
        out.push(':');
        out.push_str(comment);
        out.push_str(newline);
        out.push_str(&render_entry(
            fields,
            span.item_indent,
            span.item_offset,
            newline,
        ));
        out.push_str(&text[key_line.end.min(text.len())..]);
    }
    Ok(out)
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

/// A best-effort position (1-based line, column) for a field of the file, used to point
/// `crm check` messages at the right line: `field` of entry `index` of the top-level
/// list `list`, or the top-level key `field` when `index` is `None`.
pub fn locate(text: &str, list: &str, index: Option<usize>, field: &str) -> Option<(usize, usize)> {
    let all = lines(text);
    let Some(index) = index else {
        let n = all
            .iter()
            .position(|l| top_level_key(l.text, field).is_some())?;
        return Some((n + 1, 1));
    };
    let span = find_list(&all, list)?;
    let start = *span.items.get(index)?;
    let end = span
        .items
        .get(index + 1)
        .copied()
        .unwrap_or(span.last_line + 1);
    let key_column = span.item_indent + span.item_offset;
    for (n, line) in all.iter().enumerate().take(end).skip(start) {
        let body = if n == start {
            format!(
                "{}{}",
                " ".repeat(key_column),
                &line.text.get(key_column..).unwrap_or("")
            )
        } else {
            line.text.to_string()
        };
        if indent(&body) == key_column && top_level_key(body.trim_start(), field).is_some() {
            return Some((n + 1, key_column + 1));
        }
    }
    Some((start + 1, span.item_indent + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Vec<String> {
        vec!["date: 2025-04-01".into(), "kind: call".into()]
    }

    #[test]
    fn appends_after_the_last_entry_and_keeps_comments() {
        let text = "# top\nname: Ada # inline\ninteractions:\n  # first ever\n  - date: 2025-03-01\n    kind: call\n    # trailing inside\n\n# about extra\nextra: kept\n";
        let out = append_to_list(text, "interactions", &entry()).unwrap();
        assert_eq!(
            out,
            "# top\nname: Ada # inline\ninteractions:\n  # first ever\n  - date: 2025-03-01\n    kind: call\n    # trailing inside\n  - date: 2025-04-01\n    kind: call\n\n# about extra\nextra: kept\n"
        );
    }

    #[test]
    fn handles_unindented_lists_and_wide_offsets() {
        let text = "interactions:\n-   date: 2025-03-01\n    kind: call\n";
        let out = append_to_list(text, "interactions", &entry()).unwrap();
        assert_eq!(out, format!("{text}-   date: 2025-04-01\n    kind: call\n"));
    }

    #[test]
    fn handles_empty_forms() {
        for empty in [
            "interactions:",
            "interactions: []",
            "interactions: ~",
            "interactions:   # none yet",
        ] {
            let text = format!("name: A\n{empty}\nnotes: x\n");
            let out = append_to_list(&text, "interactions", &entry()).unwrap();
            assert!(
                out.contains("  - date: 2025-04-01\n    kind: call\nnotes: x\n"),
                "{out}"
            );
            let value: serde_yaml::Value = serde_yaml::from_str(&out).unwrap();
            assert_eq!(value["interactions"][0]["kind"], "call", "{out}");
        }
    }

    #[test]
    fn adds_a_missing_list_at_the_end_even_without_final_newline() {
        let out = append_to_list("name: A", "interactions", &entry()).unwrap();
        assert_eq!(
            out,
            "name: A\ninteractions:\n  - date: 2025-04-01\n    kind: call\n"
        );
    }

    #[test]
    fn keeps_crlf_line_endings() {
        let text = "name: A\r\ninteractions:\r\n  - date: 2025-03-01\r\n    kind: call\r\n";
        let out = append_to_list(text, "interactions", &entry()).unwrap();
        assert_eq!(
            out,
            format!("{text}  - date: 2025-04-01\r\n    kind: call\r\n")
        );
    }

    #[test]
    fn refuses_non_empty_flow_lists() {
        let text = "interactions: [{date: 2025-03-01, kind: call}]\n";
        assert_eq!(
            append_to_list(text, "interactions", &entry()),
            Err(AppendError::UnusualLayout(1))
        );
    }

    #[test]
    fn locates_fields_of_entries() {
        let text = "name: A\ninteractions:\n  - date: 2025-03-01\n    kind: call\n  - date: 2025-03-02\n    kind: purchase\n    amount: lots\n";
        assert_eq!(
            locate(text, "interactions", Some(1), "amount"),
            Some((7, 5))
        );
        assert_eq!(locate(text, "interactions", Some(1), "date"), Some((5, 5)));
        assert_eq!(
            locate(text, "interactions", Some(0), "rating"),
            Some((3, 3))
        );
        assert_eq!(locate(text, "interactions", None, "name"), Some((1, 1)));
    }
}
