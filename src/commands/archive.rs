//! `crm archive ID` / `crm unarchive ID`: mark a customer as archived (the field
//! `archived: DATE`, docs/format.md) or no longer. Archived customers are left out of
//! `list`, `due` and `stale` unless `--archived` is given, and still count in `stats`.

use std::io::Write;

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
}

/// Arguments of `crm unarchive`.
#[derive(Debug, clap::Args)]
pub struct UnarchiveArgs {
    /// The customer's id.
    #[arg(add = clap_complete::ArgValueCompleter::new(super::complete::ids))]
    pub id: String,
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
        writeln!(
            out,
            "{id} is already archived (on {since}); nothing changed"
        )?;
        return Ok(EXIT_OK);
    }
    book.change_field(
        &mut lock,
        &id,
        "archived",
        Some(&date.to_string()),
        ctx.today,
    )?;
    writeln!(out, "archived {id} on {date}")?;
    super::finish_write(ctx, &book, lock, &format!("archive {id}"), out)?;
    Ok(EXIT_OK)
}

/// Runs `crm unarchive`.
pub fn run_unarchive(ctx: &Context, args: &UnarchiveArgs, out: &mut crate::ui::Ui) -> Result<u8> {
    let book = ctx.book()?;
    let id = CustomerId::parse(&args.id)?;
    let mut lock = book.lock()?;
    let changed = book.change_field(&mut lock, &id, "archived", None, ctx.today)?;
    if changed.unchanged {
        writeln!(out, "{id} is not archived; nothing changed")?;
        return Ok(EXIT_OK);
    }
    writeln!(out, "unarchived {id}")?;
    super::finish_write(ctx, &book, lock, &format!("unarchive {id}"), out)?;
    Ok(EXIT_OK)
}
