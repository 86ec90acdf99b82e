//! Flags that several commands share, each declared once as a `#[command(flatten)]`
//! group, so that every listing command (`list`, `due`, `stale`) accepts the same
//! filter the same way, with the same help.

use chrono::NaiveDate;

use crate::domain::date::Cadence;
use crate::domain::summary::Summary;
use crate::error::{Error, Result};
use crate::render::Format;
use crate::store::Problem;
use crate::ui::Ui;

/// `--tag TAG`, repeatable: only customers carrying every tag given; and `--archived`,
/// which brings back the archived customers a listing leaves out by default.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct TagFilter {
    /// Only customers with this tag; repeat to require several.
    #[arg(long = "tag", value_name = "TAG")]
    #[arg(add = clap_complete::ArgValueCompleter::new(super::complete::tags))]
    pub(crate) tags: Vec<String>,
    /// Include archived customers (`crm archive`), left out by default.
    #[arg(long)]
    pub(crate) archived: bool,
}

impl TagFilter {
    /// The customers carrying every tag (case-insensitive), in scan order, without the
    /// archived ones unless `--archived`; warns about a tag no customer has.
    pub(crate) fn select<'a>(&self, out: &mut Ui, customers: &'a [Summary]) -> Vec<&'a Summary> {
        super::selected(out, customers, &self.tags, self.archived)
    }
}

/// `--format table|json|csv` of a listing.
#[derive(Debug, Clone, Copy, clap::Args)]
pub(crate) struct OutputFormat {
    /// Output format (default: a table on a terminal, plain lines when piped).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
}

/// `--exit-code`: a listing that found something exits with 1.
#[derive(Debug, Clone, Copy, clap::Args)]
pub(crate) struct ExitCode {
    /// Exit with 1 when anything is listed (like `git diff --exit-code`). A customer
    /// file that could not be read makes it 3 instead, even when something is listed:
    /// the list may be incomplete.
    #[arg(long)]
    pub(crate) exit_code: bool,
}

impl ExitCode {
    /// The exit code of a listing that `found` something, with `problems` reported
    /// (see [`super::listing_exit_code`]).
    pub(crate) fn of(self, out: &mut Ui, problems: &[Problem], found: bool) -> u8 {
        super::listing_exit_code(out, problems, self.exit_code, found)
    }
}

/// `--within SPAN`: how far ahead to look.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Within {
    /// Look this far ahead (default: `[due] within` in crm.toml, else 7d; 0d: today only).
    #[arg(long, value_name = "SPAN", allow_hyphen_values = true)]
    pub(crate) within: Option<String>,
}

impl Within {
    /// The last day of the window starting `today`, with `default` when no `--within`
    /// was given. A window may be zero (`0d`: today only), a cadence cannot.
    pub(crate) fn until(&self, today: NaiveDate, default: Cadence) -> Result<NaiveDate> {
        let window = match &self.within {
            Some(text) => {
                Cadence::parse_window(text).map_err(|m| Error::usage(format!("--within: {m}")))?
            }
            None => default,
        };
        Ok(window.after(today).unwrap_or(NaiveDate::MAX))
    }
}

/// `--format text|json` of a command that changes the book: what it changed, as the
/// usual line for a person or as one JSON object for a script (printed, like the line,
/// before any commit is tried).
#[derive(Debug, Clone, Copy, clap::Args)]
pub(crate) struct ChangeFormat {
    /// Output format: a line saying what changed (text), or one JSON object (json).
    #[arg(long, value_enum, default_value_t = ChangeOutput::Text)]
    pub(crate) format: ChangeOutput,
}

/// The values of [`ChangeFormat`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ChangeOutput {
    /// One line (or a few) for a person.
    Text,
    /// One JSON object.
    Json,
}

impl ChangeFormat {
    /// Writes `text` (a person's lines, newline-terminated) or `json`, as asked.
    pub(crate) fn write<T: serde::Serialize>(
        self,
        out: &mut Ui,
        text: &str,
        json: &T,
    ) -> Result<()> {
        match self.format {
            ChangeOutput::Text => {
                use std::io::Write;
                write!(out, "{text}")?;
                Ok(())
            }
            ChangeOutput::Json => crate::render::write_json(out, json),
        }
    }
}
