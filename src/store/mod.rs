//! The store: the only code that touches customer files and `crm.toml`. Finding the
//! book, reading files defensively, appending losslessly, writing atomically under a
//! lock. serde_yaml is used only inside this folder.

pub mod cache;
pub mod config;
pub mod edit;
pub mod read;
pub mod scan;
pub mod write;
pub mod yaml_text;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::domain::customer::Customer;
use crate::domain::id::CustomerId;
use crate::domain::interaction::Interaction;
use crate::error::{Error, ErrorKind, Result};

pub use config::Config;
pub use read::{Loaded, Problem};
pub use write::WriteLock;

/// Name of the settings file that marks a book's root.
pub const CONFIG_FILE: &str = "crm.toml";
/// Folder of customer files, under the root.
pub const CUSTOMERS_DIR: &str = "customers";
/// crm's own state (lock, temp files, cache), under the root; git-ignored.
pub const STATE_DIR: &str = ".crm";
/// Extension of customer files.
pub const EXTENSION: &str = "yaml";

/// An opened book: its root folder and settings.
#[derive(Debug, Clone)]
pub struct Book {
    /// The folder holding `crm.toml`.
    pub root: PathBuf,
    canonical_root: PathBuf,
    /// Parsed `crm.toml`.
    pub config: Config,
    /// How long writers wait for the lock.
    pub lock_wait: Duration,
}

impl Book {
    /// Finds the book like git finds a repository: `start` itself or its nearest
    /// ancestor holding `crm.toml`.
    pub fn discover(start: &Path) -> Result<Book> {
        let start_abs = fs::canonicalize(start).map_err(|e| Error::io("open folder", start, &e))?;
        let mut dir = Some(start_abs.as_path());
        while let Some(candidate) = dir {
            if candidate.join(CONFIG_FILE).is_file() {
                return Book::open(candidate);
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
        let canonical_root = fs::canonicalize(root).map_err(|e| Error::io("open folder", root, &e))?;
        let config_path = root.join(CONFIG_FILE);
        let text = fs::read_to_string(&config_path).map_err(|e| Error::io("read", &config_path, &e))?;
        let config = Config::parse(&text).map_err(|(line, col, message)| {
            Error::invalid_file(format!("{}:{line}:{col}: {message}", config_path.display()))
                .with_hint("fix crm.toml (see docs/format.md); `crm check` lists every problem")
        })?;
        let book = Book {
            root: root.to_path_buf(),
            canonical_root,
            config,
            lock_wait: write::DEFAULT_LOCK_WAIT,
        };
        book.check_customers_dir()?;
        Ok(book)
    }

    fn check_customers_dir(&self) -> Result<()> {
        let dir = self.customers_dir();
        match fs::symlink_metadata(&dir) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::canonicalize(&dir).map_err(|e| Error::io("follow", &dir, &e))?;
                if !target.starts_with(&self.canonical_root) {
                    return Err(Error::invalid_file(format!(
                        "`{}` is a symlink to `{}`, outside the book; crm does not follow links out of the book",
                        dir.display(),
                        target.display()
                    ))
                    .with_hint("replace the link with a real customers/ folder"));
                }
                Ok(())
            }
            Ok(meta) if !meta.is_dir() => Err(Error::invalid_file(format!(
                "`{}` is not a folder",
                dir.display()
            ))),
            _ => Ok(()),
        }
    }

    /// The folder of customer files.
    pub fn customers_dir(&self) -> PathBuf {
        self.root.join(CUSTOMERS_DIR)
    }

    /// The file of customer `id` (which may not exist).
    pub fn customer_path(&self, id: &CustomerId) -> PathBuf {
        self.customers_dir().join(format!("{id}.{EXTENSION}"))
    }

    /// `crm.toml`.
    pub fn config_path(&self) -> PathBuf {
        self.root.join(CONFIG_FILE)
    }

    /// crm's state folder.
    pub fn state_dir(&self) -> PathBuf {
        self.root.join(STATE_DIR)
    }

    /// A path as shown in messages: relative to the book root when inside it.
    pub fn shown(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    /// The canonical root, against which symlinks are checked.
    pub fn canonical_root(&self) -> &Path {
        &self.canonical_root
    }

    /// Whether customer `id` has a file (without reading it).
    pub fn exists(&self, id: &CustomerId) -> bool {
        fs::symlink_metadata(self.customer_path(id)).is_ok()
    }

    /// Reads one customer, touching no other file. A missing customer gets a hint with
    /// the closest existing id (only then is the folder listed).
    pub fn load(&self, id: &CustomerId) -> Result<Loaded> {
        let path = self.customer_path(id);
        if fs::symlink_metadata(&path).is_err() {
            return Err(self.not_found(id));
        }
        read::read_customer(&path, &self.shown(&path), &self.canonical_root, id)
            .map_err(|p| Error::invalid_file(p.to_string()).with_hint("fix the file by hand (`crm edit` validates as you save), then run the command again"))
    }

    fn not_found(&self, id: &CustomerId) -> Error {
        let ids: Vec<String> = scan::list_ids(self).unwrap_or_default();
        let hint = match read::closest(id.as_str(), &ids) {
            Some(best) => format!("did you mean `{best}`? (`crm list` shows every id)"),
            None => format!("`crm add` creates a customer; `crm list` shows every id"),
        };
        Error::new(ErrorKind::NotFound, format!("no customer `{id}` in this book")).with_hint(hint)
    }

    /// Takes the book's write lock.
    pub fn lock(&self) -> Result<WriteLock> {
        write::lock(&self.state_dir(), self.lock_wait)
    }

    /// Writes a new customer file; refuses an existing id.
    pub fn create_customer(
        &self,
        lock: &mut WriteLock,
        id: &CustomerId,
        customer: &yaml_text::NewCustomer,
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
        let dir = self.customers_dir();
        fs::create_dir_all(&dir).map_err(|e| Error::io("create folder", &dir, &e))?;
        let text = yaml_text::new_customer_file(customer, "\n");
        // The reader must accept what the writer made, or nothing is written.
        read::parse_customer(text.as_bytes(), &self.shown(&path), id)
            .map_err(|p| Error::invalid_file(format!("internal error: crm made an unreadable file: {p}")))?;
        lock.create(&path, text.as_bytes())?;
        Ok(path)
    }

    /// Appends `interaction` to customer `id`'s file, keeping every other byte, and
    /// returns the customer as now written. The new text is re-parsed and compared with
    /// the intended result before it replaces the file.
    pub fn append_interaction(
        &self,
        lock: &mut WriteLock,
        id: &CustomerId,
        interaction: &Interaction,
    ) -> Result<Customer> {
        let loaded = self.load(id)?;
        let batch = [interaction.clone()];
        self.append_loaded(lock, id, &loaded, &batch)
    }

    /// Appends several interactions to one customer in a single write.
    pub fn append_interactions(
        &self,
        lock: &mut WriteLock,
        id: &CustomerId,
        interactions: &[Interaction],
    ) -> Result<Customer> {
        let loaded = self.load(id)?;
        self.append_loaded(lock, id, &loaded, interactions)
    }

    fn append_loaded(
        &self,
        lock: &mut WriteLock,
        id: &CustomerId,
        loaded: &Loaded,
        interactions: &[Interaction],
    ) -> Result<Customer> {
        let path = self.customer_path(id);
        let shown = self.shown(&path);
        let mut text = loaded.text.clone();
        let mut expected: serde_yaml::Value = serde_yaml::from_str(&loaded.text)
            .map_err(|e| Error::invalid_file(format!("{shown}: {e}")))?;
        for interaction in interactions.iter() {
            let fields = yaml_text::interaction_fields(interaction);
            text = edit::append_to_list(&text, "interactions", &fields).map_err(|edit::AppendError::UnusualLayout(line)| {
                Error::invalid_file(format!(
                    "{shown}:{line}:1: `interactions:` is written in a form crm cannot append to without rewriting it; nothing was written"
                ))
                .with_hint("write the list as block entries (`- date: ...` lines), then run the command again")
            })?;
            let entry: serde_yaml::Value = serde_yaml::from_str(&fields.join("\n"))
                .map_err(|e| Error::invalid_file(format!("internal error: crm rendered an unreadable entry: {e}")))?;
            push_entry(&mut expected, entry);
        }
        let written: serde_yaml::Value = serde_yaml::from_str(&text).map_err(|e| {
            Error::invalid_file(format!("{shown}: appending would break the file ({e}); nothing was written"))
        })?;
        if written != expected {
            return Err(Error::invalid_file(format!(
                "{shown}: crm could not append to this file without changing what else it says; nothing was written"
            ))
            .with_hint("add the interaction by hand with `crm edit`, and tell us about the file's layout"));
        }
        let mut bytes = Vec::with_capacity(text.len() + 3);
        if loaded.bom {
            bytes.extend_from_slice(b"\xEF\xBB\xBF");
        }
        bytes.extend_from_slice(text.as_bytes());
        let reread = read::parse_customer(&bytes, &shown, id)
            .map_err(|p| Error::invalid_file(format!("{p}; nothing was written")))?;
        lock.replace(&path, &loaded.raw, &bytes)?;
        Ok(reread.customer)
    }
}

fn push_entry(document: &mut serde_yaml::Value, entry: serde_yaml::Value) {
    if let serde_yaml::Value::Mapping(map) = document {
        let key = serde_yaml::Value::String("interactions".into());
        match map.get_mut(&key) {
            Some(serde_yaml::Value::Sequence(items)) => items.push(entry),
            Some(slot) => *slot = serde_yaml::Value::Sequence(vec![entry]),
            None => {
                map.insert(key, serde_yaml::Value::Sequence(vec![entry]));
            }
        }
    }
}
