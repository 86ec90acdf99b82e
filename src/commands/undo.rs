//! `crm undo`: revert the last commit crm made, with a new commit as a person would
//! (`git revert`), refusing when the last commit is not crm's or when the files it
//! touched have uncommitted changes.

use std::io::Write;

use crate::context::Context;
use crate::error::{Result, EXIT_OK};
use crate::git::{short_id_str, BookRepo};
use crate::ui::Ui;

use super::CRM_TRAILER;

/// Arguments of `crm undo`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// List the commits that `crm undo` would revert, one run after another, newest
    /// first, without changing anything.
    #[arg(long)]
    pub(crate) list: bool,
}

/// How many commits `crm undo --list` shows at most.
const LISTED: usize = 20;

/// Runs `crm undo`.
pub(crate) fn run(ctx: &Context, args: &Args, out: &mut Ui) -> Result<u8> {
    let book = ctx.book()?;
    let repo = BookRepo::open(&book.root)?;
    if args.list {
        let mut listed = 0;
        for id in repo.undoable(CRM_TRAILER, LISTED)? {
            let (summary, ours) = repo.commit_summary(id, CRM_TRAILER)?;
            if !ours {
                out.warn(&format!(
                    "then {} (\"{summary}\"), which crm undo does not revert (crm did not make it, or it started the book)",
                    crate::git::short_id(id)
                ));
                break;
            }
            listed += 1;
            writeln!(out, "{}  {summary}", crate::git::short_id(id))?;
        }
        if listed == 0 {
            out.warn("nothing crm undo could revert");
        }
        return Ok(EXIT_OK);
    }
    repo.ensure_no_operation()?;
    let who = repo.identity(&book.config)?;
    let lock = book.lock()?;
    let undone = repo.undo_last(CRM_TRAILER, &who)?;
    drop(lock);
    super::warn_unsigned(&repo, out);
    writeln!(
        out,
        "reverted {} (\"{}\") with {}: {}",
        short_id_str(&undone.reverted),
        undone.reverted_summary,
        short_id_str(&undone.commit),
        undone.summary
    )?;
    for path in &undone.paths {
        writeln!(out, "  {path}")?;
    }
    Ok(EXIT_OK)
}
