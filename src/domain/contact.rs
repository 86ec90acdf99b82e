//! The rules a new customer's own details follow — name, email, preferences, birthday —
//! in one place: `crm add` and `crm import customers` (and the customers `crm import
//! interactions` creates) refuse what breaks them; `crm edit --new` refuses a bad name,
//! and `crm check` reports a bad name or email in any file (which `crm edit` shows as a
//! warning after saving). Pure: the
//! messages name the value, not the flag, file or row it came from; callers put that in
//! front (`--email "y@@x" is not ...`, `c.csv:3: email "y@@x" is not ...`).

use chrono::NaiveDate;

use super::birthday::Birthday;

/// The name, trimmed: not empty, and on one line with no control characters (a line
/// break in a name would break every one-line listing and the file's own layout).
///
/// ```
/// # use crm::domain::contact;
/// assert_eq!(contact::name("  Ada Lovelace "), Ok("Ada Lovelace"));
/// assert!(contact::name("Ada\nLovelace").unwrap_err().contains("a line break"));
/// ```
pub fn name(raw: &str) -> Result<&str, String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err("the customer's name is empty".to_string());
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        let what = if matches!(c, '\n' | '\r') {
            "a line break".to_string()
        } else {
            format!("the control character U+{:04X}", u32::from(c))
        };
        return Err(format!(
            "the customer's name {name:?} contains {what}; give the name on one line, as it should be shown"
        ));
    }
    Ok(name)
}

/// The email address, trimmed, after a light check that catches slips
/// (`ada.example.com`, `ada@@example.com`, a pasted line with spaces): exactly one `@`
/// with text on both sides, and no spaces or control characters. Not RFC 5322
/// validation. The message starts with the address, for the caller to prefix with
/// `--email` or `email`.
///
/// ```
/// # use crm::domain::contact;
/// assert_eq!(contact::email(" ada@example.com "), Ok("ada@example.com"));
/// assert!(contact::email("y@@x").is_err());
/// ```
pub fn email(raw: &str) -> Result<&str, String> {
    let trimmed = raw.trim();
    let mut parts = trimmed.split('@');
    let shaped = matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(local), Some(domain), None) if !local.is_empty() && !domain.is_empty()
    );
    if shaped && !trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Ok(trimmed);
    }
    Err(format!(
        "{raw:?} is not an email address: it needs exactly one `@` with text on both sides, and no spaces"
    ))
}

/// Checks preference pairs as they will be written: every key non-empty (after
/// trimming) and given once, since a repeated key would make a mapping with a
/// duplicate key, which no YAML reader accepts. The message starts with the pair or the
/// key, for the caller to prefix with `--pref` or `preference`.
///
/// ```
/// # use crm::domain::contact;
/// let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
/// assert!(contact::preferences(&[pair("coffee", "oat"), pair("call", "mornings")]).is_ok());
/// assert!(contact::preferences(&[pair("a", "1"), pair("a", "2")]).is_err());
/// ```
pub fn preferences(pairs: &[(String, String)]) -> Result<(), String> {
    for (n, (key, value)) in pairs.iter().enumerate() {
        let key = key.trim();
        if key.is_empty() {
            return Err(format!(
                "\"={value}\" has an empty key; put a name before the `=`, e.g. coffee=oat flat white"
            ));
        }
        if pairs[..n].iter().any(|(k, _)| k.trim() == key) {
            return Err(format!(
                "key {key:?} is given more than once; give each key once (several values go in one, separated by commas)"
            ));
        }
    }
    Ok(())
}

/// A birthday is a day that has happened: not after `today` (one without a year
/// always has).
///
/// ```
/// # use crm::domain::contact;
/// # use crm::domain::birthday::Birthday;
/// let day = |s| Birthday::parse(s).unwrap();
/// let today = chrono::NaiveDate::from_ymd_opt(2025, 6, 15).unwrap();
/// assert!(contact::birthday(day("1815-12-10"), today).is_ok());
/// assert!(contact::birthday(day("--12-31"), today).is_ok());
/// assert!(contact::birthday(day("2025-06-16"), today).is_err());
/// ```
pub fn birthday(birthday: Birthday, today: NaiveDate) -> Result<(), String> {
    birthday.check_past(today)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn names_are_trimmed_and_kept_on_one_line() {
        assert_eq!(name(" Ada "), Ok("Ada"));
        assert_eq!(name("Émile Zola"), Ok("Émile Zola"));
        assert!(name("   ").unwrap_err().contains("is empty"));
        assert!(name("Ada\r\nL").unwrap_err().contains("a line break"));
        assert!(name("Ada\tL").unwrap_err().contains("U+0009"));
        assert!(name("Ada\u{1b}[31m").unwrap_err().contains("U+001B"));
    }

    #[test]
    fn emails_need_one_at_with_text_on_both_sides_and_no_spaces() {
        for good in ["ada@example.com", "a@b", "  ada@x.org\t"] {
            assert!(email(good).is_ok(), "{good}");
        }
        for bad in [
            "ada.example.com",
            "y@@x",
            "a@b@c",
            "@x",
            "x@",
            "ada @x.com",
            "ada@x.com\nbob@y.com",
            "",
        ] {
            assert!(email(bad).is_err(), "{bad:?}");
        }
        assert!(email("y@@x").unwrap_err().starts_with("\"y@@x\" is not"));
    }

    #[test]
    fn preference_keys_are_non_empty_and_unique() {
        assert_eq!(preferences(&[]), Ok(()));
        assert!(preferences(&[pair("a", "1"), pair("b", "1")]).is_ok());
        assert!(preferences(&[pair(" ", "x")])
            .unwrap_err()
            .contains("empty key"));
        let twice = preferences(&[pair("a", "1"), pair(" a ", "2")]).unwrap_err();
        assert!(
            twice.starts_with("key \"a\" is given more than once"),
            "{twice}"
        );
    }

    #[test]
    fn a_birthday_today_is_fine_tomorrow_is_not() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let b = |s| Birthday::parse(s).unwrap();
        assert!(birthday(b("2025-06-15"), d("2025-06-15")).is_ok());
        assert!(birthday(b("2025-06-16"), d("2025-06-15"))
            .unwrap_err()
            .contains("in the future"));
    }
}
