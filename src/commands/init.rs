//! `crm init [DIR]`: a new book with commented settings, a customers/ folder, and a git
//! repository with a first commit (unless DIR is already inside one).
//!
//! Everything that can be checked is checked before anything is written, and what a
//! failed init did write is taken back: a failed `crm init` leaves the folder as it was
//! (the store's [`NewBook`] does both).

use std::io::Write;
use std::path::PathBuf;

use crate::context::Context;
use crate::domain::change;
use crate::error::{Error, ErrorKind, Result, EXIT_OK};
use crate::git::{BookRepo, FileChange, Identity};
use crate::store::{Book, NewBook, CUSTOMERS_DIR};
use crate::ui::Ui;

use super::{commit, CRM_TRAILER};

/// Arguments of `crm init`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Folder for the new book (created if missing; default: the current folder, or
    /// the folder given with -C; CRM_DIR does not move it).
    pub(crate) dir: Option<PathBuf>,
}

pub(crate) fn run(ctx: &Context, args: &Args, out: &mut Ui) -> Result<u8> {
    let dir = match &args.dir {
        Some(dir) => ctx.init_dir.join(dir),
        None => ctx.init_dir.clone(),
    };
    let plan = NewBook::check(&dir)?;
    let written = plan.write()?;

    let shown = dir.display();
    if crate::git::discover(&dir).is_some() {
        writeln!(out, "created a crm book in `{shown}` (inside an existing git repository; nothing committed)")?;
        return Ok(EXIT_OK);
    }
    if let Err(err) = crate::git::init(&dir) {
        plan.undo(&written);
        return Err(Error::new(
            err.kind,
            format!(
                "cannot create a git repository in `{shown}`: {}; nothing was created",
                err.message
            ),
        )
        .with_hint("check that the folder is writable, or run `git init` there first"));
    }
    let repo = BookRepo::open(&dir)?;
    let book = Book::open(&dir)?;
    let who = match repo.identity(&book.config) {
        Ok(who) => who,
        Err(err) => {
            writeln!(out, "created a crm book with a git repository in `{shown}`")?;
            out.warn(&format!(
                "made no first commit: {}; set an identity, then run `crm commit`",
                err.message
            ));
            return Ok(EXIT_OK);
        }
    };
    first_commit(&book, &repo, &who, out).map_err(|err| {
        Error::new(
            ErrorKind::NotCommitted,
            format!(
                "created the book in `{shown}` but did not commit it: {}",
                err.message
            ),
        )
        .with_hint("run `crm commit` to make the first commit")
    })
}

/// Commits the new book: its own files and the customer files the folder already held
/// (a folder of customer files made into a book), as `crm commit` would commit and
/// name them (`start the crm book; add ada`).
fn first_commit(book: &Book, repo: &BookRepo, who: &Identity, out: &mut Ui) -> Result<u8> {
    let changes = repo.changes(&commit::is_book_file, &commit::is_customer_file)?;
    let shown = book.root.display();
    if changes.is_empty() {
        // Only when the folder's own .gitignore ignores the book's files.
        writeln!(out, "created a crm book with a git repository in `{shown}`")?;
        out.warn(
            "made no first commit: git ignores the book's files (see the folder's .gitignore)",
        );
        return Ok(EXIT_OK);
    }
    let described = commit::describe(book, &changes);
    for item in &described {
        if let Some(problem) = &item.problem {
            out.warn(&format!(
                "committing `{}` although it does not parse: {problem}",
                item.file.path
            ));
        }
    }
    let message = change::commit_message(
        &described
            .iter()
            .map(|d| d.change.clone())
            .collect::<Vec<_>>(),
    );
    let paths: Vec<String> = changes.iter().flat_map(FileChange::paths).collect();
    let full = format!("{message}\n\n{CRM_TRAILER}\n");
    let customers = described.iter().filter(|d| d.id.is_some()).count();
    repo.commit_book_paths(&paths, &full, who)?;
    super::warn_unsigned(repo, out);
    match customers {
        0 => writeln!(out, "created a crm book with a git repository in `{shown}`")?,
        n => writeln!(
            out,
            "created a crm book with a git repository in `{shown}`, committing the {n} customer file{} already in {CUSTOMERS_DIR}/",
            if n == 1 { "" } else { "s" }
        )?,
    }
    Ok(EXIT_OK)
}
