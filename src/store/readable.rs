//! Which customer files cannot be read, for `crm status`, without parsing the whole
//! book on every run.
//!
//! Whether a customer file reads is a function of its name and its bytes alone (the
//! reader takes no setting from `crm.toml`, and a symlink or a folder is never a
//! regular file git holds). So a file whose bytes crm has parsed before, without a
//! problem, still reads. The bytes are named by git's blob id: git's index holds, for
//! each file it tracks, the blob id and size of the content it last hashed, and the
//! same stat data `git status` compares to tell that the file is unchanged since.
//!
//! The rule, file by file (every `customers/*.yaml` found by listing the folder):
//! - a file that git reports changed in any way (staged or not, new, renamed, in
//!   conflict), or that is not in the index, or that the index marks
//!   assume-unchanged or skip-worktree (git does not look at those), is parsed;
//! - a file git reports unchanged is taken as readable only when its index blob id and
//!   size are in the set of *readable blobs* (`.crm/readable`): blob ids of bytes that
//!   this very build of crm parsed without a problem. Nothing else puts an id there:
//!   not being in HEAD, not having been committed by crm. A file committed broken (by
//!   git, or by `crm commit`, which warns and commits it) is never in the set, so it is
//!   parsed, and reported, on every run until it is fixed;
//! - a parsed file that reads joins the set only when git's hash of the very bytes
//!   parsed is the index's blob id (with the same size): where git's filters
//!   (`core.autocrlf`, `.gitattributes`) make the stored blob differ from the working
//!   bytes, the file is simply parsed each time.
//!
//! The set is rewritten only when it changed, and holds only files readable now, so it
//! never outgrows the book. It is best effort: when it cannot be read or written every
//! file is parsed, as before. A file from another build (or a cloned repository's
//! `.crm/`) is ignored, as it may follow other reading rules.

use std::collections::HashSet;
use std::fs;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::path::Path;

use rayon::prelude::*;

use super::read::{self, Problem};
use super::{scan, Book};
use crate::domain::id::CustomerId;

/// The name of the set of readable blobs in crm's state folder.
const FILE_NAME: &str = "readable";
/// The first line of the file, before the build it belongs to.
const FORMAT: &str = "crm readable blobs 1";
/// Bytes of one record: a 20-byte blob id and a little-endian 8-byte size.
const RECORD: usize = 28;

/// A file's content as git's index names it: the blob id and the file's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlobKey {
    /// git's SHA-1 of the content.
    pub(crate) id: [u8; 20],
    /// The working file's size in bytes.
    pub(crate) size: u64,
}

impl Hash for BlobKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // The id is a hash already: its first eight bytes are as good a hash as any.
        state.write(&self.id[..8]);
    }
}

/// The hasher of [`KeySet`]: takes a blob id's first bytes as they are, so that a set
/// of a hundred thousand keys is not SipHashed twice per `crm status`.
#[derive(Debug, Default, Clone, Copy)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A set of readable blobs.
type KeySet = HashSet<BlobKey, BuildHasherDefault<IdHasher>>;

/// What `crm status` already knows of a customer file before this module looks at it.
#[derive(Debug)]
pub(crate) enum Known<'a> {
    /// The working file was parsed (to say what changed): with this outcome.
    Parsed(Option<&'a Problem>),
    /// git reports the file unchanged since it hashed these bytes.
    Unchanged(BlobKey),
}

/// The customer files of `book` that cannot be read, in id order (as every whole-book
/// read reports them). `listing` is the names in `customers/` in byte order, when
/// listed already (else the folder is listed here); `known(book_path)` says what is
/// known of a file already (see [`Known`]), asked of the files in id order; `blob_id`
/// is git's hash of a file's bytes. Reads `.crm/readable` and rewrites it when it
/// changed (see the module's rule).
pub(crate) fn unreadable<'p>(
    book: &Book,
    listing: Option<Vec<std::ffi::OsString>>,
    known: &mut dyn FnMut(&str) -> Option<Known<'p>>,
    blob_id: &(dyn Fn(&[u8]) -> Option<[u8; 20]> + Sync),
) -> crate::error::Result<Vec<Problem>> {
    let names = match listing {
        Some(names) => names,
        None => scan::names(book)?,
    };
    let state_dir = book.state_dir();
    let stored = load(&state_dir);
    let root = book.canonical_root();
    let dir = book.customers_dir();
    // Each file's shown path is `book.shown(&path)`: the folder's, a separator and the
    // name, built in one buffer rather than one string per file of the book.
    let mut buffer = book.shown(&dir);
    buffer.push_str(std::path::MAIN_SEPARATOR_STR);
    let folder_len = buffer.len();
    // Problems by the file's place among the names (sorted at the end: the names are in
    // id order), and the keys the set keeps (or gains).
    let mut problems: Vec<(usize, Problem)> = Vec::new();
    let mut keep = KeySet::with_capacity_and_hasher(stored.len(), BuildHasherDefault::default());
    let mut to_parse: Vec<(usize, String, Option<BlobKey>)> = Vec::new();
    for (index, os_name) in names.iter().enumerate() {
        let name = os_name.to_string_lossy();
        let Some(stem) = scan::customer_stem(&name) else {
            continue;
        };
        if !CustomerId::is_valid(stem) {
            if let Some(Err(problem)) = scan::entry_of(book, &dir, os_name).map(|e| e.id) {
                problems.push((index, *problem));
            }
            continue;
        }
        buffer.truncate(folder_len);
        buffer.push_str(&name);
        match known(&buffer) {
            Some(Known::Parsed(problem)) => {
                if let Some(problem) = problem {
                    problems.push((index, problem.clone()));
                }
            }
            Some(Known::Unchanged(key)) if stored.contains(&key) => {
                keep.insert(key);
            }
            Some(Known::Unchanged(key)) => to_parse.push((index, buffer.clone(), Some(key))),
            None => to_parse.push((index, buffer.clone(), None)),
        }
    }
    let parsed: Vec<(usize, Result<Option<BlobKey>, Problem>)> = to_parse
        .par_iter()
        .filter_map(|(index, shown, key)| {
            let entry = scan::entry_of(book, &dir, &names[*index])?;
            let outcome = entry.id.map_err(|problem| *problem).and_then(|id| {
                read::read_customer(&book.customer_path(&id), shown, root, &id).map(|loaded| {
                    let raw = loaded.raw();
                    key.filter(|k| k.size == raw.len() as u64 && blob_id(raw) == Some(k.id))
                })
            });
            Some((*index, outcome))
        })
        .collect();
    for (index, outcome) in parsed {
        match outcome {
            Ok(key) => keep.extend(key),
            Err(problem) => problems.push((index, problem)),
        }
    }
    if keep != stored {
        save(&state_dir, &keep);
    }
    problems.sort_by_key(|(index, _)| *index);
    Ok(problems.into_iter().map(|(_, p)| p).collect())
}

/// The stored set; empty when there is none, or it is not this build's, or damaged.
fn load(state_dir: &Path) -> KeySet {
    // Never through a link crm did not make (a cloned repository's `.crm/`).
    let real = |p: &Path| fs::symlink_metadata(p).is_ok_and(|m| !m.file_type().is_symlink());
    let file = state_dir.join(FILE_NAME);
    if !(real(state_dir) && real(&file)) {
        return KeySet::default();
    }
    fs::read(file)
        .ok()
        .and_then(|bytes| decode(&bytes))
        .unwrap_or_default()
}

/// The file: the header line, the records, and an FNV-1a checksum of all before it.
fn encode(keys: &KeySet) -> Vec<u8> {
    let mut sorted: Vec<&BlobKey> = keys.iter().collect();
    sorted.sort_unstable_by_key(|k| (k.id, k.size));
    let mut bytes = header().into_bytes();
    bytes.reserve(sorted.len() * RECORD + 8);
    for key in sorted {
        bytes.extend_from_slice(&key.id);
        bytes.extend_from_slice(&key.size.to_le_bytes());
    }
    let sum = crate::domain::import::fnv1a64(&bytes);
    bytes.extend_from_slice(&sum.to_le_bytes());
    bytes
}

fn decode(bytes: &[u8]) -> Option<KeySet> {
    let (body, sum) = bytes.split_at_checked(bytes.len().checked_sub(8)?)?;
    if crate::domain::import::fnv1a64(body).to_le_bytes() != sum {
        return None;
    }
    let records = body.strip_prefix(header().as_bytes())?;
    if records.len() % RECORD != 0 {
        return None;
    }
    let mut keys =
        KeySet::with_capacity_and_hasher(records.len() / RECORD, BuildHasherDefault::default());
    for record in records.chunks_exact(RECORD) {
        let (id, size) = record.split_at(20);
        keys.insert(BlobKey {
            id: id.try_into().ok()?,
            size: u64::from_le_bytes(size.try_into().ok()?),
        });
    }
    Some(keys)
}

/// Best effort: a set that cannot be written only costs the next run its parse.
fn save(state_dir: &Path, keys: &KeySet) {
    let _ = super::cache::write_atomically(state_dir, FILE_NAME, &encode(keys));
}

/// The header line: the format and the build of crm (the caches' build identity), since
/// another build may read files by other rules.
fn header() -> String {
    format!("{FORMAT} {}\n", super::cache::build_id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_set_round_trips_and_damage_is_refused() {
        let keys: KeySet = [
            BlobKey {
                id: [7; 20],
                size: 1234,
            },
            BlobKey {
                id: [1; 20],
                size: 0,
            },
        ]
        .into_iter()
        .collect();
        let bytes = encode(&keys);
        assert_eq!(bytes.len(), header().len() + 2 * RECORD + 8);
        assert_eq!(decode(&bytes), Some(keys));
        for at in [0, header().len() + 3, bytes.len() - 1] {
            let mut damaged = bytes.clone();
            damaged[at] ^= 1;
            assert_eq!(decode(&damaged), None, "a flipped bit at {at}");
        }
        assert_eq!(decode(&bytes[..bytes.len() - 1]), None);
        assert_eq!(decode(b""), None);
    }
}
