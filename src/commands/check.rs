//! `crm check`: validate crm.toml and every customer file; each problem is printed as
//! `path:line:col: message` on stderr, and the exit code is 1 if there is any.

use crate::context::Context;
use crate::domain::summary::Summary;
use crate::error::{Result, EXIT_FOUND, EXIT_OK};
use crate::store::cache::Policy;
use crate::store::{read, scan, Book, Problem};
use crate::ui::Ui;

/// Arguments of `crm check`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

pub(crate) fn run(ctx: &Context, _args: &Args, out: &mut Ui) -> Result<u8> {
    let (mut book, config_problems) = crate::store::Book::discover_lenient(&ctx.start_dir)?;
    book.lock_wait = ctx.lock_wait.clone();
    let all_kinds = book.config.all_kinds();
    let known = |kind: &str| book.config.knows_kind(kind);
    // One read of the summaries serves both warnings (the touches are decoded only in a
    // book with a loyalty programme, which is all the second needs); a file it reads
    // afresh is checked in the same parse, so that the check does not read it again.
    let checked = scan::Checked::default();
    let summaries = match book.customers_problem() {
        None => {
            let check = |raw: &[u8], shown: &str, id: &_| {
                read::check_and_read(raw, shown, id, &known, &all_kinds)
            };
            let parts = scan::core_parts(&book);
            scan::summaries_checking(&book, &Policy::default(), parts, check, &checked)?.items
        }
        Some(_) => Vec::new(),
    };
    let mut problems = check_book(&book, &checked)?;
    problems.1.splice(0..0, config_problems);
    let stderr = out.err();
    for problem in &problems.1 {
        writeln!(stderr, "{problem}")?;
    }
    for warning in duplicate_warnings(&summaries) {
        writeln!(stderr, "crm: warning: {warning}")?;
    }
    for warning in loyalty_warnings(&book, &summaries) {
        writeln!(stderr, "crm: warning: {warning}")?;
    }
    let files = problems.0;
    if problems.1.is_empty() {
        writeln!(
            stderr,
            "crm: checked {files} customer file{}: no problems",
            if files == 1 { "" } else { "s" }
        )?;
        Ok(EXIT_OK)
    } else {
        let n = problems.1.len();
        writeln!(
            stderr,
            "crm: checked {files} customer file{}: {n} problem{}",
            if files == 1 { "" } else { "s" },
            if n == 1 { "" } else { "s" }
        )?;
        Ok(EXIT_FOUND)
    }
}

/// Customers sharing an email or phone: not a problem of any file (two people can share
/// an office number), but often one person entered twice. Each with every path.
fn duplicate_warnings(summaries: &[Summary]) -> Vec<String> {
    let path = |id: &str| {
        format!(
            "{}/{id}.{}",
            crate::store::CUSTOMERS_DIR,
            crate::store::EXTENSION
        )
    };
    crate::domain::duplicates::shared(summaries)
        .into_iter()
        .map(|shared| {
            let paths: Vec<String> = shared.ids.iter().map(|id| path(id)).collect();
            format!(
                "{} share the {} {:?}: the same person? `crm merge {} {}` makes one customer of them",
                paths.join(" and "),
                shared.field,
                shared.value,
                shared.ids[0],
                shared.ids[1]
            )
        })
        .collect()
}

/// Redemptions written by hand that spent more loyalty points than the customer had
/// (`crm log` refuses them), leaving a negative balance; nothing without `[loyalty]`.
fn loyalty_warnings(book: &Book, summaries: &[Summary]) -> Vec<String> {
    let Some(programme) = book.config.programme() else {
        return Vec::new();
    };
    let mut warnings = Vec::new();
    for customer in summaries {
        for (day, points, balance) in programme.overdrawn(&customer.events, &customer.touches) {
            warnings.push(format!(
                "{}/{}.{}: the redemption of {points} point{} on {day} spends more than {} had: \
                 the balance is {balance} after it; correct the `redeem` entry (`crm edit {}`) \
                 or log the purchase or bonus that earned the points",
                crate::store::CUSTOMERS_DIR,
                customer.id,
                crate::store::EXTENSION,
                if points == 1 { "" } else { "s" },
                customer.id,
                customer.id,
            ));
        }
    }
    warnings
}

/// Checks every file of the book; returns the number of customer files and the problems.
/// A `customers/` folder that crm must not read through (a symlink out of the book) is
/// itself the problem, and nothing in it is read. Files unchanged since `checked` was
/// filled are not read again.
pub(crate) fn check_book(book: &Book, checked: &scan::Checked) -> Result<(usize, Vec<Problem>)> {
    if let Some(problem) = book.customers_problem() {
        return Ok((0, vec![problem]));
    }
    let all_kinds = book.config.all_kinds();
    let known = |kind: &str| book.config.knows_kind(kind);
    // Files unchanged since a check under the same crm.toml come from `check.cache`.
    let check =
        |raw: &[u8], shown: &str, id: &_| read::check_file(raw, shown, id, &known, &all_kinds);
    let (scan, _) = scan::check_with_checked(book, &Policy::default(), check, checked)?;
    let files = scan.items.len() + scan.problems.len();
    let mut problems: Vec<Problem> = scan.problems;
    problems.extend(scan.items.into_iter().flatten());
    problems.extend(stray_files(book));
    problems.sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
    Ok((files, problems))
}

/// What `crm check` says about `shown`, a file in `customers/archive/`: how crm archives
/// instead, and the exact commands that move it back and archive it.
fn archive_folder_fix(book: &Book, shown: &str, id: &str) -> String {
    let why = "is ignored: crm does not read customers/archive/; an archived customer keeps \
               its file in customers/ with `archived: DATE` in it (so it keeps its history \
               and still counts in stats)";
    let Ok(parsed) = crate::domain::id::CustomerId::parse(id) else {
        return format!(
            "{why}; from the book's folder, move it back under a valid id (lowercase words \
             joined by hyphens) and archive it: `mv {shown} customers/NEW-ID.yaml && crm archive NEW-ID`"
        );
    };
    let target = book.customer_path(&parsed);
    let shown_target = book.shown(&target);
    if target.exists() {
        return format!(
            "{why}; {shown_target} exists already, so from the book's folder move it back under \
             another id, merge the two and archive the result: `mv {shown} customers/{id}-archived.yaml \
             && crm merge {id} {id}-archived && crm archive {id}`"
        );
    }
    format!(
        "{why}; from the book's folder, move it back and archive it: \
         `mv {shown} {shown_target} && crm archive {id}`"
    )
}

/// Files in customers/ that crm would silently ignore although a person probably meant
/// them as customers (`.yml`, `.YAML`, files in sub-folders).
fn stray_files(book: &Book) -> Vec<Problem> {
    let mut problems = Vec::new();
    let walk = walkdir::WalkDir::new(book.customers_dir())
        .min_depth(1)
        .max_depth(8)
        .sort_by_file_name()
        .into_iter()
        // Hidden files and folders (`.gitkeep`, editors' swap files) are not customers.
        .filter_entry(|e| !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walk.flatten() {
        let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
        let looks_like_customer = name.ends_with(".yml") || name.ends_with(".yaml");
        if !looks_like_customer || entry.file_type().is_dir() {
            continue;
        }
        let shown = book.shown(entry.path());
        let in_archive = entry.depth() == 2
            && entry
                .path()
                .parent()
                .and_then(|p| p.file_name())
                .is_some_and(|n| n == "archive");
        if in_archive {
            let id = name.trim_end_matches(".yaml").trim_end_matches(".yml");
            problems.push(Problem::at(
                &shown,
                1,
                1,
                archive_folder_fix(book, &shown, id),
            ));
        } else if entry.depth() > 1 {
            problems.push(Problem::at(
                &shown,
                1,
                1,
                "is ignored: it is in a sub-folder, and crm reads only files directly in customers/; move it up",
            ));
        } else if !entry.file_name().to_string_lossy().ends_with(".yaml") {
            problems.push(Problem::at(
                &shown,
                1,
                1,
                "is ignored: customer files end in `.yaml` (lower case); rename it",
            ));
        }
    }
    problems
}
