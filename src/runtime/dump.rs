//! [`Snapshot`]: every live green thread of a runtime, what it does and what it waits for.

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::wait::{WaitReason, span};
use crate::scheduler::Shared;
use crate::thread::ThreadId;

/// Every live green thread of a runtime at one moment, from
/// [`Runtime::snapshot`](crate::Runtime::snapshot); its `Display` is
/// [`Runtime::dump`](crate::Runtime::dump).
///
/// Green threads are read one after another while the runtime runs, so a snapshot of a busy
/// runtime is not one instant; a parked green thread's entry is exact.
///
/// # Examples
///
/// ```
/// use greenthread::runtime::{ThreadState, WaitReason};
///
/// let rt = greenthread::Runtime::builder().workers(1).build()?;
/// let (tx, rx) = greenthread::channel::bounded::<()>(0);
/// let h = rt.block_on(|| {
///     greenthread::Builder::new()
///         .name("waiter".into())
///         .spawn(move || rx.recv())
/// })?;
/// let snap = loop {
///     let snap = rt.snapshot();
///     if snap.threads.iter().any(|t| t.state == ThreadState::Parked(WaitReason::ChannelRecv)) {
///         break snap;
///     }
///     std::thread::yield_now();
/// };
/// let t = snap.threads.iter().find(|t| t.name.as_deref() == Some("waiter")).unwrap();
/// assert_eq!(t.state, ThreadState::Parked(WaitReason::ChannelRecv));
/// assert!(snap.to_string().contains("'waiter' parked: channel recv"));
/// drop(tx);
/// assert!(h.join().unwrap().is_err()); // disconnected
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Snapshot {
    /// The runtime's worker name prefix (`Builder::thread_name`).
    pub runtime: String,
    /// Per worker slot: the green thread it runs or ran last (cleared when the worker goes
    /// idle; [`ThreadInfo::state`] says whether it still runs). Hand-off slots come after
    /// the regular ones.
    pub workers: Vec<Option<ThreadId>>,
    /// Regular workers the runtime was built with (the first entries of `workers`).
    pub regular_workers: usize,
    /// Hand-off workers running at the time (see `Builder::handoff`).
    pub handoff_workers: usize,
    /// The live green threads, oldest first.
    pub threads: Vec<ThreadInfo>,
}

/// One green thread in a [`Snapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ThreadInfo {
    /// Its id.
    pub id: ThreadId,
    /// Its name, if it was given one.
    pub name: Option<String>,
    /// Running, runnable or parked (and on what).
    pub state: ThreadState,
    /// How long it has been parked (to the runtime's coarse clock: a few milliseconds).
    pub waited: Option<Duration>,
    /// Time left until its wait times out (a sleep's end, a `recv_timeout`'s deadline).
    pub timeout: Option<Duration>,
    /// Its stack size in bytes.
    pub stack_size: usize,
    /// How deep its stack has been touched (a high-water mark, page-granular, from the
    /// kernel's resident pages). A pooled stack also remembers earlier green threads' use.
    pub stack_used: Option<usize>,
}

/// What a green thread is doing, in a [`ThreadInfo`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ThreadState {
    /// On a worker now.
    Running {
        /// The worker's index.
        worker: usize,
    },
    /// Queued to run, or between a wake-up and its next run.
    Runnable,
    /// Waiting.
    Parked(WaitReason),
}

impl fmt::Display for ThreadState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ThreadState::Running { worker } => write!(f, "running on worker {worker}"),
            ThreadState::Runnable => f.write_str("runnable"),
            ThreadState::Parked(reason) => write!(f, "parked: {reason}"),
        }
    }
}

impl Snapshot {
    pub(crate) fn collect(shared: &Shared) -> Snapshot {
        let deadlines = shared.timers.deadlines();
        let instant = std::time::Instant::now();
        let now = shared.clock.now();
        let workers: Vec<Option<ThreadId>> = shared
            .remotes
            .iter()
            .map(|r| ThreadId::from_u64(r.counters.current.load(Ordering::Relaxed)))
            .collect();
        let on: HashMap<ThreadId, usize> = workers
            .iter()
            .enumerate()
            .filter_map(|(w, id)| id.map(|id| (id, w)))
            .collect();
        let mut threads: Vec<ThreadInfo> = shared
            .registry
            .all()
            .iter()
            .map(|task| {
                let (reason, since) = task.wait.get();
                // A worker's `current` may still name the green thread it ran last: being
                // parked wins.
                let state = match (task.park.is_parked(), reason, on.get(&task.id())) {
                    (true, Some(reason), _) => ThreadState::Parked(reason),
                    (_, _, Some(&worker)) => ThreadState::Running { worker },
                    _ => ThreadState::Runnable,
                };
                let parked = matches!(state, ThreadState::Parked(_));
                ThreadInfo {
                    id: task.id(),
                    name: task.name().map(String::from),
                    state,
                    waited: parked.then(|| span(since, now)),
                    timeout: deadlines
                        .get(&task.id())
                        .filter(|_| parked)
                        .map(|d| d.saturating_duration_since(instant)),
                    stack_size: task.stack().size(),
                    stack_used: task.stack().touched(),
                }
            })
            .collect();
        threads.sort_by_key(|t| t.id);
        Snapshot {
            runtime: shared.config.thread_name.clone(),
            workers,
            regular_workers: shared.config.workers,
            handoff_workers: shared.monitor.handoff_workers(),
            threads,
        }
    }
}

/// Sizes in KiB, the way a reader scans them.
struct Kib(usize);

impl fmt::Display for Kib {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} KiB", self.0.div_ceil(1024))
    }
}

/// Durations to three significant digits.
pub(crate) struct Short(pub(crate) Duration);

impl fmt::Display for Short {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.as_secs_f64();
        if s >= 1.0 {
            write!(f, "{s:.1} s")
        } else if s >= 1e-3 {
            write!(f, "{:.1} ms", s * 1e3)
        } else {
            write!(f, "{:.0} us", s * 1e6)
        }
    }
}

impl fmt::Display for ThreadInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.id.as_u64())?;
        if let Some(name) = &self.name {
            write!(f, " '{name}'")?;
        }
        write!(f, " {}", self.state)?;
        if let Some(w) = self.waited {
            write!(f, " for {}", Short(w))?;
        }
        if let Some(t) = self.timeout {
            write!(f, ", {} left", Short(t))?;
        }
        write!(f, "; stack {}", Kib(self.stack_size))?;
        if let Some(used) = self.stack_used {
            write!(f, ", {} used", Kib(used))?;
        }
        Ok(())
    }
}

impl fmt::Display for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_limited(f, usize::MAX)
    }
}

impl Snapshot {
    /// The dump with at most `limit` green threads listed; the others are summed up by what
    /// they wait for.
    pub(crate) fn write_limited(&self, f: &mut fmt::Formatter<'_>, limit: usize) -> fmt::Result {
        let parked = self
            .threads
            .iter()
            .filter(|t| matches!(t.state, ThreadState::Parked(_)))
            .count();
        let running = self
            .threads
            .iter()
            .filter(|t| matches!(t.state, ThreadState::Running { .. }))
            .count();
        writeln!(
            f,
            "greenthread runtime '{}': {} green threads ({} running, {} parked), {} workers{}",
            self.runtime,
            self.threads.len(),
            running,
            parked,
            self.regular_workers,
            match self.handoff_workers {
                0 => String::new(),
                n => format!(" (+{n} hand-off)"),
            }
        )?;
        for t in self.threads.iter().take(limit) {
            writeln!(f, "  {t}")?;
        }
        let rest = self.threads.get(limit..).unwrap_or_default();
        if !rest.is_empty() {
            let mut by: HashMap<String, usize> = HashMap::new();
            for t in rest {
                let what = match t.state {
                    ThreadState::Parked(reason) => {
                        // One bucket per kind: "read fd 7" and "read fd 8" are both "read".
                        let r = reason.to_string();
                        r.split(|c: char| c == '#' || c.is_ascii_digit())
                            .next()
                            .unwrap_or_default()
                            .trim_end_matches(" fd ")
                            .trim()
                            .to_string()
                    }
                    other => other.to_string(),
                };
                *by.entry(what).or_default() += 1;
            }
            let mut by: Vec<_> = by.into_iter().collect();
            by.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let by: Vec<String> = by.iter().map(|(w, n)| format!("{n} {w}")).collect();
            writeln!(f, "  ... and {} more: {}", rest.len(), by.join(", "))?;
        }
        Ok(())
    }
}
