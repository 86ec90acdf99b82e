//! `crm draft ID TEMPLATE`: a message to one customer from `templates/TEMPLATE.txt`,
//! printed as RFC 5322 text for `| sendmail -t` (or opened in the editor first with
//! `--edit`; `--log` records it as an `email` interaction). crm never sends anything.
//! The fields templates see are listed in docs/messages.md.

use std::io::Write;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::programme::LoyaltyView;
use crate::context::Context;
use crate::domain::customer::Customer;
use crate::domain::id::CustomerId;
use crate::domain::interaction::{Interaction, Kind};
use crate::domain::money::Money;
use crate::domain::summary::Summary;
use crate::error::{Error, Result, EXIT_OK};
use crate::render::message::{self, Message};
use crate::store::Book;

/// Arguments of `crm draft`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The customer's id.
    pub id: String,
    /// The template: `templates/TEMPLATE.txt` in the book (thank-you, birthday,
    /// win-back, after-complaint, follow-up, or your own).
    pub template: String,
    /// Open the message in $VISUAL/$EDITOR before printing it.
    #[arg(long)]
    pub edit: bool,
    /// Record an `email` interaction with the message's subject (after editing).
    #[arg(long)]
    pub log: bool,
}

/// What a template sees. Fields the customer lacks are left out, so that using one is
/// an error (strict undefined), never an empty string.
#[derive(Debug, Serialize)]
pub struct Fields {
    customer: CustomerFields,
    preferences: crate::render::OrderedMap,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_purchase: Option<Event>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_complaint: Option<Event>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_interaction: Option<Event>,
    #[serde(skip_serializing_if = "Option::is_none")]
    loyalty: Option<LoyaltyFields>,
    today: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    currency: Option<String>,
}

#[derive(Debug, Serialize)]
struct CustomerFields {
    id: String,
    name: String,
    first_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    company: Option<String>,
    tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    birthday: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    age: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    since: Option<NaiveDate>,
}

#[derive(Debug, Serialize)]
struct Event {
    date: NaiveDate,
    kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<Money>,
    items: Vec<String>,
    /// The items joined (`Model B and a case`), else the summary, else the kind.
    what: String,
}

#[derive(Debug, Serialize)]
struct LoyaltyFields {
    points: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    tier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_tier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    needed: Option<String>,
}

/// One line of text: templates put values into header lines, where a line break
/// would start another header.
fn one_line(text: &str) -> String {
    text.split(['\r', '\n']).collect::<Vec<_>>().join(" ")
}

fn event(i: &Interaction) -> Event {
    let items: Vec<String> = i.items.iter().map(|s| one_line(s)).collect();
    let what = match (items.as_slice(), &i.summary) {
        ([], Some(summary)) => one_line(summary),
        ([], None) => i.kind.name().to_string(),
        ([one], _) => one.clone(),
        (many, _) => format!(
            "{} and {}",
            many[..many.len() - 1].join(", "),
            many[many.len() - 1]
        ),
    };
    Event {
        date: i.date,
        kind: i.kind.name().to_string(),
        summary: i.summary.as_deref().map(one_line),
        amount: i.amount,
        items,
        what,
    }
}

/// The fields of `customer` on `today`.
pub fn fields(book: &Book, customer: &Customer, today: NaiveDate) -> Fields {
    let log = customer.chronological();
    let last = |kind: Kind| {
        log.iter()
            .rev()
            .find(|i| i.kind == kind && i.date <= today)
            .map(|i| event(i))
    };
    let name = one_line(&customer.name);
    let first_name = name.split_whitespace().next().unwrap_or(&name).to_string();
    let loyalty = book.config.programme().map(|p| {
        let view = LoyaltyView::of(&p, &Summary::of(customer), today);
        LoyaltyFields {
            points: view.points,
            next_tier: view.next_tier.clone(),
            needed: view.next_tier.is_some().then(|| view.next_text()),
            tier: view.tier,
        }
    });
    Fields {
        customer: CustomerFields {
            id: customer.id.to_string(),
            name,
            first_name,
            email: customer.email.as_deref().map(one_line),
            phone: customer.phone.as_deref().map(one_line),
            company: customer.company.as_deref().map(one_line),
            tags: customer.tags.clone(),
            birthday: customer.birthday,
            age: customer.birthday.map(|b| {
                today.year()
                    - b.year()
                    - i32::from((today.month(), today.day()) < (b.month(), b.day()))
            }),
            since: customer.since,
        },
        preferences: crate::render::OrderedMap(
            customer
                .preferences
                .iter()
                .map(|(k, v)| (k.clone(), one_line(v)))
                .collect(),
        ),
        last_purchase: last(Kind::Purchase),
        last_complaint: last(Kind::Complaint),
        last_interaction: log
            .iter()
            .rev()
            .find(|i| !matches!(i.kind, Kind::Done | Kind::Snooze | Kind::Note) && i.date <= today)
            .map(|i| event(i)),
        loyalty,
        today,
        currency: book.config.currency.clone(),
    }
}

/// The message to `customer` from template `name`.
pub fn compose(book: &Book, customer: &Customer, name: &str, today: NaiveDate) -> Result<Message> {
    let template = book.read_template(name)?;
    let to = customer
        .email
        .as_deref()
        .map(|e| message::mailbox(&one_line(&customer.name), &one_line(e)));
    message::render(
        &template.shown,
        &template.text,
        &fields(book, customer, today),
        to.as_deref(),
    )
}

/// Runs `crm draft`.
pub(crate) fn run(ctx: &Context, args: &Args, out: &mut crate::ui::Ui) -> Result<u8> {
    let book = ctx.book()?;
    let id = CustomerId::parse(&args.id)?;
    let loaded = book.load(&id)?;
    let mut text = compose(&book, &loaded.customer, &args.template, ctx.today)?.to_rfc5322();
    if args.edit {
        text = edit(ctx, &book, &id, &text)?;
    }
    out.write_all(text.as_bytes())?;
    if args.log {
        let subject = subject_of(&text).ok_or_else(|| {
            Error::usage("the edited message has no `Subject:` line; nothing was logged")
        })?;
        let mut lock = book.lock()?;
        let mut email = Interaction::new(ctx.today, Kind::Email);
        email.summary = Some(subject);
        book.append_interaction(&mut lock, &id, &email)?;
        super::finish_write(ctx, &book, lock, &format!("log email with {id}"), out)?;
        out.warn(&format!(
            "logged an email with {id} on {} (crm sends nothing itself)",
            ctx.today
        ));
    }
    Ok(EXIT_OK)
}

/// The subject of message text: its `Subject:` header with folded lines joined and the
/// RFC 2047 words crm writes (`=?UTF-8?B?...?=`) decoded.
fn subject_of(text: &str) -> Option<String> {
    let head = text.split("\n\n").next()?;
    let mut lines = head.lines();
    let mut value = lines
        .find_map(|l| l.strip_prefix("Subject:"))?
        .trim()
        .to_string();
    for folded in lines.take_while(|l| l.starts_with([' ', '\t'])) {
        value.push(' ');
        value.push_str(folded.trim());
    }
    let words: Vec<&str> = value.split_whitespace().collect();
    let encoded = |w: &&str| w.starts_with("=?UTF-8?B?") && w.ends_with("?=");
    let value = if !words.is_empty() && words.iter().all(encoded) {
        let mut bytes = Vec::new();
        for w in &words {
            bytes.extend(message::base64_decode(&w[10..w.len() - 2])?);
        }
        String::from_utf8(bytes).ok()?
    } else {
        value
    };
    Some(value).filter(|s| !s.trim().is_empty())
}

/// Opens `text` in the editor; returns the edited text.
fn edit(ctx: &Context, book: &Book, id: &CustomerId, text: &str) -> Result<String> {
    let editor = super::edit::split_command(&ctx.editor)?;
    let state = book.state_dir();
    let dir = state.join("drafts");
    crate::store::create_state_dir(&state)
        .and_then(|()| std::fs::create_dir_all(&dir))
        .map_err(|e| Error::io("create folder", &dir, &e))?;
    let file = tempfile::Builder::new()
        .prefix(&format!("{id}."))
        .suffix(".eml")
        .tempfile_in(&dir)
        .map_err(|e| Error::io("create a draft in", &dir, &e))?;
    std::fs::write(file.path(), text).map_err(|e| Error::io("write", file.path(), &e))?;
    super::edit::run_editor(&editor, file.path())?;
    std::fs::read_to_string(file.path()).map_err(|e| Error::io("read", file.path(), &e))
}
