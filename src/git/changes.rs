//! What is uncommitted in the book: git's status narrowed to the book's own files,
//! with exact renames of customer files paired up.

use std::collections::BTreeMap;

use git2::{ObjectType, Oid, Status, StatusOptions};

use super::{head_commit, workdir, BookRepo};
use crate::error::Result;

/// One book file whose working version differs from the last commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// The file, relative to the book root (`customers/ada.yaml`). For a deletion, the
    /// deleted file; for a rename, the new name.
    pub path: String,
    /// For a rename: the file's name in the last commit.
    pub renamed_from: Option<String>,
    /// The committed content (`None`: the file is new).
    pub before: Option<Vec<u8>>,
    /// Whether the file exists in the working tree (`false`: deleted).
    pub exists: bool,
    /// Whether git records an unresolved merge conflict on the file.
    pub conflicted: bool,
}

impl FileChange {
    /// Every book path a commit of this change must include.
    pub fn paths(&self) -> Vec<String> {
        let mut paths = vec![self.path.clone()];
        paths.extend(self.renamed_from.clone());
        paths
    }
}

impl BookRepo {
    /// The book files (those for which `is_book_file(book_path)` holds) whose working
    /// version differs from HEAD, staged or not, in path order. Git-ignored files that
    /// are not tracked are not listed. An exact rename of a file for which `pairs`
    /// holds is reported as one change.
    pub fn changes(
        &self,
        is_book_file: &dyn Fn(&str) -> bool,
        pairs: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<FileChange>> {
        let mut options = StatusOptions::new();
        options
            .include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(false)
            .exclude_submodules(true)
            .renames_head_to_index(false)
            .renames_index_to_workdir(false);
        if !self.prefix.is_empty() {
            options.pathspec(format!("{}/", self.prefix));
        }
        let statuses = self.repo.statuses(Some(&mut options))?;
        let head_tree = head_commit(&self.repo)?.map(|c| c.tree()).transpose()?;
        let workdir = workdir(&self.repo)?;
        let mut found: BTreeMap<String, FileChange> = BTreeMap::new();
        let mut new_hashes: BTreeMap<String, Oid> = BTreeMap::new();
        for entry in statuses.iter() {
            let status = entry.status();
            if status == Status::CURRENT || status.contains(Status::IGNORED) {
                continue;
            }
            let Some(repo_path) = entry.path() else {
                continue;
            };
            let Some(book_path) = self.to_book_path(repo_path) else {
                continue;
            };
            if !is_book_file(book_path) {
                continue;
            }
            let committed = match &head_tree {
                Some(tree) => match tree.get_path(std::path::Path::new(repo_path)) {
                    Ok(item) if item.kind() == Some(ObjectType::Blob) => Some(item.id()),
                    _ => None,
                },
                None => None,
            };
            let on_disk = workdir.join(repo_path);
            let exists = std::fs::symlink_metadata(&on_disk).is_ok();
            let current = if exists && on_disk.is_file() {
                Oid::hash_file(ObjectType::Blob, &on_disk).ok()
            } else {
                None
            };
            let conflicted = status.contains(Status::CONFLICTED);
            if !conflicted
                && (committed.is_none() && !exists || committed.is_some() && committed == current)
            {
                // Only the index differs, and committing the working file changes nothing.
                continue;
            }
            let before = match committed {
                Some(id) => Some(self.repo.find_blob(id)?.content().to_vec()),
                None => None,
            };
            if before.is_none() {
                if let Some(hash) = current {
                    new_hashes.insert(book_path.to_string(), hash);
                }
            }
            found.insert(
                book_path.to_string(),
                FileChange {
                    path: book_path.to_string(),
                    renamed_from: None,
                    before,
                    exists,
                    conflicted,
                },
            );
        }
        pair_renames(&mut found, &new_hashes, pairs);
        Ok(found.into_values().collect())
    }
}

/// Folds a deleted file and a new file with the same content into one rename.
fn pair_renames(
    found: &mut BTreeMap<String, FileChange>,
    new_hashes: &BTreeMap<String, Oid>,
    pairs: &dyn Fn(&str) -> bool,
) {
    let deleted: Vec<(String, Oid)> = found
        .values()
        .filter(|c| !c.exists && pairs(&c.path))
        .filter_map(|c| {
            c.before
                .as_ref()
                .map(|b| (c.path.clone(), Oid::hash_object(ObjectType::Blob, b)))
        })
        .filter_map(|(path, hash)| hash.ok().map(|h| (path, h)))
        .collect();
    for (old_path, old_hash) in deleted {
        let partner = new_hashes
            .iter()
            .find(|(path, hash)| {
                **hash == old_hash
                    && pairs(path)
                    && found.get(*path).is_some_and(|c| c.renamed_from.is_none())
            })
            .map(|(path, _)| path.clone());
        if let Some(new_path) = partner {
            let Some(old) = found.remove(&old_path) else {
                continue;
            };
            if let Some(new) = found.get_mut(&new_path) {
                new.renamed_from = Some(old_path);
                new.before = old.before;
            }
        }
    }
}
