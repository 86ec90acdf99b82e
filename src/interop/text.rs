//! The bytes of an imported file as text: UTF-8 with or without a byte-order mark, and
//! a clear refusal (which line, what to run) for anything else, since a spreadsheet
//! saving "Unicode text" (UTF-16) or a Windows program saving Latin-1 is the usual way
//! a good export turns into mojibake. Also the separator of a CSV file: `,`, `;` (what
//! spreadsheets in most of Europe write) or a tab.

/// Why the bytes of a file are not text crm reads, with the line and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotUtf8 {
    /// The 1-based line of the first byte that is not UTF-8 (1 for a byte-order mark).
    pub(crate) line: usize,
    /// What is wrong and how to fix it (names `iconv`).
    pub(crate) message: String,
}

/// The text of `bytes`: UTF-8, a leading UTF-8 byte-order mark removed. `shown` is the
/// file's name as the messages name it.
pub(crate) fn decode<'a>(bytes: &'a [u8], shown: &str) -> Result<&'a str, NotUtf8> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let utf16 = |endian: &str| NotUtf8 {
        line: 1,
        message: format!(
            "the file is UTF-16 ({endian}, it starts with a UTF-16 byte-order mark), not UTF-8; \
             convert it with `iconv -f UTF-16 -t UTF-8 {shown} > {}` and import that",
            converted(shown)
        ),
    };
    if bytes.starts_with(b"\xFF\xFE") {
        return Err(utf16("little-endian"));
    }
    if bytes.starts_with(b"\xFE\xFF") {
        return Err(utf16("big-endian"));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            let line = good.iter().filter(|b| **b == b'\n').count() + 1;
            // UTF-16 without a byte-order mark: every other byte of ASCII text is zero.
            let zeros = bytes.iter().take(200).filter(|b| **b == 0).count();
            let message = if zeros * 4 > bytes.len().min(200) {
                format!(
                    "the file looks like UTF-16 (every other byte is zero), not UTF-8; \
                     convert it with `iconv -f UTF-16 -t UTF-8 {shown} > {}` and import that",
                    converted(shown)
                )
            } else {
                let byte = bytes[e.valid_up_to()];
                format!(
                    "byte 0x{byte:02X} is not UTF-8; the file is probably Latin-1 or \
                     Windows-1252 (as older Excel and Outlook save it): convert it with \
                     `iconv -f WINDOWS-1252 -t UTF-8 {shown} > {}` and import that",
                    converted(shown)
                )
            };
            Err(NotUtf8 { line, message })
        }
    }
}

/// The name suggested for the converted copy: `contacts.csv` → `contacts.utf8.csv`.
fn converted(shown: &str) -> String {
    match shown.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.contains('/') => {
            format!("{stem}.utf8.{ext}")
        }
        _ => format!("{shown}.utf8"),
    }
}

/// The separator of a CSV file, from its header line: whichever of `,` `;` and tab
/// appears most often outside quotes (a comma on a tie, and when there is none of them:
/// a one-column file).
pub(crate) fn separator(text: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' | '\r' if !quoted => break,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = [b',', b';', b'\t']
        .into_iter()
        .zip(counts)
        .fold(
            (b',', 0),
            |best, (sep, n)| if n > best.1 { (sep, n) } else { best },
        );
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_byte_order_mark() {
        assert_eq!(
            decode(b"\xEF\xBB\xBFname\nada\n", "f.csv"),
            Ok("name\nada\n")
        );
        assert_eq!(decode(b"name\n", "f.csv"), Ok("name\n"));
    }

    #[test]
    fn utf16_is_named_with_the_iconv_line() {
        let e = decode(b"\xFF\xFEn\0a\0", "c.csv").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.message.contains("UTF-16 (little-endian"), "{}", e.message);
        assert!(
            e.message
                .contains("iconv -f UTF-16 -t UTF-8 c.csv > c.utf8.csv"),
            "{}",
            e.message
        );
        let e = decode(b"n\0a\0m\0e\0\n\0\xE9\0", "c.csv").unwrap_err();
        assert!(e.message.contains("looks like UTF-16"), "{}", e.message);
    }

    #[test]
    fn latin1_names_the_line_and_the_byte() {
        let e = decode(b"name\nada\nRen\xE9e\n", "people.csv").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("byte 0xE9"), "{}", e.message);
        assert!(e
            .message
            .contains("iconv -f WINDOWS-1252 -t UTF-8 people.csv > people.utf8.csv"));
    }

    #[test]
    fn separators_from_the_header() {
        assert_eq!(separator("name,email\na;b,c"), b',');
        assert_eq!(separator("name;email;phone\n"), b';');
        assert_eq!(separator("name\temail\n"), b'\t');
        assert_eq!(separator("\"a;b\",c\n"), b',');
        assert_eq!(separator("name\n"), b',');
        // A comma inside a European header's cells does not outvote its semicolons.
        assert_eq!(separator("name;\"city, country\";email\n"), b';');
    }
}
