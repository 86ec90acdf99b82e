//! Messages: a template (minijinja, with strict undefined) rendered over a customer's
//! fields, then made an RFC 5322 message: the template's own header lines, a `To:` from
//! the customer unless the template gives one, MIME headers for UTF-8 text, a blank
//! line, the body. Nothing here reads files or sends anything.

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use crate::error::{Error, Result};

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Header fields in order, unencoded (`Subject`, `To`, ...).
    pub headers: Vec<(String, String)>,
    /// The body, ending in a line break.
    pub body: String,
}

impl Message {
    /// The message as RFC 5322 text with LF line ends (what `sendmail -t` and `msmtp -t`
    /// read): headers encoded as RFC 2047 words where they are not ASCII.
    pub fn to_rfc5322(&self) -> String {
        let mut text = String::new();
        for (name, value) in &self.headers {
            text.push_str(&format!("{name}: {}\n", encode_header(name, value)));
        }
        text.push_str("MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n");
        text.push_str(&self.body);
        text
    }
}

/// Renders template text `source` (shown as `shown`, e.g. `templates/thank-you.txt`) over
/// `context`. A syntax error or a field the context lacks is an error at
/// `shown:line:col`. `to` is the `To:` value used unless the template sets one.
pub fn render(
    shown: &str,
    source: &str,
    context: &impl Serialize,
    to: Option<&str>,
) -> Result<Message> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(true);
    let template = env
        .template_from_named_str(shown, source)
        .map_err(|e| template_error(shown, source, &e))?;
    let rendered = template
        .render(context)
        .map_err(|e| template_error(shown, source, &e))?;
    parse(shown, &rendered, to)
}

/// Splits rendered text into header lines and body, and checks the headers.
fn parse(shown: &str, rendered: &str, to: Option<&str>) -> Result<Message> {
    let text = rendered.replace("\r\n", "\n");
    let (head, body) = match text.split_once("\n\n") {
        Some((head, body)) => (head, body),
        None => (text.as_str(), ""),
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    for (n, line) in head.lines().enumerate() {
        let parsed = line.split_once(':').filter(|(name, _)| {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        let Some((name, value)) = parsed else {
            return Err(Error::invalid_file(format!(
                "{shown}:{}:1: {line:?} is not a header line; a template starts with header lines such as `Subject: ...`, then a blank line, then the body",
                n + 1
            )));
        };
        headers.push((name.to_string(), value.trim().to_string()));
    }
    if !headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("subject") && !v.is_empty())
    {
        return Err(Error::invalid_file(format!(
            "{shown}:1:1: the message has no subject; start the template with a `Subject: ...` line, then a blank line, then the body"
        )));
    }
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("to")) {
        let to = to.ok_or_else(|| {
            Error::usage("the customer has no email address to send the message to").with_hint(
                "add `email:` to their file (`crm edit ID`), or give a `To:` line in the template",
            )
        })?;
        headers.insert(0, ("To".to_string(), to.to_string()));
    }
    let mut body = body.to_string();
    if !body.ends_with('\n') {
        body.push('\n');
    }
    Ok(Message { headers, body })
}

/// A template error as `templates/x.txt:line:col: what`, with a hint for missing fields.
fn template_error(shown: &str, source: &str, err: &minijinja::Error) -> Error {
    let (line, column) = match err.range() {
        Some(range) => position(source, range.start),
        None => (err.line().unwrap_or(1), 1),
    };
    let what = err.range().and_then(|r| source.get(r)).map(str::trim);
    let mut message = match err.kind() {
        minijinja::ErrorKind::UndefinedError => match what {
            Some(expr) if !expr.is_empty() => format!("`{expr}` is not set for this customer"),
            _ => "a value the template uses is not set for this customer".to_string(),
        },
        kind => {
            let mut m = kind.to_string();
            if let Some(detail) = err.detail() {
                m.push_str(&format!(": {detail}"));
            }
            m
        }
    };
    message = format!("{shown}:{line}:{column}: {message}");
    let hint = if err.kind() == minijinja::ErrorKind::UndefinedError {
        "a field a customer lacks is an error, never an empty string: test it with `{% if x is defined %}`, or give a fallback with `{{ x | default(\"...\") }}` (the fields are in docs/messages.md)"
    } else {
        "the template language is Jinja (minijinja); see docs/messages.md"
    };
    Error::invalid_file(message).with_hint(hint)
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let mut cut = offset.min(text.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let before = &text[..cut];
    let start = before.rfind('\n').map_or(0, |n| n + 1);
    (
        before.matches('\n').count() + 1,
        before[start..].chars().count() + 1,
    )
}

/// A header value as it may be written: one line, and RFC 2047 encoded words when it
/// is not ASCII. Address headers keep the address itself plain.
fn encode_header(name: &str, value: &str) -> String {
    let value: String = value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if value.is_ascii() {
        return value;
    }
    let address =
        ["to", "cc", "bcc", "from", "reply-to"].contains(&name.to_ascii_lowercase().as_str());
    if address {
        if let Some((display, rest)) = value.rsplit_once('<') {
            return format!(
                "{} <{rest}",
                encoded_words(display.trim().trim_matches('"'))
            );
        }
    }
    encoded_words(&value)
}

/// `=?UTF-8?B?...?=` words of at most 75 characters, split between characters.
fn encoded_words(text: &str) -> String {
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        // 45 bytes of text make 60 of base64: with the 12 of the wrapper, under 75.
        if chunk.len() + c.len_utf8() > 45 {
            words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
    }
    words.join("\n ")
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(TABLE[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The bytes of base64 text, or `None` when it is not base64.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    };
    let text = text.trim_end_matches('=').as_bytes();
    let mut out = Vec::new();
    for chunk in text.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= value(*c)? << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        match chunk.len() {
            4 => out.extend_from_slice(&bytes),
            3 => out.extend_from_slice(&bytes[..2]),
            2 => out.push(bytes[0]),
            _ => return None,
        }
    }
    Some(out)
}

/// `"Ada Lovelace" <ada@example.com>`: a display name quoted when it needs to be.
pub fn mailbox(name: &str, email: &str) -> String {
    let name: String = name.chars().filter(|c| !c.is_control()).collect();
    let plain = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " !#$%&'*+-/=?^_`{|}~".contains(c));
    if name.trim().is_empty() {
        format!("<{email}>")
    } else if plain || !name.is_ascii() {
        format!("{} <{email}>", name.trim())
    } else {
        format!(
            "\"{}\" <{email}>",
            name.trim().replace('\\', "\\\\").replace('"', "\\\"")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_encoded_words() {
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"M"), "TQ==");
        for text in ["", "M", "Ma", "Man", "Danke schön, Zoë!"] {
            assert_eq!(
                base64_decode(&base64(text.as_bytes())).unwrap(),
                text.as_bytes()
            );
        }
        let long = "Ein sehr langer Betreff mit Umlauten: äöü ÄÖÜ ß, und noch mehr Text";
        let words = encoded_words(long);
        assert!(words.lines().all(|l| l.trim().len() <= 75), "{words}");
        assert_eq!(encode_header("Subject", "Thanks"), "Thanks");
        assert_eq!(
            encode_header("Subject", "Danke schön"),
            "=?UTF-8?B?RGFua2Ugc2Now7Zu?="
        );
        assert_eq!(
            encode_header("To", "Zoë Šimić <zoe@example.com>"),
            format!("{} <zoe@example.com>", encoded_words("Zoë Šimić"))
        );
        assert_eq!(mailbox("Ada Lovelace", "a@x"), "Ada Lovelace <a@x>");
        assert_eq!(mailbox("Lovelace, Ada", "a@x"), "\"Lovelace, Ada\" <a@x>");
    }

    #[test]
    fn missing_fields_and_syntax_errors_point_at_their_place() {
        #[derive(Serialize)]
        struct Ctx {
            name: &'static str,
        }
        let ctx = Ctx { name: "Ada" };
        let err = render(
            "templates/t.txt",
            "Subject: Hi\n\nDear {{ name }},\nyour {{ phone }}\n",
            &ctx,
            Some("a@x"),
        )
        .unwrap_err();
        assert!(
            err.message
                .starts_with("templates/t.txt:4:9: `phone` is not set"),
            "{}",
            err.message
        );
        let err = render(
            "templates/t.txt",
            "Subject: Hi\n\n{% if name %}\n",
            &ctx,
            Some("a@x"),
        )
        .unwrap_err();
        assert!(
            err.message.starts_with("templates/t.txt:3:"),
            "{}",
            err.message
        );
        let err = render("templates/t.txt", "Dear {{ name }}\n", &ctx, Some("a@x")).unwrap_err();
        assert!(
            err.message.contains("is not a header line"),
            "{}",
            err.message
        );
        let m = render(
            "templates/t.txt",
            "Subject: Hi {{ name }}\n\nBody\n",
            &ctx,
            Some("Ada <a@x>"),
        )
        .unwrap();
        assert_eq!(m.to_rfc5322(), "To: Ada <a@x>\nSubject: Hi Ada\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nBody\n");
    }
}
