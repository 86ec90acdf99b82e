//! The small per-customer summary that whole-book commands (`list`, `due`, `stale`,
//! `stats`, `find`) work on: a few hundred bytes instead of a parsed file. Pure.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::customer::Customer;
use super::date::Cadence;
use super::followup::{self, Brief, NextFollowUp, Promise};
use super::interaction::Kind;
use super::money::Money;
use super::profile::{contact_init, contact_struct};

/// What an [`Event`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    /// A purchase (amount ≥ 0).
    Purchase,
    /// A refund (amount ≥ 0, subtracted from revenue).
    Refund,
    /// A feedback with a rating.
    Rating,
    /// A complaint.
    Complaint,
    /// A feedback with an NPS score from 0 to 10 (in `rating`).
    Nps,
}

/// A dated fact that metrics count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// When.
    #[serde(with = "super::date::day_number")]
    pub date: NaiveDate,
    /// What.
    pub kind: EventKind,
    /// The amount in cents for purchases and refunds, else 0.
    pub cents: i64,
    /// The rating for ratings, else 0.
    pub rating: u8,
}

/// One interaction as the loyalty programme sees it: its day, its kind (bonus points
/// are given by kind) and the points a `redeem` entry spends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Touch {
    /// When.
    #[serde(with = "super::date::day_number")]
    pub date: NaiveDate,
    /// The kind's name as written (`feedback`, `redeem`, a book's own kind).
    pub kind: String,
    /// Points spent (`redeem` entries), else 0. Always written: the summary cache's
    /// types use no `skip_serializing_if`, so that a format which is not
    /// self-describing can store them.
    #[serde(default)]
    pub points: u32,
}

contact_struct! {
/// Everything whole-book commands need to know about one customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The id.
    pub id: String,
    /// Display name.
    pub name: String,
}
+ contact(pub(crate) Option<Box<str>>)
+ {
    pub(crate) tags: Box<[String]>,
    pub(crate) birthday: Option<super::birthday::Birthday>,
    #[serde(with = "super::date::day_number::option")]
    pub(crate) since: Option<NaiveDate>,
    pub(crate) every: Option<Cadence>,
    /// Archived on this day (`crm archive`).
    #[serde(default, with = "super::date::day_number::option")]
    pub(crate) archived: Option<NaiveDate>,
    /// Number of preferences (so that `crm import customers` can tell which skipped
    /// customers lack them without reading their files).
    #[serde(default)]
    pub(crate) preferences: u32,
    pub(crate) interactions: u32,
    /// The latest contact (see [`followup::last_contact`]).
    #[serde(with = "super::date::day_number::option")]
    pub(crate) last_contact: Option<NaiveDate>,
    /// The latest interaction other than `done` and `snooze` entries, which are
    /// bookkeeping about follow-ups rather than something that happened with the
    /// customer.
    pub(crate) last_interaction: Option<Brief>,
    /// The pending promise or reminder, if any.
    pub(crate) promise: Option<Promise>,
    /// Purchases, refunds, ratings, NPS scores and complaints, in date order.
    pub events: Box<[Event]>,
    /// Every interaction kind the customer's log uses that is not one of crm's own
    /// (which every book knows), sorted, once each: so that whole-book commands can
    /// warn about a kind the book does not know, without a string per entry kind of
    /// every customer.
    #[serde(default)]
    pub other_kinds: Box<[String]>,
    // The parts that only some commands read come last, in the order of [`Parts`]:
    // a command decodes the cache's records up to the first part it does not use.
    /// Every interaction but `done` and `snooze` entries, in date order, for the
    /// loyalty programme (which counts bonus points by kind, and redemptions).
    #[serde(default)]
    pub touches: Box<[Touch]>,
    /// The preferences, in the order written (for `crm find`).
    #[serde(default)]
    pub(crate) prefs: Box<[(String, String)]>,
    /// The distinct interaction summaries, in the order first written (for `crm
    /// find`).
    #[serde(default)]
    pub(crate) notes: Box<[String]>,
}
}

/// Which parts of each [`Summary`] a whole-book command reads. What it does not read
/// is left empty when the summary comes from the cache, so reading the cache costs
/// only what the command uses; summaries of files read afresh are always whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parts {
    /// Everything but the loyalty touches and `crm find`'s preferences and notes.
    Core,
    /// Also the loyalty touches.
    Loyalty,
    /// Everything.
    All,
}

impl Parts {
    /// `Core`, or `Loyalty` when the book has a loyalty programme.
    pub(crate) fn core(loyalty: bool) -> Parts {
        if loyalty {
            Parts::Loyalty
        } else {
            Parts::Core
        }
    }

    /// The first field of [`Summary`] (in its declared order) that is not read.
    pub(crate) fn first_unread(self) -> Option<&'static str> {
        match self {
            Parts::Core => Some("touches"),
            Parts::Loyalty => Some("prefs"),
            Parts::All => None,
        }
    }
}

/// The distinct, non-empty interaction summaries of `customer`, in file order.
fn distinct_notes(customer: &Customer) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    customer
        .interactions
        .iter()
        .filter_map(|i| i.summary.as_deref())
        .map(str::trim)
        .filter(|s| !s.is_empty() && seen.insert(*s))
        .map(str::to_string)
        .collect()
}

impl Summary {
    /// Summarises a customer.
    pub(crate) fn of(customer: &Customer) -> Summary {
        let log = customer.chronological();
        let nps = log.iter().filter_map(|i| {
            (i.kind == Kind::Feedback)
                .then_some(i.nps)
                .flatten()
                .filter(|n| *n <= 10)
                .map(|n| (i.date, n))
        });
        let mut events: Vec<Event> = log
            .iter()
            .filter_map(|i| {
                let (kind, cents, rating) = match (&i.kind, i.amount, i.rating) {
                    (Kind::Purchase, Some(a), _) => (EventKind::Purchase, a.cents(), 0),
                    (Kind::Refund, Some(a), _) => (EventKind::Refund, a.cents(), 0),
                    (Kind::Feedback, _, Some(r)) if (1..=5).contains(&r) => {
                        (EventKind::Rating, 0, r)
                    }
                    (Kind::Complaint, _, _) => (EventKind::Complaint, 0, 0),
                    _ => return None,
                };
                Some(Event {
                    date: i.date,
                    kind,
                    cents,
                    rating,
                })
            })
            .collect();
        // Stable: an NPS score follows the day's other events.
        events.extend(nps.map(|(date, score)| Event {
            date,
            kind: EventKind::Nps,
            cents: 0,
            rating: score,
        }));
        events.sort_by_key(|e| e.date);
        let touches = log
            .iter()
            .filter(|i| !matches!(i.kind, Kind::Done | Kind::Snooze))
            .map(|i| Touch {
                date: i.date,
                kind: i.kind.name().to_string(),
                points: i.points.unwrap_or(0),
            })
            .collect();
        contact_init!(Summary {
            id: customer.id.to_string(),
            name: customer.name.clone(),
        }
        + contact(from customer, |v| v.as_deref().map(Box::from))
        + {
            tags: customer.tags.clone().into(),
            birthday: customer.birthday,
            since: customer.since,
            every: customer.follow_up.every,
            archived: customer.archived,
            preferences: u32::try_from(customer.preferences.len()).unwrap_or(u32::MAX),
            prefs: customer.preferences.clone().into(),
            notes: distinct_notes(customer).into(),
            interactions: u32::try_from(log.len()).unwrap_or(u32::MAX),
            last_contact: followup::last_contact(&log),
            last_interaction: log
                .iter()
                .rev()
                .find(|i| !matches!(i.kind, Kind::Done | Kind::Snooze))
                .map(|i| Brief::of(i)),
            // Promises follow the order they were written in, not their dates: see
            // `followup::pending_promise`.
            promise: followup::pending_promise(&customer.interactions.iter().collect::<Vec<_>>()),
            events: events.into(),
            other_kinds: {
                let mut kinds: Vec<String> = log
                    .iter()
                    .filter_map(|i| match &i.kind {
                        Kind::Custom(name) => Some(name.clone()),
                        _ => None,
                    })
                    .collect();
                kinds.sort();
                kinds.dedup();
                kinds.into()
            },
            touches,
        })
    }

    /// Whether the customer carries `tag` (case-insensitive).
    pub(crate) fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t.eq_ignore_ascii_case(tag))
    }

    /// Number of purchases.
    pub(crate) fn purchases(&self) -> usize {
        self.events
            .iter()
            .filter(|e| e.kind == EventKind::Purchase)
            .count()
    }

    /// Revenue: purchases minus refunds.
    pub(crate) fn revenue(&self) -> Money {
        self.events
            .iter()
            .map(|e| match e.kind {
                EventKind::Purchase => Money::from_cents(e.cents),
                EventKind::Refund => -Money::from_cents(e.cents),
                _ => Money::ZERO,
            })
            .sum()
    }

    /// The next follow-up by the rule in [`followup::next_follow_up`]; a customer with
    /// a cadence who was never contacted is due on `today`.
    pub(crate) fn next_follow_up(&self, today: NaiveDate) -> Option<NextFollowUp> {
        followup::next_follow_up(
            self.promise.as_ref(),
            self.every,
            self.last_contact,
            self.since,
            today,
        )
    }
}
