//! RFM segments: each purchasing customer scored 1–5 on recency, frequency and
//! monetary value against the others (quintiles by mid-rank, so ties share a score and
//! books of any size are scored), and mapped to a named segment by the R score and the
//! rounded mean of F and M. The exact rule, with a hand-checked example, is in
//! docs/metrics.md ("Segments"). Pure: the day of the scoring is an argument.

use chrono::NaiveDate;
use serde::Serialize;

use super::money::Money;
use super::summary::{Event, EventKind};

/// The named segments, in the order reports list them (best first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Segment {
    /// Bought recently and often.
    Champions,
    /// Buy often, fairly recently.
    Loyal,
    /// Recent, with a few orders.
    PotentialLoyalists,
    /// Bought for the first time, very recently.
    New,
    /// Recent, one order so far.
    Promising,
    /// Middling on both.
    NeedAttention,
    /// Slipping, with few orders.
    AboutToSleep,
    /// Used to buy often; not lately.
    AtRisk,
    /// Among the best buyers, but long ago.
    CantLose,
    /// Few orders, long ago.
    Hibernating,
}

impl Segment {
    /// Every segment, best first.
    pub const ALL: [Segment; 10] = [
        Segment::Champions,
        Segment::Loyal,
        Segment::PotentialLoyalists,
        Segment::New,
        Segment::Promising,
        Segment::NeedAttention,
        Segment::AboutToSleep,
        Segment::AtRisk,
        Segment::CantLose,
        Segment::Hibernating,
    ];

    /// The name in flags, crm.toml and JSON: `at-risk`, `cant-lose`.
    pub fn slug(self) -> &'static str {
        match self {
            Segment::Champions => "champions",
            Segment::Loyal => "loyal",
            Segment::PotentialLoyalists => "potential-loyalists",
            Segment::New => "new",
            Segment::Promising => "promising",
            Segment::NeedAttention => "need-attention",
            Segment::AboutToSleep => "about-to-sleep",
            Segment::AtRisk => "at-risk",
            Segment::CantLose => "cant-lose",
            Segment::Hibernating => "hibernating",
        }
    }

    /// The segment for a slug (also accepting `can't-lose` and spaces for dashes).
    pub fn from_slug(text: &str) -> Option<Segment> {
        let norm = text
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '_'], "-")
            .replace('\'', "");
        Segment::ALL.into_iter().find(|s| s.slug() == norm)
    }

    /// The segment of an R score and an FM score (both 1–5).
    pub fn of(r: u8, fm: u8) -> Segment {
        match (r.clamp(1, 5), fm.clamp(1, 5)) {
            (1 | 2, 1 | 2) => Segment::Hibernating,
            (1 | 2, 3 | 4) => Segment::AtRisk,
            (1 | 2, _) => Segment::CantLose,
            (3, 1 | 2) => Segment::AboutToSleep,
            (3, 3) => Segment::NeedAttention,
            (3 | 4, _) if fm >= 4 => Segment::Loyal,
            (4, 1) => Segment::Promising,
            (4, _) => Segment::PotentialLoyalists,
            (_, 1) => Segment::New,
            (_, 2 | 3) => Segment::PotentialLoyalists,
            _ => Segment::Champions,
        }
    }
}

/// One purchasing customer's scores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rfm {
    /// Days from the last purchase to the day of scoring.
    pub recency_days: i64,
    /// Purchases up to the day of scoring.
    pub frequency: usize,
    /// Revenue (purchases less refunds) up to the day of scoring.
    pub monetary: Money,
    /// Recency score (5: most recent).
    pub r: u8,
    /// Frequency score.
    pub f: u8,
    /// Monetary score.
    pub m: u8,
    /// `(f + m) / 2`, halves rounded up.
    pub fm: u8,
    /// The segment.
    pub segment: Segment,
}

/// The raw figures of one customer as of `as_of`, or `None` without a purchase.
fn figures(events: &[Event], as_of: NaiveDate) -> Option<(i64, usize, Money)> {
    let mut last = None;
    let mut orders = 0;
    let mut cents = 0i64;
    for e in events.iter().filter(|e| e.date <= as_of) {
        match e.kind {
            EventKind::Purchase => {
                orders += 1;
                cents += e.cents;
                last = last.max(Some(e.date));
            }
            EventKind::Refund => cents -= e.cents,
            _ => {}
        }
    }
    last.map(|d| ((as_of - d).num_days(), orders, Money::from_cents(cents)))
}

/// Quintile scores by mid-rank: with `below` customers worse and `equal` as good
/// (itself included) out of `n`, the score is `1 + ⌊5 · (below + equal/2) / n⌋`, at
/// most 5. Higher values are better.
fn quintiles(values: &[i64]) -> Vec<u8> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let n = sorted.len() as i64;
    values
        .iter()
        .map(|v| {
            let below = sorted.partition_point(|x| x < v) as i64;
            let equal = sorted.partition_point(|x| x <= v) as i64 - below;
            let score = 1 + (5 * (2 * below + equal)) / (2 * n);
            score.min(5) as u8
        })
        .collect()
}

/// Scores every customer (given by their events) as of `as_of`: `None` for customers
/// without a purchase by then, who are not scored and do not count for the others.
pub fn score(customers: &[&[Event]], as_of: NaiveDate) -> Vec<Option<Rfm>> {
    let raw: Vec<Option<(i64, usize, Money)>> =
        customers.iter().map(|e| figures(e, as_of)).collect();
    let scored: Vec<(i64, usize, Money)> = raw.iter().flatten().copied().collect();
    let r = quintiles(&scored.iter().map(|s| -s.0).collect::<Vec<_>>());
    let f = quintiles(&scored.iter().map(|s| s.1 as i64).collect::<Vec<_>>());
    let m = quintiles(&scored.iter().map(|s| s.2.cents()).collect::<Vec<_>>());
    let mut next = 0;
    raw.iter()
        .map(|figures| {
            let (recency_days, frequency, monetary) = (*figures)?;
            let i = next;
            next += 1;
            let fm = (f[i] + m[i]).div_ceil(2);
            Some(Rfm {
                recency_days,
                frequency,
                monetary,
                r: r[i],
                f: f[i],
                m: m[i],
                fm,
                segment: Segment::of(r[i], fm),
            })
        })
        .collect()
}

/// One row of `crm segments`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentRow {
    /// The segment.
    pub segment: Segment,
    /// Its customers.
    pub customers: usize,
    /// `customers / purchasing customers`; `null` when nobody has purchased.
    pub share: Option<f64>,
    /// Its customers' revenue up to the day of scoring.
    pub revenue: Money,
}

/// Every segment with its size, share and revenue, best segment first (empty ones too).
pub fn table(scores: &[Option<Rfm>]) -> Vec<SegmentRow> {
    let scored: Vec<&Rfm> = scores.iter().flatten().collect();
    Segment::ALL
        .into_iter()
        .map(|segment| {
            let members: Vec<&&Rfm> = scored.iter().filter(|s| s.segment == segment).collect();
            SegmentRow {
                segment,
                customers: members.len(),
                share: super::metrics::ratio(members.len(), scored.len()),
                revenue: members.iter().map(|s| s.monetary).sum(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn buy(date: &str, cents: i64) -> Event {
        Event {
            date: day(date),
            kind: EventKind::Purchase,
            cents,
            rating: 0,
        }
    }

    #[test]
    fn every_score_pair_has_one_segment() {
        use Segment::*;
        let grid: [[Segment; 5]; 5] = [
            // fm:  1            2                   3                   4          5
            [Hibernating, Hibernating, AtRisk, AtRisk, CantLose], // r = 1
            [Hibernating, Hibernating, AtRisk, AtRisk, CantLose], // r = 2
            [AboutToSleep, AboutToSleep, NeedAttention, Loyal, Loyal], // r = 3
            [
                Promising,
                PotentialLoyalists,
                PotentialLoyalists,
                Loyal,
                Loyal,
            ], // r = 4
            [
                New,
                PotentialLoyalists,
                PotentialLoyalists,
                Champions,
                Champions,
            ], // r = 5
        ];
        for r in 1..=5u8 {
            for fm in 1..=5u8 {
                assert_eq!(
                    Segment::of(r, fm),
                    grid[usize::from(r - 1)][usize::from(fm - 1)],
                    "r={r} fm={fm}"
                );
            }
        }
        for s in Segment::ALL {
            assert_eq!(Segment::from_slug(s.slug()), Some(s));
        }
        assert_eq!(Segment::from_slug("Can't lose"), Some(CantLose));
    }

    #[test]
    fn quintiles_by_mid_rank_share_scores_on_ties() {
        assert_eq!(quintiles(&[10, 20, 30, 40, 50]), [1, 2, 3, 4, 5]);
        assert_eq!(
            quintiles(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
            [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
        );
        // Small books: one customer is in the middle; two are 2 and 4.
        assert_eq!(quintiles(&[7]), [3]);
        assert_eq!(quintiles(&[7, 9]), [2, 4]);
        // Ties: all equal → 3; (1, 1, 1, 2): the three ones have mid-rank 1.5/4 → 2.
        assert_eq!(quintiles(&[4, 4, 4]), [3, 3, 3]);
        assert_eq!(quintiles(&[1, 1, 1, 2]), [2, 2, 2, 5]);
    }

    /// docs/metrics.md, "Segments", worked example: five purchasing customers and one
    /// who never bought, scored on 2025-06-15.
    #[test]
    fn worked_example() {
        let ada = [
            buy("2025-06-10", 10_000),
            buy("2025-05-01", 5_000),
            buy("2025-04-01", 5_000),
        ];
        let bob = [buy("2025-06-01", 2_000)];
        let cy = [
            buy("2025-01-05", 30_000),
            buy("2025-02-05", 30_000),
            buy("2025-03-05", 30_000),
        ];
        let dee = [buy("2024-12-01", 1_000)];
        let eve = [buy("2025-05-20", 4_000), buy("2025-05-25", 4_000)];
        let fay: [Event; 0] = [];
        let all: Vec<&[Event]> = vec![&ada, &bob, &cy, &dee, &eve, &fay];
        let s = score(&all, day("2025-06-15"));
        type Scores = (i64, u8, u8, u8, u8, Segment);
        let got: Vec<Option<Scores>> = s
            .iter()
            .map(|r| {
                r.as_ref()
                    .map(|r| (r.recency_days, r.r, r.f, r.m, r.fm, r.segment))
            })
            .collect();
        // Recency days 5, 14, 102, 196, 21 → R 5, 4, 2, 1, 3.
        // Frequency 3, 1, 3, 1, 2 → ties: the 1s are 1 + ⌊5·(0+1)/5⌋ = 2, the 3s
        // 1 + ⌊5·(3+1)/5⌋ = 5, the 2 is 1 + ⌊5·(2+0.5)/5⌋ = 3.
        // Monetary 200, 20, 900, 10, 80 → M 4, 2, 5, 1, 3.
        assert_eq!(
            got,
            vec![
                Some((5, 5, 5, 4, 5, Segment::Champions)),
                Some((14, 4, 2, 2, 2, Segment::PotentialLoyalists)),
                Some((102, 2, 5, 5, 5, Segment::CantLose)),
                Some((196, 1, 2, 1, 2, Segment::Hibernating)),
                Some((21, 3, 3, 3, 3, Segment::NeedAttention)),
                None,
            ]
        );
        let rows = table(&s);
        let champions = &rows[0];
        assert_eq!((champions.customers, champions.share), (1, Some(0.2)));
        assert_eq!(champions.revenue, Money::from_cents(20_000));
        assert_eq!(rows.iter().map(|r| r.customers).sum::<usize>(), 5);
        assert!(table(&[None]).iter().all(|r| r.share.is_none()));
    }
}
