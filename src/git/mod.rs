//! The only user of git2. Creating repositories, committing exactly the files crm
//! changed, reading history. Never shells out to the git binary.

use std::path::{Path, PathBuf};

use git2::{Repository, Signature};

use crate::error::{Error, ErrorKind, Result};
use crate::store::Config;

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

/// The path of `file` relative to the repository's work tree, with `/` separators.
pub fn repo_relative(repo: &Repository, file: &Path) -> Result<PathBuf> {
    let workdir = repo
        .workdir()
        .ok_or_else(|| Error::new(ErrorKind::Git, "the repository is bare; crm needs a work tree"))?;
    let workdir = std::fs::canonicalize(workdir).map_err(|e| Error::io("open", workdir, &e))?;
    let parent = file.parent().unwrap_or(Path::new("."));
    let parent = std::fs::canonicalize(parent).map_err(|e| Error::io("open", parent, &e))?;
    let full = parent.join(file.file_name().unwrap_or_default());
    full.strip_prefix(&workdir)
        .map(Path::to_path_buf)
        .map_err(|_| Error::new(ErrorKind::Git, format!("`{}` is outside the repository", file.display())))
}

/// Commits exactly `files` (their current content, or their deletion) on top of HEAD,
/// leaving every other file, staged or not, as it was. Works on an unborn branch.
/// The index is updated for these files only, so `git status` agrees afterwards.
pub fn commit_files(repo: &Repository, files: &[PathBuf], message: &str, sig: &Signature<'_>) -> Result<git2::Oid> {
    let head_commit = match repo.head() {
        Ok(head) => Some(head.peel_to_commit()?),
        Err(e) if e.code() == git2::ErrorCode::UnbornBranch || e.code() == git2::ErrorCode::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    let mut tree_index = git2::Index::new()?;
    if let Some(commit) = &head_commit {
        tree_index.read_tree(&commit.tree()?)?;
    }
    let mut repo_index = repo.index()?;
    for file in files {
        let relative = repo_relative(repo, file)?;
        if file.exists() {
            repo_index.add_path(&relative)?;
            let entry = repo_index
                .get_path(&relative, 0)
                .ok_or_else(|| Error::new(ErrorKind::Git, format!("git did not stage `{}`", relative.display())))?;
            tree_index.add(&entry)?;
        } else {
            let _ = repo_index.remove_path(&relative);
            let _ = tree_index.remove_path(&relative);
        }
    }
    let tree_id = tree_index.write_tree_to(repo)?;
    let tree = repo.find_tree(tree_id)?;
    let parents: Vec<&git2::Commit> = head_commit.iter().collect();
    let oid = repo.commit(Some("HEAD"), sig, sig, message, &tree, &parents)?;
    repo_index.write()?;
    Ok(oid)
}
