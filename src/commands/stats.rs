//! `crm stats`: repeat purchases, retention, churn, revenue and satisfaction per
//! calendar period; `crm stats cohorts`: customers grouped by their first purchase.
//! Every figure is defined in `docs/metrics.md`.

use std::io::Write;

use chrono::NaiveDate;

use crate::context::Context;
use crate::domain::metrics::{self, Cohort, Options, Report};
use crate::domain::period::PeriodKind;
use crate::domain::summary::Event;
use crate::error::{Error, Result};
use crate::render::{self, Format, Table};
use crate::store::scan;
use crate::ui::Ui;

/// Arguments of `crm stats`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Another view of the same data.
    #[command(subcommand)]
    pub(crate) view: Option<View>,
    /// Only count events on or after DATE (default: the earliest event). Any date crm
    /// accepts: 2025-01-01, -3m, today, ...
    #[arg(long, value_name = "DATE", global = true, allow_hyphen_values = true)]
    pub(crate) from: Option<String>,
    /// Only count events on or before DATE (default: the latest event; after --from,
    /// the later of the latest event and today).
    #[arg(long, value_name = "DATE", global = true, allow_hyphen_values = true)]
    pub(crate) to: Option<String>,
    /// Length of the periods: month, quarter or year (default: `[stats] period` in
    /// crm.toml, else month).
    #[arg(long, value_name = "PERIOD", global = true)]
    pub(crate) period: Option<String>,
    /// Only customers with this tag; repeat to require several.
    #[arg(long = "tag", value_name = "TAG", global = true)]
    #[arg(add = clap_complete::ArgValueCompleter::new(super::complete::tags))]
    pub(crate) tags: Vec<String>,
    /// Output format (default: table). CSV has one row per period (or cohort cell).
    #[arg(long, value_enum, global = true)]
    pub(crate) format: Option<Format>,
}

/// Views of `crm stats` other than the default report.
#[derive(Debug, Clone, Copy, clap::Subcommand)]
pub(crate) enum View {
    /// Customers grouped by the period of their first purchase, and the share of each
    /// group that bought in every later period.
    Cohorts,
}

pub(crate) fn run(ctx: &Context, args: &Args, out: &mut Ui) -> Result<u8> {
    let book = ctx.book()?;
    let options = resolve(ctx, args, book.config.stats.period)?;
    let scan = scan::summaries_of(&book, scan::core_parts(&book))?;
    super::warn_unknown_kinds(
        &book,
        out,
        scan.items.iter().map(|c| (c.id.as_str(), &*c.other_kinds)),
    );
    let chosen = super::with_tags(out, &scan.items, &args.tags);
    let events: Vec<&[Event]> = chosen.iter().map(|c| &*c.events).collect();
    let format = args.format.unwrap_or(Format::Table);
    match args.view {
        None => write_report(ctx, &metrics::report(&events, &options), format, out)?,
        Some(View::Cohorts) => {
            write_cohorts(ctx, &metrics::cohorts(&events, &options), format, out)?
        }
    }
    Ok(super::report_skipped(out, &scan.problems))
}

fn resolve(ctx: &Context, args: &Args, default_period: PeriodKind) -> Result<Options> {
    let kind = match args.period.as_deref() {
        Some(text) => {
            PeriodKind::parse(text).map_err(|m| Error::usage(format!("--period: {m}")))?
        }
        None => default_period,
    };
    let date = |flag: &str, text: &Option<String>| -> Result<Option<NaiveDate>> {
        text.as_deref().map(|t| ctx.past_date(flag, t)).transpose()
    };
    let (from, to) = (date("--from", &args.from)?, date("--to", &args.to)?);
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            return Err(Error::usage(format!("--from {from} is after --to {to}"))
                .with_hint("swap the two dates"));
        }
    }
    Ok(Options {
        kind,
        from,
        to,
        today: ctx.today,
    })
}

fn write_report(ctx: &Context, report: &Report, format: Format, out: &mut dyn Write) -> Result<()> {
    match format {
        Format::Json => render::write_json(out, report),
        Format::Csv => periods_table(report, false).write_csv(out),
        Format::Table => {
            totals_table(report).write_text(out, ctx.table_layout, ctx.color)?;
            writeln!(out)?;
            periods_table(report, true).write_text(out, ctx.table_layout, ctx.color)?;
            if report.periods.iter().any(|p| p.partial) {
                writeln!(
                    out,
                    "{PARTIAL_MARK} the window cuts this period; its row counts the whole \
                     calendar period"
                )?;
            }
            Ok(())
        }
    }
}

fn totals_table(r: &Report) -> Table {
    let mut table = Table::new(&["figure", "value"]);
    let window = match (r.from, r.to) {
        (Some(from), Some(to)) => format!("{from} to {to}"),
        _ => "no data".to_string(),
    };
    let rows: [(&str, String); 16] = [
        ("window", window),
        ("customers", r.customers.to_string()),
        ("purchasing customers", r.purchasing_customers.to_string()),
        ("orders", r.orders.to_string()),
        ("revenue", r.revenue.to_string()),
        (
            "average order value",
            render::or_dash(r.average_order_value),
        ),
        ("purchase frequency", number(r.purchase_frequency)),
        (
            "repeat purchase rate (by day)",
            percent(r.repeat_purchase_rate),
        ),
        (
            "repeat purchase rate (by order)",
            percent(r.repeat_purchase_rate_by_order),
        ),
        ("ratings", r.ratings.to_string()),
        ("average rating", number(r.average_rating)),
        ("csat (ratings 4-5)", percent(r.csat)),
        ("complaints", r.complaints.to_string()),
        ("nps answers", r.nps_responses.to_string()),
        ("nps (9-10 minus 0-6)", score(r.nps)),
        ("periods", r.periods.len().to_string()),
    ];
    for (name, value) in rows {
        table.push(vec![name.to_string(), value]);
    }
    table
}

/// The per-period figures: for people (`human`: percentages, `-` for nothing, a
/// partial period marked after its label) or for scripts (fractions, empty cells, and
/// a `partial` column at the end, so that the columns before it keep their places).
fn periods_table(r: &Report, human: bool) -> Table {
    let rate: fn(Option<f64>) -> String = if human { percent } else { fraction };
    let missing: fn(Option<String>) -> String = if human {
        render::or_dash
    } else {
        render::or_empty
    };
    let mut headers = vec![
        "period",
        "start",
        "end",
        "active",
        "new",
        "returning",
        "retention_rate",
        "returning_rate",
        "churn_rate",
        "repeat_purchase_rate",
        "orders",
        "revenue",
        "ratings",
        "average_rating",
        "csat",
        "complaints",
    ];
    // In the CSV, NPS columns come after `partial` (so that the columns scripts read
    // keep their places), and only when the customers considered gave NPS answers:
    // books without NPS keep the file they always had.
    let nps_columns = human || r.nps_responses > 0 || r.periods.iter().any(|p| p.nps_responses > 0);
    if !human {
        headers.push("partial");
    }
    if nps_columns {
        headers.extend(["nps_answers", "nps"]);
    }
    let mut table = Table::new(&headers);
    for p in &r.periods {
        let label = if human && p.partial {
            format!("{}{PARTIAL_MARK}", p.period)
        } else {
            p.period.clone()
        };
        let mut row = vec![
            label,
            p.start.to_string(),
            p.end.to_string(),
            p.active.to_string(),
            p.new.to_string(),
            p.returning.to_string(),
            rate(p.retention_rate),
            rate(p.returning_rate),
            rate(p.churn_rate),
            rate(p.repeat_purchase_rate),
            p.orders.to_string(),
            p.revenue.to_string(),
            p.ratings.to_string(),
            missing(p.average_rating.map(|a| format!("{a:.2}"))),
            rate(p.csat),
            p.complaints.to_string(),
        ];
        if !human {
            row.push(p.partial.to_string());
        }
        if nps_columns {
            row.push(p.nps_responses.to_string());
            row.push(if human {
                score(p.nps)
            } else {
                p.nps.map_or_else(String::new, |n| format!("{n:.2}"))
            });
        }
        table.push(row);
    }
    table
}

/// Marks, in the table, a period the window cuts; explained under the table.
const PARTIAL_MARK: &str = "*";

fn write_cohorts(
    ctx: &Context,
    cohorts: &[Cohort],
    format: Format,
    out: &mut dyn Write,
) -> Result<()> {
    match format {
        Format::Json => render::write_json(out, cohorts),
        Format::Csv => {
            let mut table = Table::new(&[
                "cohort",
                "start",
                "customers",
                "period",
                "offset",
                "active",
                "rate",
            ]);
            for c in cohorts {
                // Offset 0 is the cohort's own period (everyone in it bought then), so
                // that every cohort and its size are in the file, even one with no later
                // period in the window.
                table.push(vec![
                    c.cohort.clone(),
                    c.start.to_string(),
                    c.customers.to_string(),
                    c.cohort.clone(),
                    "0".to_string(),
                    c.customers.to_string(),
                    fraction(metrics::ratio(c.customers, c.customers)),
                ]);
                for cell in &c.periods {
                    table.push(vec![
                        c.cohort.clone(),
                        c.start.to_string(),
                        c.customers.to_string(),
                        cell.period.clone(),
                        cell.offset.to_string(),
                        cell.active.to_string(),
                        fraction(cell.rate),
                    ]);
                }
            }
            table.write_csv(out)
        }
        Format::Table => {
            let width = cohorts.first().map_or(0, |c| c.periods.len());
            let offsets: Vec<String> = (1..=width).map(|i| format!("+{i}")).collect();
            let mut headers = vec!["cohort", "customers"];
            headers.extend(offsets.iter().map(String::as_str));
            let mut table = Table::new(&headers);
            for c in cohorts {
                let mut row = vec![c.cohort.clone(), c.customers.to_string()];
                row.extend(c.periods.iter().map(|cell| percent(cell.rate)));
                row.resize(headers.len(), String::new());
                table.push(row);
            }
            table.write_text(out, ctx.table_layout, ctx.color)
        }
    }
}

/// A rate for people: `33.3%`, or `-` when the denominator is empty.
fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "-".to_string(), |r| format!("{:.1}%", r * 100.0))
}

/// A rate for scripts: the fraction with four decimals, or empty.
fn fraction(rate: Option<f64>) -> String {
    rate.map_or_else(String::new, |r| format!("{r:.4}"))
}

/// An NPS for people: `14.3`, or `-` without answers.
fn score(nps: Option<f64>) -> String {
    nps.map_or_else(|| "-".to_string(), |n| format!("{n:.1}"))
}

fn number(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.2}"))
}
