//! The book's commit policy: what crm commits after a command wrote files, and how.
//! Exactly the files the command wrote, never a person's other edits; the changes they
//! already had uncommitted first, in a commit of their own (so `crm undo` takes back
//! only crm's change); crm's own commit marked with [`CRM_TRAILER`]; and a write whose
//! commit failed is reported as written-but-not-committed, so nobody runs it twice.
//! What a change means (for messages) is read from the files' bytes, with the reader
//! every command uses.

use std::io::Write;

use super::{BookRepo, EarlierChange, Identity};
use crate::domain::change::Change;
use crate::domain::id::CustomerId;
use crate::error::{Error, ErrorKind, Result};
use crate::store::{read, Book, WriteLock, CUSTOMERS_DIR, EXTENSION};

/// The trailer that marks a commit as made by crm (`crm undo` only reverts these).
pub(crate) const CRM_TRAILER: &str = "Committed-by: crm";

/// Ends a command that wrote files and is to commit them (`--commit` or
/// `[git] auto_commit`; `git` finds the repository and identity): commits exactly the files written under `lock` (never a
/// person's other edits), with `message` as the summary line (shortened as
/// `crm commit` shortens its own when it is longer than 72 characters), and notes each
/// commit made on `diag` (stderr: stdout stays the command's data). The lock is held until the
/// commit is made. Files git ignores (and does not track) are written but not
/// committed, with a warning.
///
/// If the commit fails, the files are written all the same: the error says so and
/// exits with [`crate::error::EXIT_NOT_COMMITTED`], so nobody runs the command twice.
pub(crate) fn finish_write<'a>(
    book: &Book,
    lock: WriteLock,
    message: &str,
    git: impl FnOnce() -> Result<&'a (BookRepo, Identity)>,
    diag: &mut dyn Write,
) -> Result<()> {
    let committed = git().and_then(|(repo, who)| commit_written(repo, who, &lock, message, diag));
    let shown: Vec<String> = lock.written().iter().map(|p| book.shown(p)).collect();
    drop(lock);
    let err = match committed {
        Ok(ignored) => {
            for path in ignored {
                let _ = writeln!(
                    diag,
                    "crm: warning: `{path}` was written but not committed: git ignores it (`git check-ignore -v {path}` says which rule); `git add -f` it to track it anyway"
                );
            }
            return Ok(());
        }
        Err(err) => err,
    };
    let hint = err
        .hint
        .clone()
        .map_or(String::new(), |h| format!("{h}; then "));
    Err(Error::new(
        ErrorKind::NotCommitted,
        format!(
            "wrote `{}` but did not commit it: {}",
            shown.join("`, `"),
            err.message
        ),
    )
    .with_hint(format!(
        "{hint}run `crm commit` to commit it (do not run the command again: the change is made)"
    )))
}

/// Commits the files written under `lock`, after a commit of the changes they already
/// had uncommitted (a person's edits, or crm's own earlier change made without
/// committing), so crm's commit holds exactly its change and `crm undo` cannot take
/// the earlier changes away. Notes each commit on `diag`. Returns the book files left
/// out because git ignores them.
fn commit_written(
    repo: &BookRepo,
    who: &Identity,
    lock: &WriteLock,
    message: &str,
    diag: &mut dyn Write,
) -> Result<Vec<String>> {
    repo.ensure_no_operation()?;
    let customers = lock
        .written()
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == crate::store::EXTENSION))
        .count();
    let message = crate::domain::change::fit_summary(message, customers);
    let full = format!("{message}\n\n{CRM_TRAILER}\n");
    let mut earlier_summary = String::new();
    let earlier = repo.commit_earlier_changes(lock.replaced(), who, |changes| {
        let message = earlier_message(changes);
        earlier_summary = message.lines().next().unwrap_or("").to_string();
        message
    })?;
    if let Some(oid) = earlier.commit {
        note_commit(
            diag,
            oid,
            &earlier_summary,
            " (changes that were already uncommitted)",
        );
    }
    let own = super::commit_files(repo.repo(), lock.written(), &full, who)?;
    if let Some(oid) = own.commit {
        note_commit(diag, oid, message.lines().next().unwrap_or(""), "");
    }
    if earlier.commit.is_some() || own.commit.is_some() {
        warn_unsigned(repo, diag);
    }
    let mut ignored: Vec<String> = Vec::new();
    for path in earlier.ignored.iter().chain(&own.ignored) {
        let shown = repo.shown_path(path);
        if !ignored.contains(&shown) {
            ignored.push(shown);
        }
    }
    Ok(ignored)
}

/// The message of the commit of changes a file already had when crm wrote to it: in
/// `crm commit`'s words (`edit carol (by hand)`, `log call with ada`), saying why it is
/// a commit of its own. No crm trailer: `crm undo` must never take a person's edits.
fn earlier_message(changes: &[EarlierChange]) -> String {
    let described: Vec<Change> = changes
        .iter()
        .map(|c| change_of(&c.path, c.before.as_deref(), Some(&c.after)))
        .collect();
    format!(
        "{}\n\nThese changes were already uncommitted when crm committed its own change\nto the same file{}; they are committed apart, so that the two stay\nseparable and `crm undo` takes back only crm's change.\n",
        crate::domain::change::commit_message(&described),
        if changes.len() == 1 { "" } else { "s" }
    )
}

/// Says on `diag` (stderr) that a commit was made (stdout is the command's data, such
/// as the id `crm add` prints).
fn note_commit(diag: &mut dyn Write, oid: git2::Oid, summary: &str, what: &str) {
    let _ = writeln!(
        diag,
        "crm: committed {}: {summary}{what}",
        super::short_id(oid)
    );
}

/// Warns, once per run, that crm's commits are not signed when git's config asks for
/// signed commits (`commit.gpgSign`): crm makes its commits through libgit2, which
/// cannot sign them.
pub(crate) fn warn_unsigned(repo: &BookRepo, diag: &mut dyn Write) {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if repo.wants_signed_commits() && !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        let _ = writeln!(diag, "crm: warning: git's config asks for signed commits (commit.gpgSign), but crm does not sign its commits; sign them with git if you need to (e.g. `git commit --amend -S` for the last one)");
    }
}

/// What the change of book file `book_path` from `before` (its committed bytes) to
/// `after` (its uncommitted bytes) means; `None` is an absent file. In the words
/// `crm commit` uses, for a change known only as bytes (a file's content just before
/// crm wrote to it).
pub(crate) fn change_of(book_path: &str, before: Option<&[u8]>, after: Option<&[u8]>) -> Change {
    let Some(stem) = customer_stem(book_path) else {
        return other_change(book_path, before.is_some(), after.is_some());
    };
    let id = CustomerId::parse(stem).ok();
    let parse = |raw: &[u8]| {
        id.as_ref()
            .and_then(|id| read::parse_customer(raw, book_path, id).ok())
            .map(|loaded| loaded.customer)
    };
    let before = before.map(parse);
    let after = after.map(parse);
    Change::of_customer(
        stem,
        before.as_ref().map(Option::as_ref),
        after.as_ref().map(Option::as_ref),
    )
}

/// The change of a book file that is not a customer's.
pub(crate) fn other_change(book_path: &str, committed: bool, exists: bool) -> Change {
    let verb = match (committed, exists) {
        (false, _) => "added",
        (true, false) => "removed",
        (true, true) => "edited",
    };
    Change::Other {
        file: book_path.to_string(),
        verb,
    }
}

/// The customer id a book path `customers/ID.yaml` names, if it names one.
pub(crate) fn customer_stem(book_path: &str) -> Option<&str> {
    let name = book_path.strip_prefix(CUSTOMERS_DIR)?.strip_prefix('/')?;
    let stem = name.strip_suffix(EXTENSION)?.strip_suffix('.')?;
    (!stem.is_empty() && !stem.starts_with('.') && !stem.contains('/')).then_some(stem)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Review finding 5: the commit of changes already uncommitted was always called
    /// `edit ID (by hand)`, and its summary was never shortened.
    #[test]
    fn earlier_changes_are_named_as_crm_commit_names_them_within_72_characters() {
        let new = EarlierChange {
            path: "customers/ada.yaml".into(),
            before: None,
            after: b"name: Ada\n".to_vec(),
        };
        let message = earlier_message(std::slice::from_ref(&new));
        assert!(message.starts_with("add ada\n\n"), "{message}");
        assert!(!message.contains(CRM_TRAILER));

        let many: Vec<EarlierChange> = (0..8)
            .map(|n| EarlierChange {
                path: format!("customers/a-rather-long-customer-id-number-{n}.yaml"),
                before: Some(b"name: A\n".to_vec()),
                after: b"name: B\n".to_vec(),
            })
            .collect();
        let message = earlier_message(&many);
        let summary = message.lines().next().unwrap();
        assert_eq!(summary, "edit 8 customers by hand");
        assert!(message.contains("\n- edit a-rather-long-customer-id-number-7 (by hand)\n"));
        assert!(message.contains("to the same files;"), "{message}");
    }
}
