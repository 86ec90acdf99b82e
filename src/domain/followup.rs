//! The follow-up rule (docs/follow-ups.md): when is a customer owed contact, and why.
//! Pure: `today` is always an argument.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::date::Cadence;
use super::interaction::{Interaction, Kind};

/// A short account of an interaction, enough to remind a person what it was about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Brief {
    /// When it happened.
    pub date: NaiveDate,
    /// Its kind, as written.
    pub kind: String,
    /// Its summary, if any.
    pub summary: Option<String>,
}

impl Brief {
    /// The brief of `interaction`.
    pub fn of(interaction: &Interaction) -> Brief {
        Brief {
            date: interaction.date,
            kind: interaction.kind.name().to_string(),
            summary: interaction.summary.clone(),
        }
    }
}

/// An explicit, pending promise to follow up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Promise {
    /// The promised date.
    pub due: NaiveDate,
    /// The interaction in which the promise was made (or moved, for a snooze).
    pub made_in: Brief,
}

/// Why a follow-up is owed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// An explicit promise that is still pending.
    Promise(Promise),
    /// The cadence has run out since the last contact (or since `since`).
    Cadence {
        /// The customer's cadence.
        every: Cadence,
        /// The contact it counts from; `None` when the customer was never contacted.
        from: Option<NaiveDate>,
    },
}

/// The next follow-up of a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextFollowUp {
    /// When it is due.
    pub date: NaiveDate,
    /// Why.
    pub reason: Reason,
}

/// The pending promise in a log given in file order: the `follow_up` date of the last
/// entry written that carries one, unless a `done` entry was written after it. A later
/// promise (including a snooze) supersedes an earlier one; other entries leave it.
///
/// File order, not date order: the log is append-only, so the last entry written is the
/// newest word on the matter even when it is dated in the past (`--date yesterday
/// --follow-up +1w`) or a promise was logged ahead of its date (a meeting booked for
/// next week, then `crm done` today).
pub fn pending_promise(log: &[&Interaction]) -> Option<Promise> {
    let mut pending: Option<Promise> = None;
    for interaction in log {
        if interaction.kind == Kind::Done {
            pending = None;
        }
        if let Some(due) = interaction.follow_up {
            pending = Some(Promise {
                due,
                made_in: Brief::of(interaction),
            });
        }
    }
    pending
}

/// The date of the latest interaction that counts as contact (not notes or snoozes).
pub fn last_contact(log: &[&Interaction]) -> Option<NaiveDate> {
    log.iter()
        .filter(|i| i.kind.is_contact())
        .map(|i| i.date)
        .max()
}

/// Applies the rule: a pending promise wins; otherwise the cadence counts from the last
/// contact, else from `since`, else it is due on `fallback` (never contacted at all).
pub fn next_follow_up(
    promise: Option<&Promise>,
    every: Option<Cadence>,
    last_contact: Option<NaiveDate>,
    since: Option<NaiveDate>,
    fallback: NaiveDate,
) -> Option<NextFollowUp> {
    if let Some(promise) = promise {
        return Some(NextFollowUp {
            date: promise.due,
            reason: Reason::Promise(promise.clone()),
        });
    }
    let every = every?;
    let from = last_contact.or(since);
    let date = match from {
        Some(from) => every.after(from)?,
        None => fallback,
    };
    Some(NextFollowUp {
        date,
        reason: Reason::Cadence {
            every,
            from: last_contact,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn entry(date: &str, kind: &str, follow_up: Option<&str>) -> Interaction {
        let mut i = Interaction::new(d(date), Kind::from_name(kind));
        i.follow_up = follow_up.map(d);
        i
    }

    fn rule(log: &[Interaction], every: Option<&str>) -> Option<NextFollowUp> {
        let refs: Vec<&Interaction> = log.iter().collect();
        next_follow_up(
            pending_promise(&refs).as_ref(),
            every.map(|e| Cadence::parse(e).unwrap()),
            last_contact(&refs),
            None,
            d("2025-06-01"),
        )
    }

    #[test]
    fn cadence_only_counts_from_last_contact_not_notes() {
        let log = [
            entry("2025-03-01", "call", None),
            entry("2025-03-20", "note", None),
        ];
        let next = rule(&log, Some("30d")).unwrap();
        assert_eq!(next.date, d("2025-03-31"));
        assert!(matches!(next.reason, Reason::Cadence { .. }));
    }

    #[test]
    fn promise_only() {
        let log = [entry("2025-03-01", "call", Some("2025-03-15"))];
        assert_eq!(rule(&log, None).unwrap().date, d("2025-03-15"));
    }

    #[test]
    fn promise_wins_over_cadence() {
        let log = [entry("2025-03-01", "call", Some("2025-05-15"))];
        assert_eq!(rule(&log, Some("7d")).unwrap().date, d("2025-05-15"));
    }

    #[test]
    fn newer_promise_supersedes_older() {
        let log = [
            entry("2025-03-01", "call", Some("2025-03-15")),
            entry("2025-03-05", "email", Some("2025-04-01")),
        ];
        assert_eq!(rule(&log, None).unwrap().date, d("2025-04-01"));
    }

    #[test]
    fn later_contact_without_promise_leaves_it_pending() {
        let log = [
            entry("2025-03-01", "call", Some("2025-03-15")),
            entry("2025-03-05", "purchase", None),
        ];
        assert_eq!(rule(&log, None).unwrap().date, d("2025-03-15"));
    }

    #[test]
    fn done_clears_the_promise_and_restarts_the_cadence() {
        let log = [
            entry("2025-03-01", "call", Some("2025-03-15")),
            entry("2025-03-14", "done", None),
        ];
        assert_eq!(rule(&log, None), None);
        assert_eq!(rule(&log, Some("30d")).unwrap().date, d("2025-04-13"));
    }

    #[test]
    fn snooze_moves_the_promise_without_counting_as_contact() {
        let log = [
            entry("2025-03-01", "call", Some("2025-03-15")),
            entry("2025-03-15", "snooze", Some("2025-03-22")),
        ];
        let refs: Vec<&Interaction> = log.iter().collect();
        assert_eq!(last_contact(&refs), Some(d("2025-03-01")));
        assert_eq!(rule(&log, None).unwrap().date, d("2025-03-22"));
    }

    #[test]
    fn done_closes_a_promise_logged_with_a_future_date() {
        let log = [
            entry("2025-06-20", "meeting", Some("2025-06-27")),
            entry("2025-06-15", "done", None),
        ];
        assert_eq!(rule(&log, None), None);
    }

    #[test]
    fn a_backdated_promise_written_after_a_done_is_pending() {
        let log = [
            entry("2025-06-10", "call", Some("2025-06-14")),
            entry("2025-06-15", "done", None),
            entry("2025-06-14", "call", Some("2025-06-21")),
        ];
        assert_eq!(rule(&log, None).unwrap().date, d("2025-06-21"));
    }

    #[test]
    fn neither_means_no_follow_up() {
        assert_eq!(rule(&[entry("2025-03-01", "call", None)], None), None);
    }

    #[test]
    fn never_contacted_with_cadence_is_due_on_the_fallback() {
        assert_eq!(rule(&[], Some("30d")).unwrap().date, d("2025-06-01"));
    }
}
