//! The history of one file: the commits that changed it, newest first, following it
//! back through renames.

use std::path::Path;

use chrono::{DateTime, FixedOffset, TimeZone};
use git2::{Commit, DiffFindOptions, DiffFormat, DiffOptions, Oid, Sort, Tree};

use super::lookup::folder_id;
use super::{head_commit, BookRepo};
use crate::error::Result;

/// One commit that changed the file.
#[derive(Debug, Clone)]
pub(crate) struct LogEntry {
    /// The commit id.
    pub(crate) commit: String,
    /// When it was authored, in the author's time zone.
    pub(crate) date: DateTime<FixedOffset>,
    /// The author's name.
    pub(crate) author: String,
    /// The author's email.
    pub(crate) email: String,
    /// The first line of the message.
    pub(crate) summary: String,
    /// The whole message.
    pub(crate) message: String,
    /// The file's book-relative path in this commit.
    pub(crate) path: String,
    /// What the commit did to the file: added, modified, renamed or deleted.
    pub(crate) change: &'static str,
    /// For a rename: the book-relative path before it.
    pub(crate) renamed_from: Option<String>,
    /// For a rename away from this path: the book-relative path after it.
    pub(crate) renamed_to: Option<String>,
    /// The file's diff in this commit (when asked for).
    pub(crate) patch: Option<String>,
}

impl BookRepo {
    /// The commits reachable from HEAD that changed the book file `book_path`, newest
    /// first (first parents only), following the file back through renames. With
    /// `patch`, each entry carries the file's diff.
    pub(crate) fn file_history(&self, book_path: &str, patch: bool) -> Result<Vec<LogEntry>> {
        let Some(head) = head_commit(&self.repo)? else {
            return Ok(Vec::new());
        };
        let mut walk = self.repo.revwalk()?;
        walk.push(head.id())?;
        walk.simplify_first_parent()?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)?;
        super::trust_own_objects();
        let mut path = self.to_repo_path(book_path);
        let mut entries = Vec::new();
        let mut blobs = BlobCache::default();
        for oid in walk {
            let commit = self.repo.find_commit(oid?)?;
            let tree = commit.tree()?;
            let parent_tree = match commit.parents().next() {
                Some(parent) => Some(parent.tree()?),
                None => None,
            };
            let (folder, name) = match path.rsplit_once('/') {
                Some((folder, name)) => (folder, name),
                None => ("", path.as_str()),
            };
            let now_folder = folder_id(&tree, folder);
            let then_folder = parent_tree.as_ref().and_then(|t| folder_id(t, folder));
            if now_folder == then_folder {
                // The file's folder is the same tree in both: the file did not change
                // (or is in neither), and the folder (megabytes in a large book) need
                // not be read.
                continue;
            }
            let now = blobs.get(&self.repo, now_folder, name);
            let then = blobs.get(&self.repo, then_folder, name);
            let mut renamed_to = None;
            let (change, renamed_from) = match (then, now) {
                (None, None) => continue,
                (Some(a), Some(b)) if a == b => continue,
                (Some(_), Some(_)) => ("modified", None),
                (Some(_), None) => {
                    renamed_to = self.renamed(parent_tree.as_ref(), &tree, &path, false)?;
                    (
                        if renamed_to.is_some() {
                            "renamed"
                        } else {
                            "deleted"
                        },
                        None,
                    )
                }
                (None, Some(_)) => match self.renamed(parent_tree.as_ref(), &tree, &path, true)? {
                    Some(old) => ("renamed", Some(old)),
                    None => ("added", None),
                },
            };
            let patch_text = if patch {
                Some(self.patch(parent_tree.as_ref(), &tree, &path, renamed_from.as_deref())?)
            } else {
                None
            };
            let mut found = entry(
                &commit,
                self.shown_path(&path),
                change,
                renamed_from.as_deref().map(|p| self.shown_path(p)),
                patch_text,
            );
            found.renamed_to = renamed_to.as_deref().map(|p| self.shown_path(p));
            entries.push(found);
            if let Some(old) = renamed_from {
                path = old;
            }
        }
        Ok(entries)
    }

    /// The path `path` was renamed from (`to_here`) or to between `old` and `new`,
    /// found by git's similarity detection among the files of the same folder.
    fn renamed(
        &self,
        old: Option<&Tree<'_>>,
        new: &Tree<'_>,
        path: &str,
        to_here: bool,
    ) -> Result<Option<String>> {
        let Some(old) = old else { return Ok(None) };
        let folder = match path.rsplit_once('/') {
            Some((dir, _)) => format!("{dir}/"),
            None => String::new(),
        };
        let mut options = DiffOptions::new();
        if !folder.is_empty() {
            options.pathspec(&folder).disable_pathspec_match(true);
        }
        let mut diff = self
            .repo
            .diff_tree_to_tree(Some(old), Some(new), Some(&mut options))?;
        diff.find_similar(Some(DiffFindOptions::new().renames(true)))?;
        for delta in diff.deltas() {
            let (here, there) = if to_here {
                (delta.new_file(), delta.old_file())
            } else {
                (delta.old_file(), delta.new_file())
            };
            if delta.status() == git2::Delta::Renamed && here.path() == Some(Path::new(path)) {
                return Ok(there.path().map(|p| p.to_string_lossy().replace('\\', "/")));
            }
        }
        Ok(None)
    }

    /// The unified diff of `path` (and `renamed_from`) between two trees, as `git log -p`
    /// prints it.
    fn patch(
        &self,
        old: Option<&Tree<'_>>,
        new: &Tree<'_>,
        path: &str,
        renamed_from: Option<&str>,
    ) -> Result<String> {
        let mut options = DiffOptions::new();
        options.pathspec(path).disable_pathspec_match(true);
        if let Some(from) = renamed_from {
            options.pathspec(from);
        }
        let mut diff = self
            .repo
            .diff_tree_to_tree(old, Some(new), Some(&mut options))?;
        if renamed_from.is_some() {
            diff.find_similar(Some(DiffFindOptions::new().renames(true)))?;
        }
        let mut text = String::new();
        diff.print(DiffFormat::Patch, |_, _, line| {
            if matches!(line.origin(), '+' | '-' | ' ') {
                text.push(line.origin());
            }
            text.push_str(&String::from_utf8_lossy(line.content()));
            true
        })?;
        Ok(text)
    }
}

/// The ids of the entries looked up by name in folder trees, so that a folder's tree
/// is read once while the walk goes from a commit to its parent (the parent's folder
/// is the next commit's): only the last few lookups are kept.
#[derive(Default)]
struct BlobCache {
    known: Vec<((Oid, String), Option<Oid>)>,
}

impl BlobCache {
    /// The id of the entry `name` in the tree `folder` (`None`: no such folder).
    fn get(&mut self, repo: &git2::Repository, folder: Option<Oid>, name: &str) -> Option<Oid> {
        let folder = folder?;
        if let Some((_, id)) = self
            .known
            .iter()
            .find(|((f, n), _)| *f == folder && n == name)
        {
            return *id;
        }
        let id = repo
            .find_tree(folder)
            .ok()
            .and_then(|tree| tree.get_name(name).map(|e| e.id()));
        if self.known.len() >= 4 {
            self.known.remove(0);
        }
        self.known.push(((folder, name.to_string()), id));
        id
    }
}

fn entry(
    commit: &Commit<'_>,
    path: String,
    change: &'static str,
    renamed_from: Option<String>,
    patch: Option<String>,
) -> LogEntry {
    let author = commit.author();
    let when = author.when();
    let offset = FixedOffset::east_opt(when.offset_minutes() * 60)
        .or_else(|| FixedOffset::east_opt(0))
        .expect("a zero offset is valid");
    let date = offset
        .timestamp_opt(when.seconds(), 0)
        .single()
        .unwrap_or_else(|| offset.from_utc_datetime(&chrono::DateTime::UNIX_EPOCH.naive_utc()));
    let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
    LogEntry {
        commit: commit.id().to_string(),
        date,
        author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        summary: message.lines().next().unwrap_or("").to_string(),
        message,
        path,
        change,
        renamed_from,
        renamed_to: None,
        patch,
    }
}
