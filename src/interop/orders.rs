//! Web-shop and payment exports as purchases and refunds: a Shopify orders export (one
//! row per line item, the order's own fields only on its first row) and a Stripe
//! payments export (one row per charge). Each recognised by its header. Pure.

use std::collections::HashMap;

/// The order formats crm reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Shopify's orders export (`Name,Email,Financial Status,...,Total,...,Lineitem name`).
    Shopify,
    /// Stripe's payments export (`id,Created (UTC),Amount,Amount Refunded,...,Status`).
    Stripe,
}

impl Format {
    /// The format's name, as the import says which it detected.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Format::Shopify => "a Shopify orders export",
            Format::Stripe => "a Stripe payments export",
        }
    }
}

/// A purchase or a refund, as text for the import's checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The line of the row it comes from (an order's first row).
    pub(crate) line: u64,
    /// `purchase` or `refund`.
    pub(crate) kind: &'static str,
    /// The customer's email, if the row has one.
    pub(crate) email: Option<String>,
    /// The customer's name, if the row has one.
    pub(crate) name: Option<String>,
    /// The day, `YYYY-MM-DD` (or the cell as written when it is not a date).
    pub(crate) date: String,
    /// The amount as written.
    pub(crate) amount: String,
    /// What was bought (`2 x Tea`).
    pub(crate) items: Vec<String>,
    /// Names the order or payment, so that re-importing recognises it.
    pub(crate) summary: String,
}

/// What was read from an orders file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Orders {
    /// The format recognised.
    pub(crate) format: Format,
    /// Purchases and refunds, in file order.
    pub(crate) entries: Vec<Entry>,
    /// Orders or payments left out because they were not paid (status), with the
    /// status each had.
    pub(crate) unpaid: Vec<(u64, String)>,
    /// Rows that cannot be used.
    pub(crate) problems: Vec<(u64, String)>,
}

/// The order format of a CSV header, if it is one.
pub(crate) fn detect(header: &[String]) -> Option<Format> {
    let has = |name: &str| header.iter().any(|h| h.trim() == name);
    if has("Name") && has("Total") && has("Lineitem name") {
        Some(Format::Shopify)
    } else if has("Created (UTC)") && has("Amount") && (has("Customer Email") || has("Status")) {
        Some(Format::Stripe)
    } else {
        None
    }
}

/// The entries of an orders export of `format`.
pub(crate) fn read(format: Format, header: &[String], rows: &[(u64, Vec<String>)]) -> Orders {
    match format {
        Format::Shopify => shopify(header, rows),
        Format::Stripe => stripe(header, rows),
    }
}

/// Cells of a row by column name.
struct Columns<'a> {
    header: &'a [String],
}

impl Columns<'_> {
    fn get<'r>(&self, cells: &'r [String], name: &str) -> Option<&'r str> {
        let i = self.header.iter().position(|h| h.trim() == name)?;
        cells.get(i).map(|c| c.trim()).filter(|c| !c.is_empty())
    }
}

/// `2024-03-05 14:22:10 -0500` → `2024-03-05` (the shop's own day, as written).
fn day(text: &str) -> String {
    let first = text.split([' ', 'T']).next().unwrap_or(text);
    first.to_string()
}

/// Whether an amount cell is more than zero (an unreadable one counts as more, so
/// that the import reports it).
fn positive(amount: &str) -> bool {
    amount.parse::<f64>().map_or(true, |a| a > 0.0)
}

fn shopify(header: &[String], rows: &[(u64, Vec<String>)]) -> Orders {
    let col = Columns { header };
    let mut order_of: HashMap<String, usize> = HashMap::new();
    // (first line, first row's cells, items)
    let mut orders: Vec<(u64, &[String], Vec<String>)> = Vec::new();
    let mut problems = Vec::new();
    for (line, cells) in rows {
        let Some(name) = col.get(cells, "Name") else {
            problems.push((
                *line,
                "the order's `Name` (e.g. #1001) is empty".to_string(),
            ));
            continue;
        };
        let index = *order_of.entry(name.to_string()).or_insert_with(|| {
            orders.push((*line, cells.as_slice(), Vec::new()));
            orders.len() - 1
        });
        if let Some(item) = col.get(cells, "Lineitem name") {
            let quantity = col.get(cells, "Lineitem quantity").unwrap_or("1");
            orders[index].2.push(if quantity == "1" {
                item.to_string()
            } else {
                format!("{quantity} x {item}")
            });
        }
    }
    let mut entries = Vec::new();
    let mut unpaid = Vec::new();
    for (line, first, items) in orders {
        let name = col.get(first, "Name").unwrap_or_default();
        let status = col
            .get(first, "Financial Status")
            .unwrap_or("paid")
            .to_ascii_lowercase();
        if matches!(
            status.as_str(),
            "pending" | "authorized" | "voided" | "expired"
        ) {
            unpaid.push((line, status));
            continue;
        }
        let Some(total) = col.get(first, "Total") else {
            problems.push((
                line,
                format!("order {name} has no `Total` on its first row"),
            ));
            continue;
        };
        let Some(created) = col
            .get(first, "Created at")
            .or_else(|| col.get(first, "Paid at"))
        else {
            problems.push((line, format!("order {name} has no `Created at` date")));
            continue;
        };
        let email = col.get(first, "Email").map(str::to_string);
        let customer_name = col
            .get(first, "Billing Name")
            .or_else(|| col.get(first, "Shipping Name"))
            .map(str::to_string);
        let date = day(created);
        entries.push(Entry {
            line,
            kind: "purchase",
            email: email.clone(),
            name: customer_name.clone(),
            date: date.clone(),
            amount: total.to_string(),
            items,
            summary: format!("Shopify order {name}"),
        });
        if let Some(refunded) = col.get(first, "Refunded Amount").filter(|a| positive(a)) {
            entries.push(Entry {
                line,
                kind: "refund",
                email,
                name: customer_name,
                date,
                amount: refunded.to_string(),
                items: Vec::new(),
                summary: format!("Shopify order {name} refund"),
            });
        }
    }
    Orders {
        format: Format::Shopify,
        entries,
        unpaid,
        problems,
    }
}

fn stripe(header: &[String], rows: &[(u64, Vec<String>)]) -> Orders {
    let col = Columns { header };
    let mut entries = Vec::new();
    let mut unpaid = Vec::new();
    let mut problems = Vec::new();
    for (line, cells) in rows {
        let line = *line;
        let status = col
            .get(cells, "Status")
            .unwrap_or("Paid")
            .to_ascii_lowercase();
        // A refunded charge was paid first: its refund is recorded as one.
        if !matches!(
            status.as_str(),
            "paid" | "succeeded" | "refunded" | "partially refunded"
        ) {
            unpaid.push((line, status));
            continue;
        }
        let id = col.get(cells, "id").or_else(|| col.get(cells, "ID"));
        let Some(created) = col.get(cells, "Created (UTC)") else {
            problems.push((line, "`Created (UTC)` is empty".to_string()));
            continue;
        };
        let Some(amount) = col.get(cells, "Amount") else {
            problems.push((line, "`Amount` is empty".to_string()));
            continue;
        };
        let email = col.get(cells, "Customer Email").map(str::to_string);
        let name = col
            .get(cells, "Customer Name")
            .or_else(|| col.get(cells, "Card Name"))
            .map(str::to_string);
        if email.is_none() && name.is_none() {
            problems.push((
                line,
                "the payment has no `Customer Email` (nor a name): crm cannot tell whose it is"
                    .to_string(),
            ));
            continue;
        }
        let what = match (id, col.get(cells, "Description")) {
            (Some(id), Some(d)) => format!("Stripe payment {id}: {d}"),
            (Some(id), None) => format!("Stripe payment {id}"),
            (None, Some(d)) => format!("Stripe payment: {d}"),
            (None, None) => "Stripe payment".to_string(),
        };
        let date = day(created);
        entries.push(Entry {
            line,
            kind: "purchase",
            email: email.clone(),
            name: name.clone(),
            date: date.clone(),
            amount: amount.to_string(),
            items: Vec::new(),
            summary: what.clone(),
        });
        if let Some(refunded) = col.get(cells, "Amount Refunded").filter(|a| positive(a)) {
            let date = col.get(cells, "Refunded date (UTC)").map_or(date, day);
            entries.push(Entry {
                line,
                kind: "refund",
                email,
                name,
                date,
                amount: refunded.to_string(),
                items: Vec::new(),
                summary: format!("{what} (refund)"),
            });
        }
    }
    Orders {
        format: Format::Stripe,
        entries,
        unpaid,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(text: &str) -> Vec<String> {
        text.split(',').map(str::to_string).collect()
    }

    fn row(line: u64, text: &str) -> (u64, Vec<String>) {
        (line, text.split(',').map(str::to_string).collect())
    }

    #[test]
    fn shopify_groups_line_items_by_order_and_records_refunds() {
        let h = header("Name,Email,Financial Status,Total,Created at,Lineitem quantity,Lineitem name,Refunded Amount,Billing Name");
        assert_eq!(detect(&h), Some(Format::Shopify));
        let rows = [
            row(2, "#1001,ada@example.com,partially_refunded,54.00,2025-03-05 14:22:10 -0500,2,Tea,10.00,Ada Lovelace"),
            row(3, "#1001,,,,,1,Cup,,"),
            row(4, "#1001,,,,,1,Saucer,,"),
            row(5, "#1002,bob@example.com,paid,12.50,2025-03-06 09:00:00 +0100,1,Tea,0.00,Bob Stone"),
            row(6, "#1003,cy@example.com,pending,9.00,2025-03-07 09:00:00 +0100,1,Tea,,Cy"),
        ];
        let o = read(Format::Shopify, &h, &rows);
        assert!(o.problems.is_empty(), "{:?}", o.problems);
        assert_eq!(o.entries.len(), 3);
        let first = &o.entries[0];
        assert_eq!(
            (first.line, first.kind, first.amount.as_str()),
            (2, "purchase", "54.00")
        );
        assert_eq!(first.items, ["2 x Tea", "Cup", "Saucer"]);
        assert_eq!(first.date, "2025-03-05");
        assert_eq!(first.name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(
            (o.entries[1].kind, o.entries[1].amount.as_str()),
            ("refund", "10.00")
        );
        assert_eq!(o.entries[2].summary, "Shopify order #1002");
        assert_eq!(o.unpaid, [(6, "pending".to_string())]);
    }

    #[test]
    fn stripe_takes_paid_charges_and_their_refunds() {
        let h = header(
            "id,Created (UTC),Amount,Amount Refunded,Currency,Status,Customer Email,Description",
        );
        assert_eq!(detect(&h), Some(Format::Stripe));
        let rows = [
            row(
                2,
                "ch_1,2025-04-01 10:22,20.00,0.00,usd,Paid,ada@example.com,",
            ),
            row(
                3,
                "ch_2,2025-04-02 11:00,30.00,30.00,usd,Refunded,bob@example.com,Mug",
            ),
            row(
                4,
                "ch_3,2025-04-03 11:00,15.00,0.00,usd,Failed,cy@example.com,",
            ),
            row(5, "ch_4,2025-04-04 11:00,15.00,0.00,usd,Paid,,"),
        ];
        let o = read(Format::Stripe, &h, &rows);
        assert_eq!(o.entries.len(), 3);
        assert_eq!(o.entries[0].summary, "Stripe payment ch_1");
        assert_eq!(o.entries[2].kind, "refund");
        assert_eq!(o.entries[2].summary, "Stripe payment ch_2: Mug (refund)");
        assert_eq!(o.unpaid, [(4, "failed".to_string())]);
        assert_eq!(o.problems.len(), 1);
        assert_eq!(o.problems[0].0, 5);
        assert_eq!(detect(&header("customer,date,amount")), None);
    }
}
