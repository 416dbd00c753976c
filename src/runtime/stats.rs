//! [`Stats`]: counters of one runtime, summed on read.
//!
//! The counters are cheap enough to leave on: each worker bumps its own (a relaxed load and
//! store on its own cache line, no locked instruction), the reactor and timers bump theirs
//! under locks they hold anyway, and reading sums them. Only the breakdown of parked green
//! threads is not a counter: [`Runtime::stats`](crate::Runtime::stats) walks the green
//! threads to classify them, so it costs time in proportion to their number.

#![forbid(unsafe_code)]

use std::fmt;

use super::wait::WaitReason;
use crate::scheduler::Shared;
use crate::thread::ThreadId;

/// Counters of one runtime, from [`Runtime::stats`](crate::Runtime::stats).
///
/// Counts that go only up (`spawned`, `context_switches`, ...) are totals since the runtime
/// started; the others are a snapshot. They are read one after another while the runtime
/// runs, so they need not add up exactly.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let rt = greenthread::Runtime::builder().workers(1).build()?;
/// let sleeper = rt.spawn(|| greenthread::sleep(Duration::from_secs(60)));
/// while rt.stats().parked_by.sleep == 0 {
///     std::thread::yield_now();
/// }
/// let stats = rt.stats();
/// assert_eq!(stats.alive, 1);
/// assert_eq!(stats.timers, 1);
/// assert!(stats.context_switches >= 1);
/// println!("{stats}");
/// drop(sleeper); // detached: dropping the runtime unwinds it
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Worker OS threads the runtime was built with.
    pub workers: usize,
    /// Extra workers started by the watchdog while a worker is blocked (hand-off), now.
    pub handoff_workers: usize,
    /// Green threads spawned since the runtime started.
    pub spawned: u64,
    /// Green threads spawned and not finished.
    pub alive: usize,
    /// Green threads running on a worker now.
    pub running: usize,
    /// Green threads parked now (waiting for something); see `parked_by`.
    pub parked: usize,
    /// The parked green threads by what they wait for.
    pub parked_by: ParkedBy,
    /// Times a worker resumed a green thread (each is a switch in and a switch out).
    pub context_switches: u64,
    /// Batches of green threads a worker stole from another's queue.
    pub steals: u64,
    /// Reactor polls (blocking waits of the idle worker and busy workers' quick checks).
    pub reactor_polls: u64,
    /// I/O readiness events the reactor dispatched.
    pub reactor_events: u64,
    /// Descriptors registered with the reactor now (open sockets and `Async` handles).
    pub io_sources: usize,
    /// Timers pending now (sleeps and timeouts).
    pub timers: usize,
    /// Timers fired since the runtime started.
    pub timers_fired: u64,
    /// The stack pool. Process-wide: every runtime shares it.
    pub stacks: StackStats,
    /// Blocked workers the watchdog has reported.
    pub watchdog_reports: u64,
    /// Deadlocks reported.
    pub deadlock_reports: u64,
}

/// Parked green threads by what they wait for (part of [`Stats`]).
///
/// # Examples
///
/// ```
/// let by = greenthread::runtime::ParkedBy::default();
/// assert_eq!(by.total(), 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParkedBy {
    /// `sleep`, `sleep_until`.
    pub sleep: usize,
    /// `park`, `park_timeout`.
    pub park: usize,
    /// `join`, or the end of a `scope`.
    pub join: usize,
    /// Socket and descriptor readiness.
    pub io: usize,
    /// `Mutex`, `RwLock`, `Condvar`, `Semaphore`, `Barrier`, `WaitGroup`.
    pub sync: usize,
    /// Channel `send`, `recv`, `select`.
    pub channel: usize,
    /// `unblock` (a call on the blocking pool).
    pub unblock: usize,
}

impl ParkedBy {
    /// All of them.
    pub fn total(&self) -> usize {
        self.sleep + self.park + self.join + self.io + self.sync + self.channel + self.unblock
    }

    pub(crate) fn count(&mut self, reason: WaitReason) {
        let slot = match reason {
            WaitReason::Sleep => &mut self.sleep,
            WaitReason::Park => &mut self.park,
            WaitReason::Join(_) | WaitReason::Scope => &mut self.join,
            WaitReason::Read { .. } | WaitReason::Write { .. } => &mut self.io,
            WaitReason::Mutex
            | WaitReason::RwLockRead
            | WaitReason::RwLockWrite
            | WaitReason::Condvar
            | WaitReason::Semaphore
            | WaitReason::Barrier
            | WaitReason::WaitGroup => &mut self.sync,
            WaitReason::ChannelSend | WaitReason::ChannelRecv | WaitReason::Select => {
                &mut self.channel
            }
            WaitReason::Unblock => &mut self.unblock,
        };
        *slot += 1;
    }
}

/// The process-wide stack pool (part of [`Stats`]).
///
/// # Examples
///
/// ```
/// let rt = greenthread::Runtime::new()?;
/// rt.block_on(|| ());
/// let stacks = rt.stats().stacks;
/// assert!(stacks.guarded + stacks.compact >= 1);
/// assert!(stacks.guarded <= stacks.guarded_budget);
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StackStats {
    /// Stacks with a guard page, mapped (in use or pooled).
    pub guarded: usize,
    /// Guarded stacks allowed before new stacks are compact (from `vm.max_map_count`).
    pub guarded_budget: usize,
    /// Compact stacks (canary-checked, carved from slabs), in use or pooled.
    pub compact: usize,
    /// Stacks free in the shared pool, ready for the next spawn.
    pub pooled: usize,
}

impl StackStats {
    /// The mode new guarded-by-default stacks get now: `"guarded"`, or `"compact"` once the
    /// budget is spent.
    pub fn mode(&self) -> &'static str {
        if self.guarded < self.guarded_budget {
            "guarded"
        } else {
            "compact"
        }
    }
}

impl Stats {
    pub(crate) fn collect(shared: &Shared) -> Stats {
        let (spawned, alive) = shared.registry.counts();
        let mut parked_by = ParkedBy::default();
        for task in shared.registry.all() {
            if task.park.is_parked() {
                if let (Some(reason), _) = task.wait.get() {
                    parked_by.count(reason);
                }
            }
        }
        let mut stats = Stats {
            workers: shared.config.workers,
            handoff_workers: shared.monitor.handoff_workers(),
            spawned,
            alive,
            parked: parked_by.total(),
            parked_by,
            watchdog_reports: shared.monitor.watchdog_reports(),
            deadlock_reports: shared.monitor.deadlock_reports(),
            ..Stats::default()
        };
        let mut running = std::collections::HashSet::new();
        for remote in shared.remotes.iter() {
            let c = &remote.counters;
            use std::sync::atomic::Ordering::Relaxed;
            // `current` may still name the green thread a worker ran last (it is cleared when
            // the worker goes idle), which may run on another worker by now: count each
            // green thread once, and only if it is neither finished nor parked.
            if let Some(id) = ThreadId::from_u64(c.current.load(Relaxed)) {
                if shared.registry.get(id).is_some_and(|t| !t.park.is_parked()) {
                    running.insert(id);
                }
            }
            stats.context_switches += c.switches.load(Relaxed);
            stats.steals += c.steals.load(Relaxed);
        }
        stats.running = running.len();
        (stats.reactor_polls, stats.reactor_events, stats.io_sources) = shared.reactor.counts();
        (stats.timers, stats.timers_fired) = shared.timers.counts();
        let pool = crate::stack::pool_stats();
        stats.stacks = StackStats {
            guarded: pool.guarded,
            guarded_budget: pool.guarded_budget,
            compact: pool.compact,
            pooled: pool.pooled,
        };
        stats
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.parked_by;
        let s = &self.stacks;
        writeln!(
            f,
            "green threads: {} alive ({} running, {} parked), {} spawned",
            self.alive, self.running, self.parked, self.spawned
        )?;
        writeln!(
            f,
            "parked on: sleep {}, park {}, join {}, io {}, sync {}, channel {}, unblock {}",
            p.sleep, p.park, p.join, p.io, p.sync, p.channel, p.unblock
        )?;
        writeln!(
            f,
            "workers: {} (+{} hand-off), {} context switches, {} steals",
            self.workers, self.handoff_workers, self.context_switches, self.steals
        )?;
        writeln!(
            f,
            "reactor: {} sources, {} polls, {} events; timers: {} pending, {} fired",
            self.io_sources,
            self.reactor_polls,
            self.reactor_events,
            self.timers,
            self.timers_fired
        )?;
        writeln!(
            f,
            "stacks: {} guarded (budget {}), {} compact, {} pooled, new ones {}",
            s.guarded,
            s.guarded_budget,
            s.compact,
            s.pooled,
            s.mode()
        )?;
        write!(
            f,
            "reports: {} blocked worker, {} deadlock",
            self.watchdog_reports, self.deadlock_reports
        )
    }
}
