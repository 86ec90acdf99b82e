//! `crm status`: what is uncommitted in the book, one line per file (customer files
//! and `crm.toml`), saying what each change means; unreadable customer files are named
//! on stderr (exit 3), as every command that reads the whole book does.

use std::io::Write;

use serde::Serialize;

use crate::context::Context;
use crate::error::{Result, EXIT_OK};
use crate::git::{BookRepo, Head};
use crate::render::{self, Format, Table};
use crate::store::{scan, Problem};

use super::commit::{self, Described};

/// Arguments of `crm status`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format (default: table).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
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

/// Runs `crm status`.
pub fn run(ctx: &Context, args: &Args, out: &mut dyn Write) -> Result<u8> {
    let book = ctx.book()?;
    let repo = BookRepo::open(&book.root)?;
    let head = repo.head()?;
    let changes = repo.changes(&commit::is_book_file, &commit::is_customer_file)?;
    let described = commit::describe(&book, &changes);
    let problems = scan::scan_with(&book, |_, _| ())?.problems;
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
        Format::Table => table(&rows).write_text(out, ctx.stdout_is_tty, ctx.color)?,
    }
    if problems.is_empty() {
        Ok(EXIT_OK)
    } else {
        Ok(super::report_skipped(&problems))
    }
}

fn row(item: &Described) -> Row<'_> {
    Row {
        file: &item.file.path,
        id: item.id.as_deref(),
        state: item.change.state(),
        renamed_from: item.file.renamed_from.as_deref(),
        change: item.change.describe(),
    }
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
