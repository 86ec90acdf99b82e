//! The rows of an import, checked by the rules `crm add`, `crm log` and `crm check`
//! apply (`crate::domain::contact`, `crate::domain::interaction::validate`), each
//! becoming a domain value or a message for its line.

use chrono::NaiveDate;

use super::csv::Record;
use crate::domain::contact;
use crate::domain::customer::NewCustomer;
use crate::domain::date::Cadence;
use crate::domain::duplicates::EmailIndex;
use crate::domain::id::CustomerId;
use crate::domain::import::Row;
use crate::domain::interaction::{validate, Interaction, Kind};
use crate::domain::money::Money;
use crate::domain::profile::contact_init;
use crate::store::Config;

fn iso_date(column: &str, text: &str) -> std::result::Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|_| text.len() == 10)
        .ok_or_else(|| match crate::domain::date::impossible_date(text) {
            Some(why) => format!("{column} {text:?} is not a date: {why}"),
            None => format!("{column} {text:?} is not a date; write it as YYYY-MM-DD"),
        })
}

/// An email cell, checked by the rule `crm add` applies.
fn email(text: &str) -> std::result::Result<String, String> {
    contact::email(text)
        .map(str::to_string)
        .map_err(|m| format!("email {m}"))
}

/// A contact field's cell (`crate::domain::profile`): the email checked by the rule
/// `crm add` applies, the others as written.
fn contact_cell(record: &Record, field: &str) -> std::result::Result<Option<String>, String> {
    let cell = record.get(field);
    match field {
        "email" => cell.map(email).transpose(),
        _ => Ok(cell.map(str::to_string)),
    }
}

/// A `;`-separated cell (`\;` is a `;` inside an item, as `crm export` writes it).
fn list(text: Option<&str>) -> Vec<String> {
    raw_list(text)
        .into_iter()
        .map(crate::render::unescape_cell_item)
        .collect()
}

/// The items of a `;`-separated cell with their escapes still in place.
pub(crate) fn raw_list(text: Option<&str>) -> Vec<&str> {
    crate::render::split_cell(text.unwrap_or(""), ';')
        .into_iter()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect()
}

pub(crate) fn interaction_row(
    record: &Record,
    purchases: bool,
    config: &Config,
    emails: &EmailIndex,
) -> std::result::Result<Row, String> {
    let text = record.get("customer").ok_or("the customer is empty")?;
    // A cell holding an email finds the customer with that email (ids come first:
    // no id holds an `@`).
    let by_email = match emails.ids(text) {
        [] => None,
        [id] => Some(CustomerId::parse(id).map_err(|e| e.message)?),
        several => {
            return Err(format!(
                "customer {text:?} is the email of several customers ({}); give the id instead",
                several.join(", ")
            ))
        }
    };
    let cell_email = (by_email.is_none() && text.contains('@'))
        .then(|| email(text).ok())
        .flatten();
    let (customer, name_in_cell) = match CustomerId::parse(text) {
        _ if by_email.is_some() => (by_email.clone().expect("just checked"), None),
        Ok(id) => (id, None),
        Err(_) => {
            let id = CustomerId::from_name(text)
                .map_err(|e| format!("customer {text:?}: {}", e.message))?;
            (id, Some(text))
        }
    };
    // The name a new customer would get: checked as `crm add` checks it.
    let name = record
        .get("name")
        .or(name_in_cell)
        .map(|n| contact::name(n).map(str::to_string))
        .transpose()?;
    let date = iso_date("date", record.get("date").ok_or("the date is empty")?)?;
    // Only rows read from a shop's export have a kind here (their refunds).
    let kind = if purchases && !record.has_column("kind") {
        Kind::Purchase
    } else {
        let name = record.get("kind").ok_or("the kind is empty")?;
        if !config.knows_kind(&name.to_ascii_lowercase()) {
            return Err(format!(
                "unknown kind {name:?}; use one of {} (or add it to [interactions] kinds in crm.toml)",
                config.all_kinds().join(", ")
            ));
        }
        Kind::from_name(name)
    };
    let mut interaction = Interaction::new(date, kind);
    interaction.amount = record.get("amount").map(Money::parse).transpose()?;
    if interaction.amount.is_some_and(Money::is_negative) {
        return Err("amounts are never negative; record money paid back as a `refund`".into());
    }
    if interaction.kind.needs_amount() && interaction.amount.is_none() {
        return Err(format!("a {} needs an amount", interaction.kind));
    }
    interaction.items = list(record.get("item"))
        .into_iter()
        .chain(list(record.get("items")))
        .collect();
    if let Some(rating) = record.get("rating") {
        let value: u8 = rating
            .parse()
            .ok()
            .filter(|r| (1..=5).contains(r))
            .ok_or_else(|| format!("rating {rating:?} is not a whole number from 1 to 5"))?;
        if interaction.kind != Kind::Feedback {
            return Err(format!(
                "a rating belongs to a feedback, not a {}",
                interaction.kind
            ));
        }
        interaction.rating = Some(value);
    }
    if let Some(nps) = record.get("nps") {
        let value: u8 = nps
            .parse()
            .ok()
            .filter(|n| *n <= 10)
            .ok_or_else(|| format!("nps {nps:?} is not a whole number from 0 to 10"))?;
        interaction.nps = Some(value);
    }
    if let Some(points) = record.get("points") {
        let value: u32 = points
            .parse()
            .map_err(|_| format!("points {points:?} is not a whole number of points"))?;
        interaction.points = Some(value);
    }
    interaction.summary = record.get("summary").map(str::to_string);
    interaction.channel = record.get("channel").map(str::to_string);
    interaction.follow_up = record
        .get("follow_up")
        .map(|t| iso_date("follow_up", t))
        .transpose()?;
    // What `crm log` and `crm check` refuse is refused here too.
    let known = |k: &str| config.knows_kind(k);
    if let Some((_, problem)) = validate(&interaction, &known).into_iter().next() {
        return Err(problem);
    }
    Ok(Row {
        line: record.line,
        customer,
        cell: text.to_string(),
        name,
        email: record.get("email").map(email).transpose()?.or(cell_email),
        interaction,
    })
}

/// A customers row, checked by the rules `crm add` applies (`crate::domain::contact`).
pub(crate) fn customer_row(
    record: &Record,
    default_every: Option<Cadence>,
    today: NaiveDate,
) -> std::result::Result<(CustomerId, NewCustomer), String> {
    let name = contact::name(record.get("name").unwrap_or(""))?.to_string();
    let id = match record.get("id") {
        Some(id) => CustomerId::parse(id),
        None => CustomerId::from_name(&name),
    }
    .map_err(|e| e.message)?;
    let date = |column: &str| record.get(column).map(|t| iso_date(column, t)).transpose();
    // An `every` column speaks for every row: an empty cell is "no cadence", as
    // `crm export customers` writes it. Only a file without the column gets the book's
    // default, as `crm add` without `--every` does; otherwise a copied book would give
    // cadences to customers who had none.
    let every = match record.get("every") {
        Some(text) => Some(Cadence::parse(text).map_err(|m| format!("every: {m}"))?),
        None if record.has_column("every") => None,
        None => default_every,
    };
    let mut preferences = Vec::new();
    for pair in raw_list(record.get("preferences")) {
        let parts = crate::render::split_cell(pair, '=');
        let (key, value) = match parts.split_first() {
            Some((key, rest)) if !rest.is_empty() => (
                crate::render::unescape_cell_item(key),
                crate::render::unescape_cell_item(&rest.join("=")),
            ),
            _ => return Err(format!("preference {pair:?} is not key=value")),
        };
        preferences.push((key.trim().to_string(), value.trim().to_string()));
    }
    contact::preferences(&preferences).map_err(|m| format!("preference {m}"))?;
    let birthday = record
        .get("birthday")
        .map(crate::domain::birthday::Birthday::parse)
        .transpose()
        .map_err(|m| format!("birthday {m}"))?;
    if let Some(birthday) = birthday {
        contact::birthday(birthday, today).map_err(|m| format!("birthday {m}"))?;
    }
    let customer = contact_init!(NewCustomer { name, }
    + contact(by name, |k| contact_cell(record, k)?)
    + {
        tags: list(record.get("tags")),
        birthday,
        since: date("since")?,
        every,
        preferences,
    });
    Ok((id, customer))
}
