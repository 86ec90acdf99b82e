//! The caches of whole-book reads, in the book's `.crm/` folder (git-ignored):
//! `summaries.cache` holds what each customer file contributed to the last whole-book
//! read (its [`Summary`]), so that `due`, `stats`, `list`, `stale` and `find` parse only
//! the files that changed since; `check.cache` holds what `crm check` found in each
//! file, under the `crm.toml` it was checked with.
//!
//! Both are only ever a copy: deleting one, truncating it, flipping a byte of it, or a
//! crm of another build finding it, just means the next command reads every file again
//! and writes a fresh one. Nothing here is ever an error.
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
//! Files that cannot be read are never cached, and neither are symlinks (their target
//! can change without the link's own times changing). Writes go to a temp file in
//! `.crm/` and are renamed into place, so readers see a whole cache or none, and when
//! two processes save at once the last rename wins; every snapshot either writes is
//! correct on its own, because each record carries the key it was read under.
//!
//! # The format
//!
//! One binary file, integers little-endian:
//!
//! | bytes | what |
//! |---|---|
//! | 8 | `crmcache` |
//! | 4 | the layout's version, [`FORMAT`] |
//! | 4 + n | the context: which cache, the build of crm, and for `check.cache` a digest of `crm.toml` (see [`summaries_context`], [`check_context`]) |
//! | 8 | the index's length |
//! | 4 | the CRC-32 of the index |
//! | … | the index: postcard, per file in id order, its id, its [`Key`], and its record's length and CRC-32 |
//! | … | the records, back to back: each one value in postcard |
//!
//! So that a command reads and decodes only what it uses: opening the cache reads the
//! header and the index (a few dozen bytes a file, the ids borrowed from them), not the
//! records; comparing keys needs only the index; the records of a batch of files whose
//! keys matched are read with one `pread` in the parallel loop that stats the files,
//! each checked against its CRC-32 and decoded, and the batch freed before the next, so
//! that the records are never in memory all at once; a record is decoded only as far
//! as the command needs ([`decode_record_until`] stops at a named field of the
//! record's struct); a changed file's record is never read; and saving copies the
//! records of unchanged files as they are, without encoding them again.
//!
//! postcard rather than bincode: both are serde formats, so whatever [`Summary`]
//! becomes is stored without code here, but postcard has a documented, stable wire
//! format (since 1.0) and is maintained, while bincode's maintainers have stopped (its
//! 3.0 release only says so); its varints also make small numbers one byte. A
//! non-self-describing format, therefore nothing stored here may use
//! `#[serde(flatten)]`, `skip_serializing_if` or untagged enums. The CRC-32s
//! (crc32fast, vectorised) are checked before anything is decoded: the index's when the
//! cache is opened, each record's when it is read, so a torn or tampered index makes
//! the whole cache unused and a torn or tampered record only its own file read again.
//!
//! Only the store uses this module; it never touches customer files.

use std::borrow::Cow;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rayon::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[cfg(doc)]
use crate::domain::summary::Summary;

/// Name of the summary cache in the book's state folder.
pub(crate) const FILE_NAME: &str = "summaries.cache";

/// Name of `crm check`'s cache in the book's state folder.
pub(crate) const CHECK_FILE_NAME: &str = "check.cache";

/// The first bytes of every cache file.
const MAGIC: &[u8; 8] = b"crmcache";

/// Bumped whenever the layout of the cache changes (3 was JSON lines; 4 stored dates
/// as text; 5 checked all records with one CRC-32).
const FORMAT: u32 = 6;

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

    /// The key of the file at `path`, not following a symlink.
    pub(crate) fn of_path(path: &Path) -> Option<Key> {
        fs::symlink_metadata(path).ok().and_then(|m| Key::of(&m))
    }

    /// Whether the file last changed before `cutoff` (seconds, nanoseconds since the
    /// epoch), so that a later change must give it a different ctime.
    pub(crate) fn settled(&self, cutoff: (i64, i64)) -> bool {
        (self.ctime_s, self.ctime_ns) < cutoff
    }
}

/// A folder opened once, so that the key of each file in it is looked up by its name
/// alone: a `stat` of the whole path walks every folder above it again, which was a
/// tenth of a warm whole-book read of 100k files.
#[derive(Debug)]
pub(crate) struct Folder {
    #[cfg_attr(not(unix), allow(dead_code))]
    dir: fs::File,
}

impl Folder {
    /// Opens the folder at `path` (following a link, as a path lookup would).
    pub(crate) fn open(path: &Path) -> Option<Folder> {
        fs::File::open(path)
            .ok()
            .filter(|f| f.metadata().is_ok_and(|m| m.is_dir()))
            .map(|dir| Folder { dir })
    }

    /// The key of the file `name` in this folder, not following a symlink: what
    /// [`Key::of_path`] gives for its path.
    #[cfg(unix)]
    pub(crate) fn key(&self, name: &std::ffi::OsStr) -> Option<Key> {
        let stat = self.lstat(name).ok()?;
        if stat.st_mode & libc::S_IFMT != libc::S_IFREG {
            return None;
        }
        #[allow(
            clippy::unnecessary_cast,
            reason = "the field types differ between platforms"
        )]
        Some(Key {
            size: stat.st_size as u64,
            mtime_s: stat.st_mtime as i64,
            mtime_ns: stat.st_mtime_nsec as i64,
            ctime_s: stat.st_ctime as i64,
            ctime_ns: stat.st_ctime_nsec as i64,
            inode: stat.st_ino as u64,
            device: stat.st_dev as u64,
        })
    }

    /// What `lstat` gives for the entry `name` of this folder (not following a symlink).
    #[cfg(unix)]
    pub(crate) fn lstat(&self, name: &std::ffi::OsStr) -> std::io::Result<libc::stat> {
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::io::AsRawFd;
        let name = std::ffi::CString::new(name.as_bytes())
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
        let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: the folder's descriptor is open for the call, `name` is a valid
        // NUL-terminated string that outlives it, and `stat` is a buffer of the type
        // fstatat fills.
        let rc = unsafe {
            libc::fstatat(
                self.dir.as_raw_fd(),
                name.as_ptr(),
                stat.as_mut_ptr(),
                libc::AT_SYMLINK_NOFOLLOW,
            )
        };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: fstatat succeeded, so it filled the whole buffer.
        Ok(unsafe { stat.assume_init() })
    }

    /// Without ctime and inodes nothing is cached (see [`Key::of`]).
    #[cfg(not(unix))]
    pub(crate) fn key(&self, _name: &std::ffi::OsStr) -> Option<Key> {
        None
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
    /// Files whose record came from the cache.
    pub hits: usize,
    /// Files that were read and parsed.
    pub misses: usize,
    /// Whether a new cache file was written.
    pub saved: bool,
}

/// A [`Key`] as stored: size, mtime s and ns, ctime s and ns, inode, device.
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

/// One file in the index: its id, the key its record was made under, and the length and
/// CRC-32 of its record.
#[derive(Debug, Serialize, Deserialize)]
struct IndexEntry<'a> {
    id: &'a str,
    key: KeyFields,
    len: u32,
    crc: u32,
}

/// The context of the summary cache: its records depend only on the files and on crm.
pub(crate) fn summaries_context() -> String {
    format!("summaries\n{}", build_id())
}

/// The context of `crm check`'s cache: its records also depend on the book's settings
/// (the kinds it knows), so a digest of `crm.toml`'s bytes is part of it.
pub(crate) fn check_context(config_digest: u64) -> String {
    format!("check\n{}\ncrm.toml {config_digest:016x}", build_id())
}

/// A cache file as opened: its header and index read (see the module notes), its
/// records left on disk to be read a batch at a time. Empty when missing, unreadable
/// or reached through a link. [`CacheFile::open`] gives the records in it.
#[derive(Debug, Default)]
pub(crate) struct CacheFile {
    /// The framed part: header, context and index.
    head: Vec<u8>,
    /// The records after it, where the file is open.
    records: Option<(fs::File, u64)>,
}

/// The most bytes a cache's context may take: a few build details.
const MAX_CONTEXT: usize = 1 << 16;

impl CacheFile {
    /// Opens the cache `name` of the book whose state folder is `state_dir` and reads
    /// its header and index, not its records.
    pub(crate) fn load(state_dir: &Path, name: &str) -> CacheFile {
        // Never through a link crm did not make (a cloned repository's `.crm/`).
        let real = |p: &Path| fs::symlink_metadata(p).is_ok_and(|m| !m.file_type().is_symlink());
        let path = state_dir.join(name);
        if !(real(state_dir) && real(&path)) {
            return CacheFile::default();
        }
        CacheFile::read_head(&path).unwrap_or_default()
    }

    fn read_head(path: &Path) -> Option<CacheFile> {
        use std::io::Read;
        let mut file = fs::File::open(path).ok()?;
        let size = file.metadata().ok()?.len();
        // magic, format, the context's length; the context, the payload's length and
        // CRC-32; the payload (the index).
        let mut head = vec![0; MAGIC.len() + 8];
        file.read_exact(&mut head).ok()?;
        if head[..MAGIC.len()] != MAGIC[..] || head[MAGIC.len()..][..4] != FORMAT.to_le_bytes() {
            return None;
        }
        let context_len = u32::from_le_bytes(head[MAGIC.len() + 4..].try_into().ok()?) as usize;
        if context_len > MAX_CONTEXT {
            return None;
        }
        let at = head.len();
        head.resize(at + context_len + 12, 0);
        file.read_exact(&mut head[at..]).ok()?;
        let payload_len = u64::from_le_bytes(head[at + context_len..][..8].try_into().ok()?);
        if payload_len > size.saturating_sub(head.len() as u64) {
            return None;
        }
        let at = head.len();
        head.resize(at + usize::try_from(payload_len).ok()?, 0);
        file.read_exact(&mut head[at..]).ok()?;
        let records_at = head.len() as u64;
        Some(CacheFile {
            head,
            records: Some((file, size - records_at)),
        })
    }

    /// The records of the file if its header and index are whole and intact and of
    /// this `context` (see [`summaries_context`]); otherwise none.
    pub(crate) fn open(&self, context: &str) -> Cache<'_> {
        let records = match &self.records {
            Some((file, len)) => Records::File {
                file,
                at: self.head.len() as u64,
                len: *len,
            },
            None => Records::Memory(&[]),
        };
        Cache::decode(&self.head, context, records).unwrap_or_default()
    }
}

/// Where a cache's records are.
#[derive(Debug, Clone, Copy)]
enum Records<'a> {
    /// In an open file, `len` bytes from offset `at`.
    File {
        file: &'a fs::File,
        at: u64,
        len: u64,
    },
    /// In memory (a cache just encoded, in tests).
    #[cfg_attr(not(test), allow(dead_code))]
    Memory(&'a [u8]),
}

impl Records<'_> {
    fn len(&self) -> u64 {
        match self {
            Records::File { len, .. } => *len,
            Records::Memory(bytes) => bytes.len() as u64,
        }
    }

    /// The `len` bytes from `offset` (from the start of the records).
    fn read(&self, offset: usize, len: usize) -> Option<Cow<'_, [u8]>> {
        let end = offset.checked_add(len)?;
        match self {
            Records::Memory(bytes) => bytes.get(offset..end).map(Cow::Borrowed),
            Records::File { file, at, .. } => {
                let mut bytes = vec![0; len];
                read_exact_at(file, &mut bytes, at.checked_add(offset as u64)?).ok()?;
                Some(Cow::Owned(bytes))
            }
        }
    }
}

#[cfg(unix)]
fn read_exact_at(file: &fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

/// Without `pread`, a seek and a read; records are only read where files have keys,
/// that is on Unix (see [`Key::of`]).
#[cfg(not(unix))]
fn read_exact_at(mut file: &fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(buf)
}

/// The records of a cache file: found by id and key, read from the file a batch at a
/// time ([`Cache::batch`]), each decoded only when asked for. The index stays encoded:
/// an entry is decoded (borrowing its id) when it is looked at, so that an open cache
/// holds a few bytes a file beside the index's own.
#[derive(Debug)]
pub(crate) struct Cache<'a> {
    /// The encoded index entries, back to back.
    index: &'a [u8],
    /// Where each entry starts in `index`.
    entries: Vec<u32>,
    /// Where each record starts among the records; one more at the end, where the last
    /// one ends.
    starts: Vec<usize>,
    records: Records<'a>,
}

impl Default for Cache<'_> {
    fn default() -> Self {
        Cache {
            index: &[],
            entries: Vec::new(),
            starts: vec![0],
            records: Records::Memory(&[]),
        }
    }
}

/// Reads the fixed-size parts of a cache file's header.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

impl<'a> Cache<'a> {
    /// The records of the cache whose framed part is `head` and whose records are
    /// `records`, or `None` for anything but a whole index of `context` written by this
    /// layout whose records add up to what is there: checked from the header down
    /// before any record is used. Each record is checked when it is read.
    fn decode(head: &'a [u8], context: &str, records: Records<'a>) -> Option<Cache<'a>> {
        let payload = unframe(head, MAGIC, FORMAT, context)?;
        // A postcard sequence: its length, then the entries.
        let (count, mut rest) = postcard::take_from_bytes::<u64>(payload).ok()?;
        let count = usize::try_from(count).ok()?;
        // No more entries than bytes, so that a bad count cannot ask for memory.
        let mut entries = Vec::with_capacity(count.min(rest.len()));
        let mut starts = Vec::with_capacity(count.min(rest.len()) + 1);
        let mut at = 0usize;
        let mut previous: Option<&str> = None;
        for _ in 0..count {
            entries.push(u32::try_from(payload.len() - rest.len()).ok()?);
            let (entry, after) = postcard::take_from_bytes::<IndexEntry>(rest).ok()?;
            rest = after;
            // Ids in strictly increasing order, so that `find` can search them.
            if previous.is_some_and(|p| p >= entry.id) {
                return None;
            }
            previous = Some(entry.id);
            starts.push(at);
            at = at.checked_add(usize::try_from(entry.len).ok()?)?;
        }
        starts.push(at);
        // Records that add up to the bytes there.
        if !rest.is_empty() || at as u64 != records.len() {
            return None;
        }
        Some(Cache {
            index: payload,
            entries,
            starts,
            records,
        })
    }

    /// Number of records.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The index entry of `slot` (checked when the cache was opened).
    fn entry(&self, slot: usize) -> Option<IndexEntry<'a>> {
        let at = *self.entries.get(slot)? as usize;
        postcard::take_from_bytes(&self.index[at..])
            .ok()
            .map(|(entry, _)| entry)
    }

    /// The id in `slot`'s entry (its first field).
    fn id(&self, slot: usize) -> Option<&'a str> {
        let at = *self.entries.get(slot)? as usize;
        postcard::take_from_bytes(&self.index[at..])
            .ok()
            .map(|(id, _)| id)
    }

    /// The slot of `id`'s record if it was stored under exactly `key`. `hint` is
    /// where it is likely to be (the slot after the last one found, as files are
    /// looked at in id order), tried before a binary search.
    pub(crate) fn find(&self, id: &str, key: &Key, hint: usize) -> Option<usize> {
        let slot = if self.id(hint) == Some(id) {
            hint
        } else {
            let mut range = 0..self.len();
            // A binary search: ids are in strictly increasing order.
            loop {
                if range.is_empty() {
                    return None;
                }
                let middle = range.start + range.len() / 2;
                match self.id(middle)?.cmp(id) {
                    std::cmp::Ordering::Less => range.start = middle + 1,
                    std::cmp::Ordering::Greater => range.end = middle,
                    std::cmp::Ordering::Equal => break middle,
                }
            }
        };
        (Key::from(self.entry(slot)?.key) == *key).then_some(slot)
    }

    /// The key `slot`'s record was stored under.
    pub(crate) fn key(&self, slot: usize) -> Option<Key> {
        self.entry(slot).map(|entry| Key::from(entry.key))
    }

    /// The records from slot `first` to slot `last`, read in one go (one `pread`), so
    /// that only a batch of records is in memory at a time. An unreadable range gives
    /// a batch without records (their files are read instead).
    pub(crate) fn batch(&self, first: usize, last: usize) -> Batch<'_> {
        let bytes = (first <= last && last < self.len())
            .then(|| {
                let start = self.starts[first];
                self.records.read(start, self.starts[last + 1] - start)
            })
            .flatten();
        Batch {
            first,
            base: self.starts.get(first).copied().unwrap_or(0),
            bytes: bytes.unwrap_or_default(),
        }
    }

    /// Every record, for saving the unchanged ones again as they are ([`Stored`]).
    pub(crate) fn stored(&self) -> Option<Stored<'_, 'a>> {
        let len = usize::try_from(self.records.len()).ok()?;
        Some(Stored {
            cache: self,
            bytes: self.records.read(0, len)?,
        })
    }

    /// The bytes of `slot`'s record among `bytes` (records from slot `first`, whose
    /// record starts at `base`), if they are there and their checksum matches.
    fn record_in<'b>(
        &self,
        bytes: &'b [u8],
        first: usize,
        base: usize,
        slot: usize,
    ) -> Option<&'b [u8]> {
        if slot < first {
            return None;
        }
        let entry = self.entry(slot)?;
        let start = self.starts[slot].checked_sub(base)?;
        let record = bytes.get(start..start + entry.len as usize)?;
        (crc32fast::hash(record) == entry.crc).then_some(record)
    }
}

/// Records of a cache read together ([`Cache::batch`]).
#[derive(Debug)]
pub(crate) struct Batch<'a> {
    first: usize,
    base: usize,
    bytes: Cow<'a, [u8]>,
}

impl Cache<'_> {
    /// The bytes of the record in `slot` (from [`Cache::find`]) if `batch` holds it
    /// intact.
    pub(crate) fn record<'b>(&self, batch: &'b Batch<'_>, slot: usize) -> Option<&'b [u8]> {
        self.record_in(&batch.bytes, batch.first, batch.base, slot)
    }
}

/// All records of a cache, read to be saved again ([`Cache::stored`]).
#[derive(Debug)]
pub(crate) struct Stored<'c, 'a> {
    cache: &'c Cache<'a>,
    bytes: Cow<'c, [u8]>,
}

impl Stored<'_, '_> {
    /// The encoded record in `slot`, to be saved again as it is, if it is intact.
    pub(crate) fn raw(&self, slot: usize) -> Option<&[u8]> {
        self.cache.record_in(&self.bytes, 0, 0, slot)
    }
}

/// The record of `value`, as a cache saves it; `None` if it cannot be encoded (then it
/// is not cached).
pub(crate) fn encode_record<T: Serialize>(value: &T) -> Option<Vec<u8>> {
    postcard::to_extend(value, Vec::new()).ok()
}

/// `record` (the bytes of one) decoded; `None` if it does not decode as a whole `T`
/// (then the file is read instead).
pub(crate) fn decode_record<T: DeserializeOwned>(record: &[u8]) -> Option<T> {
    match postcard::take_from_bytes::<T>(record) {
        Ok((value, [])) => Some(value),
        _ => None,
    }
}

/// `record` decoded only up to the struct field named `stop`: that field and every one
/// after it are left at their `#[serde(default)]`, unread, so that a command pays only
/// for the fields it uses (see [`Prefix`]). `None` if it does not decode (then the file
/// is read instead).
pub(crate) fn decode_record_until<T: DeserializeOwned>(
    record: &[u8],
    stop: &'static str,
) -> Option<T> {
    let mut de = postcard::Deserializer::from_bytes(record);
    T::deserialize(Prefix { de: &mut de, stop }).ok()
}

/// Decodes the fields of a postcard struct before the one named `stop`. postcard writes
/// a struct as its fields back to back, without names or a count, so the leading
/// fields are a valid postcard tuple of their own: handed a sequence that ends there,
/// serde's derived visitor fills the missing fields from `#[serde(default)]` (and
/// fails on a field without one, so a reordered struct cannot silently lose data).
struct Prefix<'a, 'de> {
    de: &'a mut postcard::Deserializer<'de, postcard::de_flavors::Slice<'de>>,
    stop: &'static str,
}

impl<'de> serde::Deserializer<'de> for Prefix<'_, 'de> {
    type Error = postcard::Error;

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> postcard::Result<V::Value> {
        match fields.iter().position(|f| *f == self.stop) {
            Some(len) => serde::Deserializer::deserialize_tuple(self.de, len, visitor),
            None => serde::Deserializer::deserialize_struct(self.de, name, fields, visitor),
        }
    }

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> postcard::Result<V::Value> {
        Err(postcard::Error::WontImplement)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
        identifier ignored_any
    }
}

/// Writes a new cache `name` of `context` holding `records` (id, key, encoded record
/// from [`encode_record`] or as read; in id order), replacing the old one atomically.
/// Failure (a read-only book, a full disk) only costs speed, so it is not an error; it
/// is reported as `false`.
pub(crate) fn save(
    state_dir: &Path,
    name: &str,
    context: &str,
    records: &[(&str, Key, &[u8])],
) -> bool {
    encode(context, records).is_some_and(|bytes| write_atomically(state_dir, name, &bytes).is_ok())
}

/// The bytes of a cache file (see the module notes for the layout).
fn encode(context: &str, records: &[(&str, Key, &[u8])]) -> Option<Vec<u8>> {
    if !records.windows(2).all(|w| w[0].0 < w[1].0) {
        return None;
    }
    let index: Vec<IndexEntry> = records
        .par_iter()
        .map(|(id, key, body)| {
            Some(IndexEntry {
                id,
                key: key.into(),
                len: u32::try_from(body.len()).ok()?,
                crc: crc32fast::hash(body),
            })
        })
        .collect::<Option<_>>()?;
    let index = postcard::to_extend(&index, Vec::new()).ok()?;
    let mut bytes = frame(MAGIC, FORMAT, context, &index)?;
    bytes.reserve(records.iter().map(|(_, _, body)| body.len()).sum());
    for (_, _, body) in records {
        bytes.extend_from_slice(body);
    }
    Some(bytes)
}

/// A state file's bytes: `magic`, the layout's `format`, the `context` it is valid in
/// (the build of crm, and whatever else the file depends on), the payload's length and
/// CRC-32, then the payload. Shared by the caches and `.crm/appends`.
pub(super) fn frame(magic: &[u8], format: u32, context: &str, payload: &[u8]) -> Option<Vec<u8>> {
    let mut bytes = Vec::with_capacity(magic.len() + 20 + context.len() + payload.len());
    bytes.extend_from_slice(magic);
    bytes.extend_from_slice(&format.to_le_bytes());
    bytes.extend_from_slice(&u32::try_from(context.len()).ok()?.to_le_bytes());
    bytes.extend_from_slice(context.as_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    bytes.extend_from_slice(payload);
    Some(bytes)
}

/// The payload of a file [`frame`] wrote with the same `magic`, `format` and `context`;
/// `None` for any other file, a torn one or one whose checksum does not match.
pub(super) fn unframe<'a>(
    bytes: &'a [u8],
    magic: &[u8],
    format: u32,
    context: &str,
) -> Option<&'a [u8]> {
    let mut reader = Reader(bytes);
    if reader.take(magic.len())? != magic || reader.u32()? != format {
        return None;
    }
    let context_len = usize::try_from(reader.u32()?).ok()?;
    if reader.take(context_len)? != context.as_bytes() {
        return None;
    }
    let payload_len = reader.u64()?;
    let checksum = reader.u32()?;
    let payload = reader.0;
    (u64::try_from(payload.len()).ok()? == payload_len && crc32fast::hash(payload) == checksum)
        .then_some(payload)
}

/// Replaces the state file `name` in `state_dir` by a temp file and a rename (also used
/// by the fit cache and the readable set), clearing that file's leftover temps.
pub(super) fn write_atomically(state_dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    super::create_state_dir(state_dir)?;
    remove_stale_temps(state_dir, name);
    let mut temp = tempfile::Builder::new()
        .prefix(&format!("{name}."))
        .suffix(".tmp")
        .tempfile_in(state_dir)?;
    temp.write_all(bytes)?;
    // No fsync: after a crash a torn cache fails its checksum and is rebuilt.
    temp.persist(state_dir.join(name)).map_err(|e| e.error)?;
    Ok(())
}

fn remove_stale_temps(state_dir: &Path, name: &str) {
    let Ok(listing) = fs::read_dir(state_dir) else {
        return;
    };
    let prefix = format!("{name}.");
    for entry in listing.flatten() {
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        if !(file_name.starts_with(&prefix) && file_name.ends_with(".tmp")) {
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
pub(super) fn build_id() -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u64) -> Key {
        Key {
            size: n,
            mtime_s: 1_700_000_000,
            mtime_ns: 123_456_789,
            ctime_s: 1_700_000_001,
            ctime_ns: 987_654_321,
            inode: 4242 + n,
            device: 66306,
        }
    }

    type Value = (String, Vec<u32>);

    fn sample() -> Vec<u8> {
        let a: Value = ("one".to_string(), vec![1, 2]);
        let b: Value = ("two".to_string(), vec![]);
        encode(
            "ctx",
            &[
                ("a", key(1), encode_record(&a).unwrap().as_slice()),
                ("b", key(2), encode_record(&b).unwrap().as_slice()),
            ],
        )
        .unwrap()
    }

    /// The cache in `bytes` (a whole file, records and all), as `open` gives it.
    fn cache(bytes: &[u8]) -> Option<Cache<'_>> {
        let head = head_len(bytes).filter(|h| *h <= bytes.len())?;
        Cache::decode(&bytes[..head], "ctx", Records::Memory(&bytes[head..]))
    }

    /// The length of the framed part of a cache file.
    fn head_len(bytes: &[u8]) -> Option<usize> {
        let mut reader = Reader(bytes);
        reader.take(MAGIC.len() + 4)?;
        let context = reader.u32()? as usize;
        reader.take(context)?;
        let index = reader.u64()? as usize;
        Some(MAGIC.len() + 8 + context + 12 + index)
    }

    /// The record in `slot`, read alone and decoded whole.
    fn get_as<T: DeserializeOwned>(cache: &Cache<'_>, slot: usize) -> Option<T> {
        decode_record(cache.record(&cache.batch(slot, slot), slot)?)
    }

    /// The record in `slot`, as the tests' own [`Value`].
    fn get(cache: &Cache<'_>, slot: usize) -> Option<Value> {
        get_as(cache, slot)
    }

    /// Whether `bytes` is a cache whose every record is intact.
    fn decodes(bytes: &[u8]) -> bool {
        cache(bytes).is_some_and(|c| (0..c.len()).all(|slot| get(&c, slot).is_some()))
    }
    #[test]
    fn records_come_back_by_id_and_exact_key() {
        let bytes = sample();
        let cache = cache(&bytes).unwrap();
        assert_eq!(cache.len(), 2);
        let slot = cache.find("b", &key(2), 0).unwrap();
        assert_eq!(get(&cache, slot), Some(("two".to_string(), vec![])));
        assert_eq!(
            get(&cache, cache.find("a", &key(1), 1).unwrap()),
            Some(("one".to_string(), vec![1, 2]))
        );
        // Both in one batch, as a whole-book read reads them.
        let batch = cache.batch(0, 1);
        let records: Vec<Value> = (0..2)
            .map(|slot| decode_record(cache.record(&batch, slot).unwrap()).unwrap())
            .collect();
        assert_eq!(records[1], ("two".to_string(), vec![]));
        let mut changed = key(1);
        changed.ctime_ns += 1;
        assert_eq!(cache.find("a", &changed, 0), None);
        assert_eq!(cache.find("c", &key(1), 0), None);
        // The hint is only a hint: right, wrong or past the end, the same slot.
        for hint in [0, 1, 2, 99] {
            assert_eq!(cache.find("b", &key(2), hint), Some(1), "hint {hint}");
            assert_eq!(cache.find("a", &key(1), hint), Some(0), "hint {hint}");
        }
    }

    #[test]
    fn stored_records_are_saved_again_as_they_are() {
        let bytes = sample();
        let old = cache(&bytes).unwrap();
        let stored = old.stored().unwrap();
        let c = ("three".to_string(), vec![3]);
        let again = encode(
            "ctx",
            &[
                ("a", key(1), stored.raw(0).unwrap()),
                ("c", key(3), encode_record(&c).unwrap().as_slice()),
            ],
        )
        .unwrap();
        let cache = cache(&again).unwrap();
        assert_eq!(get(&cache, 0), Some(("one".to_string(), vec![1, 2])));
        assert_eq!(get(&cache, 1), Some(c));
    }

    #[test]
    fn another_context_or_format_is_not_read() {
        let bytes = sample();
        assert!(decodes(&bytes));
        let head = head_len(&bytes).unwrap();
        let records = Records::Memory(&bytes[head..]);
        assert!(Cache::decode(&bytes[..head], "ctx2", records).is_none());
        let mut other = bytes.clone();
        other[8] ^= 1; // the format version
        assert!(!decodes(&other));
    }

    #[test]
    fn every_truncation_and_every_flipped_byte_is_caught() {
        let bytes = sample();
        for cut in 0..bytes.len() {
            assert!(!decodes(&bytes[..cut]), "cut at {cut}");
        }
        for at in 0..bytes.len() {
            for bit in [0x01, 0x80] {
                let mut flipped = bytes.clone();
                flipped[at] ^= bit;
                assert!(!decodes(&flipped), "byte {at} ^ {bit:#x}");
            }
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(!decodes(&longer));
        assert!(!decodes(b""));
        assert!(!decodes(b"crmcache garbage garbage garbage garbage"));
    }

    /// A flipped byte in one record costs only that record: the index and the other
    /// records are still used.
    #[test]
    fn a_damaged_record_costs_only_its_own_file() {
        let bytes = sample();
        let last = bytes.len() - 1; // in "b"'s record, the last
        let mut flipped = bytes.clone();
        flipped[last] ^= 0x01;
        let cache = cache(&flipped).unwrap();
        assert_eq!(get(&cache, 0), Some(("one".to_string(), vec![1, 2])));
        assert_eq!(get(&cache, 1), None);
        assert!(cache.stored().unwrap().raw(1).is_none());
    }

    /// Opened from a file, the cache reads its header and index, and its records only
    /// when asked.
    #[test]
    fn a_cache_file_is_read_from_disk_by_batches() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("x.cache"), sample()).unwrap();
        let file = CacheFile::load(dir.path(), "x.cache");
        let cache = file.open("ctx");
        assert_eq!(cache.len(), 2);
        assert_eq!(get(&cache, 1), Some(("two".to_string(), vec![])));
        assert_eq!(file.open("other").len(), 0);
        // A torn file (its records cut short) is not used at all.
        let bytes = sample();
        fs::write(dir.path().join("x.cache"), &bytes[..bytes.len() - 1]).unwrap();
        assert_eq!(CacheFile::load(dir.path(), "x.cache").open("ctx").len(), 0);
        for cut in 0..head_len(&bytes).unwrap() {
            fs::write(dir.path().join("x.cache"), &bytes[..cut]).unwrap();
            let file = CacheFile::load(dir.path(), "x.cache");
            assert_eq!(file.open("ctx").len(), 0, "cut at {cut}");
        }
    }

    /// The leading fields of a summary decode alone, the rest left empty; every date
    /// (stored as a day number) comes back as it was.
    #[test]
    fn a_summary_decodes_up_to_the_parts_a_command_reads() {
        use crate::domain::customer::Customer;
        use crate::domain::summary::{Parts, Summary};
        let yaml = "name: Ada Lovelace\nsince: 2020-02-29\nfollow_up:\n  every: 30d\n\
                    preferences:\n  tea: earl grey\ninteractions:\n\
                    \x20 - date: 2024-12-31\n    kind: purchase\n    amount: 10.00\n    summary: bought a lamp\n\
                    \x20 - date: 2025-01-10\n    kind: call\n    summary: asked about delivery\n    follow_up: 2025-02-01\n";
        let mut customer: Customer = serde_yaml::from_str(yaml).unwrap();
        customer.id = crate::domain::id::CustomerId::parse("ada").unwrap();
        let whole = Summary::of(&customer);
        assert!(!(whole.touches.is_empty() || whole.prefs.is_empty() || whole.notes.is_empty()));
        assert!(whole.promise.is_some() && whole.since.is_some());
        let record = encode_record(&whole).unwrap();
        let bytes = encode("ctx", &[("ada", key(1), record.as_slice())]).unwrap();
        let head = head_len(&bytes).unwrap();
        let cache = Cache::decode(&bytes[..head], "ctx", Records::Memory(&bytes[head..])).unwrap();
        assert_eq!(get_as::<Summary>(&cache, 0).as_ref(), Some(&whole));
        let batch = cache.batch(0, 0);
        let record = cache.record(&batch, 0).unwrap();
        let mut loyalty = whole.clone();
        loyalty.prefs = Box::default();
        loyalty.notes = Box::default();
        let mut core = loyalty.clone();
        core.touches = Box::default();
        for (parts, expected) in [(Parts::Core, core), (Parts::Loyalty, loyalty)] {
            let stop = parts.first_unread().unwrap();
            assert_eq!(
                decode_record_until::<Summary>(record, stop),
                Some(expected),
                "{parts:?}"
            );
        }
        assert_eq!(Parts::All.first_unread(), None);
    }

    /// The key looked up by name in an open folder is the key of the path: regular
    /// files only, links not followed.
    #[test]
    fn a_key_by_name_in_a_folder_is_the_key_of_the_path() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.yaml"), "name: A\n").unwrap();
        fs::create_dir(dir.path().join("sub.yaml")).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("a.yaml", dir.path().join("link.yaml")).unwrap();
        let folder = Folder::open(dir.path()).unwrap();
        let a = folder.key("a.yaml".as_ref());
        assert!(a.is_some());
        assert_eq!(a, Key::of_path(&dir.path().join("a.yaml")));
        for other in ["sub.yaml", "link.yaml", "missing.yaml"] {
            assert_eq!(folder.key(other.as_ref()), None, "{other}");
        }
        assert!(Folder::open(&dir.path().join("a.yaml")).is_none());
    }

    #[test]
    fn ids_out_of_order_are_not_saved() {
        let a = encode_record::<Value>(&("x".to_string(), vec![])).unwrap();
        let records = [("b", key(1), a.as_slice()), ("a", key(2), a.as_slice())];
        assert!(encode("ctx", &records).is_none());
    }
}
