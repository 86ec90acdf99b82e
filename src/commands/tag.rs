//! `crm tag ID +vip -trial`: add and take away tags, keeping the list's own style.

use std::io::Write;

use crate::context::Context;
use crate::domain::field_change::tag_changes;
use crate::domain::id::CustomerId;
use crate::error::{Error, Result, EXIT_OK};

/// Arguments of `crm tag`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The customer's id.
    #[arg(add = clap_complete::ArgValueCompleter::new(super::complete::ids))]
    pub id: String,
    /// `+TAG` adds a tag (a bare `TAG` too), `-TAG` takes one away.
    #[arg(required = true, allow_hyphen_values = true, value_name = "+TAG|-TAG")]
    #[arg(add = clap_complete::ArgValueCompleter::new(super::complete::tag_changes))]
    pub changes: Vec<String>,
}

/// Runs `crm tag`.
pub fn run(ctx: &Context, args: &Args, out: &mut crate::ui::Ui) -> Result<u8> {
    let book = ctx.book()?;
    let id = CustomerId::parse(&args.id)?;
    let changes = tag_changes(&args.changes)
        .map_err(|m| Error::usage(m).with_hint(format!("e.g. crm tag {id} +vip -trial")))?;
    let mut lock = book.lock()?;
    let changed = book.change_tags(&mut lock, &id, &changes)?;
    for arg in &changed.unchanged {
        let message = match arg.strip_prefix('-') {
            Some(tag) => format!("{id} has no tag `{tag}`"),
            None => format!("{id} already has tag `{}`", &arg[1..]),
        };
        out.warn(&message);
    }
    let mut parts: Vec<String> = changed.added.iter().map(|t| format!("+{t}")).collect();
    parts.extend(changed.removed.iter().map(|t| format!("-{t}")));
    if parts.is_empty() {
        writeln!(out, "tags of {id} unchanged: {}", shown(&changed.tags))?;
        return Ok(EXIT_OK);
    }
    writeln!(out, "tags of {id}: {}", shown(&changed.tags))?;
    for warning in &changed.warnings {
        out.warn(&warning.to_string());
    }
    super::finish_write(
        ctx,
        &book,
        lock,
        &format!("tag {id} {}", parts.join(" ")),
        out,
    )?;
    Ok(EXIT_OK)
}

fn shown(tags: &[String]) -> String {
    if tags.is_empty() {
        "(none)".to_string()
    } else {
        tags.join(", ")
    }
}
