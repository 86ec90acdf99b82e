//! The only user of git2. Creating repositories, committing exactly the files crm
//! changed, reading status and history, reverting crm's own commits, merging another
//! clone's commits in. Runs the git binary only in [`transport`], for fetch, push and
//! clone; never touches files outside the book it was opened for (apart from the
//! repository's own `.git` data, and the files a merge or fast-forward checks out).
//!
//! The book may be the whole work tree or a folder inside a bigger one; every path
//! crm hands to git is made relative to the work tree here, with `/` separators.

mod changes;
mod log;
mod lookup;
mod policy;
mod revert;
mod scan;
mod stage;
mod sync;
pub(crate) mod transport;

use std::path::{Path, PathBuf};

use git2::{Oid, Repository, Signature};

use crate::error::{Error, ErrorKind, Result};
use crate::store::Config;

pub(crate) use changes::{blob_id, FileChange, Unchanged};
pub(crate) use log::LogEntry;
pub(crate) use policy::{customer_stem, finish_write, other_change, warn_unsigned, CRM_TRAILER};
pub(crate) use sync::{Conflict, FileMerge, Incoming, Integrated, Upstream};

/// Opens the repository containing `path`, if any.
pub(crate) fn discover(path: &Path) -> Option<Repository> {
    Repository::discover(path).ok()
}

/// Creates a repository at `dir`.
pub(crate) fn init(dir: &Path) -> Result<Repository> {
    Ok(Repository::init(dir)?)
}

/// Who crm's commits are by: the author and the committer, each a name and an email,
/// found once (see [`identity`]); each commit is stamped with the time it is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identity {
    author: (String, String),
    committer: (String, String),
}

impl Identity {
    /// The author's signature, stamped now.
    fn author(&self) -> Result<Signature<'static>> {
        Ok(Signature::now(&self.author.0, &self.author.1)?)
    }

    /// The committer's signature, stamped now.
    fn committer(&self) -> Result<Signature<'static>> {
        Ok(Signature::now(&self.committer.0, &self.committer.1)?)
    }
}

/// The identity for crm's commits, found as git finds it, each of name and email on its
/// own (one may come from the environment and the other from a config file):
/// `GIT_AUTHOR_NAME` / `GIT_AUTHOR_EMAIL`, then `author.name` / `author.email` and
/// `user.name` / `user.email` in git's config (repository, then global), then `EMAIL`
/// for the email, falling back to `[git] name` / `email` in crm.toml. The committer
/// likewise from `GIT_COMMITTER_*`, `committer.*` and `user.*`, then `EMAIL`, each half
/// falling back to the author's.
pub(crate) fn identity(repo: &Repository, config: &Config) -> Result<Identity> {
    let git_config = repo.config().ok();
    let name = identity_part(
        git_config.as_ref(),
        "GIT_AUTHOR_NAME",
        &["author.name", "user.name"],
        None,
    )
    .or_else(|| non_blank(config.git.name.as_deref()));
    let email = identity_part(
        git_config.as_ref(),
        "GIT_AUTHOR_EMAIL",
        &["author.email", "user.email"],
        Some("EMAIL"),
    )
    .or_else(|| non_blank(config.git.email.as_deref()));
    let (name, email) = match (name, email) {
        (Some(name), Some(email)) => (name, email),
        (name, email) => {
            let missing = match (name, email) {
                (None, None) => "no user.name or user.email",
                (None, Some(_)) => "no user.name",
                _ => "no user.email",
            };
            return Err(Error::new(
                ErrorKind::Git,
                format!("no git identity to commit as: git has {missing} (nor GIT_AUTHOR_* variables) and crm.toml has no [git] name/email"),
            )
            .with_hint("run `git config --global user.name \"Your Name\"` and `git config --global user.email you@example.com`, or set them under [git] in crm.toml"));
        }
    };
    let committer = (
        identity_part(
            git_config.as_ref(),
            "GIT_COMMITTER_NAME",
            &["committer.name", "user.name"],
            None,
        )
        .unwrap_or_else(|| name.clone()),
        identity_part(
            git_config.as_ref(),
            "GIT_COMMITTER_EMAIL",
            &["committer.email", "user.email"],
            Some("EMAIL"),
        )
        .unwrap_or_else(|| email.clone()),
    );
    let identity = Identity {
        author: (name, email),
        committer,
    };
    // A name or email git cannot use (`<` or `>` in it) is refused now, before any
    // command writes a file it then could not commit.
    identity.author()?;
    identity.committer()?;
    Ok(identity)
}

/// One half of an identity: the environment variable `env`, else the first of `keys`
/// set in git's config, else the environment variable `last_env`. Blank values count
/// as unset (git refuses an empty name).
#[allow(
    clippy::disallowed_methods,
    reason = "git's own variables (GIT_AUTHOR_NAME, EMAIL, ...), read in git's order of precedence"
)]
fn identity_part(
    git_config: Option<&git2::Config>,
    env: &str,
    keys: &[&str],
    last_env: Option<&str>,
) -> Option<String> {
    let from_env = |key: &str| non_blank(std::env::var(key).ok().as_deref());
    from_env(env)
        .or_else(|| {
            let config = git_config?;
            keys.iter()
                .find_map(|key| non_blank(config.get_string(key).ok().as_deref()))
        })
        .or_else(|| last_env.and_then(from_env))
}

fn non_blank(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// Whether git's config asks for signed commits (`commit.gpgSign`), which crm does not
/// make.
pub(crate) fn wants_signed_commits(repo: &Repository) -> bool {
    repo.config()
        .and_then(|c| c.get_bool("commit.gpgsign"))
        .unwrap_or(false)
}

/// The path of `file` relative to the repository's work tree, with `/` separators.
pub(crate) fn repo_relative(repo: &Repository, file: &Path) -> Result<PathBuf> {
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

/// What committing a chosen set of files did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Committed {
    /// The new commit, or `None` when nothing changed.
    pub(crate) commit: Option<Oid>,
    /// Files left out because git ignores them and they are not tracked
    /// (work-tree paths, `/`-separated).
    pub(crate) ignored: Vec<String>,
}

/// Commits exactly `files` (their current content, or their deletion) on top of HEAD,
/// leaving every other file, staged or not, as it was. Works on an unborn branch and
/// a detached HEAD. The index is updated for these files only, so `git status`
/// agrees afterwards. Files that are git-ignored and not yet tracked are left out (and
/// listed in [`Committed::ignored`]). No commit is made when nothing would change.
pub(crate) fn commit_files(
    repo: &Repository,
    files: &[PathBuf],
    message: &str,
    who: &Identity,
) -> Result<Committed> {
    let mut paths = Vec::with_capacity(files.len());
    for file in files {
        paths.push(slash_path(&repo_relative(repo, file)?));
    }
    commit_paths(repo, &paths, message, who)
}

/// Whether the work-tree file `relative` is left out of crm's commits: git ignores it
/// and it is neither in the index nor in HEAD (`git add` would refuse it too).
fn left_out(
    repo: &Repository,
    index: &git2::Index,
    head_tree: Option<&git2::Tree<'_>>,
    relative: &Path,
) -> Result<bool> {
    // Cheapest test first: a file in the index is never left out, and looking it up in
    // HEAD's tree means reading a tree as large as the book.
    Ok(index.get_path(relative, 0).is_none()
        && repo.is_path_ignored(relative)?
        && head_tree.is_none_or(|t| t.get_path(relative).is_err()))
}

/// Stores `bytes` as the blob git would make of them for the work-tree file `path`:
/// through the repository's filters (`core.autocrlf`, `.gitattributes` `eol`/`text`),
/// exactly as `git add` does, so a CRLF file checked out on Windows is stored as LF.
fn filtered_blob(repo: &Repository, path: &str, bytes: &[u8]) -> Result<Oid> {
    use std::io::Write as _;
    let mut writer = repo.blob_writer(Some(Path::new(path)))?;
    writer
        .write_all(bytes)
        .map_err(|e| Error::new(ErrorKind::Git, format!("git: cannot store `{path}`: {e}")))?;
    Ok(writer.commit()?)
}

/// An uncommitted change to a file crm is about to commit, found just before crm
/// wrote to it (a person's edit, or a change of crm's own that was not committed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EarlierChange {
    /// The file, relative to the book root where inside it (`customers/ada.yaml`).
    pub(crate) path: String,
    /// Its content in HEAD (`None`: not committed yet).
    pub(crate) before: Option<Vec<u8>>,
    /// Its content just before crm wrote to it.
    pub(crate) after: Vec<u8>,
}

/// [`BookRepo::commit_earlier_changes`]'s work: the changes, the tree that holds them,
/// and the files left out because git ignores them.
struct EarlierTree {
    changes: Vec<EarlierChange>,
    tree: Option<Oid>,
    ignored: Vec<String>,
}

impl BookRepo {
    /// Commits, on their own and before crm's change, the uncommitted changes to files
    /// crm is about to commit: `originals` holds each file's bytes just before crm wrote
    /// it. Files whose content (after git's filters, such as `core.autocrlf`) matches
    /// HEAD are left out, and so are files git ignores and does not track. `message`
    /// writes the commit message from the changes found; it should carry no crm
    /// trailer, so `crm undo` never reverts a person's edits.
    pub(crate) fn commit_earlier_changes(
        &self,
        originals: &[(PathBuf, Vec<u8>)],
        who: &Identity,
        message: impl FnOnce(&[EarlierChange]) -> String,
    ) -> Result<Committed> {
        let repo = &self.repo;
        let head_commit = head_commit(repo)?;
        let found = self.earlier_tree(head_commit.as_ref(), originals)?;
        let Some(tree_id) = found.tree else {
            return Ok(Committed {
                commit: None,
                ignored: found.ignored,
            });
        };
        let tree = repo.find_tree(tree_id)?;
        let parents: Vec<&git2::Commit> = head_commit.iter().collect();
        let message = message(&found.changes);
        let oid = repo.commit(
            Some("HEAD"),
            &who.author()?,
            &who.committer()?,
            &message,
            &tree,
            &parents,
        )?;
        Ok(Committed {
            commit: Some(oid),
            ignored: found.ignored,
        })
    }

    /// The tree of HEAD with the changed `originals` in it (`None` when none changed).
    fn earlier_tree(
        &self,
        head_commit: Option<&git2::Commit<'_>>,
        originals: &[(PathBuf, Vec<u8>)],
    ) -> Result<EarlierTree> {
        let repo = &self.repo;
        let head_tree = head_commit.map(git2::Commit::tree).transpose()?;
        let index = repo.index()?;
        let mut entries: Vec<(String, Option<(Oid, i32)>)> = Vec::new();
        let mut changes = Vec::new();
        let mut ignored = Vec::new();
        for (file, bytes) in originals {
            let path = slash_path(&repo_relative(repo, file)?);
            if left_out(repo, &index, head_tree.as_ref(), Path::new(&path))? {
                ignored.push(path);
                continue;
            }
            let in_head = head_tree
                .as_ref()
                .and_then(|t| t.get_path(Path::new(&path)).ok());
            let head_id = in_head.as_ref().map(git2::TreeEntry::id);
            // Hashing in memory settles the usual case (the file is as committed)
            // without writing anything; only a difference is worth running git's
            // filters for.
            if head_id.is_some()
                && head_id == Some(Oid::hash_object(git2::ObjectType::Blob, bytes)?)
            {
                continue;
            }
            let blob = filtered_blob(repo, &path, bytes)?;
            if head_id == Some(blob) {
                continue;
            }
            let before = match head_id {
                Some(id) => Some(repo.find_blob(id)?.content().to_vec()),
                None => None,
            };
            let mode = in_head.map_or(i32::from(git2::FileMode::Blob), |entry| entry.filemode());
            changes.push(EarlierChange {
                path: self.shown_path(&path),
                before,
                after: bytes.clone(),
            });
            entries.push((path, Some((blob, mode))));
        }
        if entries.is_empty() {
            return Ok(EarlierTree {
                changes,
                tree: None,
                ignored,
            });
        }
        let borrowed: Vec<TreeChange> = entries
            .iter()
            .map(|(path, entry)| (path.split('/').collect(), *entry))
            .collect();
        let tree = match rebuild_tree(repo, head_tree, &borrowed)? {
            Some(id) => id,
            None => repo.treebuilder(None)?.write()?,
        };
        Ok(EarlierTree {
            changes,
            tree: Some(tree),
            ignored,
        })
    }
}

/// libgit2's two process-wide checks that crm turns off before reading or writing a
/// book's objects. Objects read back were written by git or crm and are checked by
/// `git fsck`: re-hashing every one on each read (a 100,000-entry tree is megabytes)
/// doubled the time of a commit in a large book, and git itself does not re-verify on
/// reads either. Every id crm puts in a tree is of an object just written or already in
/// one of the repository's trees: looking each up again to check it exists (one odb
/// read per entry inserted) cost a tenth of a commit of a thousand files.
fn trust_own_objects() {
    git2::opts::strict_hash_verification(false);
    git2::opts::strict_object_creation(false);
}

/// [`commit_files`] for paths already relative to the work tree (`/`-separated).
fn commit_paths(
    repo: &Repository,
    paths: &[String],
    message: &str,
    who: &Identity,
) -> Result<Committed> {
    trust_own_objects();
    let head_commit = head_commit(repo)?;
    let head_tree = head_commit.as_ref().map(git2::Commit::tree).transpose()?;
    let workdir = workdir(repo)?;
    let mut repo_index = repo.index()?;
    let mut changes: Vec<TreeChange> = Vec::with_capacity(paths.len());
    let mut ignored = Vec::new();
    // Through git's filters (line endings and the like) as `git add`, or hashed as they
    // are when no filter can apply to these files (see `stage`).
    let stager = stage::Stager::for_paths(repo, &repo_index, paths);
    for path in paths {
        let relative = Path::new(path);
        let components: Vec<&str> = path.split('/').collect();
        if let Ok(meta) = std::fs::symlink_metadata(workdir.join(relative)) {
            if left_out(repo, &repo_index, head_tree.as_ref(), relative)? {
                ignored.push(path.clone());
                continue;
            }
            let (id, mode) = stager.add(repo, &mut repo_index, &workdir, path, &meta)?;
            changes.push((components, Some((id, mode as i32))));
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
        return Ok(Committed {
            commit: None,
            ignored,
        });
    }
    let tree = repo.find_tree(tree_id)?;
    let parents: Vec<&git2::Commit> = head_commit.iter().collect();
    // The index first: if another git process holds it, no commit is made at all
    // (rather than a commit that `git status` then disagrees with).
    repo_index.write()?;
    let oid = repo.commit(
        Some("HEAD"),
        &who.author()?,
        &who.committer()?,
        message,
        &tree,
        &parents,
    )?;
    Ok(Committed {
        commit: Some(oid),
        ignored,
    })
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
pub(crate) enum Head {
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
pub(crate) struct BookRepo {
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
    pub(crate) fn open(book_root: &Path) -> Result<BookRepo> {
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
    pub(crate) fn repo(&self) -> &Repository {
        &self.repo
    }

    /// A book-relative path (`customers/ada.yaml`) as a work-tree path.
    pub(crate) fn to_repo_path(&self, book_path: &str) -> String {
        if self.prefix.is_empty() {
            book_path.to_string()
        } else {
            format!("{}/{book_path}", self.prefix)
        }
    }

    /// A work-tree path as a book-relative one, if it is inside the book.
    pub(crate) fn to_book_path<'a>(&self, repo_path: &'a str) -> Option<&'a str> {
        if self.prefix.is_empty() {
            Some(repo_path)
        } else {
            repo_path
                .strip_prefix(self.prefix.as_str())?
                .strip_prefix('/')
        }
    }

    /// A work-tree path as shown to people: book-relative when inside the book.
    pub(crate) fn shown_path(&self, repo_path: &str) -> String {
        self.to_book_path(repo_path)
            .unwrap_or(repo_path)
            .to_string()
    }

    /// Where HEAD is.
    pub(crate) fn head(&self) -> Result<Head> {
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
    pub(crate) fn ensure_no_operation(&self) -> Result<()> {
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
    pub(crate) fn is_dirty(&self, book_path: &str) -> bool {
        let path = self.to_repo_path(book_path);
        self.repo
            .status_file(Path::new(&path))
            .is_ok_and(|s| s != git2::Status::CURRENT && !s.contains(git2::Status::IGNORED))
    }

    /// Whether git's config asks for signed commits (see [`wants_signed_commits`]).
    pub(crate) fn wants_signed_commits(&self) -> bool {
        wants_signed_commits(&self.repo)
    }

    /// Registers `command` as git's `crm` merge driver (`merge.crm.driver`, which the
    /// book's `.gitattributes` names for customer files) in the repository's own
    /// config, unless git's config already names one; returns whether it did.
    pub(crate) fn register_merge_driver(&self, command: &str) -> Result<bool> {
        let config = self.repo.config()?;
        if config
            .get_string("merge.crm.driver")
            .is_ok_and(|d| !d.trim().is_empty())
        {
            return Ok(false);
        }
        let mut local = config.open_level(git2::ConfigLevel::Local)?;
        local.set_str("merge.crm.name", "crm's three-way merge of customer files")?;
        local.set_str("merge.crm.driver", command)?;
        Ok(true)
    }

    /// The identity to commit as (see [`identity`]).
    pub(crate) fn identity(&self, config: &Config) -> Result<Identity> {
        identity(&self.repo, config)
    }

    /// Commits the book files `book_paths` (book-relative; present ones with their
    /// current content, missing ones as deleted) and nothing else.
    pub(crate) fn commit_book_paths(
        &self,
        book_paths: &[String],
        message: &str,
        who: &Identity,
    ) -> Result<Committed> {
        let paths: Vec<String> = book_paths.iter().map(|p| self.to_repo_path(p)).collect();
        commit_paths(&self.repo, &paths, message, who)
    }
}

/// The first seven hex digits of a commit id, as people quote them.
pub(crate) fn short_id(oid: Oid) -> String {
    oid.to_string().chars().take(7).collect()
}

/// [`short_id`] of a commit id written out in full.
pub(crate) fn short_id_str(id: &str) -> String {
    id.chars().take(7).collect()
}

/// Whether `message` carries `trailer` as a line of its last paragraph.
pub(crate) fn has_trailer(message: &str, trailer: &str) -> bool {
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
