//! Writing YAML values by hand, so that crm controls every byte it adds to a person's
//! file: scalar quoting that no YAML 1.1 or 1.2 reader can misread. Appending to an
//! existing file lives in `edit.rs`; what a customer file holds, in `store/`.

/// Words that some YAML reader takes for a boolean or null when written plain.
const AMBIGUOUS_WORDS: [&str; 11] = [
    "y", "n", "yes", "no", "true", "false", "on", "off", "null", "nan", "inf",
];

/// Renders text as a YAML scalar: plain when that is unambiguous to every reader,
/// otherwise double-quoted. Plain needs a leading letter, no YAML indicator characters
/// and no word like `no` or `on` that YAML 1.1 reads as a boolean.
pub(crate) fn scalar(text: &str) -> String {
    if is_safe_plain(text) {
        text.to_string()
    } else {
        double_quoted(text)
    }
}

/// Renders text as a YAML scalar in the quoting a value it replaces was written in:
/// `"..."` stays double-quoted, `'...'` single-quoted (when the text needs no escape),
/// anything else as [`scalar`] writes it.
pub fn scalar_like(text: &str, style: super::libyaml::Style) -> String {
    use super::libyaml::Style;
    match style {
        Style::DoubleQuoted => double_quoted(text),
        Style::SingleQuoted
            if !text
                .chars()
                .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')) =>
        {
            format!("'{}'", text.replace('\'', "''"))
        }
        _ => scalar(text),
    }
}

/// YAML's double-quoted style with every character that a reader could take for a line
/// break or refuse as unprintable escaped: C0 and C1 controls, DEL, NEL (U+0085), the
/// line and paragraph separators (U+2028, U+2029) and a stray byte-order mark.
fn double_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn is_safe_plain(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    first.is_alphabetic()
        && text.trim() == text
        && !text.chars().any(|c| {
            c.is_control()
                || matches!(
                    c,
                    ':' | '#'
                        | ','
                        | '['
                        | ']'
                        | '{'
                        | '}'
                        | '"'
                        | '\''
                        | '\\'
                        | '|'
                        | '>'
                        | '&'
                        | '*'
                        | '!'
                        | '%'
                        | '`'
                        | '\u{feff}'
                        | '\u{2028}'
                        | '\u{2029}'
                )
        })
        && !AMBIGUOUS_WORDS.contains(&text.to_ascii_lowercase().as_str())
}

/// Renders a list of text in flow style: `[vip, "no"]`.
pub(crate) fn flow_list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|i| scalar(i)).collect();
    format!("[{}]", inner.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_what_yaml_1_1_would_misread() {
        for risky in [
            "a\u{2028}b",
            "no",
            "NO",
            "yes",
            "On",
            "0123",
            "12:30",
            "1e3",
            "",
            " padded",
            "- dash",
            "a: b",
            "#tag",
            "[x]",
            "~",
            "null",
            "+44 20",
            "2025-01-01",
            "it's",
        ] {
            assert!(scalar(risky).starts_with('"'), "{risky:?} must be quoted");
        }
        for plain in [
            "Ada Lovelace",
            "ada@example.com",
            "oat flat white",
            "Zoë",
            "Model B",
        ] {
            assert_eq!(scalar(plain), plain);
        }
    }

    #[test]
    fn quoted_scalars_read_back_as_the_same_string() {
        for text in [
            "no",
            "0123",
            "line\nbreak",
            "tab\there",
            "quote \" and \\",
            "\u{7}",
        ] {
            let yaml = format!("k: {}\n", scalar(text));
            let value: std::collections::BTreeMap<String, String> =
                serde_yaml::from_str(&yaml).unwrap();
            assert_eq!(value["k"], text);
        }
    }
}
