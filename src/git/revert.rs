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
    /// with uncommitted changes that the revert would overwrite. The new commit carries `trailer` too, so undoing twice
    /// puts the change back.
    pub(crate) fn undo_last(&self, trailer: &str, who: &Identity) -> Result<Undone> {
        let head = head_commit(&self.repo)?.ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                "nothing to undo: the repository has no commits yet",
            )
        })?;
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
                .checkout_tree(target_tree.as_object(), Some(&mut checkout))?;
        }
        let new_summary = match summary
            .strip_prefix("Revert \"")
            .and_then(|s| s.strip_suffix('"'))
        {
            Some(inner) => format!("Reapply \"{inner}\""),
            None => format!("Revert \"{summary}\""),
        };
        let new_message = format!(
            "{new_summary}\n\nThis reverts commit {}.\n\n{trailer}\n",
            head.id()
        );
        let oid = self.repo.commit(
            Some("HEAD"),
            &who.author()?,
            &who.committer()?,
            &new_message,
            &target_tree,
            &[&head],
        )?;
        Ok(Undone {
            reverted: head.id().to_string(),
            reverted_summary: summary,
            commit: oid.to_string(),
            summary: new_summary,
            paths: paths.iter().map(|p| self.shown_path(p)).collect(),
        })
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
