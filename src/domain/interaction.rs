//! One entry of a customer's append-only interaction log, and the kinds it can have.
//! Pure: no I/O.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use super::fields;
use super::money::Money;

/// The kinds crm knows without configuration, in the order help texts list them.
pub(crate) const BUILTIN_KINDS: [&str; 11] = [
    "call",
    "email",
    "meeting",
    "message",
    "note",
    "purchase",
    "refund",
    "complaint",
    "feedback",
    "done",
    "snooze",
];

/// Kinds that `crm log` does not record because their own commands do.
pub(crate) const SYSTEM_KINDS: [&str; 2] = ["done", "snooze"];

/// What happened in an interaction. Kinds from `crm.toml` are kept as [`Kind::Custom`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A phone call.
    Call,
    /// An email.
    Email,
    /// A meeting in person or online.
    Meeting,
    /// A chat or text message.
    Message,
    /// A note to self; not a contact with the customer.
    Note,
    /// A purchase; needs an amount.
    Purchase,
    /// Money paid back; needs an amount.
    Refund,
    /// A complaint.
    Complaint,
    /// Feedback, optionally with a rating from 1 to 5.
    Feedback,
    /// A pending follow-up was done (written by `crm done`).
    Done,
    /// A pending follow-up was moved (written by `crm snooze`); not a contact.
    Snooze,
    /// A kind the book's `crm.toml` adds, or one crm does not know (`crm check` says so).
    Custom(String),
}

impl Kind {
    /// The kind for a name as written in a file (case-insensitive).
    pub(crate) fn from_name(name: &str) -> Kind {
        match name.trim().to_ascii_lowercase().as_str() {
            "call" => Kind::Call,
            "email" => Kind::Email,
            "meeting" => Kind::Meeting,
            "message" => Kind::Message,
            "note" => Kind::Note,
            "purchase" => Kind::Purchase,
            "refund" => Kind::Refund,
            "complaint" => Kind::Complaint,
            "feedback" => Kind::Feedback,
            "done" => Kind::Done,
            "snooze" => Kind::Snooze,
            other => Kind::Custom(other.to_string()),
        }
    }

    /// The name as written in files.
    pub fn name(&self) -> &str {
        match self {
            Kind::Call => "call",
            Kind::Email => "email",
            Kind::Meeting => "meeting",
            Kind::Message => "message",
            Kind::Note => "note",
            Kind::Purchase => "purchase",
            Kind::Refund => "refund",
            Kind::Complaint => "complaint",
            Kind::Feedback => "feedback",
            Kind::Done => "done",
            Kind::Snooze => "snooze",
            Kind::Custom(name) => name,
        }
    }

    /// Whether this interaction counts as contact with the customer (restarts the
    /// cadence clock). Notes and snoozes are things we wrote for ourselves; custom
    /// kinds from `crm.toml` count as contact.
    pub fn is_contact(&self) -> bool {
        !matches!(self, Kind::Note | Kind::Snooze)
    }

    /// Whether this kind carries money and so needs an amount.
    pub(crate) fn needs_amount(&self) -> bool {
        matches!(self, Kind::Purchase | Kind::Refund)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Kind::from_name(&fields::text(d)?))
    }
}

/// Serde for a [`Kind`] that crm stores itself (in the summary cache): its name, read
/// back as a string (the cache's format is not self-describing), so that crm's own
/// kinds come back without a string of their own.
pub(crate) mod kind_name {
    use super::Kind;

    pub(crate) fn serialize<S: serde::Serializer>(kind: &Kind, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(kind.name())
    }

    pub(crate) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Kind, D::Error> {
        struct Name;
        impl serde::de::Visitor<'_> for Name {
            type Value = Kind;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an interaction kind")
            }
            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Kind, E> {
                Ok(Kind::from_name(name))
            }
        }
        d.deserialize_str(Name)
    }
}

/// One logged interaction. Fields crm does not know are not represented here; they stay
/// in the file untouched because crm never rewrites an existing entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Interaction {
    /// The day it happened.
    #[serde(deserialize_with = "fields::date")]
    pub date: NaiveDate,
    /// What happened.
    pub kind: Kind,
    /// A line of text about it.
    #[serde(default, deserialize_with = "fields::opt_text")]
    pub summary: Option<String>,
    /// Money involved (purchases and refunds), exact to the cent.
    #[serde(default, deserialize_with = "fields::opt_money")]
    pub amount: Option<Money>,
    /// What was bought.
    #[serde(default, deserialize_with = "fields::text_list")]
    pub items: Vec<String>,
    /// Satisfaction from 1 to 5 (feedback).
    #[serde(default, deserialize_with = "fields::opt_rating")]
    pub rating: Option<u8>,
    /// Net Promoter score from 0 to 10 (feedback): how likely the customer is to
    /// recommend us.
    #[serde(default, deserialize_with = "fields::opt_small")]
    pub nps: Option<u8>,
    /// Loyalty points spent (`redeem` entries).
    #[serde(default, deserialize_with = "fields::opt_points")]
    pub points: Option<u32>,
    /// How it happened when the kind does not say (phone, shop, web, ...).
    #[serde(default, deserialize_with = "fields::opt_text")]
    pub channel: Option<String>,
    /// A promise: follow up with the customer on this date.
    #[serde(default, deserialize_with = "fields::opt_date")]
    pub follow_up: Option<NaiveDate>,
    /// The marker `crm import` leaves on what it wrote, so that importing the same
    /// file again skips rows already in the book (see docs/import.md).
    #[serde(default, deserialize_with = "fields::opt_text")]
    pub import: Option<String>,
}

impl Interaction {
    /// A bare interaction of `kind` on `date`.
    pub fn new(date: NaiveDate, kind: Kind) -> Interaction {
        Interaction {
            date,
            kind,
            summary: None,
            amount: None,
            items: Vec::new(),
            rating: None,
            nps: None,
            points: None,
            channel: None,
            follow_up: None,
            import: None,
        }
    }
}

/// The kind of the entries that spend loyalty points (`crm log ID redeem --points N`),
/// known to books with a `[loyalty]` section.
pub const REDEEM: &str = "redeem";

/// Interactions dated before this year are reported by `crm check` as likely typos
/// (`0205-06-01` for `2025-06-01`); they would also stretch `crm stats` over centuries.
pub(crate) const EARLIEST_PLAUSIBLE_YEAR: i32 = 1900;

/// Checks an interaction against the rules of its kind. `known` says whether a kind is
/// recognised (built in or from `crm.toml`). Returns `(field, message)` pairs.
pub(crate) fn validate(
    interaction: &Interaction,
    known: &dyn Fn(&str) -> bool,
) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    let kind = &interaction.kind;
    if interaction.date.year() < EARLIEST_PLAUSIBLE_YEAR {
        problems.push((
            "date",
            format!(
                "date {} is before {EARLIEST_PLAUSIBLE_YEAR}; is the year mistyped?",
                interaction.date
            ),
        ));
    }
    if !known(kind.name()) {
        problems.push(("kind", format!("unknown kind {:?}", kind.name())));
    }
    if kind.needs_amount() && interaction.amount.is_none() {
        problems.push((
            "kind",
            format!("a {kind} needs an amount, e.g. `amount: 129.00`"),
        ));
    }
    // Revenue counts only purchases and refunds, so an amount elsewhere is a slip
    // (`note` for `purchase`) that would silently go uncounted. Items are what an
    // interaction was about, fine on any kind (a meeting about `Model B`).
    if !kind.needs_amount() && interaction.amount.is_some() {
        problems.push((
            "amount",
            format!("an amount belongs to a purchase or refund, not a {kind}"),
        ));
    }
    if let Some(amount) = interaction.amount {
        if amount.is_negative() {
            problems.push((
                "amount",
                "amounts are never negative; record money paid back as a `refund`".to_string(),
            ));
        }
    }
    if let Some(rating) = interaction.rating.filter(|r| !(1..=5).contains(r)) {
        problems.push((
            "rating",
            format!("rating {rating} is not a whole number from 1 to 5"),
        ));
    }
    if interaction.rating.is_some() && *kind != Kind::Feedback {
        problems.push((
            "rating",
            format!("a rating belongs to a feedback, not a {kind}"),
        ));
    }
    if let Some(nps) = interaction.nps {
        if nps > 10 {
            problems.push((
                "nps",
                format!("nps {nps} is not a whole number from 0 to 10"),
            ));
        }
        if *kind != Kind::Feedback {
            problems.push((
                "nps",
                format!("an nps score belongs to a feedback, not a {kind}"),
            ));
        }
    }
    let redeem = kind.name() == REDEEM;
    match interaction.points {
        Some(0) if redeem => problems.push((
            "points",
            "a redeem spends at least 1 point, e.g. `points: 300`".to_string(),
        )),
        None if redeem => problems.push((
            "kind",
            "a redeem needs the points it spends, e.g. `points: 300`".to_string(),
        )),
        Some(_) if !redeem => problems.push((
            "points",
            format!("points belong to a redeem, not a {kind} (points are earned from purchases, never written down)"),
        )),
        _ => {}
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn problems(interaction: &Interaction) -> Vec<&'static str> {
        validate(interaction, &|k| BUILTIN_KINDS.contains(&k))
            .into_iter()
            .map(|(field, _)| field)
            .collect()
    }

    #[test]
    fn amounts_belong_to_purchases_and_refunds_items_to_any_kind() {
        let mut note = Interaction::new(day("2025-05-03"), Kind::Note);
        note.items = vec!["beans".into()];
        assert!(problems(&note).is_empty());
        note.amount = Some(Money::from_cents(500));
        assert_eq!(problems(&note), ["amount"]);
        let mut purchase = Interaction::new(day("2025-05-03"), Kind::Purchase);
        assert_eq!(problems(&purchase), ["kind"], "a purchase needs an amount");
        purchase.amount = Some(Money::from_cents(500));
        purchase.items = vec!["beans".into()];
        assert!(problems(&purchase).is_empty());
    }

    #[test]
    fn dates_before_1900_and_ratings_outside_feedback_are_refused() {
        let mut call = Interaction::new(day("1850-01-01"), Kind::Call);
        call.rating = Some(4);
        assert_eq!(problems(&call), ["date", "rating"]);
        let mut feedback = Interaction::new(day("2025-01-01"), Kind::Feedback);
        feedback.rating = Some(6);
        assert_eq!(problems(&feedback), ["rating"]);
    }
}
