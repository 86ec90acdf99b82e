//! `crm due`: the morning digest of overdue follow-ups, follow-ups due soon, and
//! birthdays and anniversaries, made for cron: silent when nothing is due, one plain
//! line per item when piped, `--exit-code` to signal that something is due.

use std::io::Write;

use chrono::NaiveDate;
use rayon::prelude::*;
use serde::Serialize;

use std::collections::HashMap;

use super::flags::{ExitCode, OutputFormat, TagFilter, Within};
use super::programme;
use crate::context::Context;
use crate::domain::agenda::{self, AgendaOptions, DueItem, Group, Why};
use crate::domain::followup::Reason;
use crate::error::Result;
use crate::render::{self, describe, paint, Format, Style, Table};
use crate::store::{digests, scan};
use crate::ui::Ui;

/// Arguments of `crm due`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) window: Within,
    /// Leave out birthdays and customer anniversaries.
    #[arg(long)]
    pub(crate) no_birthdays: bool,
    /// Only follow-ups whose date has passed.
    #[arg(long)]
    pub(crate) overdue_only: bool,
    #[command(flatten)]
    pub(crate) tag: TagFilter,
    #[command(flatten)]
    pub(crate) exit: ExitCode,
    #[command(flatten)]
    pub(crate) output: OutputFormat,
    /// Also write one message draft per item into DIR (`DATE-ID-TEMPLATE.eml`, from the
    /// book's templates/: birthday, after-complaint, win-back, thank-you, follow-up; see
    /// docs/messages.md). Nothing is sent.
    #[arg(long, value_name = "DIR")]
    pub(crate) drafts: Option<std::path::PathBuf>,
}

/// One item in JSON and CSV. The fields after `last_interaction` give the reason as
/// data (docs/follow-ups.md); new fields are only ever added at the end.
#[derive(Debug, Serialize)]
struct ItemJson<'a> {
    group: &'static str,
    date: NaiveDate,
    days: i64,
    what: &'static str,
    id: &'a str,
    name: &'a str,
    reason: String,
    phone: Option<&'a str>,
    email: Option<&'a str>,
    last_interaction: Option<String>,
    /// `promise`, `reminder`, `cadence`, `birthday` or `anniversary`.
    source: &'static str,
    /// The day the promise was made (promises only).
    promised_on: Option<NaiveDate>,
    /// The day a snooze last moved the follow-up, if one did.
    snoozed_on: Option<NaiveDate>,
    /// The customer's cadence, if any.
    every: Option<String>,
    /// The customer's last contact, if any.
    last_contact: Option<NaiveDate>,
    /// Which programme's cadence made the follow-up due (`segment at-risk`, `tier
    /// gold`), when one is shorter than the customer's own; the tier reached, for
    /// tier items. Only in books with tiers or segment cadences.
    #[serde(skip_serializing_if = "Option::is_none")]
    programme: Option<String>,
}

pub(crate) fn run(ctx: &Context, args: &Args, out: &mut Ui) -> Result<u8> {
    let book = ctx.book()?;
    let until = args.window.until(ctx.today, book.config.due.within)?;

    let scan = scan::summaries_of(&book, scan::core_parts(&book))?;
    let cadences = programme::cadences(&book.config, &scan.items, ctx.today);
    let adjusted = programme::with_cadences(&scan.items, &cadences);
    let customers = args.tag.select(out, &adjusted);
    let items = agenda::due(
        &customers,
        AgendaOptions {
            today: ctx.today,
            until,
            occasions: book.config.due.birthdays && !args.no_birthdays,
            overdue_only: args.overdue_only,
        },
    );
    let today = ctx.today;
    let tiers = if args.overdue_only {
        Vec::new()
    } else {
        promotion_rows(out, &book, &customers, ctx.today)
    };
    let any = !(items.is_empty() && tiers.is_empty());
    let counts = counts(&items, &tiers);
    // A big book's digest is tens of thousands of lines: its rows are made a batch at
    // a time on rayon's threads and written as they come, in the order of `groups`
    // (the agenda's items by group, then the new tiers). Drafts and the terminal's
    // table need every row at once.
    let rows = items
        .chunks(ROWS_PER_BATCH)
        .flat_map(|batch| {
            batch
                .par_iter()
                .map(|i| item_json(i, today, &cadences))
                .collect::<Vec<_>>()
        })
        .chain(tiers);
    if let Some(dir) = &args.drafts {
        let rows: Vec<ItemJson> = rows.collect();
        write_drafts(ctx, out, &book, dir, &rows)?;
        write_rows(
            ctx,
            out,
            &book,
            args.output.format,
            rows.into_iter(),
            &counts,
        )?;
    } else {
        write_rows(ctx, out, &book, args.output.format, rows, &counts)?;
    }
    Ok(args.exit.of(out, &scan.problems, any))
}

/// How many rows the digest makes at a time (see `run`).
const ROWS_PER_BATCH: usize = 4096;

/// The number of rows in each group, in the order of [`groups`].
fn counts(items: &[DueItem], tiers: &[ItemJson]) -> Vec<(&'static str, usize)> {
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for key in items
        .iter()
        .map(|i| i.group.key())
        .chain(tiers.iter().map(|t| t.group))
    {
        match counts.last_mut() {
            Some((last, n)) if *last == key => *n += 1,
            _ => counts.push((key, 1)),
        }
    }
    counts
}

/// Writes the digest's `rows` (in group order; `counts` gives each group's size) in
/// `format`.
fn write_rows<'a>(
    ctx: &Context,
    out: &mut Ui,
    book: &crate::store::Book,
    format: Format,
    rows: impl Iterator<Item = ItemJson<'a>>,
    counts: &[(&'static str, usize)],
) -> Result<()> {
    match format {
        Format::Json => render::write_json_seq(out, rows)?,
        Format::Csv => {
            let with_programmes = programme::has_cadences(&book.config)
                || book.config.programme().is_some_and(|p| !p.tiers.is_empty());
            let mut headers = CSV_HEADERS.to_vec();
            if with_programmes {
                headers.push("programme");
            }
            render::write_csv_rows(
                out,
                &headers,
                rows.map(|row| csv_cells(&row, with_programmes)),
            )?
        }
        Format::Table if counts.is_empty() => {}
        Format::Table if ctx.stdout_is_tty => digest_table(&rows.collect::<Vec<_>>(), ctx, out)?,
        Format::Table => digest_lines(rows, counts, ctx.today, ctx.color, out)?,
    }
    Ok(())
}

/// Writes a draft per digest item into `dir` (made if need be); an item whose
/// customer has no email address, or whose template fails, is named on stderr and
/// skipped.
fn write_drafts(
    ctx: &Context,
    out: &mut Ui,
    book: &crate::store::Book,
    dir: &std::path::Path,
    rows: &[ItemJson],
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| crate::error::Error::io("create folder", dir, &e))?;
    let mut written: Vec<String> = Vec::new();
    for row in rows {
        let id = crate::domain::id::CustomerId::parse(row.id)?;
        let customer = match book.load(&id) {
            Ok(loaded) => loaded.customer,
            Err(err) => {
                out.warn(&format!("no draft for {id}: {}", err.message));
                continue;
            }
        };
        let template = template_for(row, &customer);
        let file = format!("{}-{id}-{template}.eml", ctx.today);
        if written.contains(&file) {
            continue;
        }
        if customer.email.is_none() {
            out.warn(&format!(
                "no draft for {id} ({}): no email address on file",
                row.what
            ));
            continue;
        }
        let message = match super::draft::compose(book, &customer, template, ctx.today) {
            Ok(message) => message,
            Err(err) => {
                out.warn(&format!("no draft for {id}: {}", err.message));
                continue;
            }
        };
        let path = dir.join(&file);
        let temp = dir.join(format!(".{file}.{}.tmp", std::process::id()));
        std::fs::write(&temp, message.to_rfc5322())
            .and_then(|()| std::fs::rename(&temp, &path))
            .map_err(|e| {
                let _ = std::fs::remove_file(&temp);
                crate::error::Error::io("write", &path, &e)
            })?;
        written.push(file);
    }
    if !written.is_empty() {
        let _ = writeln!(
            std::io::stderr().lock(),
            "crm: wrote {} draft{} to `{}` (nothing was sent)",
            written.len(),
            describe::plural(written.len() as i64),
            dir.display()
        );
    }
    Ok(())
}

/// The template of a digest item (see [`template_name`]), from the customer's last
/// contact.
fn template_for(row: &ItemJson, customer: &crate::domain::customer::Customer) -> &'static str {
    use crate::domain::interaction::Kind;
    let last_contact = customer
        .chronological()
        .into_iter()
        .rev()
        .find(|i| i.kind.is_contact());
    template_name(
        row.what,
        row.programme.as_deref(),
        last_contact.is_some_and(|i| i.kind == Kind::Complaint),
    )
}

/// The RFM segments whose cadence makes a follow-up a win-back.
const SLIPPING: [&str; 4] = ["at-risk", "cant-lose", "hibernating", "about-to-sleep"];

/// The template of a digest item: a birthday gets `birthday`; an anniversary or a new
/// tier `thank-you`; a follow-up whose customer's last contact was a complaint
/// `after-complaint`; a follow-up a slipping segment's cadence made due (`programme`
/// is `segment at-risk`, `cant-lose`, `hibernating` or `about-to-sleep`) `win-back`;
/// any other follow-up `follow-up`.
fn template_name(
    what: &str,
    programme: Option<&str>,
    last_contact_was_complaint: bool,
) -> &'static str {
    match what {
        "birthday" => return "birthday",
        "anniversary" | "tier" => return "thank-you",
        _ => {}
    }
    if last_contact_was_complaint {
        return "after-complaint";
    }
    let slipping = programme
        .and_then(|p| p.strip_prefix("segment "))
        .is_some_and(|segment| SLIPPING.contains(&segment));
    if slipping {
        "win-back"
    } else {
        "follow-up"
    }
}

/// The customers who reached a higher tier since the last digest (books with tiers
/// only), as digest items; records today as a digest day.
fn promotion_rows<'a>(
    out: &mut Ui,
    book: &crate::store::Book,
    customers: &[&'a crate::domain::summary::Summary],
    today: NaiveDate,
) -> Vec<ItemJson<'a>> {
    let Some(programme) = book.config.programme().filter(|p| !p.tiers.is_empty()) else {
        return Vec::new();
    };
    let state = book.state_dir();
    let since = digests::last_before(&digests::read(&state), today);
    if let Err(err) = digests::record(&state, today) {
        out.warn(&format!(
            "could not record today's digest in `{}`: {err}; tomorrow's may list today's new tiers again",
            book.shown(&state.join(digests::FILE_NAME))
        ));
    }
    programme::promotions(&programme, customers, since, today)
        .into_iter()
        .map(|p| {
            let c = p.customer;
            ItemJson {
                group: "tier",
                date: p.date,
                days: (p.date - today).num_days(),
                what: "tier",
                id: &c.id,
                name: &c.name,
                reason: match &p.from {
                    Some(from) => format!("reached {} (was {from})", p.to),
                    None => format!("reached {}", p.to),
                },
                phone: c.phone.as_deref(),
                email: c.email.as_deref(),
                last_interaction: c.last_interaction.as_ref().map(describe::brief),
                source: "tier",
                promised_on: None,
                snoozed_on: None,
                every: c.every.map(|e| e.to_string()),
                last_contact: c.last_contact,
                programme: Some(format!("tier {}", p.to)),
            }
        })
        .collect()
}

fn item_json<'a>(
    item: &DueItem<'a>,
    today: NaiveDate,
    cadences: &HashMap<String, programme::ProgrammeCadence>,
) -> ItemJson<'a> {
    let c = item.customer;
    let from_programme = match &item.why {
        Why::FollowUp(next) if matches!(next.reason, Reason::Cadence { .. }) => {
            cadences.get(&c.id).map(|p| p.from.clone())
        }
        _ => None,
    };
    let (what, reason) = match &item.why {
        Why::FollowUp(next) => (
            "follow-up",
            match &from_programme {
                Some(from) => format!("{} ({from})", describe::reason(next)),
                None => describe::reason(next),
            },
        ),
        Why::Birthday { age: Some(age) } => ("birthday", format!("birthday (turns {age})")),
        Why::Birthday { age: None } => ("birthday", "birthday".to_string()),
        Why::Anniversary { years } => (
            "anniversary",
            format!(
                "{years} year{} as a customer",
                describe::plural(i64::from(*years))
            ),
        ),
    };
    let (source, promised_on, snoozed_on) = match &item.why {
        Why::FollowUp(next) => match &next.reason {
            Reason::Promise(p) => ("promise", Some(p.made_in.date), p.snoozed_on),
            Reason::Reminder(r) => ("reminder", None, r.snoozed_on),
            Reason::Cadence { snoozed_on, .. } => ("cadence", None, *snoozed_on),
        },
        Why::Birthday { .. } => ("birthday", None, None),
        Why::Anniversary { .. } => ("anniversary", None, None),
    };
    ItemJson {
        group: item.group.key(),
        date: item.date,
        days: (item.date - today).num_days(),
        what,
        id: &c.id,
        name: &c.name,
        reason,
        phone: c.phone.as_deref(),
        email: c.email.as_deref(),
        last_interaction: c.last_interaction.as_ref().map(describe::brief),
        source,
        promised_on,
        snoozed_on,
        every: c.every.map(|e| e.to_string()),
        last_contact: c.last_contact,
        programme: from_programme,
    }
}

/// `overdue by 3 days` for follow-ups; `today` / `in 3 days` for occasions.
fn when(row: &ItemJson, today: NaiveDate) -> String {
    match (row.group, row.days) {
        ("occasion" | "tier", 0) => "today".to_string(),
        ("tier", days) => format!("{} day{} ago", -days, describe::plural(-days)),
        ("occasion", days) => format!("in {days} day{}", describe::plural(days)),
        _ => describe::when(row.date, today),
    }
}

fn heading(group: &str, count: usize) -> String {
    let title = match group {
        "overdue" => "Overdue",
        "due_soon" => "Due soon",
        "tier" => "New loyalty tiers",
        _ => "Birthdays and anniversaries",
    };
    format!("{title} ({count})")
}

fn contact(row: &ItemJson) -> String {
    let mut text = String::new();
    push_contact(&mut text, row);
    text
}

/// Appends `phone P, email E` (or what of it is on file) to `text`.
fn push_contact(text: &mut String, row: &ItemJson) {
    let parts: [&str; 4] = match (row.phone, row.email) {
        (Some(p), Some(e)) => ["phone ", p, ", email ", e],
        (Some(p), None) => ["phone ", p, "", ""],
        (None, Some(e)) => ["email ", e, "", ""],
        (None, None) => ["no phone or email on file", "", "", ""],
    };
    for part in parts {
        text.push_str(part);
    }
}

fn groups<'r, 'a>(rows: &'r [ItemJson<'a>]) -> Vec<(&'static str, Vec<&'r ItemJson<'a>>)> {
    let mut groups: Vec<(&'static str, Vec<&ItemJson>)> = Vec::new();
    for key in [
        Group::Overdue.key(),
        Group::DueSoon.key(),
        Group::Occasion.key(),
        "tier",
    ] {
        let members: Vec<&ItemJson> = rows.iter().filter(|r| r.group == key).collect();
        if !members.is_empty() {
            groups.push((key, members));
        }
    }
    groups
}

/// The colour of a group's heading, and of its items' "when" text.
fn group_style(group: &str) -> Style {
    match group {
        "overdue" => Style::Red,
        "due_soon" => Style::Yellow,
        _ => Style::Green,
    }
}

/// The cron format: a heading per group, then one line per item. Uncoloured unless
/// colour is on (`--color always` into a pipe, for `less -R`): then the headings and
/// the "overdue by" text are coloured as in the table.
fn digest_lines<'a>(
    rows: impl Iterator<Item = ItemJson<'a>>,
    counts: &[(&'static str, usize)],
    today: NaiveDate,
    color: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let mut rows = rows.peekable();
    for (n, &(key, count)) in counts.iter().enumerate() {
        if n > 0 {
            writeln!(out)?;
        }
        let style = group_style(key);
        writeln!(out, "{}", paint(&heading(key, count), style, color))?;
        // One buffer for every line's text, rather than several strings a line.
        let mut rest = String::new();
        while let Some(row) = rows.next_if(|row| row.group == key) {
            let row = &row;
            // Text from customer files is made one-line and safe before the colour
            // codes are added, which `one_line` would otherwise blank out.
            rest.clear();
            for part in ["  ", row.name, " (", row.id, ")  ", &row.reason, "  "] {
                rest.push_str(part);
            }
            push_contact(&mut rest, row);
            if let Some(last) = &row.last_interaction {
                rest.push_str("  last: ");
                rest.push_str(last);
            }
            let when = when(row, today);
            let when = if key == "overdue" {
                paint(&when, style, color)
            } else {
                when
            };
            writeln!(out, "  {}  {when}{}", row.date, render::one_line(&rest))?;
        }
    }
    Ok(())
}

fn digest_table(rows: &[ItemJson], ctx: &Context, out: &mut dyn Write) -> Result<()> {
    for (n, (key, members)) in groups(rows).into_iter().enumerate() {
        if n > 0 {
            writeln!(out)?;
        }
        let style = group_style(key);
        writeln!(
            out,
            "{}",
            paint(&heading(key, members.len()), style, ctx.color)
        )?;
        let mut table = Table::new(&[
            "date",
            "when",
            "customer",
            "why",
            "contact",
            "last interaction",
        ]);
        for row in members {
            table.push(vec![
                row.date.to_string(),
                when(row, ctx.today),
                format!("{} ({})", row.name, row.id),
                row.reason.clone(),
                contact(row),
                render::or_dash(row.last_interaction.clone()),
            ]);
        }
        table.write_text(out, ctx.table_layout, ctx.color)?;
    }
    Ok(())
}

/// The CSV; the `programme` column only in books with programmes, so that other
/// books' files keep the columns they always had.
/// The columns of the digest's CSV (and `programme` in books with programmes).
const CSV_HEADERS: [&str; 15] = [
    "group",
    "date",
    "days",
    "what",
    "id",
    "name",
    "reason",
    "phone",
    "email",
    "last_interaction",
    "source",
    "promised_on",
    "snoozed_on",
    "every",
    "last_contact",
];

fn csv_cells(row: &ItemJson, with_programmes: bool) -> Vec<String> {
    let mut cells = vec![
        row.group.to_string(),
        row.date.to_string(),
        row.days.to_string(),
        row.what.to_string(),
        row.id.to_string(),
        row.name.to_string(),
        row.reason.clone(),
        render::or_empty(row.phone),
        render::or_empty(row.email),
        render::or_empty(row.last_interaction.clone()),
        row.source.to_string(),
        render::or_empty(row.promised_on),
        render::or_empty(row.snoozed_on),
        render::or_empty(row.every.clone()),
        render::or_empty(row.last_contact),
    ];
    if with_programmes {
        cells.push(render::or_empty(row.programme.clone()));
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::template_name;

    /// Every row of the mapping in `template_name`'s doc, and what must not map to
    /// win-back: a thriving segment, a tier cadence, a segment name that only starts
    /// like a slipping one.
    #[test]
    fn drafts_pick_their_template_by_what_is_due_and_why() {
        for (what, programme, complaint, expected) in [
            ("birthday", None, true, "birthday"),
            ("anniversary", None, false, "thank-you"),
            ("tier", Some("tier gold"), false, "thank-you"),
            ("overdue", Some("segment at-risk"), true, "after-complaint"),
            ("overdue", Some("segment at-risk"), false, "win-back"),
            ("follow-up", Some("segment cant-lose"), false, "win-back"),
            ("follow-up", Some("segment hibernating"), false, "win-back"),
            ("overdue", Some("segment about-to-sleep"), false, "win-back"),
            ("follow-up", Some("segment champions"), false, "follow-up"),
            ("follow-up", Some("segment at-risk-2"), false, "follow-up"),
            ("follow-up", Some("tier gold"), false, "follow-up"),
            ("overdue", None, false, "follow-up"),
        ] {
            assert_eq!(
                template_name(what, programme, complaint),
                expected,
                "{what} {programme:?} complaint={complaint}"
            );
        }
    }
}
