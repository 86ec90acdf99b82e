//! vCard (RFC 6350, 4.0; RFC 2426, 3.0): reading the cards of a `.vcf` file into
//! properties, and writing one card. Small by design: of vCard crm needs the text
//! properties of a contact, and writing them is a few escapes and the 75-octet line
//! folding; a crate for the whole data model (calcard, vcard4) would be more to keep
//! up than what it saves here (see the commit that added this file).

/// One content line: `GROUP.NAME;PARAM=V:VALUE`, unfolded, name upper-cased, the value
/// still escaped (its meaning depends on the property: `;` separates the components of
/// `N`, `,` the entries of `CATEGORIES`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Property {
    /// The property name, upper case, without the group (`EMAIL`, `X-SKYPE`).
    pub(crate) name: String,
    /// Parameters as written (names upper case, values without quotes).
    pub(crate) params: Vec<(String, String)>,
    /// The raw value.
    pub(crate) value: String,
}

/// One card: the line its `BEGIN:VCARD` is on, and its properties in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Card {
    /// 1-based line of `BEGIN:VCARD`.
    pub(crate) line: u64,
    /// The properties between BEGIN and END.
    pub(crate) properties: Vec<Property>,
}

impl Card {
    /// The properties named `name`.
    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Property> + 'a {
        self.properties.iter().filter(move |p| p.name == name)
    }

    /// The first property named `name`.
    pub(crate) fn first(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.name == name)
    }
}

/// Whether `text` is a vCard file (its first non-blank line is `BEGIN:VCARD`).
pub(crate) fn is_vcard(text: &str) -> bool {
    text.trim_start()
        .get(..11)
        .is_some_and(|start| start.eq_ignore_ascii_case("BEGIN:VCARD"))
}

/// The cards of a `.vcf` file, and the problems of lines that are not vCard (line, what).
pub(crate) fn parse(text: &str) -> (Vec<Card>, Vec<(u64, String)>) {
    let mut cards = Vec::new();
    let mut problems = Vec::new();
    let mut current: Option<Card> = None;
    for (line, content) in unfold(text) {
        if content.trim().is_empty() {
            continue;
        }
        let Some(property) = content_line(&content) else {
            problems.push((
                line,
                format!("{:?} is not a vCard line (NAME:VALUE)", shorten(&content)),
            ));
            continue;
        };
        match (property.name.as_str(), &mut current) {
            ("BEGIN", None) if property.value.eq_ignore_ascii_case("VCARD") => {
                current = Some(Card {
                    line,
                    properties: Vec::new(),
                });
            }
            ("BEGIN", Some(card)) if property.value.eq_ignore_ascii_case("VCARD") => {
                problems.push((
                    card.line,
                    format!("the card that starts here has no END:VCARD before line {line}"),
                ));
                current = Some(Card {
                    line,
                    properties: Vec::new(),
                });
            }
            ("END", Some(_)) if property.value.eq_ignore_ascii_case("VCARD") => {
                cards.extend(current.take());
            }
            (_, Some(card)) => card.properties.push(property),
            (_, None) => problems.push((
                line,
                format!(
                    "{} outside a card (after END:VCARD or before BEGIN:VCARD)",
                    property.name
                ),
            )),
        }
    }
    if let Some(card) = current {
        problems.push((
            card.line,
            "the card that starts here has no END:VCARD".to_string(),
        ));
    }
    (cards, problems)
}

fn shorten(text: &str) -> String {
    text.chars().take(40).collect()
}

/// Logical lines with the physical line each starts on: a line that begins with a space
/// or a tab continues the one before (RFC 6350 §3.2), minus that one character.
fn unfold(text: &str) -> Vec<(u64, String)> {
    let mut lines: Vec<(u64, String)> = Vec::new();
    for (n, physical) in text.split('\n').enumerate() {
        let physical = physical.strip_suffix('\r').unwrap_or(physical);
        let number = n as u64 + 1;
        match (physical.strip_prefix([' ', '\t']), lines.last_mut()) {
            (Some(rest), Some((_, last))) => last.push_str(rest),
            _ => lines.push((number, physical.to_string())),
        }
    }
    lines
}

/// Splits a content line into name, parameters and value (a `:` inside a quoted
/// parameter value does not end the parameters).
fn content_line(line: &str) -> Option<Property> {
    let mut quoted = false;
    let colon = line.char_indices().find_map(|(i, c)| match c {
        '"' => {
            quoted = !quoted;
            None
        }
        ':' if !quoted => Some(i),
        _ => None,
    })?;
    let (head, value) = (&line[..colon], &line[colon + 1..]);
    let mut parts = split_unquoted(head, ';').into_iter();
    let name = parts.next()?.trim();
    // `item1.EMAIL` (Apple's groups): the group is dropped.
    let name = name.rsplit_once('.').map_or(name, |(_, n)| n);
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return None;
    }
    let params = parts
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.trim().to_ascii_uppercase(), v.trim().replace('"', "")),
            // vCard 2.1's bare `TEL;CELL:`: a type without `TYPE=`.
            None => ("TYPE".to_string(), p.trim().to_string()),
        })
        .collect();
    Some(Property {
        name: name.to_ascii_uppercase(),
        params,
        value: value.to_string(),
    })
}

fn split_unquoted(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == sep && !quoted {
            parts.push(&text[start..i]);
            start = i + 1;
        }
    }
    parts.push(&text[start..]);
    parts
}

/// A value split at unescaped `sep` (`;` for structured values, `,` for lists), each
/// part unescaped.
pub(crate) fn components(value: &str, sep: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n' | 'N') => parts.last_mut().expect("never empty").push('\n'),
                Some(other) => parts.last_mut().expect("never empty").push(other),
                None => parts.last_mut().expect("never empty").push('\\'),
            },
            c if c == sep => parts.push(String::new()),
            c => parts.last_mut().expect("never empty").push(c),
        }
    }
    parts
}

/// A text value unescaped (`\n` a line break, `\,` `\;` `\\` themselves).
pub(crate) fn text(value: &str) -> String {
    components(value, '\u{0}').concat()
}

/// The version a card is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    /// vCard 3.0 (RFC 2426), for older phones and programs.
    V3,
    /// vCard 4.0 (RFC 6350).
    V4,
}

/// A card being written: `BEGIN:VCARD`, properties, `END:VCARD`, CRLF line ends and
/// lines folded at 75 octets.
pub(crate) struct Writer {
    out: String,
}

impl Writer {
    /// Starts a card of `version`.
    pub(crate) fn new(version: Version) -> Writer {
        let mut writer = Writer { out: String::new() };
        writer.raw("BEGIN:VCARD");
        writer.raw(match version {
            Version::V3 => "VERSION:3.0",
            Version::V4 => "VERSION:4.0",
        });
        writer
    }

    /// A line written as given (name, parameters and an already escaped value).
    pub(crate) fn raw(&mut self, line: &str) {
        fold_into(&mut self.out, line);
    }

    /// `NAME:value` with the value escaped as text.
    fn text(&mut self, name: &str, value: &str) {
        self.raw(&format!("{name}:{}", escape(value)));
    }

    /// Ends the card and returns its text.
    pub(crate) fn finish(mut self) -> String {
        self.raw("END:VCARD");
        self.out
    }
}

/// What a card says about one customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CardData<'a> {
    /// crm's id (`X-CRM-ID`, and the seed of the UID).
    pub(crate) id: &'a str,
    /// Display name.
    pub(crate) name: &'a str,
    /// Emails, the primary first.
    pub(crate) emails: Vec<&'a str>,
    /// Phones, the primary first.
    pub(crate) phones: Vec<&'a str>,
    /// Company.
    pub(crate) company: Option<&'a str>,
    /// Tags, as CATEGORIES.
    pub(crate) tags: &'a [String],
    /// Birthday, with or without the year.
    pub(crate) birthday: Option<crate::domain::birthday::Birthday>,
}

/// One customer's card.
pub(crate) fn card(data: &CardData, version: Version) -> String {
    let mut w = Writer::new(version);
    w.raw(&format!(
        "UID:urn:uuid:{}",
        super::uid::uuid(&format!("card:{}", data.id))
    ));
    w.text("FN", data.name);
    // N is required in 3.0. crm keeps one name: its last word is taken for the family
    // name (what phones sort by), unless the name is the company's.
    let n = match data.name.trim().rsplit_once(' ') {
        Some((given, family)) if data.company != Some(data.name) => {
            format!("N:{};{};;;", escape(family), escape(given.trim()))
        }
        _ => format!("N:{};;;;", escape(data.name)),
    };
    w.raw(&n);
    for (n, email) in data.emails.iter().enumerate() {
        match (n, version) {
            (0, Version::V4) => w.text("EMAIL;PREF=1", email),
            (0, Version::V3) => w.text("EMAIL;TYPE=INTERNET,PREF", email),
            (_, Version::V3) => w.text("EMAIL;TYPE=INTERNET", email),
            _ => w.text("EMAIL", email),
        }
    }
    for (n, phone) in data.phones.iter().enumerate() {
        match (n, version) {
            (0, Version::V4) => w.text("TEL;VALUE=text;PREF=1", phone),
            (_, Version::V4) => w.text("TEL;VALUE=text", phone),
            (0, Version::V3) => w.text("TEL;TYPE=PREF", phone),
            _ => w.text("TEL", phone),
        }
    }
    if let Some(company) = data.company {
        w.text("ORG", company);
    }
    if let Some(b) = data.birthday {
        let (month, day) = (b.month(), b.day());
        w.raw(&match (b.year(), version) {
            (Some(y), Version::V4) => format!("BDAY:{y:04}{month:02}{day:02}"),
            (Some(y), Version::V3) => format!("BDAY:{y:04}-{month:02}-{day:02}"),
            (None, Version::V4) => format!("BDAY:--{month:02}{day:02}"),
            (None, Version::V3) => format!("BDAY:--{month:02}-{day:02}"),
        });
    }
    if !data.tags.is_empty() {
        let tags: Vec<String> = data.tags.iter().map(|t| escape(t)).collect();
        w.raw(&format!("CATEGORIES:{}", tags.join(",")));
    }
    w.text("X-CRM-ID", data.id);
    w.finish()
}

/// A text value escaped for vCard and iCalendar: `\` `,` `;` and line breaks.
pub(crate) fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` folded as RFC 6350 and RFC 5545 ask: no line longer than 75 octets
/// (continuations start with a space, which counts), never splitting a UTF-8 character;
/// each line ends in CRLF.
pub(crate) fn fold_into(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARDS: &str = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Lovelace\r\nN:Lovelace;Ada;;;\r\n\
        NOTE:Met at the Analytical Society\\, 1833. Likes long\r\n  letters.\r\n\
        item1.EMAIL;TYPE=INTERNET:ada@example.com\r\nX-SKYPE:ada.l\r\nEND:VCARD\r\n\
        BEGIN:VCARD\nVERSION:4.0\nFN:Bob\nTEL;VALUE=uri;TYPE=\"voice,cell\":tel:+44-1\nEND:VCARD\n";

    #[test]
    fn reads_folded_lines_groups_and_params() {
        let (cards, problems) = parse(CARDS);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(cards.len(), 2);
        assert_eq!(cards[0].line, 1);
        assert_eq!(cards[1].line, 10);
        let note = cards[0].first("NOTE").unwrap();
        assert_eq!(
            text(&note.value),
            "Met at the Analytical Society, 1833. Likes long letters."
        );
        assert_eq!(cards[0].first("EMAIL").unwrap().value, "ada@example.com");
        assert_eq!(cards[0].first("X-SKYPE").unwrap().value, "ada.l");
        assert_eq!(
            components(&cards[0].first("N").unwrap().value, ';'),
            ["Lovelace", "Ada", "", "", ""]
        );
        let tel = cards[1].first("TEL").unwrap();
        assert_eq!(tel.value, "tel:+44-1");
        assert!(tel.params.contains(&("TYPE".into(), "voice,cell".into())));
    }

    #[test]
    fn unfinished_and_stray_lines_are_problems() {
        let (_, problems) = parse("BEGIN:VCARD\nFN:A\n");
        assert_eq!(problems[0].0, 1);
        let (_, problems) = parse("FN:A\nBEGIN:VCARD\nnot a line\nEND:VCARD\n");
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!((problems[0].0, problems[1].0), (1, 3));
    }

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        let mut out = String::new();
        let long = format!("NOTE:{}", "é".repeat(60));
        fold_into(&mut out, &long);
        for line in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        }
        let unfolded: String = unfold(&out).into_iter().map(|(_, l)| l).collect();
        assert_eq!(unfolded, long);
    }

    #[test]
    fn escapes_round_trip() {
        let value = "a, b; c\\d\nnext";
        assert_eq!(text(&escape(value)), value);
        assert_eq!(components(&escape("x,y"), ','), ["x,y"]);
    }
}
