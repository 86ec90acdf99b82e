//! The follow-up rule (docs/follow-ups.md): when is a customer owed contact, and why.
//! Pure: `today` is always an argument.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::date::Cadence;
use super::interaction::{Interaction, Kind};

/// A short account of an interaction, enough to remind a person what it was about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Brief {
    /// When it happened.
    #[serde(with = "super::date::day_number")]
    pub(crate) date: NaiveDate,
    /// Its kind.
    #[serde(with = "super::interaction::kind_name")]
    pub(crate) kind: Kind,
    /// Its summary, if any.
    pub(crate) summary: Option<String>,
}

impl Brief {
    /// The brief of `interaction`.
    pub(crate) fn of(interaction: &Interaction) -> Brief {
        Brief {
            date: interaction.date,
            kind: interaction.kind.clone(),
            summary: interaction.summary.clone(),
        }
    }
}

/// What set a pending follow-up, and so what ends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Pledge {
    /// An explicit promise (`follow_up:` on an interaction): it stays until `crm done`
    /// or a newer promise, whatever else is logged meanwhile.
    Promise,
    /// A reminder set by `crm snooze` when no promise was pending: it moved the
    /// cadence's date (or, without a cadence, asked to be reminded), so the next
    /// contact satisfies it, as it would have satisfied the cadence.
    Reminder,
}

/// A pending follow-up: a promise, or a reminder set by a snooze.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Promise {
    /// The date it is due.
    #[serde(with = "super::date::day_number")]
    pub(crate) due: NaiveDate,
    /// The entry that set it: the interaction in which it was promised, or the
    /// snooze that set a reminder. Snoozes that only move it leave this as it was, so
    /// the digest can still say what the follow-up is about.
    pub(crate) made_in: Brief,
    /// The day it was last moved by `crm snooze`, if it was.
    #[serde(with = "super::date::day_number::option")]
    pub(crate) snoozed_on: Option<NaiveDate>,
    /// Promise or reminder.
    pub(crate) pledge: Pledge,
}

/// Why a follow-up is owed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reason {
    /// An explicit promise that is still pending.
    Promise(Promise),
    /// The cadence has run out since the last contact (or since `since`), or a snooze
    /// moved the cadence's date (`snoozed_on`).
    Cadence {
        /// The customer's cadence.
        every: Cadence,
        /// The contact it counts from; `None` when the customer was never contacted.
        from: Option<NaiveDate>,
        /// The day a snooze moved the cadence's date, if one did.
        snoozed_on: Option<NaiveDate>,
    },
    /// A reminder set by `crm snooze` for a customer with no cadence and no promise.
    Reminder(Promise),
}

/// The next follow-up of a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NextFollowUp {
    /// When it is due.
    pub(crate) date: NaiveDate,
    /// Why.
    pub(crate) reason: Reason,
}

/// The pending follow-up in a log given in file order, replaying the entries:
///
/// - an entry with `follow_up:` sets a promise, superseding whatever was pending;
/// - a `snooze` entry (which carries `follow_up:`) moves what was pending to its date,
///   keeping what it was about; with nothing pending it sets a [`Pledge::Reminder`];
/// - a `done` entry closes what was pending;
/// - any other contact satisfies a pending reminder (but not a promise).
///
/// File order, not date order: the log is append-only, so the last entry written is the
/// newest word on the matter even when it is dated in the past (`--date yesterday
/// --follow-up +1w`) or a promise was logged ahead of its date (a meeting booked for
/// next week, then `crm done` today).
pub(crate) fn pending_promise(log: &[&Interaction]) -> Option<Promise> {
    let mut pending: Option<Promise> = None;
    for interaction in log {
        let satisfied = interaction.kind == Kind::Done
            || (interaction.kind.is_contact()
                && pending
                    .as_ref()
                    .is_some_and(|p| p.pledge == Pledge::Reminder));
        if satisfied {
            pending = None;
        }
        let Some(due) = interaction.follow_up else {
            continue;
        };
        pending = Some(match (interaction.kind == Kind::Snooze, pending.take()) {
            (true, Some(moved)) => Promise {
                due,
                snoozed_on: Some(interaction.date),
                ..moved
            },
            (true, None) => Promise {
                due,
                made_in: Brief::of(interaction),
                snoozed_on: Some(interaction.date),
                pledge: Pledge::Reminder,
            },
            (false, _) => Promise {
                due,
                made_in: Brief::of(interaction),
                snoozed_on: None,
                pledge: Pledge::Promise,
            },
        });
    }
    pending
}

/// The date of the latest interaction that counts as contact (not notes or snoozes).
pub(crate) fn last_contact(log: &[&Interaction]) -> Option<NaiveDate> {
    log.iter()
        .filter(|i| i.kind.is_contact())
        .map(|i| i.date)
        .max()
}

/// Applies the rule: a pending promise or reminder wins; otherwise the cadence counts
/// from the last contact, else from `since`, else it is due on `fallback` (never
/// contacted at all).
pub(crate) fn next_follow_up(
    pending: Option<&Promise>,
    every: Option<Cadence>,
    last_contact: Option<NaiveDate>,
    since: Option<NaiveDate>,
    fallback: NaiveDate,
) -> Option<NextFollowUp> {
    if let Some(pending) = pending {
        let reason = match (pending.pledge, every) {
            (Pledge::Promise, _) => Reason::Promise(pending.clone()),
            (Pledge::Reminder, Some(every)) => Reason::Cadence {
                every,
                from: last_contact,
                snoozed_on: pending.snoozed_on,
            },
            (Pledge::Reminder, None) => Reason::Reminder(pending.clone()),
        };
        return Some(NextFollowUp {
            date: pending.due,
            reason,
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
            snoozed_on: None,
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
    fn a_snoozed_promise_keeps_what_it_was_about() {
        let mut call = entry("2025-06-01", "call", Some("2025-06-06"));
        call.summary = Some("Wants a quote".into());
        let log = [call, entry("2025-06-07", "snooze", Some("2025-06-09"))];
        let next = rule(&log, Some("30d")).unwrap();
        assert_eq!(next.date, d("2025-06-09"));
        let Reason::Promise(promise) = next.reason else {
            panic!("still a promise: {next:?}")
        };
        assert_eq!(promise.made_in.kind, Kind::Call);
        assert_eq!(promise.made_in.summary.as_deref(), Some("Wants a quote"));
        assert_eq!(promise.snoozed_on, Some(d("2025-06-07")));
    }

    #[test]
    fn a_snoozed_promise_outlives_later_contact() {
        let log = [
            entry("2025-06-01", "call", Some("2025-06-06")),
            entry("2025-06-02", "snooze", Some("2025-06-09")),
            entry("2025-06-05", "purchase", None),
        ];
        assert_eq!(rule(&log, Some("30d")).unwrap().date, d("2025-06-09"));
    }

    /// Audit finding: snoozing a cadence reminder turned it into a promise that no
    /// later contact cleared.
    #[test]
    fn a_snoozed_cadence_reminder_is_satisfied_by_the_next_contact() {
        let snoozed = [entry("2025-06-02", "snooze", Some("2025-06-05"))];
        let next = rule(&snoozed, Some("30d")).unwrap();
        assert_eq!(next.date, d("2025-06-05"));
        assert_eq!(
            next.reason,
            Reason::Cadence {
                every: Cadence::parse("30d").unwrap(),
                from: None,
                snoozed_on: Some(d("2025-06-02")),
            }
        );
        let called = [
            entry("2025-06-02", "snooze", Some("2025-06-05")),
            entry("2025-06-05", "call", None),
        ];
        let next = rule(&called, Some("30d")).unwrap();
        assert_eq!(next.date, d("2025-07-05"));
        assert!(matches!(
            next.reason,
            Reason::Cadence {
                snoozed_on: None,
                ..
            }
        ));
        // A note is not contact: the reminder stays.
        let noted = [
            entry("2025-06-02", "snooze", Some("2025-06-05")),
            entry("2025-06-03", "note", None),
        ];
        assert_eq!(rule(&noted, Some("30d")).unwrap().date, d("2025-06-05"));
        // Snoozed again, it is still a reminder, satisfied by contact.
        let twice = [
            entry("2025-06-02", "snooze", Some("2025-06-05")),
            entry("2025-06-05", "snooze", Some("2025-06-12")),
            entry("2025-06-08", "email", None),
        ];
        assert_eq!(rule(&twice, Some("30d")).unwrap().date, d("2025-07-08"));
    }

    #[test]
    fn a_snooze_with_nothing_pending_and_no_cadence_is_a_reminder() {
        let log = [entry("2025-06-02", "snooze", Some("2025-06-05"))];
        let next = rule(&log, None).unwrap();
        assert_eq!(next.date, d("2025-06-05"));
        assert!(matches!(next.reason, Reason::Reminder(_)));
        let log = [
            entry("2025-06-02", "snooze", Some("2025-06-05")),
            entry("2025-06-03", "meeting", None),
        ];
        assert_eq!(rule(&log, None), None);
    }

    #[test]
    fn a_promise_made_while_a_reminder_is_pending_replaces_it() {
        let log = [
            entry("2025-06-02", "snooze", Some("2025-06-05")),
            entry("2025-06-03", "call", Some("2025-06-20")),
            entry("2025-06-04", "email", None),
        ];
        let next = rule(&log, Some("30d")).unwrap();
        assert_eq!(next.date, d("2025-06-20"));
        assert!(matches!(next.reason, Reason::Promise(_)));
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
