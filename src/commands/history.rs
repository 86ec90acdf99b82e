//! `crm history ID [--patch]`: the commits that changed one customer's file, newest
//! first, following the file back through renames.

use std::io::Write;

use serde::Serialize;

use crate::context::Context;
use crate::domain::id::CustomerId;
use crate::error::{Result, EXIT_OK};
use crate::git::{short_id_str, BookRepo, LogEntry};
use crate::render::{self, Format, Table};
use crate::store::{CUSTOMERS_DIR, EXTENSION};
use crate::ui::Ui;

/// Arguments of `crm history`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The customer's id.
    #[arg(add = clap_complete::ArgValueCompleter::new(super::complete::ids))]
    pub(crate) id: String,
    /// Show each commit's diff of the file, as `git log -p` does.
    #[arg(short, long)]
    pub(crate) patch: bool,
    /// Output format (default: table; with --patch, git-log style text).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
}

#[derive(Debug, Serialize)]
struct Row<'a> {
    commit: &'a str,
    date: String,
    author: &'a str,
    email: &'a str,
    change: &'a str,
    file: &'a str,
    renamed_from: Option<&'a str>,
    renamed_to: Option<&'a str>,
    summary: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    patch: Option<&'a str>,
}

pub(crate) fn run(ctx: &Context, args: &Args, out: &mut Ui) -> Result<u8> {
    let book = ctx.book()?;
    let id = CustomerId::parse(&args.id)?;
    let repo = BookRepo::open(&book.root)?;
    let path = format!("{CUSTOMERS_DIR}/{id}.{EXTENSION}");
    let entries = repo.file_history(&path, args.patch)?;
    if entries.is_empty() {
        if !book.exists(&id) {
            // The usual "no customer" error, with its did-you-mean hint.
            book.load(&id)?;
        }
        out.warn(&format!(
            "`{path}` has no commits yet; `crm commit` records it"
        ));
    } else if let Some(to) = entries
        .first()
        .and_then(|e| e.renamed_to.as_deref())
        .filter(|_| !book.exists(&id))
    {
        let new_id = to
            .rsplit('/')
            .next()
            .and_then(|f| f.strip_suffix(&format!(".{EXTENSION}")))
            .unwrap_or(to);
        out.warn(&format!(
            "`{id}` was renamed to `{new_id}` in {}; `crm history {new_id}` shows its whole history",
            short_id_str(&entries[0].commit)
        ));
    } else if repo.is_dirty(&path) {
        out.warn(&format!(
            "`{path}` also has uncommitted changes (`crm status` shows them)"
        ));
    }
    let rows: Vec<Row> = entries.iter().map(row).collect();
    match args.format {
        Format::Json => render::write_json(out, &rows)?,
        Format::Csv => table(&rows, args.patch).write_csv(out)?,
        Format::Table if args.patch => write_log(out, &entries)?,
        Format::Table => table(&rows, false).write_text(out, ctx.table_layout, ctx.color)?,
    }
    Ok(EXIT_OK)
}

fn row(entry: &LogEntry) -> Row<'_> {
    Row {
        commit: &entry.commit,
        date: entry.date.to_rfc3339(),
        author: &entry.author,
        email: &entry.email,
        change: entry.change,
        file: &entry.path,
        renamed_from: entry.renamed_from.as_deref(),
        renamed_to: entry.renamed_to.as_deref(),
        summary: &entry.summary,
        message: entry.message.trim_end(),
        patch: entry.patch.as_deref(),
    }
}

fn table(rows: &[Row], patch: bool) -> Table {
    let mut headers = vec!["commit", "date", "author", "change", "summary"];
    if patch {
        headers.push("patch");
    }
    let mut table = Table::new(&headers);
    for row in rows {
        let mut cells = vec![
            short_id_str(row.commit),
            row.date.get(..16).unwrap_or(&row.date).replace('T', " "),
            row.author.to_string(),
            match (row.renamed_from, row.renamed_to) {
                (Some(from), _) => format!("renamed from {from}"),
                (None, Some(to)) => format!("renamed to {to}"),
                (None, None) => row.change.to_string(),
            },
            row.summary.to_string(),
        ];
        if patch {
            cells.push(row.patch.unwrap_or("").to_string());
        }
        table.push(cells);
    }
    table
}

/// The entries as `git log -p` prints them.
fn write_log(out: &mut crate::ui::Ui, entries: &[LogEntry]) -> Result<()> {
    for (n, entry) in entries.iter().enumerate() {
        if n > 0 {
            writeln!(out)?;
        }
        writeln!(out, "commit {}", entry.commit)?;
        writeln!(out, "Author: {} <{}>", entry.author, entry.email)?;
        writeln!(out, "Date:   {}", entry.date.format("%Y-%m-%d %H:%M:%S %z"))?;
        writeln!(out)?;
        for line in entry.message.trim_end().lines() {
            writeln!(out, "{}", format!("    {line}").trim_end())?;
        }
        if let Some(patch) = entry.patch.as_deref().filter(|p| !p.is_empty()) {
            writeln!(out)?;
            write!(out, "{patch}")?;
        }
    }
    Ok(())
}
