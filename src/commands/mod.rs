//! One module per subcommand: its arguments and a `run` that reads like a contents
//! page (resolve → compute in the domain → render).

pub mod add;
pub mod check;
pub mod init;
pub mod list;
pub mod show;

use std::io::Write;

use crate::cli::Command;
use crate::context::Context;
use crate::error::Result;

/// Runs `command`, writing data to `out`; returns the exit code.
pub fn run(ctx: &Context, command: Command, out: &mut dyn Write) -> Result<u8> {
    match command {
        Command::Init(args) => init::run(ctx, &args, out),
        Command::Add(args) => add::run(ctx, &args, out),
        Command::Show(args) => show::run(ctx, &args, out),
        Command::List(args) => list::run(ctx, &args, out),
        Command::Check(args) => check::run(ctx, &args, out),
    }
}

/// Reports customer files that were skipped, and returns the exit code to use
/// ([`crate::error::EXIT_PARTIAL`] if any were).
pub fn report_skipped(problems: &[crate::store::Problem]) -> u8 {
    if problems.is_empty() {
        return crate::error::EXIT_OK;
    }
    let stderr = std::io::stderr();
    let mut stderr = stderr.lock();
    for problem in problems {
        let _ = writeln!(stderr, "{problem}");
    }
    let _ = writeln!(
        stderr,
        "crm: warning: skipped {} unreadable customer file{}; `crm check` lists every problem",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    crate::error::EXIT_PARTIAL
}
