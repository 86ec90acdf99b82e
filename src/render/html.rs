//! The `crm report` page: one self-contained HTML file (inline CSS, inline SVG charts,
//! no JavaScript, no external URL) that opens offline and survives being attached to
//! an email. Readable on a phone (fluid SVG, tables that scroll inside their own box),
//! dark or light by `prefers-color-scheme`. Every piece of text from the book goes
//! through [`escape`]. Computes nothing: it draws the views it is given.

use std::fmt::Write as _;
use std::io::Write;

use chrono::NaiveDate;

use crate::domain::metrics::{Cohort, Report};
use crate::domain::predict::{Model, Ranked as PredictionRow};
use crate::error::Result;

/// Everything the page shows, computed by `crm report`.
pub struct Page<'a> {
    /// The book's name: `[report] title` of crm.toml, else its folder's.
    pub title: &'a str,
    /// The day the report was made.
    pub today: NaiveDate,
    /// The book's currency, if crm.toml names one.
    pub currency: Option<&'a str>,
    /// Totals and per-period figures.
    pub report: &'a Report,
    /// The cohort table.
    pub cohorts: &'a [Cohort],
    /// The model, or why there is none.
    pub model: std::result::Result<&'a Model, String>,
    /// The customers with the most value at risk, highest first.
    pub at_risk: &'a [PredictionRow],
    /// The horizon of the predictions, in days.
    pub horizon_days: u32,
    /// The next two weeks' follow-ups and occasions.
    pub agenda: &'a [AgendaLine],
    /// The last day of the agenda.
    pub agenda_until: NaiveDate,
    /// RFM segment sizes today (`crm segments`), as (segment, customers).
    pub segments: &'a [(String, usize)],
    /// Loyalty tier sizes today, highest tier first, then `no tier`; empty when the
    /// book's `[loyalty]` programme has no tiers (or there is none).
    pub tiers: &'a [(String, usize)],
}

/// One follow-up or occasion.
pub struct AgendaLine {
    /// When.
    pub date: NaiveDate,
    /// `overdue`, `follow-up`, `birthday`, `anniversary`.
    pub what: &'static str,
    /// The customer's id.
    pub id: String,
    /// The customer's name.
    pub name: String,
    /// Why (the follow-up reason, the age turned).
    pub reason: String,
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and newline have no business in a
            // page; shown as the replacement character rather than dropped.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1d2430; --muted: #5b6575; --line: #d9dee6;
  --card: #f5f7fa; --bar: #2f6fdf; --bar2: #d9573b; --heat: #2f6fdf; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #11151c; --fg: #e6e9ef; --muted: #9aa4b2; --line: #2c3440; --card: #1a2029;
    --bar: #6ea0ff; --bar2: #ff8a6b; --heat: #6ea0ff; }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; margin: 0.5rem 0 0.25rem; overflow-wrap: anywhere; }
h2 { font-size: 1.15rem; margin: 1.75rem 0 0.5rem; border-bottom: 1px solid var(--line); padding-bottom: 0.25rem; }
p, li { overflow-wrap: anywhere; }
.muted { color: var(--muted); font-size: 0.9rem; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: 0.5rem; }
.tile { background: var(--card); border-radius: 0.5rem; padding: 0.6rem 0.75rem; min-width: 0; }
.tile b { display: block; font-size: 1.25rem; overflow-wrap: anywhere; }
.tile span { color: var(--muted); font-size: 0.85rem; }
figure { margin: 0.5rem 0 1rem; }
figcaption { color: var(--muted); font-size: 0.9rem; margin-bottom: 0.25rem; }
svg { display: block; width: 100%; height: auto; }
svg text { fill: var(--fg); font-size: 11px; }
svg .axis { stroke: var(--line); stroke-width: 1; }
svg .bar { fill: var(--bar); }
svg .bar2 { fill: var(--bar2); }
svg .cell { fill: var(--heat); }
svg .cellbox { fill: var(--card); }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { text-align: left; padding: 0.3rem 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.name { overflow-wrap: anywhere; }
.legend i { display: inline-block; width: 0.8rem; height: 0.8rem; border-radius: 0.15rem; margin: 0 0.3rem 0 0.75rem; vertical-align: -0.1rem; }
.legend i.a { background: var(--bar); } .legend i.b { background: var(--bar2); }
/* Phones: the charts shrink to about half their drawn size, so their text is drawn
   larger, the denser labels give way, and table rows become stacked cards. */
@media (max-width: 40rem) {
  main { padding: 0.75rem; }
  svg text { font-size: 20px; }
  svg .thin, svg.dense .val, svg .celltext { display: none; }
  table.cards thead { display: none; }
  table.cards, table.cards tbody, table.cards tr, table.cards td { display: block; width: 100%; }
  table.cards tr { border-bottom: 1px solid var(--line); padding: 0.35rem 0; }
  table.cards td { border: 0; padding: 0.1rem 0; text-align: left; white-space: normal; }
  table.cards td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); }
}
"#;

/// Writes the page.
pub fn write_report(out: &mut dyn Write, page: &Page) -> Result<()> {
    let mut html = String::with_capacity(64 * 1024);
    let title = escape(page.title);
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <title>{title}: customer report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
    );
    let r = page.report;
    let window = match (r.from, r.to) {
        (Some(from), Some(to)) => format!("{from} to {to}"),
        _ => "no data yet".to_string(),
    };
    let _ = write!(
        html,
        "<h1>Customer report</h1>\n<p class=\"muted\">{title} · made on {} · figures from {}.</p>\n",
        page.today,
        escape(&window)
    );
    totals(&mut html, page);
    periods(&mut html, page);
    cohorts(&mut html, page.cohorts);
    satisfaction(&mut html, r);
    segments(&mut html, page.segments);
    tiers(&mut html, page.tiers);
    predictions(&mut html, page);
    agenda(&mut html, page);
    html.push_str(
        "<p class=\"muted\">Every figure is defined in crm's docs/metrics.md.</p>\n</main>\n</body>\n</html>\n",
    );
    out.write_all(html.as_bytes())?;
    Ok(())
}

fn money(page: &Page, amount: impl std::fmt::Display) -> String {
    match page.currency {
        Some(c) => format!("{amount} {}", escape(c.trim())),
        None => amount.to_string(),
    }
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "–".to_string(), |r| format!("{:.0}%", r * 100.0))
}

fn totals(html: &mut String, page: &Page) {
    let r = page.report;
    let tiles = [
        ("customers", r.customers.to_string()),
        ("buying customers", r.purchasing_customers.to_string()),
        ("orders", r.orders.to_string()),
        ("revenue", money(page, r.revenue)),
        (
            "average order",
            r.average_order_value
                .map_or_else(|| "–".to_string(), |m| money(page, m)),
        ),
        ("repeat buyers", percent(r.repeat_purchase_rate)),
        ("CSAT", percent(r.csat)),
        (
            "NPS",
            r.nps.map_or_else(|| "–".to_string(), |n| format!("{n:.0}")),
        ),
        ("complaints", r.complaints.to_string()),
    ];
    html.push_str("<h2>At a glance</h2>\n<div class=\"tiles\">\n");
    for (label, value) in tiles {
        let _ = writeln!(
            html,
            "<div class=\"tile\"><b>{value}</b><span>{label}</span></div>"
        );
    }
    html.push_str("</div>\n");
}

/// A bar chart: one `rect.bar` (or `bar2` for the second series) per value, a zero
/// height one for a missing value, so that the count of bars is the count of periods.
struct Bars<'a> {
    id: &'a str,
    caption: String,
    labels: Vec<String>,
    series: Vec<(&'static str, Vec<Option<f64>>)>,
    format: fn(f64) -> String,
}

const CHART_WIDTH: f64 = 640.0;
const CHART_HEIGHT: f64 = 200.0;
const LEFT: f64 = 36.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 16.0;

fn bar_chart(html: &mut String, chart: &Bars) {
    let n = chart.labels.len();
    let _ = writeln!(
        html,
        "<figure><figcaption>{}</figcaption>",
        escape(&chart.caption)
    );
    if n == 0 {
        html.push_str("<p class=\"muted\">No periods in the window.</p></figure>\n");
        return;
    }
    let values = chart.series.iter().flat_map(|(_, v)| v.iter().flatten());
    let (lo, hi) = values.fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    let span = if hi - lo > 0.0 { hi - lo } else { 1.0 };
    let plot = CHART_HEIGHT - TOP - BOTTOM;
    let y = |v: f64| TOP + (hi - v) / span * plot;
    let slot = (CHART_WIDTH - LEFT) / n as f64;
    let groups = chart.series.len() as f64;
    let bar = (slot * 0.8 / groups).max(1.0);
    let dense = n * chart.series.len() > 6;
    let _ = writeln!(
        html,
        "<svg id=\"{}\"{} viewBox=\"0 0 {CHART_WIDTH} {CHART_HEIGHT}\" role=\"img\" aria-label=\"{}\">",
        chart.id,
        if dense { " class=\"dense\"" } else { "" },
        escape(&chart.caption)
    );
    let zero = y(0.0);
    let _ = writeln!(
        html,
        "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{zero:.1}\" x2=\"{CHART_WIDTH}\" y2=\"{zero:.1}\"/>"
    );
    // Value labels only where they fit; period labels thinned to about 12.
    let show_values = n * chart.series.len() <= 12;
    let every = n.div_ceil(12);
    for (i, label) in chart.labels.iter().enumerate() {
        let x0 = LEFT + slot * i as f64 + slot * 0.1;
        for (k, (class, values)) in chart.series.iter().enumerate() {
            let x = x0 + bar * k as f64;
            let value = values.get(i).copied().flatten();
            let (top, height) = match value {
                Some(v) => (y(v.max(0.0)), (y(v.min(0.0)) - y(v.max(0.0))).max(0.0)),
                None => (zero, 0.0),
            };
            let title = match value {
                Some(v) => format!("{label}: {}", (chart.format)(v)),
                None => format!("{label}: no data"),
            };
            let _ = writeln!(
                html,
                "<rect class=\"{class}\" x=\"{x:.1}\" y=\"{top:.1}\" width=\"{bar:.1}\" height=\"{height:.1}\"><title>{}</title></rect>",
                escape(&title)
            );
            if let (true, Some(v)) = (show_values, value) {
                let _ = writeln!(
                    html,
                    "<text class=\"val\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                    x + bar / 2.0,
                    (top - 3.0).max(10.0),
                    escape(&(chart.format)(v))
                );
            }
        }
        if i % every == 0 {
            // On a phone every other label is hidden: the text is drawn larger there.
            let thin = (i / every) % 2 == 1;
            let _ = writeln!(
                html,
                "<text{} x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                if thin { " class=\"thin\"" } else { "" },
                LEFT + slot * (i as f64 + 0.5),
                CHART_HEIGHT - 10.0,
                escape(label)
            );
        }
    }
    html.push_str("</svg>\n");
    if chart.series.len() > 1 {
        html.push_str(
            "<p class=\"legend muted\"><i class=\"a\"></i>retention<i class=\"b\"></i>churn</p>\n",
        );
    }
    html.push_str("</figure>\n");
}

/// `text` cut to `max` characters, with an ellipsis when cut.
fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// A horizontal bar chart: one `rect.bar2` per row, its label on the left and its
/// value at the end.
fn hbar_chart(html: &mut String, id: &str, caption: &str, bars: &[(String, f64)]) {
    let label_width = 230.0;
    let row = 30.0;
    let height = row * bars.len() as f64 + 6.0;
    let hi = bars.iter().map(|(_, v)| *v).fold(0.0f64, f64::max);
    let hi = if hi > 0.0 { hi } else { 1.0 };
    let room = CHART_WIDTH - label_width - 70.0;
    let _ = writeln!(
        html,
        "<figure><figcaption>{}</figcaption>\n<svg id=\"{id}\" viewBox=\"0 0 {CHART_WIDTH} {height:.0}\" role=\"img\" aria-label=\"{}\">",
        escape(caption),
        escape(caption)
    );
    for (i, (label, value)) in bars.iter().enumerate() {
        let y = 3.0 + row * i as f64;
        let width = (value.max(0.0) / hi * room).max(0.0);
        let _ = writeln!(
            html,
            "<text x=\"0\" y=\"{:.1}\">{}</text><rect class=\"bar2\" x=\"{label_width}\" y=\"{:.1}\" width=\"{width:.1}\" height=\"{:.1}\"><title>{}: {value:.2}</title></rect><text x=\"{:.1}\" y=\"{:.1}\">{value:.1}</text>",
            y + 19.0,
            escape(label),
            y + 3.0,
            row - 8.0,
            escape(label),
            label_width + width + 6.0,
            y + 19.0
        );
    }
    html.push_str("</svg>\n</figure>\n");
}

fn periods(html: &mut String, page: &Page) {
    let r = page.report;
    let labels: Vec<String> = r.periods.iter().map(|p| p.period.clone()).collect();
    html.push_str("<h2>Revenue and orders</h2>\n");
    bar_chart(
        html,
        &Bars {
            id: "chart-revenue",
            caption: match page.currency {
                Some(c) => format!("Revenue per period ({})", c.trim()),
                None => "Revenue per period".to_string(),
            },
            labels: labels.clone(),
            series: vec![(
                "bar",
                r.periods
                    .iter()
                    .map(|p| Some(p.revenue.cents() as f64 / 100.0))
                    .collect(),
            )],
            format: |v| format!("{v:.0}"),
        },
    );
    bar_chart(
        html,
        &Bars {
            id: "chart-orders",
            caption: "Orders per period".to_string(),
            labels: labels.clone(),
            series: vec![(
                "bar",
                r.periods.iter().map(|p| Some(p.orders as f64)).collect(),
            )],
            format: |v| format!("{v:.0}"),
        },
    );
    html.push_str("<h2>Retention and churn</h2>\n");
    bar_chart(
        html,
        &Bars {
            id: "chart-retention",
            caption:
                "Share of the previous period's buyers who bought again (retention) or not (churn)"
                    .to_string(),
            labels,
            series: vec![
                ("bar", r.periods.iter().map(|p| p.retention_rate).collect()),
                ("bar2", r.periods.iter().map(|p| p.churn_rate).collect()),
            ],
            format: |v| format!("{:.0}%", v * 100.0),
        },
    );
}

/// The cohort heatmap: one `rect.cell` per cohort and period after it (offset 0, the
/// cohort's own period, is always full and drawn as the first column).
fn cohorts(html: &mut String, cohorts: &[Cohort]) {
    html.push_str("<h2>Cohorts</h2>\n<figure><figcaption>Customers by the period of their first purchase, and the share who bought in each later period</figcaption>\n");
    if cohorts.is_empty() {
        html.push_str("<p class=\"muted\">No purchases yet.</p></figure>\n");
        return;
    }
    let columns = cohorts
        .iter()
        .map(|c| c.periods.len() + 1)
        .max()
        .unwrap_or(1);
    let label_width = 130.0;
    let cell_w = ((CHART_WIDTH - label_width) / columns as f64).min(60.0);
    let cell_h = 26.0;
    let height = 24.0 + cell_h * cohorts.len() as f64;
    let _ = writeln!(
        html,
        "<svg id=\"chart-cohorts\" viewBox=\"0 0 {CHART_WIDTH} {height:.0}\" role=\"img\" aria-label=\"cohort heatmap\">"
    );
    for k in 0..columns {
        let _ = writeln!(
            html,
            "<text class=\"celltext\" x=\"{:.1}\" y=\"16\" text-anchor=\"middle\">+{k}</text>",
            label_width + cell_w * (k as f64 + 0.5)
        );
    }
    let small_text = cell_w >= 34.0;
    for (row, c) in cohorts.iter().enumerate() {
        let y = 24.0 + cell_h * row as f64;
        let _ = writeln!(
            html,
            "<text x=\"0\" y=\"{:.1}\">{} ({})</text>",
            y + 18.0,
            escape(&c.cohort),
            c.customers
        );
        let own = std::iter::once((c.cohort.as_str(), Some(1.0)));
        let later = c.periods.iter().map(|p| (p.period.as_str(), p.rate));
        for (k, (period, rate)) in own.chain(later).enumerate() {
            let x = label_width + cell_w * k as f64;
            let opacity = rate.map_or(0.0, |r| 0.08 + 0.92 * r.clamp(0.0, 1.0));
            let _ = writeln!(
                html,
                "<rect class=\"cellbox\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\"/>\
                 <rect class=\"cell\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill-opacity=\"{opacity:.2}\"><title>{} in {}: {}</title></rect>",
                cell_w - 2.0,
                cell_h - 2.0,
                cell_w - 2.0,
                cell_h - 2.0,
                escape(&c.cohort),
                escape(period),
                percent(rate)
            );
            if small_text {
                let _ = writeln!(
                    html,
                    "<text class=\"celltext\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                    x + (cell_w - 2.0) / 2.0,
                    y + 17.0,
                    percent(rate)
                );
            }
        }
    }
    html.push_str("</svg>\n</figure>\n");
}

fn satisfaction(html: &mut String, r: &Report) {
    html.push_str("<h2>Satisfaction</h2>\n");
    let _ = writeln!(
        html,
        "<p>{} rating{}{}; CSAT (share of ratings 4 or 5): <b>{}</b>.</p>",
        r.ratings,
        if r.ratings == 1 { "" } else { "s" },
        r.average_rating
            .map_or(String::new(), |a| format!(", average {a:.2} of 5")),
        percent(r.csat)
    );
    if let Some(nps) = r.nps {
        let _ = writeln!(
            html,
            "<p>NPS: <b>{nps:.0}</b> from {} answer{}.</p>",
            r.nps_responses,
            if r.nps_responses == 1 { "" } else { "s" }
        );
    }
    bar_chart(
        html,
        &Bars {
            id: "chart-csat",
            caption: "CSAT per period".to_string(),
            labels: r.periods.iter().map(|p| p.period.clone()).collect(),
            series: vec![("bar", r.periods.iter().map(|p| p.csat).collect())],
            format: |v| format!("{:.0}%", v * 100.0),
        },
    );
}

/// Segment sizes as a horizontal bar chart (`rect.bar2` per segment).
fn segments(html: &mut String, segments: &[(String, usize)]) {
    html.push_str("<h2>Segments</h2>\n");
    if segments.iter().all(|(_, n)| *n == 0) {
        html.push_str("<p class=\"muted\">No purchases yet, so no RFM segments.</p>\n");
        return;
    }
    let bars: Vec<(String, f64)> = segments
        .iter()
        .map(|(name, n)| (name.clone(), *n as f64))
        .collect();
    hbar_chart(
        html,
        "chart-segments",
        "Customers per RFM segment today (crm segments)",
        &bars,
    );
}

/// Loyalty tier sizes as a horizontal bar chart (`rect.bar2` per tier and one for
/// `no tier`); nothing at all in a book without tiers.
fn tiers(html: &mut String, tiers: &[(String, usize)]) {
    if tiers.is_empty() {
        return;
    }
    html.push_str("<h2>Loyalty tiers</h2>\n");
    let bars: Vec<(String, f64)> = tiers
        .iter()
        .map(|(name, n)| (name.clone(), *n as f64))
        .collect();
    hbar_chart(
        html,
        "chart-tiers",
        "Customers per loyalty tier today (crm list --tier)",
        &bars,
    );
}

fn predictions(html: &mut String, page: &Page) {
    let days = page.horizon_days;
    html.push_str("<h2>Most value at risk</h2>\n");
    let model = match &page.model {
        Ok(model) => model,
        Err(why) => {
            let _ = writeln!(
                html,
                "<p class=\"muted\">No predictions: {}.</p>",
                escape(why)
            );
            return;
        }
    };
    let spend = model.spend.is_some();
    let _ = writeln!(
        html,
        "<p class=\"muted\">BG/NBD{} fitted over {} customers ({} repeat buyers). Value at risk: \
         (1 − P(alive)) × what the next {days} days would bring if the customer is still active{}.</p>",
        if spend { " and Gamma-Gamma" } else { "" },
        model.customers,
        model.repeat_buyers,
        match (&model.spend_problem, model.spend.as_ref().and_then(|s| s.common_rate)) {
            (Some(problem), _) => format!(
                "; no spend model ({}), so this ranks by purchases at risk",
                escape(problem)
            ),
            (None, Some(_)) => "; spend does not vary between customers, so every purchase is valued at the mean purchase".to_string(),
            (None, None) => String::new(),
        }
    );
    if page.at_risk.is_empty() {
        html.push_str("<p class=\"muted\">Nobody.</p>\n");
        return;
    }
    let risk = |r: &PredictionRow| {
        r.prediction
            .value_at_risk
            .unwrap_or(r.prediction.purchases_at_risk)
    };
    let caption = if spend {
        format!("Value at risk over {days} days")
    } else {
        format!("Purchases at risk over {days} days")
    };
    let bars: Vec<(String, f64)> = page
        .at_risk
        .iter()
        .map(|r| (short(&r.name, 18), risk(r)))
        .collect();
    hbar_chart(html, "chart-risk", &caption, &bars);
    let _ = writeln!(
        html,
        "<div class=\"scroll\"><table class=\"cards\"><thead><tr><th>customer</th><th class=\"num\">P(alive)</th>\
         <th class=\"num\">purchases in {days}d</th><th class=\"num\">{}</th></tr></thead><tbody>",
        if spend {
            "value at risk"
        } else {
            "purchases at risk"
        }
    );
    for r in page.at_risk {
        let _ = writeln!(
            html,
            "<tr><td class=\"name\">{} <span class=\"muted\">{}</span></td><td class=\"num\" data-label=\"P(alive)\">{:.2}</td>\
             <td class=\"num\" data-label=\"purchases in {days}d\">{:.2}</td><td class=\"num\" data-label=\"{}\">{}</td></tr>",
            escape(&r.name),
            escape(&r.id),
            r.prediction.p_alive,
            r.prediction.expected_purchases,
            if spend {
                "value at risk"
            } else {
                "purchases at risk"
            },
            match r.prediction.value_at_risk {
                Some(v) => money(page, format!("{v:.2}")),
                None => format!("{:.2}", r.prediction.purchases_at_risk),
            }
        );
    }
    html.push_str("</tbody></table></div>\n");
}

fn agenda(html: &mut String, page: &Page) {
    let _ = writeln!(
        html,
        "<h2>The next two weeks</h2>\n<p class=\"muted\">Follow-ups (overdue ones first) and birthdays and anniversaries until {}.</p>",
        page.agenda_until
    );
    if page.agenda.is_empty() {
        html.push_str("<p class=\"muted\">Nothing due.</p>\n");
        return;
    }
    html.push_str("<div class=\"scroll\"><table class=\"cards\"><thead><tr><th>when</th><th>customer</th><th>why</th></tr></thead><tbody>\n");
    for line in page.agenda {
        let _ = writeln!(
            html,
            "<tr><td class=\"num\"><b>{}</b> {}</td><td class=\"name\">{} <span class=\"muted\">{}</span></td><td>{}</td></tr>",
            line.date,
            line.what,
            escape(&line.name),
            escape(&line.id),
            escape(&line.reason)
        );
    }
    html.push_str("</tbody></table></div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_keeps_markup_as_text() {
        assert_eq!(
            escape("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
        assert_eq!(escape("a\u{0}b"), "a\u{FFFD}b");
    }
}
