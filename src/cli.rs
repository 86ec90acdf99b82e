//! The command line: global flags and the list of subcommands (clap derive). Field doc
//! comments are the `--help` text. Each subcommand's own flags live in its module.

use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::commands;

/// crm: a scriptable CRM over a folder of plain YAML files under git.
///
/// Each customer is one YAML file in `customers/`, with an append-only log of
/// interactions. crm finds the book like git finds a repository: `-C DIR`, `CRM_DIR`,
/// or the nearest folder above the current one that holds a `crm.toml`.
///
/// Exit codes: 0 ok; 1 something found (`check` problems, `due`/`stale --exit-code`
/// items);
/// 2 usage or other error (nothing was changed); 3 done, but unreadable customer files
/// were skipped (each is named on stderr); 4 files changed, but the commit `--commit`
/// asked for failed.
#[derive(Debug, Parser)]
#[command(name = "crm", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// Run as if crm was started in DIR.
    #[arg(
        short = 'C',
        id = "book_dir",
        global = true,
        value_name = "DIR",
        env = "CRM_DIR"
    )]
    pub dir: Option<PathBuf>,

    /// Treat DATE (YYYY-MM-DD) as today, for reproducible runs.
    #[arg(long, global = true, value_name = "DATE", env = "CRM_TODAY")]
    pub today: Option<String>,

    /// When to use colour: auto (only on a terminal, and never with NO_COLOR set),
    /// always, or never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Commit the files this command changes to the book's git repository (only
    /// those files; `[git] auto_commit = true` in crm.toml does the same).
    #[arg(long, global = true)]
    pub commit: bool,

    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,

    /// Whether `dir` was typed as `-C DIR` (rather than taken from `CRM_DIR`): only
    /// then does it move `crm init`. Set by [`Cli::parse_args`].
    #[arg(skip)]
    pub dir_on_command_line: bool,
}

impl Cli {
    /// Parses `args` (the program name first), noting where `-C`'s value came from:
    /// clap fills `dir` from `CRM_DIR` as well, and the two mean different things to
    /// `crm init`.
    pub fn parse_args(
        args: impl IntoIterator<Item = std::ffi::OsString>,
    ) -> Result<Cli, clap::Error> {
        let mut command = Cli::command();
        let matches = command.try_get_matches_from_mut(args)?;
        let mut cli = Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut command))?;
        cli.dir_on_command_line =
            matches.value_source("book_dir") == Some(ValueSource::CommandLine);
        Ok(cli)
    }
}

/// `--color` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour only on a terminal, unless NO_COLOR is set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new book: crm.toml, customers/, and a git repository.
    Init(commands::init::Args),
    /// Add a customer; prints the new id.
    Add(commands::add::Args),
    /// Show one customer as a card.
    Show(commands::show::Args),
    /// List customers.
    List(commands::list::Args),
    /// Validate every customer file and crm.toml.
    Check(commands::check::Args),
    /// Edit a customer's file in $VISUAL/$EDITOR; saved only if it is still valid.
    Edit(commands::edit::Args),
    /// Record an interaction with a customer.
    Log(commands::log::Args),
    /// Mark a customer's pending follow-up as done.
    Done(commands::done::DoneArgs),
    /// Move a customer's pending follow-up to a later day (or set a reminder when none is pending).
    Snooze(commands::done::SnoozeArgs),
    /// List overdue and upcoming follow-ups, birthdays and anniversaries.
    Due(commands::due::Args),
    /// List customers not contacted for a while.
    Stale(commands::stale::Args),
    /// Print a shell completion script (e.g. `crm completions bash > ~/.local/share/bash-completion/completions/crm`).
    Completions(commands::completions::Args),
    /// Commit the book's changes (by crm or by hand), with a message from what changed.
    Commit(commands::commit::Args),
    /// The commits that changed one customer, newest first.
    History(commands::history::Args),
    /// Revert the last commit crm made, with a new commit.
    Undo(commands::undo::Args),
    /// What is uncommitted in the book, per customer, and which files do not parse.
    Status(commands::status::Args),
    /// Repeat purchases, retention, churn, revenue and satisfaction per period.
    Stats(commands::stats::Args),
    /// Bring purchases, interactions or customers in from a CSV file, or contacts and
    /// orders from other programs' exports (Google, Outlook, vCard, Shopify, Stripe).
    Import(commands::import::Args),
    /// Write customers or interactions out as CSV or JSON, or the book as vCard or iCalendar.
    Export(commands::export::Args),
    /// Print the man page (roff) of crm or of a subcommand (`crm man log`).
    Man(commands::man::Args),
}
