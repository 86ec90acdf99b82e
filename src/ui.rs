//! The one owner of the two output streams, as jj's `Ui` and cargo's `Shell`: stdout
//! carries a command's data, stderr its diagnostics (warnings, notes of commits made,
//! progress, the final error), and whether each is a terminal and whether to colour is
//! decided here, once. Commands are handed a `&mut Ui` (it is a [`Write`] to stdout)
//! and never print by themselves (clippy.toml); a test can run a command on a
//! capturing `Ui` and read both streams.
#![allow(
    clippy::disallowed_methods,
    reason = "the colour decision reads NO_COLOR and TERM, as every CLI does"
)]

use std::io::{self, BufWriter, IsTerminal, Write};

use clap::ValueEnum;

use crate::error::Error;

/// `--color` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    /// Colour only on a terminal, unless NO_COLOR is set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Where a stream goes: the process's own, or a buffer (tests).
enum Sink {
    Stdout(BufWriter<io::Stdout>),
    Stderr(io::Stderr),
    #[cfg(test)]
    Buffer(Vec<u8>),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Stdout(w) => w.write(buf),
            Sink::Stderr(w) => w.write(buf),
            #[cfg(test)]
            Sink::Buffer(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Stdout(w) => w.flush(),
            Sink::Stderr(w) => w.flush(),
            #[cfg(test)]
            Sink::Buffer(w) => w.flush(),
        }
    }
}

/// stdout and stderr, and what is known about them.
pub(crate) struct Ui {
    out: Sink,
    err: Sink,
    color: bool,
    stdout_is_tty: bool,
    stdout_width: Option<usize>,
    stderr_is_tty: bool,
    stdin_is_tty: bool,
}

impl Ui {
    /// The process's streams, with colour as `choice` says: `auto` colours only when
    /// stdout is a terminal, NO_COLOR is unset (or empty) and TERM is not `dumb`.
    pub(crate) fn new(choice: ColorChoice) -> Ui {
        let stdout_is_tty = io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => stdout_is_tty && !no_color && !dumb,
        };
        Ui {
            out: Sink::Stdout(BufWriter::new(io::stdout())),
            err: Sink::Stderr(io::stderr()),
            color,
            stdout_is_tty,
            stdout_width: stdout_is_tty
                .then(|| {
                    let columns = std::env::var("COLUMNS").ok();
                    width(
                        columns.as_deref(),
                        terminal_size::terminal_size_of(io::stdout()),
                    )
                })
                .flatten(),
            stderr_is_tty: io::stderr().is_terminal(),
            stdin_is_tty: io::stdin().is_terminal(),
        }
    }

    /// Streams that keep what is written, for tests: no terminal, no colour.
    #[cfg(test)]
    pub(crate) fn capture() -> Ui {
        Ui {
            out: Sink::Buffer(Vec::new()),
            err: Sink::Buffer(Vec::new()),
            color: false,
            stdout_is_tty: false,
            stdout_width: None,
            stderr_is_tty: false,
            stdin_is_tty: false,
        }
    }

    /// What a capturing `Ui` got on stdout and on stderr, as text.
    #[cfg(test)]
    pub(crate) fn captured(&self) -> (String, String) {
        let text = |sink: &Sink| match sink {
            Sink::Buffer(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            _ => String::new(),
        };
        (text(&self.out), text(&self.err))
    }

    /// Whether to colour output.
    pub(crate) fn color(&self) -> bool {
        self.color
    }

    /// Whether stdout is a terminal (tables) rather than a pipe (plain lines).
    pub(crate) fn stdout_is_tty(&self) -> bool {
        self.stdout_is_tty
    }

    /// How many columns the terminal on stdout has: `COLUMNS` when it is a positive
    /// number (as `ls` and `git` honour it), else the terminal's own size; `None` when
    /// stdout is not a terminal or its size is unknown (a pty nobody sized reports 0).
    pub(crate) fn stdout_width(&self) -> Option<usize> {
        self.stdout_width
    }

    /// Whether stderr is a terminal (progress bars).
    pub(crate) fn stderr_is_tty(&self) -> bool {
        self.stderr_is_tty
    }

    /// Whether stdin is a terminal (prompts allowed).
    pub(crate) fn stdin_is_tty(&self) -> bool {
        self.stdin_is_tty
    }

    /// stderr, for diagnostics: problems of files, notes, prompts, progress.
    pub(crate) fn err(&mut self) -> &mut dyn Write {
        &mut self.err
    }

    /// `crm: warning: MESSAGE` on stderr.
    pub(crate) fn warn(&mut self, message: &str) {
        let _ = writeln!(self.err, "crm: warning: {message}");
    }

    /// An error and its hint on stderr: `crm: error: ...` then `hint: ...`.
    pub(crate) fn error(&mut self, err: &Error) {
        let _ = writeln!(self.err, "crm: error: {}", err.message);
        if let Some(hint) = &err.hint {
            let _ = writeln!(self.err, "hint: {hint}");
        }
    }
}

/// The terminal width from `COLUMNS` (when it is a positive number) or the size the
/// terminal reports (when it is not zero).
fn width(
    columns: Option<&str>,
    size: Option<(terminal_size::Width, terminal_size::Height)>,
) -> Option<usize> {
    let from_env = columns
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0);
    from_env.or_else(|| size.map(|(w, _)| usize::from(w.0)).filter(|&c| c > 0))
}

/// Writing to a `Ui` writes the command's data, to stdout.
impl Write for Ui {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::width;
    use terminal_size::{Height, Width};

    #[test]
    fn columns_wins_over_the_terminal_size_when_it_is_a_positive_number() {
        let size = Some((Width(80), Height(24)));
        assert_eq!(width(Some("60"), size), Some(60));
        assert_eq!(width(Some(" 60 "), size), Some(60));
        assert_eq!(width(Some("0"), size), Some(80));
        assert_eq!(width(Some("wide"), size), Some(80));
        assert_eq!(width(None, size), Some(80));
        // A pty nobody gave a size reports 0 columns: unknown, not 0.
        assert_eq!(width(None, Some((Width(0), Height(0)))), None);
        assert_eq!(width(Some("50"), None), Some(50));
        assert_eq!(width(None, None), None);
    }
}
