//! `crm report`: the whole book on one self-contained HTML page (revenue, orders,
//! retention, churn, cohorts, satisfaction, segments, loyalty tiers, the customers
//! with the most value at risk, the next two weeks) for a shop owner to look at.
//! `crm report > report.html`.

use chrono::{Duration, NaiveDate};

use crate::context::Context;
use crate::domain::agenda::{self, AgendaOptions, Group, Why};
use crate::domain::metrics::{self, Options};
use crate::domain::period::PeriodKind;
use crate::domain::summary::Event;
use crate::error::{Error, Result};
use crate::render::describe;
use crate::render::html::{self, AgendaLine, Page};
use crate::store::scan;
use crate::ui::Ui;

use super::predict;

/// How many customers the value-at-risk chart and table show.
const AT_RISK: usize = 10;
/// How far ahead the agenda looks.
const AGENDA_DAYS: i64 = 14;

/// Arguments of `crm report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// First day of the figures (default: the earliest event). Any date crm accepts.
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub from: Option<String>,
    /// Last day of the figures, and the end of observation for the predictions
    /// (default: the latest event for the figures, today for the predictions).
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub to: Option<String>,
    /// Length of the periods: month, quarter or year (default: `[stats] period` in
    /// crm.toml, else month).
    #[arg(long, value_name = "PERIOD")]
    pub period: Option<String>,
}

/// Runs `crm report`.
pub fn run(ctx: &Context, args: &Args, out: &mut Ui) -> Result<u8> {
    let book = ctx.book()?;
    let kind = match args.period.as_deref() {
        Some(text) => {
            PeriodKind::parse(text).map_err(|m| Error::usage(format!("--period: {m}")))?
        }
        None => book.config.stats.period,
    };
    let date = |flag: &str, text: &Option<String>| -> Result<Option<NaiveDate>> {
        text.as_deref().map(|t| ctx.past_date(flag, t)).transpose()
    };
    let (from, to) = (date("--from", &args.from)?, date("--to", &args.to)?);
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            return Err(Error::usage(format!("--from {from} is after --to {to}"))
                .with_hint("swap the two dates"));
        }
    }
    let options = Options {
        kind,
        from,
        to,
        today: ctx.today,
    };
    let scan = scan::summaries(&book)?;
    let events: Vec<&[Event]> = scan.items.iter().map(|c| &*c.events).collect();
    let report = metrics::report(&events, &options);
    let cohorts = metrics::cohorts(&events, &options);

    let observed_to = to.unwrap_or(ctx.today);
    let horizon = predict::horizon_days(predict::DEFAULT_HORIZON, observed_to)?;
    let fit = predict::book_fit(&book, &scan.items, observed_to);
    let mut at_risk = match &fit.model {
        Ok(model) => {
            crate::domain::predict::ranked(&scan.items, &fit.rfms, model, horizon, None, &[])
        }
        Err(_) => Vec::new(),
    };
    at_risk.truncate(AT_RISK);

    let until = ctx.today + Duration::days(AGENDA_DAYS);
    let everyone: Vec<_> = scan.items.iter().collect();
    let agenda: Vec<AgendaLine> = agenda::due(
        &everyone,
        AgendaOptions {
            today: ctx.today,
            until,
            occasions: true,
            overdue_only: false,
        },
    )
    .into_iter()
    .map(|item| {
        let (what, reason) = match &item.why {
            Why::FollowUp(next) => (
                if item.group == Group::Overdue {
                    "overdue"
                } else {
                    "follow-up"
                },
                describe::reason(next),
            ),
            Why::Birthday { age: Some(age) } => ("birthday", format!("turns {age}")),
            Why::Birthday { age: None } => ("birthday", String::new()),
            Why::Anniversary { years } => (
                "anniversary",
                format!(
                    "{years} year{} as a customer",
                    describe::plural(i64::from(*years))
                ),
            ),
        };
        AgendaLine {
            date: item.date,
            what,
            id: item.customer.id.clone(),
            name: item.customer.name.clone(),
            reason,
        }
    })
    .collect();

    let title = match book.config.report.title.as_deref().map(str::trim) {
        Some(title) if !title.is_empty() => title.to_string(),
        _ => book
            .root
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "crm".to_string()),
    };
    let scores = crate::domain::segments::score(&events, ctx.today);
    let segments: Vec<(String, usize)> = crate::domain::segments::table(&scores)
        .into_iter()
        .map(|row| (row.segment.slug().to_string(), row.customers))
        .collect();
    let tiers = book.config.programme().map_or_else(Vec::new, |programme| {
        programme.tier_sizes(
            scan.items.iter().map(|c| (&*c.events, &*c.touches)),
            ctx.today,
        )
    });
    let page = Page {
        title: &title,
        today: ctx.today,
        currency: book.config.currency.as_deref(),
        report: &report,
        cohorts: &cohorts,
        model: fit.model.as_ref().map_err(|r| r.to_string()),
        at_risk: &at_risk,
        horizon_days: horizon,
        agenda: &agenda,
        agenda_until: until,
        segments: &segments,
        tiers: &tiers,
    };
    html::write_report(out, &page)?;
    Ok(super::report_skipped(out, &scan.problems))
}
