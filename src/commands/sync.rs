//! `crm sync [REMOTE]`: share the book through a remote. Commits the book's pending
//! changes (as `crm commit` would), fetches, merges (customer files with crm's own
//! three-way merge), and pushes; when the push is refused because the remote moved, it
//! fetches and merges again, a bounded number of times. One line per step that did
//! something, nothing when nothing happened. A merge that needs a person is left as
//! `git merge` leaves one, nothing is pushed, and the exit code is 5; running
//! `crm sync` again once the files are edited finishes it.

use std::io::Write;

use super::commit::{self, is_book_file, is_customer_file};
use crate::context::Context;
use crate::error::{Error, ErrorKind, Result, EXIT_OK};
use crate::git::{transport, BookRepo, Conflict, FileMerge, Incoming, Integrated, Upstream};

/// How many times a push refused because the remote moved is tried again (each time
/// after fetching and merging what arrived).
const PUSH_ATTEMPTS: usize = 4;

/// How many of the commits pulled are named on the `pulled` line.
const NAMED_COMMITS: usize = 3;

/// Arguments of `crm sync`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The remote to sync with (default: the branch's upstream, else `origin`).
    #[arg(value_name = "REMOTE")]
    pub(crate) remote: Option<String>,
}

/// Runs `crm sync`.
///
/// The book's write lock is held only for the local steps (finishing a merge, committing
/// what is pending, merging what was fetched), never while `git` talks to the remote, so
/// that another crm command in the book waits milliseconds, not for the network. What
/// another crm writes while git fetches is committed by the local step that follows; what
/// it writes while git pushes is left for the next sync (a pending change, or a commit
/// not pushed yet): the push sends the commit the local step made, by its id. The sync
/// lock keeps a second `crm sync` of the same clone from running meanwhile.
pub(crate) fn run(ctx: &Context, args: &Args, out: &mut crate::ui::Ui) -> Result<u8> {
    let book = ctx.book()?;
    let up = BookRepo::open(&book.root)?.upstream(args.remote.as_deref())?;
    let git = transport::Git::new(ctx.git_program.clone(), out.stdin_is_tty());
    let _sync = book.sync_lock()?;
    let workdir = {
        let _lock = book.lock()?;
        let repo = BookRepo::open(&book.root)?;
        if register_driver(&repo, ctx.search_path.as_deref())? {
            writeln!(out, "{}", registered_line())?;
        }
        if repo.merging() {
            let who = repo.identity(&book.config)?;
            let left = repo.finish_merge(&who, &is_book_file, &resolved_customer)?;
            if !left.is_empty() {
                return Err(conflicts_error(&up, &left, true));
            }
            writeln!(out, "finished the merge with {}", up.shown())?;
        }
        repo.workdir()?
    };
    for _ in 0..PUSH_ATTEMPTS {
        let fetched = transport::fetch(&git, &workdir, &up.remote, &up.remote_ref, &up.tracking);
        let Some((head, outgoing)) = local_step(&book, args, &up, fetched, out)? else {
            return Ok(EXIT_OK);
        };
        match transport::push(
            &git,
            &workdir,
            &up.remote,
            &head.to_string(),
            &up.remote_ref,
        )? {
            transport::Pushed::Done => {
                let repo = BookRepo::open(&book.root)?;
                repo.repo()
                    .reference(&up.tracking, head, true, "crm sync: pushed")?;
                repo.set_upstream_if_missing(&up)?;
                writeln!(
                    out,
                    "pushed {outgoing} commit{} to {}",
                    if outgoing == 1 { "" } else { "s" },
                    up.remote
                )?;
                return Ok(EXIT_OK);
            }
            transport::Pushed::RemoteMoved => continue,
        }
    }
    Err(Error::new(
        ErrorKind::Git,
        format!(
            "`{}` kept moving: the push was refused {PUSH_ATTEMPTS} times because others pushed in between; your commits are merged here but not pushed",
            up.shown()
        ),
    )
    .with_hint("run `crm sync` again in a moment"))
}

/// The local steps of one round, under the book's write lock: commit what is pending
/// (also when the fetch failed, so that an offline sync still commits), then merge what
/// `fetched` brought. The commit to push and how many commits it brings the remote, or
/// `None` when there is nothing to push.
fn local_step(
    book: &crate::store::Book,
    args: &Args,
    up: &Upstream,
    fetched: Result<bool>,
    out: &mut crate::ui::Ui,
) -> Result<Option<(git2::Oid, usize)>> {
    let _lock = book.lock()?;
    // Opened afresh: another crm or git may have committed while the lock was free.
    let repo = BookRepo::open(&book.root)?;
    repo.ensure_no_operation()?;
    if repo.upstream(args.remote.as_deref())? != *up {
        return Err(Error::new(
            ErrorKind::Git,
            format!(
                "the branch changed while crm sync was talking to `{}`; nothing was merged or pushed",
                up.remote
            ),
        )
        .with_hint("run `crm sync` again on the branch you want to share"));
    }
    if let Some(done) = commit::commit_pending(book, &repo, None, out)? {
        writeln!(out, "{}", done.line())?;
    }
    let theirs = if fetched? {
        repo.ref_commit(&up.tracking)?
    } else {
        None
    };
    if let Some(theirs) = theirs {
        let who = repo.identity(&book.config)?;
        let incoming = repo.commits_between(repo.head_id()?, theirs)?;
        let integrated =
            repo.integrate(up, theirs, &who, &is_customer_file, &merge_customer_file)?;
        if integrated != Integrated::UpToDate {
            writeln!(out, "{}", pulled_line(up, &incoming))?;
        }
        match integrated {
            Integrated::UpToDate | Integrated::FastForward => {}
            Integrated::Merged { customer_files } => {
                if customer_files > 0 {
                    writeln!(out, "{}", merged_line(customer_files))?;
                }
            }
            Integrated::Conflicted {
                customer_files,
                conflicts,
            } => {
                if customer_files > 0 {
                    writeln!(out, "{}", merged_line(customer_files))?;
                }
                out.flush()?;
                return Err(conflicts_error(up, &conflicts, false));
            }
        }
    }
    let Some(head) = repo.head_id()? else {
        // An empty book with an empty remote: nothing to exchange.
        return Ok(None);
    };
    let outgoing = repo.commits_between(theirs, head)?.len();
    Ok((outgoing > 0).then_some((head, outgoing)))
}

/// The three-way merge of one customer file, as `crm merge-file` does it for git.
/// The one place `crm sync` calls the customer merge.
fn merge_customer_file(base: Option<&[u8]>, ours: &[u8], theirs: &[u8], path: &str) -> FileMerge {
    let merged = crate::store::merge::merge_customer(base, ours, theirs, path);
    FileMerge {
        bytes: merged.bytes,
        conflicts: merged
            .conflicts
            .iter()
            .map(|c| (c.line, format!("{}: {}", c.subject, c.message)))
            .collect(),
    }
}

/// Whether a resolved file may be committed as the merge's: a customer file must be a
/// valid customer (the reason it is not, otherwise).
fn resolved_customer(path: &str, bytes: &[u8]) -> std::result::Result<(), String> {
    let Some(stem) = crate::git::customer_stem(path) else {
        return Ok(());
    };
    let id = crate::domain::id::CustomerId::parse(stem)
        .map_err(|_| "the file name is not a valid id; rename the file".to_string())?;
    crate::store::read::parse_customer(bytes, path, &id)
        .map(|_| ())
        .map_err(|problem| format!("does not parse yet ({problem}); fix it, then run `crm check`"))
}

/// The command git runs as the `crm` merge driver: this crm, by name when `crm` on
/// PATH is this very program, else by its full path (a build run from its folder).
pub(crate) fn driver_command(search_path: Option<&std::ffi::OsStr>) -> String {
    let args = "merge-file --marker-size %L %O %A %B %P";
    let Ok(exe) = std::env::current_exe().and_then(std::fs::canonicalize) else {
        return format!("crm {args}");
    };
    let on_path = search_path.and_then(|paths| {
        std::env::split_paths(paths)
            .map(|dir| dir.join("crm"))
            .find(|candidate| candidate.is_file())
    });
    if on_path
        .and_then(|p| std::fs::canonicalize(p).ok())
        .is_some_and(|p| p == exe)
    {
        return format!("crm {args}");
    }
    let quoted = exe.to_string_lossy().replace('\'', "'\\''");
    format!("'{quoted}' {args}")
}

/// Registers the merge driver in the clone's config when missing; whether it did.
pub(crate) fn register_driver(
    repo: &BookRepo,
    search_path: Option<&std::ffi::OsStr>,
) -> Result<bool> {
    repo.register_merge_driver(&driver_command(search_path))
}

/// The line that says the merge driver was registered.
pub(crate) fn registered_line() -> &'static str {
    "registered crm's merge driver for customer files in this clone's git config (merge.crm.driver), so `git pull` merges them as crm sync does"
}

/// `pulled 3 commits from origin (bob: log call with ada-lovelace, ...)`.
fn pulled_line(up: &Upstream, incoming: &[Incoming]) -> String {
    let named: Vec<String> = incoming
        .iter()
        .filter(|c| !c.merge)
        .map(|c| format!("{}: {}", c.author, c.summary))
        .collect();
    let mut shown = named
        .iter()
        .take(NAMED_COMMITS)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if named.len() > NAMED_COMMITS {
        shown.push_str(", ...");
    }
    let n = incoming.len();
    let mut line = format!(
        "pulled {n} commit{} from {}",
        if n == 1 { "" } else { "s" },
        up.remote
    );
    if !shown.is_empty() {
        line.push_str(&format!(" ({shown})"));
    }
    line
}

fn merged_line(files: usize) -> String {
    format!(
        "merged {files} customer file{}",
        if files == 1 { "" } else { "s" }
    )
}

/// The error of a merge that needs a person: each conflict at its file and line, and
/// the commands that finish the merge.
fn conflicts_error(up: &Upstream, conflicts: &[Conflict], again: bool) -> Error {
    let n = conflicts.len();
    let mut message = if again {
        format!(
            "the merge with {} is not finished: {n} conflict{} left; nothing was pushed",
            up.shown(),
            if n == 1 { " is" } else { "s are" }
        )
    } else {
        format!(
            "merged {}, but {n} conflict{} you; nothing was pushed",
            up.shown(),
            if n == 1 { " needs" } else { "s need" }
        )
    };
    for conflict in conflicts {
        match conflict.line {
            Some(line) => {
                message.push_str(&format!("\n  {}:{line}: {}", conflict.path, conflict.what))
            }
            None => message.push_str(&format!("\n  {}: {}", conflict.path, conflict.what)),
        }
    }
    let mut files: Vec<&str> = conflicts.iter().map(|c| c.path.as_str()).collect();
    files.dedup();
    Error::new(ErrorKind::MergeConflict, message).with_hint(format!(
        "edit {} (keep what you want, delete the <<<<<<< ======= >>>>>>> lines), run `crm check`, then `crm sync` to finish the merge and push (with git alone: `git add {}` and `git commit`; `git merge --abort` gives up the merge)",
        files.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", "),
        files.join(" ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up() -> Upstream {
        Upstream {
            remote: "origin".into(),
            local_ref: "refs/heads/main".into(),
            remote_ref: "refs/heads/main".into(),
            tracking: "refs/remotes/origin/main".into(),
        }
    }

    fn commit(author: &str, summary: &str) -> Incoming {
        Incoming {
            author: author.into(),
            summary: summary.into(),
            merge: false,
        }
    }

    #[test]
    fn the_pulled_line_names_the_first_commits_and_counts_all() {
        assert_eq!(
            pulled_line(&up(), &[commit("bob", "log call with ada-lovelace")]),
            "pulled 1 commit from origin (bob: log call with ada-lovelace)"
        );
        let many = vec![
            commit("bob", "add carol"),
            commit("bob", "log call with ada"),
            Incoming {
                merge: true,
                ..commit("bob", "Merge remote-tracking branch 'origin/main'")
            },
            commit("cy", "mark ada done"),
            commit("cy", "snooze ada"),
        ];
        assert_eq!(
            pulled_line(&up(), &many),
            "pulled 5 commits from origin (bob: add carol, bob: log call with ada, cy: mark ada done, ...)"
        );
    }

    #[test]
    fn a_conflict_names_file_line_and_the_commands_that_finish() {
        let err = conflicts_error(
            &up(),
            &[Conflict {
                path: "customers/ada.yaml".into(),
                line: Some(3),
                what: "`email` changed on both sides".into(),
            }],
            false,
        );
        assert_eq!(err.kind, ErrorKind::MergeConflict);
        assert!(err.message.ends_with(
            "needs you; nothing was pushed\n  customers/ada.yaml:3: `email` changed on both sides"
        ));
        let hint = err.hint.unwrap_or_default();
        assert!(
            hint.contains("`crm check`") && hint.contains("`crm sync`"),
            "{hint}"
        );
        assert!(hint.contains("git add customers/ada.yaml"), "{hint}");
    }
}
