//! What is due: follow-ups (overdue or within a window), birthdays and customer
//! anniversaries, and customers gone stale. Pure: `today` is an argument.

use chrono::{Datelike, NaiveDate};

use super::date::next_anniversary;
use super::followup::NextFollowUp;
use super::summary::Summary;

/// Which part of the digest an item belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Group {
    /// A follow-up whose date has passed.
    Overdue,
    /// A follow-up due today or within the window.
    DueSoon,
    /// A birthday or customer anniversary within the window.
    Occasion,
}

impl Group {
    /// The name used in JSON and CSV.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Group::Overdue => "overdue",
            Group::DueSoon => "due_soon",
            Group::Occasion => "occasion",
        }
    }
}

/// Why an item is on the agenda.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Why {
    /// A follow-up by the follow-up rule.
    FollowUp(NextFollowUp),
    /// A birthday; `age` when the year of birth is plausible.
    Birthday {
        /// The age the customer turns.
        age: Option<i32>,
    },
    /// The anniversary of `since`.
    Anniversary {
        /// Whole years as a customer.
        years: i32,
    },
}

impl Why {
    /// The order of a customer's items in one group on one day.
    fn rank(&self) -> u8 {
        match self {
            Why::FollowUp(_) => 0,
            Why::Birthday { .. } => 1,
            Why::Anniversary { .. } => 2,
        }
    }
}

/// One line of the digest.
#[derive(Debug, Clone)]
pub(crate) struct DueItem<'a> {
    /// Its group.
    pub(crate) group: Group,
    /// The date it is due (or falls on).
    pub(crate) date: NaiveDate,
    /// The customer.
    pub(crate) customer: &'a Summary,
    /// Why.
    pub(crate) why: Why,
}

/// What to include in the digest.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AgendaOptions {
    /// The day of the report.
    pub(crate) today: NaiveDate,
    /// The last day of the look-ahead window (inclusive).
    pub(crate) until: NaiveDate,
    /// Include birthdays and anniversaries.
    pub(crate) occasions: bool,
    /// Only overdue follow-ups.
    pub(crate) overdue_only: bool,
}

/// The digest, grouped (overdue, due soon, occasions) and, inside each group, oldest
/// first with ties broken by id.
pub(crate) fn due<'a>(customers: &[&'a Summary], options: AgendaOptions) -> Vec<DueItem<'a>> {
    let today = options.today;
    // About one item per customer in a big book: reserved once, rather than grown by
    // doubling (which held the old and the new vector at once).
    let mut items = Vec::with_capacity(customers.len());
    for &customer in customers {
        if let Some(next) = customer.next_follow_up(today) {
            let group = if next.date < today {
                Group::Overdue
            } else {
                Group::DueSoon
            };
            let wanted = if options.overdue_only {
                group == Group::Overdue
            } else {
                next.date <= options.until
            };
            if wanted {
                items.push(DueItem {
                    group,
                    date: next.date,
                    customer,
                    why: Why::FollowUp(next),
                });
            }
        }
        if !options.occasions || options.overdue_only {
            continue;
        }
        if let Some(birthday) = customer.birthday {
            if let Some(date) = birthday
                .next_on_or_after(today)
                .filter(|d| *d <= options.until)
            {
                items.push(DueItem {
                    group: Group::Occasion,
                    date,
                    customer,
                    why: Why::Birthday {
                        age: birthday.age_on(date),
                    },
                });
            }
        }
        if let Some(since) = customer.since {
            let first = since
                .with_year(since.year() + 1)
                .or_else(|| super::date::anniversary_in(since, since.year() + 1));
            let from = first.map_or(today, |f| f.max(today));
            if let Some(date) =
                next_anniversary(since, from).filter(|d| *d <= options.until && *d > since)
            {
                items.push(DueItem {
                    group: Group::Occasion,
                    date,
                    customer,
                    why: Why::Anniversary {
                        years: date.year() - since.year(),
                    },
                });
            }
        }
    }
    // A total order (a customer has one follow-up, and a birthday comes before an
    // anniversary on the same day), so an unstable sort gives what a stable one
    // would, without its scratch copy of the items.
    items.sort_unstable_by(|a, b| {
        (a.group, a.date, &a.customer.id, a.why.rank()).cmp(&(
            b.group,
            b.date,
            &b.customer.id,
            b.why.rank(),
        ))
    });
    items
}

/// Customers not contacted since before `cutoff` (or never, when they became customers
/// before it), longest without contact first: the never-contacted first, those without
/// a `since` date, then by `since`, oldest first; the others by last contact; ties by
/// id. The date returned is the last contact, or `None` for never.
pub(crate) fn stale<'a>(
    customers: &[&'a Summary],
    cutoff: NaiveDate,
) -> Vec<(&'a Summary, Option<NaiveDate>)> {
    let mut found: Vec<(&Summary, Option<NaiveDate>)> = customers
        .iter()
        .filter_map(|&c| match c.last_contact {
            Some(last) if last < cutoff => Some((c, Some(last))),
            Some(_) => None,
            None if c.since.is_none_or(|since| since < cutoff) => Some((c, None)),
            None => None,
        })
        .collect();
    // `None` sorts first: never contacted before contacted, no `since` before a date.
    found.sort_by(|a, b| {
        (a.1, a.1.map_or(a.0.since, |_| None), &a.0.id).cmp(&(
            b.1,
            b.1.map_or(b.0.since, |_| None),
            &b.0.id,
        ))
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::customer::Customer;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn summary(id: &str, yaml: &str) -> Summary {
        let mut customer: Customer = serde_yaml::from_str(yaml).unwrap();
        customer.id = crate::domain::id::CustomerId::parse(id).unwrap();
        Summary::of(&customer)
    }

    fn options(today: &str, until: &str) -> AgendaOptions {
        AgendaOptions {
            today: d(today),
            until: d(until),
            occasions: true,
            overdue_only: false,
        }
    }

    #[test]
    fn groups_and_orders_the_digest() {
        let a = summary(
            "a",
            "name: A\nfollow_up: 30d\ninteractions:\n- {date: 2025-04-01, kind: call}\n",
        );
        let b = summary(
            "b",
            "name: B\ninteractions:\n- {date: 2025-06-10, kind: call, follow_up: 2025-06-18}\n",
        );
        let c = summary("c", "name: C\nbirthday: 1980-06-16\ninteractions:\n- {date: 2025-05-01, kind: call, follow_up: 2025-05-20}\n");
        let far = summary(
            "far",
            "name: F\ninteractions:\n- {date: 2025-06-10, kind: call, follow_up: 2025-07-30}\n",
        );
        let items = due(&[&c, &far, &b, &a], options("2025-06-15", "2025-06-22"));
        let got: Vec<(Group, &str, NaiveDate)> = items
            .iter()
            .map(|i| (i.group, i.customer.id.as_str(), i.date))
            .collect();
        assert_eq!(
            got,
            vec![
                (Group::Overdue, "a", d("2025-05-01")),
                (Group::Overdue, "c", d("2025-05-20")),
                (Group::DueSoon, "b", d("2025-06-18")),
                (Group::Occasion, "c", d("2025-06-16")),
            ]
        );
        assert_eq!(items[3].why, Why::Birthday { age: Some(45) });
    }

    #[test]
    fn overdue_only_drops_the_rest() {
        let b = summary("b", "name: B\nbirthday: 1980-06-16\ninteractions:\n- {date: 2025-06-10, kind: call, follow_up: 2025-06-14}\n- {date: 2025-06-10, kind: note, follow_up: 2025-06-15}\n");
        let mut opts = options("2025-06-15", "2025-06-22");
        opts.overdue_only = true;
        assert!(due(&[&b], opts).is_empty(), "due today is not overdue");
    }

    #[test]
    fn birthdays_across_the_year_end_and_on_leap_day() {
        let newyear = summary("n", "name: N\nbirthday: 1990-01-02\n");
        let leap = summary("l", "name: L\nbirthday: 2000-02-29\n");
        let items = due(&[&newyear], options("2025-12-30", "2026-01-05"));
        assert_eq!(items[0].date, d("2026-01-02"));
        assert_eq!(items[0].why, Why::Birthday { age: Some(36) });
        let items = due(&[&leap], options("2025-02-25", "2025-03-03"));
        assert_eq!(items[0].date, d("2025-02-28"));
        let items = due(&[&leap], options("2028-02-25", "2028-03-03"));
        assert_eq!(items[0].date, d("2028-02-29"));
    }

    #[test]
    fn anniversaries_skip_the_first_day() {
        let new = summary("n", "name: N\nsince: 2025-06-15\n");
        assert!(due(&[&new], options("2025-06-15", "2025-06-22")).is_empty());
        let old = summary("o", "name: O\nsince: 2023-06-20\n");
        let items = due(&[&old], options("2025-06-15", "2025-06-22"));
        assert_eq!(items[0].why, Why::Anniversary { years: 2 });
    }

    #[test]
    fn stale_lists_longest_without_contact_first() {
        let recent = summary(
            "r",
            "name: R\ninteractions:\n- {date: 2025-06-01, kind: call}\n",
        );
        let old = summary("o", "name: O\ninteractions:\n- {date: 2025-01-01, kind: call}\n- {date: 2025-06-01, kind: note}\n");
        let never = summary("n", "name: N\nsince: 2024-01-01\n");
        let new = summary("x", "name: X\nsince: 2025-06-10\n");
        let found = stale(&[&recent, &old, &never, &new], d("2025-03-17"));
        let ids: Vec<&str> = found.iter().map(|(c, _)| c.id.as_str()).collect();
        assert_eq!(ids, vec!["n", "o"]);
    }

    /// Audit finding: never-contacted customers came in id order, not by how long
    /// they have been customers.
    #[test]
    fn never_contacted_customers_are_ordered_by_since() {
        let a = summary("a", "name: A\nsince: 2024-05-01\n");
        let b = summary("b", "name: B\nsince: 2023-01-01\n");
        let c = summary("c", "name: C\n");
        let d2 = summary("d", "name: D\nsince: 2024-05-01\n");
        let found = stale(&[&a, &b, &c, &d2], d("2025-03-17"));
        let ids: Vec<&str> = found.iter().map(|(c, _)| c.id.as_str()).collect();
        assert_eq!(ids, vec!["c", "b", "a", "d"]);
    }
}
