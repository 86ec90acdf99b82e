//! `crm log ID KIND [SUMMARY]`: append one interaction to a customer's file (lossless,
//! atomic; no other file is read or written).

use std::io::Write;

use crate::context::Context;
use crate::domain::id::CustomerId;
use crate::domain::interaction::{validate, Interaction, Kind, REDEEM, SYSTEM_KINDS};
use crate::domain::money::Money;
use crate::domain::summary::Summary;
use crate::error::{Error, Result, EXIT_OK};
use crate::store::{read, Book};
use crate::ui::Ui;

/// Arguments of `crm log`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The customer's id.
    #[arg(add = clap_complete::ArgValueCompleter::new(super::complete::ids))]
    pub(crate) id: String,
    /// What happened: call, email, meeting, message, note, purchase, refund, complaint,
    /// feedback, or a kind added in crm.toml.
    #[arg(add = clap_complete::ArgValueCompleter::new(super::complete::kinds))]
    pub(crate) kind: String,
    /// A line about it.
    pub(crate) summary: Option<String>,
    /// When it happened (default: today). YYYY-MM-DD, yesterday, -2d, friday (the latest
    /// one, today included), ...
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub(crate) date: Option<String>,
    /// Money involved; required for purchase and refund (e.g. 129.00).
    #[arg(long, value_name = "AMOUNT", allow_negative_numbers = true)]
    pub(crate) amount: Option<String>,
    /// What was bought or refunded; repeat for several.
    #[arg(long = "item", value_name = "NAME")]
    pub(crate) items: Vec<String>,
    /// Satisfaction from 1 to 5 (feedback only).
    #[arg(long, value_name = "1-5")]
    pub(crate) rating: Option<String>,
    /// Net Promoter score from 0 to 10 (feedback only): how likely the customer is to
    /// recommend us.
    #[arg(long, value_name = "0-10")]
    pub(crate) nps: Option<String>,
    /// Loyalty points to spend (`redeem` only; refused beyond the balance).
    #[arg(long, value_name = "N")]
    pub(crate) points: Option<String>,
    /// How it happened (phone, shop, web, ...).
    #[arg(long, value_name = "CHANNEL")]
    pub(crate) channel: Option<String>,
    /// Promise a follow-up on this date (YYYY-MM-DD, +3d, +2w, friday (the next one), ...).
    #[arg(long = "follow-up", value_name = "WHEN", allow_hyphen_values = true)]
    pub(crate) follow_up: Option<String>,
}

pub(crate) fn run(ctx: &Context, args: &Args, out: &mut Ui) -> Result<u8> {
    let book = ctx.book()?;
    let id = book.existing_id(&args.id)?;
    let interaction = build(ctx, &book, args)?;
    let mut lock = book.lock()?;
    if let Some(points) = interaction.points {
        // Under the lock, so that two redemptions cannot both spend the same points.
        ensure_balance(ctx, &book, &id, &interaction, points)?;
    }
    book.append_interaction(&mut lock, &id, &interaction)?;
    let message = format!("log {} with {id}", interaction.kind);
    // The follow-up as crm resolved it (`+2w`, `friday`), so a slip shows at once.
    let follow_up = interaction.follow_up.map_or(String::new(), |d| {
        format!(
            "; follow-up on {d} ({})",
            d.format("%A").to_string().to_lowercase()
        )
    });
    writeln!(
        out,
        "logged {} with {id} on {}{follow_up}",
        interaction.kind, interaction.date
    )?;
    super::finish_write(ctx, &book, lock, &message, out)?;
    if interaction.date > ctx.today {
        // Allowed (a meeting booked ahead), but a future date is as often a slip.
        out.warn(&format!(
            "--date {} is in the future (today is {}); the entry counts as contact from now on",
            interaction.date, ctx.today
        ));
    }
    if let Some(warning) = follow_up_warning(&interaction, ctx.today) {
        out.warn(&warning);
    }
    Ok(EXIT_OK)
}

/// The kind named `name`, if this book knows it; otherwise a usage error suggesting the
/// closest kind `crm log` records. `done` and `snooze` are never suggested: their own
/// commands write them, so the hint names the command instead.
pub(crate) fn known_kind(book: &Book, name: &str) -> Result<Kind> {
    let lower = name.trim().to_ascii_lowercase();
    if book.config.knows_kind(&lower) {
        return Ok(Kind::from_name(&lower));
    }
    if lower == REDEEM {
        return Err(Error::usage(
            "`redeem` spends loyalty points, and this book has no loyalty programme",
        )
        .with_hint("add a [loyalty] section to crm.toml (docs/metrics.md, \"Loyalty\")"));
    }
    let kinds: Vec<String> = book
        .config
        .all_kinds()
        .into_iter()
        .filter(|k| !SYSTEM_KINDS.contains(&k.as_str()))
        .collect();
    let system: Vec<String> = SYSTEM_KINDS.iter().map(|k| (*k).to_string()).collect();
    let hint = match (
        read::closest(&lower, &kinds),
        read::closest(&lower, &system),
    ) {
        (Some(best), _) => format!("did you mean `{best}`? Kinds: {}", kinds.join(", ")),
        (None, Some(command)) => format!(
            "did you mean `crm {command}`? It has its own command ({}); kinds `crm log` takes: {}",
            if command == "done" {
                "crm done ID marks the follow-up done"
            } else {
                "crm snooze ID WHEN moves the follow-up"
            },
            kinds.join(", ")
        ),
        (None, None) => format!(
            "kinds: {}; add your own under [interactions] kinds in crm.toml",
            kinds.join(", ")
        ),
    };
    Err(Error::usage(format!("unknown interaction kind {name:?}")).with_hint(hint))
}

fn build(ctx: &Context, book: &Book, args: &Args) -> Result<Interaction> {
    let kind = known_kind(book, &args.kind)?;
    if SYSTEM_KINDS.contains(&kind.name()) {
        return Err(
            Error::usage(format!("`{kind}` entries are written by `crm {kind}`"))
                .with_hint(format!("run `crm {kind} {} ...`", args.id)),
        );
    }
    let date = match &args.date {
        Some(text) => ctx.past_date("--date", text)?,
        None => ctx.today,
    };

    let mut interaction = Interaction::new(date, kind.clone());
    interaction.summary = clean(args.summary.as_deref());
    interaction.channel = clean(args.channel.as_deref());
    interaction.follow_up = args
        .follow_up
        .as_deref()
        .map(|w| ctx.date("--follow-up", w))
        .transpose()?;
    match (&args.amount, kind.needs_amount()) {
        (Some(text), true) => {
            let amount = Money::parse(text).map_err(|m| Error::usage(format!("--amount: {m}")))?;
            if amount.is_negative() {
                return Err(Error::usage("--amount is negative")
                    .with_hint("amounts are never negative; log money paid back as a `refund`"));
            }
            interaction.amount = Some(amount);
        }
        (None, true) => {
            return Err(Error::usage(format!("a {kind} needs --amount"))
                .with_hint(format!("e.g. crm log {} {kind} --amount 129.00", args.id)))
        }
        (Some(_), false) => {
            return Err(Error::usage(format!(
                "--amount belongs to a purchase or refund, not a {kind}"
            )))
        }
        (None, false) => {}
    }
    if !args.items.is_empty() {
        interaction.items = args.items.iter().filter_map(|i| clean(Some(i))).collect();
    }
    if let Some(text) = &args.rating {
        if kind != Kind::Feedback {
            return Err(
                Error::usage(format!("--rating belongs to feedback, not a {kind}"))
                    .with_hint(format!("crm log {} feedback --rating {text}", args.id)),
            );
        }
        match text.trim().parse::<u8>() {
            Ok(r) if (1..=5).contains(&r) => interaction.rating = Some(r),
            _ => {
                return Err(Error::usage(format!(
                    "--rating {text:?} is not a whole number from 1 to 5"
                )))
            }
        }
    }
    if let Some(text) = &args.nps {
        if kind != Kind::Feedback {
            return Err(
                Error::usage(format!("--nps belongs to feedback, not a {kind}"))
                    .with_hint(format!("crm log {} feedback --nps {text}", args.id)),
            );
        }
        match text.trim().parse::<u8>() {
            Ok(n) if n <= 10 => interaction.nps = Some(n),
            _ => {
                return Err(Error::usage(format!(
                    "--nps {text:?} is not a whole number from 0 to 10"
                )))
            }
        }
    }
    match (&args.points, kind.name() == REDEEM) {
        (Some(text), true) => match text.trim().parse::<u32>() {
            Ok(n) if n > 0 => interaction.points = Some(n),
            _ => {
                return Err(Error::usage(format!(
                    "--points {text:?} is not a whole number of points of at least 1"
                )))
            }
        },
        (None, true) => {
            return Err(Error::usage("a redeem needs --points").with_hint(format!(
                "e.g. crm log {} redeem --points 300 \"Free bag\"",
                args.id
            )))
        }
        (Some(_), false) => {
            return Err(Error::usage(format!(
                "--points belongs to a redeem, not a {kind}"
            ))
            .with_hint("points are earned from purchases and bonuses by themselves; `crm show ID` gives the balance"))
        }
        (None, false) => {}
    }
    // The flags above give hints in terms of flags; the rules themselves are the
    // domain's, the same `crm check` and `crm import` apply, and have the last word.
    let known = |k: &str| book.config.knows_kind(k);
    if let Some((_, problem)) = validate(&interaction, &known).into_iter().next() {
        return Err(Error::usage(problem));
    }
    Ok(interaction)
}

/// Refuses a redemption of more points than the customer has on its day (and, for one
/// dated back, on every later day: spending them again would otherwise go unnoticed).
fn ensure_balance(
    ctx: &Context,
    book: &Book,
    id: &CustomerId,
    interaction: &Interaction,
    points: u32,
) -> Result<()> {
    let Some(programme) = book.config.programme() else {
        return Ok(());
    };
    let loaded = book.load(id)?;
    let summary = Summary::of(&loaded.customer);
    let day = interaction.date.max(ctx.today);
    let balance = programme
        .account(&summary.events, &summary.touches, interaction.date)
        .balance
        .min(
            programme
                .account(&summary.events, &summary.touches, day)
                .balance,
        );
    if i64::from(points) > balance {
        return Err(Error::usage(format!(
            "{id} has {balance} point{} on {}; cannot redeem {points}",
            if balance == 1 { "" } else { "s" },
            interaction.date
        ))
        .with_hint(format!(
            "redeem at most {} (`crm show {id}` gives the balance)",
            balance.max(0)
        )));
    }
    Ok(())
}

/// A promise dated before the entry it is made in, or already past, is allowed (a call
/// logged late, with a promise long due) but is as often a slip (`-3d` for `+3d`, a
/// mistyped month): say so, and what it means.
fn follow_up_warning(interaction: &Interaction, today: chrono::NaiveDate) -> Option<String> {
    let follow_up = interaction.follow_up?;
    if follow_up < interaction.date {
        Some(format!(
            "--follow-up {follow_up} is before the entry's date {}; the promise is overdue \
             from the start (move it with `crm snooze`)",
            interaction.date
        ))
    } else if follow_up < today {
        Some(format!(
            "--follow-up {follow_up} is in the past (today is {today}); the promise is \
             already overdue (move it with `crm snooze`)"
        ))
    } else {
        None
    }
}

fn clean(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}
