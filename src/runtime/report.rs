//! What the monitor tells: [`Report`]s of blocked workers and deadlocks, and what to do about
//! a deadlock ([`DeadlockAction`]).

#![forbid(unsafe_code)]

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::dump::{Short, Snapshot};
use crate::thread::ThreadId;

/// Green threads listed in a deadlock report (the rest are counted by what they wait for;
/// `Runtime::dump` lists them all).
const REPORT_THREADS: usize = 100;

/// What to do when every green thread of a runtime is parked and nothing can wake any of
/// them (see [`Builder::deadlock`](super::Builder::deadlock)).
///
/// # Examples
///
/// ```
/// use greenthread::runtime::DeadlockAction;
///
/// let rt = greenthread::Runtime::builder().deadlock(DeadlockAction::Ignore).build()?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DeadlockAction {
    /// Report it once (to the report handler, by default stderr) with the dump. The default.
    #[default]
    Report,
    /// Report it, then unwind every deadlocked green thread from its switch point with the
    /// payload [`Cancelled::Deadlock`](crate::Cancelled::Deadlock), as if it panicked: its
    /// destructors run, and its `join` (or the `block_on` waiting for it) gets the panic.
    Panic,
    /// Say nothing.
    Ignore,
}

/// Something the monitor noticed, handed to the report handler
/// ([`Builder::on_report`](super::Builder::on_report); by default printed to stderr).
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
/// use std::time::Duration;
/// use greenthread::runtime::Report;
///
/// let (tx, rx) = mpsc::channel();
/// let tx = std::sync::Mutex::new(tx);
/// let rt = greenthread::Runtime::builder()
///     .workers(1)
///     .watchdog(Some(Duration::from_millis(20)))
///     .on_report(move |r| drop(tx.lock().unwrap().send(r.to_string())))
///     .build()?;
/// rt.block_on(|| std::thread::sleep(Duration::from_millis(100))); // blocks its worker
/// let report = rx.recv_timeout(Duration::from_secs(10)).unwrap();
/// assert!(report.contains("unblock"), "{report}");
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Report {
    /// A green thread has held its worker without reaching a switch point for longer than
    /// the watchdog threshold.
    Blocked {
        /// The OS thread name of the worker it holds (`<prefix>-<n>`, or
        /// `<prefix>-handoff-<n>` for a replacement worker).
        worker: String,
        /// The green thread.
        thread: ThreadId,
        /// Its name, if any.
        name: Option<String>,
        /// How long it had held the worker when reported (it may go on).
        blocked_for: Duration,
        /// How much of that the worker spent on a CPU (estimated from the kernel's scheduler
        /// statistics over most of the stall, where available): most of it for a
        /// computation, near zero for a blocking call.
        on_cpu: Option<Duration>,
        /// How much of it the worker spent runnable but waiting for a CPU (other processes'
        /// share of a busy machine).
        waiting_for_cpu: Option<Duration>,
        /// Whether a replacement worker was started meanwhile.
        handoff: bool,
    },
    /// Every green thread is parked and nothing inside the runtime can wake any of them.
    Deadlock {
        /// The dump at the time.
        snapshot: Snapshot,
    },
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Report::Blocked {
                worker,
                thread,
                name,
                blocked_for,
                on_cpu,
                waiting_for_cpu,
                handoff,
            } => {
                write!(f, "greenthread: green thread ")?;
                if let Some(name) = name {
                    write!(f, "'{name}' ")?;
                }
                write!(
                    f,
                    "(#{}) has held worker {worker} for {} without reaching a switch \
                     point (green threads queued there move to other workers, but every \
                     worker it holds is one fewer to run them). ",
                    thread.as_u64(),
                    Short(*blocked_for),
                )?;
                // Asleep in the kernel for the rest: computing if more on a CPU than asleep.
                let computing = on_cpu
                    .zip(*waiting_for_cpu)
                    .map(|(cpu, wait)| cpu >= blocked_for.saturating_sub(cpu).saturating_sub(wait));
                match computing {
                    Some(true) => write!(
                        f,
                        "It is computing (its worker was on a CPU {} of that time): call \
                         yield_now() in long loops, or run the work with greenthread::unblock(..).",
                        Short(on_cpu.unwrap_or_default())
                    )?,
                    Some(false) => f.write_str(
                        "It is blocked in a call the runtime cannot switch out of \
                         (std::thread::sleep, std::sync, std::net, file I/O; its worker used \
                         almost no CPU): wrap that call in greenthread::unblock(..), or use \
                         greenthread's own sleep/sync/channel/net.",
                    )?,
                    None => f.write_str(
                        "It is blocking in a call the runtime cannot switch out of \
                         (std::thread::sleep, std::sync, std::net, file I/O) or computing: wrap \
                         that call in greenthread::unblock(..), use greenthread's own \
                         sleep/sync/channel/net, or call yield_now() in long loops.",
                    )?,
                }
                if *handoff {
                    write!(f, " A replacement worker runs the others meanwhile.")?;
                }
                Ok(())
            }
            Report::Deadlock { snapshot } => {
                writeln!(
                    f,
                    "greenthread: deadlock: every green thread of runtime '{}' is parked and no \
                     timer, I/O or blocking-pool call can wake any of them; unless a plain OS \
                     thread still holds a handle it will use (a channel end, a lock, a Thread \
                     to unpark), they wait for ever. The green threads:",
                    snapshot.runtime
                )?;
                snapshot.write_limited(f, REPORT_THREADS)
            }
        }
    }
}

/// Where reports go.
pub(crate) type ReportHandler = Arc<dyn Fn(&Report) + Send + Sync>;
