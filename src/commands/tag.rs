//! `crm tag ID +vip -trial`: add and take away tags, keeping the list's own style.

use serde::Serialize;

use super::flags::ChangeFormat;
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
    #[command(flatten)]
    pub(crate) output: ChangeFormat,
}

/// What `crm tag --format json` prints.
#[derive(Debug, Serialize)]
struct Changed<'a> {
    id: &'a str,
    added: &'a [String],
    removed: &'a [String],
    /// The tags now, as written in the file.
    tags: &'a [String],
    /// Whether the file was written.
    changed: bool,
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
    let json = Changed {
        id: id.as_str(),
        added: &changed.added,
        removed: &changed.removed,
        tags: &changed.tags,
        changed: !parts.is_empty(),
    };
    if parts.is_empty() {
        let text = format!("tags of {id} unchanged: {}\n", shown(&changed.tags));
        args.output.write(out, &text, &json)?;
        return Ok(EXIT_OK);
    }
    let text = format!("tags of {id}: {}\n", shown(&changed.tags));
    args.output.write(out, &text, &json)?;
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
