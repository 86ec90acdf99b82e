//! The sync lock (`.crm/sync-lock`): held for a whole `crm sync`, so that two syncs of
//! one clone never fetch, merge or push at the same time, while the book's write lock
//! (`.crm/lock`) is held only for a sync's local steps and other commands go on during
//! its fetches and pushes. Like the write lock, an `flock` the kernel releases when the
//! process dies, on a file opened without following links.

use std::fs::File;
use std::path::Path;
use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};

/// A held sync lock; released when dropped.
#[derive(Debug)]
pub(crate) struct SyncLock {
    _file: File,
}

/// Takes the sync lock in the book's state folder `state_dir`, waiting at most `wait`.
pub(crate) fn lock(state_dir: &Path, wait: Duration) -> Result<SyncLock> {
    super::create_state_dir(state_dir)
        .map_err(|e| super::state_error("create folder", state_dir, &e))?;
    let path = &state_dir.join("sync-lock");
    let file = super::write::open_own_file(path)
        .map_err(|e| super::state_error("open lock file", path, &e))?;
    if !super::write::wait_for_flock(&file, wait).map_err(|e| Error::io("lock", path, &e))? {
        return Err(Error::new(
            ErrorKind::Locked,
            format!(
                "another `crm sync` of this clone has been running for over {}s (it holds `{}`)",
                wait.as_secs_f64(),
                path.display()
            ),
        )
        .with_hint(
            "let it finish, then run `crm sync` again if need be; set CRM_LOCK_TIMEOUT=SECONDS to wait longer",
        ));
    }
    Ok(SyncLock { _file: file })
}
