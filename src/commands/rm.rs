//! `crm rm ID`: delete a customer. Asks first on a terminal and needs `--yes`
//! otherwise; in a git repository the deletion is always committed, so `crm undo`
//! brings the customer back.

use std::io::{BufRead, IsTerminal, Write};

use serde::Serialize;

use super::flags::ChangeFormat;
use crate::context::Context;
use crate::domain::id::CustomerId;
use crate::error::{Error, ErrorKind, Result, EXIT_OK};

/// Arguments of `crm rm`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The customer's id.
    #[arg(add = clap_complete::ArgValueCompleter::new(super::complete::ids))]
    pub id: String,
    /// Delete without asking (needed when crm cannot ask: not on a terminal).
    #[arg(short, long)]
    pub yes: bool,
    #[command(flatten)]
    pub(crate) output: ChangeFormat,
}

/// What `crm rm --format json` prints.
#[derive(Debug, Serialize)]
struct Removed<'a> {
    id: &'a str,
    /// The file removed, relative to the book (`null`: the answer was no).
    removed: Option<&'a str>,
    /// Whether `crm undo` can bring it back (the book is in a git repository).
    undoable: bool,
}

/// Runs `crm rm`.
pub fn run(ctx: &Context, args: &Args, out: &mut crate::ui::Ui) -> Result<u8> {
    let book = ctx.book()?;
    let id = CustomerId::parse(&args.id)?;
    // In a repository the deletion is committed, so that `crm undo` can take it back:
    // the commit must be possible before anything is deleted.
    let in_git = crate::git::discover(&book.root).is_some();
    if in_git {
        let (repo, _) = ctx.git(&book)?;
        repo.ensure_no_operation()?;
    }
    let mut lock = book.lock()?;
    let loaded = book.load(&id)?;
    let customer = &loaded.customer;
    if !args.yes {
        let question = format!(
            "remove `{id}` ({}, {} interaction{})?",
            customer.name,
            customer.interactions.len(),
            if customer.interactions.len() == 1 {
                ""
            } else {
                "s"
            }
        );
        if !confirm(&question)? {
            let json = Removed {
                id: id.as_str(),
                removed: None,
                undoable: false,
            };
            args.output.write(out, "nothing was removed\n", &json)?;
            return Ok(EXIT_OK);
        }
    }
    book.remove_customer(&mut lock, &id, &loaded)?;
    let shown = book.shown(&book.customer_path(&id));
    let json = Removed {
        id: id.as_str(),
        removed: Some(&shown),
        undoable: in_git,
    };
    if in_git {
        let text = format!("removed {id} ({shown}); `crm undo` brings it back\n");
        args.output.write(out, &text, &json)?;
    } else {
        args.output
            .write(out, &format!("removed {id} ({shown})\n"), &json)?;
        out.warn("the book is not in a git repository, so this cannot be undone");
    }
    super::finish_write_committing(ctx, &book, lock, &format!("remove {id}"), out, in_git)?;
    Ok(EXIT_OK)
}

/// Asks `question` on the terminal; refuses to guess when there is none.
fn confirm(question: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Err(Error::new(
            ErrorKind::Usage,
            format!(
                "crm rm asks before deleting, and cannot ask here (not on a terminal): {question}"
            ),
        )
        .with_hint("add --yes to delete without asking"));
    }
    let mut stderr = std::io::stderr().lock();
    let _ = write!(stderr, "{question} [y/N] ");
    let _ = stderr.flush();
    drop(stderr);
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::new(ErrorKind::Usage, format!("cannot read the answer: {e}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES"))
}
