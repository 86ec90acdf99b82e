//! A small Nelder–Mead minimiser (Nelder & Mead 1965, with the standard coefficients
//! of Lagarias et al. 1998: reflection 1, expansion 2, contraction ½, shrink ½). The
//! models have three or four parameters and a smooth likelihood, where this simplex
//! search is robust and needs no gradient. Pure arithmetic.
//!
//! Stopping rule: a run stops ([`Stop`]) when
//! - every vertex of the simplex is within [`Settings::x_tolerance`] of the best one in
//!   every coordinate *and* their function values are within [`Settings::f_tolerance`]
//!   × (1 + |f(best)|) of the best one ([`Stop::Converged`]; scipy's `xatol`/`fatol`,
//!   relative here); or
//! - the best value has improved by no more than [`Settings::stall_tolerance`] ×
//!   (1 + |f(best)|) over the last [`Settings::stall_iterations`] iterations
//!   ([`Stop::Stalled`]): the simplex is creeping along a flat ridge (a likelihood
//!   whose maximum is at infinity rises ever more slowly towards it) or has collapsed
//!   in some directions while the others still shrink slowly; or
//! - after [`Settings::max_evaluations`] evaluations ([`Stop::EvaluationLimit`]).
//!
//! The search is then restarted from the best point with a fresh simplex (a collapsed
//! simplex can stall short of the minimum); it ends when a restart improves f by no
//! more than `f_tolerance` × (1 + |f|), and reports how the best run stopped.

/// How hard to search.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Size of the first simplex's steps along each axis.
    pub step: f64,
    /// Largest coordinate distance of the simplex from its best vertex at the end.
    pub x_tolerance: f64,
    /// Largest relative spread of function values at the end.
    pub f_tolerance: f64,
    /// Evaluations allowed per run (the restarts get as many again).
    pub max_evaluations: usize,
    /// Restarts allowed after the first run.
    pub max_restarts: usize,
    /// Iterations the stall rule looks back over.
    pub stall_iterations: usize,
    /// Smallest relative improvement of the best value over `stall_iterations`
    /// iterations that keeps a run going.
    pub stall_tolerance: f64,
}

/// Why a search stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// The simplex shrank to within the tolerances: a minimum.
    Converged,
    /// The best value stopped improving while the simplex had not shrunk: a flat
    /// ridge or a boundary.
    Stalled,
    /// The evaluation limit was reached first.
    EvaluationLimit,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            step: 0.5,
            x_tolerance: 1e-9,
            f_tolerance: 1e-13,
            max_evaluations: 5_000,
            max_restarts: 4,
            stall_iterations: 200,
            stall_tolerance: 1e-12,
        }
    }
}

/// What a search found.
#[derive(Debug, Clone)]
pub struct Minimum {
    /// The best point.
    pub x: Vec<f64>,
    /// f at that point.
    pub f: f64,
    /// Function evaluations made.
    pub evaluations: usize,
    /// How the run that found `x` stopped.
    pub stop: Stop,
}

/// Minimises `f` from `start`. A point where `f` is not finite counts as +∞, so the
/// simplex walks away from it.
pub fn minimize(f: impl Fn(&[f64]) -> f64, start: &[f64], settings: Settings) -> Minimum {
    let f = |x: &[f64]| {
        let v = f(x);
        if v.is_finite() {
            v
        } else {
            f64::INFINITY
        }
    };
    let mut best = run(&f, start, settings);
    for _ in 0..settings.max_restarts {
        let again = run(&f, &best.x, settings);
        let evaluations = best.evaluations + again.evaluations;
        let improved = best.f - again.f > settings.f_tolerance * (1.0 + best.f.abs());
        if again.f <= best.f {
            best = Minimum {
                evaluations,
                ..again
            };
        } else {
            best.evaluations = evaluations;
        }
        if !improved {
            break;
        }
    }
    best
}

fn run(f: &impl Fn(&[f64]) -> f64, start: &[f64], settings: Settings) -> Minimum {
    let n = start.len();
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n + 1);
    simplex.push((start.to_vec(), f(start)));
    for i in 0..n {
        let mut x = start.to_vec();
        x[i] += settings.step;
        let v = f(&x);
        simplex.push((x, v));
    }
    let mut evaluations = n + 1;
    let mut stop = Stop::EvaluationLimit;
    // The best value at each of the last `stall_iterations` iterations, as a ring.
    let mut history: Vec<f64> = Vec::with_capacity(settings.stall_iterations);
    let mut iteration = 0usize;
    while evaluations < settings.max_evaluations {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best_x, best_f) = (&simplex[0].0, simplex[0].1);
        if settings.stall_iterations > 0 {
            let slot = iteration % settings.stall_iterations;
            if history.len() < settings.stall_iterations {
                history.push(best_f);
            } else {
                let then = history[slot];
                history[slot] = best_f;
                if then - best_f <= settings.stall_tolerance * (1.0 + best_f.abs()) {
                    stop = Stop::Stalled;
                    break;
                }
            }
        }
        iteration += 1;
        let x_spread = simplex[1..]
            .iter()
            .flat_map(|(x, _)| x.iter().zip(best_x).map(|(a, b)| (a - b).abs()))
            .fold(0.0, f64::max);
        let f_spread = simplex[n].1 - best_f;
        if x_spread <= settings.x_tolerance
            && f_spread <= settings.f_tolerance * (1.0 + best_f.abs())
        {
            stop = Stop::Converged;
            break;
        }
        let centroid: Vec<f64> = (0..n)
            .map(|j| simplex[..n].iter().map(|(x, _)| x[j]).sum::<f64>() / n as f64)
            .collect();
        let toward = |t: f64| -> Vec<f64> {
            centroid
                .iter()
                .zip(&simplex[n].0)
                .map(|(c, w)| c + t * (w - c))
                .collect()
        };
        let reflected = toward(-1.0);
        let fr = f(&reflected);
        evaluations += 1;
        if fr < simplex[0].1 {
            let expanded = toward(-2.0);
            let fe = f(&expanded);
            evaluations += 1;
            simplex[n] = if fe < fr {
                (expanded, fe)
            } else {
                (reflected, fr)
            };
            continue;
        }
        if fr < simplex[n - 1].1 {
            simplex[n] = (reflected, fr);
            continue;
        }
        // Contract outside when the reflection beat the worst vertex, else inside.
        let (contracted, limit) = if fr < simplex[n].1 {
            (toward(-0.5), fr)
        } else {
            (toward(0.5), simplex[n].1)
        };
        let fc = f(&contracted);
        evaluations += 1;
        if fc < limit {
            simplex[n] = (contracted, fc);
            continue;
        }
        let best = simplex[0].0.clone();
        for vertex in simplex.iter_mut().skip(1) {
            let x: Vec<f64> = vertex
                .0
                .iter()
                .zip(&best)
                .map(|(v, b)| b + 0.5 * (v - b))
                .collect();
            let v = f(&x);
            *vertex = (x, v);
        }
        evaluations += n;
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (x, f) = simplex.swap_remove(0);
    Minimum {
        x,
        f,
        evaluations,
        stop,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rosenbrock's valley, the classic hard case: minimum 0 at (1, 1).
    #[test]
    fn finds_the_bottom_of_rosenbrocks_valley() {
        let rosenbrock = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let found = minimize(rosenbrock, &[-1.2, 1.0], Settings::default());
        assert_eq!(found.stop, Stop::Converged);
        assert!(
            (found.x[0] - 1.0).abs() < 1e-6 && (found.x[1] - 1.0).abs() < 1e-6,
            "{found:?}"
        );
    }

    #[test]
    fn walks_away_from_points_where_f_is_not_finite() {
        let f = |x: &[f64]| {
            if x[0] < 0.0 {
                f64::NAN
            } else {
                (x[0] - 2.0).powi(2)
            }
        };
        let found = minimize(f, &[0.1], Settings::default());
        assert!((found.x[0] - 2.0).abs() < 1e-6, "{found:?}");
    }

    /// A valley that falls forever towards x₀ → ∞ ever more slowly (like a
    /// likelihood whose maximum is at infinity): with a coarse stall rule (0.1 %
    /// over 10 iterations) the search ends as soon as the gains are that small, far
    /// from converged, and says so.
    #[test]
    fn a_search_creeping_along_a_flat_ridge_stalls() {
        let f = |x: &[f64]| 1.0 / (1.0 + x[0].abs()) + (x[1] - 1.0).powi(2);
        let settings = Settings {
            stall_iterations: 10,
            stall_tolerance: 1e-3,
            max_restarts: 0,
            ..Settings::default()
        };
        let found = minimize(f, &[0.0, 0.0], settings);
        assert_eq!(found.stop, Stop::Stalled, "{found:?}");
        assert!(found.evaluations < 200, "{found:?}");
        assert!(found.x[0] > 10.0 && found.f < 0.1, "{found:?}");
    }
}
