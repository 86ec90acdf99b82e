//! `crm rename OLD NEW`: give a customer a new id. The file moves with its bytes
//! unchanged, so git sees a rename and `crm history NEW` follows it back.

use std::io::Write;

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
}

/// Runs `crm rename`.
pub fn run(ctx: &Context, args: &Args, out: &mut crate::ui::Ui) -> Result<u8> {
    let book = ctx.book()?;
    let old = CustomerId::parse(&args.old)?;
    let new = CustomerId::parse(&args.new)?;
    let mut lock = book.lock()?;
    book.rename_customer(&mut lock, &old, &new)?;
    writeln!(out, "renamed {old} to {new}")?;
    super::finish_write(ctx, &book, lock, &format!("rename {old} to {new}"), out)?;
    Ok(EXIT_OK)
}
