//! `crm completions SHELL`: print a shell completion script.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::context::Context;
use crate::error::{Result, EXIT_OK};

/// Arguments of `crm completions`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell: bash, zsh, fish, elvish or powershell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Runs `crm completions`; needs no book.
pub fn run(_ctx: &Context, args: &Args, out: &mut dyn Write) -> Result<u8> {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "crm", out);
    Ok(EXIT_OK)
}
