//! `crm rename OLD NEW`: give a customer a new id. The file moves with its bytes
//! unchanged, so git sees a rename and `crm history NEW` follows it back.

use serde::Serialize;

use super::flags::ChangeFormat;
use crate::context::Context;
use crate::domain::id::CustomerId;
use crate::error::{Result, EXIT_OK};

/// Arguments of `crm rename`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The customer's id now.
    #[arg(add = clap_complete::ArgValueCompleter::new(super::complete::ids))]
    pub old: String,
    /// The new id (lowercase words joined by hyphens).
    pub new: String,
    #[command(flatten)]
    pub(crate) output: ChangeFormat,
}

/// What `crm rename --format json` prints.
#[derive(Debug, Serialize)]
struct Renamed<'a> {
    old: &'a str,
    new: &'a str,
    /// The file now, relative to the book.
    path: &'a str,
}

/// Runs `crm rename`.
pub fn run(ctx: &Context, args: &Args, out: &mut crate::ui::Ui) -> Result<u8> {
    let book = ctx.book()?;
    let old = CustomerId::parse(&args.old)?;
    let new = CustomerId::parse(&args.new)?;
    let mut lock = book.lock()?;
    book.rename_customer(&mut lock, &old, &new)?;
    let path = book.shown(&book.customer_path(&new));
    let json = Renamed {
        old: old.as_str(),
        new: new.as_str(),
        path: &path,
    };
    args.output
        .write(out, &format!("renamed {old} to {new}\n"), &json)?;
    super::finish_write(ctx, &book, lock, &format!("rename {old} to {new}"), out)?;
    Ok(EXIT_OK)
}
