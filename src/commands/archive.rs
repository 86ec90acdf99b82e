//! `crm archive ID` / `crm unarchive ID`: mark a customer as archived (the field
//! `archived: DATE`, docs/format.md) or no longer. Archived customers are left out of
//! `list`, `due` and `stale` unless `--archived` is given, and still count in `stats`.

use chrono::NaiveDate;
use serde::Serialize;

use super::flags::ChangeFormat;
use crate::context::Context;
use crate::domain::id::CustomerId;
use crate::error::{Result, EXIT_OK};

/// Arguments of `crm archive`.
#[derive(Debug, clap::Args)]
pub struct ArchiveArgs {
    /// The customer's id.
    #[arg(add = clap_complete::ArgValueCompleter::new(super::complete::ids))]
    pub id: String,
    /// The day it happened (default: today).
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub date: Option<String>,
    #[command(flatten)]
    pub(crate) output: ChangeFormat,
}

/// Arguments of `crm unarchive`.
#[derive(Debug, clap::Args)]
pub struct UnarchiveArgs {
    /// The customer's id.
    #[arg(add = clap_complete::ArgValueCompleter::new(super::complete::ids))]
    pub id: String,
    #[command(flatten)]
    pub(crate) output: ChangeFormat,
}

/// What `crm archive`/`unarchive --format json` prints.
#[derive(Debug, Serialize)]
struct Archived<'a> {
    id: &'a str,
    /// The day the customer is archived since (`null`: not archived).
    archived: Option<NaiveDate>,
    /// Whether the file was written.
    changed: bool,
}

/// Runs `crm archive`.
pub fn run_archive(ctx: &Context, args: &ArchiveArgs, out: &mut crate::ui::Ui) -> Result<u8> {
    let book = ctx.book()?;
    let id = CustomerId::parse(&args.id)?;
    let date = match &args.date {
        Some(d) => ctx.past_date("--date", d)?,
        None => ctx.today,
    };
    let mut lock = book.lock()?;
    if let Some(since) = book.load(&id)?.customer.archived {
        let json = Archived {
            id: id.as_str(),
            archived: Some(since),
            changed: false,
        };
        let text = format!("{id} is already archived (on {since}); nothing changed\n");
        args.output.write(out, &text, &json)?;
        return Ok(EXIT_OK);
    }
    book.change_field(
        &mut lock,
        &id,
        "archived",
        Some(&date.to_string()),
        ctx.today,
    )?;
    let json = Archived {
        id: id.as_str(),
        archived: Some(date),
        changed: true,
    };
    args.output
        .write(out, &format!("archived {id} on {date}\n"), &json)?;
    super::finish_write(ctx, &book, lock, &format!("archive {id}"), out)?;
    Ok(EXIT_OK)
}

/// Runs `crm unarchive`.
pub fn run_unarchive(ctx: &Context, args: &UnarchiveArgs, out: &mut crate::ui::Ui) -> Result<u8> {
    let book = ctx.book()?;
    let id = CustomerId::parse(&args.id)?;
    let mut lock = book.lock()?;
    let changed = book.change_field(&mut lock, &id, "archived", None, ctx.today)?;
    let json = Archived {
        id: id.as_str(),
        archived: None,
        changed: !changed.unchanged,
    };
    if changed.unchanged {
        let text = format!("{id} is not archived; nothing changed\n");
        args.output.write(out, &text, &json)?;
        return Ok(EXIT_OK);
    }
    args.output
        .write(out, &format!("unarchived {id}\n"), &json)?;
    super::finish_write(ctx, &book, lock, &format!("unarchive {id}"), out)?;
    Ok(EXIT_OK)
}
