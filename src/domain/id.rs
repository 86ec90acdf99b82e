//! Customer ids: the file stem of `customers/<id>.yaml`, a lowercase slug.
//!
//! Ids are validated here, before any path is built from them, so that no id can name
//! a file outside the book (`../x`, `/etc/passwd`, `a/b`, look-alike letters, control
//! characters are all refused). Pure: no file system access.

use std::fmt;

use crate::error::{Error, Result};

/// The longest id crm accepts, in bytes.
pub(crate) const MAX_ID_LEN: usize = 64;

/// A validated customer id: `[a-z0-9]` words joined by single hyphens, 1 to 64 bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CustomerId(String);

impl CustomerId {
    /// Validates `raw` as an id, or explains what is wrong with it.
    pub fn parse(raw: &str) -> Result<CustomerId> {
        Self::check(raw).map(|()| CustomerId(raw.to_string()))
    }

    /// Whether `raw` is a valid id (see [`CustomerId::parse`]), without making one.
    pub(crate) fn is_valid(raw: &str) -> bool {
        Self::check(raw).is_ok()
    }

    /// What [`CustomerId::parse`] checks; allocates only to explain a refusal.
    fn check(raw: &str) -> Result<()> {
        if raw.is_empty() {
            return Err(Error::usage("customer id is empty")
                .with_hint("ids are lowercase words joined by hyphens, like `ada-lovelace`"));
        }
        if raw.len() > MAX_ID_LEN {
            return Err(Error::usage(format!(
                "customer id is {} bytes long; the limit is {MAX_ID_LEN}",
                raw.len()
            )));
        }
        if raw.contains('/') || raw.contains('\\') || raw.starts_with('.') {
            return Err(Error::usage(format!(
                "customer id {raw:?} looks like a path; an id is a file name stem, never a path"
            ))
            .with_hint("ids are lowercase words joined by hyphens, like `ada-lovelace`"));
        }
        if let Some(bad) = raw
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            let what = if bad.is_control() {
                "a control character".to_string()
            } else if !bad.is_ascii() {
                format!("the non-ASCII character {bad:?} (U+{:04X})", bad as u32)
            } else {
                format!("{bad:?}")
            };
            let mut err = Error::usage(format!("customer id {raw:?} contains {what}"));
            err = err.with_hint(match suggest_slug(raw) {
                Some(slug) if slug != raw => {
                    format!("ids use only a-z, 0-9 and `-`; did you mean `{slug}`?")
                }
                _ => "ids use only a-z, 0-9 and `-`".to_string(),
            });
            return Err(err);
        }
        if raw.starts_with('-') || raw.ends_with('-') || raw.contains("--") {
            return Err(Error::usage(format!(
                "customer id {raw:?} has a leading, trailing or doubled hyphen"
            ))
            .with_hint(format!(
                "use `{}`",
                suggest_slug(raw).unwrap_or_else(|| "ada-lovelace".into())
            )));
        }
        if is_windows_device_name(raw) {
            return Err(Error::usage(format!(
                "customer id {raw:?} is a device name on Windows, where no file may be called `{raw}.yaml`: a book holding it could not be checked out there"
            ))
            .with_hint(format!("give another id, e.g. `--id {raw}-1`")));
        }
        Ok(())
    }

    /// Derives an id from a person's or company's name: `Ada Lovelace` → `ada-lovelace`,
    /// `Zoë O'Brien` → `zoe-obrien`. A name with letters of another script is
    /// transliterated first (deunicode): `Ахмед Иванов` → `akhmed-ivanov`, `山田 太郎`
    /// → `shan-tian-tai-lang`. Fails when nothing usable is left.
    pub(crate) fn from_name(name: &str) -> Result<CustomerId> {
        let non_latin = name
            .chars()
            .any(|c| c.is_alphabetic() && fold_latin(c).is_empty());
        let text = if non_latin {
            std::borrow::Cow::Owned(deunicode::deunicode(name))
        } else {
            std::borrow::Cow::Borrowed(name)
        };
        match suggest_slug(&text) {
            Some(slug) => CustomerId::parse(&slug),
            None => Err(
                Error::usage(format!("cannot derive an id from the name {name:?}"))
                    .with_hint("pass one with `--id`, e.g. `--id acme`"),
            ),
        }
    }

    /// The id as a string.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CustomerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `stem` (lower-case, without extension) is one of the names Windows reserves
/// for devices, with any extension: `con`, `prn`, `aux`, `nul`, `com1`-`com9`,
/// `lpt1`-`lpt9`.
fn is_windows_device_name(stem: &str) -> bool {
    if matches!(stem, "con" | "prn" | "aux" | "nul") {
        return true;
    }
    matches!(
        stem.as_bytes(),
        [b'c', b'o', b'm', b'1'..=b'9'] | [b'l', b'p', b't', b'1'..=b'9']
    )
}

/// Turns arbitrary text into a slug, or `None` if no letter or digit survives.
fn suggest_slug(text: &str) -> Option<String> {
    let mut slug = String::new();
    let mut pending_hyphen = false;
    for c in text.chars() {
        let folded = fold_latin(c);
        if folded.is_empty() {
            // Apostrophes and similar vanish without splitting a word: O'Brien → obrien.
            if !(c == '\'' || c == '’' || c == '`') {
                pending_hyphen = true;
            }
            continue;
        }
        for f in folded.chars() {
            if pending_hyphen && !slug.is_empty() {
                slug.push('-');
            }
            pending_hyphen = false;
            slug.push(f);
        }
    }
    slug.truncate(MAX_ID_LEN);
    let slug = slug.trim_end_matches('-').to_string();
    (!slug.is_empty()).then_some(slug)
}

/// Lowercases ASCII letters and digits, and folds common Latin letters with diacritics
/// to ASCII; everything else becomes the empty string (a word separator).
fn fold_latin(c: char) -> &'static str {
    const ASCII: [&str; 36] = [
        "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r",
        "s", "t", "u", "v", "w", "x", "y", "z", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
    ];
    let lower = c.to_ascii_lowercase();
    if lower.is_ascii_lowercase() {
        return ASCII[(lower as u8 - b'a') as usize];
    }
    if c.is_ascii_digit() {
        return ASCII[26 + (c as u8 - b'0') as usize];
    }
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'ā' => {
            "a"
        }
        'æ' | 'Æ' => "ae",
        'ç' | 'Ç' | 'č' | 'Č' | 'ć' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' | 'ē' | 'ę' | 'ě' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' | 'ī' => "i",
        'ñ' | 'Ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'ō' => {
            "o"
        }
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' | 'ū' | 'ů' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ß' => "ss",
        'š' | 'Š' | 'ś' => "s",
        'ž' | 'Ž' | 'ź' | 'ż' => "z",
        'ł' | 'Ł' => "l",
        'ř' => "r",
        'đ' | 'ð' => "d",
        'þ' => "th",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_device_names_are_refused() {
        for name in ["con", "prn", "aux", "nul", "com1", "com9", "lpt1", "lpt9"] {
            let err = CustomerId::parse(name).unwrap_err();
            assert!(err.message.contains("device name on Windows"), "{name}");
        }
        for name in [
            "com0",
            "com10",
            "lpt",
            "console",
            "con-1",
            "nul-corp",
            "auxiliary",
        ] {
            assert!(CustomerId::parse(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn derives_ids_from_names() {
        assert_eq!(
            CustomerId::from_name("Ada Lovelace").unwrap().as_str(),
            "ada-lovelace"
        );
        assert_eq!(
            CustomerId::from_name("Zoë O'Brien").unwrap().as_str(),
            "zoe-obrien"
        );
        assert_eq!(
            CustomerId::from_name("  ACME, Inc. ").unwrap().as_str(),
            "acme-inc"
        );
        assert_eq!(
            CustomerId::from_name("Jürgen Groß").unwrap().as_str(),
            "jurgen-gross"
        );
        assert!(CustomerId::from_name("!!!").is_err());
        let from = |name: &str| CustomerId::from_name(name).unwrap().as_str().to_string();
        assert_eq!(from("Ахмед Иванов"), "akhmed-ivanov");
        assert_eq!(from("山田 太郎"), "shan-tian-tai-lang");
        assert_eq!(from("Κώστας Παπαδόπουλος"), "kostas-papadopoulos");
        assert_eq!(from("محمد علي"), "mhmd-ly");
        assert!(CustomerId::from_name("\u{0301}").is_err());
    }

    #[test]
    fn refuses_paths_and_lookalikes() {
        for bad in [
            "../x",
            "/etc/passwd",
            "a/b",
            "a\\b",
            ".hidden",
            "",
            "A",
            "ада",
            "a\u{0}b",
            "a\nb",
            "-a",
            "a-",
            "a--b",
            "a b",
            "a.yaml",
        ] {
            assert!(CustomerId::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(CustomerId::parse(&"a".repeat(65)).is_err());
        assert!(CustomerId::parse(&"a".repeat(64)).is_ok());
        assert!(CustomerId::parse("ada-lovelace-2").is_ok());
    }

    #[test]
    fn lookalike_error_names_the_character() {
        // The first letter is CYRILLIC SMALL LETTER A.
        let err = CustomerId::parse("\u{430}da").unwrap_err();
        assert!(err.message.contains("U+0430"), "{}", err.message);
    }
}
