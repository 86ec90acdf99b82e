//! The text of crm's own customer files and interaction entries, in the documented key
//! order, with every value written by the YAML engine's quoting rules
//! ([`crate::yaml::scalar`]). Appending the entries to a person's file is
//! [`crate::yaml::plan_append`]'s business.

use crate::domain::interaction::Interaction;
use crate::domain::money::Money;
use crate::yaml::{flow_list, scalar};

pub use crate::domain::customer::NewCustomer;

/// The text of a new customer file, in the documented key order, with `newline` as the
/// line ending.
pub fn new_customer_file(customer: &NewCustomer, newline: &str) -> String {
    let mut lines = vec![format!("name: {}", scalar(&customer.name))];
    for (key, value) in customer.contact_fields() {
        if let Some(value) = value {
            lines.push(format!("{key}: {}", scalar(value)));
        }
    }
    if !customer.tags.is_empty() {
        lines.push(format!("tags: {}", flow_list(&customer.tags)));
    }
    if let Some(birthday) = customer.birthday {
        lines.push(format!("birthday: {birthday}"));
    }
    if let Some(since) = customer.since {
        lines.push(format!("since: {since}"));
    }
    if !customer.preferences.is_empty() {
        lines.push("preferences:".to_string());
        for (key, value) in &customer.preferences {
            lines.push(format!("  {}: {}", scalar(key), scalar(value)));
        }
    }
    if let Some(every) = customer.every {
        lines.push("follow_up:".to_string());
        lines.push(format!("  every: {every}"));
    }
    // An empty block, not `[]`: a person can append `  - date: ...` lines under it by
    // hand, which below a flow `[]` would be invalid YAML.
    lines.push("interactions:".to_string());
    let mut text = lines.join(newline);
    text.push_str(newline);
    text
}

/// The `key: value` lines of an interaction entry, in the documented order.
pub fn interaction_fields(interaction: &Interaction) -> Vec<String> {
    let mut fields = vec![
        format!("date: {}", interaction.date),
        format!("kind: {}", scalar(interaction.kind.name())),
    ];
    if let Some(summary) = &interaction.summary {
        fields.push(format!("summary: {}", scalar(summary)));
    }
    if let Some(amount) = interaction.amount {
        fields.push(format!("amount: {}", money(amount)));
    }
    if !interaction.items.is_empty() {
        fields.push(format!("items: {}", flow_list(&interaction.items)));
    }
    if let Some(rating) = interaction.rating {
        fields.push(format!("rating: {rating}"));
    }
    if let Some(nps) = interaction.nps {
        fields.push(format!("nps: {nps}"));
    }
    if let Some(points) = interaction.points {
        fields.push(format!("points: {points}"));
    }
    if let Some(channel) = &interaction.channel {
        fields.push(format!("channel: {}", scalar(channel)));
    }
    if let Some(follow_up) = interaction.follow_up {
        fields.push(format!("follow_up: {follow_up}"));
    }
    if let Some(import) = &interaction.import {
        fields.push(format!("import: {}", scalar(import)));
    }
    fields
}

fn money(amount: Money) -> String {
    amount.to_string()
}
