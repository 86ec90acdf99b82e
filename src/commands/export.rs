//! `crm export customers|interactions`: the book as CSV or JSON, in the shape that
//! `crm import customers` and `crm import interactions` read back (docs/import.md).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use chrono::NaiveDate;
use clap::ValueEnum;
use serde::Serialize;

use crate::context::Context;
use crate::domain::customer::Customer;
use crate::domain::money::Money;
use crate::error::Result;
use crate::render::{self, Table};
use crate::store::scan;
use crate::ui::Ui;

mod cards;

/// What `crm export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum What {
    /// One row per customer: id, name, contact details, tags, dates, cadence, preferences.
    Customers,
    /// One row per logged interaction, oldest first; each customer's in file order.
    Interactions,
    /// A vCard file (4.0; 3.0 with --vcard3) for phones and address books.
    Vcard,
    /// An iCalendar file: follow-ups on their day, birthdays and anniversaries yearly.
    Calendar,
}

/// Formats of `crm export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportFormat {
    /// CSV with a header row (what `crm import` reads).
    Csv,
    /// JSON: one array of objects.
    Json,
}

/// Arguments of `crm export`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// What to export.
    #[arg(value_enum)]
    pub(crate) what: What,
    /// Output format of `customers` and `interactions` (default csv).
    #[arg(long, value_enum)]
    pub(crate) format: Option<ExportFormat>,
    /// Only customers with this tag (repeat for several: all must match).
    #[arg(long = "tag", value_name = "TAG")]
    pub(crate) tags: Vec<String>,
    /// `vcard`: write vCard 3.0 instead of 4.0, for older phones and programs.
    #[arg(long)]
    pub(crate) vcard3: bool,
    /// `calendar`: only follow-ups due within this window (e.g. 90d; overdue ones
    /// included); yearly events are always written.
    #[arg(long, value_name = "WINDOW")]
    pub(crate) within: Option<String>,
    /// CSV cells exactly as in the book: without it, a text cell that starts with `=`,
    /// `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so that a
    /// spreadsheet never runs it as a formula (`crm import` takes the `'` off again).
    #[arg(long)]
    pub(crate) raw: bool,
}

#[derive(Debug, Serialize)]
struct CustomerRow {
    id: String,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    company: Option<String>,
    tags: Vec<String>,
    birthday: Option<crate::domain::birthday::Birthday>,
    since: Option<NaiveDate>,
    every: Option<String>,
    preferences: Vec<(String, String)>,
}

#[derive(Debug, Serialize)]
struct InteractionRow {
    customer: String,
    date: NaiveDate,
    kind: String,
    amount: Option<Money>,
    items: Vec<String>,
    rating: Option<u8>,
    summary: Option<String>,
    channel: Option<String>,
    follow_up: Option<NaiveDate>,
    /// NPS score (feedback); only when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    nps: Option<u8>,
    /// Points a `redeem` spends; only when there are some.
    #[serde(skip_serializing_if = "Option::is_none")]
    points: Option<u32>,
}

/// Runs `crm export`.
pub(crate) fn run(ctx: &Context, args: &Args, out: &mut Ui) -> Result<u8> {
    cards::check_flags(args)?;
    let book = ctx.book()?;
    if args.what == What::Calendar {
        return cards::calendar(ctx, &book, args, out);
    }
    let mut scan = scan::scan_with(&book, |loaded, _| loaded.customer)?;
    scan.items.retain(|c| {
        args.tags
            .iter()
            .all(|t| c.tags.iter().any(|has| has.eq_ignore_ascii_case(t)))
    });
    let format = args.format.unwrap_or(ExportFormat::Csv);
    match args.what {
        What::Vcard => cards::vcard(&scan.items, args.vcard3, out)?,
        What::Calendar => unreachable!("written above"),
        What::Customers => {
            let rows: Vec<CustomerRow> = scan.items.iter().map(customer_row).collect();
            match format {
                ExportFormat::Json => render::write_json(out, &rows)?,
                ExportFormat::Csv => csv(&customers_table(&rows), args.raw, out)?,
            }
        }
        What::Interactions => {
            let rows = interaction_rows(&scan.items);
            match format {
                ExportFormat::Json => render::write_json(out, &rows)?,
                ExportFormat::Csv => csv(&interactions_table(&rows), args.raw, out)?,
            }
        }
    }
    Ok(super::report_skipped(out, &scan.problems))
}

fn csv(table: &Table, raw: bool, out: &mut dyn std::io::Write) -> Result<()> {
    if raw {
        table.write_csv(out)
    } else {
        table.write_csv_for_spreadsheets(out)
    }
}

fn customer_row(c: &Customer) -> CustomerRow {
    CustomerRow {
        id: c.id.to_string(),
        name: c.name.clone(),
        email: c.email.clone(),
        phone: c.phone.clone(),
        company: c.company.clone(),
        tags: c.tags.clone(),
        birthday: c.birthday,
        since: c.since,
        every: c.follow_up.every.map(|e| e.to_string()),
        preferences: c.preferences.clone(),
    }
}

/// Every interaction of every customer: each customer's in the order of their file,
/// merged across customers by date, then customer id.
///
/// File order, not date order, because the follow-up rule reads a customer's log in
/// the order it was written (docs/follow-ups.md): a `done` dated before the promise it
/// closes but written after it must stay after it, or the promise reopens in a book
/// imported from this export. For files in date order (the usual case) this is plain
/// date order, same-day entries in file order.
fn interaction_rows(customers: &[Customer]) -> Vec<InteractionRow> {
    // Customers come in id order, so their index breaks date ties by id.
    let mut next: BinaryHeap<Reverse<(NaiveDate, usize, usize)>> = customers
        .iter()
        .enumerate()
        .filter_map(|(c, customer)| {
            let first = customer.interactions.first()?;
            Some(Reverse((first.date, c, 0)))
        })
        .collect();
    let mut rows = Vec::with_capacity(customers.iter().map(|c| c.interactions.len()).sum());
    while let Some(Reverse((_, c, n))) = next.pop() {
        let customer = &customers[c];
        let i = &customer.interactions[n];
        rows.push(InteractionRow {
            customer: customer.id.to_string(),
            date: i.date,
            kind: i.kind.name().to_string(),
            amount: i.amount,
            items: i.items.clone(),
            rating: i.rating,
            summary: i.summary.clone(),
            channel: i.channel.clone(),
            follow_up: i.follow_up,
            nps: i.nps,
            points: i.points,
        });
        if let Some(following) = customer.interactions.get(n + 1) {
            next.push(Reverse((following.date, c, n + 1)));
        }
    }
    rows
}

fn customers_table(rows: &[CustomerRow]) -> Table {
    let mut table = Table::new(&[
        "id",
        "name",
        "email",
        "phone",
        "company",
        "tags",
        "birthday",
        "since",
        "every",
        "preferences",
    ]);
    for r in rows {
        let preferences: Vec<String> = r
            .preferences
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    render::escape_cell_item(k, &[';', '=']),
                    render::escape_cell_item(v, &[';'])
                )
            })
            .collect();
        table.push(vec![
            r.id.clone(),
            r.name.clone(),
            render::or_empty(r.email.as_ref()),
            render::or_empty(r.phone.as_ref()),
            render::or_empty(r.company.as_ref()),
            join_items(&r.tags),
            render::or_empty(r.birthday),
            render::or_empty(r.since),
            render::or_empty(r.every.as_ref()),
            preferences.join(";"),
        ]);
    }
    table
}

fn interactions_table(rows: &[InteractionRow]) -> Table {
    let mut table = Table::new(&[
        "customer",
        "date",
        "kind",
        "amount",
        "items",
        "rating",
        "summary",
        "channel",
        "follow_up",
    ]);
    // `nps` and `points` columns only when some entry has one, so that books without
    // NPS or redemptions export the file they always did.
    let nps = rows.iter().any(|r| r.nps.is_some());
    let points = rows.iter().any(|r| r.points.is_some());
    if nps {
        table.headers.push("nps".to_string());
    }
    if points {
        table.headers.push("points".to_string());
    }
    for r in rows {
        let mut extra = Vec::new();
        if nps {
            extra.push(render::or_empty(r.nps));
        }
        if points {
            extra.push(render::or_empty(r.points));
        }
        table.push(vec![
            r.customer.clone(),
            r.date.to_string(),
            r.kind.clone(),
            render::or_empty(r.amount),
            join_items(&r.items),
            render::or_empty(r.rating),
            render::or_empty(r.summary.as_ref()),
            render::or_empty(r.channel.as_ref()),
            render::or_empty(r.follow_up),
        ]);
        if let Some(cells) = table.rows.last_mut() {
            cells.extend(extra);
        }
    }
    table
}

/// A list packed into one CSV cell, `;`-separated with `;` and `\` in items escaped, as
/// `crm import` reads it back.
fn join_items(items: &[String]) -> String {
    items
        .iter()
        .map(|item| render::escape_cell_item(item, &[';']))
        .collect::<Vec<_>>()
        .join(";")
}
