//! The summary cache: what each customer file contributed to the last whole-book read,
//! so that `due`, `stats` and `list` parse only the files that changed since.
//!
//! It lives in `.crm/summaries.cache` (git-ignored) and is only ever a copy: deleting it,
//! truncating it, or a crm of another build finding it just means the next command
//! parses every file again and writes a fresh one.
//!
//! A record is trusted only when the file's identity still matches exactly: size,
//! modification time and status-change time to the nanosecond, inode and device. Any
//! write to a file changes its ctime (even one that sets the mtime back afterwards, and
//! even a `chmod`), and the kernel sets ctime from its own clock, so no editor can
//! forge it. Timestamps are coarse, though (a clock tick, or a whole second on some
//! file systems), so a file changed moments before it was read could be changed again
//! within the same tick without its key changing. Such files ("racy", as git calls
//! them) are read but not cached until their ctime is older than [`Policy::min_age`].
//!
//! Files with problems are never cached, and neither are symlinks (their target can
//! change without the link's own times changing). Writes go to a temp file in `.crm/`
//! and are renamed into place, so readers see a whole cache or none, and when two
//! processes save at once the last rename wins; every snapshot either writes is correct
//! on its own, because each record carries the key it was read under.
//!
//! The format is JSON lines: a header line (format and build of crm), then one
//! `[id, key, summary]` line per customer, so that loading decodes lines in parallel.
//! serde_json was already a dependency and keeps the file inspectable; a binary
//! format would decode faster but brought in a new proc-macro stack.
//!
//! Only the store uses this module; it never touches customer files.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::summary::Summary;

/// Name of the cache file in the book's state folder.
pub(crate) const FILE_NAME: &str = "summaries.cache";

/// Bumped whenever the layout of the cache changes.
const FORMAT: u32 = 3;

/// How long a temp file of a killed writer is left before a later save deletes it.
const TEMP_GRACE: Duration = Duration::from_secs(3600);

/// The identity of a customer file as the file system reports it. Two equal keys mean
/// the file was not written in between (see the module notes on racy files).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key {
    /// Length in bytes.
    pub(crate) size: u64,
    /// Modification time: seconds since the epoch.
    pub(crate) mtime_s: i64,
    /// Modification time: nanoseconds.
    pub(crate) mtime_ns: i64,
    /// Status-change time: seconds since the epoch.
    pub(crate) ctime_s: i64,
    /// Status-change time: nanoseconds.
    pub(crate) ctime_ns: i64,
    /// Inode number.
    pub(crate) inode: u64,
    /// Device number.
    pub(crate) device: u64,
}

impl Key {
    /// The key of a regular file from its (not followed) metadata; `None` for symlinks,
    /// anything that is not a plain file, and on platforms without ctime and inodes.
    #[cfg(unix)]
    pub(crate) fn of(meta: &fs::Metadata) -> Option<Key> {
        use std::os::unix::fs::MetadataExt;
        if !meta.file_type().is_file() {
            return None;
        }
        Some(Key {
            size: meta.size(),
            mtime_s: meta.mtime(),
            mtime_ns: meta.mtime_nsec(),
            ctime_s: meta.ctime(),
            ctime_ns: meta.ctime_nsec(),
            inode: meta.ino(),
            device: meta.dev(),
        })
    }

    /// Without ctime and inodes a same-size edit could go unseen, so nothing is cached.
    #[cfg(not(unix))]
    pub(crate) fn of(_meta: &fs::Metadata) -> Option<Key> {
        None
    }

    /// Whether the file last changed before `cutoff` (seconds, nanoseconds since the
    /// epoch), so that a later change must give it a different ctime.
    pub(crate) fn settled(&self, cutoff: (i64, i64)) -> bool {
        (self.ctime_s, self.ctime_ns) < cutoff
    }
}

/// When a freshly read file may be cached.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// How long ago a file's last change must be. Covers coarse file-system clocks
    /// (two seconds on FAT) and a little clock skew; zero only makes sense in tests.
    pub min_age: Duration,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            min_age: Duration::from_secs(2),
        }
    }
}

impl Policy {
    /// The cutoff for [`Key::settled`] for a read starting now. Files changing after
    /// this call get a ctime after the cutoff.
    #[allow(
        clippy::disallowed_methods,
        reason = "file ctimes are set from the kernel's clock, so they are compared with it, not with `today`"
    )]
    pub(crate) fn cutoff(&self) -> (i64, i64) {
        let since_epoch = SystemTime::now()
            .checked_sub(self.min_age)
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .unwrap_or(Duration::ZERO);
        (
            since_epoch.as_secs() as i64,
            i64::from(since_epoch.subsec_nanos()),
        )
    }
}

/// What a read did with the cache (for tests and benchmarks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Files whose summary came from the cache.
    pub hits: usize,
    /// Files that were read and parsed.
    pub misses: usize,
    /// Whether a new cache file was written.
    pub saved: bool,
}

/// The first line of the cache file.
#[derive(Serialize, Deserialize)]
struct Header {
    format: u32,
    build: String,
}

/// Every further line: one customer, as `[id, key, summary]` (an array, so that no
/// field names are repeated on each of a hundred thousand lines).
#[derive(Deserialize)]
struct Record(String, KeyFields, Summary);

#[derive(Serialize)]
struct RecordRef<'a>(&'a str, KeyFields, &'a Summary);

/// A [`Key`] as an array: size, mtime s and ns, ctime s and ns, inode, device.
type KeyFields = (u64, i64, i64, i64, i64, u64, u64);

impl From<&Key> for KeyFields {
    fn from(k: &Key) -> KeyFields {
        (
            k.size, k.mtime_s, k.mtime_ns, k.ctime_s, k.ctime_ns, k.inode, k.device,
        )
    }
}

impl From<KeyFields> for Key {
    fn from(f: KeyFields) -> Key {
        Key {
            size: f.0,
            mtime_s: f.1,
            mtime_ns: f.2,
            ctime_s: f.3,
            ctime_ns: f.4,
            inode: f.5,
            device: f.6,
        }
    }
}

/// The cache as loaded: records by id, each handed out at most once.
#[derive(Debug, Default)]
pub(crate) struct Cache {
    keys: HashMap<String, (usize, Key)>,
    summaries: Vec<Option<Summary>>,
}

impl Cache {
    /// Loads the cache of the book whose state folder is `state_dir`. A missing,
    /// unreadable, corrupt or foreign cache loads as empty.
    pub(crate) fn load(state_dir: &Path) -> Cache {
        // Never through a link crm did not make (a cloned repository's `.crm/`).
        let real = |p: &Path| fs::symlink_metadata(p).is_ok_and(|m| !m.file_type().is_symlink());
        let file = state_dir.join(FILE_NAME);
        if !(real(state_dir) && real(&file)) {
            return Cache::default();
        }
        let Ok(bytes) = fs::read(file) else {
            return Cache::default();
        };
        Cache::decode(&bytes).unwrap_or_default()
    }

    /// Decodes a cache file: a header line, then one JSON record per line (JSON
    /// strings cannot hold a raw newline), decoded in parallel.
    fn decode(bytes: &[u8]) -> Option<Cache> {
        let body = bytes.strip_suffix(b"\n")?;
        let mut lines = body.split(|b| *b == b'\n');
        let header: Header = serde_json::from_slice(lines.next()?).ok()?;
        if header.format != FORMAT || header.build != build_id() {
            return None;
        }
        let lines: Vec<&[u8]> = lines.collect();
        let records: Vec<Record> = lines
            .par_iter()
            .map(|line| serde_json::from_slice::<Record>(line).ok())
            .collect::<Option<Vec<Record>>>()?;
        let mut cache = Cache {
            keys: HashMap::with_capacity(records.len()),
            summaries: Vec::with_capacity(records.len()),
        };
        for Record(id, key, summary) in records {
            if summary.id != id {
                // Not something crm wrote; trust none of it.
                return None;
            }
            let slot = cache.summaries.len();
            if cache.keys.insert(id, (slot, key.into())).is_some() {
                return None;
            }
            cache.summaries.push(Some(summary));
        }
        Some(cache)
    }

    /// Number of records loaded.
    pub(crate) fn len(&self) -> usize {
        self.summaries.len()
    }

    /// The slot of `id`'s record if it was stored under exactly `key`.
    pub(crate) fn find(&self, id: &str, key: &Key) -> Option<usize> {
        match self.keys.get(id) {
            Some((slot, stored)) if stored == key => Some(*slot),
            _ => None,
        }
    }

    /// Takes the summary in `slot` (from [`Cache::find`]); `None` if already taken.
    pub(crate) fn take(&mut self, slot: usize) -> Option<Summary> {
        self.summaries.get_mut(slot).and_then(Option::take)
    }
}

/// Writes a new cache holding `records` (id order), replacing the old one atomically.
/// Failure (a read-only book, a full disk) only costs speed, so it is not an error.
pub(crate) fn save<'a>(
    state_dir: &Path,
    records: impl Iterator<Item = (&'a Key, &'a Summary)>,
) -> bool {
    let header = Header {
        format: FORMAT,
        build: build_id(),
    };
    let records: Vec<RecordRef> = records
        .map(|(key, summary)| RecordRef(&summary.id, key.into(), summary))
        .collect();
    let lines: Option<Vec<Vec<u8>>> = std::iter::once(serde_json::to_vec(&header).ok())
        .chain(
            records
                .par_iter()
                .map(|r| serde_json::to_vec(r).ok())
                .collect::<Vec<_>>(),
        )
        .collect();
    let Some(lines) = lines else {
        return false;
    };
    let mut bytes = Vec::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
    for line in lines {
        bytes.extend_from_slice(&line);
        bytes.push(b'\n');
    }
    write_atomically(state_dir, &bytes).is_ok()
}

fn write_atomically(state_dir: &Path, bytes: &[u8]) -> std::io::Result<()> {
    super::create_state_dir(state_dir)?;
    remove_stale_temps(state_dir);
    let mut temp = tempfile::Builder::new()
        .prefix(&format!("{FILE_NAME}."))
        .suffix(".tmp")
        .tempfile_in(state_dir)?;
    temp.write_all(bytes)?;
    // No fsync: after a crash a torn cache fails to decode and is rebuilt.
    temp.persist(state_dir.join(FILE_NAME))
        .map_err(|e| e.error)?;
    Ok(())
}

fn remove_stale_temps(state_dir: &Path) {
    let Ok(listing) = fs::read_dir(state_dir) else {
        return;
    };
    let prefix = format!("{FILE_NAME}.");
    for entry in listing.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(&prefix) && name.ends_with(".tmp")) {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > TEMP_GRACE);
        if old {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Identifies the crm that wrote a cache: its version and the size and time of its
/// executable, so that a rebuilt crm (whose summaries may differ) starts afresh.
fn build_id() -> String {
    let exe = std::env::current_exe()
        .ok()
        .and_then(|path| fs::metadata(path).ok())
        .map(|meta| {
            let modified = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .unwrap_or_default();
            format!("{}:{}", meta.len(), modified.as_nanos())
        })
        .unwrap_or_default();
    format!("crm {} {exe}", env!("CARGO_PKG_VERSION"))
}
