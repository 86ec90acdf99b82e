//! `crm due`: the morning digest of overdue follow-ups, follow-ups due soon, and
//! birthdays and anniversaries, made for cron: silent when nothing is due, one plain
//! line per item when piped, `--exit-code` to signal that something is due.

use std::io::Write;

use chrono::NaiveDate;
use serde::Serialize;

use crate::context::Context;
use crate::domain::agenda::{self, AgendaOptions, DueItem, Group, Why};
use crate::domain::date::Cadence;
use crate::domain::followup::Reason;
use crate::error::{Error, Result};
use crate::render::{self, describe, paint, Format, Style, Table};
use crate::store::scan;

/// Arguments of `crm due`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Look this far ahead (default: `[due] within` in crm.toml, else 7d; 0d: today only).
    #[arg(long, value_name = "SPAN", allow_hyphen_values = true)]
    pub(crate) within: Option<String>,
    /// Leave out birthdays and customer anniversaries.
    #[arg(long)]
    pub(crate) no_birthdays: bool,
    /// Only follow-ups whose date has passed.
    #[arg(long)]
    pub(crate) overdue_only: bool,
    /// Only customers with this tag; repeat to require several.
    #[arg(long = "tag", value_name = "TAG")]
    pub(crate) tags: Vec<String>,
    /// Exit with 1 when anything is due (like `git diff --exit-code`). A customer file
    /// that could not be read makes it 3 instead, even when something is due: the
    /// list may be incomplete.
    #[arg(long)]
    pub(crate) exit_code: bool,
    /// Output format (default: a table on a terminal, plain lines when piped).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
}

/// One item in JSON and CSV. The fields after `last_interaction` give the reason as
/// data (docs/follow-ups.md); new fields are only ever added at the end.
#[derive(Debug, Serialize)]
struct ItemJson<'a> {
    group: &'static str,
    date: NaiveDate,
    days: i64,
    what: &'static str,
    id: &'a str,
    name: &'a str,
    reason: String,
    phone: Option<&'a str>,
    email: Option<&'a str>,
    last_interaction: Option<String>,
    /// `promise`, `reminder`, `cadence`, `birthday` or `anniversary`.
    source: &'static str,
    /// The day the promise was made (promises only).
    promised_on: Option<NaiveDate>,
    /// The day a snooze last moved the follow-up, if one did.
    snoozed_on: Option<NaiveDate>,
    /// The customer's cadence, if any.
    every: Option<String>,
    /// The customer's last contact, if any.
    last_contact: Option<NaiveDate>,
}

pub(crate) fn run(ctx: &Context, args: &Args, out: &mut dyn Write) -> Result<u8> {
    let book = ctx.book()?;
    // A window may be zero (`0d`: today only), a cadence cannot.
    let window = match &args.within {
        Some(text) => {
            Cadence::parse_window(text).map_err(|m| Error::usage(format!("--within: {m}")))?
        }
        None => book.config.due.within,
    };
    let until = window.after(ctx.today).unwrap_or(NaiveDate::MAX);

    let scan = scan::summaries(&book)?;
    let customers = super::with_tags(&scan.items, &args.tags);
    let items = agenda::due(
        &customers,
        AgendaOptions {
            today: ctx.today,
            until,
            occasions: book.config.due.birthdays && !args.no_birthdays,
            overdue_only: args.overdue_only,
        },
    );
    let rows: Vec<ItemJson> = items.iter().map(|i| item_json(i, ctx.today)).collect();
    match args.format {
        Format::Json => render::write_json(out, &rows)?,
        Format::Csv => csv_table(&rows).write_csv(out)?,
        Format::Table if rows.is_empty() => {}
        Format::Table if ctx.stdout_is_tty => digest_table(&rows, ctx, out)?,
        Format::Table => digest_lines(&rows, ctx.today, ctx.color, out)?,
    }
    Ok(super::listing_exit_code(
        &scan.problems,
        args.exit_code,
        !rows.is_empty(),
    ))
}

fn item_json<'a>(item: &DueItem<'a>, today: NaiveDate) -> ItemJson<'a> {
    let c = item.customer;
    let (what, reason) = match &item.why {
        Why::FollowUp(next) => ("follow-up", describe::reason(next)),
        Why::Birthday { age: Some(age) } => ("birthday", format!("birthday (turns {age})")),
        Why::Birthday { age: None } => ("birthday", "birthday".to_string()),
        Why::Anniversary { years } => (
            "anniversary",
            format!(
                "{years} year{} as a customer",
                describe::plural(i64::from(*years))
            ),
        ),
    };
    let (source, promised_on, snoozed_on) = match &item.why {
        Why::FollowUp(next) => match &next.reason {
            Reason::Promise(p) => ("promise", Some(p.made_in.date), p.snoozed_on),
            Reason::Reminder(r) => ("reminder", None, r.snoozed_on),
            Reason::Cadence { snoozed_on, .. } => ("cadence", None, *snoozed_on),
        },
        Why::Birthday { .. } => ("birthday", None, None),
        Why::Anniversary { .. } => ("anniversary", None, None),
    };
    ItemJson {
        group: item.group.key(),
        date: item.date,
        days: (item.date - today).num_days(),
        what,
        id: &c.id,
        name: &c.name,
        reason,
        phone: c.phone.as_deref(),
        email: c.email.as_deref(),
        last_interaction: c.last_interaction.as_ref().map(describe::brief),
        source,
        promised_on,
        snoozed_on,
        every: c.every.map(|e| e.to_string()),
        last_contact: c.last_contact,
    }
}

/// `overdue by 3 days` for follow-ups; `today` / `in 3 days` for occasions.
fn when(row: &ItemJson, today: NaiveDate) -> String {
    match (row.group, row.days) {
        ("occasion", 0) => "today".to_string(),
        ("occasion", days) => format!("in {days} day{}", describe::plural(days)),
        _ => describe::when(row.date, today),
    }
}

fn heading(group: &str, count: usize) -> String {
    let title = match group {
        "overdue" => "Overdue",
        "due_soon" => "Due soon",
        _ => "Birthdays and anniversaries",
    };
    format!("{title} ({count})")
}

fn contact(row: &ItemJson) -> String {
    match (row.phone, row.email) {
        (Some(p), Some(e)) => format!("phone {p}, email {e}"),
        (Some(p), None) => format!("phone {p}"),
        (None, Some(e)) => format!("email {e}"),
        (None, None) => "no phone or email on file".to_string(),
    }
}

fn groups<'r, 'a>(rows: &'r [ItemJson<'a>]) -> Vec<(&'static str, Vec<&'r ItemJson<'a>>)> {
    let mut groups: Vec<(&'static str, Vec<&ItemJson>)> = Vec::new();
    for key in [
        Group::Overdue.key(),
        Group::DueSoon.key(),
        Group::Occasion.key(),
    ] {
        let members: Vec<&ItemJson> = rows.iter().filter(|r| r.group == key).collect();
        if !members.is_empty() {
            groups.push((key, members));
        }
    }
    groups
}

/// The colour of a group's heading, and of its items' "when" text.
fn group_style(group: &str) -> Style {
    match group {
        "overdue" => Style::Red,
        "due_soon" => Style::Yellow,
        _ => Style::Green,
    }
}

/// The cron format: a heading per group, then one line per item. Uncoloured unless
/// colour is on (`--color always` into a pipe, for `less -R`): then the headings and
/// the "overdue by" text are coloured as in the table.
fn digest_lines(
    rows: &[ItemJson],
    today: NaiveDate,
    color: bool,
    out: &mut dyn Write,
) -> Result<()> {
    for (n, (key, members)) in groups(rows).into_iter().enumerate() {
        if n > 0 {
            writeln!(out)?;
        }
        let style = group_style(key);
        writeln!(out, "{}", paint(&heading(key, members.len()), style, color))?;
        for row in members {
            // Text from customer files is made one-line and safe before the colour
            // codes are added, which `one_line` would otherwise blank out.
            let mut rest = format!(
                "  {} ({})  {}  {}",
                row.name,
                row.id,
                row.reason,
                contact(row)
            );
            if let Some(last) = &row.last_interaction {
                rest.push_str(&format!("  last: {last}"));
            }
            let when = when(row, today);
            let when = if key == "overdue" {
                paint(&when, style, color)
            } else {
                when
            };
            writeln!(out, "  {}  {when}{}", row.date, render::one_line(&rest))?;
        }
    }
    Ok(())
}

fn digest_table(rows: &[ItemJson], ctx: &Context, out: &mut dyn Write) -> Result<()> {
    for (n, (key, members)) in groups(rows).into_iter().enumerate() {
        if n > 0 {
            writeln!(out)?;
        }
        let style = group_style(key);
        writeln!(
            out,
            "{}",
            paint(&heading(key, members.len()), style, ctx.color)
        )?;
        let mut table = Table::new(&[
            "date",
            "when",
            "customer",
            "why",
            "contact",
            "last interaction",
        ]);
        for row in members {
            table.push(vec![
                row.date.to_string(),
                when(row, ctx.today),
                format!("{} ({})", row.name, row.id),
                row.reason.clone(),
                contact(row),
                render::or_dash(row.last_interaction.clone()),
            ]);
        }
        table.write_text(out, true, ctx.color)?;
    }
    Ok(())
}

fn csv_table(rows: &[ItemJson]) -> Table {
    let mut table = Table::new(&[
        "group",
        "date",
        "days",
        "what",
        "id",
        "name",
        "reason",
        "phone",
        "email",
        "last_interaction",
        "source",
        "promised_on",
        "snoozed_on",
        "every",
        "last_contact",
    ]);
    for row in rows {
        table.push(vec![
            row.group.to_string(),
            row.date.to_string(),
            row.days.to_string(),
            row.what.to_string(),
            row.id.to_string(),
            row.name.to_string(),
            row.reason.clone(),
            render::or_empty(row.phone),
            render::or_empty(row.email),
            render::or_empty(row.last_interaction.clone()),
            row.source.to_string(),
            render::or_empty(row.promised_on),
            render::or_empty(row.snoozed_on),
            render::or_empty(row.every.clone()),
            render::or_empty(row.last_contact),
        ]);
    }
    table
}
