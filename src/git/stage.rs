//! Staging work-tree files as `git add` stages them, for [`super::commit_paths`].
//!
//! libgit2's `git_index_add_bypath` looks up git's attributes for every file it adds
//! (the `.gitattributes` of each folder on the path, `info/attributes`, the global and
//! system files), to learn which filters apply. For a commit of a thousand files that
//! was a sixth of the time, and a book's files normally have no filter at all: crm's own
//! `.gitattributes` only names the merge driver. So the attribute sources and
//! `core.autocrlf` are read once per commit; when none of them can give any file a
//! filter, each file is hashed as it is and put in the index with its stat data, as
//! `add_bypath` would put it. When one might (a `text`, `eol`, `crlf`, `ident` or
//! `filter` rule anywhere, a macro, `core.autocrlf` set, `core.fileMode` off, an index
//! with conflicts, a file that is not a regular file), every file goes through
//! `add_bypath` as before. Touches nothing but the index given and the object store.

use std::path::Path;

use git2::{Index, Repository};

use crate::error::Result;

/// How [`Stager::add`] stages a file.
#[derive(Debug)]
pub(super) enum Stager {
    /// Through `git_index_add_bypath`, with git's filters.
    Filtered,
    /// Hashed as it is: no filter can apply to the files of this commit.
    #[cfg(unix)]
    Direct,
}

/// The words of an attribute rule that may give a file a filter (`binary` is a macro
/// that only turns `text` off, but a line naming it is rare enough to be let through
/// the slow way too).
const FILTER_WORDS: [&str; 7] = ["text", "eol", "crlf", "ident", "filter", "[attr]", "binary"];

impl Stager {
    /// The way to stage `paths` (work-tree paths, `/`-separated) in `index`.
    pub(super) fn for_paths(repo: &Repository, index: &Index, paths: &[String]) -> Stager {
        #[cfg(unix)]
        if no_filter_can_apply(repo, index, paths) {
            return Stager::Direct;
        }
        let _ = (repo, index, paths);
        Stager::Filtered
    }

    /// Stages the work-tree file `path`, which exists (`meta` is its `symlink_metadata`),
    /// and returns its index entry's blob id and mode.
    pub(super) fn add(
        &self,
        repo: &Repository,
        index: &mut Index,
        workdir: &Path,
        path: &str,
        meta: &std::fs::Metadata,
    ) -> Result<(git2::Oid, u32)> {
        #[cfg(unix)]
        if matches!(self, Stager::Direct) {
            if let Some(staged) = add_unfiltered(repo, index, workdir, path, meta)? {
                return Ok(staged);
            }
        }
        let _ = (workdir, meta);
        let relative = Path::new(path);
        index.add_path(relative)?;
        let entry = index.get_path(relative, 0).ok_or_else(|| {
            crate::error::Error::new(
                crate::error::ErrorKind::Git,
                format!("git did not stage `{path}`"),
            )
        })?;
        Ok((entry.id, entry.mode))
    }
}

/// Whether no filter of git's (as libgit2 applies them) can apply to any of `paths`:
/// `core.autocrlf` is off, `core.fileMode` on, the index holds no conflict, and no
/// attribute file that libgit2 reads for them holds a rule that could set one.
#[cfg(unix)]
pub(super) fn no_filter_can_apply(repo: &Repository, index: &Index, paths: &[String]) -> bool {
    let Ok(config) = repo.config() else {
        return false;
    };
    let off = |key: &str, unset_is_off: bool| match config.get_bool(key) {
        Ok(value) => !value,
        // Set to something that is not a boolean (`core.autocrlf = input`) or unreadable.
        Err(_) if config.get_entry(key).is_ok() => false,
        Err(_) => unset_is_off,
    };
    if !off("core.autocrlf", true) || off("core.filemode", false) || index.has_conflicts() {
        return false;
    }
    let Some(workdir) = repo.workdir() else {
        return false;
    };
    // Every folder that holds one of the paths, and the folders above it.
    let mut folders: Vec<&str> = vec![""];
    for path in paths {
        let mut end = 0;
        while let Some(at) = path[end..].find('/') {
            end += at;
            folders.push(&path[..end]);
            end += 1;
        }
    }
    folders.sort_unstable();
    folders.dedup();
    let mut sources: Vec<std::path::PathBuf> = vec![
        repo.path().join("info").join("attributes"),
        repo.commondir().join("info").join("attributes"),
        Path::new("/etc/gitattributes").to_path_buf(),
    ];
    match config.get_path("core.attributesfile") {
        Ok(file) => sources.push(file),
        Err(_) if config.get_entry("core.attributesfile").is_ok() => return false,
        Err(_) => {
            if let Ok(xdg) = git2::Config::find_xdg() {
                sources.extend(xdg.parent().map(|dir| dir.join("attributes")));
            }
        }
    }
    if let Ok(system) = git2::Config::find_system() {
        sources.extend(system.parent().map(|dir| dir.join("gitattributes")));
    }
    for folder in &folders {
        let file = if folder.is_empty() {
            ".gitattributes".to_string()
        } else {
            format!("{folder}/.gitattributes")
        };
        // libgit2 reads the work tree's file, else the index's.
        if let Some(entry) = index.get_path(Path::new(&file), 0) {
            match repo.find_blob(entry.id) {
                Ok(blob) if !may_filter(blob.content()) => {}
                _ => return false,
            }
        }
        sources.push(workdir.join(&file));
    }
    // `info/attributes` of the repository and of its common folder are one file
    // unless this is a linked work tree.
    sources.sort();
    sources.dedup();
    sources.iter().all(|source| match std::fs::read(source) {
        Ok(bytes) => !may_filter(&bytes),
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    })
}

/// Whether an attribute file holds, outside its comment lines, any word that could
/// give a file a filter.
#[cfg(unix)]
fn may_filter(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes).to_ascii_lowercase();
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .any(|line| FILTER_WORDS.iter().any(|word| line.contains(word)))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn only_rules_that_may_set_a_filter_count() {
        let crm_own = crate::store::ATTRIBUTES;
        assert!(!may_filter(crm_own.as_bytes()), "{crm_own}");
        assert!(!may_filter(
            b"# text eol=crlf is not for us\n*.yaml merge=crm\n"
        ));
        for rule in [
            "*.yaml text\n",
            "* -TEXT\n",
            "customers/*.yaml eol=crlf\n",
            "*.yaml crlf\n",
            "*.yaml ident\n",
            "*.yaml filter=lfs\n",
            "[attr]mine text\n",
            "*.png binary\n",
        ] {
            assert!(may_filter(rule.as_bytes()), "{rule}");
        }
    }
}

/// Stages the regular file `path` as `git_index_add_bypath` would when no filter
/// applies: its stat data taken first, then its bytes hashed and stored, and an index
/// entry made of both (so `git status` finds it clean without hashing it again).
/// `None` when it is not a regular file or its entry is not a regular file's, which
/// `add_bypath` handles.
#[cfg(unix)]
fn add_unfiltered(
    repo: &Repository,
    index: &mut Index,
    workdir: &Path,
    path: &str,
    meta: &std::fs::Metadata,
) -> Result<Option<(git2::Oid, u32)>> {
    use std::os::unix::fs::MetadataExt as _;
    let relative = Path::new(path);
    let full = workdir.join(relative);
    if !meta.file_type().is_file() {
        return Ok(None);
    }
    if let Some(existing) = index.get_path(relative, 0) {
        if existing.mode & 0o170_000 != 0o100_000 {
            return Ok(None);
        }
    }
    let bytes = std::fs::read(&full).map_err(|e| crate::error::Error::io("read", &full, &e))?;
    let id = repo.blob(&bytes)?;
    let mode = if meta.mode() & 0o100 != 0 {
        0o100_755
    } else {
        0o100_644
    };
    // The fields as libgit2's `git_index_entry__init_from_stat` fills them (`dev` from
    // `st_rdev`, sizes and times truncated to the index's 32 bits).
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "the index format holds 32-bit stat fields, truncated as git truncates them"
    )]
    let entry = git2::IndexEntry {
        ctime: git2::IndexTime::new(meta.ctime() as i32, meta.ctime_nsec() as u32),
        mtime: git2::IndexTime::new(meta.mtime() as i32, meta.mtime_nsec() as u32),
        dev: meta.rdev() as u32,
        ino: meta.ino() as u32,
        mode,
        uid: meta.uid(),
        gid: meta.gid(),
        file_size: meta.size() as u32,
        id,
        flags: 0,
        flags_extended: 0,
        path: path.as_bytes().to_vec(),
    };
    index.add(&entry)?;
    Ok(Some((id, mode)))
}
