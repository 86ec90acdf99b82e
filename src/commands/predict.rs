//! `crm predict`: per customer, the chance they are still a customer, their expected
//! purchases and value over a horizon, and the value at risk (BG/NBD + Gamma-Gamma,
//! defined in docs/metrics.md "Predictions"); `crm predict --params` prints the fit.
//! The fit is over every customer of the book; `--tag` picks whom to show.

use std::io::Write;

use chrono::NaiveDate;
use serde::Serialize;

use crate::context::Context;
use crate::domain::date::Cadence;
use crate::domain::predict::nelder_mead::Stop;
use crate::domain::predict::{self, Model, Prediction, Ranked, Rfm};
use crate::domain::summary::Summary;
use crate::error::{Error, Result};
use crate::render::{self, Format, Table};
use crate::store::{fit as fit_cache, scan, Book};
use crate::ui::Ui;

/// The horizon when none is given (also `crm show`'s and `crm list`'s).
pub const DEFAULT_HORIZON: &str = "90d";

/// Arguments of `crm predict`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// End of observation: purchases after DATE are ignored and T counts to it
    /// (default: today). Any date crm accepts.
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub to: Option<String>,
    /// How far ahead to predict: 90d, 12w, 6m, 1y.
    #[arg(long, value_name = "SPAN", default_value = DEFAULT_HORIZON)]
    pub horizon: String,
    /// Only show customers with this tag (the fit is still over the whole book);
    /// repeat to require several.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Annual discount rate for the value: 0.1 or 10% (default: none).
    #[arg(long, value_name = "RATE")]
    pub discount: Option<String>,
    /// Show only the first N customers.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Print the fitted parameters and log-likelihoods instead.
    #[arg(long)]
    pub params: bool,
    /// Output format (default: table).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// The whole book's model and every customer's summary, fitted or taken from the
/// cache when the data is unchanged.
pub struct BookFit {
    /// Each summary's model input, in the order of the summaries given (`None`:
    /// no purchase by `to`).
    pub rfms: Vec<Option<Rfm>>,
    /// The model, or why there is none.
    pub model: std::result::Result<Model, predict::Refusal>,
}

/// Fits (or loads) the model over `summaries` observed to `to`, and keeps a fresh fit
/// in the cache for `crm show`.
pub fn book_fit(book: &Book, summaries: &[Summary], to: NaiveDate) -> BookFit {
    let rfms: Vec<Option<Rfm>> = summaries.iter().map(|s| Rfm::of(&s.events, to)).collect();
    let mut present: Vec<Rfm> = rfms.iter().flatten().copied().collect();
    // Order-free key: the same data in another scan order is the same fit.
    present.sort_by(|a, b| {
        [a.x, a.t_x, a.t, a.monetary]
            .iter()
            .zip([b.x, b.t_x, b.t, b.monetary].iter())
            .map(|(p, q)| p.total_cmp(q))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let key = fit_cache::key(to, present.iter().map(|c| [c.x, c.t_x, c.t, c.monetary]));
    let state_dir = book.state_dir();
    let model = match fit_cache::load(&state_dir, Some(&key)) {
        Some(model) => Ok(model),
        None => {
            let model = predict::fit(&present, to);
            if let Ok(model) = &model {
                fit_cache::save(&state_dir, &key, model);
            }
            model
        }
    };
    BookFit { rfms, model }
}

/// The refusal as a crm error, with what to do.
pub fn refusal_error(refusal: &predict::Refusal) -> Error {
    Error::usage(refusal.to_string()).with_hint(
        "predictions need purchase history: log purchases (`crm log ID purchase --amount ...`) or import them (`crm import purchases FILE`)",
    )
}

/// Parses `--horizon` into days after `to`.
pub fn horizon_days(text: &str, to: NaiveDate) -> Result<u32> {
    let span = Cadence::parse(text).map_err(|m| Error::usage(format!("--horizon: {m}")))?;
    let end = span
        .after(to)
        .ok_or_else(|| Error::usage(format!("--horizon: {text} runs off the calendar")))?;
    u32::try_from((end - to).num_days())
        .map_err(|_| Error::usage(format!("--horizon: {text} is too long")))
}

/// Parses `--discount`: a fraction (`0.1`) or a percentage (`10%`), from 0 to 1.
pub fn discount_rate(text: &str) -> Result<f64> {
    let t = text.trim();
    let (number, scale) = match t.strip_suffix('%') {
        Some(n) => (n.trim(), 100.0),
        None => (t, 1.0),
    };
    let rate = number
        .parse::<f64>()
        .ok()
        .filter(|r| r.is_finite())
        .map(|r| r / scale)
        .ok_or_else(|| {
            Error::usage(format!("--discount: {text:?} is not a rate"))
                .with_hint("write an annual rate as a fraction or a percentage, e.g. 0.1 or 10%")
        })?;
    if !(0.0..=1.0).contains(&rate) {
        return Err(
            Error::usage(format!("--discount: {text} is not between 0 and 100%")).with_hint(
                format!(
                    "an annual rate of {} would be written {}%, or {}",
                    rate,
                    rate,
                    rate / 100.0
                ),
            ),
        );
    }
    Ok(rate)
}

/// Runs `crm predict`.
pub fn run(ctx: &Context, args: &Args, out: &mut Ui) -> Result<u8> {
    let book = ctx.book()?;
    let to = match &args.to {
        Some(text) => ctx.past_date("--to", text)?,
        None => ctx.today,
    };
    let horizon = horizon_days(&args.horizon, to)?;
    let discount = args.discount.as_deref().map(discount_rate).transpose()?;
    let scan = scan::summaries(&book)?;
    let fit = book_fit(&book, &scan.items, to);
    let model = fit.model.as_ref().map_err(refusal_error)?;
    if args.params {
        write_params(model, args.format, ctx, out)?;
        return Ok(super::report_skipped(out, &scan.problems));
    }
    let mut rows = predict::ranked(&scan.items, &fit.rfms, model, horizon, discount, &args.tags);
    if let Some(limit) = args.limit {
        rows.truncate(limit);
    }
    match args.format {
        Format::Json => render::write_json(out, &rows)?,
        Format::Csv => table(&rows, false).write_csv(out)?,
        Format::Table => table(&rows, true).write_text(out, ctx.table_layout, ctx.color)?,
    }
    Ok(super::report_skipped(out, &scan.problems))
}

fn table(rows: &[Ranked], human: bool) -> Table {
    let mut table = Table::new(&[
        "id",
        "name",
        "x",
        "t_x",
        "T",
        "p_alive",
        "expected_purchases",
        "expected_value",
        "clv",
        "value_at_risk",
    ]);
    let money = |v: Option<f64>| match v {
        Some(v) => format!("{v:.2}"),
        None if human => "-".to_string(),
        None => String::new(),
    };
    for r in rows {
        let p = &r.prediction;
        table.push(vec![
            r.id.clone(),
            if human {
                render::one_line(&r.name).into_owned()
            } else {
                r.name.clone()
            },
            r.x.to_string(),
            r.t_x.to_string(),
            r.t.to_string(),
            format!("{:.3}", p.p_alive),
            format!("{:.3}", p.expected_purchases),
            money(p.expected_value),
            money(p.clv),
            money(p.value_at_risk),
        ]);
    }
    table
}

fn write_params(model: &Model, format: Format, ctx: &Context, out: &mut dyn Write) -> Result<()> {
    if format == Format::Json {
        return render::write_json(out, model);
    }
    let bg = &model.purchases;
    let mut rows: Vec<(&str, String)> = vec![
        ("to", model.to.to_string()),
        ("customers", model.customers.to_string()),
        ("repeat_buyers", model.repeat_buyers.to_string()),
        ("bgnbd_r", format!("{:.6}", bg.params.r)),
        ("bgnbd_alpha_days", format!("{:.6}", bg.params.alpha)),
        ("bgnbd_a", format!("{:.6}", bg.params.a)),
        ("bgnbd_b", format!("{:.6}", bg.params.b)),
        ("bgnbd_log_likelihood", format!("{:.4}", bg.log_likelihood)),
        ("bgnbd_groups", bg.groups.to_string()),
        ("bgnbd_evaluations", bg.evaluations.to_string()),
        ("bgnbd_converged", bg.converged.to_string()),
        ("bgnbd_stop", stop_name(bg.stop).to_string()),
    ];
    match &model.spend {
        Some(gg) => {
            rows.push(("gamma_gamma_p", format!("{:.6}", gg.params.p)));
            match gg.common_rate {
                Some(rate) => rows.extend([
                    ("gamma_gamma_q", "unbounded".to_string()),
                    ("gamma_gamma_v", "unbounded".to_string()),
                    ("gamma_gamma_common_rate", format!("{rate:.6}")),
                    (
                        "gamma_gamma_note",
                        format!(
                            "the likelihood is highest as q and v grow without bound: spend does not vary between customers, so every customer's expected value is the mean p/rate = {:.2}",
                            gg.params.p / rate
                        ),
                    ),
                ]),
                None => rows.extend([
                    ("gamma_gamma_q", format!("{:.6}", gg.params.q)),
                    ("gamma_gamma_v", format!("{:.6}", gg.params.v)),
                ]),
            }
            rows.extend([
                (
                    "gamma_gamma_log_likelihood",
                    format!("{:.4}", gg.log_likelihood),
                ),
                ("gamma_gamma_customers", gg.customers.to_string()),
                ("gamma_gamma_left_out", gg.left_out.to_string()),
                ("gamma_gamma_groups", gg.groups.to_string()),
                ("gamma_gamma_evaluations", gg.evaluations.to_string()),
                ("gamma_gamma_converged", gg.converged.to_string()),
                ("gamma_gamma_stop", stop_name(gg.stop).to_string()),
            ]);
        }
        None => rows.push((
            "gamma_gamma",
            model
                .spend_problem
                .clone()
                .unwrap_or_else(|| "no spend model".to_string()),
        )),
    }
    let mut table = Table::new(&["figure", "value"]);
    for (name, value) in rows {
        table.push(vec![name.to_string(), value]);
    }
    match format {
        Format::Csv => table.write_csv(out),
        _ => table.write_text(out, ctx.table_layout, ctx.color),
    }
}

/// How a search stopped, as `--params` prints it.
fn stop_name(stop: Stop) -> &'static str {
    match stop {
        Stop::Converged => "converged",
        Stop::Stalled => "stalled",
        Stop::EvaluationLimit => "evaluation limit",
    }
}

/// What `crm show` says about one customer from the cached fit (see
/// `store::fit`): it reads no other customer's file, so it cannot check that the fit
/// is current, and says which fit it used.
#[derive(Debug, Serialize)]
pub struct Shown {
    /// The end of observation of the cached fit.
    pub fitted_to: NaiveDate,
    /// Customers that fit was made over.
    pub fitted_customers: usize,
    /// The horizon in days.
    pub horizon_days: u32,
    /// The prediction for this customer, observed to today; `None` without a purchase.
    #[serde(flatten)]
    pub prediction: Option<Prediction>,
}

/// The prediction `crm show` prints for `summary`, observed to `today`, when the book
/// has a cached fit.
pub fn for_show(book: &Book, summary: &Summary, today: NaiveDate) -> Option<Shown> {
    let model = fit_cache::load(&book.state_dir(), None)?;
    let horizon = horizon_days(DEFAULT_HORIZON, today).ok()?;
    Some(Shown {
        fitted_to: model.to,
        fitted_customers: model.customers,
        horizon_days: horizon,
        prediction: Rfm::of(&summary.events, today).map(|rfm| model.predict(&rfm, horizon, None)),
    })
}
