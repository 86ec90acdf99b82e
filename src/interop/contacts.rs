//! Address-book exports as contacts: Google Contacts CSV (today's `First Name,...,
//! Labels` and the older `Name,Given Name,...,Group Membership`), Outlook CSV and vCard
//! 3.0/4.0, each recognised by its own header (or `BEGIN:VCARD`). What crm has no field
//! for is set aside and named once (docs/import.md lists what is dropped). Pure.

use std::collections::BTreeSet;

use super::vcard::{self, Card};

/// The address-book formats crm reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Google Contacts CSV as exported since 2021 (`First Name,Middle Name,Last Name`).
    Google,
    /// Google Contacts CSV in the older layout (`Name,Given Name,Additional Name`).
    GoogleLegacy,
    /// Outlook CSV (`First Name,...,E-mail Address,...,Categories`).
    Outlook,
    /// vCard 3.0 or 4.0.
    VCard,
}

impl Format {
    /// The format's name, as the import says which it detected.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Format::Google => "a Google Contacts CSV export",
            Format::GoogleLegacy => "a Google Contacts CSV export (older layout)",
            Format::Outlook => "an Outlook contacts CSV export",
            Format::VCard => "a vCard file",
        }
    }
}

/// One contact, in crm's terms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Contact {
    /// The line the contact starts on.
    pub(crate) line: u64,
    /// The display name (may be empty: the import refuses the row then).
    pub(crate) name: String,
    /// The crm id a card exported by crm carries (`X-CRM-ID`).
    pub(crate) id: Option<String>,
    /// Email addresses, the primary first.
    pub(crate) emails: Vec<String>,
    /// Phone numbers, the primary first.
    pub(crate) phones: Vec<String>,
    /// Organisation.
    pub(crate) company: Option<String>,
    /// Labels, groups or categories (system groups such as `* myContacts` dropped).
    pub(crate) tags: Vec<String>,
    /// The birthday as crm writes it (`1990-06-21` or `--06-21`), or as written when
    /// crm cannot read it (the import then reports the row).
    pub(crate) birthday: Option<String>,
    /// Notes, for a `note` interaction.
    pub(crate) note: Option<String>,
    /// Details kept as preferences: `title`, `address`, `website`.
    pub(crate) details: Vec<(String, String)>,
}

/// What was read from an address-book file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Contacts {
    /// The format recognised.
    pub(crate) format: Format,
    /// The contacts, in file order.
    pub(crate) contacts: Vec<Contact>,
    /// Columns (or vCard properties) that had data crm does not import, once each.
    pub(crate) dropped: Vec<String>,
    /// Lines that could not be read at all.
    pub(crate) problems: Vec<(u64, String)>,
}

/// The address-book format of a CSV header, if it is one.
pub(crate) fn detect(header: &[String]) -> Option<Format> {
    let has = |name: &str| header.iter().any(|h| h.trim() == name);
    if has("First Name") && has("E-mail 1 - Value") {
        Some(Format::Google)
    } else if has("Given Name")
        && has("Name")
        && (has("E-mail 1 - Value") || has("Group Membership"))
    {
        Some(Format::GoogleLegacy)
    } else if has("First Name")
        && (has("E-mail Address") || has("Mobile Phone") || has("Business Phone"))
    {
        Some(Format::Outlook)
    } else {
        None
    }
}

/// Google's separator between the values of one cell (`a@x ::: b@y`).
const MULTI: &str = " ::: ";

/// The rows of a CSV export of `format`: `header` as read, each row with its line.
pub(crate) fn from_csv(format: Format, header: &[String], rows: &[(u64, Vec<String>)]) -> Contacts {
    let index = |name: &str| header.iter().position(|h| h.trim() == name);
    let mut used: BTreeSet<usize> = BTreeSet::new();
    // Columns that describe another (`E-mail 1 - Label`) are read along with it.
    for (i, h) in header.iter().enumerate() {
        let h = h.trim();
        // The parts of an address Google also writes `Formatted`, kept whole.
        let address_part = h.starts_with("Address ") && h.contains(" - ");
        if h.ends_with(" - Label")
            || h.ends_with(" - Type")
            || h.contains("Display Name")
            || h.ends_with("E-mail Type")
            || address_part
        {
            used.insert(i);
        }
    }
    let mut column = |name: &str| {
        let i = index(name);
        used.extend(i);
        i
    };
    let numbered = |prefix: &str, suffix: &str| -> Vec<usize> {
        (1..=20)
            .filter_map(|n| index(&format!("{prefix} {n} - {suffix}")))
            .collect()
    };
    let (first, middle, last) = (
        column("First Name"),
        column("Middle Name"),
        column("Last Name"),
    );
    let (given, additional, family, full) = (
        column("Given Name"),
        column("Additional Name"),
        column("Family Name"),
        column("Name"),
    );
    let nickname = column("Nickname");
    let file_as = column("File As");
    let birthday = column("Birthday");
    let notes = column("Notes");
    // Columns with several values each: emails, phones, addresses, websites.
    type Many = Vec<usize>;
    let (emails, phones, company, title, tags, address, website): (
        Many,
        Many,
        _,
        _,
        _,
        Many,
        Many,
    ) = match format {
        Format::Google | Format::GoogleLegacy => {
            let company = column("Organization Name").or_else(|| column("Organization 1 - Name"));
            let title = column("Organization Title").or_else(|| column("Organization 1 - Title"));
            let tags = column("Labels").or_else(|| column("Group Membership"));
            (
                numbered("E-mail", "Value"),
                numbered("Phone", "Value"),
                company,
                title,
                tags,
                numbered("Address", "Formatted"),
                numbered("Website", "Value"),
            )
        }
        Format::Outlook | Format::VCard => {
            let emails: Many = ["E-mail Address", "E-mail 2 Address", "E-mail 3 Address"]
                .iter()
                .filter_map(|n| column(n))
                .collect();
            let phones: Many = [
                "Primary Phone",
                "Mobile Phone",
                "Business Phone",
                "Home Phone",
                "Business Phone 2",
                "Home Phone 2",
                "Company Main Phone",
                "Other Phone",
            ]
            .iter()
            .filter_map(|n| column(n))
            .collect();
            let web: Many = column("Web Page").into_iter().collect();
            (
                emails,
                phones,
                column("Company"),
                column("Job Title"),
                column("Categories"),
                Vec::new(),
                web,
            )
        }
    };
    used.extend(emails.iter().chain(&phones).chain(&address).chain(&website));
    let mut dropped_columns: BTreeSet<usize> = BTreeSet::new();
    let mut contacts = Vec::new();
    for (line, cells) in rows {
        let cell = |i: Option<usize>| -> Option<&str> {
            let text = cells.get(i?)?.trim();
            (!text.is_empty()).then_some(text)
        };
        for (i, c) in cells.iter().enumerate() {
            if !used.contains(&i) && !c.trim().is_empty() {
                dropped_columns.insert(i);
            }
        }
        let parts = |cols: &[Option<usize>]| -> String {
            cols.iter()
                .filter_map(|c| cell(*c))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut name = parts(&[first, middle, last]);
        if name.is_empty() {
            name = cell(full).map(str::to_string).unwrap_or_default();
        }
        if name.is_empty() {
            name = parts(&[given, additional, family]);
        }
        for fallback in [nickname, file_as, company] {
            if name.is_empty() {
                name = cell(fallback).map(str::to_string).unwrap_or_default();
            }
        }
        let many = |cols: &[usize]| -> Vec<String> {
            let mut values: Vec<String> = Vec::new();
            for value in cols.iter().filter_map(|c| cell(Some(*c))) {
                for v in value.split(MULTI).map(str::trim).filter(|v| !v.is_empty()) {
                    if !values.iter().any(|known| known == v) {
                        values.push(v.to_string());
                    }
                }
            }
            values
        };
        let mut details = Vec::new();
        if let Some(title) = cell(title) {
            details.push(("title".to_string(), title.to_string()));
        }
        for (key, cols) in [("address", &address), ("website", &website)] {
            let values = many(cols);
            if !values.is_empty() {
                details.push((key.to_string(), values.join(", ")));
            }
        }
        let tag_separator = if format == Format::Outlook {
            ";"
        } else {
            MULTI
        };
        contacts.push(Contact {
            line: *line,
            name,
            id: None,
            emails: many(&emails),
            phones: many(&phones),
            company: cell(company).map(str::to_string),
            tags: labels(cell(tags).unwrap_or(""), tag_separator),
            birthday: cell(birthday).and_then(|b| csv_birthday(b, format)),
            note: cell(notes).map(str::to_string),
            details,
        });
    }
    Contacts {
        format,
        contacts,
        dropped: dropped_columns
            .into_iter()
            .filter_map(|i| header.get(i).map(|h| h.trim().to_string()))
            .collect(),
        problems: Vec::new(),
    }
}

/// Labels as tags: Google's system groups (`* myContacts`, `* starred`) are not the
/// user's own and are dropped.
fn labels(cell: &str, separator: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for label in cell.split(separator).map(str::trim) {
        if label.is_empty() || label.starts_with('*') {
            continue;
        }
        if !tags.iter().any(|t| t.eq_ignore_ascii_case(label)) {
            tags.push(label.to_string());
        }
    }
    tags
}

/// A birthday cell in crm's form: Google writes `1990-06-21` or `--06-21`, Outlook
/// `6/21/1990` (and `0/0/00` for none). `None` for no birthday; text crm cannot read is
/// passed on as written, for the import to report with its line.
fn csv_birthday(text: &str, format: Format) -> Option<String> {
    let text = text.trim();
    if format == Format::Outlook {
        if let Some((m, rest)) = text.split_once('/') {
            if let Some((d, y)) = rest.split_once('/') {
                let (m, d, y): (u32, u32, u32) =
                    (m.parse().ok()?, d.parse().ok()?, y.parse().ok()?);
                if m == 0 || d == 0 {
                    return None;
                }
                return Some(match y {
                    0 => format!("--{m:02}-{d:02}"),
                    // A two-digit year is ambiguous: passed on for the import to report.
                    1..=999 => text.to_string(),
                    _ => format!("{y:04}-{m:02}-{d:02}"),
                });
            }
        }
    }
    Some(text.to_string())
}

/// The cards of a vCard file.
pub(crate) fn from_vcard(text: &str) -> Contacts {
    let (cards, problems) = vcard::parse(text);
    let mut dropped = BTreeSet::new();
    let contacts = cards
        .iter()
        .map(|card| card_contact(card, &mut dropped))
        .collect();
    Contacts {
        format: Format::VCard,
        contacts,
        dropped: dropped.into_iter().collect(),
        problems,
    }
}

/// Properties read along with the contact, or meaningless to crm (no data lost).
const KNOWN: &[&str] = &[
    "VERSION",
    "FN",
    "N",
    "EMAIL",
    "TEL",
    "ORG",
    "TITLE",
    "BDAY",
    "CATEGORIES",
    "NOTE",
    "ADR",
    "URL",
    "UID",
    "PRODID",
    "REV",
    "X-CRM-ID",
    "KIND",
    "SOURCE",
];

fn card_contact(card: &Card, dropped: &mut BTreeSet<String>) -> Contact {
    for p in &card.properties {
        if !KNOWN.contains(&p.name.as_str()) && !p.value.trim().is_empty() {
            dropped.insert(p.name.clone());
        }
    }
    let text = |name: &str| {
        card.first(name)
            .map(|p| vcard::text(&p.value).trim().to_string())
            .filter(|t| !t.is_empty())
    };
    let mut name = text("FN").unwrap_or_default();
    if name.is_empty() {
        if let Some(n) = card.first("N") {
            // N: family;given;additional;prefix;suffix
            let c = vcard::components(&n.value, ';');
            let order = [3, 1, 2, 0, 4];
            name = order
                .iter()
                .filter_map(|i| c.get(*i).map(|s| s.trim()).filter(|s| !s.is_empty()))
                .collect::<Vec<_>>()
                .join(" ");
        }
    }
    let values = |prop: &str| -> Vec<String> {
        let mut all: Vec<(bool, String)> = card
            .all(prop)
            .map(|p| {
                let v = vcard::text(&p.value);
                let v = v.trim();
                let v = v
                    .strip_prefix("tel:")
                    .or_else(|| v.strip_prefix("mailto:"))
                    .unwrap_or(v);
                let preferred = p.params.iter().any(|(k, v)| {
                    k == "PREF"
                        || (k == "TYPE" && v.split(',').any(|t| t.eq_ignore_ascii_case("pref")))
                });
                (preferred, v.to_string())
            })
            .filter(|(_, v)| !v.is_empty())
            .collect();
        // The preferred value first; otherwise file order.
        all.sort_by_key(|(preferred, _)| !preferred);
        let mut out: Vec<String> = Vec::new();
        for (_, v) in all {
            if !out.contains(&v) {
                out.push(v);
            }
        }
        out
    };
    let company = card
        .first("ORG")
        .and_then(|p| vcard::components(&p.value, ';').into_iter().next())
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    let mut tags = Vec::new();
    for p in card.all("CATEGORIES") {
        for tag in vcard::components(&p.value, ',') {
            let tag = tag.trim();
            if !tag.is_empty() && !tags.iter().any(|t: &String| t.eq_ignore_ascii_case(tag)) {
                tags.push(tag.to_string());
            }
        }
    }
    let mut details = Vec::new();
    if let Some(title) = text("TITLE") {
        details.push(("title".to_string(), title));
    }
    if let Some(adr) = card.first("ADR") {
        // ADR: pobox;ext;street;locality;region;code;country
        let parts: Vec<String> = vcard::components(&adr.value, ';')
            .into_iter()
            .map(|p| p.replace('\n', ", ").trim().to_string())
            .filter(|p| !p.is_empty())
            .collect();
        if !parts.is_empty() {
            details.push(("address".to_string(), parts.join(", ")));
        }
    }
    if let Some(url) = text("URL") {
        details.push(("website".to_string(), url));
    }
    Contact {
        line: card.line,
        name,
        id: text("X-CRM-ID"),
        emails: values("EMAIL"),
        phones: values("TEL"),
        company,
        tags,
        birthday: card
            .first("BDAY")
            .map(|p| vcard_birthday(&vcard::text(&p.value))),
        note: text("NOTE"),
        details,
    }
}

/// `BDAY` in crm's form: vCard writes `19900621`, `1990-06-21`, `--0621`, `--06-21`,
/// sometimes with a time (`1990-06-21T00:00:00Z`). Anything else is passed on as written.
fn vcard_birthday(value: &str) -> String {
    let value = value.trim();
    let date = value.split('T').next().unwrap_or(value);
    let digits: String = date.chars().filter(char::is_ascii_digit).collect();
    if let Some(md) = date.strip_prefix("--") {
        let md: String = md.chars().filter(char::is_ascii_digit).collect();
        if md.len() == 4 {
            return format!("--{}-{}", &md[..2], &md[2..]);
        }
    } else if digits.len() == 8 && date.chars().all(|c| c.is_ascii_digit() || c == '-') {
        return format!("{}-{}-{}", &digits[..4], &digits[4..6], &digits[6..]);
    }
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(text: &str) -> Vec<String> {
        text.split(',').map(str::to_string).collect()
    }

    fn row(line: u64, text: &str) -> (u64, Vec<String>) {
        (line, text.split(',').map(str::to_string).collect())
    }

    #[test]
    fn google_multi_values_labels_and_yearless_birthdays() {
        let h = header("First Name,Middle Name,Last Name,Nickname,Organization Name,Organization Title,Birthday,Notes,Photo,Labels,E-mail 1 - Label,E-mail 1 - Value,E-mail 2 - Label,E-mail 2 - Value,Phone 1 - Label,Phone 1 - Value,Custom Field 1 - Value");
        assert_eq!(detect(&h), Some(Format::Google));
        let rows = [row(2, "Ada,,Lovelace,,Analytical Ltd,Countess,--12-10,Likes tea,,* myContacts ::: VIP ::: Tea,* Home ::: Work,ada@home.example ::: ada@work.example,Other,ada@old.example,Mobile,+44 1,x")];
        let c = from_csv(Format::Google, &h, &rows);
        let ada = &c.contacts[0];
        assert_eq!(ada.name, "Ada Lovelace");
        assert_eq!(
            ada.emails,
            ["ada@home.example", "ada@work.example", "ada@old.example"]
        );
        assert_eq!(ada.phones, ["+44 1"]);
        assert_eq!(ada.tags, ["VIP", "Tea"]);
        assert_eq!(ada.birthday.as_deref(), Some("--12-10"));
        assert_eq!(ada.company.as_deref(), Some("Analytical Ltd"));
        assert_eq!(ada.note.as_deref(), Some("Likes tea"));
        assert_eq!(ada.details, [("title".to_string(), "Countess".to_string())]);
        assert_eq!(c.dropped, ["Custom Field 1 - Value"]);
    }

    #[test]
    fn older_google_and_outlook_layouts() {
        let h = header("Name,Given Name,Additional Name,Family Name,Birthday,Group Membership,E-mail 1 - Type,E-mail 1 - Value");
        assert_eq!(detect(&h), Some(Format::GoogleLegacy));
        let c = from_csv(
            Format::GoogleLegacy,
            &h,
            &[row(
                2,
                "Bob Stone,Bob,,Stone,1980-02-03,* myContacts ::: Friends,* Home,bob@example.com",
            )],
        );
        assert_eq!(c.contacts[0].name, "Bob Stone");
        assert_eq!(c.contacts[0].tags, ["Friends"]);
        let h = header("First Name,Middle Name,Last Name,Title,Company,Job Title,Birthday,Notes,E-mail Address,E-mail Display Name,Mobile Phone,Business Phone,Categories,Business City");
        assert_eq!(detect(&h), Some(Format::Outlook));
        let c = from_csv(Format::Outlook, &h, &[row(2, "Cy,,Young,Mr.,Young & Co,Owner,6/21/1975,,cy@example.com,Cy Young (cy@example.com),+1 555,+1 556,Golf;Key account,Boston"), row(3, "Di,,,,,,0/0/00,,,,,,,")]);
        let cy = &c.contacts[0];
        assert_eq!(cy.name, "Cy Young");
        assert_eq!(cy.birthday.as_deref(), Some("1975-06-21"));
        assert_eq!(cy.phones, ["+1 555", "+1 556"]);
        assert_eq!(cy.tags, ["Golf", "Key account"]);
        assert_eq!(c.contacts[1].birthday, None);
        assert_eq!(c.dropped, ["Title", "Business City"]);
        assert_eq!(detect(&header("name,email")), None);
    }

    #[test]
    fn vcards_with_x_fields_and_both_birthday_forms() {
        let text = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ada Lovelace\r\nEMAIL;TYPE=work:ada@work.example\r\n\
            EMAIL;PREF=1:ada@example.com\r\nBDAY:--1210\r\nCATEGORIES:vip,tea\r\nX-CRM-ID:ada\r\n\
            X-SKYPE:ada.l\r\nORG:Analytical Ltd;Research\r\nEND:VCARD\r\n\
            BEGIN:VCARD\r\nVERSION:3.0\r\nN:Stone;Bob;;;\r\nBDAY:1980-02-03\r\nTEL;TYPE=CELL:+44 2\r\nEND:VCARD\r\n";
        let c = from_vcard(text);
        assert!(c.problems.is_empty());
        let ada = &c.contacts[0];
        assert_eq!(ada.emails, ["ada@example.com", "ada@work.example"]);
        assert_eq!(ada.birthday.as_deref(), Some("--12-10"));
        assert_eq!(ada.tags, ["vip", "tea"]);
        assert_eq!(ada.id.as_deref(), Some("ada"));
        assert_eq!(ada.company.as_deref(), Some("Analytical Ltd"));
        assert_eq!(c.contacts[1].name, "Bob Stone");
        assert_eq!(c.contacts[1].birthday.as_deref(), Some("1980-02-03"));
        assert_eq!(c.dropped, ["X-SKYPE"]);
    }
}
