//! `crm done ID` and `crm snooze ID WHEN`: close or move the next follow-up. Both
//! append an entry (`kind: done` / `kind: snooze`) so the file shows what happened;
//! what the entries mean is the follow-up rule (docs/follow-ups.md).

use std::io::Write;

use crate::context::Context;
use crate::domain::followup::Reason;
use crate::domain::interaction::{Interaction, Kind};
use crate::domain::summary::Summary;
use crate::error::{Error, ErrorKind, Result, EXIT_OK};
use crate::render::describe;
use crate::ui::Ui;

/// Arguments of `crm done`.
#[derive(Debug, clap::Args)]
pub(crate) struct DoneArgs {
    /// The customer's id.
    #[arg(add = clap_complete::ArgValueCompleter::new(super::complete::ids))]
    pub(crate) id: String,
    /// What was done, kept as the entry's summary.
    #[arg(long, value_name = "TEXT")]
    pub(crate) note: Option<String>,
    /// When it was done (default: today). A weekday name means the latest such day.
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub(crate) date: Option<String>,
}

/// Arguments of `crm snooze`.
#[derive(Debug, clap::Args)]
pub(crate) struct SnoozeArgs {
    /// The customer's id.
    #[arg(add = clap_complete::ArgValueCompleter::new(super::complete::ids))]
    pub(crate) id: String,
    /// The new date: YYYY-MM-DD, +3d, +1w, friday (the next one), ...
    #[arg(allow_hyphen_values = true)]
    pub(crate) when: String,
    /// Why it moved, kept in the entry's summary.
    #[arg(long, value_name = "TEXT")]
    pub(crate) note: Option<String>,
    /// Allow moving the follow-up to an earlier day than it is due (snooze otherwise
    /// refuses: it moves follow-ups later).
    #[arg(long)]
    pub(crate) earlier: bool,
}

pub(crate) fn run_done(ctx: &Context, args: &DoneArgs, out: &mut Ui) -> Result<u8> {
    let book = ctx.book()?;
    let id = book.existing_id(&args.id)?;
    let date = args
        .date
        .as_deref()
        .map_or(Ok(ctx.today), |d| ctx.past_date("--date", d))?;
    let mut lock = book.lock()?;
    let loaded = book.load_for_write(&lock, &id)?;
    let Some(next) = Summary::of(&loaded.customer).next_follow_up(ctx.today) else {
        return Err(Error::new(
            ErrorKind::NotFound,
            format!("`{id}` has no pending follow-up and no cadence"),
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
    book.append_to_loaded(&mut lock, &id, &loaded, &entry)?;
    // The same words `crm commit` uses for a done entry (docs/git.md).
    writeln!(out, "follow-up with {id} done on {date}")?;
    super::finish_write(ctx, &book, lock, &format!("mark {id} done"), out)?;
    if date > ctx.today {
        // Allowed, as for `crm log --date`, but as often a slip.
        out.warn(&format!(
            "--date {date} is in the future (today is {}); the entry counts as contact from now on",
            ctx.today
        ));
    }
    Ok(EXIT_OK)
}

pub(crate) fn run_snooze(ctx: &Context, args: &SnoozeArgs, out: &mut Ui) -> Result<u8> {
    let book = ctx.book()?;
    let id = book.existing_id(&args.id)?;
    let when = ctx.date("WHEN", &args.when)?;
    if when < ctx.today {
        return Err(Error::usage(format!(
            "{when} is in the past; snooze moves a follow-up to a later day"
        ))
        .with_hint(format!(
            "give today or a later day (+3d, friday, ...); if it is dealt with, run `crm done {id}`"
        )));
    }
    let mut lock = book.lock()?;
    let loaded = book.load_for_write(&lock, &id)?;
    let next = Summary::of(&loaded.customer).next_follow_up(ctx.today);
    if next.as_ref().is_some_and(|n| n.date == when) {
        // An entry that moves nothing would only clutter the file (and the history).
        writeln!(
            out,
            "follow-up with {id} is already due on {when}; nothing changed"
        )?;
        return Ok(EXIT_OK);
    }
    if let Some(due) = next
        .as_ref()
        .map(|n| n.date)
        .filter(|d| when < *d && !args.earlier)
    {
        return Err(Error::usage(format!(
            "the follow-up with {id} is due on {due}; {when} is earlier, and snooze moves a follow-up to a later day"
        ))
        .with_hint(format!(
            "to bring it forward on purpose, add --earlier: `crm snooze {id} {when} --earlier`"
        )));
    }
    let mut entry = Interaction::new(ctx.today, Kind::Snooze);
    // Say in the file and on stdout which follow-up moved, since that decides what ends
    // it: a promise stays until done, a cadence reminder until the next contact.
    let (moved, said) = match next.as_ref().map(|n| (n.date, &n.reason)) {
        Some((from, Reason::Promise(_))) => (
            format!("Follow-up moved from {from} to {when}"),
            format!("follow-up with {id} moved from {from} to {when}"),
        ),
        Some((from, Reason::Cadence { every, .. })) => (
            format!("Cadence follow-up ({every}) moved from {from} to {when}"),
            format!(
                "cadence follow-up with {id} moved from {from} to {when}; the next contact clears it"
            ),
        ),
        Some((from, Reason::Reminder(_))) => (
            format!("Reminder moved from {from} to {when}"),
            format!(
                "reminder for {id} moved from {from} to {when}; the next contact clears it"
            ),
        ),
        None => (
            format!("Reminder set for {when}"),
            format!(
                "nothing was pending for {id}; reminder set for {when}; the next contact clears it"
            ),
        ),
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
    book.append_to_loaded(&mut lock, &id, &loaded, &entry)?;
    // The same words `crm commit` uses for a snooze entry (docs/git.md).
    writeln!(out, "{said}")?;
    super::finish_write(ctx, &book, lock, &format!("snooze {id}"), out)?;
    Ok(EXIT_OK)
}
