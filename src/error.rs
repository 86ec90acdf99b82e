//! The one error type of crm: what went wrong, to which file, and what to do next.
//!
//! Every failure a user can see is an [`Error`]: a lower-case message, an optional hint,
//! and the exit code it maps to. This module must not print anything itself.

use std::fmt;
use std::path::Path;

/// Exit status of a successful run.
pub(crate) const EXIT_OK: u8 = 0;
/// Exit status when the command ran and found something to report: `check` found a
/// problem, or `due --exit-code` found something due.
pub(crate) const EXIT_FOUND: u8 = 1;
/// Exit status of a usage error or a command that could not do its work.
pub(crate) const EXIT_ERROR: u8 = 2;
/// Exit status when the command finished but skipped unreadable customer files
/// (each one was reported on stderr).
pub(crate) const EXIT_PARTIAL: u8 = 3;
/// Exit status when a command changed files but could not commit them as `--commit`
/// or `[git] auto_commit` asked: the change is made (do not repeat it); `crm commit`
/// commits it.
pub(crate) const EXIT_NOT_COMMITTED: u8 = 4;
/// Exit status when `crm sync` merged, but conflicts need a person: the merge is left
/// as `git merge` leaves one, and nothing was pushed.
pub(crate) const EXIT_MERGE_CONFLICT: u8 = 5;
/// Exit status when a command failed part-way after changing some files: the message
/// says exactly what was written (an import stopped by a full disk), so a script knows
/// that the book is not as it was.
pub(crate) const EXIT_PARTLY_WRITTEN: u8 = 6;

/// What kind of failure an [`Error`] is; decides the exit code and lets tests match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The command line was wrong (a bad value, an invalid id, an unknown kind).
    Usage,
    /// No book was found, or a customer does not exist.
    NotFound,
    /// Something already exists (a customer id, a book).
    AlreadyExists,
    /// A file changed on disk since crm read it; nothing was written.
    Conflict,
    /// A customer file or `crm.toml` is malformed or refused as hostile.
    InvalidFile,
    /// Reading or writing the file system failed.
    Io,
    /// A git operation failed.
    Git,
    /// Another crm process held the book's lock for too long.
    Locked,
    /// Files were written, but the commit `--commit` asked for failed (exit 4).
    NotCommitted,
    /// A merge left conflicts for a person to resolve (exit 5).
    MergeConflict,
    /// The command failed after changing some files, which the message names (exit 6).
    PartlyWritten,
    /// Standard output was closed by its reader (`crm list | head`); not a failure.
    BrokenPipe,
}

/// A user-facing failure: message, optional hint, kind.
#[derive(Debug, Clone)]
pub struct Error {
    /// What failed.
    pub(crate) kind: ErrorKind,
    /// The message, lower-case, naming the file or value concerned.
    pub(crate) message: String,
    /// What to do next, when there is something useful to say.
    pub(crate) hint: Option<String>,
}

/// Result alias used across crm.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Builds an error of `kind` with `message`.
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            hint: None,
        }
    }

    /// A usage error (exit 2).
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Usage, message)
    }

    /// A malformed or refused file.
    pub(crate) fn invalid_file(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidFile, message)
    }

    /// Adds a hint: what the user can do about it.
    #[must_use]
    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// An I/O error that names the path and the action that failed.
    pub(crate) fn io(action: &str, path: &Path, err: &std::io::Error) -> Self {
        Error::new(
            ErrorKind::Io,
            format!("failed to {action} `{}`: {err}", path.display()),
        )
    }

    /// The process exit code for this error.
    pub(crate) fn exit_code(&self) -> u8 {
        match self.kind {
            ErrorKind::NotCommitted => EXIT_NOT_COMMITTED,
            ErrorKind::MergeConflict => EXIT_MERGE_CONFLICT,
            ErrorKind::PartlyWritten => EXIT_PARTLY_WRITTEN,
            _ => EXIT_ERROR,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    /// Errors writing to standard output; a closed pipe is kept apart so it exits 0.
    fn from(err: std::io::Error) -> Self {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            Error::new(ErrorKind::BrokenPipe, "broken pipe")
        } else {
            Error::new(ErrorKind::Io, format!("failed to write output: {err}"))
        }
    }
}

impl From<git2::Error> for Error {
    fn from(err: git2::Error) -> Self {
        Error::new(ErrorKind::Git, format!("git: {}", err.message()))
    }
}
