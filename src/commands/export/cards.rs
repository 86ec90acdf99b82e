//! `crm export vcard` and `crm export calendar`: the book for phones, address books
//! and calendar apps. The cards and events are written by `crate::interop`.

use std::io::Write;

use super::{Args, What};
use crate::context::Context;
use crate::domain::customer::Customer;
use crate::domain::date::Cadence;
use crate::error::{Error, Result};
use crate::interop::calendar::{self, Event};
use crate::interop::uid::uuid;
use crate::interop::vcard::{self, CardData, Version};
use crate::render::describe;
use crate::store::{scan, Book};

/// Flags that belong to one kind of export are refused on the others, rather than
/// silently ignored.
pub(super) fn check_flags(args: &Args) -> Result<()> {
    let refuse = |flag: &str, what: &str| {
        Err(Error::usage(format!(
            "{flag} applies to `crm export {what}` only"
        )))
    };
    if args.vcard3 && args.what != What::Vcard {
        return refuse("--vcard3", "vcard");
    }
    if args.within.is_some() && args.what != What::Calendar {
        return refuse("--within", "calendar");
    }
    if args.format.is_some() && matches!(args.what, What::Vcard | What::Calendar) {
        return Err(Error::usage(
            "--format applies to `crm export customers|interactions`; vCard and iCalendar \
             have one format each",
        ));
    }
    Ok(())
}

/// The extra emails and phones a contacts import kept as preferences (`email 2`).
fn extra<'a>(c: &'a Customer, what: &str) -> Vec<&'a str> {
    let prefix = format!("{what} ");
    c.preferences
        .iter()
        .filter(|(k, _)| {
            k.strip_prefix(&prefix)
                .is_some_and(|n| n.parse::<u32>().is_ok())
        })
        .map(|(_, v)| v.as_str())
        .collect()
}

/// One card per customer, in id order.
pub(super) fn vcard(customers: &[Customer], v3: bool, out: &mut dyn Write) -> Result<()> {
    let version = if v3 { Version::V3 } else { Version::V4 };
    for c in customers {
        let data = CardData {
            id: c.id.as_str(),
            name: &c.name,
            emails: c
                .email
                .as_deref()
                .into_iter()
                .chain(extra(c, "email"))
                .collect(),
            phones: c
                .phone
                .as_deref()
                .into_iter()
                .chain(extra(c, "phone"))
                .collect(),
            company: c.company.as_deref(),
            tags: &c.tags,
            birthday: c.birthday,
        };
        out.write_all(vcard::card(&data, version).as_bytes())?;
    }
    Ok(())
}

/// Follow-ups as events on their day, birthdays and anniversaries as yearly events.
pub(super) fn calendar(
    ctx: &Context,
    book: &Book,
    args: &Args,
    out: &mut crate::ui::Ui,
) -> Result<u8> {
    let until = match &args.within {
        Some(text) => {
            let window =
                Cadence::parse_window(text).map_err(|m| Error::usage(format!("--within: {m}")))?;
            window.after(ctx.today)
        }
        None => None,
    };
    let scan = scan::summaries(book)?;
    let customers = super::super::with_tags(out, &scan.items, &args.tags);
    let mut events = Vec::new();
    for c in customers {
        if let Some(next) = c.next_follow_up(ctx.today) {
            if until.is_none_or(|u| next.date <= u) {
                events.push(Event {
                    uid: uuid(&format!("follow-up:{}", c.id)),
                    date: next.date,
                    yearly: false,
                    summary: format!("Follow up: {}", c.name),
                    description: Some(format!("{} ({})", describe::reason(&next), c.id)),
                    category: "follow-up",
                });
            }
        }
        if let Some(b) = c.birthday {
            // A year-less birthday starts in a leap year, so 29 February exists.
            let first = b
                .date()
                .or_else(|| chrono::NaiveDate::from_ymd_opt(2000, b.month(), b.day()));
            if let Some(first) = first {
                events.push(Event {
                    uid: uuid(&format!("birthday:{}", c.id)),
                    date: first,
                    yearly: true,
                    summary: format!("{}'s birthday", c.name),
                    description: b.year().map(|y| format!("born {y} ({})", c.id)),
                    category: "birthday",
                });
            }
        }
        if let Some(since) = c.since {
            let first =
                crate::domain::date::anniversary_in(since, chrono::Datelike::year(&since) + 1);
            if let Some(first) = first {
                // The first anniversary keeps the day: 29 February is still the rule's.
                let date = if first.format("%m-%d").to_string() == since.format("%m-%d").to_string()
                {
                    first
                } else {
                    since
                };
                events.push(Event {
                    uid: uuid(&format!("anniversary:{}", c.id)),
                    date,
                    yearly: true,
                    summary: format!("{}: customer anniversary", c.name),
                    description: Some(format!("customer since {since} ({})", c.id)),
                    category: "anniversary",
                });
            }
        }
    }
    out.write_all(calendar::calendar(&events, ctx.today).as_bytes())?;
    Ok(super::super::report_skipped(out, &scan.problems))
}
