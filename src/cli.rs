//! The command line: the program's help and the parse (clap derive). The global flags
//! are [`GlobalArgs`] (resolved by `context.rs`), the subcommands [`Command`]
//! (`commands/`, each with its own flags); this file only puts them together, and
//! nothing else of crm imports it but `lib.rs`.

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser};

use crate::commands::Command;
use crate::context::GlobalArgs;

/// crm: a scriptable CRM over a folder of plain YAML files under git.
///
/// Each customer is one YAML file in `customers/`, with an append-only log of
/// interactions. crm finds the book like git finds a repository: `-C DIR`, `CRM_DIR`,
/// or the nearest folder above the current one that holds a `crm.toml`.
///
/// Exit codes: 0 ok; 1 something found (`check` problems, `due`/`stale --exit-code`
/// items, `merge-file` conflicts);
/// 2 usage or other error (nothing was changed); 3 done, but unreadable customer files
/// were skipped (each is named on stderr); 4 files changed, but the commit `--commit`
/// asked for failed; 5 `sync` merged, but conflicts need you (nothing was pushed).
#[derive(Debug, Parser)]
#[command(name = "crm", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// The global flags, resolved into a [`crate::context::Context`].
    #[command(flatten)]
    pub(crate) globals: GlobalArgs,

    /// The subcommand.
    #[command(subcommand)]
    pub(crate) command: Command,
}

impl Cli {
    /// Parses `args` (the program name first), noting where `-C`'s value came from:
    /// clap fills `dir` from `CRM_DIR` as well, and the two mean different things to
    /// `crm init`.
    pub(crate) fn parse_args(
        args: impl IntoIterator<Item = std::ffi::OsString>,
    ) -> Result<Cli, clap::Error> {
        let mut command = Cli::command();
        let matches = command.try_get_matches_from_mut(args)?;
        let mut cli = Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut command))?;
        cli.globals.dir_on_command_line =
            matches.value_source("book_dir") == Some(ValueSource::CommandLine);
        Ok(cli)
    }
}
