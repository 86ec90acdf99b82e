//! Predictions from purchase history: who has probably stopped buying, how often the
//! others will buy over a horizon, and what that is worth. BG/NBD
//! ([`bgnbd`]) for purchases and P(alive), Gamma-Gamma ([`gamma_gamma`]) for spend, both
//! fitted by maximum likelihood over the book. Every figure is defined in
//! `docs/metrics.md` ("Predictions"). Pure: no files, no clock; `to` is an argument.

pub mod bgnbd;
pub mod gamma_gamma;
pub mod nelder_mead;
pub mod special;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::summary::{Event, EventKind, Summary};

/// Fewest customers with a purchase a fit is made over.
pub const MIN_CUSTOMERS: usize = 10;
/// Fewest repeat buyers (x > 0) a fit is made over: without them the likelihood has no
/// maximum (the dropout and rate parameters run off to the boundary).
pub const MIN_REPEAT_BUYERS: usize = 2;
/// The length of the steps a discounted CLV sums over, in days.
pub const CLV_STEP_DAYS: u32 = 30;

/// One customer's purchase history as the models see it, exactly as
/// `lifetimes.utils.summary_data_from_transaction_data(freq="D")` computes it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rfm {
    /// Repeat purchase days: distinct purchase days minus one.
    pub x: f64,
    /// Days from the first to the last purchase day.
    pub t_x: f64,
    /// Days from the first purchase day to the end of observation.
    pub t: f64,
    /// Mean value of the repeat purchase days (each day's purchases summed; the first
    /// day left out), in money units; 0 when x = 0.
    pub monetary: f64,
}

impl Rfm {
    /// The summary of `events` up to and including `to`: purchases only (refunds,
    /// ratings and complaints are not transactions), all purchases of one day as one
    /// transaction worth their sum. `None` without a purchase on or before `to`.
    pub fn of(events: &[Event], to: NaiveDate) -> Option<Rfm> {
        let mut purchases: Vec<(NaiveDate, i64)> = events
            .iter()
            .filter(|e| e.kind == EventKind::Purchase && e.date <= to)
            .map(|e| (e.date, e.cents))
            .collect();
        purchases.sort_unstable();
        let mut days: Vec<(NaiveDate, i64)> = Vec::with_capacity(purchases.len());
        for (date, cents) in purchases {
            match days.last_mut() {
                Some((d, sum)) if *d == date => *sum += cents,
                _ => days.push((date, cents)),
            }
        }
        let (first, _) = *days.first()?;
        let (last, _) = *days.last()?;
        let repeat = &days[1..];
        let monetary = if repeat.is_empty() {
            0.0
        } else {
            repeat.iter().map(|(_, c)| *c as f64).sum::<f64>() / 100.0 / repeat.len() as f64
        };
        Some(Rfm {
            x: repeat.len() as f64,
            t_x: (last - first).num_days() as f64,
            t: (to - first).num_days() as f64,
            monetary,
        })
    }
}

/// Both models fitted over a book.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// The end of observation the fit used.
    pub to: NaiveDate,
    /// Purchases and dropout.
    pub purchases: bgnbd::Fit,
    /// Spend; `None` when no repeat buyer has a positive mean repeat value, or the fit
    /// gives q ≤ 1 (an infinite mean spend), see `spend_problem`.
    pub spend: Option<gamma_gamma::Fit>,
    /// Why there is no spend model, when there is none.
    pub spend_problem: Option<String>,
    /// Customers with a purchase (those fitted).
    pub customers: usize,
    /// Of those, repeat buyers.
    pub repeat_buyers: usize,
}

/// Why no model could be fitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Fewer than [`MIN_CUSTOMERS`] customers with a purchase.
    TooFewCustomers {
        /// How many there are.
        found: usize,
    },
    /// Fewer than [`MIN_REPEAT_BUYERS`] repeat buyers.
    TooFewRepeatBuyers {
        /// How many there are.
        found: usize,
    },
    /// The search ended at a point where the likelihood is not finite.
    NoConvergence,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::TooFewCustomers { found } => write!(
                f,
                "the book is too small to fit: {found} customer{} with a purchase, at least {MIN_CUSTOMERS} are needed",
                if *found == 1 { "" } else { "s" }
            ),
            Refusal::TooFewRepeatBuyers { found } => write!(
                f,
                "no model without repeat buyers: {found} customer{} bought on two or more days, at least {MIN_REPEAT_BUYERS} are needed",
                if *found == 1 { "" } else { "s" }
            ),
            Refusal::NoConvergence => write!(f, "the purchase model's fit did not converge"),
        }
    }
}

/// Fits both models over the customers' summaries (those with a purchase).
pub fn fit(customers: &[Rfm], to: NaiveDate) -> Result<Model, Refusal> {
    let repeat_buyers = customers.iter().filter(|c| c.x > 0.0).count();
    if customers.len() < MIN_CUSTOMERS {
        return Err(Refusal::TooFewCustomers {
            found: customers.len(),
        });
    }
    if repeat_buyers < MIN_REPEAT_BUYERS {
        return Err(Refusal::TooFewRepeatBuyers {
            found: repeat_buyers,
        });
    }
    let purchases = bgnbd::fit(customers).ok_or(Refusal::NoConvergence)?;
    let pairs: Vec<(f64, f64)> = customers.iter().map(|c| (c.x, c.monetary)).collect();
    let (spend, spend_problem) = match gamma_gamma::fit(&pairs) {
        None => (
            None,
            Some("no repeat buyer has a positive mean repeat value".to_string()),
        ),
        Some(fit) if fit.common_rate.is_none() && fit.params.q <= 1.0 => (
            None,
            Some(format!(
                "the spend model's q = {:.3} is not above 1, so its mean spend is infinite",
                fit.params.q
            )),
        ),
        Some(fit) => (Some(fit), None),
    };
    Ok(Model {
        to,
        purchases,
        spend,
        spend_problem,
        customers: customers.len(),
        repeat_buyers,
    })
}

/// What the models say about one customer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Prediction {
    /// P(alive) at the end of observation.
    pub p_alive: f64,
    /// Expected purchase days in the horizon.
    pub expected_purchases: f64,
    /// Expected value of one purchase (Gamma-Gamma); `None` without a spend model.
    pub expected_value: Option<f64>,
    /// Customer lifetime value over the horizon: expected purchases × expected value,
    /// discounted; `None` without a spend model.
    pub clv: Option<f64>,
    /// What the horizon would bring if the customer is still active, times the chance
    /// they are not: `(1 − P(alive)) × CLV if alive`.
    pub value_at_risk: Option<f64>,
    /// `(1 − P(alive)) × expected purchases if alive`: what the sort uses without a
    /// spend model.
    pub purchases_at_risk: f64,
}

impl Model {
    /// The prediction for `customer` over `horizon_days`, with an optional annual
    /// `discount` rate (0.1 = 10 % a year). Discounting sums the horizon in steps of
    /// [`CLV_STEP_DAYS`] (the last one shorter), each step's expected purchases valued
    /// at the step's end: `Σ ΔE[X] · E[M] / (1 + d)^(t/365)`; without a discount that
    /// is `E[X(horizon)] · E[M]`.
    pub fn predict(&self, customer: &Rfm, horizon_days: u32, discount: Option<f64>) -> Prediction {
        let bg = &self.purchases.params;
        let p_alive = bg.p_alive(customer);
        let if_alive = bg.expected_if_alive(customer, f64::from(horizon_days));
        let expected_value = self
            .spend
            .as_ref()
            .and_then(|s| s.expected_value(customer.x, customer.monetary));
        let discounted_if_alive = match discount {
            None => if_alive,
            Some(d) => {
                let mut total = 0.0;
                let mut before = 0.0;
                let mut day = 0;
                while day < horizon_days {
                    day = (day + CLV_STEP_DAYS).min(horizon_days);
                    let upto = bg.expected_if_alive(customer, f64::from(day));
                    total += (upto - before) / (1.0 + d).powf(f64::from(day) / 365.0);
                    before = upto;
                }
                total
            }
        };
        let value_if_alive = expected_value.map(|m| m * discounted_if_alive);
        Prediction {
            p_alive,
            expected_purchases: p_alive * if_alive,
            expected_value,
            clv: value_if_alive.map(|v| p_alive * v),
            value_at_risk: value_if_alive.map(|v| (1.0 - p_alive) * v),
            purchases_at_risk: (1.0 - p_alive) * if_alive,
        }
    }
}

/// One customer's prediction: the JSON contract (fields are only added).
#[derive(Debug, Serialize)]
pub struct Ranked {
    /// The customer's id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Repeat purchase days.
    pub x: u32,
    /// Days from the first to the last purchase day.
    pub t_x: u32,
    /// Days from the first purchase day to the end of observation.
    #[serde(rename = "T")]
    pub t: u32,
    /// Mean value of the repeat purchase days.
    pub monetary: f64,
    /// The prediction itself.
    #[serde(flatten)]
    pub prediction: Prediction,
}

/// Predictions for the customers with every tag in `tags`, highest value at risk first
/// (purchases at risk without a spend model), ties by id.
pub fn ranked(
    summaries: &[Summary],
    rfms: &[Option<Rfm>],
    model: &Model,
    horizon: u32,
    discount: Option<f64>,
    tags: &[String],
) -> Vec<Ranked> {
    let mut rows: Vec<Ranked> = summaries
        .iter()
        .zip(rfms)
        .filter(|(s, _)| tags.iter().all(|t| s.has_tag(t)))
        .filter_map(|(s, rfm)| {
            let rfm = rfm.as_ref()?;
            Some(Ranked {
                id: s.id.clone(),
                name: s.name.clone(),
                x: rfm.x as u32,
                t_x: rfm.t_x as u32,
                t: rfm.t as u32,
                monetary: rfm.monetary,
                prediction: model.predict(rfm, horizon, discount),
            })
        })
        .collect();
    let risk = |r: &Ranked| {
        r.prediction
            .value_at_risk
            .unwrap_or(r.prediction.purchases_at_risk)
    };
    rows.sort_by(|a, b| risk(b).total_cmp(&risk(a)).then_with(|| a.id.cmp(&b.id)));
    rows
}

#[cfg(test)]
mod tests;
