//! `crm find QUERY`: customers matching a query over names, contact details, tags,
//! preferences and interaction summaries, best first, each with what matched.

use serde::Serialize;

use super::flags::OutputFormat;
use crate::context::Context;
use crate::domain::search::{self, Match, Query, SearchField};
use crate::error::{Error, Result};
use crate::render::{self, Format, Table};
use crate::store::scan;

/// Arguments of `crm find`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to look for: case and accents do not matter; a number finds phones by
    /// their digits (`7946` finds `+44 20 7946 0000`).
    pub query: String,
    /// Search only this field; repeat for several (default: all).
    #[arg(long = "field", value_enum, value_name = "FIELD")]
    pub fields: Vec<SearchField>,
    #[command(flatten)]
    pub(crate) output: OutputFormat,
}

#[derive(Debug, Serialize)]
struct Row<'a> {
    id: &'a str,
    name: &'a str,
    score: u32,
    matches: &'a [Match],
    archived: Option<chrono::NaiveDate>,
}

/// Runs `crm find`.
pub fn run(ctx: &Context, args: &Args, out: &mut crate::ui::Ui) -> Result<u8> {
    let query = Query::new(&args.query).ok_or_else(|| {
        Error::usage("the query is empty").with_hint("e.g. crm find ada, crm find 7946")
    })?;
    let book = ctx.book()?;
    // Only the customers that match are kept from the read (a few of a big book's).
    let scan = scan::summaries_where(&book, &search::matcher(&query, &args.fields))?;
    let hits = search::find(&scan.items, &query, &args.fields);
    let rows: Vec<Row> = hits
        .iter()
        .map(|h| Row {
            id: &h.customer.id,
            name: &h.customer.name,
            score: h.score,
            matches: &h.matches,
            archived: h.customer.archived,
        })
        .collect();
    match args.output.format {
        Format::Json => render::write_json(out, &rows)?,
        Format::Csv => table(&rows).write_csv(out)?,
        Format::Table if rows.is_empty() => {}
        Format::Table => table(&rows).write_text(out, ctx.table_layout, ctx.color)?,
    }
    if rows.is_empty() && args.output.format == Format::Table {
        out.warn(&format!("no customer matches {:?}", args.query));
    }
    Ok(super::report_skipped(out, &scan.problems))
}

fn table(rows: &[Row]) -> Table {
    let mut table = Table::new(&["id", "name", "matched"]);
    for row in rows {
        let matched: Vec<String> = row
            .matches
            .iter()
            .map(|m| format!("{}: {}", field_name(m.field), render::one_line(&m.value)))
            .collect();
        table.push(vec![
            row.id.to_string(),
            row.name.to_string(),
            matched.join("; "),
        ]);
    }
    table
}

fn field_name(field: SearchField) -> &'static str {
    match field {
        SearchField::Name => "name",
        SearchField::Email => "email",
        SearchField::Phone => "phone",
        SearchField::Company => "company",
        SearchField::Tag => "tag",
        SearchField::Pref => "pref",
        SearchField::Summary => "summary",
    }
}

/// `--field`'s values: written here rather than derived in `domain/search.rs`, which
/// knows nothing of clap (docs/design.md, "Map of the code"). The help texts are those
/// `--help` showed when the enum derived `clap::ValueEnum`.
impl clap::ValueEnum for SearchField {
    fn value_variants<'a>() -> &'a [Self] {
        &SearchField::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let help = match self {
            SearchField::Name => "The name (and the id)",
            SearchField::Email => "The email address",
            SearchField::Phone => "The phone number (digits only when the query is a number)",
            SearchField::Company => "The company",
            SearchField::Tag => "The tags",
            SearchField::Pref => "The preferences, keys and values",
            SearchField::Summary => "The interactions' summaries",
        };
        Some(clap::builder::PossibleValue::new(field_name(*self)).help(help))
    }
}
