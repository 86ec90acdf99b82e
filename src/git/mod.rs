//! The only user of git2. Creating repositories, committing exactly the files crm
//! changed, reading status and history, reverting crm's own commits. Never shells out
//! to the git binary, and never touches files outside the book it was opened for
//! (apart from the repository's own `.git` data).
//!
//! The book may be the whole work tree or a folder inside a bigger one; every path
//! crm hands to git is made relative to the work tree here, with `/` separators.

mod changes;
mod log;
mod revert;

use std::path::{Path, PathBuf};

use git2::{Oid, Repository, Signature};

use crate::error::{Error, ErrorKind, Result};
use crate::store::Config;

pub use changes::FileChange;
pub use log::LogEntry;
pub use revert::Undone;

/// Opens the repository containing `path`, if any.
pub fn discover(path: &Path) -> Option<Repository> {
    Repository::discover(path).ok()
}

/// Creates a repository at `dir`.
pub fn init(dir: &Path) -> Result<Repository> {
    Ok(Repository::init(dir)?)
}

/// The identity for crm's commits, found as git finds it: `GIT_AUTHOR_NAME` and
/// `GIT_AUTHOR_EMAIL`, then git's config (repository, then global), falling back to
/// `[git] name`/`email` in crm.toml.
pub fn signature(repo: &Repository, config: &Config) -> Result<Signature<'static>> {
    let from_env = |key: &str| std::env::var(key).ok().filter(|v| !v.trim().is_empty());
    if let (Some(name), Some(email)) = (from_env("GIT_AUTHOR_NAME"), from_env("GIT_AUTHOR_EMAIL")) {
        return Ok(Signature::now(name.trim(), email.trim())?);
    }
    if let Ok(sig) = repo.signature() {
        return Ok(sig.to_owned());
    }
    match (&config.git.name, &config.git.email) {
        (Some(name), Some(email)) if !name.trim().is_empty() && !email.trim().is_empty() => {
            Ok(Signature::now(name.trim(), email.trim())?)
        }
        _ => Err(Error::new(
            ErrorKind::Git,
            "no git identity to commit as: git has no user.name/user.email and crm.toml has no [git] name/email",
        )
        .with_hint("run `git config --global user.name \"Your Name\"` and `git config --global user.email you@example.com`, or set them under [git] in crm.toml")),
    }
}

/// The committer for a commit by `author`: `GIT_COMMITTER_NAME`/`GIT_COMMITTER_EMAIL`
/// when both are set (as git does), otherwise the author.
fn committer(author: &Signature<'_>) -> Result<Signature<'static>> {
    let from_env = |key: &str| std::env::var(key).ok().filter(|v| !v.trim().is_empty());
    match (
        from_env("GIT_COMMITTER_NAME"),
        from_env("GIT_COMMITTER_EMAIL"),
    ) {
        (Some(name), Some(email)) => Ok(Signature::now(name.trim(), email.trim())?),
        _ => Ok(author.to_owned()),
    }
}

/// The path of `file` relative to the repository's work tree, with `/` separators.
pub fn repo_relative(repo: &Repository, file: &Path) -> Result<PathBuf> {
    let workdir = workdir(repo)?;
    let parent = file.parent().unwrap_or(Path::new("."));
    let parent = std::fs::canonicalize(parent).map_err(|e| Error::io("open", parent, &e))?;
    let full = parent.join(file.file_name().unwrap_or_default());
    full.strip_prefix(&workdir)
        .map(Path::to_path_buf)
        .map_err(|_| {
            Error::new(
                ErrorKind::Git,
                format!("`{}` is outside the repository", file.display()),
            )
        })
}

/// The canonical work tree of `repo`; a bare repository is refused.
fn workdir(repo: &Repository) -> Result<PathBuf> {
    let workdir = repo.workdir().ok_or_else(|| {
        Error::new(
            ErrorKind::Git,
            "the repository is bare; crm needs a work tree",
        )
        .with_hint("clone it (`git clone`) and point crm at the clone")
    })?;
    std::fs::canonicalize(workdir).map_err(|e| Error::io("open", workdir, &e))
}

/// Commits exactly `files` (their current content, or their deletion) on top of HEAD,
/// leaving every other file, staged or not, as it was. Works on an unborn branch and
/// a detached HEAD. The index is updated for these files only, so `git status`
/// agrees afterwards. Files that are git-ignored and not yet tracked are left out.
/// Returns `None` (and makes no commit) when nothing would change.
pub fn commit_files(
    repo: &Repository,
    files: &[PathBuf],
    message: &str,
    sig: &Signature<'_>,
) -> Result<Option<Oid>> {
    let mut paths = Vec::with_capacity(files.len());
    for file in files {
        paths.push(slash_path(&repo_relative(repo, file)?));
    }
    commit_paths(repo, &paths, message, sig)
}

/// Commits, on their own and before crm's change, the uncommitted edits a person made to
/// files crm is about to commit: `originals` holds each file's bytes just before crm
/// wrote it. Files whose bytes match HEAD are left out. The commit carries no crm
/// trailer, so `crm undo` never reverts a person's edits. Returns `None` when there was
/// nothing of the person's to commit.
pub fn commit_hand_edits(
    repo: &Repository,
    originals: &[(PathBuf, Vec<u8>)],
    sig: &Signature<'_>,
) -> Result<Option<Oid>> {
    let head_commit = head_commit(repo)?;
    let head_tree = head_commit.as_ref().map(git2::Commit::tree).transpose()?;
    let mut changes: Vec<(String, Option<(Oid, i32)>)> = Vec::new();
    let mut names = Vec::new();
    for (file, bytes) in originals {
        let path = slash_path(&repo_relative(repo, file)?);
        let in_head = head_tree
            .as_ref()
            .and_then(|t| t.get_path(Path::new(&path)).ok());
        let blob = Oid::hash_object(git2::ObjectType::Blob, bytes)?;
        if in_head.as_ref().is_some_and(|entry| entry.id() == blob) {
            continue;
        }
        let mode = in_head.map_or(i32::from(git2::FileMode::Blob), |entry| entry.filemode());
        let written = repo.blob(bytes)?;
        names.push(
            Path::new(&path)
                .file_stem()
                .map_or_else(|| path.clone(), |s| s.to_string_lossy().into_owned()),
        );
        changes.push((path, Some((written, mode))));
    }
    if changes.is_empty() {
        return Ok(None);
    }
    let borrowed: Vec<TreeChange> = changes
        .iter()
        .map(|(path, entry)| (path.split('/').collect(), *entry))
        .collect();
    let tree_id = match rebuild_tree(repo, head_tree, &borrowed)? {
        Some(id) => id,
        None => repo.treebuilder(None)?.write()?,
    };
    let tree = repo.find_tree(tree_id)?;
    let parents: Vec<&git2::Commit> = head_commit.iter().collect();
    let message = format!(
        "edit {} (by hand)\n\nUncommitted edits found when crm committed its own change to the\nsame file{}, committed apart so that the two stay separable.\n",
        names.join(", "),
        if names.len() == 1 { "" } else { "s" }
    );
    let committer = committer(sig)?;
    Ok(Some(repo.commit(
        Some("HEAD"),
        sig,
        &committer,
        &message,
        &tree,
        &parents,
    )?))
}

/// [`commit_files`] for paths already relative to the work tree (`/`-separated).
fn commit_paths(
    repo: &Repository,
    paths: &[String],
    message: &str,
    sig: &Signature<'_>,
) -> Result<Option<Oid>> {
    // Objects read back here were written by git or crm and are checked by `git fsck`;
    // re-hashing every one on each read (a 100,000-entry tree is megabytes) doubled the
    // time of a commit in a large book. git itself does not re-verify on reads either.
    git2::opts::strict_hash_verification(false);
    let head_commit = head_commit(repo)?;
    let head_tree = head_commit.as_ref().map(git2::Commit::tree).transpose()?;
    let workdir = workdir(repo)?;
    let mut repo_index = repo.index()?;
    let mut changes: Vec<TreeChange> = Vec::with_capacity(paths.len());
    for path in paths {
        let relative = Path::new(path);
        let components: Vec<&str> = path.split('/').collect();
        if std::fs::symlink_metadata(workdir.join(relative)).is_ok() {
            // Cheapest test first: a file in the index is never skipped, and looking it
            // up in HEAD's tree means reading a tree as large as the book.
            if repo_index.get_path(relative, 0).is_none()
                && repo.is_path_ignored(relative)?
                && head_tree
                    .as_ref()
                    .is_none_or(|t| t.get_path(relative).is_err())
            {
                continue;
            }
            repo_index.add_path(relative)?;
            let entry = repo_index
                .get_path(relative, 0)
                .ok_or_else(|| Error::new(ErrorKind::Git, format!("git did not stage `{path}`")))?;
            changes.push((components, Some((entry.id, entry.mode as i32))));
        } else {
            // Absent from the index or the tree already is fine: the file is gone either way.
            let _ = repo_index.remove_path(relative);
            changes.push((components, None));
        }
    }
    // Only the trees on the changed paths are rebuilt; reading HEAD's whole tree into
    // an index and writing it back costs time in proportion to the book's size.
    let tree_id = match rebuild_tree(repo, head_tree.clone(), &changes)? {
        Some(id) => id,
        None => repo.treebuilder(None)?.write()?,
    };
    if head_tree.as_ref().is_some_and(|t| t.id() == tree_id) {
        repo_index.write()?;
        return Ok(None);
    }
    let tree = repo.find_tree(tree_id)?;
    let parents: Vec<&git2::Commit> = head_commit.iter().collect();
    let committer = committer(sig)?;
    let oid = repo.commit(Some("HEAD"), sig, &committer, message, &tree, &parents)?;
    repo_index.write()?;
    Ok(Some(oid))
}

/// One change to a tree: a path split into components, and the new blob and file mode,
/// or `None` to remove the path.
type TreeChange<'a> = (Vec<&'a str>, Option<(Oid, i32)>);

/// `base` with `changes` applied (each a path split into components and the new blob
/// and mode, or `None` to remove it). Sub-trees are rebuilt only where a change falls,
/// each once however many changes it holds. `None` when the result is empty.
fn rebuild_tree(
    repo: &Repository,
    base: Option<git2::Tree<'_>>,
    changes: &[TreeChange],
) -> Result<Option<Oid>> {
    let mut builder = repo.treebuilder(base.as_ref())?;
    let mut by_name: std::collections::BTreeMap<&str, Vec<TreeChange>> =
        std::collections::BTreeMap::new();
    for (components, entry) in changes {
        let Some((first, rest)) = components.split_first() else {
            continue;
        };
        if rest.is_empty() {
            match entry {
                Some((id, mode)) => {
                    builder.insert(first, *id, *mode)?;
                }
                None => {
                    if builder.get(first)?.is_some() {
                        builder.remove(first)?;
                    }
                }
            }
        } else {
            by_name
                .entry(first)
                .or_default()
                .push((rest.to_vec(), *entry));
        }
    }
    for (name, sub_changes) in by_name {
        let sub_base = match builder.get(name)? {
            Some(entry) if entry.kind() == Some(git2::ObjectType::Tree) => {
                Some(repo.find_tree(entry.id())?)
            }
            _ => None,
        };
        match rebuild_tree(repo, sub_base, &sub_changes)? {
            Some(id) => {
                builder.insert(name, id, i32::from(git2::FileMode::Tree))?;
            }
            None => {
                if builder.get(name)?.is_some() {
                    builder.remove(name)?;
                }
            }
        }
    }
    if builder.is_empty() {
        return Ok(None);
    }
    Ok(Some(builder.write()?))
}

/// The commit HEAD points at, or `None` on an unborn branch.
fn head_commit(repo: &Repository) -> Result<Option<git2::Commit<'_>>> {
    match repo.head() {
        Ok(head) => Ok(Some(head.peel_to_commit()?)),
        Err(e)
            if e.code() == git2::ErrorCode::UnbornBranch
                || e.code() == git2::ErrorCode::NotFound =>
        {
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Where HEAD is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head {
    /// On a branch; `commit` is `None` while the branch is unborn (no commits yet).
    Branch {
        /// The branch's short name.
        name: String,
        /// The commit it points at.
        commit: Option<String>,
    },
    /// HEAD points straight at a commit.
    Detached {
        /// The commit's id.
        commit: String,
    },
}

/// The repository a book lives in, and where in its work tree the book is.
pub struct BookRepo {
    repo: Repository,
    /// The book root relative to the work tree, `/`-separated; empty at the top.
    prefix: String,
}

impl std::fmt::Debug for BookRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BookRepo")
            .field("path", &self.repo.path())
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl BookRepo {
    /// Opens the repository holding the book rooted at `book_root` (the repository may
    /// be above it). A book outside any repository gets a clear error.
    pub fn open(book_root: &Path) -> Result<BookRepo> {
        let repo = Repository::discover(book_root).map_err(|_| {
            Error::new(
                ErrorKind::Git,
                format!(
                    "the book `{}` is not inside a git repository",
                    book_root.display()
                ),
            )
            .with_hint("run `git init` in the book folder to start keeping its history")
        })?;
        let workdir = workdir(&repo)?;
        let root =
            std::fs::canonicalize(book_root).map_err(|e| Error::io("open", book_root, &e))?;
        let prefix = root.strip_prefix(&workdir).map(slash_path).map_err(|_| {
            Error::new(
                ErrorKind::Git,
                format!(
                    "the book `{}` is outside the work tree of its repository",
                    book_root.display()
                ),
            )
        })?;
        Ok(BookRepo { repo, prefix })
    }

    /// The underlying repository.
    pub fn repo(&self) -> &Repository {
        &self.repo
    }

    /// A book-relative path (`customers/ada.yaml`) as a work-tree path.
    pub fn to_repo_path(&self, book_path: &str) -> String {
        if self.prefix.is_empty() {
            book_path.to_string()
        } else {
            format!("{}/{book_path}", self.prefix)
        }
    }

    /// A work-tree path as a book-relative one, if it is inside the book.
    pub fn to_book_path<'a>(&self, repo_path: &'a str) -> Option<&'a str> {
        if self.prefix.is_empty() {
            Some(repo_path)
        } else {
            repo_path
                .strip_prefix(self.prefix.as_str())?
                .strip_prefix('/')
        }
    }

    /// A work-tree path as shown to people: book-relative when inside the book.
    pub(super) fn shown_path(&self, repo_path: &str) -> String {
        self.to_book_path(repo_path)
            .unwrap_or(repo_path)
            .to_string()
    }

    /// Where HEAD is.
    pub fn head(&self) -> Result<Head> {
        let detached = self.repo.head_detached().unwrap_or(false);
        let commit = head_commit(&self.repo)?.map(|c| c.id().to_string());
        if detached {
            let commit = commit.ok_or_else(|| {
                Error::new(ErrorKind::Git, "HEAD is detached but points at nothing")
            })?;
            return Ok(Head::Detached { commit });
        }
        let name = match self
            .repo
            .find_reference("HEAD")
            .ok()
            .and_then(|r| r.symbolic_target().map(str::to_string))
        {
            Some(target) => target
                .strip_prefix("refs/heads/")
                .unwrap_or(&target)
                .to_string(),
            None => "HEAD".to_string(),
        };
        Ok(Head::Branch { name, commit })
    }

    /// Refuses to go on while git is in the middle of a merge, rebase, cherry-pick or
    /// similar: a commit made then would not be the one the person is putting together.
    pub fn ensure_no_operation(&self) -> Result<()> {
        use git2::RepositoryState as S;
        let what = match self.repo.state() {
            S::Clean => return Ok(()),
            S::Merge => "merge",
            S::Revert | S::RevertSequence => "revert",
            S::CherryPick | S::CherryPickSequence => "cherry-pick",
            S::Bisect => "bisect",
            S::Rebase | S::RebaseInteractive | S::RebaseMerge => "rebase",
            S::ApplyMailbox | S::ApplyMailboxOrRebase => "`git am`",
        };
        Err(Error::new(
            ErrorKind::Conflict,
            format!("git is in the middle of a {what}; crm makes no commit until it is finished"),
        )
        .with_hint(
            "finish or abort it with git (`git status` says how), then run the command again",
        ))
    }

    /// Whether the book file `book_path` differs from the last commit (staged or not).
    pub fn is_dirty(&self, book_path: &str) -> bool {
        let path = self.to_repo_path(book_path);
        self.repo
            .status_file(Path::new(&path))
            .is_ok_and(|s| s != git2::Status::CURRENT && !s.contains(git2::Status::IGNORED))
    }

    /// The identity to commit as (see [`signature`]).
    pub fn signature(&self, config: &Config) -> Result<Signature<'static>> {
        signature(&self.repo, config)
    }

    /// Commits the book files `book_paths` (book-relative; present ones with their
    /// current content, missing ones as deleted) and nothing else. `None`: no change.
    pub fn commit_book_paths(
        &self,
        book_paths: &[String],
        message: &str,
        sig: &Signature<'_>,
    ) -> Result<Option<Oid>> {
        let paths: Vec<String> = book_paths.iter().map(|p| self.to_repo_path(p)).collect();
        commit_paths(&self.repo, &paths, message, sig)
    }
}

/// The first seven hex digits of a commit id, as people quote them.
pub fn short_id(oid: Oid) -> String {
    oid.to_string().chars().take(7).collect()
}

/// [`short_id`] of a commit id written out in full.
pub fn short_id_str(id: &str) -> String {
    id.chars().take(7).collect()
}

/// Whether `message` carries `trailer` as a line of its last paragraph.
pub fn has_trailer(message: &str, trailer: &str) -> bool {
    let trimmed = message.trim_end();
    let last = trimmed.rsplit("\n\n").next().unwrap_or(trimmed);
    last.lines().any(|line| line.trim() == trailer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailer_is_found_only_in_the_last_paragraph() {
        assert!(has_trailer(
            "add ada\n\nCommitted-by: crm\n",
            "Committed-by: crm"
        ));
        assert!(has_trailer(
            "add 2 customers\n\n- add a\n- add b\n\nCommitted-by: crm",
            "Committed-by: crm"
        ));
        assert!(!has_trailer(
            "add ada\n\nCommitted-by: crm\n\nsomething after",
            "Committed-by: crm"
        ));
        assert!(!has_trailer(
            "Committed-by: crm is mentioned",
            "Committed-by: crm"
        ));
    }
}
