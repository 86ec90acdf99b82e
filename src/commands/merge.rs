//! `crm merge KEEP OTHER`: make one customer of two (a duplicate): OTHER's
//! interactions, missing fields, tags and preferences go into KEEP's file, fields that
//! differ are listed (KEEP's kept unless `--take-other FIELD`), and OTHER's file is
//! removed, in one commit with `--commit`.

use std::fmt::Write as _;

use serde::Serialize;

use super::flags::ChangeFormat;
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
    #[command(flatten)]
    pub(crate) output: ChangeFormat,
}

/// What `crm merge --format json` prints.
#[derive(Debug, Serialize)]
struct MergedJson<'a> {
    keep: &'a str,
    other: &'a str,
    /// `--dry-run`: nothing was written.
    dry_run: bool,
    /// OTHER's interactions added to KEEP.
    added: usize,
    /// OTHER's interactions KEEP already had.
    duplicates: usize,
    /// Fields copied from OTHER because KEEP lacked them (`pref.KEY` for preferences).
    copied: &'a [String],
    /// OTHER's tags added to KEEP.
    tags: &'a [String],
    /// Fields the two have with different values.
    differing: Vec<DifferingJson<'a>>,
    /// Fields that differ and are not single values: to copy by hand.
    not_merged: &'a [String],
    /// OTHER's file, removed (or to be removed), relative to the book.
    removed: &'a str,
    /// With `--dry-run`, KEEP's file as it would be; else `null`.
    text: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct DifferingJson<'a> {
    field: &'a str,
    /// The value kept in KEEP's file.
    kept: &'a str,
    /// The value left out.
    dropped: &'a str,
    /// Whether the kept value is OTHER's (`--take-other`).
    taken_from_other: bool,
}

/// Runs `crm merge`.
pub fn run(ctx: &Context, args: &Args, out: &mut crate::ui::Ui) -> Result<u8> {
    let book = ctx.book()?;
    let keep = CustomerId::parse(&args.keep)?;
    let other = CustomerId::parse(&args.other)?;
    let mut lock = book.lock()?;
    let merged = book.merge_customers(&mut lock, &keep, &other, &args.take_other, args.dry_run)?;
    let other_path = book.shown(&book.customer_path(&other));
    let json = MergedJson {
        keep: keep.as_str(),
        other: other.as_str(),
        dry_run: args.dry_run,
        added: merged.added,
        duplicates: merged.duplicates,
        copied: &merged.copied,
        tags: &merged.tags,
        differing: merged
            .differing
            .iter()
            .map(|d| {
                let (kept, dropped) = if d.taken {
                    (&d.other, &d.keep)
                } else {
                    (&d.keep, &d.other)
                };
                DifferingJson {
                    field: &d.field,
                    kept,
                    dropped,
                    taken_from_other: d.taken,
                }
            })
            .collect(),
        not_merged: &merged.not_merged,
        removed: &other_path,
        text: args.dry_run.then_some(merged.text.as_str()),
    };
    let text = said(&book, &keep, &other, &other_path, &merged, args.dry_run);
    args.output.write(out, &text, &json)?;
    if args.dry_run {
        return Ok(EXIT_OK);
    }
    super::finish_write(ctx, &book, lock, &format!("merge {other} into {keep}"), out)?;
    Ok(EXIT_OK)
}

/// What `crm merge` says, for a person.
fn said(
    book: &crate::store::Book,
    keep: &CustomerId,
    other: &CustomerId,
    other_path: &str,
    merged: &crate::store::merge_customers::Merged,
    dry_run: bool,
) -> String {
    let mut out = String::new();
    let verb = if dry_run { "would merge" } else { "merged" };
    let _ = writeln!(
        out,
        "{verb} {other} into {keep}: {} interaction{} added, {} already there",
        merged.added,
        if merged.added == 1 { "" } else { "s" },
        merged.duplicates
    );
    if !merged.copied.is_empty() {
        let _ = writeln!(out, "  copied from {other}: {}", merged.copied.join(", "));
    }
    if !merged.tags.is_empty() {
        let _ = writeln!(out, "  tags added: {}", merged.tags.join(", "));
    }
    for d in &merged.differing {
        let (kept, dropped) = if d.taken {
            (&d.other, &d.keep)
        } else {
            (&d.keep, &d.other)
        };
        let _ = writeln!(
            out,
            "  {} differs: kept {kept}, not {dropped}{}",
            d.field,
            if d.taken { " (--take-other)" } else { "" }
        );
    }
    if !merged.not_merged.is_empty() {
        let _ = writeln!(
            out,
            "  not merged (not single values; copy by hand with `crm edit {keep}`): {}",
            merged.not_merged.join(", ")
        );
    }
    if dry_run {
        let _ = writeln!(out, "  would remove {other_path}");
        let _ = writeln!(
            out,
            "--- {} as it would be:",
            book.shown(&book.customer_path(keep))
        );
        out.push_str(&merged.text);
    } else {
        let _ = writeln!(out, "  removed {other_path}");
    }
    out
}
