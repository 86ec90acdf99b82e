//! The BG/NBD model of Fader, Hardie & Lee (2005), "Counting your customers the easy
//! way": while alive, a customer buys at a Poisson rate λ ~ Gamma(r, α); after each
//! purchase they drop out with probability p ~ Beta(a, b). Its log-likelihood, the
//! maximum-likelihood fit, P(alive) and the expected purchases over a horizon, in the
//! forms `lifetimes` (`BetaGeoFitter`) uses, all evaluated in log space. Pure.
//!
//! Time is in whatever unit the [`Rfm`] values are in (crm uses days); α is in that
//! unit too, the other parameters have none.

use serde::{Deserialize, Serialize};

use super::nelder_mead::{self, Settings, Stop};
use super::special::{hyp2f1_series, ln_gamma, log_add_exp};
use super::Rfm;

/// The four BG/NBD parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Shape of the purchase-rate distribution.
    pub r: f64,
    /// Scale of the purchase-rate distribution (in time units).
    pub alpha: f64,
    /// Dropout Beta's first shape.
    pub a: f64,
    /// Dropout Beta's second shape.
    pub b: f64,
}

/// A fitted model: its parameters and where the search ended.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fit {
    /// The maximum-likelihood parameters.
    pub params: Params,
    /// The log-likelihood of the data at `params` (a sum over customers).
    pub log_likelihood: f64,
    /// Customers fitted.
    pub customers: usize,
    /// Distinct (x, t_x, T) triples the likelihood was summed over.
    pub groups: usize,
    /// Likelihood evaluations the search made.
    pub evaluations: usize,
    /// Whether the search met its convergence rule (`false`: it stalled or ran out of
    /// evaluations, see `stop`).
    pub converged: bool,
    /// How the search stopped.
    pub stop: Stop,
}

impl Params {
    /// The log-likelihood of one customer's (x, t_x, T) (eq. 6 of the paper):
    /// `ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x) − ln B(a, b)` plus
    /// `ln[(α+T)^−(r+x) + δ(x>0) a/(b+x−1) (α+t_x)^−(r+x)]`, the last by log-sum-exp.
    // `Prepared::total_log_likelihood` inlines this per-customer form for speed;
    // `grouped_likelihoods_equal_the_per_customer_sums` checks the two agree.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn log_likelihood(&self, c: &Rfm) -> f64 {
        let Params { r, alpha, a, b } = *self;
        let x = c.x;
        let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
        let a2 = ln_gamma(a + b) + ln_gamma(b + x) - ln_gamma(b) - ln_gamma(a + b + x);
        let a3 = -(r + x) * (alpha + c.t).ln();
        let a4 = if x > 0.0 {
            a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + c.t_x).ln()
        } else {
            f64::NEG_INFINITY
        };
        a1 + a2 + log_add_exp(a3, a4)
    }

    /// P(alive at T | x, t_x, T) = 1 / (1 + δ(x>0) a/(b+x−1) ((α+T)/(α+t_x))^(r+x));
    /// a customer who never came back (x = 0) is alive by the model's assumption that
    /// dropout happens only right after a purchase.
    pub fn p_alive(&self, c: &Rfm) -> f64 {
        if c.x <= 0.0 {
            return 1.0;
        }
        let Params { r, alpha, a, b } = *self;
        let log_odds =
            (r + c.x) * ((alpha + c.t) / (alpha + c.t_x)).ln() + (a / (b + c.x - 1.0)).ln();
        // 1 / (1 + e^log_odds) without overflow.
        (-log_add_exp(0.0, log_odds)).exp()
    }

    /// Expected purchases in the `horizon` after T for a customer who is still alive:
    /// `(a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; z)]`
    /// with z = t/(α+T+t) (eq. 10 of the paper without its P(alive) denominator).
    ///
    /// The series is summed in whichever of two equal forms has the smaller terms:
    /// as written, or after Euler's transformation ₂F₁(A, B; C; z) = (1−z)^(C−A−B)
    /// ₂F₁(C−A, C−B; C; z), which turns the bracket into
    /// `1 − (1−z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z)`. The first has terms that grow
    /// with x (`lifetimes` switches to the second when it overflows); the second has
    /// terms that grow with a and b (a fit on a book with hardly any dropout can send
    /// both to millions).
    pub fn expected_if_alive(&self, c: &Rfm, horizon: f64) -> f64 {
        if horizon <= 0.0 {
            return 0.0;
        }
        let Params { r, alpha, a, b } = *self;
        let x = c.x;
        // a = 1 is a removable singularity; step off it.
        let a = if (a - 1.0).abs() < 1e-9 {
            1.0 + 1e-9
        } else {
            a
        };
        let z = horizon / (alpha + c.t + horizon);
        let c_ = a + b + x - 1.0;
        let ln_one_minus_z = ((alpha + c.t) / (alpha + c.t + horizon)).ln();
        let transformed = ((a + b - 1.0 - r) * (a - 1.0)).abs();
        let plain = (r + x) * (b + x);
        // 1 − (1−z)^power · S, written so that a bracket near 0 keeps its digits.
        let bracket = |power: f64, series: f64| {
            let w = power * ln_one_minus_z;
            -w.exp_m1() - w.exp() * (series - 1.0)
        };
        let value = if transformed <= plain {
            bracket(a - 1.0, hyp2f1_series(a + b - 1.0 - r, a - 1.0, c_, z))
        } else {
            bracket(r + x, hyp2f1_series(r + x, b + x, c_, z))
        };
        (a + b + x - 1.0) / (a - 1.0) * value
    }

    /// E[purchases in (T, T + horizon] | x, t_x, T]: P(alive) × the expectation if alive.
    // `Model::predict` multiplies the two factors itself (it needs both).
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn expected_purchases(&self, c: &Rfm, horizon: f64) -> f64 {
        self.p_alive(c) * self.expected_if_alive(c, horizon)
    }
}

/// The total log-likelihood of `customers` (each with a weight: how many customers
/// share that (x, t_x, T)): the reference form of [`Prepared::total_log_likelihood`],
/// which the fit uses. The terms that depend on x alone (the ln Γ and ln B ones)
/// are computed once per distinct x: [`group`] sorts by x, so equal x are adjacent.
#[cfg_attr(not(test), allow(dead_code))]
pub fn total_log_likelihood(params: &Params, customers: &[(Rfm, f64)]) -> f64 {
    let Params { r, alpha, a, b } = *params;
    let (ln_alpha, ln_a) = (alpha.ln(), a.ln());
    let base = ln_gamma(a + b) - ln_gamma(b) - ln_gamma(r) + r * ln_alpha;
    let mut per_x = (f64::NAN, 0.0);
    let mut total = 0.0;
    for (c, w) in customers {
        let x = c.x;
        if x.to_bits() != per_x.0.to_bits() {
            per_x = (
                x,
                base + ln_gamma(r + x) + ln_gamma(b + x) - ln_gamma(a + b + x),
            );
        }
        let a3 = -(r + x) * (alpha + c.t).ln();
        let a4 = if x > 0.0 {
            ln_a - (b + x - 1.0).ln() - (r + x) * (alpha + c.t_x).ln()
        } else {
            f64::NEG_INFINITY
        };
        total += w * (per_x.1 + log_add_exp(a3, a4));
    }
    total
}

/// Grouped customers ready for many evaluations: each group's t_x and T as indexes
/// into the table of distinct times (a book in days has a few thousand), so that an
/// evaluation takes ln(α + t) once per distinct time instead of twice per group.
/// [`Prepared::total_log_likelihood`] equals [`total_log_likelihood`] term by term.
pub struct Prepared {
    groups: Vec<(Rfm, f64)>,
    times: Vec<f64>,
    /// (index of t_x, index of T) per group.
    index: Vec<(u32, u32)>,
}

impl Prepared {
    /// Indexes `groups` (from [`group`]: sorted by x).
    pub fn new(groups: Vec<(Rfm, f64)>) -> Prepared {
        let mut times: Vec<f64> = groups.iter().flat_map(|(c, _)| [c.t_x, c.t]).collect();
        times.sort_by(f64::total_cmp);
        times.dedup_by(|a, b| a.to_bits() == b.to_bits());
        let at = |v: f64| {
            times
                .binary_search_by(|t| t.total_cmp(&v))
                .expect("every time is in the table") as u32
        };
        let index = groups.iter().map(|(c, _)| (at(c.t_x), at(c.t))).collect();
        Prepared {
            groups,
            times,
            index,
        }
    }

    /// Distinct (x, t_x, T) groups.
    pub fn groups(&self) -> usize {
        self.groups.len()
    }

    /// The total log-likelihood at `params`.
    pub fn total_log_likelihood(&self, params: &Params) -> f64 {
        let Params { r, alpha, a, b } = *params;
        let ln_times: Vec<f64> = self.times.iter().map(|t| (alpha + t).ln()).collect();
        let ln_a = a.ln();
        let base = ln_gamma(a + b) - ln_gamma(b) - ln_gamma(r) + r * alpha.ln();
        // (x, the terms of x alone, ln a − ln(b+x−1)).
        let mut per_x = (f64::NAN, 0.0, 0.0);
        let mut total = 0.0;
        for ((c, w), &(i_tx, i_t)) in self.groups.iter().zip(&self.index) {
            let x = c.x;
            if x.to_bits() != per_x.0.to_bits() {
                per_x = (
                    x,
                    base + ln_gamma(r + x) + ln_gamma(b + x) - ln_gamma(a + b + x),
                    ln_a - (b + x - 1.0).ln(),
                );
            }
            let a3 = -(r + x) * ln_times[i_t as usize];
            let a4 = if x > 0.0 {
                per_x.2 - (r + x) * ln_times[i_tx as usize]
            } else {
                f64::NEG_INFINITY
            };
            total += w * (per_x.1 + log_add_exp(a3, a4));
        }
        total
    }
}

/// How far the search may take a log-parameter: e^±20 is 2e-9 to 5e8. A book where
/// hardly anyone drops out has its likelihood rise forever as a and b grow together;
/// the bound makes the search stop there instead of walking on.
pub const LOG_BOUND: f64 = 20.0;

/// Fits the model by maximum likelihood: Nelder–Mead over (ln r, ln α, ln a, ln b), so
/// that every parameter stays positive without constraints. Customers with equal
/// (x, t_x, T) are grouped first (a book in days has many), which makes each
/// likelihood evaluation cost one term per distinct triple. `None` when the search
/// ends somewhere not finite.
pub fn fit(customers: &[Rfm]) -> Option<Fit> {
    let grouped = Prepared::new(group(customers));
    let mean_t = customers.iter().map(|c| c.t).sum::<f64>() / customers.len().max(1) as f64;
    let start = [0.0, mean_t.max(1.0).ln(), 0.0, 0.0];
    let objective = |p: &[f64]| {
        if p.iter().any(|v| v.abs() > LOG_BOUND) {
            return f64::INFINITY;
        }
        let params = from_logs(p);
        -grouped.total_log_likelihood(&params)
    };
    let found = nelder_mead::minimize(objective, &start, Settings::default());
    let params = from_logs(&found.x);
    let finite = [params.r, params.alpha, params.a, params.b]
        .iter()
        .all(|v| v.is_finite() && *v > 0.0);
    (finite && found.f.is_finite()).then_some(Fit {
        params,
        log_likelihood: -found.f,
        customers: customers.len(),
        groups: grouped.groups(),
        evaluations: found.evaluations,
        converged: found.stop == Stop::Converged,
        stop: found.stop,
    })
}

fn from_logs(p: &[f64]) -> Params {
    Params {
        r: p[0].exp(),
        alpha: p[1].exp(),
        a: p[2].exp(),
        b: p[3].exp(),
    }
}

/// Equal (x, t_x, T) triples merged into one with a weight, in a deterministic order.
pub fn group(customers: &[Rfm]) -> Vec<(Rfm, f64)> {
    let mut sorted: Vec<Rfm> = customers.to_vec();
    let key = |c: &Rfm| (c.x.to_bits(), c.t_x.to_bits(), c.t.to_bits());
    sorted.sort_by_key(key);
    let mut grouped: Vec<(Rfm, f64)> = Vec::new();
    for c in sorted {
        match grouped.last_mut() {
            Some((last, weight)) if key(last) == key(&c) => *weight += 1.0,
            _ => grouped.push((c, 1.0)),
        }
    }
    grouped
}
