//! Bringing another clone's commits in: finding the branch to sync with, fast-forwards,
//! and the merge. libgit2 does the merge in-process (`git_merge`, with git's rename
//! detection), but libgit2 never runs external merge drivers, so every customer file
//! changed on both sides is merged here by the merger the caller hands in (crm's own
//! three-way merge of customer files, the same code `crm merge-file` runs as git's merge
//! driver): a `crm sync` and a `git pull` with the driver registered give the same
//! files. What is left conflicted is left as git leaves it (MERGE_HEAD, conflict stages
//! in the index, markers in the files), so `git status`, `git commit` and
//! `git merge --abort` work on it as on any merge.
//!
//! Fetching and pushing are [`super::transport`]'s; this module never runs `git`.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use git2::build::CheckoutBuilder;
use git2::{
    CheckoutNotificationType, Delta, DiffFindOptions, IndexEntry, IndexTime, MergeOptions, Oid,
    Repository, RepositoryState,
};

use super::lookup::TreeLookup;
use super::{head_commit, BookRepo, Identity};
use crate::error::{Error, ErrorKind, Result};

/// The branch a sync exchanges commits with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Upstream {
    /// The remote's name (`origin`).
    pub(crate) remote: String,
    /// The local branch (`refs/heads/main`).
    pub(crate) local_ref: String,
    /// The branch on the remote (`refs/heads/main`).
    pub(crate) remote_ref: String,
    /// Where its last fetched state is kept here (`refs/remotes/origin/main`).
    pub(crate) tracking: String,
}

impl Upstream {
    /// The remote branch as people name it: `origin/main`.
    pub(crate) fn shown(&self) -> String {
        self.tracking
            .strip_prefix("refs/remotes/")
            .unwrap_or(&self.tracking)
            .to_string()
    }
}

/// One commit brought in from the remote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Incoming {
    /// The author's name.
    pub(crate) author: String,
    /// The summary line.
    pub(crate) summary: String,
    /// Whether it is a merge commit.
    pub(crate) merge: bool,
}

/// What a customer file merge gave: the bytes to write, and its conflicts (empty when
/// clean; then the bytes hold conflict markers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileMerge {
    /// The merged file.
    pub(crate) bytes: Vec<u8>,
    /// Each conflict: the line of the file (1-based) and what conflicts there.
    pub(crate) conflicts: Vec<(usize, String)>,
}

/// The three-way merge of one customer file: base (`None` when both sides added it),
/// ours, theirs, and the book-relative path the result goes to.
pub(crate) type FileMerger<'a> = dyn Fn(Option<&[u8]>, &[u8], &[u8], &str) -> FileMerge + 'a;

/// Whether a resolved book file (book-relative path, bytes) may be committed; the
/// reason it may not, otherwise.
pub(crate) type ResolvedCheck<'a> = dyn Fn(&str, &[u8]) -> std::result::Result<(), String> + 'a;

/// One conflict a merge left for a person to resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Conflict {
    /// The file, book-relative where inside the book.
    pub(crate) path: String,
    /// The line it is at in the work-tree file, where there is one.
    pub(crate) line: Option<usize>,
    /// What conflicts, and how to settle it when that is not "edit the file".
    pub(crate) what: String,
}

/// What bringing the remote's commits in did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Integrated {
    /// The remote had nothing new.
    UpToDate,
    /// The branch moved forward to the remote's commit.
    FastForward,
    /// A merge commit was made; `customer_files` were merged by crm's merge.
    Merged {
        /// Customer files changed on both sides and merged by crm's merge.
        customer_files: usize,
    },
    /// The merge needs a person: the state is left as `git merge` leaves it.
    Conflicted {
        /// Customer files merged cleanly by crm's merge.
        customer_files: usize,
        /// What is left to resolve.
        conflicts: Vec<Conflict>,
    },
}

/// crm's merge of one customer file both sides changed.
#[derive(Debug, Clone)]
struct PlannedMerge {
    /// The file's path in the base, ours and theirs (all the same unless renamed).
    paths: [String; 3],
    /// Where the merged file goes.
    result_path: String,
    /// `result_path` as messages show it.
    shown: String,
    /// The base's, ours' and theirs' blobs (conflict stages 1, 2 and 3).
    blobs: [Option<Oid>; 3],
    /// Ours' file mode.
    mode: u32,
    /// What crm's merge gave.
    merged: FileMerge,
}

/// How a side changed one file since the merge base: where it is now and its blob
/// (`None`: deleted).
#[derive(Debug, Clone)]
struct SideChange {
    path: String,
    blob: Option<Oid>,
}

impl BookRepo {
    /// The branch `crm sync [REMOTE]` exchanges commits with: the current branch's
    /// upstream (`branch.<name>.remote` / `.merge`), else the branch of the same name
    /// on `remote` (default `origin`).
    pub(crate) fn upstream(&self, remote: Option<&str>) -> Result<Upstream> {
        let repo = &self.repo;
        if repo.head_detached().unwrap_or(false) {
            return Err(Error::new(
                ErrorKind::Git,
                "HEAD is detached: crm sync exchanges the commits of a branch",
            )
            .with_hint(
                "switch to the book's branch (`git switch main`), then run `crm sync` again",
            ));
        }
        let local_ref = repo
            .find_reference("HEAD")
            .ok()
            .and_then(|r| r.symbolic_target().map(str::to_string))
            .ok_or_else(|| Error::new(ErrorKind::Git, "HEAD does not name a branch"))?;
        let branch = local_ref
            .strip_prefix("refs/heads/")
            .unwrap_or(&local_ref)
            .to_string();
        let config = repo.config()?;
        let configured_remote = config
            .get_string(&format!("branch.{branch}.remote"))
            .ok()
            .filter(|r| !r.is_empty() && r != ".");
        let configured_merge = config
            .get_string(&format!("branch.{branch}.merge"))
            .ok()
            .filter(|m| m.starts_with("refs/heads/"));
        let remote_name = remote
            .map(str::to_string)
            .or_else(|| configured_remote.clone())
            .unwrap_or_else(|| "origin".to_string());
        if repo.find_remote(&remote_name).is_err() {
            let known: Vec<String> = repo
                .remotes()
                .map(|names| names.iter().flatten().map(str::to_string).collect())
                .unwrap_or_default();
            let hint = if known.is_empty() {
                format!("add the shared repository as a remote: `git remote add {remote_name} URL` (ssh://host/path, a path, or https://...)")
            } else {
                format!(
                    "this repository's remotes are `{}`: run `crm sync NAME` with one of them, or `git remote add {remote_name} URL`",
                    known.join("`, `")
                )
            };
            return Err(Error::new(
                ErrorKind::Git,
                format!("the repository has no remote named `{remote_name}`"),
            )
            .with_hint(hint));
        }
        let remote_ref = match (&configured_remote, configured_merge) {
            (Some(r), Some(merge)) if *r == remote_name => merge,
            _ => format!("refs/heads/{branch}"),
        };
        let tracking = format!(
            "refs/remotes/{remote_name}/{}",
            remote_ref
                .strip_prefix("refs/heads/")
                .unwrap_or(&remote_ref)
        );
        Ok(Upstream {
            remote: remote_name,
            local_ref,
            remote_ref,
            tracking,
        })
    }

    /// Makes `up` the current branch's upstream when it has none (as `git push -u`
    /// does), so that a plain `git pull` in this clone pulls from where crm syncs.
    pub(crate) fn set_upstream_if_missing(&self, up: &Upstream) -> Result<()> {
        let branch = up
            .local_ref
            .strip_prefix("refs/heads/")
            .unwrap_or(&up.local_ref);
        let mut config = self.repo.config()?.open_level(git2::ConfigLevel::Local)?;
        if config
            .get_string(&format!("branch.{branch}.remote"))
            .is_ok()
        {
            return Ok(());
        }
        config.set_str(&format!("branch.{branch}.remote"), &up.remote)?;
        config.set_str(&format!("branch.{branch}.merge"), &up.remote_ref)?;
        Ok(())
    }

    /// The work tree's folder (where `git` runs for fetch and push).
    pub(crate) fn workdir(&self) -> Result<PathBuf> {
        super::workdir(&self.repo)
    }

    /// The commit a reference points at, if it exists.
    pub(crate) fn ref_commit(&self, name: &str) -> Result<Option<Oid>> {
        match self.repo.find_reference(name) {
            Ok(r) => Ok(Some(r.peel_to_commit()?.id())),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The commit HEAD points at (`None` on an unborn branch).
    pub(crate) fn head_id(&self) -> Result<Option<Oid>> {
        Ok(head_commit(&self.repo)?.map(|c| c.id()))
    }

    /// The commits `tip` has that `known` has not, oldest first.
    pub(crate) fn commits_between(&self, known: Option<Oid>, tip: Oid) -> Result<Vec<Incoming>> {
        let mut walk = self.repo.revwalk()?;
        walk.push(tip)?;
        if let Some(known) = known {
            walk.hide(known)?;
        }
        walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)?;
        let mut found = Vec::new();
        for oid in walk {
            let commit = self.repo.find_commit(oid?)?;
            found.push(Incoming {
                author: commit.author().name().unwrap_or("someone").to_string(),
                summary: commit.summary().unwrap_or("").to_string(),
                merge: commit.parent_count() > 1,
            });
        }
        Ok(found)
    }

    /// Whether git is in the middle of a merge (MERGE_HEAD is there).
    pub(crate) fn merging(&self) -> bool {
        self.repo.state() == RepositoryState::Merge
    }

    /// Brings `theirs` (the fetched remote branch `up.tracking`) into the current branch:
    /// nothing when HEAD already has it, a fast-forward when HEAD is behind, else a
    /// merge (see the module's documentation). Files the merge would overwrite that hold
    /// changes of their own stop it before anything is written.
    pub(crate) fn integrate(
        &self,
        up: &Upstream,
        theirs: Oid,
        who: &Identity,
        is_customer: &dyn Fn(&str) -> bool,
        merger: &FileMerger<'_>,
    ) -> Result<Integrated> {
        let repo = &self.repo;
        super::trust_own_objects();
        let ours = head_commit(repo)?.map(|c| c.id());
        let Some(ours) = ours else {
            self.fast_forward(up, None, theirs)?;
            return Ok(Integrated::FastForward);
        };
        if ours == theirs || repo.graph_descendant_of(ours, theirs)? {
            return Ok(Integrated::UpToDate);
        }
        if repo.graph_descendant_of(theirs, ours)? {
            self.fast_forward(up, Some(ours), theirs)?;
            return Ok(Integrated::FastForward);
        }
        let base = repo.merge_base(ours, theirs).map_err(|e| {
            if e.code() == git2::ErrorCode::NotFound {
                Error::new(
                    ErrorKind::Git,
                    format!(
                        "this book and `{}` share no history: they were started apart, and crm will not merge two unrelated books",
                        up.shown()
                    ),
                )
                .with_hint(format!("clone the shared book instead (`crm clone URL`), or merge them once with git (`git merge --allow-unrelated-histories {}`)", up.shown()))
            } else {
                e.into()
            }
        })?;
        self.merge(up, base, ours, theirs, who, is_customer, merger)
    }

    /// Moves the branch from `ours` to `theirs`, updating the work tree and index.
    fn fast_forward(&self, up: &Upstream, ours: Option<Oid>, theirs: Oid) -> Result<()> {
        let repo = &self.repo;
        let target = repo.find_commit(theirs)?;
        match ours {
            // Only the files that differ between the two commits, as `git merge` does.
            Some(ours) => {
                self.check_out_changes(up, &repo.find_commit(ours)?.tree()?, &target.tree()?)?;
            }
            None => {
                let blocked = RefCell::new(Vec::new());
                let mut checkout = checkout_noting_conflicts(&blocked);
                if let Err(err) = repo.checkout_tree(target.as_object(), Some(&mut checkout)) {
                    return Err(self.blocked_error(&blocked.borrow(), &err, up));
                }
            }
        }
        let message = format!("crm sync: fast-forward to {}", up.shown());
        match ours {
            Some(ours) => {
                repo.reference_matching(&up.local_ref, theirs, true, ours, &message)?;
            }
            None => {
                repo.reference(&up.local_ref, theirs, false, &message)?;
            }
        }
        Ok(())
    }

    /// The error for a checkout or merge that files of the work tree stopped.
    fn blocked_error(&self, blocked: &[String], err: &git2::Error, up: &Upstream) -> Error {
        if blocked.is_empty() {
            return Error::new(
                ErrorKind::Git,
                format!(
                    "cannot bring in the commits of `{}`: git: {}",
                    up.shown(),
                    err.message()
                ),
            )
            .with_hint("`git status` shows what is in the way; commit or move it, then run `crm sync` again");
        }
        let shown: Vec<String> = blocked.iter().map(|p| self.shown_path(p)).collect();
        Error::new(
            ErrorKind::Conflict,
            format!(
                "cannot bring in the commits of `{}`: they change `{}`, which holds changes of its own here; nothing was changed",
                up.shown(),
                shown.join("`, `")
            ),
        )
        .with_hint("commit those files (`git commit`) or move them aside (`git stash`), then run `crm sync` again")
    }

    /// The merge of `theirs` into `ours` from `base`.
    ///
    /// crm's merge of the customer files changed on both sides is computed first, from
    /// the blobs alone. When it is clean and libgit2's merge of the other files is clean
    /// too (the usual case), the merge is made in memory and only the files that differ
    /// between HEAD and the merge result are checked out, as `git merge` does; a
    /// checkout of the whole merged tree stats every file of the book. Otherwise
    /// libgit2's `git_merge` leaves the state a person finishes (see the module's
    /// documentation).
    #[allow(clippy::too_many_arguments)]
    fn merge(
        &self,
        up: &Upstream,
        base: Oid,
        ours: Oid,
        theirs: Oid,
        who: &Identity,
        is_customer: &dyn Fn(&str) -> bool,
        merger: &FileMerger<'_>,
    ) -> Result<Integrated> {
        let repo = &self.repo;
        let base_tree = repo.find_commit(base)?.tree()?;
        let our_tree = repo.find_commit(ours)?.tree()?;
        let their_tree = repo.find_commit(theirs)?.tree()?;
        let is_customer_repo_path = |path: &str| self.to_book_path(path).is_some_and(is_customer);
        let our_side = side_changes(repo, &base_tree, &our_tree, &is_customer_repo_path)?;
        let their_side = side_changes(repo, &base_tree, &their_tree, &is_customer_repo_path)?;
        let planned =
            self.plan_file_merges(&base_tree, &our_tree, &our_side, &their_side, merger)?;
        if planned.iter().all(|p| p.merged.conflicts.is_empty()) {
            if let Some(done) = self.merge_in_memory(up, &our_tree, ours, theirs, &planned, who)? {
                return Ok(done);
            }
        }
        self.merge_in_work_tree(up, &planned, who)
    }

    /// crm's merge of each customer file both sides changed since the merge base.
    fn plan_file_merges(
        &self,
        base_tree: &git2::Tree<'_>,
        our_tree: &git2::Tree<'_>,
        our_side: &BTreeMap<String, SideChange>,
        their_side: &BTreeMap<String, SideChange>,
        merger: &FileMerger<'_>,
    ) -> Result<Vec<PlannedMerge>> {
        let repo = &self.repo;
        let mut planned = Vec::new();
        // Each folder of the two trees read once for all the files, not once each.
        let mut in_base = TreeLookup::new(repo, Some(base_tree.clone()));
        let mut in_ours = TreeLookup::new(repo, Some(our_tree.clone()));
        for (key, our_change) in our_side {
            let Some(their_change) = their_side.get(key) else {
                continue;
            };
            let (Some(our_blob), Some(their_blob)) = (our_change.blob, their_change.blob) else {
                continue;
            };
            let base_blob = in_base.entry(key).map(|e| e.id);
            // Same content on both sides, or one side only renamed: git's merge (and
            // libgit2's) settles these without running a driver.
            if our_blob == their_blob
                || Some(our_blob) == base_blob
                || Some(their_blob) == base_blob
            {
                continue;
            }
            let result_path = if our_change.path != *key {
                if their_change.path != *key && their_change.path != our_change.path {
                    // Renamed differently on both sides: libgit2's rename conflict stands.
                    continue;
                }
                our_change.path.clone()
            } else {
                their_change.path.clone()
            };
            let base_bytes = match base_blob {
                Some(id) => Some(repo.find_blob(id)?.content().to_vec()),
                None => None,
            };
            let our_bytes = repo.find_blob(our_blob)?;
            let their_bytes = repo.find_blob(their_blob)?;
            let shown = self.shown_path(&result_path);
            let merged = merger(
                base_bytes.as_deref(),
                our_bytes.content(),
                their_bytes.content(),
                &shown,
            );
            let mode = in_ours
                .entry(&our_change.path)
                .map_or(0o100_644, |e| e.mode as u32);
            planned.push(PlannedMerge {
                paths: [
                    key.clone(),
                    our_change.path.clone(),
                    their_change.path.clone(),
                ],
                result_path,
                shown,
                blobs: [base_blob, Some(our_blob), Some(their_blob)],
                mode,
                merged,
            });
        }
        Ok(planned)
    }

    /// The merge made without touching the work tree but for the files it changes:
    /// libgit2's merge in memory, crm's merged files put in its index, the merge
    /// commit, then a checkout of only the paths that differ from HEAD, and the branch
    /// moved last. `None` when libgit2's merge leaves conflicts (crm's are known to be
    /// none): nothing was changed, and the merge is made in the work tree instead.
    fn merge_in_memory(
        &self,
        up: &Upstream,
        our_tree: &git2::Tree<'_>,
        ours: Oid,
        theirs: Oid,
        planned: &[PlannedMerge],
        who: &Identity,
    ) -> Result<Option<Integrated>> {
        let repo = &self.repo;
        let our_commit = repo.find_commit(ours)?;
        let their_commit = repo.find_commit(theirs)?;
        let mut options = MergeOptions::new();
        options.find_renames(true);
        let mut index = repo.merge_commits(&our_commit, &their_commit, Some(&options))?;
        for plan in planned {
            for path in &plan.paths {
                index.remove_path(Path::new(path))?;
            }
            let blob = repo.blob(&plan.merged.bytes)?;
            index.add(&stage_entry(&plan.result_path, blob, plan.mode, 0))?;
        }
        if index.has_conflicts() {
            return Ok(None);
        }
        let tree = repo.find_tree(index.write_tree_to(repo)?)?;
        let message = format!("Merge remote-tracking branch '{}'\n", up.shown());
        let merge = repo.commit(
            None,
            &who.author()?,
            &who.committer()?,
            &message,
            &tree,
            &[&our_commit, &their_commit],
        )?;
        self.check_out_changes(up, our_tree, &tree)?;
        // As `git merge` does, so that `git reset --hard ORIG_HEAD` undoes the merge.
        repo.reference("ORIG_HEAD", ours, true, "crm sync: merge")?;
        repo.reference_matching(
            &up.local_ref,
            merge,
            true,
            ours,
            &format!("commit (merge): {}", message.trim_end()),
        )?;
        Ok(Some(Integrated::Merged {
            customer_files: planned.len(),
        }))
    }

    /// Checks out `target` over the work tree and index, which hold `current` (HEAD's
    /// tree): only the paths that differ between the two are looked at and written, and
    /// a file that holds changes of its own stops it before anything is written.
    fn check_out_changes(
        &self,
        up: &Upstream,
        current: &git2::Tree<'_>,
        target: &git2::Tree<'_>,
    ) -> Result<()> {
        let repo = &self.repo;
        let diff = repo.diff_tree_to_tree(Some(current), Some(target), None)?;
        let mut paths: BTreeSet<String> = BTreeSet::new();
        for delta in diff.deltas() {
            for file in [delta.old_file(), delta.new_file()] {
                if let Some(path) = file.path() {
                    paths.insert(super::slash_path(path));
                }
            }
        }
        // No paths would mean "every path" to libgit2's checkout.
        if paths.is_empty() {
            return Ok(());
        }
        let blocked = RefCell::new(Vec::new());
        let mut checkout = checkout_noting_conflicts(&blocked);
        checkout.disable_pathspec_match(true);
        for path in &paths {
            checkout.path(path);
        }
        if let Err(err) = repo.checkout_tree(target.as_object(), Some(&mut checkout)) {
            return Err(self.blocked_error(&blocked.borrow(), &err, up));
        }
        Ok(())
    }

    /// The merge made as `git merge` makes it, in the work tree and the index, with
    /// crm's merged files written over what libgit2's line merge wrote; what conflicts
    /// is left as git leaves it.
    fn merge_in_work_tree(
        &self,
        up: &Upstream,
        planned: &[PlannedMerge],
        who: &Identity,
    ) -> Result<Integrated> {
        let repo = &self.repo;
        let reference = repo.find_reference(&up.tracking)?;
        let annotated = repo.reference_to_annotated_commit(&reference)?;
        let mut options = MergeOptions::new();
        options.find_renames(true);
        let blocked = RefCell::new(Vec::new());
        {
            let mut checkout = checkout_noting_conflicts(&blocked);
            checkout.allow_conflicts(true).conflict_style_merge(true);
            if let Err(err) = repo.merge(&[&annotated], Some(&mut options), Some(&mut checkout)) {
                // Nothing was written when git_merge refuses; a half-started state is
                // cleared so that the book is exactly as before.
                if repo.state() == RepositoryState::Merge {
                    let _ = repo.cleanup_state();
                }
                return Err(self.blocked_error(&blocked.borrow(), &err, up));
            }
        }

        let workdir = super::workdir(repo)?;
        let mut index = repo.index()?;
        let mut conflicts = Vec::new();
        let mut merged_files = 0;
        let mut handled: BTreeSet<String> = BTreeSet::new();
        for plan in planned {
            for path in &plan.paths {
                index.remove_path(Path::new(path))?;
                if *path != plan.result_path {
                    remove_work_file(&workdir, path)?;
                }
                handled.insert(path.clone());
            }
            write_work_file(&workdir, &plan.result_path, &plan.merged.bytes)?;
            if plan.merged.conflicts.is_empty() {
                index.add_path(Path::new(&plan.result_path))?;
                merged_files += 1;
            } else {
                for (stage, blob) in (1u16..).zip(plan.blobs) {
                    if let Some(id) = blob {
                        index.add(&stage_entry(&plan.result_path, id, plan.mode, stage))?;
                    }
                }
                for (line, what) in &plan.merged.conflicts {
                    conflicts.push(Conflict {
                        path: plan.shown.clone(),
                        line: Some(*line),
                        what: what.clone(),
                    });
                }
            }
        }
        conflicts.extend(self.other_conflicts(&index, &handled, &workdir, up)?);
        index.write()?;
        if !conflicts.is_empty() {
            return Ok(Integrated::Conflicted {
                customer_files: merged_files,
                conflicts,
            });
        }
        self.commit_merge(&mut index, who)?;
        Ok(Integrated::Merged {
            customer_files: merged_files,
        })
    }

    /// The conflicts libgit2's merge left on paths crm's merge did not take over.
    fn other_conflicts(
        &self,
        index: &git2::Index,
        handled: &BTreeSet<String>,
        workdir: &Path,
        up: &Upstream,
    ) -> Result<Vec<Conflict>> {
        let theirs = up.shown();
        let mut found = Vec::new();
        for conflict in index.conflicts()? {
            let conflict = conflict?;
            let path_of = |e: &Option<IndexEntry>| {
                e.as_ref()
                    .map(|e| String::from_utf8_lossy(&e.path).into_owned())
            };
            let (ancestor, ours, their) = (
                path_of(&conflict.ancestor),
                path_of(&conflict.our),
                path_of(&conflict.their),
            );
            let path = ours
                .clone()
                .or_else(|| their.clone())
                .or_else(|| ancestor.clone())
                .unwrap_or_default();
            if handled.contains(&path) {
                continue;
            }
            let shown = self.shown_path(&path);
            let (line, what) = match (&ancestor, &ours, &their) {
                (Some(_), Some(_), None) => (
                    None,
                    format!("changed here but deleted in {theirs}: keep it with `git add {shown}`, or delete it with `git rm {shown}`"),
                ),
                (Some(_), None, Some(_)) => (
                    None,
                    format!("deleted here but changed in {theirs}: keep it with `git add {shown}`, or delete it with `git rm {shown}`"),
                ),
                (None, Some(_), Some(_)) => (
                    first_marker(workdir, &path),
                    format!("added here and in {theirs} with different contents: edit the file to keep what you want"),
                ),
                _ => {
                    let what = if ancestor != ours || ancestor != their {
                        format!("renamed differently here and in {theirs}: keep one name with `git add`/`git rm`")
                    } else {
                        "changed here and there in the same lines: edit the file to keep what you want".to_string()
                    };
                    (first_marker(workdir, &path), what)
                }
            };
            found.push(Conflict {
                path: shown,
                line,
                what,
            });
        }
        found.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        found.dedup();
        Ok(found)
    }

    /// Commits the merge git's state describes (HEAD and MERGE_HEAD as parents, the
    /// index as the tree, MERGE_MSG as the message), then clears the state.
    fn commit_merge(&self, index: &mut git2::Index, who: &Identity) -> Result<Oid> {
        let repo = &self.repo;
        let tree = repo.find_tree(index.write_tree()?)?;
        let head = head_commit(repo)?
            .ok_or_else(|| Error::new(ErrorKind::Git, "a merge without a HEAD commit"))?;
        let mut parents = vec![head];
        for id in self.merge_heads()? {
            parents.push(repo.find_commit(id)?);
        }
        let message = repo.message().unwrap_or_else(|_| "Merge".to_string());
        let message: String = message
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        let message = format!("{}\n", message.trim_end());
        let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
        let oid = repo.commit(
            Some("HEAD"),
            &who.author()?,
            &who.committer()?,
            &message,
            &tree,
            &parent_refs,
        )?;
        repo.cleanup_state()?;
        Ok(oid)
    }

    /// The commits MERGE_HEAD lists.
    fn merge_heads(&self) -> Result<Vec<Oid>> {
        let path = self.repo.path().join("MERGE_HEAD");
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io("read", &path, &e))?;
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| Oid::from_str(l).map_err(Error::from))
            .collect()
    }

    /// Finishes a merge a person has resolved: every conflicted book file (for which
    /// `is_book_file` holds) whose work-tree file no longer holds conflict markers and
    /// for which `resolved` holds (a customer file that parses) is staged (a deleted
    /// one removed); when no conflict is left, the merge is committed. Returns the
    /// conflicts that are left (then nothing is committed).
    pub(crate) fn finish_merge(
        &self,
        who: &Identity,
        is_book_file: &dyn Fn(&str) -> bool,
        resolved: &ResolvedCheck<'_>,
    ) -> Result<Vec<Conflict>> {
        let repo = &self.repo;
        let workdir = super::workdir(repo)?;
        let mut index = repo.index()?;
        let mut paths: BTreeSet<String> = BTreeSet::new();
        for conflict in index.conflicts()? {
            let conflict = conflict?;
            for entry in [&conflict.our, &conflict.their, &conflict.ancestor]
                .into_iter()
                .flatten()
            {
                paths.insert(String::from_utf8_lossy(&entry.path).into_owned());
            }
        }
        let mut left = Vec::new();
        for path in paths {
            let shown = self.shown_path(&path);
            let full = workdir.join(&path);
            let book_file = self.to_book_path(&path).is_some_and(is_book_file);
            match std::fs::read(&full) {
                Ok(bytes) => {
                    if let Some(line) = marker_line(&bytes) {
                        left.push(Conflict {
                            path: shown,
                            line: Some(line),
                            what: "still holds conflict markers: keep the lines you want and delete the <<<<<<< ======= >>>>>>> lines".to_string(),
                        });
                    } else if !book_file {
                        left.push(Conflict {
                            path: shown.clone(),
                            line: None,
                            what: format!("is not a book file, so crm leaves it to you: `git add {shown}` once it is resolved"),
                        });
                    } else if let Err(problem) = resolved(&shown, &bytes) {
                        left.push(Conflict {
                            path: shown,
                            line: None,
                            what: problem,
                        });
                    } else {
                        index.add_path(Path::new(&path))?;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    index.remove_path(Path::new(&path))?;
                }
                Err(e) => return Err(Error::io("read", &full, &e)),
            }
        }
        if !left.is_empty() {
            return Ok(left);
        }
        index.write()?;
        self.commit_merge(&mut index, who)?;
        Ok(Vec::new())
    }
}

/// A checkout that refuses to overwrite local changes and notes each file that stops it.
fn checkout_noting_conflicts<'a>(blocked: &'a RefCell<Vec<String>>) -> CheckoutBuilder<'a> {
    let mut checkout = CheckoutBuilder::new();
    checkout.safe();
    checkout.notify_on(CheckoutNotificationType::CONFLICT);
    checkout.notify(move |_, path, _, _, _| {
        if let Some(path) = path {
            blocked.borrow_mut().push(
                path.components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/"),
            );
        }
        true
    });
    checkout
}

/// How `side` changed the files for which `wanted` holds since `base`, keyed by the
/// path in `base` (a new file by its own path), with renames found as `git merge`
/// finds them (content at least 50% alike).
fn side_changes(
    repo: &Repository,
    base: &git2::Tree<'_>,
    side: &git2::Tree<'_>,
    wanted: &dyn Fn(&str) -> bool,
) -> Result<BTreeMap<String, SideChange>> {
    let mut diff = repo.diff_tree_to_tree(Some(base), Some(side), None)?;
    let mut find = DiffFindOptions::new();
    find.renames(true);
    diff.find_similar(Some(&mut find))?;
    let mut changes = BTreeMap::new();
    for delta in diff.deltas() {
        let path_of = |f: git2::DiffFile<'_>| f.path().map(super::slash_path).unwrap_or_default();
        let old = path_of(delta.old_file());
        let new = path_of(delta.new_file());
        let (key, change) = match delta.status() {
            Delta::Modified | Delta::Renamed | Delta::Typechange => (
                old,
                SideChange {
                    path: new,
                    blob: Some(delta.new_file().id()),
                },
            ),
            Delta::Added | Delta::Copied => (
                new.clone(),
                SideChange {
                    path: new,
                    blob: Some(delta.new_file().id()),
                },
            ),
            Delta::Deleted => (
                old.clone(),
                SideChange {
                    path: old,
                    blob: None,
                },
            ),
            _ => continue,
        };
        if wanted(&key) || wanted(&change.path) {
            changes.insert(key, change);
        }
    }
    Ok(changes)
}

/// An index entry for `path` at conflict `stage` (1 base, 2 ours, 3 theirs).
fn stage_entry(path: &str, id: Oid, mode: u32, stage: u16) -> IndexEntry {
    let name_length = u16::try_from(path.len()).unwrap_or(0xfff).min(0xfff);
    IndexEntry {
        ctime: IndexTime::new(0, 0),
        mtime: IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode,
        uid: 0,
        gid: 0,
        file_size: 0,
        id,
        flags: (stage << 12) | name_length,
        flags_extended: 0,
        path: path.as_bytes().to_vec(),
    }
}

/// The work-tree file `path`, checked to be inside the work tree (no link on the way).
fn work_path(workdir: &Path, path: &str) -> Result<PathBuf> {
    let full = workdir.join(path);
    let parent = full.parent().unwrap_or(workdir);
    let canonical = std::fs::canonicalize(parent).map_err(|e| Error::io("open", parent, &e))?;
    if !canonical.starts_with(workdir) {
        return Err(Error::new(
            ErrorKind::InvalidFile,
            format!(
                "`{path}` is reached through a link out of the work tree; crm does not write there"
            ),
        )
        .with_hint("replace the link with a folder, then run `crm sync` again"));
    }
    Ok(full)
}

/// Writes a merged file in place of what the checkout put there, atomically.
fn write_work_file(workdir: &Path, path: &str, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let full = work_path(workdir, path)?;
    let parent = full.parent().unwrap_or(workdir);
    std::fs::create_dir_all(parent).map_err(|e| Error::io("create", parent, &e))?;
    let mut temp =
        tempfile::NamedTempFile::new_in(parent).map_err(|e| Error::io("write in", parent, &e))?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| Error::io("write", &full, &e))?;
    if let Ok(meta) = std::fs::metadata(&full) {
        let _ = std::fs::set_permissions(temp.path(), meta.permissions());
    }
    temp.persist(&full)
        .map_err(|e| Error::io("replace", &full, &e.error))?;
    Ok(())
}

/// Removes a file the checkout wrote at a path the merged file does not keep.
fn remove_work_file(workdir: &Path, path: &str) -> Result<()> {
    let full = work_path(workdir, path)?;
    match std::fs::remove_file(&full) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("remove", &full, &e)),
    }
}

/// The line (1-based) of the first conflict marker in the work-tree file `path`.
fn first_marker(workdir: &Path, path: &str) -> Option<usize> {
    std::fs::read(workdir.join(path))
        .ok()
        .and_then(|bytes| marker_line(&bytes))
}

/// The line (1-based) of the first line of `bytes` that opens, splits or closes a
/// conflict as git writes them (`<<<<<<< `, `=======`, `>>>>>>> `).
pub(crate) fn marker_line(bytes: &[u8]) -> Option<usize> {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .position(|line| {
            let line = line.trim_end_matches('\r');
            line.starts_with("<<<<<<< ")
                || line == "<<<<<<<"
                || line == "======="
                || line.starts_with(">>>>>>> ")
                || line == ">>>>>>>"
        })
        .map(|n| n + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_found_at_their_line() {
        assert_eq!(
            marker_line(b"a\nb\n<<<<<<< ours\nc\n=======\nd\n>>>>>>> theirs\n"),
            Some(3)
        );
        assert_eq!(marker_line(b"a\n=======\n"), Some(2));
        assert_eq!(marker_line(b"a: '<<<<<<< x'\nb: ==\n"), None);
    }

    #[test]
    fn conflict_stages_are_in_the_entry_flags() {
        let entry = stage_entry("customers/ada.yaml", Oid::zero(), 0o100_644, 3);
        assert_eq!(entry.flags >> 12, 3);
        assert_eq!(usize::from(entry.flags & 0xfff), "customers/ada.yaml".len());
    }
}
