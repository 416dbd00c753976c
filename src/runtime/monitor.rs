//! The monitor: one OS thread per runtime that watches the workers from outside, as Go's
//! sysmon does.
//!
//! Every tick (a quarter of the watchdog threshold, at most 25 ms) it reads each worker's
//! counters, which the workers write without locks:
//!
//! - **Retaking queued work.** A worker that runs the same green thread with the same
//!   switch count on two ticks in a row is held: what it has queued (its LIFO slot, its
//!   deque) moves to the injector for the other workers, and its LIFO slot closes until the
//!   green thread switches, so what that green thread wakes meanwhile is stealable at once
//!   ([`Shared::retake`]). Always on when the runtime has more than one worker slot: it is
//!   how a runnable green thread never waits long behind one that computes.
//! - **Blocking watchdog.** A worker that runs the same green thread with the same switch
//!   count on two ticks has not reached a switch point in between. Once that has lasted the
//!   threshold, the green thread is reported by name (once per stall), and with hand-off on
//!   a replacement worker starts so the rest of the runtime keeps going; it retires when the
//!   blocked worker switches again. The kernel's scheduler statistics for the worker's OS
//!   thread (`/proc/self/task/<tid>/schedstat`, read only once a worker looks stalled) tell the cases
//!   apart: a worker that spent most of the window waiting for a CPU was starved by an
//!   overloaded machine and is not reported (nor is one that is runnable but was hardly on
//!   a CPU: the kernel counts a wait for a CPU only once it ends); one that spent it on a
//!   CPU is computing; one that spent it asleep is blocked in a call.
//! - **Deadlock check.** When no worker runs anything, nothing switched since the last tick,
//!   the queues and timers are empty and every green thread is parked on something only
//!   another green thread can end (not I/O, not the blocking pool), nothing inside the
//!   runtime can wake any of them. Seen on two ticks at least [`DEADLOCK_GRACE`] apart, that
//!   is reported once, with the dump.
//!
//! The cheap checks (counters, queue emptiness) run every tick; the walk over the green
//! threads only when they pass, and once per quiet spell.
//!
//! # Hand-off workers
//!
//! With hand-off on, the runtime is built with [`SPARES_PER_WORKER`] spare worker slots per
//! worker (their deques, stealers, inboxes and idle entries exist from the start, empty),
//! so a replacement that blocks in turn can be replaced too. A replacement takes a free slot,
//! runs the ordinary worker loop, and steals the blocked worker's queued green threads
//! like any idle worker would. To retire it the monitor sets the slot's `retire` flag and
//! wakes it; it leaves at its next pick, handing whatever it has queued to the injector.
//! What it cannot free: green threads bound to the blocked worker (`stay_on_worker`), which
//! wait for it.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::thread::JoinHandle as OsJoinHandle;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use super::dump::Snapshot;
use super::report::ReportHandler;
use super::report::{DeadlockAction, Report};
use super::wait::span;
use crate::scheduler::Shared;
use crate::scheduler::worker::{Local, Worker};
use crate::thread::ThreadId;

/// The watchdog's default threshold.
pub const DEFAULT_WATCHDOG: Duration = Duration::from_millis(100);

/// How long the runtime must look deadlocked before it is reported: long enough that a plain
/// OS thread busy for a moment before it sends or unlocks (which the check cannot see) rarely
/// sets it off, short enough that a hang is named within a second or two.
pub(crate) const DEADLOCK_GRACE: Duration = Duration::from_secs(1);

/// Spare worker slots per worker when hand-off is on: how many workers can be blocked at
/// once, per worker, with every blocked one replaced.
pub(crate) const SPARES_PER_WORKER: usize = 4;

/// The longest tick.
const MAX_TICK: Duration = Duration::from_millis(25);

/// The monitor's settings (from the runtime's `Builder`).
#[derive(Clone)]
pub(crate) struct MonitorConfig {
    pub(crate) dump_on_sigquit: bool,
    pub(crate) watchdog: Option<Duration>,
    pub(crate) handoff: bool,
    pub(crate) deadlock: DeadlockAction,
    pub(crate) on_report: Option<ReportHandler>,
}

impl fmt::Debug for MonitorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MonitorConfig")
            .field("dump_on_sigquit", &self.dump_on_sigquit)
            .field("watchdog", &self.watchdog)
            .field("handoff", &self.handoff)
            .field("deadlock", &self.deadlock)
            .field("on_report", &self.on_report.is_some())
            .finish()
    }
}

impl MonitorConfig {
    fn enabled(&self) -> bool {
        self.watchdog.is_some() || self.deadlock != DeadlockAction::Ignore || self.dump_on_sigquit
    }

    fn tick(&self) -> Duration {
        self.watchdog
            .map_or(MAX_TICK, |t| t / 4)
            .clamp(Duration::from_millis(1), MAX_TICK)
    }
}

/// The monitor's part of a runtime's shared state.
#[derive(Debug)]
pub(crate) struct Monitor {
    pub(crate) config: MonitorConfig,
    watchdog_reports: AtomicU64,
    deadlock_reports: AtomicU64,
    /// Hand-off workers running now.
    active: AtomicUsize,
    /// The spare slots' queues while the slot is free (index: slot - workers).
    spares: Mutex<Vec<Option<Local>>>,
    /// Hand-off worker threads started, for shutdown to join.
    handoff_threads: Mutex<Vec<OsJoinHandle<()>>>,
    stop: Mutex<bool>,
    wake: Condvar,
}

impl Monitor {
    pub(crate) fn new(config: MonitorConfig, spares: Vec<Local>) -> Monitor {
        Monitor {
            config,
            watchdog_reports: AtomicU64::new(0),
            deadlock_reports: AtomicU64::new(0),
            active: AtomicUsize::new(0),
            spares: Mutex::new(spares.into_iter().map(Some).collect()),
            handoff_threads: Mutex::new(Vec::new()),
            stop: Mutex::new(false),
            wake: Condvar::new(),
        }
    }

    pub(crate) fn handoff_workers(&self) -> usize {
        self.active.load(Ordering::Relaxed)
    }

    pub(crate) fn watchdog_reports(&self) -> u64 {
        self.watchdog_reports.load(Ordering::Relaxed)
    }

    pub(crate) fn deadlock_reports(&self) -> u64 {
        self.deadlock_reports.load(Ordering::Relaxed)
    }

    /// Starts the monitor thread, if anything is to be watched: with more than one worker
    /// slot there always is (work queued behind a held worker, [`Shared::retake`]).
    pub(crate) fn start(shared: &Arc<Shared>) -> std::io::Result<Option<OsJoinHandle<()>>> {
        if !shared.monitor.config.enabled() && shared.remotes.len() < 2 {
            return Ok(None);
        }
        let shared = shared.clone();
        std::thread::Builder::new()
            .name(format!("{}-monitor", shared.config.thread_name))
            .spawn(move || Watch::new(&shared).run(&shared))
            .map(Some)
    }

    /// Stops the monitor thread (runtime shutdown); the caller joins it.
    pub(crate) fn stop(&self) {
        *self.stop.lock() = true;
        self.wake.notify_all();
    }

    /// The hand-off worker threads started so far (shutdown joins them with the workers,
    /// after the monitor has stopped, so no new one starts).
    pub(crate) fn take_handoff_threads(&self) -> Vec<OsJoinHandle<()>> {
        std::mem::take(&mut *self.handoff_threads.lock())
    }

    /// Sleeps one tick; `false` when stopped.
    fn sleep(&self, tick: Duration) -> bool {
        let mut stop = self.stop.lock();
        if !*stop {
            self.wake.wait_for(&mut stop, tick);
        }
        !*stop
    }

    fn report(&self, report: &Report) {
        #[cfg(feature = "tracing")]
        match report {
            Report::Blocked { .. } => tracing::warn!(target: "greenthread", "{report}"),
            Report::Deadlock { .. } => tracing::error!(target: "greenthread", "{report}"),
        }
        match &self.config.on_report {
            Some(handler) => handler(report),
            None => eprintln!("{report}"),
        }
    }
}

/// What the monitor remembers about one worker slot between ticks.
#[derive(Debug, Default, Clone, Copy)]
struct Seen {
    current: u64,
    switches: u64,
    /// When the current (green thread, switch count) pair was first seen.
    since: u64,
    reported: bool,
    /// The hand-off slot standing in for this worker.
    standin: Option<usize>,
    /// When the pair was first seen unchanged (a possible stall), and the worker OS thread's
    /// scheduler times then. Read only then, so a busy but switching runtime costs no read.
    sched: Option<(u64, SchedTimes)>,
}

/// Nanoseconds an OS thread has spent on a CPU, and waiting for one
/// (`/proc/self/task/<tid>/schedstat`), and whether it is runnable now (`.../stat`).
#[derive(Debug, Default, Clone, Copy)]
struct SchedTimes {
    on_cpu: u64,
    /// The kernel adds a wait for a CPU only once the wait ends (the thread gets one), so
    /// this leaves out the wait of a thread that is waiting now.
    waiting: u64,
    /// Running or waiting for a CPU (state `R`), not asleep in a call.
    runnable: bool,
}

impl SchedTimes {
    fn of(tid: i32) -> Option<SchedTimes> {
        if tid == 0 {
            return None;
        }
        let text = std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat")).ok()?;
        let mut fields = text.split_whitespace().map(str::parse::<u64>);
        let (on_cpu, waiting) = (fields.next()?.ok()?, fields.next()?.ok()?);
        Some(SchedTimes {
            on_cpu,
            waiting,
            runnable: is_runnable(tid),
        })
    }
}

/// Whether OS thread `tid` of this process is running or waiting for a CPU (state `R` in
/// `/proc/self/task/<tid>/stat`), rather than asleep in the kernel.
fn is_runnable(tid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/self/task/{tid}/stat"))
        .ok()
        .and_then(|stat| {
            // The state follows the command name, which is in parentheses and may hold any
            // character.
            let rest = &stat[stat.rfind(')')? + 1..];
            rest.split_whitespace().next().map(|state| state == "R")
        })
        .unwrap_or(false)
}

/// The monitor thread's state.
struct Watch {
    tick: Duration,
    seen: Vec<Seen>,
    /// The deadlock check: the total switch count of the last quiet tick, and since when the
    /// runtime has been quiet at that count.
    quiet: Option<(u64, u64)>,
    /// The switch count at which a deadlock was reported or ruled out by a walk.
    settled_at: Option<u64>,
    /// SIGQUITs already answered with a dump.
    quits: u64,
    /// Each worker slot's (current green thread, switch count) at the last tick, for
    /// [`Watch::retake_held`].
    last: Vec<(u64, u64)>,
}

impl Watch {
    fn new(shared: &Shared) -> Watch {
        Watch {
            tick: shared.monitor.config.tick(),
            seen: vec![Seen::default(); shared.remotes.len()],
            quiet: None,
            settled_at: None,
            quits: SIGQUITS.load(Ordering::Relaxed),
            last: vec![(0, 0); shared.remotes.len()],
        }
    }

    fn run(mut self, shared: &Arc<Shared>) {
        let monitor = &shared.monitor;
        while monitor.sleep(self.tick) {
            if shared.is_shutdown() {
                break;
            }
            if shared.remotes.len() > 1 {
                self.retake_held(shared);
            }
            let now = shared.clock.now();
            if let Some(threshold) = monitor.config.watchdog {
                self.watch_workers(shared, now, threshold);
            }
            if monitor.config.deadlock != DeadlockAction::Ignore {
                self.watch_deadlock(shared, now);
            }
            if monitor.config.dump_on_sigquit {
                let quits = SIGQUITS.load(Ordering::Relaxed);
                if quits != self.quits {
                    self.quits = quits;
                    eprint!("{}", Snapshot::collect(shared));
                }
            }
        }
        // Retire the hand-off workers still running; shutdown wakes and stops them anyway.
        for seen in &self.seen {
            if let Some(slot) = seen.standin {
                retire(shared, slot);
            }
        }
    }

    /// Moves the work queued on workers held by one green thread since the last tick to the
    /// other workers ([`Shared::retake`]): a runnable green thread waits behind a running
    /// one for at most two ticks (50 ms by default), well within the watchdog's threshold,
    /// whether or not the watchdog is on.
    fn retake_held(&mut self, shared: &Shared) {
        for (w, remote) in shared.remotes.iter().enumerate() {
            let now = (
                remote.counters.current.load(Ordering::Relaxed),
                remote.counters.switches.load(Ordering::Relaxed),
            );
            let last = std::mem::replace(&mut self.last[w], now);
            if now.0 == 0 || now != last {
                continue;
            }
            if remote.lifo.is_closed() && remote.lifo.is_empty() && remote.stealer.is_empty() {
                continue; // retaken already, nothing queued since
            }
            // `current` can name the green thread the worker ran last while the worker is
            // between green threads (preempted there by the OS): that is no green thread
            // holding it.
            let task = ThreadId::from_u64(now.0).and_then(|id| shared.registry.get(id));
            if task.is_none_or(|t| t.park.is_parked()) {
                continue;
            }
            shared.retake(w);
        }
    }

    fn watch_workers(&mut self, shared: &Arc<Shared>, now: u64, threshold: Duration) {
        for (w, remote) in shared.remotes.iter().enumerate() {
            let current = remote.counters.current.load(Ordering::Relaxed);
            let switches = remote.counters.switches.load(Ordering::Relaxed);
            let seen = &mut self.seen[w];
            if current != 0 && current == seen.current && switches == seen.switches {
                let blocked_for = span(seen.since, now);
                // `current` can name the green thread the worker ran last while the worker
                // itself is between green threads (or preempted there): not a blocked call.
                let task = ThreadId::from_u64(current).and_then(|id| shared.registry.get(id));
                let stale = task.as_ref().is_none_or(|t| t.park.is_parked());
                let tid = remote.counters.tid.load(Ordering::Relaxed);
                if seen.sched.is_none() && !stale {
                    seen.sched = SchedTimes::of(tid).map(|t| (now, t));
                }
                let measured = seen.sched.map(|(at, _)| span(at, now));
                let long_enough = measured.is_none_or(|m| m * 2 >= threshold);
                if !seen.reported && !stale && blocked_for >= threshold && long_enough {
                    // Held, but by whom? A worker that spent most of the time waiting for a
                    // CPU was starved by the OS (an overloaded machine), not blocked by its
                    // green thread: start a new window instead of reporting. The times are
                    // measured from the second look on, and scaled to the whole stall.
                    let used = seen
                        .sched
                        .zip(SchedTimes::of(tid))
                        .and_then(|((at, a), b)| {
                            let window = now.checked_sub(at).filter(|&w| w > 0)?;
                            let scale = |d: u64| {
                                let whole = blocked_for.as_nanos() as u64;
                                Duration::from_nanos(
                                    (d as u128 * whole as u128 / window as u128) as u64,
                                )
                            };
                            let on_cpu = b.on_cpu.saturating_sub(a.on_cpu);
                            let mut waiting = b.waiting.saturating_sub(a.waiting);
                            if b.runnable {
                                // Runnable now: whatever of the window it did not spend on a
                                // CPU it spent waiting for one (the kernel has not counted
                                // a wait still going on), not asleep in a call.
                                waiting = waiting.max(window.saturating_sub(on_cpu));
                            }
                            Some((scale(on_cpu), scale(waiting)))
                        });
                    if used.is_some_and(|(_, waiting)| waiting * 2 > blocked_for) {
                        seen.since = now;
                        seen.sched = None;
                        continue;
                    }
                    seen.reported = true;
                    let standin = if shared.monitor.config.handoff && seen.standin.is_none() {
                        start_handoff(shared)
                    } else {
                        None
                    };
                    seen.standin = seen.standin.or(standin);
                    shared
                        .monitor
                        .watchdog_reports
                        .fetch_add(1, Ordering::Relaxed);
                    let name = task.as_ref().and_then(|t| t.name().map(String::from));
                    shared.monitor.report(&Report::Blocked {
                        worker: worker_name(shared, w),
                        thread: ThreadId::from_u64(current).expect("current is non-zero"),
                        name,
                        blocked_for,
                        on_cpu: used.map(|(cpu, _)| cpu),
                        waiting_for_cpu: used.map(|(_, waiting)| waiting),
                        handoff: seen.standin.is_some(),
                    });
                }
                continue;
            }
            // It switched (or is idle): the stall, if any, is over.
            if let Some(slot) = seen.standin.take() {
                retire(shared, slot);
            }
            *seen = Seen {
                current,
                switches,
                since: now,
                reported: false,
                standin: None,
                sched: None,
            };
        }
    }

    fn watch_deadlock(&mut self, shared: &Arc<Shared>, now: u64) {
        let switches = total_switches(shared);
        let mut busy = false;
        for remote in shared.remotes.iter() {
            busy |= remote.counters.current.load(Ordering::Relaxed) != 0;
            busy |= !remote.stealer.is_empty() || !remote.inbox.is_empty();
        }
        busy |= !shared.injector.is_empty() || shared.timers.counts().0 > 0;
        let still = matches!(self.quiet, Some((s, _)) if s == switches);
        if busy || !still {
            self.quiet = (!busy).then_some((switches, now));
            return;
        }
        let since = self.quiet.map_or(now, |(_, since)| since);
        if span(since, now) < DEADLOCK_GRACE || self.settled_at == Some(switches) {
            return;
        }
        // Quiet long enough: walk the green threads once for this quiet spell.
        self.settled_at = Some(switches);
        let tasks = shared.registry.all();
        let deadlocked = !tasks.is_empty()
            && tasks.iter().all(|t| {
                t.park.is_parked() && t.wait.get().0.is_some_and(|r| !r.woken_from_outside())
            });
        if !deadlocked {
            return;
        }
        let snapshot = Snapshot::collect(shared);
        if shared.monitor.config.deadlock == DeadlockAction::Panic {
            // Look once more right before acting: anything that switched since the walk (an
            // OS thread's wake-up, say) means it was not a deadlock after all.
            let switched = total_switches(shared) != switches;
            if switched || !tasks.iter().all(|t| t.park.is_parked()) {
                self.quiet = None;
                self.settled_at = None;
                return;
            }
            // Every request before any wake-up: the first to unwind frees what the others
            // wait for, and they must unwind too rather than carry on with it.
            let requested: Vec<_> = tasks
                .iter()
                .filter(|t| crate::thread::cancel::request(t, crate::Cancelled::Deadlock))
                .collect();
            for task in requested {
                crate::thread::Thread::from_task(task.clone()).wake();
            }
        }
        shared
            .monitor
            .deadlock_reports
            .fetch_add(1, Ordering::Relaxed);
        shared.monitor.report(&Report::Deadlock { snapshot });
    }
}

/// SIGQUITs received since [`install_sigquit`] (the handler only counts; the monitors dump).
static SIGQUITS: AtomicU64 = AtomicU64::new(0);

extern "C" fn on_sigquit(_: libc::c_int) {
    // Async-signal-safe: one atomic add, no allocation, no lock.
    SIGQUITS.fetch_add(1, Ordering::Relaxed);
}

/// Makes SIGQUIT (Ctrl-\\, `kill -QUIT`) count instead of killing the process, so that the
/// monitors of runtimes built with `dump_on_sigquit` print their dump. Process-wide, once.
pub(crate) fn install_sigquit() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: all-zero bytes are a valid sigaction (SIG_DFL, empty mask, no flags).
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = on_sigquit as *const () as usize;
        action.sa_flags = libc::SA_RESTART;
        // SAFETY: `action` is fully initialised, its handler an `extern "C" fn(c_int)` that
        // only does an atomic add (async-signal-safe); a null old-action pointer is allowed.
        unsafe {
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGQUIT, &action, std::ptr::null_mut());
        }
    });
}

/// Green threads resumed so far, over every worker slot.
fn total_switches(shared: &Shared) -> u64 {
    shared
        .remotes
        .iter()
        .map(|r| r.counters.switches.load(Ordering::Relaxed))
        .sum()
}

/// Starts a hand-off worker in a free spare slot; its slot index, or `None` if all are busy
/// (or the OS refuses a thread).
fn start_handoff(shared: &Arc<Shared>) -> Option<usize> {
    let monitor = &shared.monitor;
    let workers = shared.config.workers;
    let (slot, local) = {
        let mut spares = monitor.spares.lock();
        let i = spares.iter().position(Option::is_some)?;
        (workers + i, spares[i].take()?)
    };
    shared.remotes[slot].retire.store(false, Ordering::SeqCst);
    monitor.active.fetch_add(1, Ordering::Relaxed);
    let theirs = shared.clone();
    let started = std::thread::Builder::new()
        .name(worker_name(shared, slot))
        .spawn(move || {
            let local = Worker::run(theirs.clone(), slot, local);
            theirs.monitor.spares.lock()[slot - workers] = Some(local);
            theirs.monitor.active.fetch_sub(1, Ordering::Relaxed);
        });
    match started {
        Ok(handle) => {
            let mut threads = monitor.handoff_threads.lock();
            threads.retain(|h| !h.is_finished()); // dropping a finished one just detaches it
            threads.push(handle);
            Some(slot)
        }
        Err(_) => {
            // The closure (and the deque in it) is gone; the slot stays unused.
            monitor.active.fetch_sub(1, Ordering::Relaxed);
            None
        }
    }
}

/// The OS thread name of the worker in `slot`.
pub(crate) fn worker_name(shared: &Shared, slot: usize) -> String {
    let (prefix, workers) = (&shared.config.thread_name, shared.config.workers);
    if slot < workers {
        format!("{prefix}-{slot}")
    } else {
        format!("{prefix}-handoff-{}", slot - workers)
    }
}

/// Asks the hand-off worker in `slot` to leave.
fn retire(shared: &Shared, slot: usize) {
    shared.remotes[slot].retire.store(true, Ordering::SeqCst);
    shared.idle.wake_worker(slot, &shared.reactor);
}

/// Whether the worker in slot `index` (a hand-off slot) has been told to retire.
#[inline]
pub(crate) fn retiring(shared: &Shared, index: usize) -> bool {
    shared.remotes[index].retire.load(Ordering::SeqCst)
}

#[cfg(test)]
mod tests {
    use super::is_runnable;

    /// The calling OS thread's id, from `/proc/thread-self` (`<pid>/task/<tid>`).
    fn tid() -> i32 {
        let link = std::fs::read_link("/proc/thread-self").unwrap();
        link.file_name().unwrap().to_str().unwrap().parse().unwrap()
    }

    #[test]
    fn a_running_thread_is_runnable_and_a_blocked_one_is_not() {
        assert!(is_runnable(tid()));
        let (tx, rx) = std::sync::mpsc::channel();
        let (done, wait) = std::sync::mpsc::channel::<()>();
        let t = std::thread::spawn(move || {
            tx.send(tid()).unwrap();
            let _ = wait.recv(); // asleep in the kernel until `done` goes
        });
        let blocked = rx.recv().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while is_runnable(blocked) {
            assert!(std::time::Instant::now() < deadline, "never went to sleep");
            std::thread::yield_now();
        }
        drop(done);
        t.join().unwrap();
        assert!(!is_runnable(blocked), "a thread that has exited");
    }
}
