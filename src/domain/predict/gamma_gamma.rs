//! The Gamma-Gamma model of spend (Fader, Hardie & Lee 2005, "RFM and CLV: using
//! iso-value curves", and Fader & Hardie's note "The Gamma-Gamma model of monetary
//! value", 2013): each transaction's value is Gamma(p, ν) with ν ~ Gamma(q, γ) per
//! customer (`lifetimes` calls γ `v`). Fitted over repeat buyers with a positive mean
//! repeat value, as `lifetimes.GammaGammaFitter` is. Pure.

use serde::{Deserialize, Serialize};

use super::nelder_mead::{self, Settings};
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
    /// The maximum-likelihood parameters.
    pub params: Params,
    /// The log-likelihood at `params`.
    pub log_likelihood: f64,
    /// Repeat buyers fitted.
    pub customers: usize,
    /// Repeat buyers left out because their mean repeat value was zero.
    pub left_out: usize,
    /// Likelihood evaluations the search made.
    pub evaluations: usize,
    /// Whether the search met its stopping rule (else it ran out of evaluations).
    pub converged: bool,
}

impl Params {
    /// The log-likelihood of a customer with `x` > 0 repeat transactions of mean
    /// value `m` > 0: `ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln v + (px−1) ln m +
    /// px ln x − (px+q) ln(xm + v)`.
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

/// Fits the model over `(x, m)` pairs; pairs with x = 0 or m ≤ 0 are counted in
/// `left_out` and skipped (zero-value repeat orders exist in real books, and the
/// model's likelihood is not defined for them). Nelder–Mead over (ln p, ln q, ln v)
/// from p = q = 1 and v = the mean of m. `None` without any pair to fit or when the
/// search ends somewhere not finite.
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
    let mean = used.iter().map(|(_, m)| m).sum::<f64>() / used.len() as f64;
    let objective = |l: &[f64]| {
        if l.iter().any(|v| v.abs() > super::bgnbd::LOG_BOUND) {
            return f64::INFINITY;
        }
        let params = Params {
            p: l[0].exp(),
            q: l[1].exp(),
            v: l[2].exp(),
        };
        -used
            .iter()
            .map(|&(x, m)| params.log_likelihood(x, m))
            .sum::<f64>()
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
    (finite && found.f.is_finite()).then_some(Fit {
        params,
        log_likelihood: -found.f,
        customers: used.len(),
        left_out,
        evaluations: found.evaluations,
        converged: found.converged,
    })
}
