//! Imports, the pure part (docs/import.md): the `import:` marker each imported
//! interaction carries and its hash (stored in people's files, so it never changes),
//! the rule that tells rows already in the book from new ones, and which details a
//! customers row has that an existing customer lacks.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::customer::{Customer, NewCustomer};
use super::date::Cadence;
use super::id::CustomerId;
use super::interaction::Interaction;
use super::profile::{contact_init, contact_struct};
use super::summary::Summary;

/// A checked interaction row.
pub(crate) struct Row {
    pub(crate) line: u64,
    pub(crate) customer: CustomerId,
    /// The `customer` cell as written.
    pub(crate) cell: String,
    /// The name this row gives: its `name` cell, else a `customer` cell that is a name
    /// rather than an id.
    pub(crate) name: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) interaction: Interaction,
}

/// The marker of a row: a hash of what the row records (not the customer's name or
/// email) and which copy of an identical row in the file it is.
pub(crate) fn marker(
    customer: &CustomerId,
    interaction: &Interaction,
    occurrence: usize,
) -> String {
    let items = interaction.items.join("\u{1e}");
    let mut parts = vec![
        customer.as_str().to_string(),
        interaction.date.to_string(),
        interaction.kind.name().to_string(),
        interaction
            .amount
            .map(|a| a.cents().to_string())
            .unwrap_or_default(),
        items,
        interaction
            .rating
            .map(|r| r.to_string())
            .unwrap_or_default(),
        interaction.summary.clone().unwrap_or_default(),
        interaction.channel.clone().unwrap_or_default(),
        interaction
            .follow_up
            .map(|d| d.to_string())
            .unwrap_or_default(),
    ];
    // Only when present, so that the markers of rows without them stay what they were
    // before crm knew these fields (and re-imports still skip those rows).
    if let Some(nps) = interaction.nps {
        parts.push(format!("nps={nps}"));
    }
    if let Some(points) = interaction.points {
        parts.push(format!("points={points}"));
    }
    format!(
        "{:016x}-{occurrence}",
        fnv1a64(parts.join("\u{1f}").as_bytes())
    )
}

/// What an interaction records, as a key: equal for two interactions exactly when an
/// import row would give both the same marker.
pub(crate) fn content(customer: &CustomerId, interaction: &Interaction) -> String {
    marker(customer, interaction, 0)
}

/// An interaction of a customer's file as an import row would have given it: text
/// trimmed and empty text dropped, as CSV cells are read. So that a hand-logged
/// `summary: "tea "` is recognised in the `tea` of an export of it.
pub(crate) fn as_read_from_csv(interaction: &Interaction) -> Interaction {
    let text = |t: &Option<String>| {
        t.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    };
    Interaction {
        summary: text(&interaction.summary),
        channel: text(&interaction.channel),
        items: interaction
            .items
            .iter()
            .map(|i| i.trim())
            .filter(|i| !i.is_empty())
            .map(str::to_string)
            .collect(),
        ..interaction.clone()
    }
}

/// FNV-1a, 64 bits: stable across Rust versions and platforms, unlike std's hasher.
pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Gives each row its import marker and groups the rows by customer.
pub(crate) fn with_markers(rows: Vec<Row>) -> BTreeMap<CustomerId, Vec<Row>> {
    let mut occurrences: HashMap<String, usize> = HashMap::new();
    let mut by_customer: BTreeMap<CustomerId, Vec<Row>> = BTreeMap::new();
    for mut row in rows {
        let count = occurrences
            .entry(marker(&row.customer, &row.interaction, 0))
            .or_default();
        *count += 1;
        row.interaction.import = Some(marker(&row.customer, &row.interaction, *count));
        by_customer
            .entry(row.customer.clone())
            .or_default()
            .push(row);
    }
    by_customer
}

/// The interactions of `rows` (all for customer `id`, with their markers) that are not
/// in the book yet, and how many rows were skipped as copies of interactions no import
/// wrote. `existing` is what the customer's file holds (nothing for a new customer):
/// rows whose marker it already has are skipped, and, unless `allow_duplicates`, when
/// it holds K unmarked interactions with some content the first K remaining rows with
/// that content are taken for them.
pub(crate) fn new_interactions(
    id: &CustomerId,
    existing: &[Interaction],
    rows: Vec<Interaction>,
    allow_duplicates: bool,
) -> (Vec<Interaction>, usize) {
    let mut known = HashSet::new();
    let mut unmarked: HashMap<String, usize> = HashMap::new();
    for interaction in existing {
        match &interaction.import {
            Some(marker) => {
                known.insert(marker.clone());
            }
            None => {
                let key = content(id, &as_read_from_csv(interaction));
                *unmarked.entry(key).or_default() += 1;
            }
        }
    }
    let mut copies = 0;
    let mut matched: HashMap<String, usize> = HashMap::new();
    let mut fresh = Vec::new();
    for interaction in rows {
        if interaction
            .import
            .as_ref()
            .is_some_and(|m| known.contains(m))
        {
            continue;
        }
        if !allow_duplicates && !unmarked.is_empty() {
            let key = content(id, &interaction);
            let available = unmarked.get(&key).copied().unwrap_or(0);
            let used = matched.entry(key).or_default();
            if *used < available {
                *used += 1;
                copies += 1;
                continue;
            }
        }
        fresh.push(interaction);
    }
    (fresh, copies)
}

/// The customer an interactions import creates for `rows` (all of one customer not in
/// the book): the first name and email the rows give (else the `customer` cell as the
/// name), customer since the earliest row, with the book's default cadence.
pub(crate) fn new_customer(rows: &[Row], every: Option<Cadence>) -> NewCustomer {
    NewCustomer {
        name: rows
            .iter()
            .find_map(|r| r.name.clone())
            .unwrap_or_else(|| rows[0].cell.clone()),
        email: rows.iter().find_map(|r| r.email.clone()),
        since: rows.iter().map(|r| r.interaction.date).min(),
        every,
        ..NewCustomer::default()
    }
}

/// `id: field, field` for a skipped customer the row has more to say about.
pub(crate) fn lacking_line(id: &CustomerId, held: &Held, row: &NewCustomer) -> Option<String> {
    let fields = unmerged(held, row);
    (!fields.is_empty()).then(|| format!("{id}: {}", fields.join(", ")))
}

contact_struct! {
/// What a customer's file holds of the details a customers row gives, from the file
/// itself or from its summary.
pub(crate) struct Held<'a> {
    name: &'a str,
}
+ contact(bool)
+ {
    tags: bool,
    birthday: bool,
    since: bool,
    preferences: bool,
}
}

impl Held<'_> {
    pub(crate) fn of_customer(c: &Customer) -> Held<'_> {
        contact_init!(Held { name: &c.name, }
        + contact(from c, |v| v.is_some())
        + {
            tags: !c.tags.is_empty(),
            birthday: c.birthday.is_some(),
            since: c.since.is_some(),
            preferences: !c.preferences.is_empty(),
        })
    }

    pub(crate) fn of_summary(s: &Summary) -> Held<'_> {
        contact_init!(Held { name: &s.name, }
        + contact(from s, |v| v.is_some())
        + {
            tags: !s.tags.is_empty(),
            birthday: s.birthday.is_some(),
            since: s.since.is_some(),
            preferences: s.preferences > 0,
        })
    }
}

/// The fields a customers row gives that differ from the existing customer's
/// (`name`) or that the customer lacks (the rest).
pub(crate) fn unmerged(held: &Held, row: &NewCustomer) -> Vec<&'static str> {
    let mut fields = Vec::new();
    if row.name != held.name {
        fields.push("name");
    }
    let contact = row
        .contact_fields()
        .zip(held.contact_fields())
        .map(|((field, in_row), (_, in_book))| (field, in_row.is_some(), *in_book));
    let others = [
        ("tags", !row.tags.is_empty(), held.tags),
        ("birthday", row.birthday.is_some(), held.birthday),
        ("since", row.since.is_some(), held.since),
        ("preferences", !row.preferences.is_empty(), held.preferences),
    ];
    for (field, in_row, in_book) in contact.chain(others) {
        if in_row && !in_book {
            fields.push(field);
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::interaction::Kind;
    use crate::domain::money::Money;
    use chrono::NaiveDate;

    fn purchase(date: &str, amount: &str) -> Interaction {
        let mut i = Interaction::new(
            NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap(),
            Kind::Purchase,
        );
        i.amount = Some(Money::parse(amount).unwrap());
        i
    }

    /// Markers are stored in people's files: if this value changes, re-importing a file
    /// imported with an older crm would double its data.
    #[test]
    fn marker_is_stable_across_versions() {
        let ada = CustomerId::parse("ada").unwrap();
        assert_eq!(
            marker(&ada, &purchase("2025-01-10", "20.00"), 1),
            "3ed87729bf726bf9-1"
        );
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn marker_tells_copies_and_amounts_apart_but_not_spellings() {
        let ada = CustomerId::parse("ada").unwrap();
        let one = marker(&ada, &purchase("2025-01-10", "20.00"), 1);
        assert_ne!(one, marker(&ada, &purchase("2025-01-10", "20.00"), 2));
        assert_ne!(one, marker(&ada, &purchase("2025-01-10", "20.01"), 1));
        assert_eq!(one, marker(&ada, &purchase("2025-01-10", "20"), 1));
    }
}
