//! `crm completions SHELL`: print the shell's completion set-up. It calls `crm` back as
//! the user types (`COMPLETE=SHELL crm -- ...`, clap_complete's dynamic completion), so
//! customer ids, tags and kinds come from the book of the current folder.

use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};

use crate::context::Context;
use crate::error::{Result, EXIT_OK};
use crate::ui::Ui;

/// Arguments of `crm completions`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The shell: bash, zsh, fish, elvish or powershell.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

/// Runs `crm completions`; needs no book.
pub(crate) fn run(_ctx: &Context, args: &Args, out: &mut Ui) -> Result<u8> {
    let shell: &dyn EnvCompleter = match args.shell {
        clap_complete::Shell::Bash => &Bash,
        clap_complete::Shell::Zsh => &Zsh,
        clap_complete::Shell::Fish => &Fish,
        clap_complete::Shell::Elvish => &Elvish,
        _ => &Powershell,
    };
    // The script calls this very binary back, wherever it is installed.
    let completer = std::env::current_exe()
        .ok()
        .and_then(|p| p.to_str().map(str::to_string))
        .unwrap_or_else(|| "crm".to_string());
    shell.write_registration("COMPLETE", "crm", "crm", &completer, out)?;
    Ok(EXIT_OK)
}
