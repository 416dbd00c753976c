//! One worker: the loop that runs green threads on an OS thread.
//!
//! The loop: pick a green thread ([`Worker::next_task`], then [`Worker::search`]), resume it
//! until it switches out, put it where its switch says (back of the queue for a yield;
//! nowhere for a committed park, see [`crate::thread::parker`]), repeat. With nothing to run
//! it sleeps ([`Worker::park`], roles in [`super::idle`]).

use std::cell::Cell;
use std::ptr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use crossbeam_deque::{Steal, Stealer, Worker as Deque};

use super::idle::Role;
use super::lifo;
use super::{Counters, Shared};
use crate::coroutine::{RunResult, Switch, Task};
use crate::runtime::monitor::retiring;
use crate::stack::overflow::AltStack;

/// Green threads taken from the LIFO slot in a row before the queue gets a turn.
pub(crate) const MAX_LIFO_STREAK: u32 = 3;

/// How long an idle worker watches for new work before it sleeps.
const SPIN: std::time::Duration = std::time::Duration::from_micros(20);

/// Every this many picks, look at the inbox, the injector and the timers first.
const FAIRNESS_INTERVAL: u32 = 61;

/// The state of one worker, owned by its OS thread.
pub(crate) struct Worker {
    index: usize,
    shared: Arc<Shared>,
    /// The stealable FIFO queue.
    local: Deque<Arc<Task>>,
    /// The green thread woken last by this worker, run next (not stealable; only the
    /// monitor takes it away, from a worker held by a green thread that does not switch).
    lifo: lifo::Owner<Task>,
    /// LIFO picks in a row.
    lifo_streak: Cell<u32>,
    /// Green threads resumed so far (published as the `switches` counter).
    tick: Cell<u64>,
    /// Picks until the next look at the shared queues and timers first.
    fair_in: Cell<u32>,
    rng: Cell<u64>,
    /// Whether this worker is counted in `Idle::searching`.
    searching: Cell<bool>,
    /// A hand-off worker (in a spare slot): it retires when told, and leaves green threads
    /// that must stay on their first worker to the regular ones.
    spare: bool,
}

std::thread_local! {
    /// The worker running on this OS thread, null elsewhere.
    static CURRENT: Cell<*const Worker> = const { Cell::new(ptr::null()) };
}

/// The worker of the calling OS thread, if it is one.
///
/// Never inlined, and the result must not be kept across a switch point: a green thread
/// that switches out may resume on another worker (crate docs, "Caveats").
#[inline(never)]
pub(crate) fn current() -> Option<&'static Worker> {
    let p = CURRENT.try_with(Cell::get).unwrap_or(ptr::null());
    // SAFETY: CURRENT is non-null only while `Worker::run` executes on this OS thread, and
    // points at the `Worker` on that function's frame, which outlives every caller on this
    // thread (green threads run inside that frame's loop). Callers do not keep the
    // reference past a switch point or past the call that obtained it.
    unsafe { p.as_ref() }
}

/// What a worker slot owns and only the worker in it uses: its stealable deque and its
/// side of the LIFO slot. Given to the worker's OS thread and handed back when it stops (a
/// hand-off slot keeps them for its next worker).
#[derive(Debug)]
pub(crate) struct Local {
    deque: Deque<Arc<Task>>,
    lifo: lifo::Owner<Task>,
}

impl Local {
    /// A worker slot's queues, and what the others see of them.
    pub(crate) fn new() -> (Local, Stealer<Arc<Task>>, lifo::Thief<Task>) {
        let deque = Deque::new_fifo();
        let stealer = deque.stealer();
        let (lifo, thief) = lifo::new();
        (Local { deque, lifo }, stealer, thief)
    }
}

struct Enter;

impl Drop for Enter {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(ptr::null()));
    }
}

impl Worker {
    /// The body of worker OS thread `index` (a regular worker, or a hand-off worker in a spare
    /// slot, which also stops when told to retire). Returns its deque, empty.
    pub(crate) fn run(shared: Arc<Shared>, index: usize, local: Local) -> Local {
        let _alt_stack = AltStack::ensure();
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() };
        shared.remotes[index]
            .counters
            .tid
            .store(tid, Ordering::Relaxed);
        let spare = index >= shared.config.workers;
        // A hand-off slot may have had a worker before: its count goes on from there.
        let switches = shared.remotes[index]
            .counters
            .switches
            .load(Ordering::Relaxed);
        let worker = Worker {
            index,
            shared,
            local: local.deque,
            lifo: local.lifo,
            lifo_streak: Cell::new(0),
            tick: Cell::new(switches),
            fair_in: Cell::new(FAIRNESS_INTERVAL),
            rng: Cell::new(0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1)),
            searching: Cell::new(false),
            spare,
        };
        CURRENT.with(|c| c.set(&worker));
        let enter = Enter;
        while !worker.shared.is_shutdown() && !worker.retiring() {
            match worker.next_task().or_else(|| worker.search()) {
                Some(task) => {
                    worker.stop_searching();
                    worker.run_task(task);
                }
                None => worker.park(),
            }
        }
        drop(enter);
        worker.leave()
    }

    /// After the loop: a retiring hand-off worker gives what it has queued to the others.
    /// (At shutdown the queues are drained by the runtime instead.)
    fn leave(self) -> Local {
        self.stop_searching();
        let counters = &self.shared.remotes[self.index].counters;
        counters.current.store(0, Ordering::Relaxed);
        let shared = &self.shared;
        let inbox = &shared.remotes[self.index].inbox;
        while let Some(task) = self.lifo.take().or_else(|| self.local.pop()).or_else(|| {
            std::iter::repeat_with(|| inbox.steal())
                .find(|s| !s.is_retry())
                .and_then(Steal::success)
        }) {
            // Bound to this slot while unwinding (`Task::suspend`): the slot is going away.
            task.unbind_from(self.index);
            shared.injector.push(task);
        }
        // Wake an idle worker even with nothing moved: if this one was the poller, the role
        // is vacant, and a woken worker that finds nothing takes it again.
        shared.idle.notify_one(&shared.reactor);
        Local {
            deque: self.local,
            lifo: self.lifo,
        }
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// This worker's slot index.
    pub(crate) fn index(&self) -> usize {
        self.index
    }

    /// Queues a green thread of this runtime from code running on this worker.
    #[inline]
    pub(crate) fn schedule_local(&self, task: Arc<Task>, yielded: bool) {
        if let Some(home) = task.home() {
            if home != self.index {
                self.shared.remotes[home].inbox.push(task);
                self.shared.idle.wake_worker(home, &self.shared.reactor);
                return;
            }
        }
        if yielded {
            self.push_back(task);
            return;
        }
        match self.lifo.replace(task) {
            Ok(None) => {}
            // Closed: the running green thread has not switched for a monitor tick, and
            // what it wakes would wait behind it in the LIFO slot. Queue it where idle
            // workers can steal it instead (unless it is bound here).
            Ok(Some(task)) | Err(task) => {
                self.push_back(task);
                self.shared.idle.notify_one(&self.shared.reactor);
            }
        }
    }

    /// Back of this worker's queue: the stealable deque, or the inbox for green threads
    /// bound here.
    fn push_back(&self, task: Arc<Task>) {
        if task.home() == Some(self.index) {
            self.shared.remotes[self.index].inbox.push(task);
        } else {
            self.local.push(task);
        }
    }

    /// The next green thread from this worker's own queues (and, every 61st pick, the
    /// shared ones first).
    fn next_task(&self) -> Option<Arc<Task>> {
        if self.fair_turn() {
            self.fire_timers();
            // Pick up ready I/O even when no worker goes idle to poll (Go does the same).
            self.shared.reactor.poll_ready();
            if let Some(t) = self.pop_inbox().or_else(|| self.steal_injector()) {
                return Some(t);
            }
        }
        if let Some(t) = self.lifo.take() {
            let streak = self.lifo_streak.get();
            if streak < MAX_LIFO_STREAK {
                self.lifo_streak.set(streak + 1);
                return Some(t);
            }
            if self.nothing_queued() {
                // No one to be fair to: a new streak (checked again after MAX_LIFO_STREAK).
                self.lifo_streak.set(0);
                return Some(t);
            }
            self.push_back(t);
        }
        self.lifo_streak.set(0);
        self.local.pop().or_else(|| self.pop_inbox())
    }

    /// Moves a batch of waiting injector work into the local queue.
    fn pull_shared(&self) {
        if !self.shared.injector.is_empty() {
            let _ = self.shared.injector.steal_batch(&self.local);
        }
    }

    fn pop_inbox(&self) -> Option<Arc<Task>> {
        loop {
            match self.shared.remotes[self.index].inbox.steal() {
                Steal::Success(t) => return Some(t),
                Steal::Empty => return None,
                Steal::Retry => {}
            }
        }
    }

    fn steal_injector(&self) -> Option<Arc<Task>> {
        loop {
            match self.shared.injector.steal_batch_and_pop(&self.local) {
                Steal::Success(t) => {
                    if !self.local.is_empty() {
                        // We took more than we run now: let an idle worker share the batch.
                        self.shared.idle.notify_one(&self.shared.reactor);
                    }
                    return Some(t);
                }
                Steal::Empty => return None,
                Steal::Retry => {}
            }
        }
    }

    /// Own queues are empty: fire due timers, then look in the shared queues and steal.
    fn search(&self) -> Option<Arc<Task>> {
        if self.fire_timers() {
            if let Some(t) = self.lifo.take().or_else(|| self.local.pop()) {
                return Some(t);
            }
        }
        if !self.searching.replace(true) {
            self.shared.idle.start_searching();
        }
        self.steal_work()
    }

    /// Leaves the searching count (found work, or about to sleep).
    ///
    /// While a worker searches, producers skip waking anyone (`Idle::notify_one`), trusting
    /// the searcher to find their work. So the last searcher to leave must look once more:
    /// work pushed to the injector after it took its own (whose producer saw it searching),
    /// or the rest of a batch it took, gets another worker woken. Its decrement and the
    /// producer's push are ordered by `SeqCst` on both sides, so one of them sees the other.
    fn stop_searching(&self) {
        if self.searching.replace(false) {
            let last = self.shared.idle.stop_searching();
            if last && (!self.local.is_empty() || !self.shared.injector.is_empty()) {
                self.shared.idle.notify_one(&self.shared.reactor);
            }
        }
    }

    fn steal_work(&self) -> Option<Arc<Task>> {
        let remotes = &self.shared.remotes;
        let n = remotes.len();
        for _ in 0..3 {
            let mut retry = false;
            if let Some(t) = self.pop_inbox() {
                return Some(t);
            }
            match self.shared.injector.steal_batch_and_pop(&self.local) {
                Steal::Success(t) => return Some(t),
                Steal::Retry => retry = true,
                Steal::Empty => {}
            }
            let start = self.random() as usize % n;
            for i in 0..n {
                let victim = (start + i) % n;
                if victim == self.index {
                    continue;
                }
                match remotes[victim].stealer.steal_batch_and_pop(&self.local) {
                    Steal::Success(t) => {
                        Counters::bump(&remotes[self.index].counters.steals);
                        return Some(t);
                    }
                    Steal::Retry => retry = true,
                    Steal::Empty => {}
                }
            }
            if !retry {
                break;
            }
        }
        None
    }

    #[inline]
    fn run_task(&self, task: Arc<Task>) {
        if self.spare && task.wants_home() {
            // A hand-off worker is temporary: a green thread that must stay on the worker it
            // starts on waits for the regular worker this one stands in for instead.
            self.hand_to_regular(task);
            return;
        }
        // Left set after the green thread switches out: the worker clears it when it goes
        // idle (`park`), which saves a store per switch. Readers check the green thread's
        // own state (a parked or finished one is not running).
        let counters = &self.shared.remotes[self.index].counters;
        counters
            .current
            .store(task.id().as_u64(), Ordering::Relaxed);
        loop {
            let tick = self.tick.get() + 1;
            self.tick.set(tick);
            counters.switches.store(tick, Ordering::Relaxed);
            // SAFETY: the task came out of a run queue (or the LIFO slot), so this worker is
            // its only runner until it switches out (park protocol, crate::thread::parker).
            let result = unsafe { task.resume(self.index) };
            // It switched: a stall the monitor saw is over.
            self.lifo.reopen();
            match result {
                RunResult::Switched(Switch::Yield) => {
                    if self.nothing_else_to_run() {
                        // Queueing it would only hand it straight back.
                        continue;
                    }
                    // Yielding means "after everything else that is runnable": let work
                    // waiting in the shared queues in ahead of it, not just this worker's own.
                    self.pull_shared();
                    self.push_back(task);
                }
                RunResult::Switched(Switch::Park) => {
                    if task.park.commit_park() {
                        // Parked: our reference becomes the one the PARKED state owns, which
                        // its next waker takes over (`thread::wake_task`). Handing it over
                        // instead of dropping it here and cloning it there saves two atomic
                        // read-modify-writes per park.
                        std::mem::forget(task);
                    } else {
                        // Woken between deciding to park and suspending: run it again later.
                        self.push_back(task);
                    }
                }
                RunResult::Finished => super::finished(&self.shared, &task),
            }
            return;
        }
    }

    /// Whether this is a hand-off worker told to leave.
    #[inline]
    fn retiring(&self) -> bool {
        self.spare && retiring(&self.shared, self.index)
    }

    /// Counts a pick; `true` every [`FAIRNESS_INTERVAL`]th (a countdown: cheaper than a
    /// division on the yield path).
    #[inline]
    fn fair_turn(&self) -> bool {
        let n = self.fair_in.get() - 1;
        if n == 0 {
            self.fair_in.set(FAIRNESS_INTERVAL);
            true
        } else {
            self.fair_in.set(n);
            false
        }
    }

    /// Passes a green thread that must stay on its first worker to a regular worker's inbox.
    #[cold]
    fn hand_to_regular(&self, task: Arc<Task>) {
        // Prefer a regular worker that is idle (not the blocked one this one stands in for).
        let workers = self.shared.config.workers;
        let w = (0..workers)
            .find(|&w| {
                self.shared.remotes[w]
                    .counters
                    .current
                    .load(Ordering::Relaxed)
                    == 0
            })
            .unwrap_or_else(|| (self.random() as usize) % workers);
        self.shared.remotes[w].inbox.push(task);
        self.shared.idle.wake_worker(w, &self.shared.reactor);
    }

    /// Whether this worker's queues and the shared injector are empty (so the LIFO slot has
    /// no one to be fair to).
    #[inline]
    fn nothing_queued(&self) -> bool {
        self.local.is_empty()
            && self.shared.injector.is_empty()
            && self.shared.remotes[self.index].inbox.is_empty()
    }

    /// After a yield: whether nothing else could run on this worker now. Counts as a pick,
    /// so the periodic timer check still happens for a green thread that yields alone.
    #[inline]
    fn nothing_else_to_run(&self) -> bool {
        if self.fair_turn() {
            self.fire_timers();
            self.shared.reactor.poll_ready();
        }
        self.lifo.is_empty() && self.nothing_queued() && !self.shared.is_shutdown()
    }

    /// Fires due timers (their green threads land in this worker's queues); returns whether
    /// any fired.
    fn fire_timers(&self) -> bool {
        let timers = &self.shared.timers;
        let now = Instant::now();
        let at = self.shared.clock.at(now);
        self.shared.clock.observe_at(at);
        if !timers.is_due(at) {
            return false;
        }
        let due = timers.fire_due(now);
        let any = !due.is_empty();
        for thread in due {
            thread.wake();
        }
        any
    }

    /// Whether work appeared anywhere this worker could take it.
    fn has_work(&self) -> bool {
        let shared = &self.shared;
        shared.is_shutdown()
            || self.retiring()
            || !shared.injector.is_empty()
            || !shared.remotes[self.index].inbox.is_empty()
            || shared
                .remotes
                .iter()
                .enumerate()
                .any(|(i, r)| i != self.index && !r.stealer.is_empty())
    }

    /// Nothing to run: sleep until there may be (see `super::idle`).
    fn park(&self) {
        self.shared.remotes[self.index]
            .counters
            .current
            .store(0, Ordering::Relaxed);
        if self.spin_for_work() {
            return;
        }
        self.stop_searching();
        let idle = &self.shared.idle;
        let Some(role) = idle.prepare_sleep(self.index) else {
            return;
        };
        if self.has_work() {
            self.searching.set(idle.cancel_sleep(self.index, role));
            return;
        }
        let counted = match role {
            Role::Sleeper => idle.sleep(self.index),
            Role::Poller => {
                let timeout = self.shared.timers.begin_poll(Instant::now());
                self.shared.reactor.wait(timeout);
                self.shared.timers.end_poll();
                let counted = idle.end_poll();
                self.fire_timers();
                counted
            }
        };
        // Woken by `notify_one`: the waker counted us as searching already.
        self.searching.set(counted);
    }

    /// Before sleeping, watches the queues for a short, bounded time ([`SPIN`]), counted as
    /// searching so producers do not wake anyone meanwhile. Falling asleep and being woken
    /// costs two system calls and a context switch; under a steady stream of new work
    /// (a spawning loop, an accept loop) the next item usually arrives within microseconds.
    /// Returns whether work appeared.
    fn spin_for_work(&self) -> bool {
        if !self.searching.replace(true) {
            self.shared.idle.start_searching();
        }
        let deadline = Instant::now() + SPIN;
        loop {
            for _ in 0..16 {
                std::hint::spin_loop();
            }
            if self.has_work() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
        }
    }

    fn random(&self) -> u64 {
        // xorshift64*: victim selection only needs to be spread, not unpredictable.
        let mut x = self.rng.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}
