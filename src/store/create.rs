//! Making a new book (`crm init`): crm.toml from the commented template, `customers/`
//! with a `.gitkeep`, the message templates in `templates/`, every obstacle checked before anything is written, and what a
//! failed creation wrote taken back.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Book, ATTRIBUTES_FILE, CONFIG_FILE, CUSTOMERS_DIR};
use crate::error::{Error, ErrorKind, Result};

/// Keeps `customers/` in git while it has no customer files.
const KEEP_FILE: &str = ".gitkeep";

/// The rule of the book's `.gitattributes` that has git merge customer files with
/// `crm merge-file` (once a clone registers the driver; until then git merges them
/// line by line, as without the rule).
pub(crate) const MERGE_ATTRIBUTE: &str = "customers/*.yaml merge=crm";

/// What `crm init` writes into a new `.gitattributes`.
pub(crate) const ATTRIBUTES: &str = "# Customer files are merged by crm's rules (docs/git.md, \"Sharing a book\"), once\n# the driver is registered in a clone: `crm sync` and `crm clone` do it, or by hand\n#   git config merge.crm.driver \"crm merge-file --marker-size %L %O %A %B %P\"\ncustomers/*.yaml merge=crm\n";

/// A new book, as `crm init` makes it: what will be written, decided before anything is
/// written.
#[derive(Debug)]
pub(crate) struct NewBook {
    dir: PathBuf,
    /// Folders to create, outermost first (the book folder and `customers/`, as needed).
    new_dirs: Vec<PathBuf>,
    /// Whether `customers/.gitkeep` is missing.
    new_keep: bool,
    /// What to do about `.gitattributes`.
    attributes: Attributes,
}

/// What `crm init` does to the folder's `.gitattributes`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Attributes {
    /// It has the merge rule already: nothing.
    Present,
    /// There is none: write crm's.
    Create,
    /// There is one without the rule (its bytes given): add the rule at its end.
    Append(Vec<u8>),
}

impl NewBook {
    /// Checks everything a new book in `dir` needs, writing nothing.
    pub(crate) fn check(dir: &Path) -> Result<NewBook> {
        let shown = dir.display();
        let config = dir.join(CONFIG_FILE);
        if fs::symlink_metadata(&config).is_ok() {
            let what = if config.exists() {
                format!("`{shown}` is already a crm book (it has a {CONFIG_FILE})")
            } else {
                format!(
                    "`{}` already exists (a link to a missing file)",
                    config.display()
                )
            };
            return Err(Error::new(ErrorKind::AlreadyExists, what)
                .with_hint("crm init never overwrites a book; edit crm.toml instead, or remove it to start afresh"));
        }
        if let Some(outer) = enclosing_book(dir) {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!(
                    "`{shown}` is inside the crm book `{}`; crm does not make a book inside another (git would mix their commits, and crm would find the wrong book from some folders)",
                    outer.display()
                ),
            )
            .with_hint(format!(
                "make the new book in a folder outside `{}`",
                outer.display()
            )));
        }
        let mut new_dirs = Vec::new();
        for folder in [dir.to_path_buf(), dir.join(CUSTOMERS_DIR)] {
            match fs::metadata(&folder) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => {
                    return Err(Error::new(
                        ErrorKind::AlreadyExists,
                        format!("`{}` is a file, not a folder", folder.display()),
                    )
                    .with_hint("move it out of the way, or make the book in another folder"))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    // A dangling link in the way fails here rather than half-way through.
                    if fs::symlink_metadata(&folder).is_ok() {
                        return Err(Error::new(
                            ErrorKind::AlreadyExists,
                            format!("`{}` is a link to a missing folder", folder.display()),
                        )
                        .with_hint("remove the link, or make the book in another folder"));
                    }
                    new_dirs.push(folder);
                }
                Err(e) => return Err(Error::io("read", &folder, &e)),
            }
        }
        // A customers/ link out of the folder: the book would refuse it once made, and
        // init would have written through it.
        let customers = dir.join(CUSTOMERS_DIR);
        if fs::symlink_metadata(&customers).is_ok_and(|m| m.file_type().is_symlink()) {
            let inside = fs::canonicalize(&customers)
                .ok()
                .zip(fs::canonicalize(dir).ok())
                .is_some_and(|(target, root)| target.starts_with(root));
            if !inside {
                return Err(Error::invalid_file(format!(
                    "`{}` is a symlink to a folder outside `{shown}`; crm does not read or write through links out of the book",
                    customers.display()
                ))
                .with_hint("replace the link with a real customers/ folder, or make the book in another folder"));
            }
        }
        let keep = dir.join(CUSTOMERS_DIR).join(KEEP_FILE);
        let new_keep = fs::symlink_metadata(&keep).is_err();
        let attributes_path = dir.join(ATTRIBUTES_FILE);
        let attributes = match fs::symlink_metadata(&attributes_path) {
            Err(_) => Attributes::Create,
            Ok(meta) if meta.is_file() => {
                let text = fs::read(&attributes_path)
                    .map_err(|e| Error::io("read", &attributes_path, &e))?;
                let has_rule = String::from_utf8_lossy(&text).lines().any(|line| {
                    line.split_whitespace().collect::<Vec<_>>() == ["customers/*.yaml", "merge=crm"]
                });
                if has_rule {
                    Attributes::Present
                } else {
                    Attributes::Append(text)
                }
            }
            // A link or a folder: not crm's to write through.
            Ok(_) => {
                return Err(Error::new(
                    ErrorKind::AlreadyExists,
                    format!("`{}` is not a plain file", attributes_path.display()),
                )
                .with_hint(format!("replace it with a plain file (or remove it); crm init adds `{MERGE_ATTRIBUTE}` to it")))
            }
        };
        Ok(NewBook {
            dir: dir.to_path_buf(),
            new_dirs,
            new_keep,
            attributes,
        })
    }

    /// Writes the book; on failure, takes back what it wrote.
    pub(crate) fn write(&self) -> Result<Written> {
        let mut written = Written::default();
        let result = self.write_all(&mut written);
        if result.is_err() {
            self.undo(&written);
        }
        result.map(|()| written)
    }

    fn write_all(&self, written: &mut Written) -> Result<()> {
        for folder in &self.new_dirs {
            fs::create_dir_all(folder).map_err(|e| Error::io("create folder", folder, &e))?;
            written.dirs.push(folder.clone());
        }
        // Created first and never overwritten: of two concurrent inits, one fails here,
        // before writing anything else.
        let config = self.dir.join(CONFIG_FILE);
        let created = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&config);
        let mut file = created.map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::new(
                    ErrorKind::AlreadyExists,
                    format!("`{}` appeared while crm init was working", config.display()),
                )
                .with_hint("another crm init probably made the book; check it with `crm check`")
            } else {
                Error::io("create", &config, &e)
            }
        })?;
        written.config = true;
        file.write_all(super::config::TEMPLATE.as_bytes())
            .map_err(|e| Error::io("write", &config, &e))?;
        if self.new_keep {
            let keep = self.dir.join(CUSTOMERS_DIR).join(KEEP_FILE);
            written.keep = true;
            fs::write(&keep, "").map_err(|e| Error::io("write", &keep, &e))?;
        }
        let attributes = self.dir.join(ATTRIBUTES_FILE);
        match &self.attributes {
            Attributes::Present => {}
            Attributes::Create => {
                let mut file = fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&attributes)
                    .map_err(|e| Error::io("create", &attributes, &e))?;
                written.attributes = true;
                file.write_all(ATTRIBUTES.as_bytes())
                    .map_err(|e| Error::io("write", &attributes, &e))?;
            }
            Attributes::Append(text) => {
                let mut added = text.clone();
                if !added.is_empty() && !added.ends_with(b"\n") {
                    added.push(b'\n');
                }
                added.extend_from_slice(MERGE_ATTRIBUTE.as_bytes());
                added.push(b'\n');
                written.attributes = true;
                super::write::replace_atomically(&attributes, &added)?;
            }
        }
        self.write_templates(written)
    }

    /// The message templates `crm draft` uses, each only if missing; a `templates`
    /// that is not a plain folder (a file, a link) is left alone.
    fn write_templates(&self, written: &mut Written) -> Result<()> {
        let dir = self.dir.join(super::templates::TEMPLATES_DIR);
        match fs::symlink_metadata(&dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Ok(()),
            Err(_) => {
                fs::create_dir(&dir).map_err(|e| Error::io("create folder", &dir, &e))?;
                written.dirs.push(dir.clone());
            }
        }
        for (name, text) in super::templates::SHIPPED {
            let path = dir.join(format!("{name}.{}", super::templates::EXTENSION));
            let created = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path);
            match created {
                Ok(mut file) => {
                    written.templates.push(path.clone());
                    file.write_all(text.as_bytes())
                        .map_err(|e| Error::io("write", &path, &e))?;
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(Error::io("create", &path, &e)),
            }
        }
        Ok(())
    }

    /// Takes back what [`NewBook::write`] wrote (best effort: it runs after a failure).
    pub(crate) fn undo(&self, written: &Written) {
        if written.attributes {
            let path = self.dir.join(ATTRIBUTES_FILE);
            let _ = match &self.attributes {
                Attributes::Append(text) => super::write::replace_atomically(&path, text),
                _ => fs::remove_file(&path).map_err(Error::from),
            };
        }
        for template in &written.templates {
            let _ = fs::remove_file(template);
        }
        if written.keep {
            let _ = fs::remove_file(self.dir.join(CUSTOMERS_DIR).join(KEEP_FILE));
        }
        if written.config {
            let _ = fs::remove_file(self.dir.join(CONFIG_FILE));
        }
        // Only folders crm made, and only if empty (`remove_dir` refuses others).
        for folder in written.dirs.iter().rev() {
            let _ = fs::remove_dir(folder);
        }
    }
}

/// What [`NewBook::write`] has written so far.
#[derive(Debug, Default)]
pub(crate) struct Written {
    dirs: Vec<PathBuf>,
    templates: Vec<PathBuf>,
    config: bool,
    keep: bool,
    attributes: bool,
}

/// The root of a book that `dir` would be inside: the nearest folder above it holding
/// a `crm.toml` (`dir` itself holds none: [`NewBook::check`] has made sure).
fn enclosing_book(dir: &Path) -> Option<PathBuf> {
    // `dir` and some of its parents may not exist yet; the book search starts from the
    // nearest one that does.
    let existing = dir
        .ancestors()
        .map(|a| {
            if a.as_os_str().is_empty() {
                Path::new(".")
            } else {
                a
            }
        })
        .find(|a| a.is_dir())?;
    Book::find_root(existing).ok()
}
