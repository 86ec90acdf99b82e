//! Reading the whole book: list the customer files, read and parse them in parallel,
//! and keep going past bad files (each becomes a [`Problem`]).

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::sync::Mutex;

use rayon::prelude::*;

use crate::domain::customer::Customer;
use crate::domain::id::CustomerId;
use crate::domain::summary::{Parts, Summary};
use crate::error::{Error, Result};

use super::cache::{self, CacheFile, Key};
use super::read::{self, Loaded, Problem};
use super::{Book, EXTENSION};

/// One entry of `customers/` that should be a customer file: `{id}.yaml` (ids are
/// ASCII, so that is its name exactly: [`Book::customer_path`]), or a name that is no
/// valid id. Small, since a whole-book read holds one per file: the path is made when
/// it is needed.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The id from its stem, or the problem with the name (boxed: bad names are rare).
    pub(crate) id: std::result::Result<CustomerId, Box<Problem>>,
}

/// Lists `customers/*.yaml` in id order, without reading them. Hidden files are skipped;
/// a file whose stem is not a valid id is listed with a problem.
pub(crate) fn entries(book: &Book) -> Result<Vec<Entry>> {
    let dir = book.customers_dir();
    Ok(names(book)?
        .par_iter()
        .with_min_len(ENTRIES_PER_TASK)
        .filter_map(|name| entry_of(book, &dir, name))
        .collect())
}

/// How many files a whole-book read looks at together: their records are read from the
/// cache in one go. Small enough that a batch's records are a few hundred kilobytes,
/// large enough that a `pread` costs little beside them.
const FILES_PER_BATCH: usize = 256;

/// The fewest names one thread makes entries of: below it, a thread costs more than it
/// saves.
const ENTRIES_PER_TASK: usize = 4096;

/// Every name in `customers/`, in byte order (none when there is no such folder).
pub(crate) fn names(book: &Book) -> Result<Vec<std::ffi::OsString>> {
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
    Ok(names)
}

/// The stem of `name` if it names a customer file (`*.yaml`, not hidden), valid id or
/// not.
pub(crate) fn customer_stem(name: &str) -> Option<&str> {
    let stem = name.strip_suffix(EXTENSION)?.strip_suffix('.')?;
    (!name.starts_with('.')).then_some(stem)
}

/// The entry of the file `name` in `dir` (the book's `customers/`), if it names a
/// customer file.
pub(crate) fn entry_of(book: &Book, dir: &Path, name: &std::ffi::OsStr) -> Option<Entry> {
    let shown_name = name.to_string_lossy();
    let stem = customer_stem(&shown_name)?;
    let id = CustomerId::parse(stem).map_err(|e| {
        Box::new(Problem::at(
            &book.shown(&dir.join(name)),
            1,
            1,
            format!(
                "the file name is not a valid id: {}; rename the file",
                e.message
            ),
        ))
    });
    Some(Entry { id })
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
            let id = entry
                .id
                .as_ref()
                .map_err(|problem| Problem::clone(problem))?;
            let path = book.customer_path(id);
            visit(&path, &book.shown(&path), id)
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
    summaries_of(book, Parts::All)
}

/// [`summaries`] with only `parts` of the cached ones decoded (see [`Parts`]).
pub(crate) fn summaries_of(book: &Book, parts: Parts) -> Result<Scan<Summary>> {
    Ok(read_summaries(book, &cache::Policy::default(), parts, None)?.0)
}

/// The summaries for which `keep` is true, the others dropped as soon as they are
/// made (`crm find`, which keeps a few of a whole book's).
pub(crate) fn summaries_where(
    book: &Book,
    keep: &(dyn Fn(&Summary) -> bool + Sync),
) -> Result<Scan<Summary>> {
    Ok(read_summaries(book, &cache::Policy::default(), Parts::All, Some(keep))?.0)
}

/// The parts of each summary that the digest and report commands (`due`, `list`,
/// `stale`, `stats`) use: the loyalty touches only in books with a programme.
pub(crate) fn core_parts(book: &Book) -> Parts {
    Parts::core(book.config.programme().is_some())
}

/// Where a scanned file's value came from, for saving the cache again. Small, since a
/// whole-book read holds one per file: a cached file's key is its slot's in the cache.
enum Source {
    /// From this slot of the cache.
    Cached(usize),
    /// Read; when the file may be cached, its key and its value's record, encoded as
    /// it was read (so that the value itself need not be kept for the save).
    Read(Option<Box<(Key, Vec<u8>)>>),
}

impl Source {
    fn cacheable(&self) -> bool {
        matches!(self, Source::Cached(_) | Source::Read(Some(_)))
    }
}

/// [`summaries`] under an explicit cache policy, also saying how the cache was used.
pub fn summaries_with(
    book: &Book,
    policy: &cache::Policy,
) -> Result<(Scan<Summary>, cache::Stats)> {
    read_summaries(book, policy, Parts::All, None)
}

fn read_summaries(
    book: &Book,
    policy: &cache::Policy,
    parts: Parts,
    keep: Option<&(dyn Fn(&Summary) -> bool + Sync)>,
) -> Result<(Scan<Summary>, cache::Stats)> {
    let root = book.canonical_root();
    cached_scan(
        book,
        policy,
        cache::FILE_NAME,
        &cache::summaries_context(),
        |record, id| summary_record(record, id, parts),
        |path, shown, id, _| {
            let loaded = read::read_customer(path, shown, root, id)?;
            Ok(Summary::of(&loaded.customer))
        },
        keep,
    )
}

/// The summary of `id` in a cache record, decoded up to the `parts` used; `None` if
/// the record is another customer's.
fn summary_record(record: &[u8], id: &CustomerId, parts: Parts) -> Option<Summary> {
    let summary: Summary = match parts.first_unread() {
        Some(stop) => cache::decode_record_until(record, stop),
        None => cache::decode_record(record),
    }?;
    (summary.id == id.as_str()).then_some(summary)
}

/// What `crm check` found in the files it read for its summaries, each file's problems
/// under the key the file had just before it was read, so that [`check_with_checked`]
/// need not read and parse it a second time while that key holds. Files changed in the
/// last moments (whose keys are not settled) are not kept, and are simply read again.
#[derive(Debug, Default)]
pub(crate) struct Checked(Mutex<HashMap<CustomerId, (Key, Vec<Problem>)>>);

impl Checked {
    fn keep(&self, id: &CustomerId, key: Key, problems: Vec<Problem>) {
        if let Ok(mut found) = self.0.lock() {
            found.insert(id.clone(), (key, problems));
        }
    }

    /// The problems found in `id` while its key was `key`, taken out.
    fn take(&self, id: &CustomerId, key: Key) -> Option<Vec<Problem>> {
        let mut found = self.0.lock().ok()?;
        match found.remove(id) {
            Some((kept, problems)) if kept == key => Some(problems),
            _ => None,
        }
    }
}

/// [`summaries_of`] for `crm check`, which reads each file once: a file the summary
/// cache does not cover is read, checked by `check` (which gives its problems, and the
/// customer when it reads), and its problems kept in `checked` for the check's own
/// scan.
pub(crate) fn summaries_checking<F>(
    book: &Book,
    policy: &cache::Policy,
    parts: Parts,
    check: F,
    checked: &Checked,
) -> Result<Scan<Summary>>
where
    F: Fn(&[u8], &str, &CustomerId) -> (Vec<Problem>, Option<Customer>) + Sync,
{
    let root = book.canonical_root();
    let scan = cached_scan(
        book,
        policy,
        cache::FILE_NAME,
        &cache::summaries_context(),
        |record, id| summary_record(record, id, parts),
        |path, shown, id, key| {
            let raw = read::read_guarded(path, shown, root)?;
            let (problems, customer) = check(&raw, shown, id);
            if let Some(key) = key {
                checked.keep(id, key, problems);
            }
            match customer {
                Some(customer) => Ok(Summary::of(&customer)),
                // The problem every other command reports for this file.
                None => read::parse_customer(&raw, shown, id).map(|l| Summary::of(&l.customer)),
            }
        },
        None,
    )?;
    Ok(scan.0)
}

/// Runs `check` (on a file's bytes, the path as shown, and the id) over every customer
/// file for `crm check`, giving each file's problems (none when clean). Files
/// unchanged since a check by this crm under the same `crm.toml` (see
/// [`Book::config_digest`]) reuse that check's problems from `check.cache`; the rest
/// are read in parallel, after the reader's safety checks, whose refusals are the
/// scan's own problems (and are never cached).
pub fn check_with<F>(
    book: &Book,
    policy: &cache::Policy,
    check: F,
) -> Result<(Scan<Vec<Problem>>, cache::Stats)>
where
    F: Fn(&[u8], &str, &CustomerId) -> Vec<Problem> + Sync,
{
    check_with_checked(book, policy, check, &Checked::default())
}

/// [`check_with`], taking the problems of a file unchanged since [`summaries_checking`]
/// read it from `checked` instead of reading it again.
pub(crate) fn check_with_checked<F>(
    book: &Book,
    policy: &cache::Policy,
    check: F,
    checked: &Checked,
) -> Result<(Scan<Vec<Problem>>, cache::Stats)>
where
    F: Fn(&[u8], &str, &CustomerId) -> Vec<Problem> + Sync,
{
    let root = book.canonical_root();
    cached_scan(
        book,
        policy,
        cache::CHECK_FILE_NAME,
        &cache::check_context(book.config_digest()),
        |record: &[u8], _| cache::decode_record(record),
        |path, shown, id, key| match key.and_then(|key| checked.take(id, key)) {
            Some(problems) => Ok(problems),
            None => Ok(check(&read::read_guarded(path, shown, root)?, shown, id)),
        },
        None,
    )
}

/// Maps every customer file to a `T` by `read` (given its path, the path as shown, its
/// id, and its key taken just before, when settled enough to be cached), in parallel,
/// taking the `T` of each file unchanged since the last scan from the cache `name` of
/// `context` instead (decoded by `get` from the record and the id, `None` if it does
/// not belong to that id), keeping only the values `keep` accepts (all without it),
/// and saves the cache again if it no longer holds exactly what was found.
fn cached_scan<T, G, R>(
    book: &Book,
    policy: &cache::Policy,
    name: &str,
    context: &str,
    get: G,
    read: R,
    keep: Option<&(dyn Fn(&T) -> bool + Sync)>,
) -> Result<(Scan<T>, cache::Stats)>
where
    T: serde::Serialize + Send + Sync,
    G: Fn(&[u8], &CustomerId) -> Option<T> + Sync,
    R: Fn(&Path, &str, &CustomerId, Option<Key>) -> std::result::Result<T, Problem> + Sync,
{
    let state_dir = book.state_dir();
    // The folder is listed while the cache's index is read: both wait on the file
    // system.
    let (entries, file) = rayon::join(|| entries(book), || CacheFile::load(&state_dir, name));
    let entries = entries?;
    let cache = file.open(context);
    let folder = cache::Folder::open(&book.customers_dir());
    // Taken before any file is looked at: a file changed after this has a later ctime.
    let cutoff = policy.cutoff();
    // The key is taken before the file is read, so a change in between makes the
    // stored key stale rather than the stored value.
    let key_of = |id: &CustomerId| match &folder {
        Some(folder) => folder.key(super::customer_file_name(id).as_ref()),
        None => Key::of_path(&book.customer_path(id)),
    };
    // A batch of files at a time: their keys, then the records of those whose key
    // matched, read in one go and freed before the next batch.
    let visit_batch = |entries: &[Entry],
                       sources: &mut [std::result::Result<Source, Box<Problem>>],
                       put: &mut dyn FnMut(usize, T)| {
        // Files are looked at in id order, so each one's slot is likely the one
        // after the last found.
        let mut hint = 0;
        let found: Vec<(Option<Key>, Option<usize>)> = entries
            .iter()
            .map(|entry| match &entry.id {
                Ok(id) => {
                    let key = key_of(id);
                    let slot = key.and_then(|key| cache.find(id.as_str(), &key, hint));
                    if let Some(slot) = slot {
                        hint = slot + 1;
                    }
                    (key, slot)
                }
                Err(_) => (None, None),
            })
            .collect();
        let first = found.iter().find_map(|(_, slot)| *slot);
        let last = found.iter().rev().find_map(|(_, slot)| *slot);
        let batch = first
            .zip(last)
            .map(|(first, last)| cache.batch(first, last));
        for (index, ((entry, (key, slot)), source)) in
            entries.iter().zip(found).zip(sources).enumerate()
        {
            let id = match &entry.id {
                Ok(id) => id,
                Err(problem) => {
                    *source = Err(problem.clone());
                    continue;
                }
            };
            let cached = slot.zip(batch.as_ref()).and_then(|(slot, batch)| {
                let value = get(cache.record(batch, slot)?, id)?;
                Some((value, Source::Cached(slot)))
            });
            let (value, found) = match cached {
                Some((value, found)) => (value, found),
                None => {
                    let path = book.customer_path(id);
                    let settled = key.filter(|k| k.settled(cutoff));
                    match read(&path, &book.shown(&path), id, settled) {
                        Ok(value) => {
                            let record = settled
                                .and_then(|k| Some(Box::new((k, cache::encode_record(&value)?))));
                            (value, Source::Read(record))
                        }
                        Err(problem) => {
                            *source = Err(Box::new(problem));
                            continue;
                        }
                    }
                }
            };
            *source = Ok(found);
            put(index, value);
        }
    };
    let mut sources: Vec<std::result::Result<Source, Box<Problem>>> =
        Vec::with_capacity(entries.len());
    sources.resize_with(entries.len(), || Ok(Source::Read(None)));
    let items: Vec<T> = match keep {
        // Every value, each put in its own slot of one vector made up front (collecting
        // them would hold them twice for a moment), which then drops its empty slots
        // in place (a `map` of the vector's own iterator reuses it, as `flatten` does
        // not).
        None => {
            let mut values: Vec<Option<T>> = Vec::with_capacity(entries.len());
            values.resize_with(entries.len(), || None);
            values
                .par_chunks_mut(FILES_PER_BATCH)
                .zip(sources.par_chunks_mut(FILES_PER_BATCH))
                .zip(entries.par_chunks(FILES_PER_BATCH))
                .for_each(|((values, sources), entries)| {
                    visit_batch(entries, sources, &mut |i, value| values[i] = Some(value))
                });
            values.retain(Option::is_some);
            values
                .into_iter()
                .map(|v| v.expect("only values are left"))
                .collect()
        }
        // Only the values kept, gathered a batch at a time: the rest are dropped as
        // soon as they are made.
        Some(keep) => sources
            .par_chunks_mut(FILES_PER_BATCH)
            .zip(entries.par_chunks(FILES_PER_BATCH))
            .map(|(sources, entries)| {
                let mut kept = Vec::new();
                visit_batch(entries, sources, &mut |_, value| {
                    if keep(&value) {
                        kept.push(value)
                    }
                });
                kept
            })
            .collect::<Vec<Vec<T>>>()
            .into_iter()
            .flatten()
            .collect(),
    };

    let mut stats = cache::Stats::default();
    let mut problems = Vec::new();
    let mut found: Vec<(&str, Source)> = Vec::with_capacity(sources.len());
    for (entry, source) in entries.iter().zip(sources) {
        match (source, &entry.id) {
            (Ok(source), Ok(id)) => {
                match source {
                    Source::Cached(..) => stats.hits += 1,
                    Source::Read(_) => stats.misses += 1,
                }
                found.push((id.as_str(), source));
            }
            (Err(problem), _) => problems.push(*problem),
            (Ok(_), Err(problem)) => problems.push(Problem::clone(problem)),
        }
    }
    let scan = Scan { items, problems };
    let cacheable = found.iter().filter(|(_, s)| s.cacheable()).count();
    // The file on disk holds exactly the hits iff nothing new is cacheable and nothing
    // stored went unused (deleted, renamed or changed files).
    if cacheable != stats.hits || cache.len() != stats.hits {
        // The unchanged files' records are copied as they are, so they are read again
        // (all of them at once, only when something changed).
        let stored = if stats.hits > 0 { cache.stored() } else { None };
        let records: Option<Vec<(&str, Key, &[u8])>> = found
            .iter()
            .filter_map(|(id, source)| match source {
                Source::Cached(slot) => Some(
                    stored
                        .as_ref()
                        .and_then(|stored| stored.raw(*slot))
                        .and_then(|raw| Some((*id, cache.key(*slot)?, raw))),
                ),
                Source::Read(Some(read)) => Some(Some((*id, read.0, read.1.as_slice()))),
                Source::Read(None) => None,
            })
            .collect();
        stats.saved =
            records.is_some_and(|records| cache::save(&state_dir, name, context, &records));
    }
    Ok((scan, stats))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_record_for_another_customer_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("crm.toml"), "").unwrap();
        fs::create_dir(dir.path().join("customers")).unwrap();
        fs::write(
            dir.path().join("customers/ada.yaml"),
            "name: Ada Lovelace\n",
        )
        .unwrap();
        fs::write(
            dir.path().join("customers/alan.yaml"),
            "name: Alan Turing\n",
        )
        .unwrap();
        let book = Book::open(dir.path()).unwrap();
        let policy = cache::Policy {
            min_age: Duration::ZERO,
        };
        let (scan, _) = summaries_with(&book, &policy).unwrap();
        let key =
            |id: &str| Key::of_path(&dir.path().join(format!("customers/{id}.yaml"))).unwrap();
        // Each file's own key, with the other customer's summary.
        let (ada, alan) = (&scan.items[0], &scan.items[1]);
        let (as_ada, as_alan) = (
            cache::encode_record(alan).unwrap(),
            cache::encode_record(ada).unwrap(),
        );
        let swapped = [
            ("ada", key("ada"), as_ada.as_slice()),
            ("alan", key("alan"), as_alan.as_slice()),
        ];
        let context = cache::summaries_context();
        assert!(cache::save(
            &book.state_dir(),
            cache::FILE_NAME,
            &context,
            &swapped
        ));
        let (again, stats) = summaries_with(&book, &policy).unwrap();
        assert_eq!((stats.hits, stats.misses), (0, 2));
        assert_eq!(again.items, scan.items);
    }

    #[test]
    fn check_reads_again_only_the_files_changed_since_the_summaries_read_them() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("crm.toml"), "").unwrap();
        fs::create_dir(dir.path().join("customers")).unwrap();
        let write = |id: &str, text: &str| {
            fs::write(dir.path().join(format!("customers/{id}.yaml")), text).unwrap()
        };
        write("ada", "name: Ada Lovelace\n");
        write("alan", "name: Alan Turing\n");
        let book = Book::open(dir.path()).unwrap();
        let policy = cache::Policy {
            min_age: Duration::ZERO,
        };
        let problem = |shown: &str, message: &str| Problem::at(shown, 1, 1, message);
        let checked = Checked::default();
        let summaries = summaries_checking(
            &book,
            &policy,
            Parts::All,
            |raw, shown, id| {
                let loaded = read::parse_customer(raw, shown, id).ok();
                let customer = loaded.map(|l| l.customer);
                (vec![problem(shown, "seen with the summaries")], customer)
            },
            &checked,
        )
        .unwrap();
        assert_eq!(summaries.items.len(), 2);
        // Changed after the summaries were read: its key no longer matches.
        write("ada", "name: Ada King\n");
        let reads = AtomicUsize::new(0);
        let (scan, _) = check_with_checked(
            &book,
            &policy,
            |_, shown, _| {
                reads.fetch_add(1, Ordering::Relaxed);
                vec![problem(shown, "seen by the check")]
            },
            &checked,
        )
        .unwrap();
        assert_eq!(reads.load(Ordering::Relaxed), 1);
        let messages: Vec<&str> = scan.items.iter().map(|p| p[0].message.as_str()).collect();
        assert_eq!(messages, ["seen by the check", "seen with the summaries"]);
    }
}
