//! `crm set ID FIELD VALUE` and `crm unset ID FIELD`: change one field of a customer
//! file in place, rewriting only that value's bytes (see `store::change`).

use serde::Serialize;

use super::flags::ChangeFormat;
use crate::context::Context;
use crate::domain::id::CustomerId;
use crate::error::{Result, EXIT_OK};
use crate::store::change::FieldChanged;

/// Arguments of `crm set`.
#[derive(Debug, clap::Args)]
pub struct SetArgs {
    /// The customer's id.
    #[arg(add = clap_complete::ArgValueCompleter::new(super::complete::ids))]
    pub id: String,
    /// The field: name, email, phone, company, birthday, since, every, pref.KEY, or a
    /// field the file already has.
    pub field: String,
    /// The new value (dates as for --since: YYYY-MM-DD, yesterday, -1w, ...).
    #[arg(allow_hyphen_values = true)]
    pub value: String,
    #[command(flatten)]
    pub(crate) output: ChangeFormat,
}

/// Arguments of `crm unset`.
#[derive(Debug, clap::Args)]
pub struct UnsetArgs {
    /// The customer's id.
    #[arg(add = clap_complete::ArgValueCompleter::new(super::complete::ids))]
    pub id: String,
    /// The field to take out: email, phone, company, birthday, since, every, pref.KEY,
    /// or a field the file has.
    pub field: String,
    #[command(flatten)]
    pub(crate) output: ChangeFormat,
}

/// Runs `crm set`.
pub fn run_set(ctx: &Context, args: &SetArgs, out: &mut crate::ui::Ui) -> Result<u8> {
    change(
        ctx,
        &args.id,
        &args.field,
        Some(&args.value),
        args.output,
        out,
    )
}

/// Runs `crm unset`.
pub fn run_unset(ctx: &Context, args: &UnsetArgs, out: &mut crate::ui::Ui) -> Result<u8> {
    change(ctx, &args.id, &args.field, None, args.output, out)
}

fn change(
    ctx: &Context,
    id: &str,
    field: &str,
    value: Option<&str>,
    output: ChangeFormat,
    out: &mut crate::ui::Ui,
) -> Result<u8> {
    let book = ctx.book()?;
    let id = CustomerId::parse(id)?;
    let mut lock = book.lock()?;
    let changed = book.change_field(&mut lock, &id, field, value, ctx.today)?;
    let json = Changed {
        id: id.as_str(),
        field: &changed.field,
        before: changed.before.as_deref(),
        after: changed.after.as_deref(),
        changed: !changed.unchanged,
    };
    output.write(out, &format!("{}\n", said(&id, &changed)), &json)?;
    for warning in &changed.warnings {
        out.warn(&warning.to_string());
    }
    let verb = if value.is_some() { "set" } else { "unset" };
    super::finish_write(
        ctx,
        &book,
        lock,
        &format!("{verb} {} of {id}", changed.field),
        out,
    )?;
    Ok(EXIT_OK)
}

/// What `crm set`/`unset --format json` prints.
#[derive(Debug, Serialize)]
struct Changed<'a> {
    id: &'a str,
    field: &'a str,
    /// The value before, as text (`null`: the field was not there).
    before: Option<&'a str>,
    /// The value now (`null`: taken out, or never there).
    after: Option<&'a str>,
    /// Whether the file was written.
    changed: bool,
}

/// The line `crm set`/`unset` prints.
fn said(id: &CustomerId, changed: &FieldChanged) -> String {
    let field = &changed.field;
    match (&changed.before, &changed.after, changed.unchanged) {
        (_, Some(after), true) => format!("{field} of {id} is already {after}; nothing changed"),
        (_, None, true) => format!("{id} has no {field}; nothing changed"),
        (Some(before), Some(after), false) => {
            format!("{field} of {id} changed from {before} to {after}")
        }
        (None, Some(after), false) => format!("{field} of {id} set to {after}"),
        (Some(before), None, false) => format!("{field} of {id} taken out (was {before})"),
        (None, None, false) => format!("{field} of {id} taken out"),
    }
}
