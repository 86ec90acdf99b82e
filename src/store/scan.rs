//! Reading the whole book: list the customer files, read and parse them in parallel,
//! and keep going past bad files (each becomes a [`Problem`]).

use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::domain::id::CustomerId;
use crate::domain::summary::Summary;
use crate::error::{Error, Result};

use super::cache::{self, Cache, Key};
use super::read::{self, Loaded, Problem};
use super::{Book, EXTENSION};

/// One entry of `customers/` that should be a customer file.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// Its path.
    pub(crate) path: PathBuf,
    /// The id from its stem, or the problem with the name.
    pub(crate) id: std::result::Result<CustomerId, Problem>,
}

/// Lists `customers/*.yaml` in id order, without reading them. Hidden files are skipped;
/// a file whose stem is not a valid id is listed with a problem.
pub(crate) fn entries(book: &Book) -> Result<Vec<Entry>> {
    let dir = book.customers_dir();
    if let Err(e) = fs::metadata(&dir) {
        if e.kind() == std::io::ErrorKind::NotFound {
            return Ok(Vec::new());
        }
        return Err(Error::io("list", &dir, &e));
    }
    // read_dir and one sort of the names: walkdir's sorted walk compares whole paths,
    // which dominated listing a 100k-customer book.
    let listing = fs::read_dir(&dir).map_err(|e| Error::io("list", &dir, &e))?;
    let mut names = Vec::new();
    for item in listing {
        let item =
            item.map_err(|e| Error::invalid_file(format!("cannot list `{}`: {e}", dir.display())))?;
        names.push(item.file_name());
    }
    names.sort_unstable();
    let suffix = format!(".{EXTENSION}");
    let mut entries = Vec::with_capacity(names.len());
    for os_name in names {
        let name = os_name.to_string_lossy();
        let Some(stem) = name.strip_suffix(&suffix) else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let path = dir.join(&os_name);
        let id = CustomerId::parse(stem).map_err(|e| {
            Problem::at(
                &book.shown(&path),
                1,
                1,
                format!(
                    "the file name is not a valid id: {}; rename the file",
                    e.message
                ),
            )
        });
        entries.push(Entry { path, id });
    }
    Ok(entries)
}

/// The ids of all customer files (names only, nothing is read).
pub(crate) fn list_ids(book: &Book) -> Result<Vec<String>> {
    Ok(entries(book)?
        .into_iter()
        .filter_map(|e| e.id.ok().map(|id| id.to_string()))
        .collect())
}

/// The outcome of reading every customer file.
#[derive(Debug, Default)]
pub struct Scan<T> {
    /// What was read, in id order.
    pub items: Vec<T>,
    /// Files that could not be read, in id order.
    pub problems: Vec<Problem>,
}

/// Reads every customer file in parallel and maps each to `T`.
pub(crate) fn scan_with<T, F>(book: &Book, map: F) -> Result<Scan<T>>
where
    T: Send,
    F: Fn(Loaded, &str) -> T + Sync,
{
    let root = book.canonical_root();
    each_file(book, |path, shown, id| {
        Ok(map(read::read_customer(path, shown, root, id)?, shown))
    })
}

/// Reads every customer file's bytes in parallel, after the reader's safety checks
/// (no symlink out of the book, no folder, not over the size limit) but without
/// parsing them, and maps each to `T` with its id. For `crm check`, which parses each
/// file itself to report every problem rather than the first.
pub(crate) fn scan_raw_with<T, F>(book: &Book, map: F) -> Result<Scan<T>>
where
    T: Send,
    F: Fn(&[u8], &str, &CustomerId) -> T + Sync,
{
    let root = book.canonical_root();
    each_file(book, |path, shown, id| {
        Ok(map(&read::read_guarded(path, shown, root)?, shown, id))
    })
}

/// Runs `visit` on every customer file in parallel (with its path, the path as shown
/// in messages, and its id) and sorts the outcomes into items and problems, in id
/// order. A file whose name is no valid id is a problem without being opened.
fn each_file<T, F>(book: &Book, visit: F) -> Result<Scan<T>>
where
    T: Send,
    F: Fn(&Path, &str, &CustomerId) -> std::result::Result<T, Problem> + Sync,
{
    let entries = entries(book)?;
    let results: Vec<std::result::Result<T, Problem>> = entries
        .par_iter()
        .map(|entry| {
            let id = entry.id.clone()?;
            visit(&entry.path, &book.shown(&entry.path), &id)
        })
        .collect();
    let mut scan = Scan {
        items: Vec::with_capacity(results.len()),
        problems: Vec::new(),
    };
    for result in results {
        match result {
            Ok(item) => scan.items.push(item),
            Err(problem) => scan.problems.push(problem),
        }
    }
    Ok(scan)
}

/// Summaries of every readable customer. Files unchanged since the last whole-book
/// read come from the summary cache (see [`cache`]); the rest are read in parallel.
pub(crate) fn summaries(book: &Book) -> Result<Scan<Summary>> {
    Ok(summaries_with(book, &cache::Policy::default())?.0)
}

/// What became of one customer file in [`summaries_with`].
enum Outcome {
    /// Its summary is in the cache slot.
    Cached(usize, Key),
    /// It was read; the key is kept when the file may be cached.
    Read(Box<Summary>, Option<Key>),
    /// It could not be read.
    Problem(Problem),
}

/// [`summaries`] under an explicit cache policy, also saying how the cache was used.
pub fn summaries_with(
    book: &Book,
    policy: &cache::Policy,
) -> Result<(Scan<Summary>, cache::Stats)> {
    let entries = entries(book)?;
    let root = book.canonical_root();
    let state_dir = book.state_dir();
    let mut cache = Cache::load(&state_dir);
    // Taken before any file is looked at: a file changed after this has a later ctime.
    let cutoff = policy.cutoff();
    let outcomes: Vec<Outcome> = entries
        .par_iter()
        .map(|entry| {
            let id = match &entry.id {
                Ok(id) => id,
                Err(problem) => return Outcome::Problem(problem.clone()),
            };
            // The key is taken before the file is read, so a change in between makes
            // the stored key stale rather than the stored summary.
            let key = fs::symlink_metadata(&entry.path)
                .ok()
                .and_then(|m| Key::of(&m));
            if let Some(key) = key {
                if let Some(slot) = cache.find(id.as_str(), &key) {
                    return Outcome::Cached(slot, key);
                }
            }
            let shown = book.shown(&entry.path);
            match read::read_customer(&entry.path, &shown, root, id) {
                Ok(loaded) => Outcome::Read(
                    Box::new(Summary::of(&loaded.customer)),
                    key.filter(|k| k.settled(cutoff)),
                ),
                Err(problem) => Outcome::Problem(problem),
            }
        })
        .collect();

    let mut scan = Scan {
        items: Vec::with_capacity(outcomes.len()),
        problems: Vec::new(),
    };
    let mut keys: Vec<Option<Key>> = Vec::with_capacity(outcomes.len());
    let mut stats = cache::Stats::default();
    for outcome in outcomes {
        match outcome {
            Outcome::Cached(slot, key) => {
                let summary = cache
                    .take(slot)
                    .expect("each file name, hence each cache slot, is listed once");
                stats.hits += 1;
                scan.items.push(summary);
                keys.push(Some(key));
            }
            Outcome::Read(summary, key) => {
                stats.misses += 1;
                scan.items.push(*summary);
                keys.push(key);
            }
            Outcome::Problem(problem) => scan.problems.push(problem),
        }
    }
    let cacheable = keys.iter().filter(|k| k.is_some()).count();
    // The file on disk holds exactly the hits iff nothing new is cacheable and nothing
    // stored went unused (deleted, renamed or changed files).
    if cacheable != stats.hits || cache.len() != stats.hits {
        let records = keys
            .iter()
            .zip(&scan.items)
            .filter_map(|(key, summary)| key.as_ref().map(|k| (k, summary)));
        stats.saved = cache::save(&state_dir, records);
    }
    Ok((scan, stats))
}
