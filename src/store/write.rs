//! Crash-safe writes: a book-wide advisory lock, then temp file + fsync + rename, after
//! checking that the file still holds the bytes crm read.
//!
//! Temp files live in the book's own `.crm/tmp/` (same file system, so the rename is
//! atomic), never beside customer files: readers and `git status` never see them, and
//! whoever takes the lock next deletes what a killed writer left there.
//!
//! The lock is `flock`-style (`File::lock`): the kernel drops it when the process dies,
//! so a killed crm never wedges the book. Readers take no lock: rename is atomic, so a
//! reader sees the old file or the new one, never half of one.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::error::{Error, ErrorKind, Result};

/// How long a writer waits for the book's lock by default.
pub(crate) const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(10);

/// Proof that this process holds the book's write lock; released on drop.
#[derive(Debug)]
pub struct WriteLock {
    file: File,
    temp_dir: PathBuf,
    /// What the files crm wrote last (under the lock, by any crm) looked like just
    /// after: such a file is complete, so [`WriteLock::settle`] need not wait for it.
    own: Vec<Stamp>,
    written: Vec<PathBuf>,
    replaced: Vec<(PathBuf, Vec<u8>)>,
    /// The paths in `replaced`, so that an import of thousands of files does not
    /// compare each path with every other.
    replaced_paths: std::collections::HashSet<PathBuf>,
}

/// Replaces the file at `path` with `contents` atomically (temp file beside it, fsync,
/// rename), keeping its permission bits; for a file outside any book, such as the
/// temporary file git hands a merge driver. The link itself is replaced if `path` is
/// one: nothing is followed.
pub(crate) fn replace_atomically(path: &Path, contents: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let permissions = fs::symlink_metadata(path)
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.permissions());
    let mut temp = tempfile::Builder::new()
        .prefix(".crm-merge.")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io("create a temporary file in", dir, &e))?;
    temp.write_all(contents)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| Error::io("write", temp.path(), &e))?;
    if let Some(permissions) = permissions {
        // Best effort: failure only costs the mode bits.
        let _ = fs::set_permissions(temp.path(), permissions);
    }
    temp.persist(path)
        .map_err(|e| Error::io("replace", path, &e.error))?;
    Ok(())
}

/// Takes the lock file `lock` in the book's state folder `state_dir` (creating both),
/// waiting at most `wait`, then clears leftover temp files.
pub(crate) fn lock(state_dir: &Path, wait: Duration) -> Result<WriteLock> {
    let temp_dir = state_dir.join("tmp");
    super::create_state_dir(state_dir)
        .map_err(|e| super::state_error("create folder", state_dir, &e))?;
    super::own_dir(&temp_dir).map_err(|e| super::state_error("create folder", &temp_dir, &e))?;
    let path = &state_dir.join("lock");
    let file = open_own_file(path).map_err(|e| super::state_error("open lock file", path, &e))?;
    if !wait_for_flock(&file, wait).map_err(|e| Error::io("lock", path, &e))? {
        return Err(Error::new(
            ErrorKind::Locked,
            format!(
                "another crm process has held the book's lock `{}` for over {}s",
                path.display(),
                wait.as_secs_f64()
            ),
        )
        .with_hint("try again when it has finished; set CRM_LOCK_TIMEOUT=SECONDS to wait longer"));
    }
    remove_leftover_temps(&temp_dir);
    let own = read_stamps(&file);
    Ok(WriteLock {
        file,
        own,
        temp_dir,
        written: Vec::new(),
        replaced: Vec::new(),
        replaced_paths: std::collections::HashSet::new(),
    })
}

/// Takes an exclusive `flock` on `file`, retrying with a growing pause for at most
/// `wait`: `Ok(false)` when another process still holds it then. Shared by the book's
/// write lock and the sync lock.
#[allow(
    clippy::disallowed_methods,
    reason = "waiting for the lock is timed (CRM_LOCK_TIMEOUT)"
)]
pub(super) fn wait_for_flock(file: &fs::File, wait: Duration) -> std::io::Result<bool> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(2);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(true),
            Err(fs::TryLockError::WouldBlock) if started.elapsed() < wait => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(fs::TryLockError::WouldBlock) => return Ok(false),
            Err(fs::TryLockError::Error(e)) => return Err(e),
        }
    }
}
impl WriteLock {
    /// Creates `path` with `contents`; fails if it already exists.
    pub(crate) fn create(&mut self, path: &Path, contents: &[u8]) -> Result<()> {
        let temp = self.write_temp(path, contents, None)?;
        persist_new(temp, path)?;
        self.finish(path)
    }

    /// Replaces `path` with `contents` if it still holds exactly `expected`.
    /// A symlink (one inside the book: the reader refuses others) is followed, so the
    /// file it points at is updated and the link stays a link.
    ///
    /// The file is compared with `expected` three times: once it has settled (see
    /// [`WriteLock::settle`]), again after the new contents are on disk (an fsync can
    /// take long), and last the file swapped out by the atomic exchange itself, which
    /// is swapped back if it is not what crm read (see [`swap_in`]).
    pub(crate) fn replace(&mut self, path: &Path, expected: &[u8], contents: &[u8]) -> Result<()> {
        let resolved = resolve_link(path)?;
        let path = resolved.as_path();
        self.settle(path)?;
        if !still(path, expected)? {
            return Err(changed(path));
        }
        let permissions = fs::metadata(path).ok().map(|m| m.permissions());
        let temp = self.write_temp(path, contents, permissions)?;
        swap_in(temp, path, expected)?;
        self.remember_original(path, expected);
        self.finish(path)
    }

    /// Waits until `path` is not being written by someone else: a file whose status
    /// changed less than [`QUIET`] ago may be an editor's save in progress (truncate,
    /// then write in chunks), so crm waits until it has been quiet that long, at most
    /// [`SETTLE_LIMIT`]. A file as crm itself last wrote it needs no wait: crm writes
    /// by rename, whole.
    #[allow(
        clippy::disallowed_methods,
        reason = "waiting for a file to settle is timed, as the lock wait is"
    )]
    pub(crate) fn settle(&self, path: &Path) -> Result<()> {
        let started = Instant::now();
        loop {
            let Ok(meta) = fs::metadata(path) else {
                return Ok(());
            };
            let stamp = Stamp::of(&meta);
            if self.own.contains(&stamp) {
                return Ok(());
            }
            let age = stamp.age();
            if age >= QUIET {
                return Ok(());
            }
            if started.elapsed() > SETTLE_LIMIT {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "`{}` is being written by another program (it kept changing for {:.1}s); nothing was written",
                        path.display(),
                        SETTLE_LIMIT.as_secs_f64()
                    ),
                )
                .with_hint("let the other program (an editor, a sync tool) finish saving, then run the command again"));
            }
            std::thread::sleep(QUIET - age);
        }
    }

    /// Reads `path` once it has settled ([`WriteLock::settle`]) and only when the read
    /// was stable: the file's size, times and inode are the same before and after it.
    /// `read` gets the path; it is called again while the file keeps changing.
    #[allow(
        clippy::disallowed_methods,
        reason = "waiting for a file to settle is timed, as the lock wait is"
    )]
    pub(crate) fn read_settled<T>(&self, path: &Path, read: impl Fn() -> Result<T>) -> Result<T> {
        let started = Instant::now();
        loop {
            self.settle(path)?;
            let before = fs::metadata(path).ok().map(|m| Stamp::of(&m));
            let value = read()?;
            let after = fs::metadata(path).ok().map(|m| Stamp::of(&m));
            if before == after {
                return Ok(value);
            }
            if started.elapsed() > SETTLE_LIMIT {
                return Err(changed(path));
            }
        }
    }

    /// Deletes `path` if it still holds exactly `expected` (a symlink is removed as a
    /// link, never its target). The deletion is in [`WriteLock::written`], so that a
    /// commit of the written files records it.
    pub fn remove(&mut self, path: &Path, expected: &[u8]) -> Result<()> {
        let current = fs::read(path).map_err(|e| Error::io("re-read", path, &e))?;
        if current != expected {
            return Err(changed(path));
        }
        fs::remove_file(path).map_err(|e| Error::io("remove", path, &e))?;
        self.remember_original(path, expected);
        self.finish(path)
    }

    /// The bytes each file replaced under this lock held before crm first wrote it, so
    /// a commit can tell a person's uncommitted edits from crm's own change.
    pub(crate) fn replaced(&self) -> &[(PathBuf, Vec<u8>)] {
        &self.replaced
    }

    fn remember_original(&mut self, path: &Path, bytes: &[u8]) {
        if self.replaced_paths.insert(path.to_path_buf()) {
            self.replaced.push((path.to_path_buf(), bytes.to_vec()));
        }
    }

    /// The files written under this lock, in order.
    pub(crate) fn written(&self) -> &[PathBuf] {
        &self.written
    }

    /// Writes many files with the guarantees of [`WriteLock::create`] (for a `Pending`
    /// without `expected`) and [`WriteLock::replace`], but flushes them to disk
    /// together: files are staged as temp files in groups, each group is fsynced by
    /// several threads at once (the file system merges their flushes), then renamed into
    /// place, and each folder is synced once at the end. One fsync after another would
    /// make an import of ten thousand customers take minutes. A group's files are
    /// staged, and then swapped in, on several threads at once. Stops after the first
    /// group with a failure (a file that changed under crm is refused, the rest of its
    /// group is still written); every file written stays written and is in
    /// [`WriteLock::written`], in the order given. `progress` is told how many files are
    /// written so far.
    pub(crate) fn write_all(
        &mut self,
        files: &[Pending],
        progress: &mut dyn FnMut(usize),
    ) -> Result<()> {
        let mut done = 0;
        let resolved: Vec<PathBuf> = files
            .iter()
            .map(|f| resolve_link(&f.path))
            .collect::<Result<_>>()?;
        for (group, paths) in files
            .chunks(STAGED_AT_ONCE)
            .zip(resolved.chunks(STAGED_AT_ONCE))
        {
            // Staged and swapped in on rayon's threads: most of each file's cost is
            // the kernel's (a new inode, the compares' reads), which two threads share.
            let staged = group
                .par_iter()
                .zip(paths.par_iter())
                .map(|(file, path)| {
                    let permissions = match &file.expected {
                        Some(expected) => {
                            self.settle(path)?;
                            if !still(path, expected)? {
                                return Err(changed(path));
                            }
                            fs::metadata(path).ok().map(|m| m.permissions())
                        }
                        None => None,
                    };
                    self.write_temp_unsynced(path, &file.contents, permissions)
                })
                .collect::<Result<Vec<_>>>()?;
            sync_together(&staged)?;
            let outcomes: Vec<Result<()>> = group
                .par_iter()
                .zip(paths.par_iter())
                .zip(staged.into_par_iter())
                .map(|((file, path), temp)| match &file.expected {
                    Some(expected) => swap_in(temp, path, expected),
                    None => persist_new(temp, path),
                })
                .collect();
            let mut failure = None;
            for ((file, path), outcome) in group.iter().zip(paths).zip(outcomes) {
                if let Err(err) = outcome {
                    failure.get_or_insert(err);
                    continue;
                }
                if let Some(expected) = &file.expected {
                    self.remember_original(path, expected);
                }
                self.written.push(path.clone());
                self.stamp(path);
                done += 1;
            }
            if let Some(err) = failure {
                return Err(err);
            }
            progress(done);
        }
        let mut folders: Vec<&Path> = resolved.iter().filter_map(|p| p.parent()).collect();
        folders.sort();
        folders.dedup();
        for folder in folders {
            // Make the renames durable; not every platform can open a folder.
            if let Ok(dir) = File::open(folder) {
                let _ = dir.sync_all();
            }
        }
        self.save_stamps();
        Ok(())
    }

    fn write_temp(
        &self,
        path: &Path,
        contents: &[u8],
        permissions: Option<fs::Permissions>,
    ) -> Result<tempfile::NamedTempFile> {
        let temp = self.write_temp_unsynced(path, contents, permissions)?;
        temp.as_file()
            .sync_all()
            .map_err(|e| Error::io("write", temp.path(), &e))?;
        Ok(temp)
    }

    fn write_temp_unsynced(
        &self,
        path: &Path,
        contents: &[u8],
        permissions: Option<fs::Permissions>,
    ) -> Result<tempfile::NamedTempFile> {
        let dir = &self.temp_dir;
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
        let prefix = format!("{name}.");
        #[cfg(target_os = "linux")]
        if let Some(temp) = unnamed_beside(path, dir, &prefix, permissions.as_ref()) {
            let mut temp = temp;
            temp.write_all(contents)
                .map_err(|e| Error::io("write", temp.path(), &e))?;
            return Ok(temp);
        }
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // tempfile's default is 0600, which would hide a new customer file from
            // every other user (a cron job running as someone else). Like any editor,
            // ask for 0666 and let the kernel take the umask off. A replacement starts
            // from the original's bits, so it is never more open than the file was.
            let mode = permissions.as_ref().map_or(0o666, |p| p.mode() & 0o777);
            builder.permissions(fs::Permissions::from_mode(mode));
        }
        let mut temp = builder
            .tempfile_in(dir)
            .map_err(|e| Error::io("create a temporary file in", dir, &e))?;
        if let Some(permissions) = permissions {
            // A replacement keeps the original's exact mode (the umask may have taken
            // bits off above). Best effort: failure only costs the mode bits.
            let _ = fs::set_permissions(temp.path(), permissions);
        }
        temp.write_all(contents)
            .map_err(|e| Error::io("write", temp.path(), &e))?;
        Ok(temp)
    }

    fn finish(&mut self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent() {
            // Make the rename itself durable; not every platform can open a folder.
            if let Ok(dir) = File::open(dir) {
                let _ = dir.sync_all();
            }
        }
        self.written.push(path.to_path_buf());
        self.stamp(path);
        self.save_stamps();
        Ok(())
    }

    /// Remembers how `path` looks now that crm wrote it whole.
    fn stamp(&mut self, path: &Path) {
        if let Ok(meta) = fs::metadata(path) {
            self.own.push(Stamp::of(&meta));
            if self.own.len() > MAX_STAMPS {
                self.own.drain(..self.own.len() - MAX_STAMPS);
            }
        }
    }

    /// Keeps the stamps in the lock file for the next writer (best effort: without
    /// them it only waits [`QUIET`] for a file crm just wrote).
    fn save_stamps(&mut self) {
        use std::io::{Seek, SeekFrom};
        let mut text = String::with_capacity(self.own.len() * 48);
        for s in &self.own {
            text.push_str(&format!(
                "{} {} {} {} {} {} {}\n",
                s.dev, s.ino, s.size, s.mtime.0, s.mtime.1, s.ctime.0, s.ctime.1
            ));
        }
        let _ = self
            .file
            .set_len(0)
            .and_then(|()| self.file.seek(SeekFrom::Start(0)))
            .and_then(|_| self.file.write_all(text.as_bytes()));
    }
}

/// How long a file must have been left alone before crm reads it to append to it.
const QUIET: Duration = Duration::from_millis(100);
/// How long crm waits for a file that keeps changing before it gives up.
const SETTLE_LIMIT: Duration = Duration::from_secs(3);
/// Stamps of crm's own writes kept in the lock file.
const MAX_STAMPS: usize = 4096;

/// What a file looked like: enough to tell that it was changed (or replaced) since.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Stamp {
    pub(super) dev: u64,
    pub(super) ino: u64,
    pub(super) size: u64,
    pub(super) mtime: (i64, i64),
    pub(super) ctime: (i64, i64),
}

impl Stamp {
    #[cfg(unix)]
    pub(crate) fn of(meta: &fs::Metadata) -> Stamp {
        use std::os::unix::fs::MetadataExt;
        Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    #[cfg(not(unix))]
    pub(crate) fn of(meta: &fs::Metadata) -> Stamp {
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .unwrap_or_default();
        let mtime = (mtime.as_secs() as i64, i64::from(mtime.subsec_nanos()));
        Stamp {
            dev: 0,
            ino: 0,
            size: meta.len(),
            mtime,
            ctime: mtime,
        }
    }

    /// How long ago the file last changed (its status change time; zero if that is in
    /// the future, as with a clock set back).
    #[allow(
        clippy::disallowed_methods,
        reason = "a file's age is its change time against the wall clock; no date reaches the domain"
    )]
    fn age(&self) -> Duration {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let (secs, nanos) = self.ctime;
        let changed = Duration::new(
            u64::try_from(secs).unwrap_or(0),
            u32::try_from(nanos).unwrap_or(0),
        );
        now.saturating_sub(changed)
    }
}

/// The stamps the last writer left in the lock file (a garbled file gives none).
fn read_stamps(file: &File) -> Vec<Stamp> {
    use std::io::Read;
    let mut text = String::new();
    let reader = file;
    if reader
        .take(MAX_STAMPS as u64 * 128)
        .read_to_string(&mut text)
        .is_err()
    {
        return Vec::new();
    }
    let mut stamps = Vec::new();
    for line in text.lines() {
        let n: Vec<i128> = line.split(' ').filter_map(|v| v.parse().ok()).collect();
        let parsed = (|| {
            let [dev, ino, size, m0, m1, c0, c1] = n[..] else {
                return None;
            };
            let u = |v: i128| u64::try_from(v).ok();
            let i = |v: i128| i64::try_from(v).ok();
            Some((
                u(dev)?,
                u(ino)?,
                u(size)?,
                (i(m0)?, i(m1)?),
                (i(c0)?, i(c1)?),
            ))
        })();
        let Some((dev, ino, size, mtime, ctime)) = parsed else {
            return Vec::new();
        };
        stamps.push(Stamp {
            dev,
            ino,
            size,
            mtime,
            ctime,
        });
    }
    stamps
}

/// Whether `path` still holds exactly `expected`.
fn still(path: &Path, expected: &[u8]) -> Result<bool> {
    let current = fs::read(path).map_err(|e| Error::io("re-read", path, &e))?;
    Ok(current == expected)
}

/// Puts the (synced) temp file in `path`'s place if `path` still holds `expected`.
///
/// The file is compared once more right before the swap, and on Linux the swap is
/// `renameat2(RENAME_EXCHANGE)`: the file swapped out lands at the temp's name, where
/// crm reads it; if it is not what crm read (someone saved in the instant between the
/// compare and the swap), it is swapped back and the write is refused. What remains:
/// a save that lands after the swap replaces crm's file (the person's save wins, crm's
/// change is lost though crm reported it), and an editor writing in place into the old
/// file after the swap writes into a file no longer in the book.
fn swap_in(temp: tempfile::NamedTempFile, path: &Path, expected: &[u8]) -> Result<()> {
    if !still(path, expected)? {
        return Err(changed(path));
    }
    #[cfg(target_os = "linux")]
    match exchange(temp.path(), path) {
        Ok(()) => {
            let swapped = fs::read(temp.path()).map_err(|e| Error::io("re-read", temp.path(), &e));
            if swapped.as_deref().ok() == Some(expected) {
                // `temp` now names the old file, which dropping it deletes.
                return Ok(());
            }
            // Not what crm read: put the other writer's file back.
            return match exchange(temp.path(), path) {
                Ok(()) => Err(changed(path)),
                Err(e) => Err(Error::io("put back", path, &e).with_hint(format!(
                    "another program saved `{}` while crm was writing it; its version is in `{}`: copy it back by hand",
                    path.display(),
                    temp.into_temp_path().keep().map(|p| p.display().to_string()).unwrap_or_default()
                ))),
            };
        }
        // A file system without the exchange: a plain rename, after the compare above.
        Err(e)
            if matches!(
                e.raw_os_error(),
                Some(libc::EINVAL | libc::ENOSYS | libc::ENOTSUP)
            ) => {}
        Err(e) => return Err(Error::io("replace", path, &e)),
    }
    temp.persist(path)
        .map_err(|e| Error::io("replace", path, &e.error))?;
    Ok(())
}

/// A temp file for `path` named in `temp_dir` as crm names them (`NAME.XXXXXX.tmp`),
/// but made in `path`'s own folder as an unnamed file (`O_TMPFILE`) and then linked into
/// `temp_dir`: the file system places a new file's inode by the folder it is made in,
/// and ext4 without a journal spends seconds per thousand files finding room for
/// inodes made in a folder other than the one they end up in (it skips every inode
/// freed in the last minute). Nothing is ever named in `path`'s folder: until the link
/// the file has no name at all (a crash frees it), and after it the file is a temp
/// file in `temp_dir` like any other. The mode is set before anything is written, as in
/// [`WriteLock::write_temp`]. `None` where the kernel, the file system or a missing
/// `/proc` does not allow it; the caller then makes the file in `temp_dir` directly.
#[cfg(target_os = "linux")]
fn unnamed_beside(
    path: &Path,
    temp_dir: &Path,
    prefix: &str,
    permissions: Option<&fs::Permissions>,
) -> Option<tempfile::NamedTempFile> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    use std::os::unix::io::AsRawFd;
    let folder = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mode = permissions.map_or(0o666, |p| p.mode() & 0o777);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_TMPFILE)
        .mode(mode)
        .open(folder)
        .ok()?;
    if let Some(permissions) = permissions {
        // As for a named temp file: the original's exact mode, before any data.
        let _ = file.set_permissions(permissions.clone());
    }
    let source = CString::new(format!("/proc/self/fd/{}", file.as_raw_fd())).ok()?;
    for attempt in 0u32..16 {
        let name = temp_dir.join(format!("{prefix}{}.tmp", unique_suffix(attempt)));
        let target = CString::new(name.as_os_str().as_bytes()).ok()?;
        // SAFETY: both are valid NUL-terminated paths that live across the call.
        let rc = unsafe {
            libc::linkat(
                libc::AT_FDCWD,
                source.as_ptr(),
                libc::AT_FDCWD,
                target.as_ptr(),
                libc::AT_SYMLINK_FOLLOW,
            )
        };
        if rc == 0 {
            // An absolute path, or `try_from_path` makes it one.
            let named = tempfile::TempPath::try_from_path(&name).ok();
            if named.is_none() {
                let _ = fs::remove_file(&name);
            }
            return Some(tempfile::NamedTempFile::from_parts(file, named?));
        }
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::AlreadyExists {
            return None;
        }
    }
    None
}

/// Six characters of `[a-z0-9]` that differ between calls, processes and attempts.
#[cfg(target_os = "linux")]
fn unique_suffix(attempt: u32) -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(CALLS.fetch_add(1, Ordering::Relaxed));
    hasher.write_u32(std::process::id());
    hasher.write_u32(attempt);
    let mut n = hasher.finish();
    (0..6)
        .map(|_| {
            let c = b"abcdefghijklmnopqrstuvwxyz0123456789"[(n % 36) as usize];
            n /= 36;
            char::from(c)
        })
        .collect()
}

/// Atomically swaps the files at `a` and `b` (both must exist).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both are valid NUL-terminated paths that live across the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// The file a symlink points at (canonical), or `path` itself when it is no symlink.
fn resolve_link(path: &Path) -> Result<PathBuf> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            fs::canonicalize(path).map_err(|e| Error::io("follow the link", path, &e))
        }
        _ => Ok(path.to_path_buf()),
    }
}

/// One file for [`WriteLock::write_all`].
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    /// Where it goes.
    pub(crate) path: PathBuf,
    /// The bytes the file must still hold to be replaced, or `None` to create it.
    pub(crate) expected: Option<Vec<u8>>,
    /// The new contents.
    pub(crate) contents: Vec<u8>,
}

/// Files [`WriteLock::write_all`] stages at once (each holds an open file).
const STAGED_AT_ONCE: usize = 256;
/// Threads that flush one group of staged files.
const SYNC_THREADS: usize = 32;

/// Names the (synced) temp file `path`, which must not exist yet.
fn persist_new(temp: tempfile::NamedTempFile, path: &Path) -> Result<()> {
    temp.persist_noclobber(path).map(drop).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            Error::new(
                ErrorKind::AlreadyExists,
                format!("`{}` already exists", path.display()),
            )
        } else {
            Error::io("create", path, &e.error)
        }
    })
}

fn changed(path: &Path) -> Error {
    Error::new(
        ErrorKind::Conflict,
        format!(
            "`{}` changed while crm was working on it; nothing was written",
            path.display()
        ),
    )
    .with_hint("run the command again: it will start from the file as it is now")
}

/// Flushes staged temp files to disk from several threads at once.
fn sync_together(staged: &[tempfile::NamedTempFile]) -> Result<()> {
    let per_thread = staged.len().div_ceil(SYNC_THREADS).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = staged
            .chunks(per_thread)
            .map(|part| {
                scope.spawn(move || -> Result<()> {
                    for temp in part {
                        temp.as_file()
                            .sync_all()
                            .map_err(|e| Error::io("write", temp.path(), &e))?;
                    }
                    Ok(())
                })
            })
            .collect();
        // Join every worker before reporting, so no thread outlives a failure.
        let results: Vec<Result<()>> = workers
            .into_iter()
            .map(|w| {
                w.join().unwrap_or_else(|_| {
                    Err(Error::new(
                        ErrorKind::Io,
                        "a thread flushing files to disk panicked",
                    ))
                })
            })
            .collect();
        results.into_iter().collect()
    })
}

/// Deletes temp files a killed writer left behind: only regular files named as crm
/// names its temp files (`NAME.XXXXXX.tmp`), in a folder [`lock`] checked is a real
/// folder of the book. Only called under the lock, so no live writer can own them.
fn remove_leftover_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ours = name.ends_with(".tmp") && name.matches('.').count() >= 2;
        let plain = entry.file_type().is_ok_and(|t| t.is_file());
        if ours && plain {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Opens (creating if need be) a file of crm's own state for writing, never through a
/// symlink (`O_NOFOLLOW`) and never anything but a regular file (a FIFO would block,
/// a device would be written to).
pub(crate) fn open_own_file(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).read(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) => {
            return match fs::symlink_metadata(path) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    Err(super::not_crms(path, "a symlink"))
                }
                Ok(meta) if !meta.is_file() => Err(super::not_crms(path, "not a regular file")),
                _ => Err(e),
            }
        }
    };
    if !file.metadata()?.is_file() {
        return Err(super::not_crms(path, "not a regular file"));
    }
    Ok(file)
}
