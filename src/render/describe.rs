//! Short human descriptions of domain facts, shared by `show`, `list` and `due`.

use chrono::NaiveDate;

use crate::domain::followup::{Brief, NextFollowUp, Reason};

/// Why a follow-up is owed, in words: `promised on 2025-03-01 in a call about "X"`,
/// `cadence 30d since last contact 2025-03-03`, `reminder set on 2025-06-02`; a snooze
/// adds `; snoozed on DATE` without losing what the follow-up is about.
pub(crate) fn reason(next: &NextFollowUp) -> String {
    match &next.reason {
        Reason::Promise(promise) => {
            let made = &promise.made_in;
            let about = match &made.summary {
                Some(summary) => format!(" about \"{}\"", super::one_line(summary)),
                None => String::new(),
            };
            let mut text = format!(
                "promised on {} in {} {}{about}",
                made.date,
                article(made.kind.name()),
                made.kind
            );
            push_snoozed(&mut text, promise.snoozed_on);
            text
        }
        Reason::Cadence {
            every,
            from,
            snoozed_on,
        } => {
            let mut text = match from {
                Some(from) => format!("cadence {every} since last contact {from}"),
                None => format!("cadence {every}, never contacted"),
            };
            push_snoozed(&mut text, *snoozed_on);
            text
        }
        Reason::Reminder(reminder) => {
            let set = reminder.made_in.date;
            let mut text = format!("reminder set on {set}");
            push_snoozed(&mut text, reminder.snoozed_on.filter(|d| *d != set));
            text
        }
    }
}

fn push_snoozed(text: &mut String, snoozed_on: Option<NaiveDate>) {
    if let Some(date) = snoozed_on {
        text.push_str(&format!("; snoozed on {date}"));
    }
}

/// `overdue by 3 days`, `due today`, `due in 2 days`.
pub(crate) fn when(date: NaiveDate, today: NaiveDate) -> String {
    let days = (date - today).num_days();
    match days {
        0 => "due today".to_string(),
        d if d < 0 => format!("overdue by {} day{}", -d, plural(-d)),
        d => format!("due in {d} day{}", plural(d)),
    }
}

/// A one-line account of an interaction: `2025-03-01 call: Asked about the new model`.
pub(crate) fn brief(brief: &Brief) -> String {
    match &brief.summary {
        Some(summary) => format!(
            "{} {}: {}",
            brief.date,
            brief.kind,
            super::one_line(summary)
        ),
        None => format!("{} {}", brief.date, brief.kind),
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// `s` unless `n` is one.
pub(crate) fn plural(n: i64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
