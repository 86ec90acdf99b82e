//! `crm completions SHELL`: print a shell completion script.

use crate::context::Context;
use crate::error::{Result, EXIT_OK};
use crate::ui::Ui;

/// Arguments of `crm completions`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The shell: bash, zsh, fish, elvish or powershell.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
    /// The whole command line's definition, to describe; filled in by
    /// [`crate::cli::Cli::parse_args`] (commands do not import the command line).
    #[arg(skip)]
    pub(crate) cli: Option<Box<clap::Command>>,
}

/// Runs `crm completions`; needs no book.
pub(crate) fn run(_ctx: &Context, args: &Args, out: &mut Ui) -> Result<u8> {
    let mut command = args
        .cli
        .clone()
        .expect("Cli::parse_args fills in the command line for `crm completions`");
    clap_complete::generate(args.shell, &mut command, "crm", out);
    Ok(EXIT_OK)
}
