//! One module per subcommand: its arguments and a `run` that reads like a contents
//! page (resolve → compute in the domain → render).

pub mod add;
pub mod check;
pub mod commit;
pub mod completions;
pub mod done;
pub mod due;
pub mod edit;
pub mod export;
pub mod history;
pub mod import;
pub mod init;
pub mod list;
pub mod log;
pub mod show;
pub mod stale;
pub mod stats;
pub mod status;
pub mod undo;

use std::io::Write;

use crate::cli::Command;
use crate::context::Context;
use crate::error::{Error, ErrorKind, Result};
use crate::store::{Book, WriteLock};

/// The trailer that marks a commit as made by crm (`crm undo` only reverts these).
pub const CRM_TRAILER: &str = "Committed-by: crm";

/// Runs `command`, writing data to `out`; returns the exit code.
pub fn run(ctx: &Context, command: Command, out: &mut dyn Write) -> Result<u8> {
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
        Command::Import(args) => import::run(ctx, &args, out),
        Command::Export(args) => export::run(ctx, &args, out),
    }
}

/// Reports customer files that were skipped, and returns the exit code to use
/// ([`crate::error::EXIT_PARTIAL`] if any were).
pub fn report_skipped(problems: &[crate::store::Problem]) -> u8 {
    if problems.is_empty() {
        return crate::error::EXIT_OK;
    }
    let stderr = std::io::stderr();
    let mut stderr = stderr.lock();
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

/// Ends a command that wrote files: with `--commit` or `[git] auto_commit`, commits
/// exactly the files written under `lock` (never a person's other edits), with
/// `message` as the summary line. The lock is held until the commit is made.
pub fn finish_write(ctx: &Context, book: &Book, lock: WriteLock, message: &str) -> Result<()> {
    if !(ctx.commit || book.config.git.auto_commit) || lock.written().is_empty() {
        return Ok(());
    }
    let repo = crate::git::discover(&book.root).ok_or_else(|| {
        Error::new(
            ErrorKind::Git,
            format!(
                "cannot commit: `{}` is not inside a git repository",
                book.root.display()
            ),
        )
        .with_hint(
            "run `git init` in the book (or `crm init` for a new book), or leave out --commit",
        )
    })?;
    let full = format!("{message}\n\n{CRM_TRAILER}\n");
    // A person's uncommitted edits to the same files go into a commit of their own
    // first, so crm's commit holds exactly its change and `crm undo` cannot take
    // the person's edits away.
    let committed = crate::git::signature(&repo, &book.config).and_then(|sig| {
        crate::git::commit_hand_edits(&repo, lock.replaced(), &sig)?;
        crate::git::commit_files(&repo, lock.written(), &full, &sig)
    });
    let shown: Vec<String> = lock.written().iter().map(|p| book.shown(p)).collect();
    drop(lock);
    // The files are written by now: say so, so nobody runs the command twice.
    committed.map(|_| ()).map_err(|err| {
        let hint = err
            .hint
            .clone()
            .map_or(String::new(), |h| format!("{h}; then "));
        Error::new(
            err.kind,
            format!(
                "wrote `{}` but did not commit it: {}",
                shown.join("`, `"),
                err.message
            ),
        )
        .with_hint(format!("{hint}run `crm commit` to commit it"))
    })
}

/// The exit code of a listing command (`due`, `stale`): 3 when files were skipped
/// (they are reported here), else 1 when `--exit-code` was given and something was
/// listed, else 0.
pub fn listing_exit_code(problems: &[crate::store::Problem], exit_code: bool, found: bool) -> u8 {
    let skipped = report_skipped(problems);
    if skipped != crate::error::EXIT_OK {
        skipped
    } else if exit_code && found {
        crate::error::EXIT_FOUND
    } else {
        crate::error::EXIT_OK
    }
}

/// The customers carrying every tag in `tags` (case-insensitive), in scan order.
pub fn with_tags<'a>(
    customers: &'a [crate::domain::summary::Summary],
    tags: &[String],
) -> Vec<&'a crate::domain::summary::Summary> {
    customers
        .iter()
        .filter(|c| tags.iter().all(|t| c.has_tag(t)))
        .collect()
}
