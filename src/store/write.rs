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

use crate::error::{Error, ErrorKind, Result};

/// How long a writer waits for the book's lock by default.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(10);

/// Proof that this process holds the book's write lock; released on drop.
#[derive(Debug)]
pub struct WriteLock {
    _file: File,
    temp_dir: PathBuf,
    written: Vec<PathBuf>,
}

/// Takes the lock file `lock` in the book's state folder `state_dir` (creating both),
/// waiting at most `wait`, then clears leftover temp files.
pub fn lock(state_dir: &Path, wait: Duration) -> Result<WriteLock> {
    let temp_dir = state_dir.join("tmp");
    fs::create_dir_all(&temp_dir).map_err(|e| Error::io("create folder", &temp_dir, &e))?;
    let path = &state_dir.join("lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| Error::io("open lock file", path, &e))?;
    let started = Instant::now();
    let mut pause = Duration::from_millis(2);
    loop {
        match file.try_lock() {
            Ok(()) => {
                remove_leftover_temps(&temp_dir);
                return Ok(WriteLock {
                    _file: file,
                    temp_dir,
                    written: Vec::new(),
                });
            }
            Err(fs::TryLockError::WouldBlock) if started.elapsed() < wait => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(fs::TryLockError::WouldBlock) => {
                return Err(Error::new(
                    ErrorKind::Locked,
                    format!(
                        "another crm process has held the book's lock `{}` for over {}s",
                        path.display(),
                        wait.as_secs()
                    ),
                )
                .with_hint(
                    "try again when it has finished; set CRM_LOCK_TIMEOUT=SECONDS to wait longer",
                ))
            }
            Err(fs::TryLockError::Error(e)) => return Err(Error::io("lock", path, &e)),
        }
    }
}

impl WriteLock {
    /// Creates `path` with `contents`; fails if it already exists.
    pub fn create(&mut self, path: &Path, contents: &[u8]) -> Result<()> {
        let temp = self.write_temp(path, contents, None)?;
        temp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                Error::new(
                    ErrorKind::AlreadyExists,
                    format!("`{}` already exists", path.display()),
                )
            } else {
                Error::io("create", path, &e.error)
            }
        })?;
        self.finish(path)
    }

    /// Replaces `path` with `contents` if it still holds exactly `expected`.
    pub fn replace(&mut self, path: &Path, expected: &[u8], contents: &[u8]) -> Result<()> {
        let current = fs::read(path).map_err(|e| Error::io("re-read", path, &e))?;
        if current != expected {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "`{}` changed while crm was working on it; nothing was written",
                    path.display()
                ),
            )
            .with_hint("run the command again: it will start from the file as it is now"));
        }
        let permissions = fs::metadata(path).ok().map(|m| m.permissions());
        let temp = self.write_temp(path, contents, permissions)?;
        temp.persist(path)
            .map_err(|e| Error::io("replace", path, &e.error))?;
        self.finish(path)
    }

    /// The files written under this lock, in order.
    pub fn written(&self) -> &[PathBuf] {
        &self.written
    }

    fn write_temp(
        &self,
        path: &Path,
        contents: &[u8],
        permissions: Option<fs::Permissions>,
    ) -> Result<tempfile::NamedTempFile> {
        let dir = &self.temp_dir;
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
        let mut temp = tempfile::Builder::new()
            .prefix(&format!("{name}."))
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| Error::io("create a temporary file in", dir, &e))?;
        temp.write_all(contents)
            .and_then(|()| temp.as_file().sync_all())
            .map_err(|e| Error::io("write", temp.path(), &e))?;
        if let Some(permissions) = permissions {
            // Best effort: keep a person's chmod; failure only costs the mode bits.
            let _ = fs::set_permissions(temp.path(), permissions);
        }
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
        Ok(())
    }
}

/// Deletes temp files a killed writer left behind. Only called under the lock, so no
/// live writer can own them.
fn remove_leftover_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let _ = fs::remove_file(entry.path());
    }
}
