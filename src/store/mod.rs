//! The store: the book. The only code that touches customer files and `crm.toml`:
//! finding the book, reading files defensively, appending losslessly, writing
//! atomically under a lock, the summary cache. What YAML text means and how it is
//! changed without losing a byte is the YAML engine's ([`crate::yaml`]), used here
//! through its interface only.

mod appends;
pub mod cache;
pub(crate) mod change;
pub(crate) mod config;
mod create;
pub mod customer_text;
pub(crate) mod digests;
pub(crate) mod fit;
pub(crate) mod lifecycle;
pub(crate) mod merge;
pub(crate) mod merge_customers;
pub mod read;
pub(crate) mod readable;
pub mod scan;
pub(crate) mod sync_lock;
pub(crate) mod templates;
pub(crate) mod write;

#[cfg(test)]
pub(crate) mod mangle;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rayon::prelude::*;

use crate::domain::customer::Customer;
use crate::domain::id::CustomerId;
use crate::domain::interaction::Interaction;
use crate::error::{Error, ErrorKind, Result};
use crate::yaml;

pub(crate) use config::Config;
pub(crate) use create::NewBook;
#[cfg(test)]
pub(crate) use create::ATTRIBUTES;
pub use read::{Loaded, Problem};
pub use write::WriteLock;

/// Name of the settings file that marks a book's root.
pub(crate) const CONFIG_FILE: &str = "crm.toml";
/// git's attributes file at the root, where `crm init` names crm's merge driver.
pub(crate) const ATTRIBUTES_FILE: &str = ".gitattributes";
/// Folder of customer files, under the root.
pub(crate) const CUSTOMERS_DIR: &str = "customers";
/// crm's own state (lock, temp files, cache), under the root; git-ignored.
pub(crate) const STATE_DIR: &str = ".crm";
/// Extension of customer files.
pub(crate) const EXTENSION: &str = "yaml";

/// The name of customer `id`'s file in `customers/`.
pub(crate) fn customer_file_name(id: &CustomerId) -> String {
    format!("{id}.{EXTENSION}")
}
/// Longest single text value crm writes (a summary, a name, an item, a preference):
/// far more than any note needs, and it keeps every file well under the reader's limit.
pub(crate) const MAX_TEXT_BYTES: usize = 64 * 1024;

/// Creates crm's state folder `state_dir` (`.crm/`) if need be, and makes it ignore
/// itself (`.crm/.gitignore` holding `*`, as Python's venvs and cargo's `target/` do),
/// so `git status` never lists it, whatever the book's own `.gitignore` says (books
/// made by hand, or inside a bigger repository). Every creator of the folder goes
/// through here; the `.gitignore` is best effort, since a missing one only costs
/// tidiness.
///
/// A cloned repository is untrusted: `.crm/` (or anything in it) may be a symlink to a
/// folder outside the book. crm never follows a link it did not make there: the folder
/// must be a real folder (see [`own_dir`]), and the `.gitignore` is only ever created
/// (`O_EXCL` does not follow a link).
pub(crate) fn create_state_dir(state_dir: &Path) -> std::io::Result<()> {
    own_dir(state_dir)?;
    let ignore = state_dir.join(".gitignore");
    if fs::symlink_metadata(&ignore).is_err() {
        let _ = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&ignore)
            .and_then(|mut f| {
                std::io::Write::write_all(
                    &mut f,
                    b"# crm's own state: lock, temp files, cache\n*\n",
                )
            });
    }
    Ok(())
}

/// Makes sure `dir` is a real folder, creating it (not its parents) when missing. A
/// symlink (even to a folder) or anything that is not a folder is refused with an error
/// of kind `InvalidData` whose message says what it is and how to repair it.
pub(crate) fn own_dir(dir: &Path) -> std::io::Result<()> {
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.file_type().is_symlink() => Err(not_crms(dir, "a symlink")),
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(not_crms(dir, "not a folder")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match fs::create_dir(dir) {
            Ok(()) => Ok(()),
            // Another crm made it in between: check what it is now.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                match fs::symlink_metadata(dir) {
                    Ok(meta) if meta.is_dir() && !meta.file_type().is_symlink() => Ok(()),
                    _ => Err(not_crms(dir, "not a folder")),
                }
            }
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    }
}

/// The refusal of a state path crm did not make: what it is, and how to repair it.
pub(crate) fn not_crms(path: &Path, what: &str) -> std::io::Error {
    let shown = state_shown(path);
    let target = fs::read_link(path)
        .map(|t| format!(" to `{}`", t.display()))
        .unwrap_or_default();
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!(
            "`{shown}` is {what}{target}, which crm did not make; crm never follows a link or writes into anything it did not make in its state folder, so nothing was changed; repair it with `rm {shown}` in the book's folder (crm makes it again), then run the command again"
        ),
    )
}

/// A path inside the state folder as `.crm/...`, for messages.
fn state_shown(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    match parts.iter().rposition(|p| p == STATE_DIR) {
        Some(at) => parts[at..].join("/"),
        None => path.display().to_string(),
    }
}

/// An error about the state folder as a crm [`Error`]: a refusal of a path crm did
/// not make keeps its own message; any other I/O error names the path.
pub(crate) fn state_error(action: &str, path: &Path, err: &std::io::Error) -> Error {
    if err.kind() == std::io::ErrorKind::InvalidData {
        let text = err.to_string();
        let (message, hint) = match text.split_once("; repair it with ") {
            Some((m, h)) => (m.to_string(), Some(format!("repair it with {h}"))),
            None => (text, None),
        };
        let error = Error::new(ErrorKind::InvalidFile, message);
        return match hint {
            Some(h) => error.with_hint(h),
            None => error,
        };
    }
    Error::io(action, path, err)
}

/// The text of `crm.toml`, or where it stops being UTF-8 (line, column, message).
fn config_text(bytes: Vec<u8>) -> std::result::Result<String, (usize, usize, String)> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = 1 + valid.iter().filter(|b| **b == b'\n').count();
        let column = 1 + valid.iter().rev().take_while(|b| **b != b'\n').count();
        let byte = e.as_bytes()[valid.len()];
        (
            line,
            column,
            format!("is not UTF-8 text (byte 0x{byte:02X}); save crm.toml as UTF-8"),
        )
    })
}

/// An opened book: its root folder and settings.
#[derive(Debug, Clone)]
pub struct Book {
    /// The folder holding `crm.toml`.
    pub(crate) root: PathBuf,
    canonical_root: PathBuf,
    /// Parsed `crm.toml`.
    pub(crate) config: Config,
    /// FNV-1a of `crm.toml`'s bytes as read for `config` (see [`Book::config_digest`]).
    config_digest: u64,
    /// How long writers wait for the lock, or why the setting for it is unusable
    /// (reported by [`Book::lock`], so that commands that never lock are not stopped).
    pub lock_wait: Result<Duration>,
}

impl Book {
    /// Finds the book like git finds a repository: `start` itself or its nearest
    /// ancestor holding `crm.toml`.
    pub(crate) fn discover(start: &Path) -> Result<Book> {
        Book::open(&Book::find_root(start)?)
    }

    /// Like [`Book::discover`], but a malformed `crm.toml` or `customers/` folder does
    /// not stop the opening, for `crm check` to report them: the defaults are used and
    /// every `crm.toml` problem is returned, and the settings that do read are kept;
    /// see [`Book::customers_problem`] for the folder.
    pub(crate) fn discover_lenient(start: &Path) -> Result<(Book, Vec<Problem>)> {
        let root = Book::find_root(start)?;
        let bytes = Book::read_config_bytes(&root)?;
        let digest = crate::domain::import::fnv1a64(&bytes);
        let (text, not_utf8) = match config_text(bytes) {
            Ok(text) => (text, None),
            Err(problem) => (String::new(), Some(problem)),
        };
        let (config, mut problems) = Config::parse_all(&text);
        problems.splice(0..0, not_utf8);
        let problems = problems
            .into_iter()
            .map(|(line, column, message)| {
                Problem::at(
                    CONFIG_FILE,
                    line,
                    column,
                    format!("{message}; see docs/format.md"),
                )
            })
            .collect();
        Ok((Book::at(&root, config, digest)?, problems))
    }

    /// The nearest folder at or above `start` that holds `crm.toml`.
    pub(crate) fn find_root(start: &Path) -> Result<PathBuf> {
        let start_abs = fs::canonicalize(start).map_err(|e| Error::io("open folder", start, &e))?;
        let mut dir = Some(start_abs.as_path());
        while let Some(candidate) = dir {
            if candidate.join(CONFIG_FILE).is_file() {
                return Ok(candidate.to_path_buf());
            }
            dir = candidate.parent();
        }
        Err(Error::new(
            ErrorKind::NotFound,
            format!(
                "no crm book in `{}` or any folder above it (a book is a folder with a `{CONFIG_FILE}`)",
                start_abs.display()
            ),
        )
        .with_hint("run `crm init` to make one here, or point at one with `-C DIR` or CRM_DIR"))
    }

    /// Opens the book rooted at `root`, reading and checking its `crm.toml`.
    pub fn open(root: &Path) -> Result<Book> {
        let (book, bad_config) = Book::read_root(root)?;
        if let Some(problem) = bad_config {
            // The same relative `crm.toml:LINE:COL:` as `crm check` shows.
            return Err(Error::invalid_file(problem.to_string())
                .with_hint("fix crm.toml (see docs/format.md); `crm check` lists every problem"));
        }
        if let Some(problem) = book.customers_problem() {
            return Err(Error::invalid_file(format!(
                "`{CUSTOMERS_DIR}` {}",
                crate::render::one_line(&problem.message)
            ))
            .with_hint("`crm check` reports this and any other problem of the book"));
        }
        Ok(book)
    }

    /// The book rooted at `root` with its `crm.toml` read; settings that do not parse
    /// are replaced by the defaults, and what is wrong with them is given back.
    fn read_root(root: &Path) -> Result<(Book, Option<Problem>)> {
        let text = Book::read_config_text(root)?;
        let digest = crate::domain::import::fnv1a64(text.as_bytes());
        let (config, bad_config) = match Config::parse(&text) {
            Ok(config) => (config, None),
            Err((line, column, message)) => (
                Config::default(),
                Some(Problem::at(CONFIG_FILE, line, column, message)),
            ),
        };
        Ok((Book::at(root, config, digest)?, bad_config))
    }

    /// The text of the book's `crm.toml`.
    fn read_config_text(root: &Path) -> Result<String> {
        config_text(Book::read_config_bytes(root)?).map_err(|(line, column, message)| {
            Error::invalid_file(format!("{CONFIG_FILE}:{line}:{column}: {message}")).with_hint(
                "an editor's \"save with encoding\" (UTF-8) fixes it; `crm check` reports it too",
            )
        })
    }

    /// The bytes of the book's `crm.toml`.
    fn read_config_bytes(root: &Path) -> Result<Vec<u8>> {
        let config_path = root.join(CONFIG_FILE);
        // A cloned repository's `crm.toml` may be a link out of the book: never read
        // (or later write) through one.
        if fs::symlink_metadata(&config_path).is_ok_and(|m| m.file_type().is_symlink()) {
            let inside = fs::canonicalize(root)
                .ok()
                .zip(fs::canonicalize(&config_path).ok())
                .is_some_and(|(root, target)| target.starts_with(root));
            if !inside {
                return Err(Error::invalid_file(format!(
                    "`{CONFIG_FILE}` is a symlink out of the book (to `{}`); crm does not follow links out of the book",
                    fs::read_link(&config_path).unwrap_or_default().display()
                ))
                .with_hint(format!("replace it with a real file: `rm {CONFIG_FILE}` and copy the settings in")));
            }
        }
        fs::read(&config_path).map_err(|e| Error::io("read", &config_path, &e))
    }

    /// The book rooted at `root` with these settings, read from a `crm.toml` whose
    /// bytes have this FNV-1a digest.
    fn at(root: &Path, config: Config, config_digest: u64) -> Result<Book> {
        let canonical_root =
            fs::canonicalize(root).map_err(|e| Error::io("open folder", root, &e))?;
        Ok(Book {
            root: root.to_path_buf(),
            canonical_root,
            config,
            config_digest,
            lock_wait: Ok(write::DEFAULT_LOCK_WAIT),
        })
    }

    /// What is wrong with `customers/`, if anything: a symlink out of the book (crm
    /// never reads or writes through one) or something that is not a folder. A missing
    /// folder is fine (a book without customers yet).
    pub(crate) fn customers_problem(&self) -> Option<Problem> {
        let dir = self.customers_dir();
        let problem = |message: String| Some(Problem::at(CUSTOMERS_DIR, 1, 1, message));
        match fs::symlink_metadata(&dir) {
            Ok(meta) if meta.file_type().is_symlink() => match fs::canonicalize(&dir) {
                Err(e) => problem(format!(
                    "is a symlink that cannot be followed ({e}); replace it with a real customers/ folder"
                )),
                Ok(target) if !target.starts_with(&self.canonical_root) => problem(format!(
                    "is a symlink to `{}`, outside the book; crm does not follow links out of the book: replace it with a real customers/ folder",
                    target.display()
                )),
                Ok(target) if !target.is_dir() => {
                    problem("is a symlink to something that is not a folder".to_string())
                }
                Ok(_) => None,
            },
            Ok(meta) if !meta.is_dir() => problem(
                "is not a folder; customer files go in a customers/ folder at the book's root"
                    .to_string(),
            ),
            _ => None,
        }
    }

    /// The folder of customer files.
    pub(crate) fn customers_dir(&self) -> PathBuf {
        self.root.join(CUSTOMERS_DIR)
    }

    /// The file of customer `id` (which may not exist).
    pub(crate) fn customer_path(&self, id: &CustomerId) -> PathBuf {
        self.customers_dir().join(customer_file_name(id))
    }

    /// crm's state folder.
    pub(crate) fn state_dir(&self) -> PathBuf {
        self.root.join(STATE_DIR)
    }

    /// A path as shown in messages: relative to the book root when inside it.
    pub(crate) fn shown(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    /// A digest (FNV-1a, 64 bits) of the bytes of `crm.toml` that the settings were
    /// read from: what `crm check`'s cache is keyed on, so that any edit of the file
    /// makes the next check read every customer file again.
    pub(crate) fn config_digest(&self) -> u64 {
        self.config_digest
    }

    /// The canonical root, against which symlinks are checked.
    pub(crate) fn canonical_root(&self) -> &Path {
        &self.canonical_root
    }

    /// Whether customer `id` has a file (without reading it).
    pub(crate) fn exists(&self, id: &CustomerId) -> bool {
        fs::symlink_metadata(self.customer_path(id)).is_ok()
    }

    /// Reads one customer, touching no other file. A missing customer gets a hint with
    /// the closest existing id (only then is the folder listed).
    pub(crate) fn load(&self, id: &CustomerId) -> Result<Loaded> {
        let path = self.customer_path(id);
        if fs::symlink_metadata(&path).is_err() {
            return Err(self.not_found(id));
        }
        read::read_customer(&path, &self.shown(&path), &self.canonical_root, id)
            .map_err(unreadable_file)
    }

    /// Reads one customer to append to it, under the write lock: like [`Book::load`],
    /// but only a read that was stable (see [`WriteLock::read_settled`]), so that a file
    /// an editor is saving in place is never read half-written and appended to, and
    /// with the append already planned from the same parse (for
    /// [`Book::append_to_loaded`]).
    pub(crate) fn load_for_write(&self, lock: &WriteLock, id: &CustomerId) -> Result<Loaded> {
        lock.read_settled(&self.customer_path(id), || self.load_for_append(id))
    }

    /// [`Book::load`] of a file to be appended to: the one parse also decides how the
    /// append goes in, so the write does not parse the file again.
    pub(crate) fn load_for_append(&self, id: &CustomerId) -> Result<Loaded> {
        let path = self.customer_path(id);
        if fs::symlink_metadata(&path).is_err() {
            return Err(self.not_found(id));
        }
        read::read_for_append(&path, &self.shown(&path), &self.canonical_root, id)
            .map_err(unreadable_file)
    }

    /// The bytes of customer `id`'s file after the reader's safety checks (no symlink
    /// out of the book, no folder, not over the size limit), but without parsing them:
    /// `crm edit` must be able to open a file that is broken in order to fix it.
    pub(crate) fn load_raw(&self, id: &CustomerId) -> Result<Vec<u8>> {
        let path = self.customer_path(id);
        if fs::symlink_metadata(&path).is_err() {
            return Err(self.not_found(id));
        }
        read::read_guarded(&path, &self.shown(&path), &self.canonical_root)
            .map_err(|p| Error::invalid_file(p.to_string()))
    }

    /// Reads `raw` as the id of a customer that should exist (`crm show ID`): when it
    /// is not even a valid id (`Marta`), the hint suggests only an id the book has,
    /// never a slug that does not exist either.
    pub(crate) fn existing_id(&self, raw: &str) -> Result<CustomerId> {
        CustomerId::parse(raw).map_err(|mut err| {
            // Only a hint that suggests an id ("did you mean `x`?", "use `x`") is
            // checked; the suggestion is the last name in backticks.
            let Some(hint) = err
                .hint
                .clone()
                .filter(|h| h.contains("did you mean `") || h.starts_with("use `"))
            else {
                return err;
            };
            let suggested = hint.split('`').rev().nth(1).map(str::to_string);
            let exists = suggested
                .as_deref()
                .and_then(|s| CustomerId::parse(s).ok())
                .is_some_and(|id| self.exists(&id));
            if !exists {
                let ids: Vec<String> = scan::list_ids(self).unwrap_or_default();
                let guess = suggested.unwrap_or_else(|| raw.to_lowercase());
                err.hint = Some(match read::closest(&guess, &ids) {
                    Some(best) => format!(
                        "ids use only a-z, 0-9 and `-`; did you mean `{best}`? (`crm list` shows every id)"
                    ),
                    None => "ids use only a-z, 0-9 and `-`, and no customer's id is like it; `crm list` shows every id".to_string(),
                });
            }
            err
        })
    }

    fn not_found(&self, id: &CustomerId) -> Error {
        let ids: Vec<String> = scan::list_ids(self).unwrap_or_default();
        let hint = match read::closest(id.as_str(), &ids) {
            Some(best) => format!("did you mean `{best}`? (`crm list` shows every id)"),
            None => "`crm add` creates a customer; `crm list` shows every id".to_string(),
        };
        Error::new(
            ErrorKind::NotFound,
            format!("no customer `{id}` in this book"),
        )
        .with_hint(hint)
    }

    /// Takes the book's write lock.
    pub fn lock(&self) -> Result<WriteLock> {
        write::lock(&self.state_dir(), self.lock_wait.clone()?)
    }

    /// Takes the lock a whole `crm sync` holds (see [`sync_lock`]), waiting as long as
    /// for the write lock.
    pub(crate) fn sync_lock(&self) -> Result<sync_lock::SyncLock> {
        sync_lock::lock(&self.state_dir(), self.lock_wait.clone()?)
    }

    /// Writes a new customer file; refuses an existing id.
    pub(crate) fn create_customer(
        &self,
        lock: &mut WriteLock,
        id: &CustomerId,
        customer: &customer_text::NewCustomer,
    ) -> Result<PathBuf> {
        let path = self.customer_path(id);
        if self.exists(id) {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("customer `{id}` already exists ({})", self.shown(&path)),
            )
            .with_hint(format!(
                "if this is a different person, give another id with `--id {id}-2`"
            )));
        }
        new_customer_sizes(customer)?;
        let dir = self.customers_dir();
        fs::create_dir_all(&dir).map_err(|e| Error::io("create folder", &dir, &e))?;
        let text = customer_text::new_customer_file(customer, "\n");
        // The reader must accept what the writer made, or nothing is written.
        read::parse_customer(text.as_bytes(), &self.shown(&path), id).map_err(|p| {
            Error::invalid_file(format!("internal error: crm made an unreadable file: {p}"))
        })?;
        lock.create(&path, text.as_bytes())?;
        Ok(path)
    }

    /// Appends `interaction` to customer `id`'s file, keeping every other byte. The new
    /// text is verified against the intended result before it replaces the file.
    pub fn append_interaction(
        &self,
        lock: &mut WriteLock,
        id: &CustomerId,
        interaction: &Interaction,
    ) -> Result<()> {
        // Refused before the file is even read when it cannot fit (the exact check of
        // the new bytes follows in `appended`).
        interaction_sizes(interaction)?;
        let path = self.customer_path(id);
        let mut big = false;
        if let Ok(meta) = fs::metadata(&path) {
            self.fits(&path, meta.len(), interaction)?;
            big = meta.len() >= appends::MIN_BYTES;
        }
        let batch = [interaction.clone()];
        if big {
            return self.append_big(lock, id, &batch);
        }
        let loaded = lock.read_settled(&path, || self.load_for_append(id))?;
        self.append_loaded(lock, id, &loaded, &batch)
    }

    /// [`Book::append_interaction`] to a customer already read under `lock` by
    /// [`Book::load_for_write`] (`crm done` and `crm snooze` need the customer to make
    /// the entry), so that the file is not read and parsed a second time. The write
    /// still refuses a file that changed since that read.
    pub(crate) fn append_to_loaded(
        &self,
        lock: &mut WriteLock,
        id: &CustomerId,
        loaded: &Loaded,
        interaction: &Interaction,
    ) -> Result<()> {
        interaction_sizes(interaction)?;
        let path = self.customer_path(id);
        self.fits(&path, loaded.raw().len() as u64, interaction)?;
        self.append_loaded(lock, id, loaded, std::slice::from_ref(interaction))
    }

    /// Refuses an append that would take a file of `len` bytes past the size limit
    /// before any text is made (the exact check of the new bytes follows in
    /// `appended`).
    fn fits(&self, path: &Path, len: u64, interaction: &Interaction) -> Result<()> {
        let entry: usize = customer_text::interaction_fields(interaction)
            .iter()
            .map(|f| f.len() + 5)
            .sum();
        let total = usize::try_from(len)
            .unwrap_or(usize::MAX)
            .saturating_add(entry);
        if total as u64 > read::MAX_FILE_BYTES {
            return Err(over_file_limit(&self.shown(path), total));
        }
        Ok(())
    }

    /// [`Book::append_interaction`] for a big file: when the file is, byte for byte,
    /// what crm wrote last (its stamp and the fingerprint of the bytes read under the
    /// lock are those of `.crm/appends`), the plan kept there is used and the file is
    /// not parsed; the append is verified on its region as always. Otherwise the bytes
    /// read are parsed as for any append. Either way the plan for the next append is
    /// kept (see [`appends`]).
    fn append_big(
        &self,
        lock: &mut WriteLock,
        id: &CustomerId,
        interactions: &[Interaction],
    ) -> Result<()> {
        let path = self.customer_path(id);
        let shown = self.shown(&path);
        let state = self.state_dir();
        let records = appends::load(&state);
        let (stamp, raw) = lock.read_settled(&path, || {
            if fs::symlink_metadata(&path).is_err() {
                return Err(self.not_found(id));
            }
            let meta = fs::metadata(&path).map_err(|e| Error::io("read", &path, &e))?;
            let raw =
                read::read_guarded(&path, &shown, &self.canonical_root).map_err(unreadable_file)?;
            Ok((write::Stamp::of(&meta), raw))
        })?;
        let bom = raw.starts_with(b"\xEF\xBB\xBF");
        let body = if bom { 3 } else { 0 };
        let kept = appends::find(&records, id.as_str())
            .filter(|r| r.stamp == stamp && r.bom == bom)
            .filter(|r| r.fingerprint == appends::fingerprint(&raw))
            .and_then(|r| {
                let text = std::str::from_utf8(&raw[body..]).ok()?;
                Some((text, r.plan.plan(text)?))
            });
        let fast = kept.and_then(|(text, plan)| {
            let site = read::AppendSite {
                plan: Ok(plan),
                near_miss: None,
            };
            self.appended(id, text, bom, Some(&site), interactions).ok()
        });
        let slow;
        let (expected, done) = match fast {
            Some(done) => (raw.as_slice(), done),
            None => {
                slow = read::parse_for_append(raw, &shown, id).map_err(unreadable_file)?;
                let done = self.appended(
                    id,
                    slow.text(),
                    slow.bom(),
                    slow.append_site(),
                    interactions,
                )?;
                (slow.raw(), done)
            }
        };
        lock.replace(&path, expected, &done.bytes)?;
        let record = done.next.as_ref().and_then(|next| {
            let meta = fs::metadata(&path).ok()?;
            Some(appends::Record {
                id: id.as_str().to_string(),
                stamp: write::Stamp::of(&meta),
                fingerprint: appends::fingerprint(&done.bytes),
                bom,
                plan: next.saved()?,
            })
        });
        appends::save(&state, records, record, id.as_str());
        Ok(())
    }

    /// Replaces customer `id`'s file with `contents` (a person's edit, from `crm edit`),
    /// if the file still holds exactly `original` (the bytes the edit started from).
    /// The new text must pass the same reader every command uses, or nothing is written.
    pub(crate) fn replace_text(
        &self,
        lock: &mut WriteLock,
        id: &CustomerId,
        original: &[u8],
        contents: &[u8],
    ) -> Result<Saved> {
        let saved = self.check_text(id, contents)?;
        lock.replace(&self.customer_path(id), original, contents)?;
        Ok(saved)
    }

    /// Creates customer `id`'s file with `contents` as a person wrote it (`crm edit
    /// --new`), after checking it with the reader; refuses an existing id.
    pub(crate) fn create_text(
        &self,
        lock: &mut WriteLock,
        id: &CustomerId,
        contents: &[u8],
    ) -> Result<Saved> {
        let path = self.customer_path(id);
        if self.exists(id) {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("customer `{id}` already exists ({})", self.shown(&path)),
            )
            .with_hint(format!("edit it with `crm edit {id}`")));
        }
        let saved = self.check_text(id, contents)?;
        let dir = self.customers_dir();
        fs::create_dir_all(&dir).map_err(|e| Error::io("create folder", &dir, &e))?;
        lock.create(&path, contents)?;
        Ok(saved)
    }

    /// A person's text for customer `id` read as the file it is to become, with what
    /// `crm check` would still say about it; refused if it does not read.
    fn check_text(&self, id: &CustomerId, contents: &[u8]) -> Result<Saved> {
        let shown = self.shown(&self.customer_path(id));
        let all_kinds = self.config.all_kinds();
        let known = |kind: &str| self.config.knows_kind(kind);
        if contents.len() as u64 > read::MAX_FILE_BYTES {
            return Err(over_file_limit(&shown, contents.len()));
        }
        let (loaded, warnings) = read::parse_checked(contents, &shown, id, &known, &all_kinds)
            .map_err(|p| Error::invalid_file(format!("{p}; nothing was written")))?;
        customer_sizes(&loaded.customer)?;
        Ok(Saved { warnings })
    }

    fn append_loaded(
        &self,
        lock: &mut WriteLock,
        id: &CustomerId,
        loaded: &Loaded,
        interactions: &[Interaction],
    ) -> Result<()> {
        let done = self.appended(
            id,
            loaded.text(),
            loaded.bom(),
            loaded.append_site(),
            interactions,
        )?;
        lock.replace(&self.customer_path(id), loaded.raw(), &done.bytes)
    }

    /// Creates and appends to many customers at once, one write per file, all flushed
    /// to disk together (see [`WriteLock::write_all`]): what a large import needs to
    /// finish in seconds. Every file's new text is built and checked, exactly as
    /// [`Book::create_customer`] and [`Book::append_interaction`] check it, before
    /// anything is written. `progress` is told how many files are written so far.
    pub(crate) fn write_batch(
        &self,
        lock: &mut WriteLock,
        entries: &[BatchEntry<'_>],
        progress: &mut dyn FnMut(usize),
    ) -> Result<()> {
        // Each file's new text is built and verified on its own: in parallel.
        let files = entries
            .par_iter()
            .map(|entry| self.pending(entry))
            .collect::<Result<Vec<_>>>()?;
        let dir = self.customers_dir();
        fs::create_dir_all(&dir).map_err(|e| Error::io("create folder", &dir, &e))?;
        lock.write_all(&files, progress)
    }

    /// The write [`Book::write_batch`] makes for one entry.
    fn pending(&self, entry: &BatchEntry<'_>) -> Result<write::Pending> {
        let path = self.customer_path(entry.id);
        let made;
        let (loaded, expected) = match entry.target {
            BatchTarget::New(customer) => {
                if self.exists(entry.id) {
                    return Err(Error::new(
                        ErrorKind::AlreadyExists,
                        format!(
                            "customer `{}` already exists ({})",
                            entry.id,
                            self.shown(&path)
                        ),
                    ));
                }
                new_customer_sizes(customer)?;
                let text = customer_text::new_customer_file(customer, "\n");
                made = read::parse_for_append(text.into_bytes(), &self.shown(&path), entry.id)
                    .map_err(|p| {
                        Error::invalid_file(format!(
                            "internal error: crm made an unreadable file: {p}"
                        ))
                    })?;
                (&made, None)
            }
            BatchTarget::Existing(loaded) => (loaded, Some(loaded.raw().to_vec())),
        };
        let contents = if entry.interactions.is_empty() {
            loaded.raw().to_vec()
        } else {
            self.appended(
                entry.id,
                loaded.text(),
                loaded.bom(),
                loaded.append_site(),
                entry.interactions,
            )?
            .bytes
        };
        Ok(write::Pending {
            path,
            expected,
            contents,
        })
    }

    /// The bytes of a file whose text (after a byte-order mark when `bom`) is `text`,
    /// read as customer `id`, with `interactions` appended in one pass, keeping every
    /// other byte; refused unless they re-read to exactly the intended result. `site`
    /// is how the append goes in, when the read decided it (else `text` is parsed).
    fn appended(
        &self,
        id: &CustomerId,
        text: &str,
        bom: bool,
        site: Option<&read::AppendSite>,
        interactions: &[Interaction],
    ) -> Result<Appended> {
        for interaction in interactions {
            interaction_sizes(interaction)?;
        }
        let path = self.customer_path(id);
        let shown = self.shown(&path);
        // The site was decided by the parse that read the file; a file read otherwise
        // is parsed again here.
        let parsed;
        let site = match site {
            Some(site) => site,
            None => {
                // The reader has accepted the file, which it does only if this parse
                // succeeds too (see read.rs); the message is for the case where they
                // ever disagree.
                let doc = yaml::parse(text).map_err(|e| {
                    Error::invalid_file(format!(
                        "{shown}: internal error: a file crm read does not parse again: {e:?}"
                    ))
                })?;
                let root = doc.root.as_ref().ok_or_else(|| {
                    Error::invalid_file(format!(
                        "{shown}: internal error: a file crm read has no top mapping"
                    ))
                })?;
                parsed = read::AppendSite::of(text, &doc, root);
                &parsed
            }
        };
        // A misspelt `interaction:` list: a second, real one beside it would leave the
        // person's entries ignored and split the log in two.
        if let Some(miss) = &site.near_miss {
            return Err(Error::invalid_file(format!(
                "{shown}:{}:{}: {}; crm will not add a second list beside it, nothing was written",
                miss.pos.line,
                miss.pos.column,
                miss.message()
            ))
            .with_hint(format!(
                "rename the key to `interactions` (`crm edit {id}`), then run the command again"
            )));
        }
        // The very decision `crm check` reports (see read.rs).
        let plan = site
            .plan
            .clone()
            .map_err(|e| e.into_error(&shown, id.as_str()))?;
        let mut values = Vec::with_capacity(interactions.len());
        let mut entries = Vec::with_capacity(interactions.len());
        for interaction in interactions {
            let fields = customer_text::interaction_fields(interaction);
            let entry = yaml::value_of(&fields.join("\n")).map_err(|e| {
                Error::invalid_file(format!(
                    "internal error: crm rendered an unreadable entry: {}",
                    e.reason
                ))
            })?;
            values.push(entry);
            entries.push(fields);
        }
        let new_text = plan.apply(text, &entries);
        let mut bytes = Vec::with_capacity(new_text.len() + 3);
        if bom {
            bytes.extend_from_slice(b"\xEF\xBB\xBF");
        }
        bytes.extend_from_slice(new_text.as_bytes());
        if bytes.len() as u64 > read::MAX_FILE_BYTES {
            return Err(over_file_limit(&shown, bytes.len()));
        }
        // Verified by reading again only the end of the file the append changed, when
        // the layout allows; else, and whenever that fails, by comparing whole files.
        let added = plan
            .verify_region(text, &new_text, "interactions", values.clone())
            .and_then(|region| read::appended_entries(&region, plan.kept(), &shown).ok())
            .filter(|added| added.len() == interactions.len());
        if added.is_some() {
            // Verified on its region: the plan of the new text follows from this one. Only
            // a file the next append reads as big (see `append_big`) keeps it.
            let next = (bytes.len() as u64 >= appends::MIN_BYTES)
                .then(|| plan.after(text, &entries))
                .flatten();
            return Ok(Appended { bytes, next });
        }
        let mut expected = yaml::value_of(text).map_err(|e| {
            yaml_refusal(&shown, &e, "crm cannot safely edit this file")
                .with_hint(format!(
                    "`crm check` shows every problem of the file; fix it by hand (`crm edit {id}`), then run the command again"
                ))
        })?;
        for value in values {
            yaml::push_entry(&mut expected, "interactions", value);
        }
        verify_append(&bytes, &expected, &shown, plan.pos, id)?;
        Ok(Appended { bytes, next: None })
    }
}

/// A file's new bytes after an append ([`Book::appended`]), and the plan of the next
/// append to them when it follows from the verified one without a parse.
struct Appended {
    bytes: Vec<u8>,
    next: Option<yaml::Plan>,
}

/// The customer in `bytes`, a file's new contents after an append, if they say exactly
/// `expected` (what the file said, plus the new entries) and read as customer `id`.
/// Only a layout the planner misjudged fails this: then nothing is written, and the
/// message points at `pos`, in the file as it still is, where the entries would go.
fn verify_append(
    bytes: &[u8],
    expected: &yaml::Value,
    shown: &str,
    pos: yaml::Pos,
    id: &CustomerId,
) -> Result<()> {
    let at = format!("{shown}:{}:{}", pos.line, pos.column);
    let refuse = |why: String| {
        Error::invalid_file(format!(
            "{at}: crm could not append here without {why}; nothing was written"
        ))
        .with_hint(format!(
            "this is crm's mistake, not yours: add the interaction by hand with `crm edit {id}`, and tell us about the file's layout"
        ))
    };
    let text =
        std::str::from_utf8(bytes).map_err(|_| refuse("breaking the file's UTF-8".to_string()))?;
    let written = yaml::value_of(text.trim_start_matches('\u{feff}'))
        .map_err(|e| refuse(format!("breaking the file ({})", e.reason)))?;
    if written != *expected {
        return Err(refuse("changing what else the file says".to_string()));
    }
    read::parse_customer(bytes, shown, id)
        .map(drop)
        .map_err(|p| refuse(format!("making it unreadable to crm ({})", p.message)))
}

/// The error for a customer file that does not read, with the way out.
fn unreadable_file(problem: Problem) -> Error {
    Error::invalid_file(problem.to_string()).with_hint(
        "fix the file by hand (`crm edit` validates as you save), then run the command again",
    )
}

/// Refuses a write that would make a file no crm command reads again.
fn over_file_limit(shown: &str, len: usize) -> Error {
    Error::invalid_file(format!(
        "this would make `{shown}` {:.1} MiB, over the {} MiB every crm command reads; nothing was written",
        len as f64 / 1048576.0,
        read::MAX_FILE_BYTES / 1048576
    ))
    .with_hint("move old interactions to an archive file of their own (by hand, `crm edit`), then run the command again")
}

/// Refuses a text value over [`MAX_TEXT_BYTES`], naming the field.
fn text_size(field: &str, value: &str) -> Result<()> {
    if value.len() <= MAX_TEXT_BYTES {
        return Ok(());
    }
    Err(Error::usage(format!(
        "the {field} is {:.1} KiB, over crm's {} KiB limit for one text value; nothing was written",
        value.len() as f64 / 1024.0,
        MAX_TEXT_BYTES / 1024
    ))
    .with_hint("keep long documents in files of their own, and note in crm where they are"))
}

fn interaction_sizes(interaction: &Interaction) -> Result<()> {
    for (field, value) in [
        ("summary", interaction.summary.as_deref()),
        ("channel", interaction.channel.as_deref()),
    ] {
        text_size(field, value.unwrap_or(""))?;
    }
    interaction
        .items
        .iter()
        .try_for_each(|i| text_size("item", i))
}

fn new_customer_sizes(c: &customer_text::NewCustomer) -> Result<()> {
    text_size("name", &c.name)?;
    for (field, value) in [
        ("email", &c.email),
        ("phone", &c.phone),
        ("company", &c.company),
    ] {
        text_size(field, value.as_deref().unwrap_or(""))?;
    }
    c.tags.iter().try_for_each(|t| text_size("tag", t))?;
    c.preferences
        .iter()
        .try_for_each(|(k, v)| text_size("preference name", k).and(text_size("preference", v)))
}

fn customer_sizes(c: &Customer) -> Result<()> {
    text_size("name", &c.name)?;
    for (field, value) in [
        ("email", &c.email),
        ("phone", &c.phone),
        ("company", &c.company),
    ] {
        text_size(field, value.as_deref().unwrap_or(""))?;
    }
    c.tags.iter().try_for_each(|t| text_size("tag", t))?;
    c.preferences
        .iter()
        .try_for_each(|(k, v)| text_size("preference name", k).and(text_size("preference", v)))?;
    c.interactions.iter().try_for_each(interaction_sizes)
}

/// A person's text that crm saved (`crm edit`), as read back.
#[derive(Debug, Clone)]
pub(crate) struct Saved {
    /// What `crm check` still reports about it: problems a file that reads can have
    /// (an unknown kind, a purchase without an amount), so the text was saved anyway.
    pub(crate) warnings: Vec<Problem>,
}

/// One customer of a [`Book::write_batch`]: created first when `new` is given, then
/// `interactions` are appended.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BatchEntry<'a> {
    /// The customer.
    pub(crate) id: &'a CustomerId,
    /// The file to make or to append to.
    pub(crate) target: BatchTarget<'a>,
    /// What to append (may be empty for a new customer).
    pub(crate) interactions: &'a [Interaction],
}

/// What a [`BatchEntry`] writes to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum BatchTarget<'a> {
    /// A new customer with these details.
    New(&'a customer_text::NewCustomer),
    /// An existing customer's file, as read under the same lock; the write is refused
    /// if the file is no longer these bytes.
    Existing(&'a Loaded),
}

/// A refused write, as `path:line:col: what: serde_yaml's reason; nothing was written`.
fn yaml_refusal(shown: &str, err: &yaml::ValueError, what: &str) -> Error {
    Error::invalid_file(format!(
        "{shown}:{}:{}: {what} ({}); nothing was written",
        err.line, err.column, err.reason
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Review finding: a refused append pointed into the text crm meant to write
    /// (`c.yaml:7:1` for a file of 3 lines), not at the file as it is.
    #[test]
    fn a_refused_append_points_into_the_file_as_it_is() {
        let id = CustomerId::parse("c").unwrap();
        let expected: serde_yaml::Value =
            serde_yaml::from_str("name: C\ninteractions: []\n").unwrap();
        let pos = yaml::Pos { line: 3, column: 1 };
        for broken in [
            "name: C\ninteractions:\n  - a\n\n\n\n  [\n",
            "name: C\ninteractions:\n\n\n\n\nx: 1\n",
            "name: C\ninteractions:\n\n\n\n\n  - 1\n",
        ] {
            let err = verify_append(broken.as_bytes(), &expected, "customers/c.yaml", pos, &id)
                .unwrap_err();
            assert!(
                err.message
                    .starts_with("customers/c.yaml:3:1: crm could not append here"),
                "{broken:?}: {}",
                err.message
            );
            assert!(
                err.message.ends_with("nothing was written"),
                "{}",
                err.message
            );
        }
    }

    /// A stamp can miss an edit made in the same clock tick as crm's write (the same
    /// size, mtime and ctime): the kept plan is used only for the bytes crm wrote.
    #[test]
    fn a_kept_plan_is_not_used_for_other_bytes_under_the_same_stamp() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(CONFIG_FILE), "").unwrap();
        fs::create_dir(dir.path().join(CUSTOMERS_DIR)).unwrap();
        let book = Book::open(dir.path()).unwrap();
        let id = CustomerId::parse("big").unwrap();
        let path = book.customer_path(&id);
        let mut text = String::from("name: Big\ninteractions:\n");
        for i in 0..2000 {
            text.push_str(&format!(
                "  - date: 2020-01-01\n    kind: call\n    summary: \"{i:05}\"\n"
            ));
        }
        fs::write(&path, &text).unwrap();
        let call = |day: u32| {
            Interaction::new(
                chrono::NaiveDate::from_ymd_opt(2025, 1, day).unwrap(),
                crate::domain::interaction::Kind::Call,
            )
        };
        let mut lock = book.lock().unwrap();
        book.append_interaction(&mut lock, &id, &call(1)).unwrap();
        drop(lock);
        // Another program's edit, of the same size, far from the end; then the record
        // is given the edited file's stamp, as if the clock had not moved.
        let written = fs::read_to_string(&path).unwrap();
        let edited = written.replacen("  - date: 2020-01-01\n", "  - date: 2020-01-32\n", 1);
        fs::write(&path, &edited).unwrap();
        let state = book.state_dir();
        let mut records = appends::load(&state);
        assert_eq!(records.len(), 1, "the plan was kept");
        records[0].stamp = write::Stamp::of(&fs::metadata(&path).unwrap());
        let record = records[0].clone();
        appends::save(&state, records, Some(record), "big");
        let mut lock = book.lock().unwrap();
        let err = book
            .append_interaction(&mut lock, &id, &call(2))
            .unwrap_err();
        assert!(err.message.contains("2020-01-32"), "{}", err.message);
        assert_eq!(fs::read_to_string(&path).unwrap(), edited);
    }
}
