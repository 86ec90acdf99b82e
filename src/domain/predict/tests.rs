//! The models against numbers computed elsewhere: the paper's CDNOW estimates,
//! `lifetimes` on the same data, and values worked out independently with mpmath.
// The constants are pasted as mpmath and lifetimes printed them (17 digits).
#![allow(clippy::excessive_precision)]

use chrono::NaiveDate;

use super::bgnbd::{self, Params};
use super::gamma_gamma;
use super::nelder_mead;
use super::*;
use crate::domain::summary::{Event, EventKind};

/// The CDNOW calibration sample of Fader, Hardie & Lee (2005) as `lifetimes` ships it
/// (`cdnow_customers_summary_with_transactions.csv`: ID, x, t_x, T in weeks, and zbar,
/// the mean repeat value); see tests/fixtures/cdnow/README.md.
const CDNOW: &str =
    include_str!("../../../tests/fixtures/cdnow/cdnow_customers_summary_with_transactions.csv");

fn cdnow() -> Vec<Rfm> {
    CDNOW
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<f64> = line
                .split(',')
                .map(|v| v.trim().parse().expect("a number"))
                .collect();
            Rfm {
                x: f[1],
                t_x: f[2],
                t: f[3],
                monetary: f[4],
            }
        })
        .collect()
}

/// Both models fitted once over CDNOW (a fit takes a second or two in a debug build).
fn cdnow_model() -> &'static Model {
    static MODEL: std::sync::OnceLock<Model> = std::sync::OnceLock::new();
    MODEL.get_or_init(|| fit(&cdnow(), day("1997-09-30")).expect("a fit"))
}

/// The paper's estimates, rounded as published.
const PAPER: Params = Params {
    r: 0.243,
    alpha: 4.414,
    a: 0.793,
    b: 2.426,
};

fn close(actual: f64, expected: f64, tolerance: f64) {
    let error = ((actual - expected) / expected).abs();
    assert!(
        error <= tolerance,
        "{actual} vs {expected}: relative error {error:e} > {tolerance:e}"
    );
}

fn rfm(x: f64, t_x: f64, t: f64) -> Rfm {
    Rfm {
        x,
        t_x,
        t,
        monetary: 0.0,
    }
}

#[test]
fn the_cdnow_fixture_is_the_papers_sample() {
    let data = cdnow();
    assert_eq!(data.len(), 2357);
    assert_eq!(data.iter().filter(|c| c.x > 0.0).count(), 946);
    assert_eq!(data.iter().map(|c| c.x).sum::<f64>(), 2457.0);
}

/// Table/eq. of section 5 of the paper: r = 0.243, α = 4.414, a = 0.793, b = 2.426,
/// LL = −9582.4 (in weeks).
#[test]
fn fitting_cdnow_reproduces_the_papers_estimates() {
    let fit = cdnow_model().purchases;
    let p = fit.params;
    let rounded = |v: f64| (v * 1000.0).round() / 1000.0;
    assert_eq!(
        [rounded(p.r), rounded(p.alpha), rounded(p.a), rounded(p.b)],
        [PAPER.r, PAPER.alpha, PAPER.a, PAPER.b],
        "{p:?}"
    );
    assert_eq!((fit.log_likelihood * 10.0).round() / 10.0, -9582.4);
    assert_eq!(fit.customers, 2357);
}

/// Expected values from mpmath at 40 digits (scripted in the fixture's README: eq. 6,
/// P(alive) and eq. 10 of the paper literally, with the untransformed ₂F₁ and no log
/// space), at the paper's rounded estimates; horizons 39 and 10 weeks.
#[test]
fn likelihood_p_alive_and_expectations_match_hand_computed_values() {
    #[rustfmt::skip]
    let cases: [(f64, f64, f64, f64, f64, f64, f64); 6] = [
        // x, t_x, T, log-likelihood, P(alive), E[X(39)], E[X(10)]
        (0.0, 0.0, 38.86, -0.554_713_276_438_158_45, 1.0, 0.195_098_052_011_262_64, 0.054_299_848_380_449_105),
        (2.0, 30.43, 38.86, -9.458_606_307_066_271, 0.726_578_570_080_672_9, 1.226_028_174_767_144_5, 0.356_973_360_265_649_76),
        (1.0, 1.71, 38.86, -4.469_093_275_032_588_5, 0.212_100_985_379_079_1, 0.203_186_987_079_754_06, 0.058_185_839_678_624_109),
        (7.0, 35.0, 38.86, -22.136_944_927_507_958, 0.843_767_821_928_012_2, 4.387_487_854_487_961, 1.318_358_685_857_191_5),
        (60.0, 200.0, 210.0, -141.208_950_825_817_55, 0.813_433_533_543_25, 8.349_079_828_237_578, 2.245_599_850_035_324_6),
        (1000.0, 3000.0, 3650.0, -2_115.792_411_448_913_7, 1.053_677_300_152_704e-82, 1.120_040_381_601_247_6e-81, 2.880_883_088_076_722_3e-82),
    ];
    for (x, t_x, t, ll, alive, e39, e10) in cases {
        let c = rfm(x, t_x, t);
        // Powers like ((α+T)/(α+t_x))^(r+x) magnify the last bit of f64 by r + x.
        close(PAPER.log_likelihood(&c), ll, 1e-12);
        close(PAPER.p_alive(&c), alive, 1e-9);
        close(PAPER.expected_purchases(&c, 39.0), e39, 1e-9);
        close(PAPER.expected_purchases(&c, 10.0), e10, 1e-9);
    }
}

#[test]
fn the_likelihood_stays_finite_for_huge_histories() {
    let c = rfm(1e6, 3e6, 3.65e6);
    assert!(PAPER.log_likelihood(&c).is_finite());
    assert!(PAPER.p_alive(&c).is_finite());
    assert!(PAPER.expected_purchases(&c, 90.0).is_finite());
    assert!(PAPER.expected_if_alive(&c, 90.0) > 0.0);
}

/// Gamma-Gamma at lifetimes' published CDNOW estimates rounded (p = 6.25, q = 3.74,
/// v = 15.44), values from mpmath at 40 digits (the density written out, not in logs).
#[test]
fn gamma_gamma_matches_hand_computed_values() {
    let params = gamma_gamma::Params {
        p: 6.25,
        q: 3.74,
        v: 15.44,
    };
    for (x, m, ll, mean) in [
        (1.0, 11.77, -3.737_709_678_740_840_1, 18.916_852_057_842_046),
        (2.0, 22.35, -3.551_316_759_731_704_8, 24.663_713_910_761_156),
        (20.0, 40.0, -4.290_571_518_570_003_4, 39.897_447_941_130_421),
    ] {
        close(params.log_likelihood(x, m), ll, 1e-12);
        close(params.expected_value(x, m).expect("q > 1"), mean, 1e-14);
    }
    assert_eq!(params.expected_value(0.0, 0.0), Some(6.25 * 15.44 / 2.74));
    assert_eq!(
        gamma_gamma::Params { q: 1.0, ..params }.expected_value(1.0, 1.0),
        None
    );
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
}

fn event(date: &str, kind: EventKind, cents: i64) -> Event {
    Event {
        date: day(date),
        kind,
        cents,
        rating: 0,
    }
}

/// docs/metrics.md's worked example: two orders on one day are one transaction worth
/// their sum; the first day's value is left out of the mean; refunds and purchases
/// after `to` are ignored.
#[test]
fn the_summary_counts_purchase_days_as_lifetimes_does() {
    use EventKind::*;
    let events = [
        event("2025-01-01", Purchase, 10_00),
        event("2025-01-11", Purchase, 20_00),
        event("2025-01-11", Purchase, 5_00),
        event("2025-01-12", Refund, 5_00),
        event("2025-01-12", Rating, 0),
        event("2025-01-31", Purchase, 0),
        event("2025-03-01", Purchase, 99_00),
    ];
    let summary = Rfm::of(&events, day("2025-02-10")).expect("a purchase");
    assert_eq!(
        summary,
        Rfm {
            x: 2.0,
            t_x: 30.0,
            t: 40.0,
            monetary: 12.5
        }
    );
    let once = Rfm::of(&events[..1], day("2025-01-01")).expect("a purchase");
    assert_eq!(once, rfm(0.0, 0.0, 0.0));
    assert_eq!(Rfm::of(&events[3..5], day("2025-06-01")), None);
    assert_eq!(Rfm::of(&events, day("2024-12-31")), None);
}

#[test]
fn too_small_books_and_books_without_repeat_buyers_are_refused() {
    let to = day("2025-06-15");
    let few = vec![rfm(1.0, 5.0, 10.0); MIN_CUSTOMERS - 1];
    assert_eq!(
        fit(&few, to),
        Err(Refusal::TooFewCustomers {
            found: MIN_CUSTOMERS - 1
        })
    );
    let once = vec![rfm(0.0, 0.0, 10.0); 50];
    assert_eq!(
        fit(&once, to),
        Err(Refusal::TooFewRepeatBuyers { found: 0 })
    );
}

/// Without a discount CLV is E[X] × E[M]; an annual discount lowers it, by less than
/// a full year's discount over a 90-day horizon; value at risk is the complement.
#[test]
fn clv_and_value_at_risk_follow_their_definitions() {
    let model = Model {
        to: day("2025-06-15"),
        purchases: bgnbd::Fit {
            params: PAPER,
            log_likelihood: 0.0,
            customers: 0,
            groups: 0,
            evaluations: 0,
            converged: true,
            stop: nelder_mead::Stop::Converged,
        },
        spend: Some(gamma_gamma::Fit {
            params: gamma_gamma::Params {
                p: 6.25,
                q: 3.74,
                v: 15.44,
            },
            log_likelihood: 0.0,
            customers: 0,
            left_out: 0,
            groups: 0,
            evaluations: 0,
            converged: true,
            stop: nelder_mead::Stop::Converged,
            common_rate: None,
        }),
        spend_problem: None,
        customers: 0,
        repeat_buyers: 0,
    };
    let c = Rfm {
        x: 2.0,
        t_x: 30.43,
        t: 38.86,
        monetary: 22.35,
    };
    let plain = model.predict(&c, 39, None);
    close(
        plain.expected_value.expect("a spend model"),
        24.663_713_910_761_156,
        1e-14,
    );
    close(
        plain.clv.expect("clv"),
        1.226_028_174_767_144_5 * 24.663_713_910_761_156,
        1e-11,
    );
    let if_alive = plain.clv.expect("clv") / plain.p_alive;
    close(
        plain.value_at_risk.expect("var"),
        (1.0 - plain.p_alive) * if_alive,
        1e-12,
    );
    let discounted = model.predict(&c, 90, Some(0.10)).clv.expect("clv");
    let undiscounted = model.predict(&c, 90, None).clv.expect("clv");
    assert!(discounted < undiscounted && discounted > undiscounted / 1.1);
    assert_eq!(model.predict(&c, 90, Some(0.0)).clv, Some(undiscounted));
}

/// `lifetimes` 0.11.3 (`BetaGeoFitter(penalizer_coef=0).fit(frequency, recency, T)`
/// and `GammaGammaFitter(penalizer_coef=0)` over the 946 repeat buyers, on
/// `load_cdnow_summary_data_with_monetary_value()`, numpy 2.4, scipy 1.17): its
/// parameters, and for customers 1, 2, 3, 18 and 1001 its
/// `conditional_probability_alive`, `conditional_expected_number_of_purchases_up_to_time(39)`
/// and `conditional_expected_average_profit`. The issue asks for 1e-3 relative; the
/// measured agreement is in docs/metrics.md.
#[test]
fn fits_and_predictions_agree_with_lifetimes_on_cdnow() {
    let data = cdnow();
    let model = cdnow_model();
    let p = model.purchases.params;
    let tolerance = 1e-5;
    close(p.r, 0.242_592_928_279_821_82, tolerance);
    close(p.alpha, 4.413_532_265_271_819, tolerance);
    close(p.a, 0.792_885_966_440_688_2, tolerance);
    close(p.b, 2.425_752_382_625_86, tolerance);
    let spend = model.spend.as_ref().expect("a spend model");
    close(spend.params.p, 6.248_802_496_075_312, tolerance);
    close(spend.params.q, 3.744_588_460_923_114, tolerance);
    close(spend.params.v, 15.447_748_064_929_14, tolerance);
    assert_eq!((spend.customers, spend.left_out), (946, 0));
    for (row, alive, e39, value) in [
        (
            0,
            0.726_609_136_799_059,
            1.225_910_424_174_399_9,
            24.658_616_189_236_472,
        ),
        (
            1,
            0.212_227_388_072_209_9,
            0.203_250_624_256_190_06,
            18.911_479_869_929_103,
        ),
        (2, 1.0, 0.194_780_857_939_477_6, 35.171_002_152_506_65),
        (
            17,
            0.310_915_280_966_149,
            0.297_764_230_720_575,
            17.674_697_381_966_816,
        ),
        (1000, 1.0, 0.218_939_821_950_668_16, 35.171_002_152_506_65),
    ] {
        let c = &data[row];
        close(p.p_alive(c), alive, tolerance);
        close(p.expected_purchases(c, 39.0), e39, tolerance);
        let prediction = model.predict(c, 39, None);
        close(prediction.expected_value.expect("q > 1"), value, tolerance);
    }
}

/// Regression: a fit on a tiny book with hardly any dropout sent a and b to millions,
/// and the Euler-transformed series alone overflowed to NaN. Values from mpmath at 50
/// digits (eq. 10 literally, `mp.hyp2f1`), r = 0.5, α = 100, a = 10⁶, b = 1.1·10⁶,
/// horizon 90.
#[test]
fn expectations_stay_finite_when_a_and_b_are_huge() {
    let params = Params {
        r: 0.5,
        alpha: 100.0,
        a: 1e6,
        b: 1.1e6,
    };
    for (x, t_x, t, expected) in [
        (1.0, 60.0, 104.0, 0.226_266_373_738_175_96),
        (0.0, 0.0, 887.0, 0.044_159_685_032_523_261),
        (30.0, 300.0, 320.0, 0.396_259_514_895_456_09),
    ] {
        close(
            params.expected_purchases(&rfm(x, t_x, t), 90.0),
            expected,
            1e-9,
        );
    }
}

/// Grouping equal (x, t_x, T) and (x, m) and computing ln Γ once per x changes
/// nothing but rounding: the grouped totals equal the per-customer sums on CDNOW.
#[test]
fn grouped_likelihoods_equal_the_per_customer_sums() {
    let data = cdnow();
    let grouped = bgnbd::group(&data);
    assert!(grouped.len() < data.len());
    let per_customer: f64 = data.iter().map(|c| PAPER.log_likelihood(c)).sum();
    close(
        bgnbd::total_log_likelihood(&PAPER, &grouped),
        per_customer,
        1e-12,
    );
    let prepared = bgnbd::Prepared::new(grouped);
    close(prepared.total_log_likelihood(&PAPER), per_customer, 1e-12);
    let spend = gamma_gamma::Params {
        p: 6.25,
        q: 3.74,
        v: 15.44,
    };
    let pairs: Vec<(f64, f64)> = data
        .iter()
        .filter(|c| c.x > 0.0)
        .map(|c| (c.x, c.monetary))
        .collect();
    let per_customer: f64 = pairs.iter().map(|&(x, m)| spend.log_likelihood(x, m)).sum();
    close(
        gamma_gamma::total_for_test(&spend, &pairs),
        per_customer,
        1e-12,
    );
}

/// Spend drawn the way examples/generate.rs draws it (every purchase uniform on 5 to
/// 405, for every customer alike) has no variation between customers: the
/// Gamma-Gamma likelihood rises forever as q and v grow together. Regression: the
/// search crawled along that ridge for 11,041 evaluations on a 20k book and reported
/// wherever it stopped. Now it stops, says the maximum is at infinity, and the
/// expected value is the population mean for every customer.
#[test]
fn spend_that_does_not_vary_between_customers_has_its_maximum_at_infinity() {
    let mut seed: u64 = 1;
    let mut uniform = || {
        // Knuth's MMIX LCG; the top 53 bits as a fraction.
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let pairs: Vec<(f64, f64)> = (0..3000)
        .map(|i| {
            let x = f64::from(1 + i % 6);
            let total: f64 = (0..(1 + i % 6)).map(|_| 5.0 + 400.0 * uniform()).sum();
            (x, total / x)
        })
        .collect();
    let fit = gamma_gamma::fit(&pairs).expect("a fit");
    let rate = fit.common_rate.expect("the maximum is at infinity");
    let mean =
        pairs.iter().map(|&(x, m)| x * m).sum::<f64>() / pairs.iter().map(|&(x, _)| x).sum::<f64>();
    // The limit's maximum-likelihood mean p/ν is the mean purchase value.
    close(fit.params.p / rate, mean, 1e-6);
    for (x, m) in [(1.0, 10.0), (6.0, 400.0)] {
        assert_eq!(fit.expected_value(x, m), Some(fit.params.p / rate));
    }
    assert!(fit.evaluations < 3000, "{fit:?}");
}

/// The limit model is the limit: Gamma-Gamma's log-likelihood at q = 10⁹, v = q/ν
/// equals the limit's at (p, ν) to about 1/q.
#[test]
fn the_limit_log_likelihood_is_gamma_gammas_as_q_and_v_grow() {
    let (p, rate) = (2.5, 0.04);
    let far = gamma_gamma::Params {
        p,
        q: 1e9,
        v: 1e9 / rate,
    };
    for (x, m) in [(1.0, 11.77), (3.0, 80.0), (20.0, 40.0)] {
        close(
            far.log_likelihood(x, m),
            gamma_gamma::limit_log_likelihood(p, rate, x, m),
            1e-6,
        );
    }
}
