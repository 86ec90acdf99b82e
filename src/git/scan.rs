//! git's status of the book's `customers/` folder, worked out by crm: the one folder
//! that holds nearly every file of a book, compared with the index and HEAD in one
//! pass, its files `lstat`ed on several threads.
//!
//! libgit2's status walks a folder of a hundred thousand files on one thread (a full
//! path `lstat` of each, then its own sort), and that walk was most of `crm status` and
//! of the pending-changes check of `crm sync`, while `git status` stats on several
//! threads. The answer here is the one libgit2 gives, narrowed to what crm asks:
//! which files differ between HEAD and the index, which between the index and the
//! work tree (content compared as git compares it), which are new and not ignored, and
//! which are unchanged. It is only worked out when the folder is one git compares
//! plainly; anything else (a subfolder, a link, a conflict, a sparse or
//! assume-unchanged entry, a case-insensitive index, a filter git could apply) gives
//! `None`, and the caller asks libgit2 as before.
//!
//! A file whose stat data matches its index entry is the index's content, unless the
//! entry is racily clean (changed in the same instant the index was written, or
//! smudged to size 0 by git for that reason), in which case it is hashed, as git does.

use std::path::Path;

use git2::{ObjectType, Oid, Repository, Status, Tree};
use rayon::prelude::*;

use crate::error::Result;
use crate::store::cache::Folder;
use crate::store::readable::BlobKey;

/// What [`scan`] finds in the folder.
#[derive(Debug, Default)]
pub(super) struct FolderStatus {
    /// Every file that git's status would report, as (work-tree path, status).
    pub(super) reported: Vec<(String, Status)>,
    /// The files git holds unchanged, as (work-tree path, index entry's blob and size),
    /// in path order.
    pub(super) unchanged: Vec<(String, BlobKey)>,
    /// The book's other top-level names in HEAD, the index or the work tree, as
    /// work-tree paths, for libgit2's status to look at.
    pub(super) others: Vec<String>,
    /// Every name in the folder, in byte order: all of them regular files.
    pub(super) names: Vec<Vec<u8>>,
}

// The index entry's flags, as git's index format defines them.
const STAGE_MASK: u16 = 0x3000;
const ASSUME_UNCHANGED: u16 = 0x8000;
const SKIP_WORKTREE: u16 = 0x4000;
const INTENT_TO_ADD: u16 = 0x2000;

const REGULAR: u32 = 0o100_644;
const EXECUTABLE: u32 = 0o100_755;

/// The fewest files one thread compares: below it, a thread costs more than it saves.
const FILES_PER_TASK: usize = 1_000;

/// One index entry of the folder.
struct Tracked {
    name: Vec<u8>,
    entry: git2::IndexEntry,
}

/// A file of HEAD's folder: its name, blob and mode.
type Committed = (Vec<u8>, Oid, u32);

/// How a tracked file compares with its index entry.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Worktree {
    Same,
    Modified,
    Deleted,
    /// Not a regular file any more (a folder, a link): left to libgit2.
    Other,
}

/// The status of the folder `name` of the book at `book` (a work-tree path ending in
/// `/`, or empty for the whole work tree), HEAD's tree being `head` (`None`: no
/// commit yet). `None` when the folder is not one this scan answers for (see the
/// module's notes).
#[cfg(unix)]
pub(super) fn scan(
    repo: &Repository,
    book: &str,
    name: &str,
    head: Option<&Tree<'_>>,
) -> Result<Option<FolderStatus>> {
    let folder = format!("{book}{name}/");
    let folder = folder.as_str();
    let Some(workdir) = repo.workdir() else {
        return Ok(None);
    };
    let config = repo.config()?;
    if config.get_bool("core.ignorecase").unwrap_or(false) {
        return Ok(None);
    }
    let full = workdir.join(folder);
    // The folder is listed on a thread of its own while the index and HEAD's folder
    // are read, which takes one thread; then the files are compared on all of them.
    std::thread::scope(|threads| {
        let lister = threads.spawn(|| list_folder(&full));
        let indexed = read_index(repo, book, name, head, workdir);
        let present = lister
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let (Some(indexed), Some(present)) = (indexed?, present) else {
            return Ok(None);
        };
        let Some(compared) = compare_all(&full, &indexed.tracked, indexed.stamp) else {
            return Ok(None);
        };
        let mut found = merge(
            repo,
            folder,
            &indexed.in_head,
            &indexed.tracked,
            &compared,
            &present,
        );
        found.others = indexed.others.into_iter().collect();
        found.names = present;
        Ok(Some(found))
    })
}

/// The index's and HEAD's view of the folder.
struct Indexed {
    /// The index file's modification time when it was read (`None`: there is none).
    stamp: Option<(i32, u32)>,
    tracked: Vec<Tracked>,
    in_head: Vec<Committed>,
    /// The book's other top-level names.
    others: std::collections::BTreeSet<String>,
}

/// Reads the index's entries and HEAD's files in the folder `name` of the book at
/// `book`; `None` when the folder is not one the scan answers for.
fn read_index(
    repo: &Repository,
    book: &str,
    name: &str,
    head: Option<&Tree<'_>>,
    workdir: &Path,
) -> Result<Option<Indexed>> {
    // Taken before the index is read: a later rewrite only makes more entries racy.
    let stamp = match std::fs::metadata(repo.path().join("index")) {
        Ok(meta) => Some(stamp_of(&meta)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(_) => return Ok(None),
    };
    let mut index = repo.index()?;
    index.read(false)?;
    if !super::stage::no_filter_can_apply(repo, &index, &[format!("{book}{name}/x")]) {
        return Ok(None);
    }
    let mut others = std::collections::BTreeSet::new();
    let Some(tracked) = tracked_entries(&index, book, name, &mut others) else {
        return Ok(None);
    };
    let Some(in_head) = head_entries(repo, head, book, name, &mut others)? else {
        return Ok(None);
    };
    if !top_level_names(&workdir.join(book), book, name, &mut others) {
        return Ok(None);
    }
    Ok(Some(Indexed {
        stamp,
        tracked,
        in_head,
        others,
    }))
}

/// Not answered here off Unix: libgit2 gives the status.
#[cfg(not(unix))]
pub(super) fn scan(
    _repo: &Repository,
    _folder: &str,
    _head: Option<&Tree<'_>>,
) -> Result<Option<FolderStatus>> {
    Ok(None)
}

/// The index's stage-0 entries of regular files directly in the folder `folder` of
/// `book`, in name order, the book's other top-level names added to `others`; `None`
/// when an entry of the folder is anything else, or a name is not UTF-8.
fn tracked_entries(
    index: &git2::Index,
    book: &str,
    folder: &str,
    others: &mut std::collections::BTreeSet<String>,
) -> Option<Vec<Tracked>> {
    let mut tracked = Vec::new();
    for entry in index.iter() {
        let Some(in_book) = entry.path.strip_prefix(book.as_bytes()) else {
            continue;
        };
        let top = in_book.split(|&b| b == b'/').next().unwrap_or_default();
        if top == folder.as_bytes() && in_book.len() == top.len() {
            // A file where the folder should be.
            return None;
        }
        if top != folder.as_bytes() {
            others.insert(format!("{book}{}", std::str::from_utf8(top).ok()?));
            continue;
        }
        let name = &in_book[top.len() + 1..];
        if name.contains(&b'/')
            || entry.flags & (STAGE_MASK | ASSUME_UNCHANGED) != 0
            || entry.flags_extended & (SKIP_WORKTREE | INTENT_TO_ADD) != 0
            || !matches!(entry.mode, REGULAR | EXECUTABLE)
        {
            return None;
        }
        tracked.push(Tracked {
            name: name.to_vec(),
            entry,
        });
    }
    tracked.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    Some(tracked)
}

/// HEAD's files in the folder `folder` of `book` as (name, blob, mode), in name
/// order, the book's other top-level names added to `others`; `None` when the folder
/// holds anything but regular files, is not a folder, or a name is not UTF-8.
fn head_entries(
    repo: &Repository,
    head: Option<&Tree<'_>>,
    book: &str,
    folder: &str,
    others: &mut std::collections::BTreeSet<String>,
) -> Result<Option<Vec<Committed>>> {
    let Some(head) = head else {
        return Ok(Some(Vec::new()));
    };
    let book_tree = if book.is_empty() {
        head.clone()
    } else {
        match subtree(repo, head, book.trim_end_matches('/'))? {
            Some(Some(tree)) => tree,
            Some(None) => return Ok(Some(Vec::new())),
            None => return Ok(None),
        }
    };
    let mut tree = None;
    for item in book_tree.iter() {
        let Ok(top) = std::str::from_utf8(item.name_bytes()) else {
            return Ok(None);
        };
        if top != folder {
            others.insert(format!("{book}{top}"));
        } else if item.kind() == Some(ObjectType::Tree) {
            tree = Some(repo.find_tree(item.id())?);
        } else {
            return Ok(None);
        }
    }
    let Some(tree) = tree else {
        return Ok(Some(Vec::new()));
    };
    let mut files = Vec::with_capacity(tree.len());
    for item in tree.iter() {
        let mode = u32::try_from(item.filemode()).unwrap_or(0);
        if !matches!(mode, REGULAR | EXECUTABLE) {
            return Ok(None);
        }
        files.push((item.name_bytes().to_vec(), item.id(), mode));
    }
    files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(Some(files))
}

/// The tree at `path` in `head`: `Some(None)` when there is none, `None` when
/// something other than a folder is there.
fn subtree<'r>(
    repo: &'r Repository,
    head: &Tree<'r>,
    path: &str,
) -> Result<Option<Option<Tree<'r>>>> {
    match head.get_path(Path::new(path)) {
        Ok(entry) if entry.kind() == Some(ObjectType::Tree) => {
            Ok(Some(Some(repo.find_tree(entry.id())?)))
        }
        Ok(_) => Ok(None),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(Some(None)),
        Err(e) => Err(e.into()),
    }
}

/// Adds the names in the book's work-tree folder `root` other than `folder` (and a
/// `.git`) to `others`; `false` when the folder does not read or a name is not UTF-8.
fn top_level_names(
    root: &Path,
    book: &str,
    folder: &str,
    others: &mut std::collections::BTreeSet<String>,
) -> bool {
    let Ok(entries) = std::fs::read_dir(root) else {
        return false;
    };
    for entry in entries {
        let Ok(entry) = entry else {
            return false;
        };
        let Ok(top) = entry.file_name().into_string() else {
            return false;
        };
        if top != folder && top != ".git" {
            others.insert(format!("{book}{top}"));
        }
    }
    true
}

/// The names in the work-tree folder, in order; `None` when one is not a regular
/// file (or its type is not known without a stat) or the folder does not read.
fn list_folder(full: &Path) -> Option<Vec<Vec<u8>>> {
    use std::os::unix::ffi::OsStrExt as _;
    let entries = match std::fs::read_dir(full) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some(Vec::new()),
        Err(_) => return None,
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.ok()?;
        if !entry.file_type().ok()?.is_file() {
            return None;
        }
        names.push(entry.file_name().as_bytes().to_vec());
    }
    names.sort_unstable();
    Some(names)
}

/// Each tracked file compared with its index entry, on rayon's threads for a big
/// folder; `None` when one of them is no longer a regular file.
fn compare_all(
    full: &Path,
    tracked: &[Tracked],
    index_stamp: Option<(i32, u32)>,
) -> Option<Vec<Worktree>> {
    let folder = match Folder::open(full) {
        Some(folder) => Some(folder),
        None if !full.exists() => None,
        None => return None,
    };
    let compared: Vec<Worktree> = tracked
        .par_iter()
        .with_min_len(FILES_PER_TASK)
        .map(|t| match &folder {
            Some(folder) => compare_one(folder, full, t, index_stamp),
            None => Worktree::Deleted,
        })
        .collect();
    (!compared.contains(&Worktree::Other)).then_some(compared)
}

/// One tracked file against its index entry: its stat data first, its content when
/// the stat data cannot tell (different, or racily clean).
fn compare_one(
    folder: &Folder,
    full: &Path,
    tracked: &Tracked,
    index_stamp: Option<(i32, u32)>,
) -> Worktree {
    use std::os::unix::ffi::OsStrExt as _;
    let name = std::ffi::OsStr::from_bytes(&tracked.name);
    let stat = match folder.lstat(name) {
        Ok(stat) => stat,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Worktree::Deleted,
        Err(_) => return Worktree::Other,
    };
    if stat.st_mode & libc::S_IFMT != libc::S_IFREG {
        return Worktree::Other;
    }
    let entry = &tracked.entry;
    let mode = if stat.st_mode & 0o100 != 0 {
        EXECUTABLE
    } else {
        REGULAR
    };
    if mode != entry.mode {
        return Worktree::Modified;
    }
    // The index keeps 32 bits of each field, truncated as git truncates them.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::unnecessary_cast,
        reason = "the index format holds 32-bit stat fields; the field types differ between platforms"
    )]
    let (size, mtime, ctime, inode) = (
        stat.st_size as u32,
        (stat.st_mtime as i32, stat.st_mtime_nsec as u32),
        (stat.st_ctime as i32, stat.st_ctime_nsec as u32),
        stat.st_ino as u32,
    );
    if size != entry.file_size && entry.file_size != 0 {
        return Worktree::Modified;
    }
    let recorded_mtime = (entry.mtime.seconds(), entry.mtime.nanoseconds());
    let stat_matches = size == entry.file_size
        && mtime == recorded_mtime
        && ctime == (entry.ctime.seconds(), entry.ctime.nanoseconds())
        && inode == entry.ino
        && stat.st_uid == entry.uid
        && stat.st_gid == entry.gid;
    let racy = entry.file_size == 0 || index_stamp.is_none_or(|stamp| recorded_mtime >= stamp);
    if stat_matches && !racy {
        return Worktree::Same;
    }
    let Ok(bytes) = std::fs::read(full.join(name)) else {
        return Worktree::Other;
    };
    match Oid::hash_object(ObjectType::Blob, &bytes) {
        Ok(id) if id == entry.id => Worktree::Same,
        Ok(_) => Worktree::Modified,
        Err(_) => Worktree::Other,
    }
}

/// HEAD's, the index's and the work tree's view of the folder walked side by side.
fn merge(
    repo: &Repository,
    folder: &str,
    in_head: &[Committed],
    tracked: &[Tracked],
    compared: &[Worktree],
    present: &[Vec<u8>],
) -> FolderStatus {
    let mut found = FolderStatus::default();
    let (mut h, mut i, mut w) = (0, 0, 0);
    loop {
        let next = [
            in_head.get(h).map(|e| e.0.as_slice()),
            tracked.get(i).map(|t| t.name.as_slice()),
            present.get(w).map(Vec::as_slice),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(name) = next else {
            break;
        };
        let head = in_head.get(h).filter(|e| e.0 == name);
        let index = tracked
            .get(i)
            .filter(|t| t.name == name)
            .map(|t| (t, compared[i]));
        let on_disk = present.get(w).is_some_and(|p| p.as_slice() == name);
        h += usize::from(head.is_some());
        i += usize::from(index.is_some());
        w += usize::from(on_disk);
        let Ok(name) = std::str::from_utf8(name) else {
            // A name git would report but crm could not name: counted as a change.
            continue;
        };
        let path = format!("{folder}{name}");
        let mut status = match (head, index) {
            (Some(_), None) => Status::INDEX_DELETED,
            (None, Some(_)) => Status::INDEX_NEW,
            (Some((_, id, mode)), Some((t, _))) if *id != t.entry.id || *mode != t.entry.mode => {
                Status::INDEX_MODIFIED
            }
            _ => Status::CURRENT,
        };
        match index {
            Some((_, Worktree::Deleted)) => status |= Status::WT_DELETED,
            Some((_, Worktree::Modified)) => status |= Status::WT_MODIFIED,
            Some(_) => {}
            None if on_disk && !repo.status_should_ignore(Path::new(&path)).unwrap_or(false) => {
                status |= Status::WT_NEW;
            }
            None => {}
        }
        if status.is_empty() {
            if let Some((t, _)) = index {
                let mut id = [0; 20];
                id.copy_from_slice(t.entry.id.as_bytes());
                let key = BlobKey {
                    id,
                    size: u64::from(t.entry.file_size),
                };
                found.unchanged.push((path, key));
            }
        } else {
            found.reported.push((path, status));
        }
    }
    found
}

/// A file's modification time as the index records times (32-bit seconds).
#[cfg(unix)]
fn stamp_of(meta: &std::fs::Metadata) -> (i32, u32) {
    use std::os::unix::fs::MetadataExt as _;
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "compared with the index's 32-bit times, truncated alike"
    )]
    (meta.mtime() as i32, meta.mtime_nsec() as u32)
}

#[cfg(all(test, unix))]
mod tests;
