//! Resolved global settings of one run: where the book is, what day it is, whether to
//! use colour. The only module that reads the clock and the environment.
#![allow(
    clippy::disallowed_methods,
    reason = "the one module that reads the clock and the environment (clippy.toml)"
)]

use std::cell::OnceCell;
use std::path::PathBuf;

use std::time::Duration;

use chrono::{Datelike, NaiveDate};

use crate::domain::date::{EARLIEST_YEAR, LATEST_YEAR};
use crate::error::{Error, Result};
use crate::git::{BookRepo, Identity};
use crate::store::Book;
use crate::ui::{ColorChoice, Ui};

/// The global flags, as typed (or taken from the environment by clap); every
/// subcommand accepts them.
#[derive(Debug, clap::Args)]
pub(crate) struct GlobalArgs {
    /// Run as if crm was started in DIR.
    #[arg(
        short = 'C',
        id = "book_dir",
        global = true,
        value_name = "DIR",
        env = "CRM_DIR"
    )]
    pub(crate) dir: Option<PathBuf>,

    /// Treat DATE (YYYY-MM-DD) as today, for reproducible runs.
    #[arg(long, global = true, value_name = "DATE", env = "CRM_TODAY")]
    pub(crate) today: Option<String>,

    /// When to use colour: auto (only on a terminal, and never with NO_COLOR set),
    /// always, or never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub(crate) color: ColorChoice,

    /// Commit the files this command changes to the book's git repository (only
    /// those files; `[git] auto_commit = true` in crm.toml does the same).
    #[arg(long, global = true)]
    pub(crate) commit: bool,

    /// Whether `dir` was typed as `-C DIR` (rather than taken from `CRM_DIR`): only
    /// then does it move `crm init`. Set by [`crate::cli::Cli::parse_args`].
    #[arg(skip)]
    pub(crate) dir_on_command_line: bool,
}

/// Settings every command sees.
#[derive(Debug)]
pub(crate) struct Context {
    /// Where to start looking for the book (`-C`, `CRM_DIR`, or the current folder).
    pub(crate) start_dir: PathBuf,
    /// The folder `crm init` resolves its DIR against: `-C DIR` when given (as with
    /// `git -C`), else the current folder. `CRM_DIR` locates an existing book and never
    /// redirects `crm init`.
    pub(crate) init_dir: PathBuf,
    /// The day the run treats as today (`--today`, `CRM_TODAY`, or the clock).
    pub(crate) today: NaiveDate,
    /// Whether to colour output (decided by [`Ui::new`]).
    pub(crate) color: bool,
    /// Whether standard output is a terminal (tables) or a pipe (plain lines), as the
    /// [`Ui`] found.
    pub(crate) stdout_is_tty: bool,
    /// How tables are laid out on stdout: boxed to the terminal's width, or plain.
    pub(crate) table_layout: crate::render::Layout,
    /// How long writers wait for the book's lock (`CRM_LOCK_TIMEOUT` seconds), or the
    /// usage error for a value that is no such number. Only a command that takes the
    /// lock reports it: a typo there must not stop `crm list`.
    pub(crate) lock_wait: Result<Duration>,
    /// `--commit`: commit what this command writes.
    pub(crate) commit: bool,
    /// The editor command line for `crm edit`: `$VISUAL`, else `$EDITOR`, else `vi`
    /// (not yet split into words; never run through a shell).
    pub(crate) editor: String,
    /// The `git` program `crm sync` and `crm clone` run to fetch and push: `CRM_GIT`,
    /// else `git` (found on `PATH`).
    pub(crate) git_program: std::ffi::OsString,
    /// `PATH`, to tell whether the `crm` found there is this crm (`crm sync` registers
    /// the merge driver by name then, else by this crm's full path).
    pub(crate) search_path: Option<std::ffi::OsString>,
    /// The book, once [`Context::book`] has opened it (or failed to).
    book: OnceCell<Result<Book>>,
    /// The book's repository and commit identity, once [`Context::git`] found them.
    git: OnceCell<(BookRepo, Identity)>,
}

impl Context {
    /// Resolves the global flags and environment; what the terminal allows is the
    /// [`Ui`]'s decision.
    pub(crate) fn from_globals(cli: &GlobalArgs, ui: &Ui) -> Result<Context> {
        let today = match cli.today.as_deref().map(str::trim) {
            None | Some("") => chrono::Local::now().date_naive(),
            Some(text) => today(text)?,
        };
        let lock_wait = match std::env::var("CRM_LOCK_TIMEOUT") {
            Ok(secs) => lock_wait(&secs),
            Err(_) => Ok(crate::store::write::DEFAULT_LOCK_WAIT),
        };
        let current_dir = || {
            std::env::current_dir()
                .map_err(|e| Error::io("read the current folder", std::path::Path::new("."), &e))
        };
        let start_dir = match &cli.dir {
            Some(dir) => dir.clone(),
            None => current_dir()?,
        };
        let init_dir = if cli.dir_on_command_line {
            start_dir.clone()
        } else {
            current_dir()?
        };
        Ok(Context {
            start_dir,
            init_dir,
            today,
            color: ui.color(),
            stdout_is_tty: ui.stdout_is_tty(),
            table_layout: crate::render::Layout::for_stdout(ui.stdout_is_tty(), ui.stdout_width()),
            lock_wait,
            commit: cli.commit,
            editor: ["VISUAL", "EDITOR"]
                .iter()
                .filter_map(|name| std::env::var(name).ok())
                .find(|value| !value.trim().is_empty())
                .unwrap_or_else(|| "vi".to_string()),
            git_program: std::env::var_os("CRM_GIT")
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "git".into()),
            search_path: std::env::var_os("PATH"),
            book: OnceCell::new(),
            git: OnceCell::new(),
        })
    }

    /// Finds and opens the book (reading `crm.toml`) on the first call; later calls
    /// hand out the same book, or the same error.
    pub(crate) fn book(&self) -> Result<Book> {
        self.book
            .get_or_init(|| {
                let mut book = Book::discover(&self.start_dir)?;
                book.lock_wait = self.lock_wait.clone();
                Ok(book)
            })
            .clone()
    }

    /// The repository of `book` and the identity to commit as, found on the first call
    /// (by the check a writing command makes before writing, when it is to commit) and
    /// reused by the commit itself.
    pub(crate) fn git(&self, book: &Book) -> Result<&(BookRepo, Identity)> {
        if let Some(found) = self.git.get() {
            return Ok(found);
        }
        let repo = BookRepo::open(&book.root)?;
        let identity = repo.identity(&book.config)?;
        Ok(self.git.get_or_init(|| (repo, identity)))
    }

    /// Parses a date argument in any accepted form, relative to today.
    pub(crate) fn date(&self, flag: &str, text: &str) -> Result<NaiveDate> {
        crate::domain::date::parse_date(text, self.today)
            .map_err(|m| Error::usage(format!("{flag}: {m}")))
    }

    /// Parses a date on which something happened or from which to count: like
    /// [`Context::date`], but a weekday name means the latest such day, today included
    /// (`--date friday` on a Monday is the Friday just gone).
    pub(crate) fn past_date(&self, flag: &str, text: &str) -> Result<NaiveDate> {
        crate::domain::date::parse_past_date(text, self.today)
            .map_err(|m| Error::usage(format!("{flag}: {m}")))
    }
}

/// Reads `--today` (or `CRM_TODAY`): a `YYYY-MM-DD` date with a four-digit year, as
/// every other date crm takes; later years would overflow the date arithmetic of
/// commands that count from today.
/// Where shell completion looks for the book (it runs before any [`Context`] is made,
/// while the shell waits): `CRM_DIR`, else the current folder.
pub(crate) fn completion_start_dir() -> Option<PathBuf> {
    std::env::var_os("CRM_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
}

fn today(text: &str) -> Result<NaiveDate> {
    let hint = "write it as YYYY-MM-DD, e.g. --today 2025-03-01 (also CRM_TODAY)";
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        let why = crate::domain::date::impossible_date(text)
            .map(|why| format!(": {why}"))
            .unwrap_or_default();
        Error::usage(format!("--today {text:?} is not a date{why}")).with_hint(hint)
    })?;
    if !(EARLIEST_YEAR..=LATEST_YEAR).contains(&date.year()) {
        return Err(Error::usage(format!(
            "--today {text:?} is out of range: crm takes years {EARLIEST_YEAR} to {LATEST_YEAR}"
        ))
        .with_hint(hint));
    }
    Ok(date)
}

/// Reads `CRM_LOCK_TIMEOUT`: a number of seconds, fractions allowed (`0.5`).
fn lock_wait(secs: &str) -> Result<Duration> {
    secs.trim()
        .parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| {
            Error::usage(format!(
                "CRM_LOCK_TIMEOUT={secs:?} is not a number of seconds crm can wait"
            ))
            .with_hint(format!(
                "set it to a number of seconds such as 30 or 0.5, or unset it to wait the default {}s",
                crate::store::write::DEFAULT_LOCK_WAIT.as_secs()
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context_in(dir: &std::path::Path) -> Context {
        let args = [
            "crm".into(),
            "-C".into(),
            dir.as_os_str().to_owned(),
            "list".into(),
        ];
        let cli = crate::cli::Cli::parse_args(args).expect("valid arguments");
        Context::from_globals(&cli.globals, &Ui::capture()).expect("context")
    }

    /// Review finding: every writing command read crm.toml twice (the commit check,
    /// then the command). The book is opened once per run.
    #[test]
    fn the_book_is_opened_once_per_run() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("crm.toml"), "currency = \"EUR\"\n").unwrap();
        let ctx = context_in(dir.path());
        let first = ctx.book().expect("a book");
        std::fs::write(dir.path().join("crm.toml"), "not toml [").unwrap();
        let second = ctx.book().expect("the same book, not read again");
        assert_eq!(second.config.currency.as_deref(), Some("EUR"));
        assert_eq!(first.root, second.root);
    }

    /// Review finding: with --commit, the repository was opened and the identity
    /// resolved twice (the check before writing, then the commit).
    #[test]
    fn the_repository_and_identity_are_found_once_per_run() {
        let dir = tempfile::tempdir().unwrap();
        git2::Repository::init(dir.path()).unwrap();
        std::fs::write(
            dir.path().join("crm.toml"),
            "[git]\nname = \"Book Keeper\"\nemail = \"keeper@example.com\"\n",
        )
        .unwrap();
        let ctx = context_in(dir.path());
        let book = ctx.book().unwrap();
        let first: *const (BookRepo, Identity) = ctx.git(&book).expect("repository");
        std::fs::rename(dir.path().join(".git"), dir.path().join("moved")).unwrap();
        let second: *const (BookRepo, Identity) = ctx.git(&book).expect("the same one");
        assert!(std::ptr::eq(first, second));
    }

    /// Review finding: `CRM_TODAY=+262142-12-31 crm snooze x friday` panicked (date
    /// overflow) instead of refusing the date.
    #[test]
    fn today_outside_four_digit_years_is_a_usage_error() {
        for bad in ["+262142-12-31", "0999-12-31", "+10000-01-01", "-0001-01-01"] {
            let err = today(bad).unwrap_err();
            assert_eq!(err.kind, crate::error::ErrorKind::Usage, "{bad}");
            assert!(
                err.message.contains("out of range"),
                "{bad}: {}",
                err.message
            );
        }
        assert!(today("9999-12-31").is_ok());
        assert!(today("1000-01-01").is_ok());
        assert!(today("2025-13-01")
            .unwrap_err()
            .message
            .contains("not a date"));
    }

    #[test]
    fn lock_timeouts_are_seconds_with_fractions() {
        assert_eq!(lock_wait("10").unwrap(), Duration::from_secs(10));
        assert_eq!(lock_wait(" 0.5 ").unwrap(), Duration::from_millis(500));
        assert_eq!(lock_wait("0").unwrap(), Duration::ZERO);
    }

    #[test]
    fn lock_timeouts_out_of_range_are_usage_errors_not_panics() {
        for bad in ["1e30", "-1", "inf", "NaN", "10s", "", "lots"] {
            let err = lock_wait(bad).unwrap_err();
            assert_eq!(err.kind, crate::error::ErrorKind::Usage, "{bad}");
            assert!(err.message.contains("CRM_LOCK_TIMEOUT"), "{bad}");
        }
    }
}
