//! `crm list`: every customer, filtered by tag and sorted, as a table, JSON or CSV.

use std::io::Write;

use clap::ValueEnum;
use serde::Serialize;

use crate::context::Context;
use crate::domain::money::Money;
use crate::domain::summary::Summary;
use crate::error::Result;
use crate::render::{self, Format, Table};
use crate::store::scan;

/// Sort orders of `crm list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SortKey {
    /// By name, A to Z.
    Name,
    /// Longest without contact first (never contacted at the top).
    LastContact,
    /// Highest revenue first.
    Revenue,
}

/// Arguments of `crm list`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Only customers with this tag; repeat to require several.
    #[arg(long = "tag", value_name = "TAG")]
    pub(crate) tags: Vec<String>,
    /// Sort order (ties are broken by id).
    #[arg(long, value_enum, default_value_t = SortKey::Name)]
    pub(crate) sort: SortKey,
    /// Output format (default: table).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
}

#[derive(Debug, Serialize)]
struct Row<'a> {
    id: &'a str,
    name: &'a str,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    company: Option<&'a str>,
    tags: &'a [String],
    last_contact: Option<chrono::NaiveDate>,
    next_follow_up: Option<chrono::NaiveDate>,
    purchases: usize,
    revenue: Money,
}

pub(crate) fn run(ctx: &Context, args: &Args, out: &mut dyn Write) -> Result<u8> {
    let book = ctx.book()?;
    let scan = scan::summaries(&book)?;
    super::warn_unknown_kinds(
        &book,
        scan.items
            .iter()
            .map(|c| (c.id.as_str(), c.kinds.as_slice())),
    );
    let mut customers = super::with_tags(&scan.items, &args.tags);
    sort(&mut customers, args.sort);
    let rows: Vec<Row> = customers
        .iter()
        .map(|c| Row {
            id: &c.id,
            name: &c.name,
            email: c.email.as_deref(),
            phone: c.phone.as_deref(),
            company: c.company.as_deref(),
            tags: &c.tags,
            last_contact: c.last_contact,
            next_follow_up: c.next_follow_up(ctx.today).map(|n| n.date),
            purchases: c.purchases(),
            revenue: c.revenue(),
        })
        .collect();
    match args.format {
        Format::Json => render::write_json(out, &rows)?,
        Format::Csv => table(&rows, render::or_empty).write_csv(out)?,
        Format::Table => {
            table(&rows, render::or_dash).write_text(out, ctx.stdout_is_tty, ctx.color)?
        }
    }
    Ok(super::report_skipped(&scan.problems))
}

fn sort(customers: &mut [&Summary], key: SortKey) {
    match key {
        // The folded name is computed once per customer, not per comparison.
        SortKey::Name => {
            customers.sort_by_cached_key(|c| (render::name_sort_key(&c.name), c.id.clone()));
        }
        SortKey::LastContact => customers.sort_by(|a, b| {
            a.last_contact
                .cmp(&b.last_contact)
                .then_with(|| a.id.cmp(&b.id))
        }),
        SortKey::Revenue => {
            customers.sort_by(|a, b| b.revenue().cmp(&a.revenue()).then_with(|| a.id.cmp(&b.id)))
        }
    }
}

fn table(rows: &[Row], missing: fn(Option<String>) -> String) -> Table {
    let mut table = Table::new(&[
        "id",
        "name",
        "email",
        "phone",
        "company",
        "tags",
        "last_contact",
        "next_follow_up",
        "purchases",
        "revenue",
    ]);
    for row in rows {
        table.push(vec![
            row.id.to_string(),
            row.name.to_string(),
            missing(row.email.map(str::to_string)),
            missing(row.phone.map(str::to_string)),
            missing(row.company.map(str::to_string)),
            // No tags is `-` in a table like every other empty cell (a blank cell would
            // shift the columns for `awk` and `cut`), and empty in CSV.
            missing((!row.tags.is_empty()).then(|| row.tags.join(";"))),
            missing(row.last_contact.map(|d| d.to_string())),
            missing(row.next_follow_up.map(|d| d.to_string())),
            row.purchases.to_string(),
            row.revenue.to_string(),
        ]);
    }
    table
}
