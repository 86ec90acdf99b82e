//! `crm merge KEEP OTHER`: make one customer of two (a duplicate): OTHER's
//! interactions, missing fields, tags and preferences go into KEEP's file, fields that
//! differ are listed (KEEP's kept unless `--take-other FIELD`), and OTHER's file is
//! removed, in one commit with `--commit`.

use std::io::Write;

use crate::context::Context;
use crate::domain::id::CustomerId;
use crate::error::{Result, EXIT_OK};

/// Arguments of `crm merge`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The customer to keep.
    #[arg(add = clap_complete::ArgValueCompleter::new(super::complete::ids))]
    pub keep: String,
    /// The duplicate to merge into it (its file is removed).
    #[arg(add = clap_complete::ArgValueCompleter::new(super::complete::ids))]
    pub other: String,
    /// Take OTHER's value of this field (`email`, `pref.coffee`, ...) where the two
    /// differ; repeat for several.
    #[arg(long = "take-other", value_name = "FIELD")]
    pub take_other: Vec<String>,
    /// Say what would change and print KEEP's file as it would be, writing nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs `crm merge`.
pub fn run(ctx: &Context, args: &Args, out: &mut crate::ui::Ui) -> Result<u8> {
    let book = ctx.book()?;
    let keep = CustomerId::parse(&args.keep)?;
    let other = CustomerId::parse(&args.other)?;
    let mut lock = book.lock()?;
    let merged = book.merge_customers(&mut lock, &keep, &other, &args.take_other, args.dry_run)?;
    let verb = if args.dry_run {
        "would merge"
    } else {
        "merged"
    };
    writeln!(
        out,
        "{verb} {other} into {keep}: {} interaction{} added, {} already there",
        merged.added,
        if merged.added == 1 { "" } else { "s" },
        merged.duplicates
    )?;
    if !merged.copied.is_empty() {
        writeln!(out, "  copied from {other}: {}", merged.copied.join(", "))?;
    }
    if !merged.tags.is_empty() {
        writeln!(out, "  tags added: {}", merged.tags.join(", "))?;
    }
    for d in &merged.differing {
        let (kept, dropped) = if d.taken {
            (&d.other, &d.keep)
        } else {
            (&d.keep, &d.other)
        };
        writeln!(
            out,
            "  {} differs: kept {kept}, not {dropped}{}",
            d.field,
            if d.taken { " (--take-other)" } else { "" }
        )?;
    }
    if !merged.not_merged.is_empty() {
        writeln!(
            out,
            "  not merged (not single values; copy by hand with `crm edit {keep}`): {}",
            merged.not_merged.join(", ")
        )?;
    }
    let other_path = book.shown(&book.customer_path(&other));
    if args.dry_run {
        writeln!(out, "  would remove {other_path}")?;
        writeln!(
            out,
            "--- {} as it would be:",
            book.shown(&book.customer_path(&keep))
        )?;
        write!(out, "{}", merged.text)?;
        return Ok(EXIT_OK);
    }
    writeln!(out, "  removed {other_path}")?;
    super::finish_write(ctx, &book, lock, &format!("merge {other} into {keep}"), out)?;
    Ok(EXIT_OK)
}
