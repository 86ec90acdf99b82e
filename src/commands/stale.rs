//! `crm stale [SINCE]`: customers not contacted for that long, longest first — the
//! people a cadence would have caught if one had been set.

use chrono::NaiveDate;
use serde::Serialize;

use super::flags::{ExitCode, OutputFormat, TagFilter};
use crate::context::Context;
use crate::domain::agenda;
use crate::domain::date::Cadence;
use crate::error::{Error, Result};
use crate::render::{self, describe, Format};
use crate::store::scan;
use crate::ui::Ui;

/// Arguments of `crm stale`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// How long without contact counts as stale (30d, 12w, 3m, 1y; 0d: not contacted
    /// today).
    #[arg(
        default_value = "90d",
        value_name = "SINCE",
        allow_hyphen_values = true
    )]
    pub(crate) since: String,
    #[command(flatten)]
    pub(crate) tag: TagFilter,
    #[command(flatten)]
    pub(crate) exit: ExitCode,
    #[command(flatten)]
    pub(crate) output: OutputFormat,
}

#[derive(Debug, Serialize)]
struct Row<'a> {
    id: &'a str,
    name: &'a str,
    last_contact: Option<NaiveDate>,
    days_since_contact: Option<i64>,
    phone: Option<&'a str>,
    email: Option<&'a str>,
    last_interaction: Option<String>,
}

pub(crate) fn run(ctx: &Context, args: &Args, out: &mut Ui) -> Result<u8> {
    let book = ctx.book()?;
    // SINCE is a span, not a cadence: `0d` is "not contacted today".
    let span =
        Cadence::parse_window(&args.since).map_err(|m| Error::usage(format!("SINCE: {m}")))?;
    let cutoff = span.shift(ctx.today, -1).unwrap_or(NaiveDate::MIN);
    let scan = scan::summaries_of(&book, scan::core_parts(&book))?;
    let customers = args.tag.select(out, &scan.items);
    let stale = agenda::stale(&customers, cutoff);
    // Rows are made as they are written, not held (twice for the plain table: once to
    // size its columns).
    let rows = || {
        stale.iter().map(|&(c, last)| Row {
            id: &c.id,
            name: &c.name,
            last_contact: last,
            days_since_contact: last.map(|l| (ctx.today - l).num_days()),
            phone: c.phone.as_deref(),
            email: c.email.as_deref(),
            last_interaction: c.last_interaction.as_ref().map(describe::brief),
        })
    };
    let missing = if args.output.format == Format::Csv {
        render::or_empty::<String>
    } else {
        render::or_dash::<String>
    };
    let cells = |row: Row| {
        vec![
            row.id.to_string(),
            row.name.to_string(),
            row.last_contact
                .map_or_else(|| "never".to_string(), |d| d.to_string()),
            missing(row.days_since_contact.map(|d| d.to_string())),
            missing(row.phone.map(str::to_string)),
            missing(row.email.map(str::to_string)),
            missing(row.last_interaction),
        ]
    };
    const HEADERS: [&str; 7] = [
        "id",
        "name",
        "last_contact",
        "days_since_contact",
        "phone",
        "email",
        "last_interaction",
    ];
    match args.output.format {
        Format::Json => render::write_json_seq(out, rows())?,
        Format::Table if stale.is_empty() => {}
        Format::Csv => render::write_csv_rows(out, &HEADERS, rows().map(cells))?,
        Format::Table => render::write_text_rows(
            out,
            &HEADERS,
            || rows().map(cells),
            ctx.table_layout,
            ctx.color,
        )?,
    }
    Ok(args.exit.of(out, &scan.problems, !stale.is_empty()))
}
