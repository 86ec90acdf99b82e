//! `crm import purchases|interactions|customers FILE.csv`: bring existing data in.
//!
//! The import core ([`crate::import`]) checks every row and plans what to write (bad
//! rows are reported as `FILE:LINE: message` and nothing is imported); this command
//! says what the plan does, and has the store write each customer file once, under the
//! plan's lock, with a progress bar on a terminal. Imported interactions carry an
//! `import:` marker so that importing the same file again skips what is already in the
//! book (docs/import.md).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::context::Context;
use crate::error::{Error, ErrorKind, Result, EXIT_OK};
use crate::import::{self, CustomerPlan, InteractionPlan};
use crate::store::{BatchEntry, Book, WriteLock};
use crate::ui::Ui;

mod progress;

use progress::Progress;

/// Arguments of `crm import`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// What the file holds.
    #[command(subcommand)]
    pub(crate) what: What,
}

/// The kinds of CSV file `crm import` reads.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum What {
    /// Purchases (also `orders`). Header: customer,date,amount; optional item (or
    /// items), name, email, summary, channel. Also reads a Shopify orders export or a
    /// Stripe payments export, matching customers by email, and any CSV with --rules.
    /// Creates customers that do not exist yet.
    #[command(visible_alias = "orders")]
    Purchases(InteractionArgs),
    /// Interactions of any kind, as `crm export interactions` writes them. Header:
    /// customer,date,kind; optional amount, items, rating, summary, channel, follow_up,
    /// name, email, nps, points.
    Interactions(InteractionArgs),
    /// Customers. Header: name; optional id, email, phone, company, tags (`;`
    /// between tags), birthday, since, every, preferences (`key=value;key=value`).
    /// An empty `every` cell means no cadence; without an `every` column, crm.toml's
    /// default_every applies; a `note` cell becomes a note. Also (as `contacts`) reads
    /// a Google or Outlook contacts CSV export or a vCard file, matching customers by
    /// email. Ids that already exist are skipped; an email another customer has is
    /// refused unless --allow-duplicate.
    #[command(visible_alias = "contacts")]
    Customers(CustomerArgs),
}

/// The arguments of `crm import customers`.
#[derive(Debug, clap::Args)]
pub(crate) struct CustomerArgs {
    /// The file and `--dry-run`.
    #[command(flatten)]
    pub(crate) file: FileArgs,
    /// Import a new customer even if another one (in the book or the file) has the
    /// same email.
    #[arg(long)]
    pub(crate) allow_duplicate: bool,
}

/// The file argument shared by every kind of import.
#[derive(Debug, clap::Args)]
pub(crate) struct FileArgs {
    /// The file: CSV (UTF-8, separated by commas, semicolons or tabs, with a header
    /// row) or, for contacts, vCard.
    pub(crate) file: PathBuf,
    /// Check the file and say what would be imported, without writing anything.
    #[arg(long)]
    pub(crate) dry_run: bool,
}

/// The arguments of `crm import purchases|interactions`.
#[derive(Debug, clap::Args)]
pub(crate) struct InteractionArgs {
    /// The file and `--dry-run`.
    #[command(flatten)]
    pub(crate) file: FileArgs,
    /// Also import rows identical to an interaction the customer's file already holds
    /// that no import wrote (one logged by hand, say). Without it such rows are taken for
    /// copies of it and skipped (docs/import.md).
    #[arg(long)]
    pub(crate) allow_duplicates: bool,
    /// `purchases`: read any other CSV through a mapping rules file (which column is the
    /// customer, date, amount, item; date format; rows to skip). Without it, FILE.rules
    /// beside FILE is used if there is one (docs/import.md, "Mapping rules").
    #[arg(long, value_name = "RULES")]
    pub(crate) rules: Option<PathBuf>,
}

pub(crate) fn run(ctx: &Context, args: &Args, out: &mut Ui) -> Result<u8> {
    match &args.what {
        What::Purchases(args) => interactions(ctx, args, true, out),
        What::Interactions(args) => interactions(ctx, args, false, out),
        What::Customers(args) => customers(ctx, &args.file, args.allow_duplicate, out),
    }
}

fn interactions(
    ctx: &Context,
    args: &InteractionArgs,
    purchases: bool,
    out: &mut Ui,
) -> Result<u8> {
    if args.rules.is_some() && !purchases {
        return Err(Error::usage(
            "--rules applies to `crm import purchases` only",
        ));
    }
    let book = ctx.book()?;
    let (plan, mut lock) = import::plan_interactions(
        &book,
        &args.file.file,
        purchases,
        args.allow_duplicates,
        args.rules.as_deref(),
        out.err(),
    )?;
    let what = if purchases { "purchase" } else { "interaction" };
    let summary = interactions_summary(&plan, what, args.file.dry_run);
    if args.file.dry_run {
        writeln!(out, "{summary}")?;
        // So that a wrong match (a typo in an id, an email nobody has) is seen first.
        for (id, batch) in &plan.batches {
            if let Some(name) = batch.new_name() {
                writeln!(out, "would create customer {id} ({name})")?;
            }
        }
        copies_hint(&plan, out);
        return Ok(EXIT_OK);
    }
    write(&book, &mut lock, &plan.entries(), out)?;
    let written = plan.written();
    let message = format!(
        "import {written} {what}{} from {}",
        plural(written),
        file_name(&args.file.file)
    );
    writeln!(out, "{summary}")?;
    super::finish_write(ctx, &book, lock, &message, out)?;
    copies_hint(&plan, out);
    Ok(EXIT_OK)
}

/// The line that says what an import of interactions does (or would do).
fn interactions_summary(plan: &InteractionPlan, what: &str, dry_run: bool) -> String {
    let InteractionPlan {
        shown,
        rows,
        batches,
        copies,
    } = plan;
    let (rows, copies) = (*rows, *copies);
    let written = plan.written();
    let imported_earlier = rows - written - copies;
    let created = batches.iter().filter(|(_, b)| b.creates()).count();
    let mut summary = format!(
        "{}{written} {what}{} for {} customer{} ({created} new) from {shown}",
        if dry_run {
            "would import "
        } else {
            "imported "
        },
        plural(written),
        batches.len(),
        plural(batches.len()),
    );
    let earlier = format!(
        "{imported_earlier} row{} already imported earlier",
        plural(imported_earlier)
    );
    let identical = format!(
        "{copies} row{} identical to interactions that no import wrote",
        plural(copies)
    );
    if written == 0 && rows > 0 {
        let why = match (imported_earlier, copies) {
            (_, 0) => "imported earlier".to_string(),
            (0, _) => "identical to interactions that no import wrote".to_string(),
            _ => format!("{earlier}, {identical}"),
        };
        summary = format!(
            "nothing to import: all {rows} rows of {shown} are already in the book ({why})"
        );
    } else {
        if imported_earlier > 0 {
            summary.push_str(&format!("; skipped {earlier}"));
        }
        if copies > 0 {
            summary.push_str(&format!("; skipped {identical}"));
        }
    }
    summary
}

/// Says on stderr how to import rows skipped as copies of interactions no import wrote.
fn copies_hint(plan: &InteractionPlan, out: &mut Ui) {
    let copies = plan.copies;
    if copies > 0 {
        let _ = writeln!(
            out.err(),
            "hint: {copies} row{} of {} match{} interactions that no import wrote \
             (logged by hand, say) and {} skipped as copies of them; if {} new, run the \
             import again with --allow-duplicates",
            plural(copies),
            plan.shown,
            if copies == 1 { "es" } else { "" },
            if copies == 1 { "was" } else { "were" },
            if copies == 1 { "it is" } else { "they are" },
        );
    }
}

fn customers(ctx: &Context, args: &FileArgs, allow_duplicate: bool, out: &mut Ui) -> Result<u8> {
    let book = ctx.book()?;
    let (plan, mut lock) =
        import::plan_customers(&book, &args.file, ctx.today, allow_duplicate, out.err())?;
    let CustomerPlan {
        shown,
        fresh,
        existing,
        ..
    } = &plan;
    let mut summary = format!(
        "{} {} customer{} from {shown}",
        if args.dry_run {
            "would import"
        } else {
            "imported"
        },
        fresh.len(),
        plural(fresh.len())
    );
    if !existing.is_empty() {
        let ids: Vec<String> = existing
            .iter()
            .take(5)
            .map(|(_, id, _)| id.to_string())
            .collect();
        summary.push_str(&format!(
            "; skipped {} that already exist{} ({}{})",
            existing.len(),
            if existing.len() == 1 { "s" } else { "" },
            ids.join(", "),
            if existing.len() > 5 { ", ..." } else { "" }
        ));
    }
    let hint = not_copied_hint(import::not_copied(&book, existing), shown);
    if args.dry_run {
        writeln!(out, "{summary}")?;
        if let Some(hint) = hint {
            let _ = writeln!(out.err(), "{hint}");
        }
        return Ok(EXIT_OK);
    }
    write(&book, &mut lock, &plan.entries(), out)?;
    let message = format!(
        "import {} customer{} from {}",
        fresh.len(),
        plural(fresh.len()),
        file_name(&args.file)
    );
    writeln!(out, "{summary}")?;
    super::finish_write(ctx, &book, lock, &message, out)?;
    if let Some(hint) = hint {
        let _ = writeln!(out.err(), "{hint}");
    }
    Ok(EXIT_OK)
}

/// Existing customers are skipped whole: a hint naming those the file has details for
/// that their files lack (`lacking`, from [`import::not_copied`]).
fn not_copied_hint(mut lacking: Vec<String>, shown: &str) -> Option<String> {
    if lacking.is_empty() {
        return None;
    }
    let count = lacking.len();
    let more = if count > 5 { "; ..." } else { "" };
    lacking.truncate(5);
    Some(format!(
        "hint: {count} skipped customer{} {} details in {shown} that were not copied \
         ({}{more}); import never changes customers that exist: edit them with `crm edit ID`, \
         and when copying a book import customers before interactions (docs/import.md)",
        plural(count),
        if count == 1 { "has" } else { "have" },
        lacking.join("; "),
    ))
}

/// Writes every customer file of the import once, with a progress bar on a terminal.
fn write(book: &Book, lock: &mut WriteLock, entries: &[BatchEntry], out: &mut Ui) -> Result<()> {
    let mut progress = Progress::new(entries.len(), out.stderr_is_tty());
    let result = book.write_batch(lock, entries, &mut |done| progress.tick(done));
    progress.finish();
    result.map_err(|err| partial(err, lock.written().len(), entries.len()))
}

/// A write failed part-way: say exactly how far the import got.
fn partial(mut err: Error, done: usize, total: usize) -> Error {
    if done > 0 {
        // Not exit 2, which says nothing was changed: these files were.
        err.kind = ErrorKind::PartlyWritten;
        err.message = format!(
            "{}; {done} of {total} customer files were written",
            err.message.replace("; nothing was written", "")
        );
        err.hint = Some(
            "fix the problem and run the same import again: rows already written are skipped"
                .to_string(),
        );
    }
    if err.kind == ErrorKind::AlreadyExists && done == 0 {
        err.hint =
            Some("another process added this customer meanwhile; run the import again".to_string());
    }
    err
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
