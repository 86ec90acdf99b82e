//! `crm status`: what is uncommitted in the book, one line per file (customer files
//! and `crm.toml`), saying what each change means, or that git holds the file in a
//! merge conflict; unreadable customer files are named on stderr (exit 3), as every
//! command that reads the whole book does.

use std::collections::HashMap;
use std::io::Write;

use serde::Serialize;

use crate::context::Context;
use crate::error::{Result, EXIT_OK};
use crate::git::{self, BookRepo, Head, Unchanged};
use crate::render::{self, Format, Table};
use crate::store::readable::{self, Known};
use crate::store::{Book, Problem};
use crate::ui::Ui;

use super::commit::{self, Described};

/// Arguments of `crm status`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Output format (default: table).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
}

#[derive(Debug, Serialize)]
struct Report<'a> {
    branch: Option<&'a str>,
    head: Option<&'a str>,
    changes: Vec<Row<'a>>,
    unreadable: Vec<Unreadable<'a>>,
}

#[derive(Debug, Serialize)]
struct Row<'a> {
    file: &'a str,
    id: Option<&'a str>,
    state: &'static str,
    renamed_from: Option<&'a str>,
    change: String,
}

#[derive(Debug, Serialize)]
struct Unreadable<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
}

pub(crate) fn run(ctx: &Context, args: &Args, out: &mut Ui) -> Result<u8> {
    let book = ctx.book()?;
    let repo = BookRepo::open(&book.root)?;
    let head = repo.head()?;
    let mut status = repo.status(&commit::is_book_file, &commit::is_customer_file)?;
    let listing = status.listing.take();
    let described = commit::describe(&book, &status.changes);
    let problems = find_unreadable(&book, &described, &status.unchanged, listing)?;
    let rows: Vec<Row> = described.iter().map(row).collect();
    match args.format {
        Format::Json => {
            let (branch, commit) = match &head {
                Head::Branch { name, commit } => (Some(name.as_str()), commit.as_deref()),
                Head::Detached { commit } => (None, Some(commit.as_str())),
            };
            let report = Report {
                branch,
                head: commit,
                changes: rows,
                unreadable: problems.iter().map(unreadable).collect(),
            };
            render::write_json(out, &report)?;
        }
        Format::Csv => table(&rows).write_csv(out)?,
        Format::Table if rows.is_empty() => {
            writeln!(out, "nothing to commit: the book matches the last commit")?
        }
        Format::Table => table(&rows).write_text(out, ctx.table_layout, ctx.color)?,
    }
    out.flush()?;
    hint_conflicts(&repo, &described, out);
    if problems.is_empty() {
        Ok(EXIT_OK)
    } else {
        Ok(super::report_skipped(out, &problems))
    }
}

/// Every unreadable customer file of the book, parsing only what is not known to read
/// already: the changed files were parsed to describe them, and a file git holds
/// unchanged reads if its content did before (see [`readable`] for the rule).
fn find_unreadable(
    book: &Book,
    described: &[Described],
    unchanged: &Unchanged,
    listing: Option<Vec<std::ffi::OsString>>,
) -> Result<Vec<Problem>> {
    let parsed: HashMap<&str, Option<&Problem>> = described
        .iter()
        .filter(|d| d.read)
        .map(|d| (d.file.path.as_str(), d.problem.as_ref()))
        .collect();
    let mut unchanged = unchanged.in_order();
    readable::unreadable(
        book,
        listing,
        &mut |path| match parsed.get(path) {
            Some(problem) => Some(Known::Parsed(*problem)),
            None => unchanged.get(path).map(Known::Unchanged),
        },
        &git::blob_id,
    )
}

fn row(item: &Described) -> Row<'_> {
    // A file git holds in conflict is not a change of anyone's yet: saying what it
    // means would guess at a half-merged file.
    let (state, change) = if item.file.conflicted {
        ("conflict", "unresolved merge conflict".to_string())
    } else {
        (item.change.state(), item.change.describe())
    };
    Row {
        file: &item.file.path,
        id: item.id.as_deref(),
        state,
        renamed_from: item.file.renamed_from.as_deref(),
        change,
    }
}

/// Says on stderr how to settle the files git holds in conflict, if any: the commit
/// that ends a merge (or rebase, ...) is git's to make; after a conflicting
/// `git stash pop`, say, `crm commit` makes it.
fn hint_conflicts(repo: &BookRepo, described: &[Described], out: &mut Ui) {
    let conflicted: Vec<&str> = described
        .iter()
        .filter(|d| d.file.conflicted)
        .map(|d| d.file.path.as_str())
        .collect();
    if conflicted.is_empty() {
        return;
    }
    let then = match repo.ensure_no_operation() {
        Ok(()) => "run `crm commit`",
        // A merge `crm sync` left is finished by `crm sync`, which stages the edited
        // files, commits the merge and pushes.
        Err(_) if repo.merging() => {
            "finish what git is doing with git (`git status` says how), or with `crm check` and `crm sync` when the merge came from `crm sync`"
        }
        Err(_) => "finish what git is doing with git (`git status` says how)",
    };
    let _ = writeln!(
        out.err(),
        "hint: resolve the merge conflict in `{}` (keep the lines you want, delete the <<<<<<< ======= >>>>>>> markers, `git add` the file), then {then}",
        conflicted.join("`, `")
    );
}

fn unreadable(problem: &Problem) -> Unreadable<'_> {
    Unreadable {
        file: &problem.path,
        line: problem.line,
        column: problem.column,
        message: &problem.message,
    }
}

fn table(rows: &[Row]) -> Table {
    let mut table = Table::new(&["file", "state", "change"]);
    for row in rows {
        table.push(vec![
            row.file.to_string(),
            row.state.to_string(),
            row.change.clone(),
        ]);
    }
    table
}
