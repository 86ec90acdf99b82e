//! The Gamma-Gamma model of spend (Fader, Hardie & Lee 2005, "RFM and CLV: using
//! iso-value curves", and Fader & Hardie's note "The Gamma-Gamma model of monetary
//! value", 2013): each transaction's value is Gamma(p, ν) with ν ~ Gamma(q, γ) per
//! customer (`lifetimes` calls γ `v`). Fitted over repeat buyers with a positive mean
//! repeat value, as `lifetimes.GammaGammaFitter` is. Pure.
//!
//! When spend does not vary between customers (every customer's purchases come from the
//! same distribution), the likelihood keeps rising as q and v grow together with q/v
//! fixed: its maximum is at infinity, where ν is one rate shared by every customer. The
//! fit then says so ([`Fit::common_rate`]) and uses that limit, rather than reporting
//! wherever the search happened to stop.

use serde::{Deserialize, Serialize};

use super::nelder_mead::{self, Settings, Stop};
use super::special::ln_gamma;

/// The three Gamma-Gamma parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Shape of each transaction's value.
    pub p: f64,
    /// Shape of the customers' scale distribution.
    pub q: f64,
    /// Scale of the customers' scale distribution (in money).
    pub v: f64,
}

/// A fitted spend model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fit {
    /// The maximum-likelihood parameters; when [`Fit::common_rate`] is set, `p` is the
    /// limit model's and `q`, `v` are where the three-parameter search stopped (large,
    /// with q/v close to the common rate): they mean nothing beyond "very large".
    pub params: Params,
    /// The log-likelihood at the maximum (of the limit model when there is one).
    pub log_likelihood: f64,
    /// Repeat buyers fitted.
    pub customers: usize,
    /// Repeat buyers left out because their mean repeat value was zero.
    pub left_out: usize,
    /// Distinct (x, m) pairs the likelihood was summed over.
    pub groups: usize,
    /// Likelihood evaluations the searches made (both, when the limit was fitted too).
    pub evaluations: usize,
    /// Whether the three-parameter search met its convergence rule (`false` when it
    /// stalled on a ridge or ran out of evaluations).
    pub converged: bool,
    /// How the three-parameter search stopped.
    pub stop: Stop,
    /// `Some(ν)` when the likelihood's maximum is at q, v → ∞ with q/v → ν: spend does
    /// not vary between customers, every transaction is Gamma(p, ν), and the expected
    /// value is the population mean p/ν for every customer.
    pub common_rate: Option<f64>,
}

impl Params {
    /// The log-likelihood of a customer with `x` > 0 repeat transactions of mean
    /// value `m` > 0: `ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln v + (px−1) ln m +
    /// px ln x − (px+q) ln(xm + v)`.
    // The fit sums a grouped form of this (`total_log_likelihood`); the tests check the
    // two agree.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn log_likelihood(&self, x: f64, m: f64) -> f64 {
        let Params { p, q, v } = *self;
        let px = p * x;
        ln_gamma(px + q) - ln_gamma(px) - ln_gamma(q)
            + q * v.ln()
            + (px - 1.0) * m.ln()
            + px * x.ln()
            - (px + q) * (x * m + v).ln()
    }

    /// E[mean transaction value | x, m] = p (v + x m) / (p x + q − 1): a weighted mean
    /// of the population's mean p v / (q − 1) and the customer's own m. For x = 0 that
    /// is the population's mean. `None` when q ≤ 1 (the population mean is infinite).
    pub fn expected_value(&self, x: f64, m: f64) -> Option<f64> {
        let Params { p, q, v } = *self;
        (q > 1.0).then(|| p * (v + x * m) / (p * x + q - 1.0))
    }
}

impl Fit {
    /// E[mean transaction value | x, m] under the fitted model: [`Params::expected_value`],
    /// or p/ν for everyone when the maximum is at infinity.
    pub fn expected_value(&self, x: f64, m: f64) -> Option<f64> {
        match self.common_rate {
            Some(rate) => Some(self.params.p / rate),
            None => self.params.expected_value(x, m),
        }
    }
}

/// The log-likelihood of the limit q, v → ∞ with q/v = ν: a customer's x repeat values
/// are then Gamma(p, ν) with the same ν for all, and their mean m has the log-density
/// `px ln ν + (px−1) ln m + px ln x − ν x m − ln Γ(px)`.
#[cfg_attr(not(test), allow(dead_code))]
pub fn limit_log_likelihood(p: f64, rate: f64, x: f64, m: f64) -> f64 {
    let px = p * x;
    px * rate.ln() + (px - 1.0) * m.ln() + px * x.ln() - rate * x * m - ln_gamma(px)
}

/// A distinct (x, m) pair with what every evaluation needs of it.
struct Group {
    x: f64,
    m: f64,
    ln_x: f64,
    xm: f64,
    ln_m: f64,
    weight: f64,
}

/// Equal (x, m) pairs merged into one with a weight, sorted by x (so that the terms
/// of x alone are computed once per distinct x).
fn group(used: &[(f64, f64)]) -> Vec<Group> {
    let mut sorted: Vec<(f64, f64)> = used.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut groups: Vec<Group> = Vec::new();
    for (x, m) in sorted {
        match groups.last_mut() {
            Some(g) if g.x.to_bits() == x.to_bits() && g.m.to_bits() == m.to_bits() => {
                g.weight += 1.0;
            }
            _ => groups.push(Group {
                x,
                m,
                ln_x: x.ln(),
                xm: x * m,
                ln_m: m.ln(),
                weight: 1.0,
            }),
        }
    }
    groups
}

/// The total log-likelihood over the groups: [`Params::log_likelihood`] summed with
/// weights, its ln Γ terms computed once per distinct x.
fn total_log_likelihood(params: &Params, groups: &[Group]) -> f64 {
    let Params { p, q, v } = *params;
    let constant = q * v.ln() - ln_gamma(q);
    let mut per_x = (f64::NAN, 0.0);
    let mut total = 0.0;
    for g in groups {
        let px = p * g.x;
        if g.x.to_bits() != per_x.0.to_bits() {
            per_x = (
                g.x,
                constant + ln_gamma(px + q) - ln_gamma(px) + px * g.ln_x,
            );
        }
        total += g.weight * (per_x.1 + (px - 1.0) * g.ln_m - (px + q) * (g.xm + v).ln());
    }
    total
}

/// [`total_log_likelihood`] over ungrouped pairs, for the tests.
#[cfg(test)]
pub fn total_for_test(params: &Params, pairs: &[(f64, f64)]) -> f64 {
    total_log_likelihood(params, &group(pairs))
}

/// The limit's total log-likelihood, ln Γ once per distinct x.
fn total_limit_log_likelihood(p: f64, rate: f64, groups: &[Group]) -> f64 {
    let ln_rate = rate.ln();
    let mut per_x = (f64::NAN, 0.0);
    let mut total = 0.0;
    for g in groups {
        let px = p * g.x;
        if g.x.to_bits() != per_x.0.to_bits() {
            per_x = (g.x, px * (ln_rate + g.ln_x) - ln_gamma(px));
        }
        total += g.weight * (per_x.1 + (px - 1.0) * g.ln_m - rate * g.xm);
    }
    total
}

/// How much better (relatively) the three-parameter fit must be than the limit for
/// its maximum to count as finite. On a book where spend does not vary the search
/// approaches the limit from below and never beats it; on one where it does, the
/// finite maximum is better by far more than this.
pub const LIMIT_TOLERANCE: f64 = 1e-9;

/// Fits the model over `(x, m)` pairs; pairs with x = 0 or m ≤ 0 are counted in
/// `left_out` and skipped (zero-value repeat orders exist in real books, and the
/// model's likelihood is not defined for them). Nelder–Mead over (ln p, ln q, ln v)
/// from p = q = 1 and v = the mean of m; then the limit q, v → ∞ over (ln p, ln ν)
/// from the three-parameter search's p and q/v, which is the answer when it fits at
/// least as well (within [`LIMIT_TOLERANCE`]). Equal (x, m) pairs are summed once with a
/// weight. `None` without any pair to fit or when the search ends somewhere not finite.
pub fn fit(buyers: &[(f64, f64)]) -> Option<Fit> {
    let used: Vec<(f64, f64)> = buyers
        .iter()
        .copied()
        .filter(|&(x, m)| x > 0.0 && m > 0.0)
        .collect();
    let left_out = buyers.iter().filter(|&&(x, _)| x > 0.0).count() - used.len();
    if used.is_empty() {
        return None;
    }
    let groups = group(&used);
    let mean = used.iter().map(|(_, m)| m).sum::<f64>() / used.len() as f64;
    let bound = super::bgnbd::LOG_BOUND;
    let objective = |l: &[f64]| {
        if l.iter().any(|v| v.abs() > bound) {
            return f64::INFINITY;
        }
        let params = Params {
            p: l[0].exp(),
            q: l[1].exp(),
            v: l[2].exp(),
        };
        -total_log_likelihood(&params, &groups)
    };
    let found = nelder_mead::minimize(objective, &[0.0, 0.0, mean.ln()], Settings::default());
    let params = Params {
        p: found.x[0].exp(),
        q: found.x[1].exp(),
        v: found.x[2].exp(),
    };
    let finite = [params.p, params.q, params.v]
        .iter()
        .all(|v| v.is_finite() && *v > 0.0);
    if !(finite && found.f.is_finite()) {
        return None;
    }
    let limit_objective = |l: &[f64]| {
        if l.iter().any(|v| v.abs() > bound) {
            return f64::INFINITY;
        }
        -total_limit_log_likelihood(l[0].exp(), l[1].exp(), &groups)
    };
    let limit = nelder_mead::minimize(
        limit_objective,
        &[found.x[0], found.x[1] - found.x[2]],
        Settings::default(),
    );
    let log_likelihood = -found.f;
    let at_infinity = limit.f.is_finite()
        && -limit.f >= log_likelihood - LIMIT_TOLERANCE * (1.0 + log_likelihood.abs());
    let mut fit = Fit {
        params,
        log_likelihood,
        customers: used.len(),
        left_out,
        groups: groups.len(),
        evaluations: found.evaluations + limit.evaluations,
        converged: found.stop == Stop::Converged,
        stop: found.stop,
        common_rate: None,
    };
    if at_infinity {
        fit.params.p = limit.x[0].exp();
        fit.log_likelihood = -limit.f;
        fit.common_rate = Some(limit.x[1].exp());
    }
    Some(fit)
}
