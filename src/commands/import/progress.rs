//! The progress bar of a long import (indicatif, on stderr): drawn only when stderr is
//! a terminal and only once the write has taken more than a second (the bar's own
//! clock, started hidden), so that short imports, pipes and cron jobs never see it.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long an import runs before the bar appears.
const AFTER: Duration = Duration::from_secs(1);

/// A bar over the customer files an import writes.
pub(super) struct Progress {
    bar: ProgressBar,
    terminal: bool,
    shown: bool,
}

impl Progress {
    /// A bar for `total` customer files, hidden until it is worth showing, and never
    /// shown unless stderr is a `terminal` (the Ui's decision).
    pub(super) fn new(total: usize, terminal: bool) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
        if let Ok(style) =
            ProgressStyle::with_template("{bar:30} {pos}/{len} customer files ({eta} left)")
        {
            bar.set_style(style.progress_chars("#>-"));
        }
        Progress {
            bar,
            terminal,
            shown: false,
        }
    }

    /// `done` files are written.
    pub(super) fn tick(&mut self, done: usize) {
        if self.terminal && !self.shown && self.bar.elapsed() >= AFTER {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
        self.bar.set_position(done as u64);
    }

    /// Clears the bar (the summary line follows on stdout).
    pub(super) fn finish(&mut self) {
        self.bar.finish_and_clear();
    }
}
