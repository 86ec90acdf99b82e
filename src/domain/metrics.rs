//! Relationship metrics: totals, repeat purchases, per-period retention and churn,
//! cohorts and satisfaction, computed exactly from customers' events. Pure: no files,
//! no clock; every definition is spelled out in `docs/metrics.md`, whose worked example
//! is the first unit test below.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::money::Money;
use super::period::{Period, PeriodKind};
use super::summary::{Event, EventKind};

/// What to compute over: the period length and an optional date window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Length of the reporting periods.
    pub kind: PeriodKind,
    /// First day of the window (default: the earliest event).
    pub from: Option<NaiveDate>,
    /// Last day of the window (default: the latest event; with `from`, the later of
    /// the latest event and `today`).
    pub to: Option<NaiveDate>,
    /// The day the report is made: `--from D` alone means "from D until now", so the
    /// window runs at least to here.
    pub today: NaiveDate,
}

/// The whole `crm stats` report. Field names are the JSON contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Report {
    /// First day of the window (`null` when there is no data and no `--from`).
    pub(crate) from: Option<NaiveDate>,
    /// Last day of the window.
    pub(crate) to: Option<NaiveDate>,
    /// Customers considered (all of them, or those with the tag), with or without events.
    pub(crate) customers: usize,
    /// Customers with at least one purchase in the window.
    pub(crate) purchasing_customers: usize,
    /// Purchases in the window.
    pub(crate) orders: usize,
    /// Purchases minus refunds in the window.
    pub(crate) revenue: Money,
    /// `revenue / orders`, to the cent; `null` without orders.
    pub(crate) average_order_value: Option<Money>,
    /// `orders / purchasing_customers`; `null` without purchasing customers.
    pub(crate) purchase_frequency: Option<f64>,
    /// Share of purchasing customers who bought on at least two distinct days.
    pub(crate) repeat_purchase_rate: Option<f64>,
    /// Share of purchasing customers with at least two orders (same day counts).
    pub(crate) repeat_purchase_rate_by_order: Option<f64>,
    /// Ratings (feedback with a rating) in the window.
    pub(crate) ratings: usize,
    /// Mean rating; `null` without ratings.
    pub(crate) average_rating: Option<f64>,
    /// Share of ratings that are 4 or 5; `null` without ratings.
    pub(crate) csat: Option<f64>,
    /// Complaints in the window.
    pub(crate) complaints: usize,
    /// NPS answers (feedback with an `nps` score 0–10) in the window.
    pub(crate) nps_responses: usize,
    /// Answers of 9 or 10.
    pub(crate) promoters: usize,
    /// Answers of 0 to 6.
    pub(crate) detractors: usize,
    /// `100 × (promoters − detractors) / nps_responses`, from −100 to 100; `null`
    /// without answers.
    pub(crate) nps: Option<f64>,
    /// One entry per calendar period overlapping the window, oldest first.
    pub(crate) periods: Vec<PeriodStats>,
}

/// The figures of one calendar period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct PeriodStats {
    /// Label: `2025-03`, `2025-Q1` or `2025`.
    pub(crate) period: String,
    /// First day of the calendar period.
    pub(crate) start: NaiveDate,
    /// Last day of the calendar period.
    pub(crate) end: NaiveDate,
    /// Whether `--from` or `--to` cuts the period: the row still counts the whole
    /// calendar period, so it includes days outside the window asked for.
    pub(crate) partial: bool,
    /// E: customers with at least one purchase in the period.
    pub(crate) active: usize,
    /// N: active customers whose first purchase ever falls in the period.
    pub(crate) new: usize,
    /// |S ∩ E|: active now and in the previous period.
    pub(crate) returning: usize,
    /// `(E − N) / S`; can exceed 1 when lapsed customers come back.
    pub(crate) retention_rate: Option<f64>,
    /// `|S ∩ E| / |S|`.
    pub(crate) returning_rate: Option<f64>,
    /// `|S \ E| / |S|` = 1 − returning rate.
    pub(crate) churn_rate: Option<f64>,
    /// Share of active customers who bought on two or more distinct days in the period.
    pub(crate) repeat_purchase_rate: Option<f64>,
    /// Purchases in the period.
    pub(crate) orders: usize,
    /// Purchases minus refunds in the period.
    pub(crate) revenue: Money,
    /// Ratings in the period.
    pub(crate) ratings: usize,
    /// Mean rating in the period.
    pub(crate) average_rating: Option<f64>,
    /// Share of the period's ratings that are 4 or 5.
    pub(crate) csat: Option<f64>,
    /// Complaints in the period.
    pub(crate) complaints: usize,
    /// NPS answers in the period.
    pub(crate) nps_responses: usize,
    /// Answers of 9 or 10 in the period.
    pub(crate) promoters: usize,
    /// Answers of 0 to 6 in the period.
    pub(crate) detractors: usize,
    /// The period's Net Promoter Score (−100 to 100).
    pub(crate) nps: Option<f64>,
}

/// Customers grouped by the period of their first purchase.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Cohort {
    /// The period of the first purchase, e.g. `2025-01`.
    pub(crate) cohort: String,
    /// First day of that period.
    pub(crate) start: NaiveDate,
    /// Customers whose first purchase ever falls in it.
    pub(crate) customers: usize,
    /// Each later period up to the end of the window.
    pub(crate) periods: Vec<CohortCell>,
}

/// How much of a cohort bought in one later period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct CohortCell {
    /// The period's label.
    pub(crate) period: String,
    /// How many periods after the cohort's own (1 = the next one).
    pub(crate) offset: usize,
    /// Cohort members with a purchase in it.
    pub(crate) active: usize,
    /// `active / customers` of the cohort.
    pub(crate) rate: Option<f64>,
}

/// The Net Promoter Score: `100 × (promoters − detractors) / responses`, from −100 to
/// 100, or `None` without responses.
pub fn nps(promoters: usize, detractors: usize, responses: usize) -> Option<f64> {
    (responses > 0).then(|| 100.0 * (promoters as f64 - detractors as f64) / responses as f64)
}

/// `numerator / denominator`, or `None` when the denominator is empty.
pub(crate) fn ratio(numerator: usize, denominator: usize) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// The window actually used: the given bounds, or the span of all events. A window
/// with only a start runs to the later of the latest event and today: `--from -3m`
/// means the last three months, even when nothing happened in the last few days.
///
/// ```
/// # use crm::domain::metrics::{window, Options};
/// # use crm::domain::period::PeriodKind;
/// let day = |s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
/// let today = day("2025-06-15");
/// let options = Options { kind: PeriodKind::Month, from: Some(day("2025-06-01")), to: None, today };
/// assert_eq!(window(&[], &options), Some((day("2025-06-01"), today)));
/// let later = Options { from: Some(day("2030-01-01")), ..options };
/// assert_eq!(window(&[], &later), Some((day("2030-01-01"), day("2030-01-01"))));
/// ```
pub fn window(customers: &[&[Event]], options: &Options) -> Option<(NaiveDate, NaiveDate)> {
    let dates = || {
        customers
            .iter()
            .flat_map(|events| events.iter().map(|e| e.date))
    };
    // A bound that is given is kept, and the other never crosses it: `--from` after the
    // last event and today is an empty window starting there, not an inverted one.
    match (options.from, options.to) {
        (Some(from), Some(to)) => Some((from, to)),
        (Some(from), None) => Some((
            from,
            dates().max().unwrap_or(from).max(options.today).max(from),
        )),
        (None, Some(to)) => Some((dates().min().unwrap_or(to).min(to), to)),
        (None, None) => Some((dates().min()?, dates().max()?)),
    }
}

/// The calendar periods from the one holding `from` to the one holding `to`.
fn periods_between(kind: PeriodKind, from: NaiveDate, to: NaiveDate) -> Vec<Period> {
    let mut periods = Vec::new();
    let mut period = Period::containing(kind, from);
    let last = Period::containing(kind, to);
    while period <= last {
        periods.push(period);
        if period.next() == period {
            break;
        }
        period = period.next();
    }
    periods
}

/// Per-customer facts the per-period figures are built from.
struct Activity {
    /// First purchase ever (in all data, not only the window).
    first_purchase: Option<NaiveDate>,
    /// (period index, distinct purchase days) for each period with a purchase, of the
    /// helper period before the first reported one and every reported one; in period
    /// order, each once.
    by_period: Vec<(usize, usize)>,
}

/// Computes the `crm stats` report for `customers` (each a list of events).
pub(crate) fn report(customers: &[&[Event]], options: &Options) -> Report {
    let Some((from, to)) = window(customers, options) else {
        return totals_only(customers.len(), None, None, Vec::new(), customers);
    };
    let shown = periods_between(options.kind, from, to);
    // Index 0 is the period before the first shown one: its activity is S for row 1.
    let mut all = Vec::with_capacity(shown.len() + 1);
    if let Some(first) = shown.first() {
        all.push(first.previous());
    }
    all.extend(shown.iter().copied());
    let index: HashMap<Period, usize> = all.iter().enumerate().map(|(i, p)| (*p, i)).collect();

    // One pass over each customer's active periods and one over all events, so the
    // cost grows with the data, not with periods × customers; each customer's
    // activity is made and counted in turn, not kept.
    let slots = all.len();
    let (mut active, mut new, mut returning, mut repeaters) = (
        vec![0; slots],
        vec![0; slots],
        vec![0; slots],
        vec![0; slots],
    );
    for events in customers {
        let a = activity(events, options.kind, &index);
        let mut previous = None;
        for &(i, days) in &a.by_period {
            active[i] += 1;
            repeaters[i] += usize::from(days >= 2);
            if i > 0 && previous == Some(i - 1) {
                returning[i] += 1;
            }
            previous = Some(i);
        }
        let first = a
            .first_purchase
            .map(|d| Period::containing(options.kind, d));
        if let Some(&i) = first.and_then(|p| index.get(&p)) {
            new[i] += 1;
        }
    }
    let mut sums: Vec<Sums> = (0..slots).map(|_| Sums::default()).collect();
    for event in customers.iter().flat_map(|events| events.iter()) {
        if let Some(&i) = index.get(&Period::containing(options.kind, event.date)) {
            sums[i].add(event);
        }
    }
    let mut rows = Vec::with_capacity(shown.len());
    for (offset, period) in shown.iter().enumerate() {
        let i = offset + 1;
        let previous = active[i - 1];
        let sums = &sums[i];
        rows.push(PeriodStats {
            period: period.label(),
            start: period.start,
            end: period.end(),
            partial: options.from.is_some_and(|f| period.start < f)
                || options.to.is_some_and(|t| period.end() > t),
            active: active[i],
            new: new[i],
            returning: returning[i],
            retention_rate: ratio(active[i] - new[i], previous),
            returning_rate: ratio(returning[i], previous),
            churn_rate: ratio(previous - returning[i], previous),
            repeat_purchase_rate: ratio(repeaters[i], active[i]),
            orders: sums.orders,
            revenue: sums.revenue,
            ratings: sums.ratings,
            average_rating: sums.average_rating(),
            csat: ratio(sums.satisfied, sums.ratings),
            complaints: sums.complaints,
            nps_responses: sums.nps_responses,
            promoters: sums.promoters,
            detractors: sums.detractors,
            nps: sums.nps(),
        });
    }
    totals_only(customers.len(), Some(from), Some(to), rows, customers)
}

fn activity(events: &[Event], kind: PeriodKind, index: &HashMap<Period, usize>) -> Activity {
    let mut days: Vec<NaiveDate> = events
        .iter()
        .filter(|e| e.kind == EventKind::Purchase)
        .map(|e| e.date)
        .collect();
    days.sort_unstable();
    // Days in order, so their periods come in order (indexes grow with time).
    let mut by_period: Vec<(usize, usize)> = Vec::new();
    let mut previous_day = None;
    for day in &days {
        if let Some(&i) = index.get(&Period::containing(kind, *day)) {
            let new_day = usize::from(previous_day != Some(*day));
            match by_period.last_mut() {
                Some((last, count)) if *last == i => *count += new_day,
                _ => by_period.push((i, new_day)),
            }
        }
        previous_day = Some(*day);
    }
    Activity {
        first_purchase: days.first().copied(),
        by_period,
    }
}

/// Sums of the events dated from `from` to `to` inclusive, over every customer.
#[derive(Debug, Default)]
struct Sums {
    orders: usize,
    revenue: Money,
    ratings: usize,
    rating_total: u64,
    satisfied: usize,
    complaints: usize,
    nps_responses: usize,
    promoters: usize,
    detractors: usize,
    purchasing: usize,
    repeat_by_day: usize,
    repeat_by_order: usize,
}

impl Sums {
    /// Counts one event (orders, money, ratings, complaints; not the per-customer
    /// figures, which need all of a customer's events).
    fn add(&mut self, event: &Event) {
        match event.kind {
            EventKind::Purchase => {
                self.orders += 1;
                self.revenue += Money::from_cents(event.cents);
            }
            EventKind::Refund => self.revenue += -Money::from_cents(event.cents),
            EventKind::Rating => {
                self.ratings += 1;
                self.rating_total += u64::from(event.rating);
                self.satisfied += usize::from(event.rating >= 4);
            }
            EventKind::Complaint => self.complaints += 1,
            EventKind::Nps => {
                self.nps_responses += 1;
                self.promoters += usize::from(event.rating >= 9);
                self.detractors += usize::from(event.rating <= 6);
            }
        }
    }

    /// Promoters minus detractors, in percent of the answers.
    fn nps(&self) -> Option<f64> {
        nps(self.promoters, self.detractors, self.nps_responses)
    }

    fn average_rating(&self) -> Option<f64> {
        (self.ratings > 0).then(|| self.rating_total as f64 / self.ratings as f64)
    }
}

fn sums(customers: &[&[Event]], from: NaiveDate, to: NaiveDate) -> Sums {
    let mut sums = Sums::default();
    for events in customers {
        let mut days: Vec<NaiveDate> = Vec::new();
        let mut orders = 0;
        for event in events.iter().filter(|e| from <= e.date && e.date <= to) {
            if event.kind == EventKind::Purchase {
                orders += 1;
                days.push(event.date);
            }
            sums.add(event);
        }
        days.sort_unstable();
        days.dedup();
        sums.purchasing += usize::from(orders > 0);
        sums.repeat_by_day += usize::from(days.len() >= 2);
        sums.repeat_by_order += usize::from(orders >= 2);
    }
    sums
}

fn totals_only(
    count: usize,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    periods: Vec<PeriodStats>,
    customers: &[&[Event]],
) -> Report {
    let sums = match (from, to) {
        (Some(from), Some(to)) => sums(customers, from, to),
        _ => Sums::default(),
    };
    Report {
        from,
        to,
        customers: count,
        purchasing_customers: sums.purchasing,
        orders: sums.orders,
        revenue: sums.revenue,
        average_order_value: sums.revenue.div_round(sums.orders as u64),
        purchase_frequency: ratio(sums.orders, sums.purchasing),
        repeat_purchase_rate: ratio(sums.repeat_by_day, sums.purchasing),
        repeat_purchase_rate_by_order: ratio(sums.repeat_by_order, sums.purchasing),
        ratings: sums.ratings,
        average_rating: sums.average_rating(),
        csat: ratio(sums.satisfied, sums.ratings),
        complaints: sums.complaints,
        nps_responses: sums.nps_responses,
        promoters: sums.promoters,
        detractors: sums.detractors,
        nps: sums.nps(),
        periods,
    }
}

/// Groups customers by the period of their first purchase ever and, for each cohort
/// whose period overlaps the window, gives the share that bought in each later period
/// up to the end of the window.
pub(crate) fn cohorts(customers: &[&[Event]], options: &Options) -> Vec<Cohort> {
    let Some((from, to)) = window(customers, options) else {
        return Vec::new();
    };
    let shown = periods_between(options.kind, from, to);
    let index: HashMap<Period, usize> = shown.iter().enumerate().map(|(i, p)| (*p, i)).collect();
    // size[c] = members of cohort c; active[c][k] = members buying in period c + k.
    let mut size = vec![0usize; shown.len()];
    let mut active: Vec<Vec<usize>> = (0..shown.len()).map(|c| vec![0; shown.len() - c]).collect();
    for events in customers {
        let a = activity(events, options.kind, &index);
        let first = a
            .first_purchase
            .map(|d| Period::containing(options.kind, d));
        let Some(&c) = first.and_then(|p| index.get(&p)) else {
            continue;
        };
        size[c] += 1;
        for &(later, _) in &a.by_period {
            if later > c {
                active[c][later - c] += 1;
            }
        }
    }
    shown
        .iter()
        .enumerate()
        .map(|(c, period)| Cohort {
            cohort: period.label(),
            start: period.start,
            customers: size[c],
            periods: (1..shown.len() - c)
                .map(|offset| CohortCell {
                    period: shown[c + offset].label(),
                    offset,
                    active: active[c][offset],
                    rate: ratio(active[c][offset], size[c]),
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn buy(date: &str, amount: &str) -> Event {
        Event {
            date: d(date),
            kind: EventKind::Purchase,
            cents: Money::parse(amount).unwrap().cents(),
            rating: 0,
        }
    }

    fn refund(date: &str, amount: &str) -> Event {
        Event {
            kind: EventKind::Refund,
            ..buy(date, amount)
        }
    }

    fn rate(date: &str, rating: u8) -> Event {
        Event {
            date: d(date),
            kind: EventKind::Rating,
            cents: 0,
            rating,
        }
    }

    fn complain(date: &str) -> Event {
        Event {
            date: d(date),
            kind: EventKind::Complaint,
            cents: 0,
            rating: 0,
        }
    }

    fn options(kind: PeriodKind) -> Options {
        Options {
            kind,
            from: None,
            to: None,
            today: d("2025-06-15"),
        }
    }

    fn money(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    fn close(actual: Option<f64>, expected: Option<f64>) {
        match (actual, expected) {
            (Some(a), Some(e)) => assert!((a - e).abs() < 1e-9, "{a} != {e}"),
            _ => assert_eq!(actual, expected),
        }
    }

    /// The worked example of docs/metrics.md, number for number.
    fn worked_example() -> Vec<Vec<Event>> {
        vec![
            // ada
            vec![
                buy("2024-11-05", "10.00"),
                buy("2025-01-10", "20.00"),
                buy("2025-01-10", "5.00"),
                rate("2025-01-12", 5),
                buy("2025-02-01", "15.00"),
            ],
            // bob: lapses in Q1, comes back in Q2
            vec![buy("2024-12-20", "30.00"), buy("2025-04-02", "12.50")],
            // cy: a free sample is a purchase
            vec![
                buy("2025-03-03", "0.00"),
                complain("2025-03-04"),
                rate("2025-03-05", 3),
            ],
            // dee: only a refund
            vec![refund("2025-02-10", "8.00")],
            // eve: nothing at all
            vec![],
            // fay: two orders on one day
            vec![buy("2025-02-14", "10.00"), buy("2025-02-14", "10.00")],
        ]
    }

    fn run(customers: &[Vec<Event>], options: &Options) -> Report {
        let refs: Vec<&[Event]> = customers.iter().map(Vec::as_slice).collect();
        report(&refs, options)
    }

    #[test]
    fn worked_example_totals() {
        let r = run(&worked_example(), &options(PeriodKind::Quarter));
        assert_eq!(
            (r.from, r.to),
            (Some(d("2024-11-05")), Some(d("2025-04-02")))
        );
        assert_eq!((r.customers, r.purchasing_customers, r.orders), (6, 4, 9));
        assert_eq!(r.revenue, money("104.50"));
        assert_eq!(r.average_order_value, Some(money("11.61")));
        close(r.purchase_frequency, Some(2.25));
        close(r.repeat_purchase_rate, Some(0.5));
        close(r.repeat_purchase_rate_by_order, Some(0.75));
        assert_eq!((r.ratings, r.complaints), (2, 1));
        close(r.average_rating, Some(4.0));
        close(r.csat, Some(0.5));
    }

    #[test]
    fn worked_example_periods_cross_the_year() {
        let r = run(&worked_example(), &options(PeriodKind::Quarter));
        let labels: Vec<&str> = r.periods.iter().map(|p| p.period.as_str()).collect();
        assert_eq!(labels, ["2024-Q4", "2025-Q1", "2025-Q2"]);

        let q4 = &r.periods[0];
        assert_eq!((q4.start, q4.end), (d("2024-10-01"), d("2024-12-31")));
        assert_eq!((q4.active, q4.new, q4.returning, q4.orders), (2, 2, 0, 2));
        assert_eq!(q4.revenue, money("40.00"));
        close(q4.retention_rate, None);
        close(q4.returning_rate, None);
        close(q4.churn_rate, None);
        close(q4.repeat_purchase_rate, Some(0.0));

        let q1 = &r.periods[1];
        assert_eq!((q1.active, q1.new, q1.returning, q1.orders), (3, 2, 1, 6));
        assert_eq!(q1.revenue, money("52.00"));
        close(q1.retention_rate, Some(0.5));
        close(q1.returning_rate, Some(0.5));
        close(q1.churn_rate, Some(0.5));
        close(q1.repeat_purchase_rate, Some(1.0 / 3.0));
        assert_eq!((q1.ratings, q1.complaints), (2, 1));
        close(q1.average_rating, Some(4.0));
        close(q1.csat, Some(0.5));

        let q2 = &r.periods[2];
        assert_eq!((q2.active, q2.new, q2.returning, q2.orders), (1, 0, 0, 1));
        assert_eq!(q2.revenue, money("12.50"));
        close(q2.retention_rate, Some(1.0 / 3.0));
        close(q2.returning_rate, Some(0.0));
        close(q2.churn_rate, Some(1.0));
        close(q2.repeat_purchase_rate, Some(0.0));
        assert_eq!(q2.ratings, 0);
        close(q2.average_rating, None);
        close(q2.csat, None);
    }

    #[test]
    fn period_with_no_customers_has_null_rates_and_the_next_one_too() {
        let customers = vec![
            vec![buy("2025-01-05", "1.00")],
            vec![buy("2025-03-09", "2.00")],
        ];
        let r = run(&customers, &options(PeriodKind::Month));
        let feb = &r.periods[1];
        assert_eq!(feb.period, "2025-02");
        assert_eq!(
            (feb.active, feb.new, feb.returning, feb.orders),
            (0, 0, 0, 0)
        );
        assert_eq!(feb.revenue, Money::ZERO);
        close(feb.retention_rate, Some(0.0));
        close(feb.churn_rate, Some(1.0));
        close(feb.repeat_purchase_rate, None);
        let mar = &r.periods[2];
        assert_eq!((mar.active, mar.new), (1, 1));
        close(mar.retention_rate, None);
        close(mar.returning_rate, None);
        close(mar.churn_rate, None);
    }

    #[test]
    fn retention_exceeds_one_when_lapsed_customers_come_back() {
        let customers = vec![
            vec![buy("2025-01-02", "5.00"), buy("2025-03-02", "5.00")],
            vec![buy("2025-01-03", "5.00"), buy("2025-03-03", "5.00")],
            vec![buy("2025-02-03", "5.00"), buy("2025-03-04", "5.00")],
        ];
        let r = run(&customers, &options(PeriodKind::Month));
        let mar = &r.periods[2];
        assert_eq!((mar.active, mar.new, mar.returning), (3, 0, 1));
        close(mar.retention_rate, Some(3.0));
        close(mar.returning_rate, Some(1.0));
    }

    #[test]
    fn refund_only_customer_is_not_a_purchaser_but_lowers_revenue() {
        let customers = vec![vec![refund("2025-05-01", "8.00")]];
        let r = run(&customers, &options(PeriodKind::Month));
        assert_eq!((r.customers, r.purchasing_customers, r.orders), (1, 0, 0));
        assert_eq!(r.revenue, money("-8.00"));
        assert_eq!(r.average_order_value, None);
        close(r.purchase_frequency, None);
        close(r.repeat_purchase_rate, None);
        assert_eq!(r.periods.len(), 1);
        assert_eq!(r.periods[0].active, 0);
        assert_eq!(r.periods[0].revenue, money("-8.00"));
    }

    #[test]
    fn same_day_orders_repeat_by_order_but_not_by_day() {
        let customers = vec![vec![buy("2025-05-01", "3.00"), buy("2025-05-01", "4.00")]];
        let r = run(&customers, &options(PeriodKind::Month));
        close(r.repeat_purchase_rate, Some(0.0));
        close(r.repeat_purchase_rate_by_order, Some(1.0));
        close(r.periods[0].repeat_purchase_rate, Some(0.0));
        assert_eq!(r.orders, 2);
    }

    #[test]
    fn december_precedes_january_across_the_year_boundary() {
        let customers = vec![vec![buy("2024-12-31", "1.00"), buy("2025-01-01", "1.00")]];
        let r = run(&customers, &options(PeriodKind::Month));
        let labels: Vec<&str> = r.periods.iter().map(|p| p.period.as_str()).collect();
        assert_eq!(labels, ["2024-12", "2025-01"]);
        assert_eq!((r.periods[1].returning, r.periods[1].new), (1, 0));
        close(r.periods[1].retention_rate, Some(1.0));
        // Two distinct days, so a repeat in the window, though one order per period.
        close(r.repeat_purchase_rate, Some(1.0));
        close(r.periods[0].repeat_purchase_rate, Some(0.0));
    }

    #[test]
    fn window_limits_totals_but_new_means_first_purchase_ever() {
        let customers = vec![vec![buy("2024-06-01", "9.00"), buy("2025-02-01", "1.00")]];
        let opts = Options {
            kind: PeriodKind::Month,
            from: Some(d("2025-01-15")),
            to: Some(d("2025-02-20")),
            today: d("2025-06-15"),
        };
        let r = run(&customers, &opts);
        assert_eq!((r.orders, r.revenue), (1, money("1.00")));
        assert_eq!(r.periods.len(), 2);
        assert_eq!((r.periods[1].active, r.periods[1].new), (1, 0));
        close(r.periods[1].retention_rate, None);
    }

    #[test]
    fn no_data_gives_zeros_and_nulls_not_nan() {
        let r = run(&[vec![], vec![]], &options(PeriodKind::Month));
        assert_eq!((r.customers, r.orders, r.from), (2, 0, None));
        assert!(r.periods.is_empty());
        assert_eq!(r.average_order_value, None);
        close(r.repeat_purchase_rate, None);
        close(r.csat, None);
        let json = serde_json::to_string(&r).unwrap();
        assert!(!json.contains("NaN"), "{json}");
    }

    #[test]
    fn cohorts_track_each_first_purchase_period() {
        let refs_owned = worked_example();
        let refs: Vec<&[Event]> = refs_owned.iter().map(Vec::as_slice).collect();
        let cohorts = cohorts(&refs, &options(PeriodKind::Quarter));
        assert_eq!(cohorts.len(), 3);
        let q4 = &cohorts[0];
        assert_eq!((q4.cohort.as_str(), q4.customers), ("2024-Q4", 2));
        let cells: Vec<(usize, usize)> = q4.periods.iter().map(|c| (c.offset, c.active)).collect();
        assert_eq!(cells, [(1, 1), (2, 1)]);
        close(q4.periods[0].rate, Some(0.5));
        let q1 = &cohorts[1];
        assert_eq!(
            (q1.customers, q1.periods.len(), q1.periods[0].active),
            (2, 1, 0)
        );
        let q2 = &cohorts[2];
        assert_eq!(q2.customers, 0);
        assert!(q2.periods.is_empty());
    }

    /// CSAT is the share of ratings of 4 or 5: the boundary is between 3 and 4.
    #[test]
    fn csat_counts_a_four_but_not_a_three() {
        let customers = vec![vec![
            rate("2025-01-01", 4),
            rate("2025-01-02", 3),
            rate("2025-01-03", 1),
            rate("2025-01-04", 4),
        ]];
        let r = run(&customers, &options(PeriodKind::Month));
        assert_eq!(r.ratings, 4);
        close(r.csat, Some(0.5));
        close(r.average_rating, Some(3.0));
        close(r.periods[0].csat, Some(0.5));
    }

    /// docs/metrics.md: "Period rows always describe whole calendar periods".
    #[test]
    fn a_window_that_cuts_a_period_keeps_the_whole_period_in_its_row() {
        let customers = vec![
            vec![buy("2025-01-01", "4.00"), buy("2025-01-20", "6.00")],
            vec![buy("2025-01-02", "1.00"), complain("2025-01-03")],
        ];
        let opts = Options {
            kind: PeriodKind::Month,
            from: Some(d("2025-01-15")),
            to: None,
            today: d("2025-06-15"),
        };
        let r = run(&customers, &opts);
        // The totals count the window only ...
        assert_eq!((r.orders, r.revenue, r.complaints), (1, money("6.00"), 0));
        assert_eq!(r.purchasing_customers, 1);
        // ... the January row all of January, and says it is partial.
        let jan = &r.periods[0];
        assert_eq!(jan.period, "2025-01");
        assert!(jan.partial);
        assert_eq!(
            (jan.orders, jan.revenue, jan.complaints),
            (3, money("11.00"), 1)
        );
        assert_eq!((jan.active, jan.new), (2, 2));
        close(jan.repeat_purchase_rate, Some(0.5));
        // With no --to, the window ends at the last event: the row is not cut at the end.
        let whole = run(&customers, &options(PeriodKind::Month));
        assert!(!whole.periods[0].partial);
        let opts = Options {
            kind: PeriodKind::Month,
            from: Some(d("2025-01-01")),
            to: Some(d("2025-01-31")),
            today: d("2025-06-15"),
        };
        assert!(!run(&customers, &opts).periods[0].partial);
        let opts = Options {
            to: Some(d("2025-01-30")),
            ..opts
        };
        assert!(run(&customers, &opts).periods[0].partial);
    }

    /// Review finding: `--from D` alone, with no event after D, made a one-day window
    /// (to = from). It now runs to today, or to the latest event if that is later.
    #[test]
    fn a_lone_from_runs_to_today_or_the_latest_event() {
        let customers = vec![vec![buy("2025-03-10", "4.00"), buy("2025-05-02", "6.00")]];
        let opts = Options {
            kind: PeriodKind::Month,
            from: Some(d("2025-04-01")),
            to: None,
            today: d("2025-06-15"),
        };
        let r = run(&customers, &opts);
        assert_eq!(
            (r.from, r.to),
            (Some(d("2025-04-01")), Some(d("2025-06-15")))
        );
        let months: Vec<&str> = r.periods.iter().map(|p| p.period.as_str()).collect();
        assert_eq!(months, ["2025-04", "2025-05", "2025-06"]);
        assert_eq!((r.orders, r.revenue), (1, money("6.00")));
        // Today is no bound the user gave: the current month is not marked partial.
        assert!(r.periods.iter().all(|p| !p.partial));
        // A start after every event: the window runs from there to today.
        let late = Options {
            from: Some(d("2025-06-01")),
            ..opts
        };
        assert_eq!(run(&customers, &late).to, Some(d("2025-06-15")));
        // An event after today (a future-dated entry) extends the window to it.
        let early = Options {
            today: d("2025-04-20"),
            ..opts
        };
        assert_eq!(run(&customers, &early).to, Some(d("2025-05-02")));
        // Without --from, the window is still the span of the data.
        assert_eq!(
            run(&customers, &options(PeriodKind::Month)).to,
            Some(d("2025-05-02"))
        );
    }

    /// Net revenue can be negative; its average is rounded half away from zero, like a
    /// positive one.
    #[test]
    fn negative_average_order_value_rounds_half_away_from_zero() {
        let customers = vec![vec![
            buy("2025-01-01", "0.00"),
            buy("2025-01-02", "0.00"),
            refund("2025-01-03", "0.05"),
        ]];
        let r = run(&customers, &options(PeriodKind::Month));
        assert_eq!(r.revenue, money("-0.05"));
        // -0.025 → -0.03, not -0.02.
        assert_eq!(r.average_order_value, Some(money("-0.03")));
        let customers = vec![vec![
            buy("2025-01-01", "0.00"),
            buy("2025-01-02", "0.00"),
            buy("2025-01-03", "0.00"),
            refund("2025-01-04", "0.05"),
        ]];
        // -0.01666… → -0.02.
        let r = run(&customers, &options(PeriodKind::Month));
        assert_eq!(r.average_order_value, Some(money("-0.02")));
    }

    /// A customer whose first purchase is before the window belongs to a cohort that is
    /// not shown: they are in no cohort, though they count as active (not new) per period.
    #[test]
    fn cohorts_leave_out_customers_whose_first_purchase_is_before_the_window() {
        let customers = [
            vec![buy("2024-12-20", "1.00"), buy("2025-02-03", "1.00")],
            vec![buy("2025-01-05", "1.00"), buy("2025-02-04", "1.00")],
        ];
        let opts = Options {
            kind: PeriodKind::Month,
            from: Some(d("2025-01-01")),
            to: Some(d("2025-02-28")),
            today: d("2025-06-15"),
        };
        let refs: Vec<&[Event]> = customers.iter().map(Vec::as_slice).collect();
        let shown = cohorts(&refs, &opts);
        let sizes: Vec<(&str, usize)> = shown
            .iter()
            .map(|c| (c.cohort.as_str(), c.customers))
            .collect();
        assert_eq!(sizes, [("2025-01", 1), ("2025-02", 0)]);
        assert_eq!(shown[0].periods[0].active, 1);
        close(shown[0].periods[0].rate, Some(1.0));
        let r = report(&refs, &opts);
        assert_eq!((r.periods[1].active, r.periods[1].new), (2, 0));
    }

    fn recommend(date: &str, score: u8) -> Event {
        Event {
            date: d(date),
            kind: EventKind::Nps,
            cents: 0,
            rating: score,
        }
    }

    /// docs/metrics.md, "NPS", worked example: answers 10, 9, 8, 7, 6 and 0 in January,
    /// 9 in February.
    #[test]
    fn nps_is_promoters_minus_detractors_in_percent() {
        let ada = [recommend("2025-01-03", 10), recommend("2025-01-09", 6)];
        let bob = [
            recommend("2025-01-04", 9),
            recommend("2025-01-05", 8),
            recommend("2025-01-06", 7),
            recommend("2025-01-07", 0),
            recommend("2025-02-01", 9),
        ];
        let r = report(
            &[&ada, &bob],
            &Options {
                kind: PeriodKind::Month,
                from: None,
                to: None,
                today: d("2025-06-15"),
            },
        );
        // January: 2 promoters, 2 detractors (6 and 0), 2 passives → 0.
        let jan = &r.periods[0];
        assert_eq!(
            (jan.nps_responses, jan.promoters, jan.detractors),
            (6, 2, 2)
        );
        close(jan.nps, Some(0.0));
        // February: one promoter → 100.
        close(r.periods[1].nps, Some(100.0));
        // Totals: 3 promoters, 2 detractors of 7 → 100 × 1/7 = 14.285…
        assert_eq!((r.nps_responses, r.promoters, r.detractors), (7, 3, 2));
        close(r.nps, Some(100.0 / 7.0));
        // NPS answers are not ratings.
        assert_eq!(r.ratings, 0);
        close(nps(0, 3, 3), Some(-100.0));
        close(nps(0, 0, 0), None);
    }
}
