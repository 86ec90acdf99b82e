//! One module per subcommand: its arguments and a `run` that reads like a contents
//! page (resolve → compute in the domain → render).

pub(crate) mod add;
pub(crate) mod archive;
pub(crate) mod check;
pub(crate) mod clone;
pub(crate) mod commit;
pub(crate) mod complete;
pub(crate) mod completions;
#[cfg(test)]
mod contact_fields;
pub(crate) mod done;
pub(crate) mod draft;
pub(crate) mod due;
pub(crate) mod edit;
pub(crate) mod export;
pub(crate) mod find;
pub(crate) mod flags;
pub(crate) mod history;
pub(crate) mod import;
pub(crate) mod init;
pub(crate) mod list;
pub(crate) mod log;
pub(crate) mod man;
pub(crate) mod merge;
pub(crate) mod merge_file;
pub(crate) mod predict;
pub(crate) mod programme;
pub(crate) mod rename;
pub(crate) mod report;
pub(crate) mod rm;
pub(crate) mod segments;
pub(crate) mod set;
pub(crate) mod show;
pub(crate) mod stale;
pub(crate) mod stats;
pub(crate) mod status;
pub(crate) mod sync;
pub(crate) mod tag;
pub(crate) mod undo;

use std::io::Write;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::git::BookRepo;
use crate::store::{Book, WriteLock};
use crate::ui::Ui;

/// The subcommands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Create a new book: crm.toml, customers/, and a git repository.
    Init(init::Args),
    /// Add a customer; prints the new id.
    Add(add::Args),
    /// Show one customer as a card.
    Show(show::Args),
    /// List customers.
    List(list::Args),
    /// Find customers by name, email, phone, company, tag, preference or interaction summary.
    Find(find::Args),
    /// Validate every customer file and crm.toml.
    Check(check::Args),
    /// Edit a customer's file in $VISUAL/$EDITOR; saved only if it is still valid.
    Edit(edit::Args),
    /// Change one field of a customer (email, phone, company, birthday, since, every,
    /// pref.KEY, ...), rewriting only that value in the file.
    Set(set::SetArgs),
    /// Take one field out of a customer's file.
    Unset(set::UnsetArgs),
    /// Add (+TAG) and take away (-TAG) a customer's tags.
    Tag(tag::Args),
    /// Give a customer a new id (the file is renamed; history follows it).
    Rename(rename::Args),
    /// Delete a customer (asks first; `crm undo` brings it back).
    Rm(rm::Args),
    /// Archive a customer: left out of list, due and stale, still counted in stats.
    Archive(archive::ArchiveArgs),
    /// Take a customer out of the archive.
    Unarchive(archive::UnarchiveArgs),
    /// Merge a duplicate customer into another (interactions united, the duplicate removed).
    Merge(merge::Args),
    /// Record an interaction with a customer.
    Log(log::Args),
    /// Mark a customer's pending follow-up as done.
    Done(done::DoneArgs),
    /// Move a customer's pending follow-up to a later day (or set a reminder when none is pending).
    Snooze(done::SnoozeArgs),
    /// List overdue and upcoming follow-ups, birthdays and anniversaries.
    Due(due::Args),
    /// List customers not contacted for a while.
    Stale(stale::Args),
    /// Print the shell's completion set-up, which completes ids, tags and kinds too
    /// (e.g. `source <(crm completions bash)` in ~/.bashrc).
    Completions(completions::Args),
    /// Commit the book's changes (by crm or by hand), with a message from what changed.
    Commit(commit::Args),
    /// The commits that changed one customer, newest first.
    History(history::Args),
    /// Revert the last commit crm made, with a new commit.
    Undo(undo::Args),
    /// What is uncommitted in the book, per customer, and which files do not parse.
    Status(status::Args),
    /// Repeat purchases, retention, churn, revenue and satisfaction per period.
    Stats(stats::Args),
    /// Render a message to a customer from templates/TEMPLATE.txt (for `| sendmail -t`).
    Draft(draft::Args),
    /// RFM segments of the purchasing customers (champions, loyal, at risk, ...).
    Segments(segments::Args),
    /// Share the book: commit pending changes, fetch, merge, push.
    Sync(sync::Args),
    /// Clone a shared book for a teammate, register crm's merge driver, check it.
    Clone(clone::Args),
    /// Bring purchases, interactions or customers in from a CSV file, or contacts and
    /// orders from other programs' exports (Google, Outlook, vCard, Shopify, Stripe).
    Import(import::Args),
    /// Write customers or interactions out as CSV or JSON, or the book as vCard or iCalendar.
    Export(export::Args),
    /// Who has probably stopped buying, expected purchases and value (BG/NBD + Gamma-Gamma).
    Predict(predict::Args),
    /// One self-contained HTML page of the book's figures (`crm report > report.html`).
    Report(report::Args),
    /// Merge three versions of a customer file by crm's rules (git's merge driver:
    /// `crm merge-file %O %A %B %P`); writes the result over OURS, exit 1 on conflicts.
    MergeFile(merge_file::Args),
    /// Print the man page (roff) of crm or of a subcommand (`crm man log`).
    Man(man::Args),
}

/// The trailer that marks a commit as made by crm (`crm undo` only reverts these).
pub(crate) use crate::git::CRM_TRAILER;

/// Runs `command`, writing data to `out`; returns the exit code.
pub(crate) fn run(ctx: &Context, command: Command, out: &mut Ui) -> Result<u8> {
    if changes_files(&command) {
        ensure_can_commit(ctx)?;
    } else if ctx.commit
        && !matches!(
            command,
            Command::Init(_) | Command::Sync(_) | Command::Clone(_)
        )
    {
        // A global flag clap accepts everywhere; silence would suggest it did something.
        out.warn("--commit has no effect here: this command changes no files");
    }
    match command {
        Command::Init(args) => init::run(ctx, &args, out),
        Command::Add(args) => add::run(ctx, &args, out),
        Command::Show(args) => show::run(ctx, &args, out),
        Command::List(args) => list::run(ctx, &args, out),
        Command::Check(args) => check::run(ctx, &args, out),
        Command::Edit(args) => edit::run(ctx, &args, out),
        Command::Log(args) => log::run(ctx, &args, out),
        Command::Done(args) => done::run_done(ctx, &args, out),
        Command::Snooze(args) => done::run_snooze(ctx, &args, out),
        Command::Due(args) => due::run(ctx, &args, out),
        Command::Stale(args) => stale::run(ctx, &args, out),
        Command::Completions(args) => completions::run(ctx, &args, out),
        Command::Commit(args) => commit::run(ctx, &args, out),
        Command::History(args) => history::run(ctx, &args, out),
        Command::Undo(args) => undo::run(ctx, &args, out),
        Command::Status(args) => status::run(ctx, &args, out),
        Command::Stats(args) => stats::run(ctx, &args, out),
        Command::Segments(args) => segments::run(ctx, &args, out),
        Command::Draft(args) => draft::run(ctx, &args, out),
        Command::Import(args) => import::run(ctx, &args, out),
        Command::Export(args) => export::run(ctx, &args, out),
        Command::Predict(args) => predict::run(ctx, &args, out),
        Command::Report(args) => report::run(ctx, &args, out),
        Command::Sync(args) => sync::run(ctx, &args, out),
        Command::Clone(args) => clone::run(ctx, &args, out),
        Command::Find(args) => find::run(ctx, &args, out),
        Command::Merge(args) => merge::run(ctx, &args, out),
        Command::Rename(args) => rename::run(ctx, &args, out),
        Command::Rm(args) => rm::run(ctx, &args, out),
        Command::Archive(args) => archive::run_archive(ctx, &args, out),
        Command::Unarchive(args) => archive::run_unarchive(ctx, &args, out),
        Command::Set(args) => set::run_set(ctx, &args, out),
        Command::Unset(args) => set::run_unset(ctx, &args, out),
        Command::Tag(args) => tag::run(ctx, &args, out),
        Command::MergeFile(args) => merge_file::run(ctx, &args, out),
        Command::Man(args) => man::run(ctx, &args, out),
    }
}

/// Reports customer files that were skipped, and returns the exit code to use
/// ([`crate::error::EXIT_PARTIAL`] if any were).
pub(crate) fn report_skipped(out: &mut Ui, problems: &[crate::store::Problem]) -> u8 {
    if problems.is_empty() {
        return crate::error::EXIT_OK;
    }
    let stderr = out.err();
    for problem in problems {
        let _ = writeln!(stderr, "{problem}");
    }
    let _ = writeln!(
        stderr,
        "crm: warning: skipped {} unreadable customer file{}; `crm check` lists every problem",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    crate::error::EXIT_PARTIAL
}

/// Whether `command` writes files of the book (and so commits them with `--commit` or
/// `[git] auto_commit`). `crm init` is not counted: it makes its own first commit.
/// No catch-all arm: a new command must say whether it writes.
fn changes_files(command: &Command) -> bool {
    use import::What;
    match command {
        Command::Add(_)
        | Command::Edit(_)
        | Command::Log(_)
        | Command::Done(_)
        | Command::Snooze(_)
        | Command::Set(_)
        | Command::Unset(_)
        | Command::Tag(_)
        | Command::Rename(_)
        | Command::Rm(_)
        | Command::Archive(_)
        | Command::Unarchive(_) => true,
        Command::Draft(args) => args.log,
        Command::Merge(args) => !args.dry_run,
        Command::Import(args) => match &args.what {
            What::Purchases(rows) | What::Interactions(rows) => !rows.file.dry_run,
            What::Customers(args) => !args.file.dry_run,
        },
        // `commit` and `undo` commit by themselves; `init` makes the first commit.
        // `sync` commits by itself, and `clone` makes a new book.
        Command::Init(_)
        | Command::Commit(_)
        | Command::Undo(_)
        | Command::Sync(_)
        | Command::Clone(_) => false,
        Command::Show(_)
        | Command::List(_)
        | Command::Check(_)
        | Command::Due(_)
        | Command::Stale(_)
        | Command::Completions(_)
        | Command::History(_)
        | Command::Status(_)
        | Command::Stats(_)
        | Command::Segments(_)
        | Command::Export(_)
        | Command::Predict(_)
        | Command::Report(_)
        | Command::Find(_)
        // Writes git's temporary file, not a book file.
        | Command::MergeFile(_)
        | Command::Man(_) => false,
    }
}

/// Whether this run commits what it writes: `--commit`, or `[git] auto_commit`.
fn commits(ctx: &Context, book: &Book) -> bool {
    ctx.commit || book.config.git.auto_commit
}

/// Before a command that writes files runs with `--commit` or `[git] auto_commit`:
/// checks that the commit can be made — the book is in a git repository, git is not
/// in the middle of a merge or rebase, and there is an identity to commit as — so that
/// a command that cannot commit fails having written nothing. What it finds is kept
/// in `ctx` for the commit. A book that cannot be opened is left to the command to
/// report.
fn ensure_can_commit(ctx: &Context) -> Result<()> {
    let Ok(book) = ctx.book() else {
        return Ok(());
    };
    if !commits(ctx, &book) {
        return Ok(());
    }
    let (asked_by, otherwise) = if ctx.commit {
        ("--commit", "leave out --commit")
    } else {
        (
            "`auto_commit = true` in crm.toml",
            "set `auto_commit = false` under [git] in crm.toml",
        )
    };
    let refuse = |err: Error| {
        let hint = match &err.hint {
            Some(hint) => format!("{hint}; or {otherwise} to change the files without committing"),
            None => format!("{otherwise} to change the files without committing"),
        };
        Error::new(
            err.kind,
            format!(
                "cannot commit as {asked_by} asks: {}; nothing was changed",
                err.message
            ),
        )
        .with_hint(hint)
    };
    let (repo, _) = ctx.git(&book).map_err(refuse)?;
    repo.ensure_no_operation().map_err(refuse)?;
    Ok(())
}

/// Ends a command that wrote files, once it has written its summary line to `out`
/// (so the line is out even when the commit then fails): with `--commit` or
/// `[git] auto_commit`, commits what was written under `lock` by the book's commit
/// policy ([`crate::git::finish_write`]), noting each commit on stderr.
pub(crate) fn finish_write(
    ctx: &Context,
    book: &Book,
    lock: WriteLock,
    message: &str,
    out: &mut Ui,
) -> Result<()> {
    let commit = commits(ctx, book);
    finish_write_committing(ctx, book, lock, message, out, commit)
}

/// [`finish_write`], committing when `commit` says so rather than when `--commit` or
/// `auto_commit` do: for `crm rm`, which always commits in a repository, so that
/// `crm undo` can bring the customer back.
pub(crate) fn finish_write_committing(
    ctx: &Context,
    book: &Book,
    lock: WriteLock,
    message: &str,
    out: &mut Ui,
    commit: bool,
) -> Result<()> {
    // Out before the commit is tried; but a reader that went away (`crm add X --commit
    // | true`) must not keep the written file from being committed.
    let flushed = out.flush();
    if !commit || lock.written().is_empty() {
        return Ok(flushed?);
    }
    crate::git::finish_write(book, lock, message, || ctx.git(book), out.err())?;
    Ok(flushed?)
}

/// Warns on stderr, once per run, when git asks for signed commits
/// ([`crate::git::warn_unsigned`]).
pub(crate) fn warn_unsigned(repo: &BookRepo, out: &mut Ui) {
    crate::git::warn_unsigned(repo, out.err());
}

/// The exit code of a listing command (`due`, `stale`): 3 when files were skipped
/// (they are reported here), else 1 when `--exit-code` was given and something was
/// listed, else 0.
pub(crate) fn listing_exit_code(
    out: &mut Ui,
    problems: &[crate::store::Problem],
    exit_code: bool,
    found: bool,
) -> u8 {
    let skipped = report_skipped(out, problems);
    if skipped != crate::error::EXIT_OK {
        skipped
    } else if exit_code && found {
        crate::error::EXIT_FOUND
    } else {
        crate::error::EXIT_OK
    }
}

/// The customers carrying every tag in `tags` (case-insensitive), in scan order,
/// without archived customers unless `archived` (`--archived`): what `list`, `due` and
/// `stale` work on. (`stats` counts archived customers: see docs/metrics.md.)
pub(crate) fn selected<'a>(
    out: &mut Ui,
    customers: &'a [crate::domain::summary::Summary],
    tags: &[String],
    archived: bool,
) -> Vec<&'a crate::domain::summary::Summary> {
    warn_unknown_tags(out, customers, tags);
    customers
        .iter()
        .filter(|c| archived || c.archived.is_none())
        .filter(|c| tags.iter().all(|t| c.has_tag(t)))
        .collect()
}

/// The customers carrying every tag in `tags` (case-insensitive), in scan order.
pub(crate) fn with_tags<'a>(
    out: &mut Ui,
    customers: &'a [crate::domain::summary::Summary],
    tags: &[String],
) -> Vec<&'a crate::domain::summary::Summary> {
    warn_unknown_tags(out, customers, tags);
    customers
        .iter()
        .filter(|c| tags.iter().all(|t| c.has_tag(t)))
        .collect()
}

/// Warns on stderr about interaction kinds the book does not know (`cal` for `call`):
/// `crm check` reports each entry; commands that read the book say it once per kind,
/// so a typo is not silently counted as something else. `uses` gives each customer's
/// id and the kinds their log uses (crm's own kinds may be left out: every book knows
/// them).
pub(crate) fn warn_unknown_kinds<'a>(
    book: &Book,
    ui: &mut Ui,
    uses: impl Iterator<Item = (&'a str, &'a [String])>,
) {
    let mut unknown: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for (id, kinds) in uses {
        for kind in kinds {
            if !book.config.knows_kind(kind) {
                unknown.entry(kind.as_str()).or_default().push(id);
            }
        }
    }
    let all = book.config.all_kinds();
    for (kind, ids) in unknown {
        let guess = crate::store::read::closest(kind, &all)
            .map(|best| format!(" (did you mean `{best}`?)"))
            .unwrap_or_default();
        let whose = match ids.as_slice() {
            [one] => format!("`{one}`'s log"),
            many => format!("the logs of {} customers (`{}`, ...)", many.len(), many[0]),
        };
        ui.warn(&crate::render::one_line(&format!(
            "{whose} uses the kind `{kind}`, which this book does not know{guess}; those entries count as a kind of their own: fix them, or add the kind to [interactions] kinds in crm.toml (`crm check` lists every entry)"
        )));
    }
}

/// Warns about each `--tag` no customer has, which is more often a typo than a
/// question: `no customer has tag `vpi`; did you mean `vip`?`.
fn warn_unknown_tags(out: &mut Ui, customers: &[crate::domain::summary::Summary], tags: &[String]) {
    if tags.is_empty() {
        return;
    }
    let mut known: Vec<String> = customers
        .iter()
        .flat_map(|c| c.tags.iter().map(|t| t.to_lowercase()))
        .collect();
    known.sort();
    known.dedup();
    for tag in tags {
        let wanted = tag.to_lowercase();
        if known.binary_search(&wanted).is_ok() {
            continue;
        }
        let guess = crate::domain::text::closest(&wanted, &known)
            .map(|g| format!("; did you mean `{g}`?"))
            .unwrap_or_default();
        out.warn(&format!("no customer has tag `{tag}`{guess}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 11: stderr belongs to the `Ui`, so a test can run a command and read its
    /// warnings and diagnostics apart from its data.
    #[test]
    fn warnings_and_skipped_files_go_to_the_ui_and_can_be_captured() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("crm.toml"), "").unwrap();
        std::fs::create_dir(dir.path().join("customers")).unwrap();
        std::fs::write(dir.path().join("customers/ada.yaml"), "name: Ada\n").unwrap();
        std::fs::write(dir.path().join("customers/bad.yaml"), "name: [\n").unwrap();
        let args = [
            "crm".into(),
            "-C".into(),
            dir.path().as_os_str().to_owned(),
            "--commit".into(),
            "list".into(),
            "--format".into(),
            "csv".into(),
        ];
        let cli = crate::cli::Cli::parse_args(args).unwrap();
        let mut ui = Ui::capture();
        let ctx = Context::from_globals(&cli.globals, &ui).unwrap();
        let code = run(&ctx, cli.command, &mut ui).unwrap();
        let (out, err) = ui.captured();
        assert_eq!(code, crate::error::EXIT_PARTIAL);
        assert!(out.starts_with("id,name,"), "{out}");
        assert!(out.contains("\nada,Ada,"), "{out}");
        assert!(
            err.starts_with(
                "crm: warning: --commit has no effect here: this command changes no files\n"
            ),
            "{err}"
        );
        assert!(err.contains("customers/bad.yaml:"), "{err}");
        assert!(
            err.ends_with("crm: warning: skipped 1 unreadable customer file; `crm check` lists every problem\n"),
            "{err}"
        );
    }
}
