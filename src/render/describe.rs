//! Short human descriptions of domain facts, shared by `show`, `list` and `due`.

use chrono::NaiveDate;

use crate::domain::followup::{Brief, NextFollowUp, Reason};

/// Why a follow-up is owed, in words: `promised on 2025-03-01 in a call about "X"` or
/// `cadence 30d since last contact 2025-03-03`.
pub fn reason(next: &NextFollowUp) -> String {
    match &next.reason {
        Reason::Promise(promise) => {
            let made = &promise.made_in;
            let verb = if made.kind == "snooze" {
                "snoozed"
            } else {
                "promised"
            };
            let about = match &made.summary {
                Some(summary) if made.kind != "snooze" => {
                    format!(" about \"{}\"", super::one_line(summary))
                }
                _ => String::new(),
            };
            let kind = if made.kind == "snooze" {
                String::new()
            } else {
                format!(" in {} {}", article(&made.kind), made.kind)
            };
            format!("{verb} on {}{kind}{about}", made.date)
        }
        Reason::Cadence {
            every,
            from: Some(from),
        } => {
            format!("cadence {every} since last contact {from}")
        }
        Reason::Cadence { every, from: None } => format!("cadence {every}, never contacted"),
    }
}

/// `overdue by 3 days`, `due today`, `due in 2 days`.
pub fn when(date: NaiveDate, today: NaiveDate) -> String {
    let days = (date - today).num_days();
    match days {
        0 => "due today".to_string(),
        d if d < 0 => format!("overdue by {} day{}", -d, plural(-d)),
        d => format!("due in {d} day{}", plural(d)),
    }
}

/// A one-line account of an interaction: `2025-03-01 call: Asked about the new model`.
pub fn brief(brief: &Brief) -> String {
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
pub fn plural(n: i64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
