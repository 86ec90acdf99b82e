//! `crm segments`: RFM segments of the purchasing customers — how many are in each,
//! their share and revenue — or, with `--customers`, each customer's scores. The rule is
//! docs/metrics.md's "Segments"; the scoring is `domain::segments`.

use chrono::NaiveDate;
use serde::Serialize;

use crate::context::Context;
use crate::domain::money::Money;
use crate::domain::segments::{self, Segment};
use crate::error::Result;
use crate::render::{self, Format, Table};
use crate::store::scan;

/// Arguments of `crm segments`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Score as of DATE (default: today): purchases after it are not counted, and
    /// recency is counted to it.
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub as_of: Option<String>,
    /// One row per purchasing customer with their scores, instead of one per segment.
    #[arg(long)]
    pub customers: bool,
    /// Only this segment's customers (implies --customers).
    #[arg(long, value_name = "SEGMENT")]
    pub segment: Option<String>,
    /// Output format (default: table).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// One customer's scores (`--customers`).
#[derive(Debug, Serialize)]
struct CustomerRow<'a> {
    id: &'a str,
    name: &'a str,
    segment: Segment,
    recency_days: i64,
    frequency: usize,
    monetary: Money,
    r: u8,
    f: u8,
    m: u8,
    fm: u8,
}

/// Runs `crm segments`.
pub(crate) fn run(ctx: &Context, args: &Args, out: &mut crate::ui::Ui) -> Result<u8> {
    let book = ctx.book()?;
    let as_of: NaiveDate = match &args.as_of {
        Some(text) => ctx.past_date("--as-of", text)?,
        None => ctx.today,
    };
    let only = args
        .segment
        .as_deref()
        .map(|s| super::programme::parse_segment("--segment", s))
        .transpose()?;
    let scan = scan::summaries(&book)?;
    let events: Vec<&[crate::domain::summary::Event]> =
        scan.items.iter().map(|c| &*c.events).collect();
    let scores = segments::score(&events, as_of);
    if args.customers || only.is_some() {
        let mut rows: Vec<CustomerRow> = scan
            .items
            .iter()
            .zip(&scores)
            .filter_map(|(c, s)| {
                let s = s.as_ref()?;
                Some(CustomerRow {
                    id: &c.id,
                    name: &c.name,
                    segment: s.segment,
                    recency_days: s.recency_days,
                    frequency: s.frequency,
                    monetary: s.monetary,
                    r: s.r,
                    f: s.f,
                    m: s.m,
                    fm: s.fm,
                })
            })
            .filter(|r| only.is_none_or(|o| r.segment == o))
            .collect();
        rows.sort_by(|a, b| (a.segment, a.id).cmp(&(b.segment, b.id)));
        match args.format {
            Format::Json => render::write_json(out, &rows)?,
            Format::Csv => customer_table(&rows).write_csv(out)?,
            Format::Table => customer_table(&rows).write_text(out, ctx.table_layout, ctx.color)?,
        }
    } else {
        let rows = segments::table(&scores);
        match args.format {
            Format::Json => render::write_json(out, &rows)?,
            Format::Csv => {
                let fraction = |s: Option<f64>| s.map_or_else(String::new, |s| format!("{s:.4}"));
                segment_table(&rows, fraction).write_csv(out)?
            }
            Format::Table => {
                let percent = |s: Option<f64>| {
                    s.map_or_else(|| "-".to_string(), |s| format!("{:.1}%", s * 100.0))
                };
                segment_table(&rows, percent).write_text(out, ctx.table_layout, ctx.color)?
            }
        }
    }
    Ok(super::report_skipped(out, &scan.problems))
}

fn segment_table(rows: &[segments::SegmentRow], share: impl Fn(Option<f64>) -> String) -> Table {
    let mut table = Table::new(&["segment", "customers", "share", "revenue"]);
    for row in rows {
        table.push(vec![
            row.segment.slug().to_string(),
            row.customers.to_string(),
            share(row.share),
            row.revenue.to_string(),
        ]);
    }
    table
}

fn customer_table(rows: &[CustomerRow]) -> Table {
    let mut table = Table::new(&[
        "id",
        "name",
        "segment",
        "recency_days",
        "frequency",
        "monetary",
        "r",
        "f",
        "m",
        "fm",
    ]);
    for row in rows {
        table.push(vec![
            row.id.to_string(),
            row.name.to_string(),
            row.segment.slug().to_string(),
            row.recency_days.to_string(),
            row.frequency.to_string(),
            row.monetary.to_string(),
            row.r.to_string(),
            row.f.to_string(),
            row.m.to_string(),
            row.fm.to_string(),
        ]);
    }
    table
}
