//! `crm init [DIR]`: a new book with commented settings, a customers/ folder, and a git
//! repository with a first commit (unless DIR is already inside one).
//!
//! Everything that can be checked is checked before anything is written, and what a
//! failed init did write is taken back: a failed `crm init` leaves the folder as it was.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::context::Context;
use crate::error::{Error, ErrorKind, Result, EXIT_OK};
use crate::git::BookRepo;
use crate::store::{self, Book, CONFIG_FILE, CUSTOMERS_DIR};

use super::CRM_TRAILER;

/// Arguments of `crm init`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder for the new book (created if missing; default: the current folder, or
    /// the folder given with -C; CRM_DIR does not move it).
    pub dir: Option<PathBuf>,
}

const GITIGNORE_LINE: &str = "/.crm/";
const KEEP_FILE: &str = ".gitkeep";
/// The summary of the book's first commit: the words `crm commit` uses for a new book.
const FIRST_COMMIT: &str = "start the crm book";

/// Runs `crm init`.
pub fn run(ctx: &Context, args: &Args, out: &mut dyn Write) -> Result<u8> {
    let dir = match &args.dir {
        Some(dir) => ctx.init_dir.join(dir),
        None => ctx.init_dir.clone(),
    };
    let plan = Plan::check(&dir)?;
    let written = plan.write()?;

    let shown = dir.display();
    if crate::git::discover(&dir).is_some() {
        writeln!(out, "created a crm book in `{shown}` (inside an existing git repository; nothing committed)")?;
        return Ok(EXIT_OK);
    }
    if let Err(err) = crate::git::init(&dir) {
        plan.undo(&written);
        return Err(Error::new(
            err.kind,
            format!(
                "cannot create a git repository in `{shown}`: {}; nothing was created",
                err.message
            ),
        )
        .with_hint("check that the folder is writable, or run `git init` there first"));
    }
    let repo = BookRepo::open(&dir)?;
    let book = Book::open(&dir)?;
    writeln!(out, "created a crm book with a git repository in `{shown}`")?;
    let sig = match repo.signature(&book.config) {
        Ok(sig) => sig,
        Err(err) => {
            crate::warn(&format!(
                "made no first commit: {}; set an identity, then run `crm commit`",
                err.message
            ));
            return Ok(EXIT_OK);
        }
    };
    let files = [
        CONFIG_FILE.to_string(),
        ".gitignore".to_string(),
        format!("{CUSTOMERS_DIR}/{KEEP_FILE}"),
    ];
    let message = format!("{FIRST_COMMIT}\n\n{CRM_TRAILER}\n");
    match repo.commit_book_paths(&files, &message, &sig) {
        Ok(_) => {
            super::warn_unsigned(&repo);
            Ok(EXIT_OK)
        }
        Err(err) => Err(Error::new(
            ErrorKind::NotCommitted,
            format!(
                "created the book in `{shown}` but did not commit it: {}",
                err.message
            ),
        )
        .with_hint("run `crm commit` to make the first commit")),
    }
}

/// What `crm init` will write, decided before anything is written.
#[derive(Debug)]
struct Plan {
    dir: PathBuf,
    /// Folders to create, outermost first (the book folder and `customers/`, as needed).
    new_dirs: Vec<PathBuf>,
    /// Whether `customers/.gitkeep` is missing.
    new_keep: bool,
    /// The `.gitignore` as it is (`None`: there is none), when it lacks crm's line.
    gitignore: Option<Option<Vec<u8>>>,
}

impl Plan {
    /// Checks everything `crm init` in `dir` needs, writing nothing.
    fn check(dir: &Path) -> Result<Plan> {
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
        let keep = dir.join(CUSTOMERS_DIR).join(KEEP_FILE);
        let new_keep = fs::symlink_metadata(&keep).is_err();
        let path = dir.join(".gitignore");
        let gitignore = match fs::read(&path) {
            Ok(bytes) if has_line(&bytes, GITIGNORE_LINE) => None,
            Ok(bytes) => Some(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if fs::symlink_metadata(&path).is_ok() {
                    return Err(Error::new(
                        ErrorKind::AlreadyExists,
                        format!("`{}` is a link to a missing file", path.display()),
                    )
                    .with_hint("remove the link or point it at a file, then run crm init again"));
                }
                Some(None)
            }
            Err(e) => {
                return Err(Error::io("read", &path, &e).with_hint(
                    "crm init adds a line to it; make it readable, then run crm init again",
                ))
            }
        };
        Ok(Plan {
            dir: dir.to_path_buf(),
            new_dirs,
            new_keep,
            gitignore,
        })
    }

    /// Writes the book; on failure, takes back what it wrote.
    fn write(&self) -> Result<Written> {
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
        file.write_all(store::config::TEMPLATE.as_bytes())
            .map_err(|e| Error::io("write", &config, &e))?;
        if self.new_keep {
            let keep = self.dir.join(CUSTOMERS_DIR).join(KEEP_FILE);
            written.keep = true;
            fs::write(&keep, "").map_err(|e| Error::io("write", &keep, &e))?;
        }
        if let Some(existing) = &self.gitignore {
            let path = self.dir.join(".gitignore");
            // Appended to the bytes as they are: the file may not be UTF-8.
            let mut bytes = existing.clone().unwrap_or_default();
            if !bytes.is_empty() && !bytes.ends_with(b"\n") {
                bytes.push(b'\n');
            }
            bytes.extend_from_slice(b"# crm's lock, temp files and cache\n");
            bytes.extend_from_slice(GITIGNORE_LINE.as_bytes());
            bytes.push(b'\n');
            written.gitignore = true;
            fs::write(&path, bytes).map_err(|e| Error::io("write", &path, &e))?;
        }
        Ok(())
    }

    /// Takes back what [`Plan::write`] wrote (best effort: it runs after a failure).
    fn undo(&self, written: &Written) {
        if written.gitignore {
            let path = self.dir.join(".gitignore");
            match &self.gitignore {
                Some(Some(original)) => {
                    let _ = fs::write(&path, original);
                }
                _ => {
                    let _ = fs::remove_file(&path);
                }
            }
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

/// What [`Plan::write`] has written so far.
#[derive(Debug, Default)]
struct Written {
    dirs: Vec<PathBuf>,
    config: bool,
    keep: bool,
    gitignore: bool,
}

/// Whether `bytes` has `line` as one of its lines (surrounding blanks ignored).
fn has_line(bytes: &[u8], line: &str) -> bool {
    bytes
        .split(|b| *b == b'\n')
        .any(|l| l.trim_ascii() == line.as_bytes())
}

/// The root of a book that `dir` would be inside: the nearest folder above it holding
/// a `crm.toml`.
fn enclosing_book(dir: &Path) -> Option<PathBuf> {
    let absolute = absolute(dir);
    absolute
        .ancestors()
        .skip(1)
        .find(|folder| fs::symlink_metadata(folder.join(CONFIG_FILE)).is_ok())
        .map(Path::to_path_buf)
}

/// `dir` as an absolute path with links and `..` resolved as far as it exists.
fn absolute(dir: &Path) -> PathBuf {
    let mut missing = Vec::new();
    let mut existing = dir;
    loop {
        if let Ok(found) = fs::canonicalize(existing) {
            return missing
                .iter()
                .rev()
                .fold(found, |path: PathBuf, part| path.join(part));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                missing.push(name.to_os_string());
                existing = if parent.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    parent
                };
            }
            _ => return dir.to_path_buf(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gitignore_lines_are_found_in_any_bytes() {
        assert!(has_line(b"target\n/.crm/\n", GITIGNORE_LINE));
        assert!(has_line(b"\xff\xfe junk\n  /.crm/  \r\n", GITIGNORE_LINE));
        assert!(!has_line(b"/.crm/x\n", GITIGNORE_LINE));
    }
}
