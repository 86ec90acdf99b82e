//! `crm done ID` and `crm snooze ID WHEN`: close or move the pending follow-up. Both
//! append an entry (`kind: done` / `kind: snooze`) so the file shows what happened.

use std::io::Write;

use crate::context::Context;
use crate::domain::id::CustomerId;
use crate::domain::interaction::{Interaction, Kind};
use crate::domain::summary::Summary;
use crate::error::{Error, ErrorKind, Result, EXIT_OK};
use crate::render::describe;

/// Arguments of `crm done`.
#[derive(Debug, clap::Args)]
pub struct DoneArgs {
    /// The customer's id.
    pub id: String,
    /// What was done, kept as the entry's summary.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// When it was done (default: today).
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub date: Option<String>,
}

/// Arguments of `crm snooze`.
#[derive(Debug, clap::Args)]
pub struct SnoozeArgs {
    /// The customer's id.
    pub id: String,
    /// The new date: YYYY-MM-DD, +3d, +1w, friday, ...
    pub when: String,
    /// Why it moved, kept in the entry's summary.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
}

/// Runs `crm done`.
pub fn run_done(ctx: &Context, args: &DoneArgs, out: &mut dyn Write) -> Result<u8> {
    let book = ctx.book()?;
    let id = CustomerId::parse(&args.id)?;
    let date = args
        .date
        .as_deref()
        .map_or(Ok(ctx.today), |d| ctx.date("--date", d))?;
    let mut lock = book.lock()?;
    let loaded = book.load(&id)?;
    let Some(next) = Summary::of(&loaded.customer).next_follow_up(ctx.today) else {
        return Err(Error::new(
            ErrorKind::NotFound,
            format!("`{id}` has no pending follow-up"),
        )
        .with_hint(format!(
            "log the contact instead: crm log {id} call \"...\""
        )));
    };
    let mut entry = Interaction::new(date, Kind::Done);
    entry.summary = Some(
        match args
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            Some(note) => note.to_string(),
            None => format!(
                "Follow-up done (due {}; {})",
                next.date,
                describe::reason(&next)
            ),
        },
    );
    book.append_interaction(&mut lock, &id, &entry)?;
    super::finish_write(ctx, &book, lock, &format!("follow-up done with {id}"))?;
    writeln!(out, "follow-up with {id} done on {date}")?;
    Ok(EXIT_OK)
}

/// Runs `crm snooze`.
pub fn run_snooze(ctx: &Context, args: &SnoozeArgs, out: &mut dyn Write) -> Result<u8> {
    let book = ctx.book()?;
    let id = CustomerId::parse(&args.id)?;
    let when = ctx.date("WHEN", &args.when)?;
    if when < ctx.today {
        return Err(Error::usage(format!(
            "{when} is in the past; snooze moves a follow-up to a later day"
        )));
    }
    let mut lock = book.lock()?;
    let loaded = book.load(&id)?;
    let next = Summary::of(&loaded.customer).next_follow_up(ctx.today);
    let mut entry = Interaction::new(ctx.today, Kind::Snooze);
    let moved = match &next {
        Some(next) => format!("Follow-up moved from {} to {when}", next.date),
        None => format!("Follow-up set for {when}"),
    };
    entry.summary = Some(
        match args
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            Some(note) => format!("{moved}: {note}"),
            None => moved,
        },
    );
    entry.follow_up = Some(when);
    book.append_interaction(&mut lock, &id, &entry)?;
    super::finish_write(
        ctx,
        &book,
        lock,
        &format!("snooze follow-up with {id} to {when}"),
    )?;
    writeln!(out, "follow-up with {id} moved to {when}")?;
    Ok(EXIT_OK)
}
