//! `crm init [DIR]`: a new book with commented settings, a customers/ folder, and a git
//! repository with a first commit (unless DIR is already inside a repository).

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use crate::context::Context;
use crate::error::{Error, ErrorKind, Result, EXIT_OK};
use crate::store::{self, Book, CONFIG_FILE, CUSTOMERS_DIR};

/// Arguments of `crm init`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder for the new book (created if missing; default: the current folder).
    pub dir: Option<PathBuf>,
}

const GITIGNORE_LINE: &str = "/.crm/";
const KEEP_FILE: &str = ".gitkeep";

/// Runs `crm init`.
pub fn run(ctx: &Context, args: &Args, out: &mut dyn Write) -> Result<u8> {
    let dir = match &args.dir {
        Some(dir) => ctx.start_dir.join(dir),
        None => ctx.start_dir.clone(),
    };
    let config_path = dir.join(CONFIG_FILE);
    if config_path.exists() {
        return Err(Error::new(
            ErrorKind::AlreadyExists,
            format!(
                "`{}` is already a crm book (it has a {CONFIG_FILE})",
                dir.display()
            ),
        )
        .with_hint("crm init never overwrites a book; edit crm.toml instead"));
    }
    let customers = dir.join(CUSTOMERS_DIR);
    fs::create_dir_all(&customers).map_err(|e| Error::io("create folder", &customers, &e))?;
    let keep = customers.join(KEEP_FILE);
    if !keep.exists() {
        fs::write(&keep, "").map_err(|e| Error::io("write", &keep, &e))?;
    }
    let gitignore = dir.join(".gitignore");
    let existing = fs::read_to_string(&gitignore).unwrap_or_default();
    if !existing.lines().any(|l| l.trim() == GITIGNORE_LINE) {
        let mut text = existing;
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str("# crm's lock, temp files and cache\n");
        text.push_str(GITIGNORE_LINE);
        text.push('\n');
        fs::write(&gitignore, text).map_err(|e| Error::io("write", &gitignore, &e))?;
    }
    // Written last and without overwriting: a concurrent init cannot clobber a book.
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&config_path)
        .and_then(|mut f| f.write_all(store::config::TEMPLATE.as_bytes()))
        .map_err(|e| Error::io("create", &config_path, &e))?;

    let shown = dir.display();
    if crate::git::discover(&dir).is_some() {
        writeln!(out, "created a crm book in `{shown}` (inside an existing git repository; nothing committed)")?;
        return Ok(EXIT_OK);
    }
    let repo = crate::git::init(&dir)?;
    let book = Book::open(&dir)?;
    match crate::git::signature(&repo, &book.config) {
        Ok(sig) => {
            crate::git::commit_files(
                &repo,
                &[config_path, gitignore, keep],
                "Start a crm book",
                &sig,
            )?;
            writeln!(out, "created a crm book with a git repository in `{shown}`")?;
        }
        Err(err) => {
            writeln!(out, "created a crm book with a git repository in `{shown}`")?;
            crate::warn(&format!(
                "made no first commit: {}; set an identity, then run `crm commit`",
                err.message
            ));
        }
    }
    Ok(EXIT_OK)
}
