//! What is uncommitted in the book: git's status narrowed to the book's own files,
//! with renames of customer files paired up by git's own similarity detection.

use git2::{Delta, DiffFindOptions, DiffOptions, ObjectType, Patch, Status, StatusOptions, Tree};
use std::collections::{BTreeMap, HashSet};

use super::lookup::TreeLookup;
use super::{head_commit, BookRepo};
use crate::error::Result;
use crate::store::readable::BlobKey;
use crate::store::CUSTOMERS_DIR;

/// One book file whose working version differs from the last commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileChange {
    /// The file, relative to the book root (`customers/ada.yaml`). For a deletion, the
    /// deleted file; for a rename, the new name.
    pub(crate) path: String,
    /// For a rename: the file's name in the last commit.
    pub(crate) renamed_from: Option<String>,
    /// For a rename: whether the content changed as well (`false` otherwise).
    pub(crate) renamed_with_edits: bool,
    /// The committed content (`None`: the file is new).
    pub(crate) before: Option<Vec<u8>>,
    /// Whether the file exists in the working tree (`false`: deleted).
    pub(crate) exists: bool,
    /// Whether git records an unresolved merge conflict on the file.
    pub(crate) conflicted: bool,
}

impl FileChange {
    /// Every book path a commit of this change must include.
    pub(crate) fn paths(&self) -> Vec<String> {
        let mut paths = vec![self.path.clone()];
        paths.extend(self.renamed_from.clone());
        paths
    }
}

/// What is uncommitted in the book, and which customer files git holds unchanged.
#[derive(Debug, Default)]
pub(crate) struct BookStatus {
    /// What [`BookRepo::changes`] finds.
    pub(crate) changes: Vec<FileChange>,
    /// Customer files (book paths) whose working file git found identical to its
    /// index entry and the index entry to HEAD (git reports nothing about them), with
    /// the blob id and size the index records: the content of the file now.
    pub(crate) unchanged: Unchanged,
    /// The names in the book's `customers/` folder, in byte order, when crm listed
    /// it itself to find the status (see `scan`); `None` when libgit2 did.
    pub(crate) listing: Option<Vec<std::ffi::OsString>>,
}

/// The customer files git holds unchanged, by book path (see [`BookStatus::unchanged`]):
/// sorted by path, as the index already is, so that a book of a hundred thousand files
/// costs one vector, not a hash map of as many strings.
#[derive(Debug, Default)]
pub(crate) struct Unchanged(Vec<(String, BlobKey)>);

impl Unchanged {
    /// A lookup for book paths asked in increasing order, as a listing of the folder
    /// gives them: each answer moves on from the last, so a whole book costs one pass
    /// over the files instead of a binary search per file. A path asked out of order is
    /// still found.
    pub(crate) fn in_order(&self) -> InOrder<'_> {
        InOrder {
            files: &self.0,
            at: 0,
        }
    }
}

/// See [`Unchanged::in_order`].
#[derive(Debug)]
pub(crate) struct InOrder<'a> {
    files: &'a [(String, BlobKey)],
    /// Every file before this one sorts before the last path asked.
    at: usize,
}

impl InOrder<'_> {
    /// The blob id and size the index records for `book_path`, if git holds it unchanged.
    pub(crate) fn get(&mut self, book_path: &str) -> Option<BlobKey> {
        while let Some((path, key)) = self.files.get(self.at) {
            match path.as_str().cmp(book_path) {
                std::cmp::Ordering::Less => self.at += 1,
                std::cmp::Ordering::Equal => {
                    self.at += 1;
                    return Some(*key);
                }
                std::cmp::Ordering::Greater => break,
            }
        }
        // Not ahead: behind, if asked out of order.
        let behind = &self.files[..self.at];
        let at = behind
            .binary_search_by(|(path, _)| path.as_str().cmp(book_path))
            .ok()?;
        Some(behind[at].1)
    }
}

// The index entry's flags, as git's index format defines them (and libgit2's
// `GIT_INDEX_ENTRY_*`), which git2 hands over as plain numbers.
const INDEX_STAGE_MASK: u16 = 0x3000;
const INDEX_ASSUME_UNCHANGED: u16 = 0x8000;
const INDEX_SKIP_WORKTREE: u16 = 0x4000;

const INDEX_CHANGED: Status = Status::INDEX_NEW
    .union(Status::INDEX_MODIFIED)
    .union(Status::INDEX_DELETED)
    .union(Status::INDEX_RENAMED)
    .union(Status::INDEX_TYPECHANGE);

const WORKTREE_CHANGED: Status = Status::WT_NEW
    .union(Status::WT_MODIFIED)
    .union(Status::WT_DELETED)
    .union(Status::WT_RENAMED)
    .union(Status::WT_TYPECHANGE);

impl BookRepo {
    /// The book files (those for which `is_book_file(book_path)` holds) whose working
    /// version differs from HEAD, staged or not, in path order. Git-ignored files that
    /// are not tracked are not listed. Content is compared as git compares it, after
    /// its filters (`core.autocrlf`, `.gitattributes`). A rename of a file for which
    /// `pairs` holds (to a name for which it holds) is reported as one change, found as
    /// `git diff -M` finds renames: by content similarity, edits allowed.
    pub(crate) fn changes(
        &self,
        is_book_file: &dyn Fn(&str) -> bool,
        pairs: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<FileChange>> {
        Ok(self.scan_status(is_book_file, pairs, false)?.changes)
    }

    /// [`BookRepo::changes`], and also the customer files git holds unchanged, with
    /// the blob id and size its index records for each (see [`BookStatus::unchanged`]).
    pub(crate) fn status(
        &self,
        is_book_file: &dyn Fn(&str) -> bool,
        pairs: &dyn Fn(&str) -> bool,
    ) -> Result<BookStatus> {
        self.scan_status(is_book_file, pairs, true)
    }

    fn scan_status(
        &self,
        is_book_file: &dyn Fn(&str) -> bool,
        pairs: &dyn Fn(&str) -> bool,
        with_unchanged: bool,
    ) -> Result<BookStatus> {
        super::trust_own_objects();
        let head_tree = head_commit(&self.repo)?.map(|c| c.tree()).transpose()?;
        let book = if self.prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", self.prefix)
        };
        // `customers/` as crm reads it when it can (see `scan`), the rest of the book by
        // libgit2; the whole book by libgit2 otherwise.
        let mut folder = super::scan::scan(&self.repo, &book, CUSTOMERS_DIR, head_tree.as_ref())?;
        let mut reported: Vec<(String, Status)> = Vec::new();
        if let Some(folder) = folder.as_mut() {
            reported.append(&mut folder.reported);
        }
        let pathspecs = match &folder {
            Some(folder) => folder.others.clone(),
            None if book.is_empty() => vec![],
            None => vec![book.clone()],
        };
        if folder.is_none() || !pathspecs.is_empty() {
            let mut options = StatusOptions::new();
            options
                .include_untracked(true)
                .recurse_untracked_dirs(true)
                .include_ignored(false)
                .exclude_submodules(true)
                .renames_head_to_index(false)
                .renames_index_to_workdir(false)
                // The book's folder is a path, not a pattern: `books[1]` must not match
                // `books1` only.
                .disable_pathspec_match(true);
            for pathspec in pathspecs {
                options.pathspec(pathspec);
            }
            let statuses = self.repo.statuses(Some(&mut options))?;
            for entry in statuses.iter() {
                let status = entry.status();
                if status == Status::CURRENT || status.contains(Status::IGNORED) {
                    continue;
                }
                // A path that is not UTF-8 is not a book file.
                if let Some(path) = entry.path() {
                    reported.push((path.to_string(), status));
                }
            }
        }
        // Each folder of HEAD's tree read once for all the changed files, not once each.
        let mut in_head = TreeLookup::new(&self.repo, head_tree.clone());
        let workdir = super::workdir(&self.repo)?;
        let mut found: BTreeMap<String, FileChange> = BTreeMap::new();
        for (repo_path, status) in &reported {
            let (repo_path, status) = (repo_path.as_str(), *status);
            let Some(book_path) = self.to_book_path(repo_path) else {
                continue;
            };
            if !is_book_file(book_path) {
                continue;
            }
            let committed = match in_head.entry(repo_path) {
                Some(item) if item.kind == Some(ObjectType::Blob) => Some(item.id),
                _ => None,
            };
            let exists = std::fs::symlink_metadata(workdir.join(repo_path)).is_ok();
            let conflicted = status.contains(Status::CONFLICTED);
            if !conflicted
                && (committed.is_none() && !exists
                    || committed.is_some()
                        && status.intersects(INDEX_CHANGED)
                        && status.intersects(WORKTREE_CHANGED)
                        && self.matches_head(head_tree.as_ref(), repo_path)?)
            {
                // Only the index differs, and committing the working file changes nothing.
                continue;
            }
            let before = match committed {
                Some(id) => Some(self.repo.find_blob(id)?.content().to_vec()),
                None => None,
            };
            found.insert(
                book_path.to_string(),
                FileChange {
                    path: book_path.to_string(),
                    renamed_from: None,
                    renamed_with_edits: false,
                    before,
                    exists,
                    conflicted,
                },
            );
        }
        self.pair_renames(&mut found, head_tree.as_ref(), pairs)?;
        let (unchanged, listing) = match folder {
            _ if !with_unchanged => (Unchanged::default(), None),
            Some(folder) => {
                use std::os::unix::ffi::OsStringExt as _;
                let listing = folder.names.into_iter().map(std::ffi::OsString::from_vec);
                (self.book_paths(folder.unchanged), Some(listing.collect()))
            }
            None => {
                let reported: HashSet<&[u8]> = reported.iter().map(|(p, _)| p.as_bytes()).collect();
                (self.unchanged_customers(&reported)?, None)
            }
        };
        Ok(BookStatus {
            changes: found.into_values().collect(),
            unchanged,
            listing,
        })
    }

    /// The index's entries for the files under the book's `customers/` that git did
    /// not report (`reported`), by book path: regular files at stage 0 that git
    /// compares (not marked assume-unchanged or skip-worktree).
    fn unchanged_customers(&self, reported: &HashSet<&[u8]>) -> Result<Unchanged> {
        // The index `statuses` has just read (and refreshed): the repository keeps it.
        let index = self.repo.index()?;
        let folder = self.to_repo_path(&format!("{CUSTOMERS_DIR}/"));
        // The part of a work-tree path before the book path (`sales/book/`), if any.
        let book_start = if self.prefix.is_empty() {
            0
        } else {
            self.prefix.len() + 1
        };
        let mut unchanged = Vec::with_capacity(index.len());
        for entry in index.iter() {
            if !entry.path.starts_with(folder.as_bytes()) || reported.contains(&entry.path[..]) {
                continue;
            }
            let stage = (entry.flags & INDEX_STAGE_MASK) >> 12;
            if stage != 0
                || entry.flags & INDEX_ASSUME_UNCHANGED != 0
                || entry.flags_extended & INDEX_SKIP_WORKTREE != 0
                || entry.mode & 0o170_000 != 0o100_000
            {
                continue;
            }
            let mut id = [0; 20];
            id.copy_from_slice(entry.id.as_bytes());
            let key = BlobKey {
                id,
                size: u64::from(entry.file_size),
            };
            // The entry's own path, made the book path in place (it starts with the
            // book's folder, checked above).
            let Ok(mut book_path) = String::from_utf8(entry.path) else {
                continue;
            };
            book_path.drain(..book_start);
            unchanged.push((book_path, key));
        }
        // Already in order, unless git sorts its index ignoring case (`core.ignorecase`).
        unchanged.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(Unchanged(unchanged))
    }

    /// [`Unchanged`] of files given by work-tree path, in path order.
    fn book_paths(&self, files: Vec<(String, BlobKey)>) -> Unchanged {
        let book_start = if self.prefix.is_empty() {
            0
        } else {
            self.prefix.len() + 1
        };
        Unchanged(
            files
                .into_iter()
                .map(|(mut path, key)| {
                    path.drain(..book_start);
                    (path, key)
                })
                .collect(),
        )
    }

    /// Whether the working file `repo_path` has HEAD's content, as git compares it (a
    /// file staged one way and then changed back in the work tree).
    fn matches_head(&self, head_tree: Option<&Tree<'_>>, repo_path: &str) -> Result<bool> {
        let mut options = DiffOptions::new();
        options.pathspec(repo_path).disable_pathspec_match(true);
        let diff = self
            .repo
            .diff_tree_to_workdir(head_tree, Some(&mut options))?;
        Ok(diff.deltas().len() == 0)
    }

    /// Folds a deleted file and a new file that git's rename detection pairs (the
    /// default 50% similarity, the same rule `crm history` follows) into one rename.
    fn pair_renames(
        &self,
        found: &mut BTreeMap<String, FileChange>,
        head_tree: Option<&Tree<'_>>,
        pairs: &dyn Fn(&str) -> bool,
    ) -> Result<()> {
        let is_candidate =
            |c: &FileChange| c.renamed_from.is_none() && !c.conflicted && pairs(&c.path);
        let deleted: Vec<String> = found
            .values()
            .filter(|c| !c.exists && c.before.is_some() && is_candidate(c))
            .map(|c| c.path.clone())
            .collect();
        let added: Vec<String> = found
            .values()
            .filter(|c| c.exists && c.before.is_none() && is_candidate(c))
            .map(|c| c.path.clone())
            .collect();
        if deleted.is_empty() || added.is_empty() {
            return Ok(());
        }
        let mut options = DiffOptions::new();
        options
            .include_untracked(true)
            .recurse_untracked_dirs(true)
            .show_untracked_content(true)
            .disable_pathspec_match(true);
        // Their folders, not each file: thousands of literal pathspecs are matched one
        // by one against every file, while a folder or two costs what `status` did.
        let mut folders: Vec<String> = deleted
            .iter()
            .chain(&added)
            .map(|p| match p.rsplit_once('/') {
                Some((folder, _)) => format!("{}/", self.to_repo_path(folder)),
                None => self.to_repo_path(p),
            })
            .collect();
        folders.sort();
        folders.dedup();
        for folder in folders {
            options.pathspec(folder);
        }
        let mut diff = self
            .repo
            .diff_tree_to_workdir_with_index(head_tree, Some(&mut options))?;
        diff.find_similar(Some(
            DiffFindOptions::new().renames(true).for_untracked(true),
        ))?;
        let mut renames = Vec::new();
        for (index, delta) in diff.deltas().enumerate() {
            if delta.status() != Delta::Renamed {
                continue;
            }
            let (Some(old), Some(new)) = (delta.old_file().path(), delta.new_file().path()) else {
                continue;
            };
            let (old, new) = (super::slash_path(old), super::slash_path(new));
            let (Some(old), Some(new)) = (self.to_book_path(&old), self.to_book_path(&new)) else {
                continue;
            };
            if !deleted.iter().any(|p| p == old) || !added.iter().any(|p| p == new) {
                continue;
            }
            let edited = match Patch::from_diff(&diff, index)? {
                Some(patch) => {
                    let (_, additions, deletions) = patch.line_stats()?;
                    additions + deletions > 0
                }
                None => delta.old_file().id() != delta.new_file().id(),
            };
            renames.push((old.to_string(), new.to_string(), edited));
        }
        for (old_path, new_path, edited) in renames {
            let Some(old) = found.remove(&old_path) else {
                continue;
            };
            if let Some(new) = found.get_mut(&new_path) {
                new.renamed_from = Some(old_path);
                new.renamed_with_edits = edited;
                new.before = old.before;
            }
        }
        Ok(())
    }
}

/// git's blob id of `bytes` (as `git hash-object` computes it, without filters).
pub(crate) fn blob_id(bytes: &[u8]) -> Option<[u8; 20]> {
    let oid = git2::Oid::hash_object(ObjectType::Blob, bytes).ok()?;
    oid.as_bytes().try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_asked_in_order_or_out_of_it_are_found() {
        let key = |n: u8| BlobKey {
            id: [n; 20],
            size: u64::from(n),
        };
        let files = Unchanged(
            ["customers/a.yaml", "customers/c.yaml", "customers/d.yaml"]
                .iter()
                .zip(1..)
                .map(|(p, n)| (p.to_string(), key(n)))
                .collect(),
        );
        let mut lookup = files.in_order();
        assert_eq!(lookup.get("customers/a.yaml"), Some(key(1)));
        assert_eq!(lookup.get("customers/b.yaml"), None);
        assert_eq!(lookup.get("customers/d.yaml"), Some(key(3)));
        // Behind the last answer, and past the end.
        assert_eq!(lookup.get("customers/c.yaml"), Some(key(2)));
        assert_eq!(lookup.get("customers/a.yaml"), Some(key(1)));
        assert_eq!(lookup.get("customers/e.yaml"), None);
        assert_eq!(lookup.get("customers/d.yaml"), Some(key(3)));
    }
}
