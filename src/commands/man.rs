//! `crm man [SUBCOMMAND...]`: print a man page (roff) for crm or one of its subcommands,
//! made by clap_mangen from the same definitions as `--help`, so the two never disagree.

use std::io::Write;

use crate::context::Context;
use crate::error::{Error, Result, EXIT_OK};

/// Arguments of `crm man`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The subcommand whose page to print (`crm man log`, `crm man import contacts`);
    /// without one, crm's own page. Install them with
    /// `crm man > ~/.local/share/man/man1/crm.1` (see README).
    #[arg(value_name = "SUBCOMMAND")]
    pub(crate) subcommand: Vec<String>,
    /// The whole command line's definition, to describe; filled in by
    /// [`crate::cli::Cli::parse_args`] (commands do not import the command line).
    #[arg(skip)]
    pub(crate) cli: Option<Box<clap::Command>>,
}

/// Runs `crm man`; needs no book.
pub(crate) fn run(_ctx: &Context, args: &Args, out: &mut dyn Write) -> Result<u8> {
    let mut command = *args
        .cli
        .clone()
        .expect("Cli::parse_args fills in the command line for `crm man`");
    command.build();
    let mut path = vec!["crm".to_string()];
    for word in &args.subcommand {
        let found = command
            .get_subcommands()
            .find(|s| s.get_name() == word || s.get_all_aliases().any(|a| a == word))
            .cloned();
        let Some(sub) = found else {
            let known: Vec<&str> = command.get_subcommands().map(|s| s.get_name()).collect();
            return Err(
                Error::usage(format!("`{}` has no subcommand `{word}`", path.join(" "))).with_hint(
                    if known.is_empty() {
                        "it has no subcommands".to_string()
                    } else {
                        format!("one of: {}", known.join(", "))
                    },
                ),
            );
        };
        path.push(sub.get_name().to_string());
        command = sub;
    }
    // Pages are named as git names its own: `crm-log(1)`.
    let page = command.name(path.join("-"));
    clap_mangen::Man::new(page).render(out)?;
    Ok(EXIT_OK)
}
