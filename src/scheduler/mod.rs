//! The scheduler: worker OS threads running green threads from work-stealing run queues.
//!
//! # Queues
//!
//! ```text
//!             spawn / wake from outside the runtime          spawn / wake on a worker
//!                          │                                          │
//!                          ▼                                          ▼
//!   injector (global, FIFO) ──batch──► worker i: LIFO slot ─► local deque (FIFO) ◄── stolen
//!   inbox[i] (for green threads bound to worker i by `stay_on_worker`; never stolen)
//! ```
//!
//! A worker takes, in order: the LIFO slot (the green thread it just woke, for message-passing
//! locality; at most [`worker::MAX_LIFO_STREAK`] in a row so two ping-ponging green threads
//! cannot starve the queue), its local deque, its inbox, a batch from the injector, then a
//! batch stolen from a random victim. Every 61st pick it looks at its inbox and the injector
//! *first* and fires due timers, so neither waits behind a busy local queue (Go and tokio use
//! the same number). A yielding green thread goes to the back of the local deque.
//!
//! # Held workers
//!
//! A green thread that computes without a switch point keeps its worker; it must not keep
//! the green threads queued behind it. The monitor finds such a worker within two ticks and
//! [`Shared::retake`]s its queued work for the others: the deque through its stealer, the
//! LIFO slot through the slot's thief side ([`lifo`]: the worker's own accesses stay plain
//! loads and stores, the rare theft pays for a process-wide barrier).
//!
//! # Idle workers
//!
//! See [`idle`]: one idle worker waits in the reactor with the next timer deadline as its
//! timeout; the others sleep on their own condvar. New work wakes one.
//!
//! # Ground rules
//!
//! - `Shared` is reachable from every `Task` and every worker; a worker's [`worker::Worker`]
//!   (LIFO slot, local deque) is reachable only from its own OS thread, through a
//!   thread-local read fresh by `#[inline(never)]` accessors. Others reach its queues only
//!   through their stealing sides in [`Remote`] (any idle worker for the deque, the monitor
//!   alone for the LIFO slot).
//! - The registry owns one `Arc` of every green thread that has not finished, so a parked
//!   green thread (in no queue) stays alive, and shutdown can find and unwind it.

pub(crate) mod idle;
pub(crate) mod lifo;
pub(crate) mod worker;

use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use crossbeam_deque::{Injector, Stealer};
use parking_lot::Mutex;

use crate::coroutine::{Task, current_task};
use crate::reactor::Reactor;
use crate::runtime::monitor::Monitor;
use crate::runtime::wait::Clock;
use crate::thread::{Thread, ThreadId};
use crate::time::{TimerKey, Timers};
use idle::Idle;

/// A runtime's fixed settings.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) workers: usize,
    pub(crate) stack_size: usize,
    pub(crate) guard_pages: bool,
    pub(crate) thread_name: String,
}

/// What a worker exposes to the others.
#[derive(Debug)]
pub(crate) struct Remote {
    /// Steals from the worker's local deque.
    pub(crate) stealer: Stealer<Arc<Task>>,
    /// Takes the green thread out of the worker's LIFO slot, and closes the slot while the
    /// worker is held (the monitor only: [`Shared::retake`]).
    pub(crate) lifo: lifo::Thief<Task>,
    /// Green threads bound to this worker; only it pops from here.
    pub(crate) inbox: Injector<Arc<Task>>,
    /// What it is doing, for the stats and the monitor.
    pub(crate) counters: Counters,
    /// Hand-off slots only: set by the monitor to make the worker in it leave.
    pub(crate) retire: AtomicBool,
}

/// One worker's counters: written only by that worker (a relaxed load and store, no locked
/// instruction), read by anyone. On their own cache lines, so the owner's writes do not
/// slow down the stealers' reads of the neighbouring fields.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct Counters {
    /// The id of the green thread it runs or ran last, 0 once it has gone idle.
    pub(crate) current: AtomicU64,
    /// Green threads resumed (each resume is one switch in and one out); stored by the
    /// worker from its own count.
    pub(crate) switches: AtomicU64,
    /// Successful steals from other workers' queues.
    pub(crate) steals: AtomicU64,
    /// The worker's OS thread id (for the monitor's look at its scheduler statistics).
    pub(crate) tid: std::sync::atomic::AtomicI32,
}

impl Counters {
    /// Adds one; called only by the owning worker.
    #[inline]
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.store(
            counter.load(Ordering::Relaxed).wrapping_add(1),
            Ordering::Relaxed,
        );
    }
}

/// Everything the workers of one runtime share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) injector: Injector<Arc<Task>>,
    pub(crate) remotes: Box<[Remote]>,
    pub(crate) idle: Idle,
    pub(crate) timers: Timers,
    pub(crate) reactor: Reactor,
    /// Bookkeeping time (wait stamps); see [`Clock`].
    pub(crate) clock: Clock,
    pub(crate) monitor: Monitor,
    pub(crate) registry: Registry,
    shutdown: AtomicBool,
}

impl Shared {
    /// `stealers` has one entry per worker slot (its deque's stealer and its LIFO slot's
    /// thief): the regular workers' first, then the hand-off slots', whose queues the
    /// monitor keeps until it starts a worker there.
    pub(crate) fn new(
        config: Config,
        stealers: Vec<(Stealer<Arc<Task>>, lifo::Thief<Task>)>,
        reactor: Reactor,
        monitor: Monitor,
    ) -> Shared {
        let slots = stealers.len();
        let clock = Clock::new(std::time::Instant::now());
        Shared {
            config,
            injector: Injector::new(),
            remotes: stealers
                .into_iter()
                .map(|(stealer, lifo)| Remote {
                    stealer,
                    lifo,
                    inbox: Injector::new(),
                    counters: Counters::default(),
                    retire: AtomicBool::new(false),
                })
                .collect(),
            idle: Idle::new(slots),
            timers: Timers::new(clock.epoch()),
            reactor,
            clock,
            monitor,
            registry: Registry::new(),
            shutdown: AtomicBool::new(false),
        }
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(Ordering::Acquire)
    }

    /// Queues a green thread from outside this runtime's workers.
    pub(crate) fn schedule_remote(&self, task: Arc<Task>) {
        match task.home() {
            Some(home) => {
                self.remotes[home].inbox.push(task);
                self.idle.wake_worker(home, &self.reactor);
            }
            None => {
                self.injector.push(task);
                self.idle.notify_one(&self.reactor);
            }
        }
    }

    /// Worker `w` has run one green thread for a monitor tick without a switch: moves what it
    /// has queued (its LIFO slot and its deque) to the injector for the other workers, and
    /// closes its LIFO slot so that what its green thread wakes from now on goes where others can
    /// steal it. Green threads bound to `w` (`stay_on_worker`) stay in its inbox. Returns
    /// how many green threads moved.
    ///
    /// Go's sysmon does the same for a P whose goroutine is stuck (it retakes the P); here
    /// the worker's queues are ours to hand over, and its running green thread keeps it.
    pub(crate) fn retake(&self, w: usize) -> usize {
        let remote = &self.remotes[w];
        remote.lifo.close();
        let mut moved = 0;
        if let Some(task) = remote.lifo.steal() {
            moved += 1;
            if task.home() == Some(w) {
                remote.inbox.push(task);
            } else {
                self.injector.push(task);
            }
        }
        loop {
            match remote.stealer.steal() {
                crossbeam_deque::Steal::Success(task) => {
                    moved += 1;
                    self.injector.push(task);
                }
                crossbeam_deque::Steal::Retry => {}
                crossbeam_deque::Steal::Empty => break,
            }
        }
        if moved > 0 {
            // One wakes; a worker that takes more than it runs wakes the next.
            self.idle.notify_one(&self.reactor);
        }
        moved
    }

    /// Wakes `thread` at `deadline`; returns the key to cancel it with.
    pub(crate) fn add_timer(&self, deadline: Instant, thread: Thread) -> TimerKey {
        let (key, earliest) = self.timers.insert(deadline, thread);
        if earliest {
            self.reactor.notify();
        }
        key
    }

    /// Starts shutting down (step 1 of `Runtime`'s drop): workers stop picking work.
    pub(crate) fn begin_shutdown(&self) {
        self.shutdown.store(true, Ordering::Release);
        self.idle.wake_all(&self.reactor);
    }

    /// Unwinds every green thread that has not finished, newest first (so scoped and
    /// `block_on` green threads go before the frames they borrow from), until none is left.
    /// Then drops what the queues and timers still hold, breaking the `Task -> Shared`
    /// cycles. Called after every worker has stopped.
    pub(crate) fn unwind_all(&self) {
        loop {
            let mut tasks = self.registry.take_all();
            if tasks.is_empty() {
                break;
            }
            tasks.sort_by_key(|t| std::cmp::Reverse(t.id()));
            for task in tasks {
                // If it is parked, wake it ourselves to take the reference the PARKED state
                // owns (an OS thread's unpark may beat us to it; then that reference is in
                // the injector, drained below).
                let parked_ref = (task.park.wake() == crate::thread::parker::Wake::Schedule)
                    // SAFETY: as in `thread::wake_task`: winning PARKED -> RUNNING hands us
                    // the one reference the PARKED state owned.
                    .then(|| unsafe { Arc::from_raw(Arc::as_ptr(&task)) });
                // SAFETY: every worker has stopped, so no one else runs or touches it.
                unsafe { task.cancel() };
                drop(parked_ref);
            }
        }
        while !self.injector.steal().is_empty() {}
        for remote in self.remotes.iter() {
            while !remote.inbox.steal().is_empty() {}
            // A stopped worker's deque outlives it through its stealer: empty it too.
            while !remote.stealer.steal().is_empty() {}
        }
        self.timers.clear();
    }
}

/// Every unfinished green thread of a runtime, sharded to keep spawns from contending.
#[derive(Debug)]
pub(crate) struct Registry {
    shards: Box<[Shard]>,
}

type Shard = Mutex<ShardInner>;

#[derive(Debug, Default)]
struct ShardInner {
    tasks: HashMap<ThreadId, Arc<Task>, BuildIdHasher>,
    /// Green threads ever inserted here (the stats' `spawned`, summed over shards).
    spawned: u64,
}

const REGISTRY_SHARDS: usize = 16;

/// Hashes a shard's [`ThreadId`]s, and only those: they are unique numbers handed out in
/// sequence, so a multiplication spreads them (no need for SipHash's resistance to chosen
/// keys, which was a quarter of a spawn's instructions). The shard's own residue is divided
/// out first, so that the low bits hashbrown starts its probes from still vary within a
/// shard: consecutive ids land in consecutive buckets' worth of distinct hashes. Keys spaced
/// by a power of two, or keys of several fields (`write_u64` keeps only the last), would hash
/// poorly; neither occurs here.
#[derive(Debug, Default, Clone, Copy)]
struct BuildIdHasher;

impl std::hash::BuildHasher for BuildIdHasher {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

#[derive(Debug)]
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        (self.0 / REGISTRY_SHARDS as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    fn write(&mut self, bytes: &[u8]) {
        // `ThreadId` hashes as one `u64` (below); anything else still hashes correctly.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl Registry {
    fn new() -> Registry {
        Registry {
            shards: (0..REGISTRY_SHARDS).map(|_| Mutex::default()).collect(),
        }
    }

    fn shard(&self, id: ThreadId) -> &Shard {
        &self.shards[id.as_u64() as usize % REGISTRY_SHARDS]
    }

    fn insert(&self, task: Arc<Task>) {
        let mut shard = self.shard(task.id()).lock();
        shard.spawned += 1;
        shard.tasks.insert(task.id(), task);
    }

    fn remove(&self, id: ThreadId) {
        let task = self.shard(id).lock().tasks.remove(&id);
        drop(task);
    }

    fn take_all(&self) -> Vec<Arc<Task>> {
        let mut all = Vec::new();
        for shard in self.shards.iter() {
            all.extend(shard.lock().tasks.drain().map(|(_, t)| t));
        }
        all
    }

    /// Every unfinished green thread, one shard locked at a time.
    pub(crate) fn all(&self) -> Vec<Arc<Task>> {
        let mut all = Vec::new();
        for shard in self.shards.iter() {
            all.extend(shard.lock().tasks.values().cloned());
        }
        all
    }

    /// The green thread with this id, if unfinished.
    pub(crate) fn get(&self, id: ThreadId) -> Option<Arc<Task>> {
        self.shard(id).lock().tasks.get(&id).cloned()
    }

    /// (Green threads ever spawned, unfinished now.)
    pub(crate) fn counts(&self) -> (u64, usize) {
        self.shards.iter().fold((0, 0), |(s, a), shard| {
            let shard = shard.lock();
            (s + shard.spawned, a + shard.tasks.len())
        })
    }
}

/// Creates a green thread running `main` and queues it.
pub(crate) fn spawn<M>(
    shared: &Arc<Shared>,
    name: Option<String>,
    stack_size: usize,
    stay_on_worker: bool,
    main: M,
) -> io::Result<Arc<Task>>
where
    M: FnOnce() + Send + 'static,
{
    let task = Task::new(shared.clone(), name, stack_size, stay_on_worker, main)?;
    #[cfg(feature = "tracing")]
    tracing::debug!(
        target: "greenthread",
        id = task.id().as_u64(),
        name = task.name(),
        stack_size,
        "spawn"
    );
    shared.registry.insert(task.clone());
    schedule(task.clone(), false);
    Ok(task)
}

/// Queues a runnable green thread: on the calling worker if it belongs to the same runtime,
/// else through the injector (or the inbox of the worker it is bound to).
#[inline]
pub(crate) fn schedule(task: Arc<Task>, yielded: bool) {
    if let Some(w) = worker::current() {
        if Arc::ptr_eq(w.shared(), &task.shared) {
            w.schedule_local(task, yielded);
            return;
        }
    }
    let shared = task.shared.clone();
    shared.schedule_remote(task);
}

/// Called by the worker when a green thread it ran has finished.
pub(crate) fn finished(shared: &Shared, task: &Task) {
    shared.registry.remove(task.id());
}

/// The runtime to spawn on: the calling green thread's, or the global default one.
pub(crate) fn current_shared() -> Arc<Shared> {
    if let Some(task) = current_task() {
        return task.shared.clone();
    }
    if let Some(w) = worker::current() {
        return w.shared().clone();
    }
    crate::runtime::global_shared().clone()
}
