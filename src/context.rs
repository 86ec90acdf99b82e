//! Resolved global settings of one run: where the book is, what day it is, whether to
//! use colour. The only module that reads the clock and the environment.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDate;

use crate::cli::{Cli, ColorChoice};
use crate::error::{Error, Result};
use crate::store::Book;

/// Settings every command sees.
#[derive(Debug, Clone)]
pub struct Context {
    /// Where to start looking for the book (`-C`, `CRM_DIR`, or the current folder).
    pub start_dir: PathBuf,
    /// The folder `crm init` resolves its DIR against: `-C DIR` when given (as with
    /// `git -C`), else the current folder. `CRM_DIR` locates an existing book and never
    /// redirects `crm init`.
    pub init_dir: PathBuf,
    /// The day the run treats as today (`--today`, `CRM_TODAY`, or the clock).
    pub today: NaiveDate,
    /// Whether to colour output.
    pub color: bool,
    /// Whether standard output is a terminal (tables) or a pipe (plain lines).
    pub stdout_is_tty: bool,
    /// Whether standard input is a terminal (prompts allowed).
    pub stdin_is_tty: bool,
    /// How long writers wait for the book's lock (`CRM_LOCK_TIMEOUT` seconds), or the
    /// usage error for a value that is no such number. Only a command that takes the
    /// lock reports it: a typo there must not stop `crm list`.
    pub lock_wait: Result<Duration>,
    /// `--commit`: commit what this command writes.
    pub commit: bool,
    /// The editor command line for `crm edit`: `$VISUAL`, else `$EDITOR`, else `vi`
    /// (not yet split into words; never run through a shell).
    pub editor: String,
}

impl Context {
    /// Resolves the global flags and environment.
    pub fn from_cli(cli: &Cli) -> Result<Context> {
        let today = match cli.today.as_deref().map(str::trim) {
            None | Some("") => chrono::Local::now().date_naive(),
            Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                Error::usage(format!("--today {text:?} is not a date"))
                    .with_hint("write it as YYYY-MM-DD, e.g. --today 2025-03-01 (also CRM_TODAY)")
            })?,
        };
        let stdout_is_tty = std::io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        let color = match cli.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => stdout_is_tty && !no_color && !dumb,
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
        // clap fills `cli.dir` from CRM_DIR when -C is absent; the same value in both
        // is taken as coming from the environment.
        let dir_from_env = std::env::var_os("CRM_DIR")
            .is_some_and(|env| cli.dir.as_deref() == Some(std::path::Path::new(&env)));
        let init_dir = if cli.dir.is_some() && !dir_from_env {
            start_dir.clone()
        } else {
            current_dir()?
        };
        Ok(Context {
            start_dir,
            init_dir,
            today,
            color,
            stdout_is_tty,
            stdin_is_tty: std::io::stdin().is_terminal(),
            lock_wait,
            commit: cli.commit,
            editor: ["VISUAL", "EDITOR"]
                .iter()
                .filter_map(|name| std::env::var(name).ok())
                .find(|value| !value.trim().is_empty())
                .unwrap_or_else(|| "vi".to_string()),
        })
    }

    /// Finds and opens the book.
    pub fn book(&self) -> Result<Book> {
        let mut book = Book::discover(&self.start_dir)?;
        book.lock_wait = self.lock_wait.clone();
        Ok(book)
    }

    /// Parses a date argument in any accepted form, relative to today.
    pub fn date(&self, flag: &str, text: &str) -> Result<NaiveDate> {
        crate::domain::date::parse_date(text, self.today)
            .map_err(|m| Error::usage(format!("{flag}: {m}")))
    }

    /// Parses a date on which something happened or from which to count: like
    /// [`Context::date`], but a weekday name means the latest such day, today included
    /// (`--date friday` on a Monday is the Friday just gone).
    pub fn past_date(&self, flag: &str, text: &str) -> Result<NaiveDate> {
        crate::domain::date::parse_past_date(text, self.today)
            .map_err(|m| Error::usage(format!("{flag}: {m}")))
    }
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
