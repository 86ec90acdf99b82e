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
        let new_tree = self
            .repo
            .find_tree(update.create_updated(&self.repo, &tip_tree)?)?;
        if !paths.is_empty() {
            let mut checkout = CheckoutBuilder::new();
            checkout
                .force()
                .update_index(true)
                .disable_pathspec_match(true);
            for path in &paths {
                checkout.path(path);
            }
            self.repo
                .checkout_tree(new_tree.as_object(), Some(&mut checkout))?;
        }
        let new_summary = format!("Revert \"{summary}\"");
        let new_message = format!(
            "{new_summary}\n\nThis reverts commit {}.\n\n{trailer}\n",
            head.id()
        );
        let oid = self.repo.commit(
            Some("HEAD"),
            &who.author()?,
            &who.committer()?,
            &new_message,
            &new_tree,
            &[&tip],
        )?;
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
