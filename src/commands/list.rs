//! `crm list`: every customer, filtered by tag and sorted, as a table, JSON or CSV.

use clap::ValueEnum;
use serde::Serialize;

use super::flags::{OutputFormat, TagFilter};
use crate::context::Context;
use crate::domain::money::Money;
use crate::domain::summary::Summary;
use crate::error::Result;
use crate::render::{self, Format, Table};
use crate::store::scan;
use crate::ui::Ui;

/// Sort orders of `crm list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SortKey {
    /// By name, A to Z.
    Name,
    /// Longest without contact first (never contacted at the top).
    LastContact,
    /// Highest revenue first.
    Revenue,
    /// Most loyalty points first (books with a `[loyalty]` section).
    Points,
}

/// Arguments of `crm list`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) tag: TagFilter,
    /// Only customers holding this loyalty tier (`[loyalty] tiers` in crm.toml).
    #[arg(long, value_name = "TIER")]
    pub(crate) tier: Option<String>,
    /// Only customers in this RFM segment today (see `crm segments`), e.g. at-risk.
    #[arg(long, value_name = "SEGMENT")]
    pub(crate) segment: Option<String>,
    /// Sort order (ties are broken by id).
    #[arg(long, value_enum, default_value_t = SortKey::Name)]
    pub(crate) sort: SortKey,
    #[command(flatten)]
    pub(crate) output: OutputFormat,
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
    /// Only in books with a `[loyalty]` section.
    #[serde(skip_serializing_if = "Option::is_none")]
    points: Option<i64>,
    /// Only in books with a `[loyalty]` section (`null`: no tier).
    #[serde(skip_serializing_if = "Option::is_none")]
    tier: Option<Option<String>>,
    /// When `crm archive` archived the customer (only with `--archived`).
    archived: Option<chrono::NaiveDate>,
}

pub(crate) fn run(ctx: &Context, args: &Args, out: &mut Ui) -> Result<u8> {
    let book = ctx.book()?;
    let scan = scan::summaries(&book)?;
    super::warn_unknown_kinds(
        &book,
        out,
        scan.items
            .iter()
            .map(|c| (c.id.as_str(), c.kinds.as_slice())),
    );
    let mut customers = args.tag.select(out, &scan.items);
    let loyalty = super::programme::filter_and_sort(
        &book.config,
        &scan.items,
        &mut customers,
        super::programme::ListChoice {
            tier: args.tier.as_deref(),
            segment: args.segment.as_deref(),
            by_points: args.sort == SortKey::Points,
        },
        ctx.today,
    )?;
    if args.sort != SortKey::Points {
        sort(&mut customers, args.sort);
    }
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
            points: loyalty.get(&c.id).map(|v| v.points),
            tier: loyalty.get(&c.id).map(|v| v.tier.clone()),
            archived: c.archived,
        })
        .collect();
    match args.output.format {
        Format::Json => render::write_json(out, &rows)?,
        Format::Csv => table(&rows, render::or_empty).write_csv(out)?,
        Format::Table => {
            table(&rows, render::or_dash).write_text(out, ctx.stdout_is_tty, ctx.color)?
        }
    }
    Ok(super::report_skipped(out, &scan.problems))
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
        // Sorted with the accounts, in `programme::filter_and_sort`.
        SortKey::Points => {}
    }
}

fn table(rows: &[Row], missing: fn(Option<String>) -> String) -> Table {
    let mut table = table_without_loyalty(rows, missing);
    if rows.first().is_some_and(|r| r.points.is_some()) {
        table
            .headers
            .extend(["points".to_string(), "tier".to_string()]);
        for (row, cells) in rows.iter().zip(&mut table.rows) {
            cells.push(row.points.unwrap_or(0).to_string());
            cells.push(missing(row.tier.clone().flatten()));
        }
    }
    table
}

fn table_without_loyalty(rows: &[Row], missing: fn(Option<String>) -> String) -> Table {
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
