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
    /// Highest expected value over the next 90 days first (`crm predict`'s CLV;
    /// customers without a prediction last).
    Value,
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
    /// Only customers whose P(alive) (see `crm predict`) is below P, e.g. 0.5.
    #[arg(long, value_name = "P")]
    pub(crate) at_risk: Option<f64>,
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
    /// With `--sort value` or `--at-risk`: P(alive) and the 90-day value.
    #[serde(skip_serializing_if = "Option::is_none")]
    p_alive: Option<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<Option<f64>>,
    /// When `crm archive` archived the customer (only with `--archived`).
    archived: Option<chrono::NaiveDate>,
}

pub(crate) fn run(ctx: &Context, args: &Args, out: &mut Ui) -> Result<u8> {
    let book = ctx.book()?;
    let scan = scan::summaries_of(&book, scan::core_parts(&book))?;
    super::warn_unknown_kinds(
        &book,
        out,
        scan.items.iter().map(|c| (c.id.as_str(), &*c.other_kinds)),
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
    let predictions = predictions(ctx, &book, &scan.items, args)?;
    if let Some(predicted) = &predictions {
        // Without a spend model (see `crm predict --params`) there is no value: the
        // expected purchases order the list instead, and a warning says so.
        let value = |c: &Summary| {
            predicted
                .get(&c.id)
                .map(|p| p.clv.unwrap_or(p.expected_purchases))
        };
        if args.sort == SortKey::Value && predicted.values().all(|p| p.clv.is_none()) {
            out.warn("the book's fit has no spend model (`crm predict --params` says why): sorted by expected purchases in 90 days instead");
        }
        if args.sort == SortKey::Value {
            // Stable: ties keep the name order of `sort`.
            customers.sort_by(|a, b| match (value(a), value(b)) {
                (Some(x), Some(y)) => y.total_cmp(&x),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            });
        }
        if let Some(limit) = args.at_risk {
            customers.retain(|c| predicted.get(&c.id).is_some_and(|p| p.p_alive < limit));
        }
    }
    let columns = Columns {
        loyalty: customers
            .first()
            .is_some_and(|c| loyalty.contains_key(&c.id)),
        predicted: predictions.is_some(),
    };
    // JSON and CSV are written row by row as they are made: a whole book's listing
    // is not held twice.
    let rows = customers.iter().map(|c| Row {
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
        p_alive: predictions
            .as_ref()
            .map(|p| p.get(&c.id).map(|p| p.p_alive)),
        value: predictions
            .as_ref()
            .map(|p| p.get(&c.id).and_then(|p| p.clv)),
        archived: c.archived,
    });
    match args.output.format {
        Format::Json => render::write_json_seq(out, rows)?,
        Format::Csv => render::write_csv_rows(
            out,
            &columns.headers(),
            rows.map(|row| columns.cells(&row, render::or_empty)),
        )?,
        Format::Table => {
            let mut table = Table::new(&columns.headers());
            for row in rows {
                table.push(columns.cells(&row, render::or_dash));
            }
            table.write_text(out, ctx.table_layout, ctx.color)?
        }
    }
    Ok(super::report_skipped(out, &scan.problems))
}

fn sort(customers: &mut [&Summary], key: SortKey) {
    match key {
        // The folded name is computed once per customer, not per comparison.
        // By name here for `value`; `run` then orders by the prediction, stably.
        SortKey::Name | SortKey::Value => {
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

/// Which columns a listing has beyond the first ten.
struct Columns {
    /// `points` and `tier` (books with a `[loyalty]` section).
    loyalty: bool,
    /// `p_alive` and `value_90d` (with `--sort value` or `--at-risk`).
    predicted: bool,
}

impl Columns {
    fn headers(&self) -> Vec<&'static str> {
        let mut headers = vec![
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
        ];
        if self.loyalty {
            headers.extend(["points", "tier"]);
        }
        if self.predicted {
            headers.extend(["p_alive", "value_90d"]);
        }
        headers
    }

    /// The cells of `row`, an empty one shown by `missing`.
    fn cells(&self, row: &Row, missing: fn(Option<String>) -> String) -> Vec<String> {
        let mut cells = vec![
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
        ];
        if self.loyalty {
            cells.push(row.points.unwrap_or(0).to_string());
            cells.push(missing(row.tier.clone().flatten()));
        }
        if self.predicted {
            cells.push(missing(row.p_alive.flatten().map(|p| format!("{p:.3}"))));
            cells.push(missing(row.value.flatten().map(|v| format!("{v:.2}"))));
        }
        cells
    }
}

/// With `--sort value` or `--at-risk`: each customer's prediction over the default
/// horizon, from the book's fit (made or refreshed here, as `crm predict` does).
fn predictions(
    ctx: &Context,
    book: &crate::store::Book,
    summaries: &[Summary],
    args: &Args,
) -> Result<Option<std::collections::HashMap<String, crate::domain::predict::Prediction>>> {
    use super::predict;
    if args.sort != SortKey::Value && args.at_risk.is_none() {
        return Ok(None);
    }
    if let Some(p) = args.at_risk {
        if !(0.0..=1.0).contains(&p) {
            return Err(
                crate::error::Error::usage(format!("--at-risk: {p} is not a probability"))
                    .with_hint("give a P(alive) between 0 and 1, e.g. --at-risk 0.5"),
            );
        }
    }
    let fit = predict::book_fit(book, summaries, ctx.today);
    let model = fit.model.as_ref().map_err(predict::refusal_error)?;
    let horizon = predict::horizon_days(predict::DEFAULT_HORIZON, ctx.today)?;
    Ok(Some(
        summaries
            .iter()
            .zip(&fit.rfms)
            .filter_map(|(s, rfm)| {
                Some((s.id.clone(), model.predict(rfm.as_ref()?, horizon, None)))
            })
            .collect(),
    ))
}
