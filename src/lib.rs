//! crm: a scriptable command-line CRM over a folder of plain YAML files under git.
//!
//! Layers, each of which only talks to the ones below it:
//! `cli`/`commands` (arguments, one module per subcommand) → `domain` (pure rules and
//! numbers) → `store` (the book's files), `yaml` (the YAML engine, used by the store)
//! and `git` → `render` (tables, JSON, CSV). docs/design.md has the map.
//!
//! Everything is crate-private except what the integration tests (`tests/cli/`) and
//! the benchmark's book generator (`examples/generate.rs`) use; `missing_docs` holds
//! for that public part.
#![deny(missing_docs)]
// clippy.toml: no printing, environment or clock outside the few places that allow it.
#![deny(clippy::disallowed_macros, clippy::disallowed_methods)]

pub mod cli;
pub(crate) mod commands;
pub(crate) mod context;
pub mod domain;
pub mod error;
pub(crate) mod git;
pub(crate) mod import;
pub(crate) mod render;
pub mod store;
pub(crate) mod ui;
pub(crate) mod yaml;

use std::ffi::OsString;
use std::io::Write;

use crate::error::{Error, ErrorKind, EXIT_ERROR, EXIT_OK};

/// Runs crm with `args` (including the program name) and returns the exit code.
/// Data goes to stdout; diagnostics to stderr.
pub fn run(args: impl IntoIterator<Item = OsString>) -> u8 {
    let args: Vec<OsString> = args.into_iter().collect();
    // `COMPLETE=bash crm -- ...`: the shell asking for completions (see
    // `crm completions`); answered on stdout, and nothing else runs.
    match clap_complete::CompleteEnv::with_factory(<cli::Cli as clap::CommandFactory>::command)
        .try_complete(args.iter().cloned(), None)
    {
        Ok(true) => return EXIT_OK,
        Ok(false) => {}
        Err(err) => {
            let _ = err.print();
            return EXIT_ERROR;
        }
    }
    let cli = match cli::Cli::parse_args(args) {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() {
                EXIT_ERROR
            } else {
                EXIT_OK
            };
            let _ = err.print();
            return code;
        }
    };
    let mut ui = ui::Ui::new(cli.globals.color);
    let result = context::Context::from_globals(&cli.globals, &ui)
        .and_then(|ctx| commands::run(&ctx, cli.command, &mut ui))
        .and_then(|code| {
            ui.flush().map_err(Error::from)?;
            Ok(code)
        });
    match result {
        Ok(code) => code,
        Err(err) if err.kind == ErrorKind::BrokenPipe => EXIT_OK,
        Err(err) => {
            ui.error(&err);
            err.exit_code()
        }
    }
}
