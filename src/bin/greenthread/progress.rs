//! Live progress on stderr: an indicatif bar on a terminal, plain lines (or nothing)
//! otherwise, so logs and pipes never fill with control codes.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Where progress goes.
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
    /// Print one line per step when there is no terminal.
    plain: bool,
}

impl Progress {
    /// A bar of `steps` steps on a terminal; one line per step otherwise; nothing when
    /// `quiet`.
    pub fn steps(steps: u64, quiet: bool) -> Progress {
        if quiet {
            return Progress::none();
        }
        if !std::io::stderr().is_terminal() {
            return Progress {
                bar: None,
                plain: true,
            };
        }
        let bar = ProgressBar::with_draw_target(Some(steps), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {elapsed} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress {
            bar: Some(bar),
            plain: false,
        }
    }

    /// A live line for a timed run (stress): a bar over `total` on a terminal, nothing
    /// otherwise (the summary comes at the end).
    pub fn timed(total: Duration, quiet: bool) -> Progress {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress::none();
        }
        let millis = u64::try_from(total.as_millis()).unwrap_or(u64::MAX);
        let bar = ProgressBar::with_draw_target(Some(millis), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{bar:30}] {elapsed}/{duration} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress {
            bar: Some(bar),
            plain: false,
        }
    }

    /// No output at all.
    pub fn none() -> Progress {
        Progress {
            bar: None,
            plain: false,
        }
    }

    /// A step begins.
    pub fn start(&self, what: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(what.to_string());
        } else if self.plain {
            eprintln!("  {what} ...");
        }
    }

    /// A step is done.
    pub fn inc(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    /// Sets the position (milliseconds for a timed bar) and the message.
    pub fn set(&self, position: u64, message: String) {
        if let Some(bar) = &self.bar {
            bar.set_position(position);
            bar.set_message(message);
        }
    }

    /// A note that stays above the bar.
    pub fn note(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None if self.plain => eprintln!("{line}"),
            None => {}
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
