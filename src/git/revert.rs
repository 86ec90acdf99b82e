//! Undoing crm's last commit the way a person would: a new commit that reverts it,
//! after checking that no uncommitted edit of the same files would be overwritten.

use git2::build::CheckoutBuilder;
use git2::{Commit, Delta, Diff, Status};

use super::{head_commit, short_id, BookRepo, Identity};
use crate::error::{Error, ErrorKind, Result};

/// What `undo_last` did.
#[derive(Debug, Clone)]
pub(crate) struct Undone {
    /// The id of the commit that was reverted.
    pub(crate) reverted: String,
    /// Its summary line.
    pub(crate) reverted_summary: String,
    /// The id of the new revert commit.
    pub(crate) commit: String,
    /// The summary line of the new commit.
    pub(crate) summary: String,
    /// The files put back, relative to the book root where inside it.
    pub(crate) paths: Vec<String>,
}

impl BookRepo {
    /// Reverts HEAD with a new commit, if HEAD carries `trailer` (crm made it). Refuses
    /// a commit crm did not make, a merge, a commit that creates or removes the book's
    /// `crm.toml` (undoing the book's start would delete the whole book), and files
    /// with uncommitted changes that the revert would overwrite. The new commit carries
    /// `trailer` too; undoing again reverts the crm commit before (see
    /// [`BookRepo::undoable`]).
    pub(crate) fn undo_last(&self, trailer: &str, who: &Identity) -> Result<Undone> {
        let tip = head_commit(&self.repo)?.ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                "nothing to undo: the repository has no commits yet",
            )
        })?;
        // The newest commit not undone yet: undo commits and the commits they undid
        // are passed over in pairs, so a second `crm undo` takes back the commit before.
        let head = self
            .undoable(trailer, 1)?
            .into_iter()
            .next()
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::NotFound,
                    "nothing to undo: every commit since the book started has been undone",
                )
            })
            .and_then(|id| Ok(self.repo.find_commit(id)?))?;
        let short = short_id(head.id());
        let summary = head.summary().unwrap_or("").to_string();
        let message = String::from_utf8_lossy(head.message_bytes()).into_owned();
        if head.parent_count() > 1 {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!("the last commit {short} is a merge; crm undo does not revert merges"),
            )
            .with_hint(format!(
                "run `git revert -m 1 {short}` if that is what you want"
            )));
        }
        let head_tree = head.tree()?;
        let target_tree = match head.parents().next() {
            Some(parent) => parent.tree()?,
            None => {
                let empty = self.repo.treebuilder(None)?.write()?;
                self.repo.find_tree(empty)?
            }
        };
        let diff = self
            .repo
            .diff_tree_to_tree(Some(&target_tree), Some(&head_tree), None)?;
        let mut paths: Vec<String> = Vec::new();
        for delta in diff.deltas() {
            for file in [delta.old_file(), delta.new_file()] {
                if let Some(path) = file.path() {
                    let path = super::slash_path(path);
                    if !paths.contains(&path) {
                        paths.push(path);
                    }
                }
            }
        }
        paths.sort();
        self.refuse_book_start(&head, &diff)?;
        if !super::has_trailer(&message, trailer) {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!("the last commit {short} (\"{summary}\") was not made by crm; crm undo only reverts its own commits"),
            )
            .with_hint(format!("to revert it anyway, run `git revert {short}`")));
        }
        let dirty: Vec<String> = paths
            .iter()
            .filter(|p| {
                match self.repo.status_file(std::path::Path::new(p.as_str())) {
                    Ok(s) => s != Status::CURRENT && !s.contains(Status::IGNORED),
                    // Neither committed, staged nor on disk: nothing to overwrite.
                    Err(e) => e.code() != git2::ErrorCode::NotFound,
                }
            })
            .map(|p| self.shown_path(p))
            .collect();
        if !dirty.is_empty() {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "cannot undo {short} (\"{summary}\"): {} uncommitted changes that undo would overwrite; nothing was changed",
                    if dirty.len() == 1 { format!("`{}` has", dirty[0]) } else { format!("`{}` have", dirty.join("`, `")) }
                ),
            )
            .with_hint("commit them with `crm commit` or set them aside (`crm status` lists them), then undo again"));
        }
        // The tip with the commit's files as they were before it: the later commits
        // are undone pairs, so the tip holds these files as the commit left them.
        let tip_tree = tip.tree()?;
        let mut update = git2::build::TreeUpdateBuilder::new();
        for path in &paths {
            let at = std::path::Path::new(path.as_str());
            let now = tip_tree.get_path(at).ok().map(|e| e.id());
            let then = head_tree.get_path(at).ok().map(|e| e.id());
            if now != then {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!("cannot undo {short} (\"{summary}\"): `{}` changed after it; nothing was changed", self.shown_path(path)),
                )
                .with_hint(format!("revert it with git if you mean to: `git revert {short}`")));
            }
            match target_tree.get_path(at) {
                Ok(entry) => {
                    let mode = match entry.filemode() {
                        0o100755 => git2::FileMode::BlobExecutable,
                        0o120000 => git2::FileMode::Link,
                        _ => git2::FileMode::Blob,
                    };
                    update.upsert(path.as_str(), entry.id(), mode);
                }
                Err(_) => {
                    update.remove(path.as_str());
                }
            }
        }
        let new_summary = format!("Revert \"{summary}\"");
        let new_message = format!(
            "{new_summary}\n\nThis reverts commit {}.\n\n{trailer}\n",
            head.id()
        );
        // Everything that can be checked comes before the first file is touched: git's
        // index lock, and that the repository takes new objects (writing the tree and
        // the commit object first, without moving any branch to it, proves that).
        self.refuse_locked_index(&short, &summary)?;
        let new_tree = update
            .create_updated(&self.repo, &tip_tree)
            .and_then(|id| self.repo.find_tree(id))
            .map_err(|e| nothing_changed(&short, &summary, &e))?;
        let oid = self
            .repo
            .commit(
                None,
                &who.author()?,
                &who.committer()?,
                &new_message,
                &new_tree,
                &[&tip],
            )
            .map_err(|e| nothing_changed(&short, &summary, &e))?;
        let saved = Saved::take(&self.repo, &paths)?;
        let result = self.checkout_and_move_head(&new_tree, &paths, oid, &new_summary);
        if let Err(e) = result {
            return Err(saved.put_back(&short, &summary, &e, |p| self.shown_path(p)));
        }
        Ok(Undone {
            reverted: head.id().to_string(),
            reverted_summary: summary,
            commit: oid.to_string(),
            summary: new_summary,
            paths: paths.iter().map(|p| self.shown_path(p)).collect(),
        })
    }

    /// The summary line of commit `id`, and whether crm made it (carries `trailer`).
    pub fn commit_summary(&self, id: git2::Oid, trailer: &str) -> Result<(String, bool)> {
        let commit = self.repo.find_commit(id)?;
        let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
        Ok((
            commit.summary().unwrap_or("").to_string(),
            super::has_trailer(&message, trailer) && commit.parent_count() == 1,
        ))
    }

    /// The commits successive `crm undo`s would revert, newest first, at most `limit`:
    /// walking back along first parents, an undo commit (crm's, `This reverts commit
    /// X.`) and X are passed over; the walk stops at a commit crm did not make (which
    /// `crm undo` then refuses, as it does the book's first commit).
    pub fn undoable(&self, trailer: &str, limit: usize) -> Result<Vec<git2::Oid>> {
        let Some(tip) = head_commit(&self.repo)? else {
            return Ok(Vec::new());
        };
        let mut undone: Vec<git2::Oid> = Vec::new();
        let mut found = Vec::new();
        let mut commit = Some(tip);
        while let Some(c) = commit {
            if found.len() >= limit {
                break;
            }
            let message = String::from_utf8_lossy(c.message_bytes()).into_owned();
            let ours = super::has_trailer(&message, trailer);
            let reverts = message
                .lines()
                .find_map(|l| l.strip_prefix("This reverts commit "))
                .and_then(|rest| git2::Oid::from_str(rest.trim_end_matches('.')).ok());
            if let (true, Some(target)) = (ours, reverts) {
                undone.push(target);
            } else if undone.contains(&c.id()) {
                undone.retain(|u| *u != c.id());
            } else {
                found.push(c.id());
                if !ours || c.parent_count() != 1 {
                    break;
                }
            }
            commit = c.parents().next();
        }
        Ok(found)
    }

    /// Refuses to revert `head` when it adds or removes the book's `crm.toml`
    /// (`diff` runs from its parent to it): undoing the start of the book would delete
    /// every file of it, after which crm could not even find the book to redo it.
    fn refuse_book_start(&self, head: &Commit<'_>, diff: &Diff<'_>) -> Result<()> {
        let config = self.to_repo_path(crate::store::CONFIG_FILE);
        let touched = diff.deltas().find(|d| {
            matches!(d.status(), Delta::Added | Delta::Deleted)
                && [d.old_file().path(), d.new_file().path()]
                    .into_iter()
                    .flatten()
                    .any(|p| super::slash_path(p) == config)
        });
        let Some(delta) = touched else {
            return Ok(());
        };
        let short = short_id(head.id());
        let summary = head.summary().unwrap_or("");
        let shown = crate::store::CONFIG_FILE;
        if head.parent_count() == 0 {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!("the first commit of the book ({short}, \"{summary}\") cannot be undone: it created the book, and undoing it would delete every file of it"),
            )
            .with_hint("to start over, delete the book folder (with its .git) and run `crm init` again"));
        }
        let (what, effect) = if delta.status() == Delta::Added {
            ("starts the book (it adds", "would delete the whole book")
        } else {
            (
                "removes the book (it deletes",
                "would bring the removed book back",
            )
        };
        Err(Error::new(
            ErrorKind::Conflict,
            format!("cannot undo {short} (\"{summary}\"): it {what} `{shown}`), so undoing it {effect}; nothing was changed"),
        )
        .with_hint(format!("if that is really what you want, do it with git: `git revert {short}` (or `git reset --hard {short}~1` if nobody else has the commit)")))
    }
}

impl BookRepo {
    /// Refuses to start while git's index is locked (another git is running, or one
    /// crashed): the checkout would change the files and then fail on the lock.
    fn refuse_locked_index(&self, short: &str, summary: &str) -> Result<()> {
        let lock = self.repo.path().join("index.lock");
        if std::fs::symlink_metadata(&lock).is_ok() {
            return Err(Error::new(
                ErrorKind::Git,
                format!("cannot undo {short} (\"{summary}\"): git's index is locked (`{}` exists); nothing was changed", lock.display()),
            )
            .with_hint(format!("another git command is running, or one was killed: wait for it, or if none is running remove the lock (`rm {}`), then undo again", lock.display())));
        }
        Ok(())
    }

    /// Puts `paths` back as `target` has them (work tree and index), then moves HEAD's
    /// branch to `oid`.
    fn checkout_and_move_head(
        &self,
        target: &git2::Tree<'_>,
        paths: &[String],
        oid: git2::Oid,
        summary: &str,
    ) -> Result<()> {
        if !paths.is_empty() {
            let mut checkout = CheckoutBuilder::new();
            checkout
                .force()
                .update_index(true)
                .disable_pathspec_match(true);
            for path in paths {
                checkout.path(path);
            }
            self.repo
                .checkout_tree(target.as_object(), Some(&mut checkout))?;
        }
        let head = self.repo.head()?;
        let mut branch = head.resolve()?;
        branch.set_target(oid, &format!("commit (crm undo): {summary}"))?;
        Ok(())
    }
}

fn nothing_changed(short: &str, summary: &str, err: &git2::Error) -> Error {
    Error::new(
        ErrorKind::Git,
        format!(
            "cannot undo {short} (\"{summary}\"): git: {}; nothing was changed",
            err.message()
        ),
    )
    .with_hint("make the repository writable (`.git` and what is in it) and undo again")
}

/// The files an undo is about to change, and git's index, as they were before it.
struct Saved {
    files: Vec<(String, std::path::PathBuf, Option<SavedFile>)>,
    index: Option<(std::path::PathBuf, Vec<u8>)>,
}

enum SavedFile {
    Bytes(Vec<u8>, std::fs::Permissions),
    Link(std::path::PathBuf),
}

impl Saved {
    fn take(repo: &git2::Repository, paths: &[String]) -> Result<Saved> {
        let workdir = repo
            .workdir()
            .ok_or_else(|| Error::new(ErrorKind::Git, "the repository has no work tree"))?;
        let mut files = Vec::with_capacity(paths.len());
        for path in paths {
            let full = workdir.join(path);
            let saved = match std::fs::symlink_metadata(&full) {
                Ok(meta) if meta.file_type().is_symlink() => Some(SavedFile::Link(
                    std::fs::read_link(&full).map_err(|e| Error::io("read", &full, &e))?,
                )),
                Ok(meta) if meta.is_file() => Some(SavedFile::Bytes(
                    std::fs::read(&full).map_err(|e| Error::io("read", &full, &e))?,
                    meta.permissions(),
                )),
                _ => None,
            };
            files.push((path.clone(), full, saved));
        }
        let index_path = repo.path().join("index");
        let index = std::fs::read(&index_path).ok().map(|b| (index_path, b));
        Ok(Saved { files, index })
    }

    /// Puts every saved file back after `err` stopped the undo half-way, and says what
    /// happened: that nothing was changed, or exactly which files could not be restored.
    fn put_back(
        &self,
        short: &str,
        summary: &str,
        err: &Error,
        shown: impl Fn(&str) -> String,
    ) -> Error {
        let mut failed = Vec::new();
        for (path, full, saved) in &self.files {
            if restore(full, saved.as_ref()).is_err() {
                failed.push(shown(path));
            }
        }
        if let Some((index_path, bytes)) = &self.index {
            if std::fs::read(index_path).ok().as_ref() != Some(bytes)
                && std::fs::write(index_path, bytes).is_err()
            {
                failed.push(format!("{} (git's index)", index_path.display()));
            }
        }
        let reason = err.message.trim_start_matches("git: ");
        if failed.is_empty() {
            Error::new(
                err.kind,
                format!("cannot undo {short} (\"{summary}\"): git failed half-way ({reason}); every file was put back as it was, so nothing was changed"),
            )
            .with_hint("make the repository writable (`.git` and what is in it) and make sure no other git is running, then undo again")
        } else {
            Error::new(
                ErrorKind::PartlyWritten,
                format!("cannot undo {short} (\"{summary}\"): git failed half-way ({reason}), and these files could not be put back as they were: `{}`", failed.join("`, `")),
            )
            .with_hint(format!("the commit {short} still holds them: `git checkout {short} -- FILE` puts one back; `crm status` shows what differs"))
        }
    }
}

fn restore(full: &std::path::Path, saved: Option<&SavedFile>) -> std::io::Result<()> {
    let now = std::fs::symlink_metadata(full);
    match saved {
        None => match now {
            Ok(meta) if meta.is_dir() => Ok(()),
            Ok(_) => std::fs::remove_file(full),
            Err(_) => Ok(()),
        },
        Some(SavedFile::Bytes(bytes, permissions)) => {
            if let Ok(meta) = &now {
                if meta.is_file() && std::fs::read(full).ok().as_ref() == Some(bytes) {
                    return Ok(());
                }
                if !meta.is_dir() {
                    std::fs::remove_file(full)?;
                }
            }
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(full, bytes)?;
            std::fs::set_permissions(full, permissions.clone())
        }
        Some(SavedFile::Link(target)) => {
            if now.is_ok() {
                std::fs::remove_file(full)?;
            }
            #[cfg(unix)]
            {
                std::os::unix::fs::symlink(target, full)
            }
            #[cfg(not(unix))]
            {
                let _ = target;
                Ok(())
            }
        }
    }
}
