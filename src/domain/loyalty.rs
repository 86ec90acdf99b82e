//! The loyalty programme of `[loyalty]` in crm.toml: points earned from purchases and
//! bonus kinds, taken back by refunds, spent by `redeem` entries, optionally lapsing,
//! and tiers by points or revenue in a rolling window. Points are never stored: they
//! are computed here from a customer's interactions, so a hand-edited purchase changes
//! the balance at once. Pure: `today` is an argument; the rules are docs/metrics.md's
//! "Loyalty" section, whose example is the first test below.

use std::collections::{BTreeMap, VecDeque};

use chrono::NaiveDate;
use serde::Serialize;

use super::date::Cadence;
use super::interaction::REDEEM;
use super::money::Money;
use super::summary::{Event, EventKind, Touch};

/// What a tier asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    /// Points earned (purchases and bonuses, less refunds) in the tier window.
    Points(i64),
    /// Revenue (purchases less refunds) in the tier window.
    Revenue(Money),
}

/// One tier, e.g. `{name = "gold", points = 2000, every = "2w"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    /// Its name, lowercase (`crm list --tier gold`).
    pub name: String,
    /// What it takes.
    pub threshold: Threshold,
    /// A follow-up cadence for its members (`crm due` reminds at least this often).
    pub every: Option<Cadence>,
}

/// The programme as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Programme {
    /// Points per currency unit, in hundredths of a point (1 point per unit = 100).
    pub per_unit_hundredths: i64,
    /// Points given for each interaction of these kinds.
    pub bonus: BTreeMap<String, u32>,
    /// Points lapse this long after they were earned.
    pub expire_after: Option<Cadence>,
    /// Tiers, lowest first; thresholds strictly increase and are all of one measure.
    pub tiers: Vec<Tier>,
    /// Tiers count only the entries of this last span (none: all time).
    pub tier_window: Option<Cadence>,
}

/// What is still missing for the next tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Needed {
    /// This many more points.
    Points(i64),
    /// This much more revenue.
    Revenue(Money),
}

/// One customer's standing on `today`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Points earned by purchases and bonuses, all time.
    pub earned: i64,
    /// Points refunds took back.
    pub taken_back: i64,
    /// Points spent by redemptions.
    pub redeemed: i64,
    /// Points that lapsed unspent.
    pub lapsed: i64,
    /// `earned − taken_back − redeemed − lapsed`: what can be spent today. Negative only
    /// when refunds (or hand-written redemptions) took more than there was.
    pub balance: i64,
    /// The index in [`Programme::tiers`] of the tier held, if any.
    pub tier: Option<usize>,
    /// The next tier up and what it still takes; `None` at the top.
    pub next: Option<(usize, Needed)>,
}

/// One change to the points, in the order the ledger applies them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Move {
    Earn(i64),
    TakeBack(i64),
    Spend(i64),
}

impl Programme {
    /// Points a purchase (or refund) of `cents` is worth: rounded down to a whole point.
    pub fn points_for(&self, cents: i64) -> i64 {
        let exact = i128::from(cents.max(0)) * i128::from(self.per_unit_hundredths);
        i64::try_from(exact / 10_000).unwrap_or(i64::MAX)
    }

    /// Every change to the points dated on or before `until`, by date; on one day earns
    /// first, then refunds, then redemptions.
    fn moves(
        &self,
        events: &[Event],
        touches: &[Touch],
        until: NaiveDate,
    ) -> Vec<(NaiveDate, Move)> {
        let mut moves: Vec<(NaiveDate, Move)> = Vec::new();
        for e in events.iter().filter(|e| e.date <= until) {
            match e.kind {
                EventKind::Purchase => moves.push((e.date, Move::Earn(self.points_for(e.cents)))),
                EventKind::Refund => moves.push((e.date, Move::TakeBack(self.points_for(e.cents)))),
                _ => {}
            }
        }
        for t in touches.iter().filter(|t| t.date <= until) {
            if let Some(bonus) = self.bonus.get(&t.kind) {
                moves.push((t.date, Move::Earn(i64::from(*bonus))));
            }
            if t.kind == REDEEM && t.points > 0 {
                moves.push((t.date, Move::Spend(i64::from(t.points))));
            }
        }
        let rank = |m: &Move| match m {
            Move::Earn(_) => 0,
            Move::TakeBack(_) => 1,
            Move::Spend(_) => 2,
        };
        moves.sort_by_key(|(date, m)| (*date, rank(m)));
        moves
    }

    /// The customer's standing on `today`: entries dated later are not counted yet.
    pub fn account(&self, events: &[Event], touches: &[Touch], today: NaiveDate) -> Account {
        let moves = self.moves(events, touches, today);
        let (mut earned, mut taken_back, mut redeemed, mut lapsed) = (0i64, 0i64, 0i64, 0i64);
        // Lots of earned points, oldest first: (the day they lapse, points left).
        let mut lots: VecDeque<(Option<NaiveDate>, i64)> = VecDeque::new();
        let mut debt = 0i64;
        let lapse = |lots: &mut VecDeque<(Option<NaiveDate>, i64)>, day: NaiveDate| -> i64 {
            let mut gone = 0;
            // Lots lapse in the order they were earned, so the oldest is first.
            while let Some(&(Some(ends), left)) = lots.front() {
                if ends > day {
                    break;
                }
                gone += left;
                lots.pop_front();
            }
            gone
        };
        for (date, m) in moves {
            lapsed += lapse(&mut lots, date);
            match m {
                Move::Earn(points) => {
                    earned += points;
                    let paid = points.min(debt);
                    debt -= paid;
                    if points > paid {
                        let ends = self.expire_after.and_then(|span| span.after(date));
                        lots.push_back((ends, points - paid));
                    }
                }
                Move::TakeBack(points) | Move::Spend(points) => {
                    if let Move::Spend(_) = m {
                        redeemed += points;
                    } else {
                        taken_back += points;
                    }
                    let mut left = points;
                    while left > 0 {
                        let Some(front) = lots.front_mut() else {
                            break;
                        };
                        let used = front.1.min(left);
                        front.1 -= used;
                        left -= used;
                        if front.1 == 0 {
                            lots.pop_front();
                        }
                    }
                    debt += left;
                }
            }
        }
        lapsed += lapse(&mut lots, today);
        let balance = lots.iter().map(|(_, left)| left).sum::<i64>() - debt;
        let tier = self.tier_on(events, touches, today);
        let next_index = tier.map_or(0, |t| t + 1);
        let next = self.tiers.get(next_index).map(|next| {
            let needed = match (next.threshold, self.measure(events, touches, today)) {
                (Threshold::Points(want), Standing::Points(have)) => Needed::Points(want - have),
                (Threshold::Revenue(want), Standing::Revenue(have)) => {
                    Needed::Revenue(want + -have)
                }
                // Validated: every tier uses one measure.
                (Threshold::Points(want), _) => Needed::Points(want),
                (Threshold::Revenue(want), _) => Needed::Revenue(want),
            };
            (next_index, needed)
        });
        Account {
            earned,
            taken_back,
            redeemed,
            lapsed,
            balance,
            tier,
            next,
        }
    }

    /// The redemptions that spent more points than the customer had: each day with a
    /// `redeem` entry after which the balance is negative, with the points redeemed that
    /// day and the balance then. `crm log` refuses such a redemption; one written by hand
    /// is what `crm check` warns about. (A debt left by a refund is not listed: refunds
    /// take back the points they earned even when those were spent.)
    pub fn overdrawn(&self, events: &[Event], touches: &[Touch]) -> Vec<(NaiveDate, i64, i64)> {
        let mut days: BTreeMap<NaiveDate, i64> = BTreeMap::new();
        for t in touches.iter().filter(|t| t.kind == REDEEM && t.points > 0) {
            *days.entry(t.date).or_default() += i64::from(t.points);
        }
        // A day's redemptions come after its purchases and refunds (see `moves`), so a
        // negative balance at the end of the day means they spent more than was there.
        days.into_iter()
            .filter_map(|(day, points)| {
                let after = self.account(events, touches, day).balance;
                (after < 0).then_some((day, points, after))
            })
            .collect()
    }

    /// What the tiers measure on `day`: points earned less points taken back, or
    /// revenue, over the entries dated in the tier window ending on `day` (after
    /// `day − window`, up to `day`), or all entries up to `day` without a window.
    fn measure(&self, events: &[Event], touches: &[Touch], day: NaiveDate) -> Standing {
        let start = self.tier_window.and_then(|w| w.shift(day, -1));
        let inside = |date: NaiveDate| date <= day && start.is_none_or(|s| date > s);
        let by_revenue = matches!(
            self.tiers.first().map(|t| t.threshold),
            Some(Threshold::Revenue(_))
        );
        if by_revenue {
            let cents: i64 = events
                .iter()
                .filter(|e| inside(e.date))
                .map(|e| match e.kind {
                    EventKind::Purchase => e.cents,
                    EventKind::Refund => -e.cents,
                    _ => 0,
                })
                .sum();
            return Standing::Revenue(Money::from_cents(cents));
        }
        let points = self
            .moves(events, touches, day)
            .into_iter()
            .filter(|(date, _)| inside(*date))
            .map(|(_, m)| match m {
                Move::Earn(p) => p,
                Move::TakeBack(p) => -p,
                Move::Spend(_) => 0,
            })
            .sum();
        Standing::Points(points)
    }

    /// The index of the tier held on `day`: the highest whose threshold the measure
    /// reaches.
    pub fn tier_on(&self, events: &[Event], touches: &[Touch], day: NaiveDate) -> Option<usize> {
        if self.tiers.is_empty() {
            return None;
        }
        let standing = self.measure(events, touches, day);
        self.tiers
            .iter()
            .rposition(|tier| match (tier.threshold, standing) {
                (Threshold::Points(want), Standing::Points(have)) => have >= want,
                (Threshold::Revenue(want), Standing::Revenue(have)) => have >= want,
                _ => false,
            })
    }

    /// The tier a customer rose to after `since` and holds on `today`, when it is higher
    /// than the one held on `since`: `(tier before, tier now)`.
    pub fn promotion(
        &self,
        events: &[Event],
        touches: &[Touch],
        since: NaiveDate,
        today: NaiveDate,
    ) -> Option<(Option<usize>, usize)> {
        let now = self.tier_on(events, touches, today)?;
        let before = self.tier_on(events, touches, since);
        (before.is_none_or(|b| b < now)).then_some((before, now))
    }

    /// How many of `customers` (each as its events and touches) hold each tier on
    /// `today`, highest tier first, then how many hold none (`"no tier"`): what the
    /// report's "Loyalty tiers" chart shows. Empty without tiers.
    pub fn tier_sizes<'a>(
        &self,
        customers: impl IntoIterator<Item = (&'a [Event], &'a [Touch])>,
        today: NaiveDate,
    ) -> Vec<(String, usize)> {
        if self.tiers.is_empty() {
            return Vec::new();
        }
        let mut held = vec![0usize; self.tiers.len()];
        let mut none = 0usize;
        for (events, touches) in customers {
            match self.tier_on(events, touches, today) {
                Some(i) => held[i] += 1,
                None => none += 1,
            }
        }
        let mut sizes: Vec<(String, usize)> = self
            .tiers
            .iter()
            .zip(held)
            .rev()
            .map(|(tier, n)| (tier.name.clone(), n))
            .collect();
        sizes.push(("no tier".to_string(), none));
        sizes
    }

    /// The index of the tier named `name`.
    pub fn tier_index(&self, name: &str) -> Option<usize> {
        self.tiers
            .iter()
            .position(|t| t.name.eq_ignore_ascii_case(name))
    }
}

/// What a customer has of the tiers' measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Points(i64),
    Revenue(Money),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::date::Cadence;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn money(kind: EventKind, date: &str, cents: i64) -> Event {
        Event {
            date: day(date),
            kind,
            cents,
            rating: 0,
        }
    }

    fn touch(date: &str, kind: &str, points: u32) -> Touch {
        Touch {
            date: day(date),
            kind: kind.to_string(),
            points,
        }
    }

    fn programme() -> Programme {
        Programme {
            per_unit_hundredths: 100,
            bonus: BTreeMap::from([("feedback".to_string(), 50)]),
            expire_after: None,
            tiers: vec![
                Tier {
                    name: "silver".into(),
                    threshold: Threshold::Points(500),
                    every: None,
                },
                Tier {
                    name: "gold".into(),
                    threshold: Threshold::Points(2000),
                    every: None,
                },
            ],
            tier_window: None,
        }
    }

    /// Ada of the worked example holds silver on 2025-06-15 (600 points); a customer
    /// with 2,000 earned holds gold; one without purchases holds none.
    #[test]
    fn tier_sizes_count_each_tier_highest_first_then_no_tier() {
        let p = programme();
        let ada = [
            money(EventKind::Purchase, "2025-01-10", 12_900),
            money(EventKind::Purchase, "2025-03-02", 45_050),
            money(EventKind::Refund, "2025-03-20", 2_999),
        ];
        let ada_touches = [touch("2025-02-01", "feedback", 0)];
        let big = [money(EventKind::Purchase, "2025-05-01", 200_000)];
        let customers: [(&[Event], &[Touch]); 4] = [
            (&ada, &ada_touches),
            (&big, &[]),
            (&[], &[]),
            (&big[..0], &ada_touches),
        ];
        assert_eq!(
            p.tier_sizes(customers, day("2025-06-15")),
            vec![
                ("gold".to_string(), 1),
                ("silver".to_string(), 1),
                ("no tier".to_string(), 2)
            ]
        );
        let no_tiers = Programme {
            tiers: Vec::new(),
            ..p
        };
        assert!(no_tiers.tier_sizes(customers, day("2025-06-15")).is_empty());
    }

    /// docs/metrics.md, "Loyalty", worked example: 1 point per unit, 50 for a
    /// feedback; purchases of 129.00 and 450.50, a feedback, a refund of 29.99 and a
    /// redemption of 300.
    #[test]
    fn worked_example() {
        let p = programme();
        let events = [
            money(EventKind::Purchase, "2025-01-10", 12_900),
            money(EventKind::Purchase, "2025-03-02", 45_050),
            money(EventKind::Refund, "2025-03-20", 2_999),
        ];
        let touches = [
            touch("2025-01-10", "purchase", 0),
            touch("2025-02-01", "feedback", 0),
            touch("2025-03-02", "purchase", 0),
            touch("2025-03-20", "refund", 0),
            touch("2025-04-01", "redeem", 300),
        ];
        let a = p.account(&events, &touches, day("2025-06-15"));
        // 129 + 50 + 450 (450.50 rounds down) earned; 29 taken back; 300 spent.
        assert_eq!(
            (a.earned, a.taken_back, a.redeemed, a.lapsed),
            (629, 29, 300, 0)
        );
        assert_eq!(a.balance, 300);
        // Tiers count 629 − 29 = 600 (redemptions do not lower a tier): silver, and
        // gold is 1400 away.
        assert_eq!(a.tier, Some(0));
        assert_eq!(a.next, Some((1, Needed::Points(1400))));
        // Before the second purchase: 179 points, no tier, 321 to silver.
        let early = p.account(&events, &touches, day("2025-03-01"));
        assert_eq!((early.balance, early.tier), (179, None));
        assert_eq!(early.next, Some((0, Needed::Points(321))));
        assert_eq!(
            p.promotion(&events, &touches, day("2025-03-01"), day("2025-03-02")),
            Some((None, 0))
        );
        assert_eq!(
            p.promotion(&events, &touches, day("2025-03-02"), day("2025-06-15")),
            None
        );
    }

    #[test]
    fn fractional_rates_round_each_purchase_down() {
        let mut p = programme();
        p.per_unit_hundredths = 50; // 0.5 points per unit
        assert_eq!(p.points_for(12_900), 64); // 64.5
        assert_eq!(p.points_for(199), 0); // 0.995
        p.per_unit_hundredths = 250;
        assert_eq!(p.points_for(1_000), 25);
    }

    /// Lots lapse on the day `expire_after` after they were earned; redemptions and
    /// refunds use the oldest points first.
    #[test]
    fn points_lapse_oldest_first() {
        let mut p = programme();
        p.bonus.clear();
        p.expire_after = Some(Cadence::parse("6m").unwrap());
        let events = [
            money(EventKind::Purchase, "2025-01-15", 10_000), // 100, lapses 2025-07-15
            money(EventKind::Purchase, "2025-03-01", 5_000),  // 50, lapses 2025-09-01
        ];
        let touches = [touch("2025-05-01", "redeem", 80)];
        // The redemption takes 80 of January's 100; 20 of them lapse on 2025-07-15.
        let before = p.account(&events, &touches, day("2025-07-14"));
        assert_eq!((before.balance, before.lapsed), (70, 0));
        let after = p.account(&events, &touches, day("2025-07-15"));
        assert_eq!((after.balance, after.lapsed), (50, 20));
        let later = p.account(&events, &touches, day("2025-09-01"));
        assert_eq!((later.balance, later.lapsed), (0, 70));
        assert_eq!(later.earned - later.redeemed - later.lapsed, later.balance);
    }

    /// A redemption of more points than were left (written by hand) is listed, with the
    /// balance it left; a refund's debt is not.
    #[test]
    fn redemptions_beyond_the_balance_are_overdrawn() {
        let mut p = programme();
        p.bonus.clear();
        // 100 points on 01-01; 60 redeemed on 01-20 (fine, 40 left); 70 more on 02-10
        // (30 too many: -30); a purchase of 50 on 03-01 pays the debt (+20).
        let events = [
            money(EventKind::Purchase, "2025-01-01", 10_000),
            money(EventKind::Purchase, "2025-03-01", 5_000),
        ];
        let touches = [
            touch("2025-01-20", "redeem", 60),
            touch("2025-02-10", "redeem", 70),
        ];
        assert_eq!(
            p.overdrawn(&events, &touches),
            [(day("2025-02-10"), 70, -30)]
        );
        assert_eq!(p.account(&events, &touches, day("2025-03-01")).balance, 20);
        // The refund's debt of the test below is not an overdrawn redemption: the 60
        // were there when they were redeemed.
        let events = [
            money(EventKind::Purchase, "2025-01-01", 10_000),
            money(EventKind::Refund, "2025-02-01", 10_000),
        ];
        assert_eq!(
            p.overdrawn(&events, &[touch("2025-01-20", "redeem", 60)]),
            []
        );
    }

    /// A refund bigger than the points left leaves a debt that later points pay first.
    #[test]
    fn refunds_beyond_the_balance_leave_a_debt() {
        let mut p = programme();
        p.bonus.clear();
        let events = [
            money(EventKind::Purchase, "2025-01-01", 10_000),
            money(EventKind::Refund, "2025-02-01", 10_000),
        ];
        let touches = [touch("2025-01-20", "redeem", 60)];
        let a = p.account(&events, &touches, day("2025-02-02"));
        assert_eq!(a.balance, -60);
        let events = [
            events[0],
            events[1],
            money(EventKind::Purchase, "2025-03-01", 10_000),
        ];
        assert_eq!(p.account(&events, &touches, day("2025-03-01")).balance, 40);
    }

    /// Tiers by revenue in a rolling 12-month window: a purchase counts until the
    /// day 12 months after it.
    #[test]
    fn revenue_tiers_in_a_rolling_window() {
        let mut p = programme();
        p.tiers = vec![Tier {
            name: "vip".into(),
            threshold: Threshold::Revenue(Money::from_cents(100_000)),
            every: None,
        }];
        p.tier_window = Some(Cadence::parse("12m").unwrap());
        let events = [
            money(EventKind::Purchase, "2024-07-01", 60_000),
            money(EventKind::Purchase, "2025-05-01", 40_000),
        ];
        assert_eq!(p.tier_on(&events, &[], day("2025-06-30")), Some(0));
        // On 2025-07-01 the window is (2024-07-01, 2025-07-01]: July's purchase is out.
        assert_eq!(p.tier_on(&events, &[], day("2025-07-01")), None);
        let a = p.account(&events, &[], day("2025-07-01"));
        assert_eq!(
            a.next,
            Some((0, Needed::Revenue(Money::from_cents(60_000))))
        );
        // Entries after today do not count yet.
        assert_eq!(p.tier_on(&events, &[], day("2025-04-30")), None);
    }
}
