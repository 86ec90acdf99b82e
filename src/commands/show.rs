//! `crm show ID`: one customer as a card, as JSON, or as the file itself. Reads only
//! that customer's file.

use std::io::Write;

use clap::ValueEnum;
use serde::Serialize;

use crate::commands::programme::LoyaltyView;
use crate::context::Context;
use crate::domain::customer::Customer;
use crate::domain::interaction::Interaction;
use crate::domain::money::Money;
use crate::domain::summary::Summary;
use crate::error::{Result, EXIT_OK};
use crate::render::{self, describe, paint, Style};
use crate::ui::Ui;

/// Output formats of `crm show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ShowFormat {
    /// A readable card.
    Card,
    /// JSON: the customer, their next follow-up and totals.
    Json,
    /// The file exactly as it is on disk.
    Yaml,
}

/// Arguments of `crm show`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The customer's id.
    #[arg(add = clap_complete::ArgValueCompleter::new(super::complete::ids))]
    pub(crate) id: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ShowFormat::Card)]
    pub(crate) format: ShowFormat,
    /// How many recent interactions the card shows.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub(crate) recent: usize,
}

pub(crate) fn run(ctx: &Context, args: &Args, out: &mut Ui) -> Result<u8> {
    let book = ctx.book()?;
    let id = book.existing_id(&args.id)?;
    let loaded = book.load(&id)?;
    let kinds = crate::domain::summary::Summary::of(&loaded.customer).other_kinds;
    super::warn_unknown_kinds(&book, out, std::iter::once((id.as_str(), &*kinds)));
    match args.format {
        ShowFormat::Yaml => out.write_all(loaded.raw())?,
        ShowFormat::Json => {
            let mut json = CustomerJson::new(&loaded.customer, ctx);
            json.loyalty = loyalty(&book, &loaded.customer, ctx);
            json.prediction =
                super::predict::for_show(&book, &Summary::of(&loaded.customer), ctx.today);
            render::write_json(out, &json)?
        }
        ShowFormat::Card => {
            let summary = Summary::of(&loaded.customer);
            let prediction = super::predict::for_show(&book, &summary, ctx.today);
            card(
                &loaded.customer,
                ctx,
                args.recent,
                book.config.currency.as_deref(),
                out,
            )?;
            if let Some(view) = loyalty(&book, &loaded.customer, ctx) {
                loyalty_card(&view, ctx.color, out)?;
            }
            if let Some(shown) = prediction {
                prediction_lines(&shown, ctx.color, out)?;
            }
        }
    }
    Ok(EXIT_OK)
}

fn card(
    customer: &Customer,
    ctx: &Context,
    recent: usize,
    currency: Option<&str>,
    out: &mut dyn Write,
) -> Result<()> {
    let summary = Summary::of(customer);
    let color = ctx.color;
    writeln!(
        out,
        "{}  ({})",
        paint(&render::one_line(&customer.name), Style::Bold, color),
        customer.id
    )?;
    let tags = customer.tags.join(", ");
    let fields = [
        ("email", customer.email.clone()),
        ("phone", customer.phone.clone()),
        ("company", customer.company.clone()),
        ("tags", (!tags.is_empty()).then_some(tags)),
        ("birthday", customer.birthday.map(|d| d.to_string())),
        ("since", customer.since.map(|d| d.to_string())),
        ("archived", customer.archived.map(|d| d.to_string())),
    ];
    for (label, value) in fields {
        if let Some(value) = value {
            writeln!(out, "  {label:<9} {}", render::one_line(&value))?;
        }
    }
    if !customer.preferences.is_empty() {
        writeln!(out, "\n{}", paint("Preferences", Style::Bold, color))?;
        let width = customer
            .preferences
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        for (key, value) in &customer.preferences {
            let key = render::one_line(key);
            writeln!(out, "  {key:<width$}  {}", render::one_line(value))?;
        }
    }
    writeln!(out, "\n{}", paint("Follow-up", Style::Bold, color))?;
    if let Some(every) = customer.follow_up.every {
        writeln!(out, "  every     {every}")?;
    }
    match summary.next_follow_up(ctx.today) {
        Some(next) => {
            let when = describe::when(next.date, ctx.today);
            let style = if next.date < ctx.today {
                Style::Red
            } else {
                Style::Yellow
            };
            writeln!(
                out,
                "  next      {} ({}; {})",
                next.date,
                paint(&when, style, color),
                describe::reason(&next)
            )?;
        }
        None => writeln!(out, "  next      none (no cadence and no pending promise)")?,
    }
    writeln!(out, "\n{}", paint("Totals", Style::Bold, color))?;
    writeln!(out, "  purchases     {}", summary.purchases())?;
    // ` EUR` when crm.toml names the book's currency.
    let currency = currency.map(|c| format!(" {}", render::one_line(c.trim())));
    writeln!(
        out,
        "  revenue       {}{}",
        summary.revenue(),
        currency.unwrap_or_default()
    )?;
    writeln!(
        out,
        "  last contact  {}",
        render::or_dash(summary.last_contact)
    )?;
    writeln!(out, "  interactions  {}", summary.interactions)?;
    let log = customer.chronological();
    if !log.is_empty() {
        writeln!(
            out,
            "\n{}",
            paint("Recent interactions", Style::Bold, color)
        )?;
        for interaction in log.iter().rev().take(recent) {
            writeln!(out, "  {}", interaction_line(interaction))?;
        }
    }
    Ok(())
}

/// The customer's loyalty account, when the book has a programme.
fn loyalty(book: &crate::store::Book, customer: &Customer, ctx: &Context) -> Option<LoyaltyView> {
    let programme = book.config.programme()?;
    Some(LoyaltyView::of(
        &programme,
        &Summary::of(customer),
        ctx.today,
    ))
}

fn loyalty_card(view: &LoyaltyView, color: bool, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "\n{}", paint("Loyalty", Style::Bold, color))?;
    writeln!(
        out,
        "  points    {} (earned {}, refunded {}, redeemed {}, lapsed {})",
        view.points, view.earned, view.taken_back, view.redeemed, view.lapsed
    )?;
    writeln!(
        out,
        "  tier      {}",
        view.tier.as_deref().unwrap_or("none")
    )?;
    writeln!(out, "  next      {}", view.next_text())?;
    Ok(())
}

/// The card's prediction section, from the book's cached fit (`crm predict` makes it).
fn prediction_lines(shown: &super::predict::Shown, color: bool, out: &mut dyn Write) -> Result<()> {
    writeln!(
        out,
        "\n{} (fit of {} over {} customers; `crm predict` refreshes it)",
        paint("Predictions", Style::Bold, color),
        shown.fitted_to,
        shown.fitted_customers
    )?;
    let Some(p) = &shown.prediction else {
        return Ok(writeln!(out, "  none: no purchase yet")?);
    };
    let days = shown.horizon_days;
    let mut lines = vec![
        ("p(alive)".to_string(), format!("{:.3}", p.p_alive)),
        (
            format!("purchases in {days}d"),
            format!("{:.2}", p.expected_purchases),
        ),
    ];
    if let Some(clv) = p.clv {
        lines.push((format!("value in {days}d"), format!("{clv:.2}")));
    }
    for (label, value) in lines {
        writeln!(out, "  {label:<18}{value}")?;
    }
    Ok(())
}

fn interaction_line(i: &Interaction) -> String {
    let mut line = format!("{}  {:<9}", i.date, i.kind.name());
    if let Some(amount) = i.amount {
        line.push_str(&format!(" {amount}"));
    }
    if let Some(rating) = i.rating {
        line.push_str(&format!(" rating {rating}/5"));
    }
    if let Some(nps) = i.nps {
        line.push_str(&format!(" nps {nps}/10"));
    }
    if let Some(points) = i.points {
        line.push_str(&format!(" {points} points"));
    }
    if !i.items.is_empty() {
        line.push_str(&format!(" [{}]", i.items.join(", ")));
    }
    if let Some(summary) = &i.summary {
        line.push_str(&format!(" {summary}"));
    }
    if let Some(follow_up) = i.follow_up {
        line.push_str(&format!(" (follow up {follow_up})"));
    }
    render::one_line(line.trim_end()).into_owned()
}

/// The JSON form of one customer (a contract for scripts: fields are only added).
#[derive(Debug, Serialize)]
pub(crate) struct CustomerJson {
    id: String,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    company: Option<String>,
    tags: Vec<String>,
    birthday: Option<crate::domain::birthday::Birthday>,
    since: Option<chrono::NaiveDate>,
    preferences: render::OrderedMap,
    follow_up: FollowUpJson,
    totals: TotalsJson,
    interactions: Vec<InteractionJson>,
    /// From the book's cached fit, when there is one (see `crm predict`).
    #[serde(skip_serializing_if = "Option::is_none")]
    prediction: Option<super::predict::Shown>,
    /// Only in books with a `[loyalty]` section.
    #[serde(skip_serializing_if = "Option::is_none")]
    loyalty: Option<LoyaltyView>,
    /// When `crm archive` archived the customer (added last: fields are only added).
    archived: Option<chrono::NaiveDate>,
}

#[derive(Debug, Serialize)]
struct FollowUpJson {
    every: Option<String>,
    next: Option<chrono::NaiveDate>,
    reason: Option<String>,
}

#[derive(Debug, Serialize)]
struct TotalsJson {
    interactions: usize,
    purchases: usize,
    revenue: Money,
    last_contact: Option<chrono::NaiveDate>,
}

#[derive(Debug, Serialize)]
struct InteractionJson {
    date: chrono::NaiveDate,
    kind: String,
    summary: Option<String>,
    amount: Option<Money>,
    items: Vec<String>,
    rating: Option<u8>,
    channel: Option<String>,
    follow_up: Option<chrono::NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nps: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    points: Option<u32>,
}

impl CustomerJson {
    fn new(customer: &Customer, ctx: &Context) -> CustomerJson {
        let summary = Summary::of(customer);
        let next = summary.next_follow_up(ctx.today);
        CustomerJson {
            id: customer.id.to_string(),
            name: customer.name.clone(),
            email: customer.email.clone(),
            phone: customer.phone.clone(),
            company: customer.company.clone(),
            tags: customer.tags.clone(),
            birthday: customer.birthday,
            since: customer.since,
            preferences: render::OrderedMap(customer.preferences.clone()),
            follow_up: FollowUpJson {
                every: customer.follow_up.every.map(|e| e.to_string()),
                next: next.as_ref().map(|n| n.date),
                reason: next.as_ref().map(describe::reason),
            },
            totals: TotalsJson {
                interactions: summary.interactions as usize,
                purchases: summary.purchases(),
                revenue: summary.revenue(),
                last_contact: summary.last_contact,
            },
            interactions: customer
                .interactions
                .iter()
                .map(|i| InteractionJson {
                    date: i.date,
                    kind: i.kind.name().to_string(),
                    summary: i.summary.clone(),
                    amount: i.amount,
                    items: i.items.clone(),
                    rating: i.rating,
                    channel: i.channel.clone(),
                    follow_up: i.follow_up,
                    nps: i.nps,
                    points: i.points,
                })
                .collect(),
            prediction: None,
            loyalty: None,
            archived: customer.archived,
        }
    }
}
