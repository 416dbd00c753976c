//! The panic message of a green thread.
//!
//! std's default hook names the OS thread, which for a green thread is just the worker it
//! happened to run on. The runtime wraps the hook installed before it: a panic on a green
//! thread prints `thread '<name>' panicked at <location>:` and the message (and a backtrace
//! when `RUST_BACKTRACE` asks for one), like std does for OS threads; any other panic goes to
//! the previous hook unchanged. A hook the user sets later replaces ours, as usual.

#![forbid(unsafe_code)]

use std::backtrace::{Backtrace, BacktraceStatus};
use std::io::Write;
use std::panic::{self, PanicHookInfo};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::coroutine::{Task, current_task};

/// Installs the wrapping hook, once per process.
pub(crate) fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| match current_task() {
            Some(task) => {
                crate::thread::cancel::set_unwinding(task, true);
                print(task, info)
            }
            None => previous(info),
        }));
    });
}

fn print(task: &Task, info: &PanicHookInfo<'_>) {
    let name = task.name().unwrap_or("<unnamed>");
    let payload = info.payload();
    let msg = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("Box<dyn Any>");
    let location = info
        .location()
        .map(|l| l.to_string())
        .unwrap_or_else(|| "<unknown>".into());
    let backtrace = Backtrace::capture();
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "\nthread '{name}' panicked at {location}:\n{msg}");
    if backtrace.status() == BacktraceStatus::Captured {
        let _ = writeln!(err, "stack backtrace:\n{backtrace}");
    } else {
        static NOTED: AtomicBool = AtomicBool::new(false);
        if !NOTED.swap(true, Ordering::Relaxed) {
            let _ = writeln!(
                err,
                "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace"
            );
        }
    }
}
