//! What the relationship programmes add to the whole-book and one-customer commands
//! (`show`, `list`, `due`, `segments`, `draft`): each customer's loyalty account and
//! RFM segment, and the follow-up cadences `[segments.NAME]` and tier `every` give.
//! The numbers come from `domain::loyalty` and `domain::segments`; this module only
//! joins them to the book's settings, so each command needs one call.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::date::Cadence;
use crate::domain::loyalty::{Account, Needed, Programme};
use crate::domain::segments::{self, Rfm, Segment};
use crate::domain::summary::{Event, Summary};
use crate::store::Config;

/// A customer's loyalty account as shown (`crm show`, `crm list`, templates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoyaltyView {
    /// Points that can be spent today.
    pub points: i64,
    /// Points earned, all time.
    pub earned: i64,
    /// Points refunds took back.
    pub taken_back: i64,
    /// Points spent.
    pub redeemed: i64,
    /// Points that lapsed.
    pub lapsed: i64,
    /// The tier held, if any.
    pub tier: Option<String>,
    /// The next tier up, if any.
    pub next_tier: Option<String>,
    /// What it still takes: `{"points": 380}` or `{"revenue": "120.00"}`.
    pub needed: Option<Needed>,
}

impl LoyaltyView {
    /// The view of `summary`'s account on `today`.
    pub fn of(programme: &Programme, summary: &Summary, today: NaiveDate) -> LoyaltyView {
        let account: Account = programme.account(&summary.events, &summary.touches, today);
        LoyaltyView {
            points: account.balance,
            earned: account.earned,
            taken_back: account.taken_back,
            redeemed: account.redeemed,
            lapsed: account.lapsed,
            tier: account.tier.map(|t| programme.tiers[t].name.clone()),
            next_tier: account.next.map(|(t, _)| programme.tiers[t].name.clone()),
            needed: account.next.map(|(_, n)| n),
        }
    }

    /// `380 points to gold`, `120.00 more revenue to vip`, or `top tier`.
    pub fn next_text(&self) -> String {
        match (&self.next_tier, self.needed) {
            (Some(tier), Some(Needed::Points(p))) => format!("{p} points to {tier}"),
            (Some(tier), Some(Needed::Revenue(m))) => format!("{m} more revenue to {tier}"),
            _ if self.tier.is_some() => "top tier".to_string(),
            _ => "-".to_string(),
        }
    }
}

/// Every customer's RFM scores on `as_of`, by id, over all of `customers` (segments
/// rank customers against each other, so they are always scored over the whole book,
/// whatever a command then filters).
pub fn rfm_by_id(customers: &[Summary], as_of: NaiveDate) -> HashMap<String, Rfm> {
    let events: Vec<&[Event]> = customers.iter().map(|c| &*c.events).collect();
    customers
        .iter()
        .zip(segments::score(&events, as_of))
        .filter_map(|(c, rfm)| rfm.map(|r| (c.id.clone(), r)))
        .collect()
}

/// The cadence a programme gives a customer, and which (`segment at-risk`, `tier gold`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgrammeCadence {
    /// The cadence.
    pub every: Cadence,
    /// Where it comes from.
    pub from: String,
}

/// Whether the book gives any segment or tier a cadence.
pub fn has_cadences(config: &Config) -> bool {
    !config.segments.is_empty()
        || config
            .loyalty
            .as_ref()
            .is_some_and(|l| l.tiers.iter().any(|t| t.every.is_some()))
}

/// The customers whose segment or tier cadence is shorter than their own (or who have
/// none): the follow-up rule then counts with that one. The shorter of two cadences is
/// the one that comes round first from `today`.
pub fn cadences(
    config: &Config,
    customers: &[Summary],
    today: NaiveDate,
) -> HashMap<String, ProgrammeCadence> {
    let mut found = HashMap::new();
    if !has_cadences(config) {
        return found;
    }
    let rfm = if config.segments.is_empty() {
        HashMap::new()
    } else {
        rfm_by_id(customers, today)
    };
    let programme = config.programme();
    let ends = |c: Cadence| c.after(today).unwrap_or(NaiveDate::MAX);
    for customer in customers {
        let mut best: Option<ProgrammeCadence> = None;
        let mut offer = |every: Cadence, from: String| {
            let shorter_than_own = customer.every.is_none_or(|own| ends(every) < ends(own));
            let shorter_than_best = best.as_ref().is_none_or(|b| ends(every) < ends(b.every));
            if shorter_than_own && shorter_than_best {
                best = Some(ProgrammeCadence { every, from });
            }
        };
        if let Some(segment) = rfm.get(&customer.id).map(|r| r.segment) {
            if let Some(every) = config.segment_every(segment) {
                offer(every, format!("segment {}", segment.slug()));
            }
        }
        if let Some(programme) = &programme {
            if let Some(tier) = programme
                .tier_on(&customer.events, &customer.touches, today)
                .map(|t| &programme.tiers[t])
            {
                if let Some(every) = tier.every {
                    offer(every, format!("tier {}", tier.name));
                }
            }
        }
        if let Some(best) = best {
            found.insert(customer.id.clone(), best);
        }
    }
    found
}

/// The segment named by a flag, or a usage error listing them.
pub fn parse_segment(flag: &str, text: &str) -> crate::error::Result<Segment> {
    Segment::from_slug(text).ok_or_else(|| {
        let all: Vec<&str> = Segment::ALL.iter().map(|s| s.slug()).collect();
        crate::error::Error::usage(format!("{flag}: there is no segment {text:?}"))
            .with_hint(format!("segments: {}", all.join(", ")))
    })
}

/// What `crm list` asks of the programmes.
#[derive(Debug, Clone, Copy)]
pub struct ListChoice<'a> {
    /// `--tier NAME`.
    pub tier: Option<&'a str>,
    /// `--segment NAME`.
    pub segment: Option<&'a str>,
    /// `--sort points`.
    pub by_points: bool,
}

/// Applies `crm list --tier`, `--segment` and `--sort points` to `customers` (chosen
/// from `all`), and returns the loyalty accounts by id (empty without a programme).
pub fn filter_and_sort(
    config: &Config,
    all: &[Summary],
    customers: &mut Vec<&Summary>,
    choice: ListChoice,
    today: NaiveDate,
) -> crate::error::Result<HashMap<String, LoyaltyView>> {
    use crate::error::Error;
    let programme = config.programme();
    let needs_programme = choice.tier.is_some() || choice.by_points;
    let Some(programme) = programme else {
        if needs_programme {
            let flag = if choice.tier.is_some() {
                "--tier"
            } else {
                "--sort points"
            };
            return Err(
                Error::usage(format!("{flag}: this book has no loyalty programme")).with_hint(
                    "add a [loyalty] section to crm.toml (docs/metrics.md, \"Loyalty\")",
                ),
            );
        }
        if let Some(segment) = choice.segment {
            keep_segment(all, customers, segment, today)?;
        }
        return Ok(HashMap::new());
    };
    if let Some(tier) = choice.tier {
        let Some(index) = programme.tier_index(tier) else {
            let names: Vec<&str> = programme.tiers.iter().map(|t| t.name.as_str()).collect();
            return Err(
                Error::usage(format!("--tier: there is no tier {tier:?}")).with_hint(
                    if names.is_empty() {
                        "crm.toml's [loyalty] section has no tiers".to_string()
                    } else {
                        format!("tiers: {}", names.join(", "))
                    },
                ),
            );
        };
        let name = &programme.tiers[index].name;
        customers.retain(|c| {
            programme
                .tier_on(&c.events, &c.touches, today)
                .is_some_and(|t| programme.tiers[t].name == *name)
        });
    }
    if let Some(segment) = choice.segment {
        keep_segment(all, customers, segment, today)?;
    }
    let views: HashMap<String, LoyaltyView> = customers
        .iter()
        .map(|c| (c.id.clone(), LoyaltyView::of(&programme, c, today)))
        .collect();
    if choice.by_points {
        customers.sort_by(|a, b| {
            views[&b.id]
                .points
                .cmp(&views[&a.id].points)
                .then_with(|| a.id.cmp(&b.id))
        });
    }
    Ok(views)
}

fn keep_segment(
    all: &[Summary],
    customers: &mut Vec<&Summary>,
    segment: &str,
    today: NaiveDate,
) -> crate::error::Result<()> {
    let segment = parse_segment("--segment", segment)?;
    let rfm = rfm_by_id(all, today);
    customers.retain(|c| rfm.get(&c.id).is_some_and(|r| r.segment == segment));
    Ok(())
}

/// A customer who reached a higher tier after the last digest.
#[derive(Debug, Clone, PartialEq)]
pub struct Promotion<'a> {
    /// The customer.
    pub customer: &'a Summary,
    /// The tier held on the day of the last digest.
    pub from: Option<String>,
    /// The tier held today.
    pub to: String,
    /// The first day after the last digest on which they held it.
    pub date: NaiveDate,
}

/// The customers among `customers` who hold a higher tier on `today` than on `since`
/// (the day of the last digest), by date then id.
pub fn promotions<'a>(
    programme: &Programme,
    customers: &[&'a Summary],
    since: NaiveDate,
    today: NaiveDate,
) -> Vec<Promotion<'a>> {
    let mut found: Vec<Promotion> = customers
        .iter()
        .filter_map(|c| {
            let (before, now) = programme.promotion(&c.events, &c.touches, since, today)?;
            // The day it was reached: the first entry day after `since` from which the
            // tier is held (today when a window, not an entry, made the change).
            let mut days: Vec<NaiveDate> = c
                .events
                .iter()
                .map(|e| e.date)
                .chain(c.touches.iter().map(|t| t.date))
                .filter(|d| *d > since && *d <= today)
                .collect();
            days.sort_unstable();
            days.dedup();
            let date = days
                .into_iter()
                .find(|d| programme.tier_on(&c.events, &c.touches, *d) == Some(now))
                .unwrap_or(today);
            Some(Promotion {
                customer: c,
                from: before.map(|b| programme.tiers[b].name.clone()),
                to: programme.tiers[now].name.clone(),
                date,
            })
        })
        .collect();
    found.sort_by(|a, b| (a.date, &a.customer.id).cmp(&(b.date, &b.customer.id)));
    found
}

/// `customers`, with the cadences programmes give them in place of their own (a copy
/// only when some customer has one).
pub fn with_cadences<'a>(
    customers: &'a [Summary],
    cadences: &HashMap<String, ProgrammeCadence>,
) -> std::borrow::Cow<'a, [Summary]> {
    if cadences.is_empty() {
        return std::borrow::Cow::Borrowed(customers);
    }
    std::borrow::Cow::Owned(
        customers
            .iter()
            .map(|c| {
                let mut c = c.clone();
                if let Some(p) = cadences.get(&c.id) {
                    c.every = Some(p.every);
                }
                c
            })
            .collect(),
    )
}
