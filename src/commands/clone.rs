//! `crm clone URL [DIR]`: a teammate's first copy of a shared book. Clones with the
//! installed `git` (so ssh keys and credential helpers work), registers crm's merge
//! driver in the new clone's config, and checks the book as `crm check` does.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::context::Context;
use crate::error::{Error, ErrorKind, Result, EXIT_FOUND, EXIT_OK};
use crate::git::{transport, BookRepo};
use crate::store::Book;

/// Arguments of `crm clone`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The shared book's address: `ssh://host/path`, `host:path`, `https://...`, or a
    /// folder.
    #[arg(value_name = "URL")]
    pub(crate) url: String,

    /// The folder to clone into (default: the last part of URL, without `.git`); it
    /// must not exist or be empty.
    #[arg(value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,
}

/// Runs `crm clone`.
pub(crate) fn run(ctx: &Context, args: &Args, out: &mut crate::ui::Ui) -> Result<u8> {
    let name = match &args.dir {
        Some(dir) => dir.clone(),
        None => PathBuf::from(default_dir(&args.url).ok_or_else(|| {
            Error::usage(format!("cannot tell a folder name from `{}`", args.url))
                .with_hint("name the folder: `crm clone URL DIR`")
        })?),
    };
    let dir = ctx.start_dir.join(&name);
    ensure_empty(&dir)?;
    let git = transport::Git::new(ctx.git_program.clone(), out.stdin_is_tty());
    transport::clone(&git, &ctx.start_dir, &args.url, &name)?;
    let shown = name.display().to_string();
    if !dir.join(crate::store::CONFIG_FILE).is_file() {
        return Err(Error::new(
            ErrorKind::NotFound,
            format!(
                "cloned `{}` into `{shown}`, but it holds no crm book (no crm.toml at its top)",
                args.url
            ),
        )
        .with_hint(format!(
            "check the address; to start a book in it, run `crm -C {shown} init` and `crm -C {shown} sync`"
        )));
    }
    let repo = BookRepo::open(&dir)?;
    let registered = super::sync::register_driver(&repo, ctx.search_path.as_deref())?;
    let book = Book::open(&dir)?;
    let (files, problems) =
        super::check::check_book(&book, &crate::store::scan::Checked::default())?;
    writeln!(
        out,
        "cloned {} into {shown} ({files} customer{})",
        args.url,
        if files == 1 { "" } else { "s" }
    )?;
    if registered {
        writeln!(out, "{}", super::sync::registered_line())?;
    }
    let stderr = std::io::stderr();
    let mut stderr = stderr.lock();
    for problem in &problems {
        writeln!(stderr, "{problem}")?;
    }
    if problems.is_empty() {
        return Ok(EXIT_OK);
    }
    writeln!(
        stderr,
        "crm: checked {files} customer file{}: {} problem{}; `crm -C {shown} check` lists them again",
        if files == 1 { "" } else { "s" },
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    )?;
    Ok(EXIT_FOUND)
}

/// The folder git would clone `url` into: its last part, without `.git` or a slash.
fn default_dir(url: &str) -> Option<String> {
    let trimmed = url.trim_end_matches('/');
    let trimmed = trimmed.strip_suffix("/.git").unwrap_or(trimmed);
    let last = trimmed.rsplit(['/', ':', '\\']).next()?;
    let last = last.strip_suffix(".git").unwrap_or(last);
    (!last.is_empty() && last != "." && last != "..").then(|| last.to_string())
}

/// Refuses a destination that holds anything (as git does), before anything is fetched.
fn ensure_empty(dir: &Path) -> Result<()> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(Error::new(
                    ErrorKind::AlreadyExists,
                    format!("`{}` already exists and is not empty", dir.display()),
                )
                .with_hint("name another folder: `crm clone URL DIR`"));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => Err(Error::new(
            ErrorKind::AlreadyExists,
            format!("`{}` already exists and is a file", dir.display()),
        )
        .with_hint("name another folder: `crm clone URL DIR`")),
        Err(e) => Err(Error::io("open", dir, &e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folder_is_named_as_git_names_it() {
        assert_eq!(
            default_dir("ssh://host/srv/shop.git").as_deref(),
            Some("shop")
        );
        assert_eq!(
            default_dir("git@host:team/shop.git/").as_deref(),
            Some("shop")
        );
        assert_eq!(default_dir("/srv/books/shop/.git").as_deref(), Some("shop"));
        assert_eq!(default_dir("file:///srv/shop").as_deref(), Some("shop"));
        assert_eq!(default_dir("/").as_deref(), None);
    }
}
