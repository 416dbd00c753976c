//! The green thread itself: a corosensei coroutine on a pooled stack, and what the
//! scheduler and wakers need to know about it.
//!
//! # Who touches what
//!
//! A [`Task`] is shared (`Arc`) by its run queue entry, its `Thread` handles, timers and wait
//! queues. Most fields are immutable or atomic. The [`Exclusive`] part (the coroutine, its
//! yielder, its green-thread-locals) is touched only by whoever currently *runs* the green
//! thread:
//!
//! - a worker between popping it from a run queue and the end of [`Task::resume`];
//! - code on the green thread's own stack while it runs;
//! - the runtime's shutdown, after every worker has stopped ([`Task::cancel`]).
//!
//! The park protocol ([`crate::thread::parker`]) guarantees a green thread is in at most one
//! run queue and resumed by at most one worker at a time, and the run queues' and state
//! word's acquire/release pairs order one runner's accesses before the next's.

use std::cell::{Cell, UnsafeCell};
use std::io;
use std::ptr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

use corosensei::{Coroutine, CoroutineResult, Yielder};

use crate::runtime::wait::WaitCell;
use crate::scheduler::Shared;
use crate::stack::{Stack, StackMem};
use crate::sync::waiter::WaiterCache;
use crate::thread::ThreadId;
use crate::thread::local::LocalMap;
use crate::thread::parker::ParkState;

/// Why a green thread handed its worker back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Switch {
    /// `yield_now`: queue me again behind the others.
    Yield,
    /// Park: queue me again only when woken (see the park protocol).
    Park,
}

type Co = Coroutine<(), Switch, (), Stack>;

/// No home worker (a green thread free to migrate, or not started yet).
const NO_HOME: usize = usize::MAX;

/// One green thread.
#[derive(Debug)]
pub(crate) struct Task {
    id: ThreadId,
    name: Option<Box<str>>,
    /// The park state word; see [`crate::thread::parker`].
    pub(crate) park: ParkState,
    /// The token of the user-facing `park`/`unpark`, separate from `park` so that the
    /// runtime's own waits (sleep, join, locks) never consume a user's unpark.
    pub(crate) token: AtomicBool,
    /// The runtime this green thread belongs to.
    pub(crate) shared: Arc<Shared>,
    /// Whether it must stay on the worker it first ran on.
    stay_on_worker: bool,
    /// That worker's index, once known; `NO_HOME` otherwise.
    home: AtomicUsize,
    /// Cancellation, one word so a switch point checks it with one load (see
    /// `thread::cancel`). The state: nothing, a pending `JoinHandle::cancel` (or deadlock)
    /// with its payload, closed for good once the green thread finished, or the runtime
    /// unwinding it at shutdown (its switch points then return at once). Beside it, a flag
    /// set while a panic or cancellation unwinds this green thread (std's own `panicking()`
    /// is per OS thread, so it cannot tell this green thread's unwind from another's on the
    /// same worker).
    pub(crate) cancel_requested: AtomicU8,
    /// What it waits for when parked (dump, stats, deadlock check).
    pub(crate) wait: WaitCell,
    /// The stack it runs on (a copy of the bounds; the `Stack` itself is in the coroutine).
    stack: StackMem,
    /// Entered around every run, so events from the green thread carry its id and name.
    #[cfg(feature = "tracing")]
    span: tracing::Span,
    own: Exclusive,
}

/// The parts of a green thread only its current runner may touch (module docs).
struct Exclusive {
    co: UnsafeCell<Option<Co>>,
    yielder: Cell<*const Yielder<(), Switch>>,
    locals: UnsafeCell<LocalMap>,
    /// Spare waiters for its blocking channel operations (`channel::spare`).
    waiters: WaiterCache,
}

// SAFETY: the one `Send` argument of the crate, for the coroutine a green thread owns.
// [1] corosensei's `Coroutine` is `!Send` because values on its stack might be `!Send`.
// The closure that starts it is `Send` (spawn requires it), and everything else on the
// stack was created by that closure's own code. [2] Only one OS thread ever runs or touches
// a green thread at a time (module docs), and each hand-over goes through an acquire/release
// pair, so a `!Send` value on the stack (an `Rc`, a `RefCell`) is never used by two threads at
// once and is seen consistently by the next. [3] What stays unsound in general is state tied
// to an OS thread's identity held across a switch point: thread-local addresses, and
// primitives that must be released by the thread that took them (`std::sync::MutexGuard`).
// That is the documented caveat of every stackful runtime (crate docs, "Caveats"); the
// runtime reads its own thread-locals fresh after every switch, and `stay_on_worker` pins
// a green thread to one OS thread for code that needs it.
unsafe impl Send for Exclusive {}
// SAFETY: `&Exclusive` is shared (through `Arc<Task>`) but its cells are only accessed by
// the current runner, one thread at a time, per [2] above.
unsafe impl Sync for Exclusive {}

impl std::fmt::Debug for Exclusive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Exclusive { .. }")
    }
}

std::thread_local! {
    /// The green thread running on this OS thread, null when none.
    static CURRENT: Cell<*const Task> = const { Cell::new(ptr::null()) };
}

/// The green thread running on this OS thread, if any.
///
/// Never inlined, and never cached by callers across a switch point: a green thread can
/// resume on another worker, and the compiler may otherwise reuse the thread-local's address
/// computed before the switch (rust-lang/unsafe-code-guidelines#602).
#[inline(never)]
pub(crate) fn current_task() -> Option<&'static Task> {
    let p = CURRENT.try_with(Cell::get).unwrap_or(ptr::null());
    // SAFETY: CURRENT is non-null only between `Task::resume`'s set and reset, or during
    // `Task::cancel`, i.e. while code runs on that task's stack or tears it down. The task is
    // kept alive by the runtime's registry until its coroutine has returned or been unwound,
    // so it outlives every frame that can observe this reference. The crate never stores the
    // reference beyond the green thread's own frames.
    unsafe { p.as_ref() }
}

/// [`current_task`] for the fault handler: no lazy initialisation, no allocation.
pub(crate) fn current_task_in_signal() -> Option<&'static Task> {
    current_task()
}

/// Sets CURRENT for the lifetime of the guard.
///
/// Inlined: it runs on the worker's own stack (in `resume`, around the switch, or in
/// `cancel`), which never migrates, so the thread-local's address cannot go stale here. Only
/// reads from code on a green thread's stack need the never-inlined accessor.
struct SetCurrent(*const Task);

impl SetCurrent {
    #[inline]
    fn new(task: &Task) -> SetCurrent {
        SetCurrent(CURRENT.with(|c| c.replace(task)))
    }
}

impl Drop for SetCurrent {
    #[inline]
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.0));
    }
}

/// What became of a green thread after one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunResult {
    Switched(Switch),
    Finished,
}

impl Task {
    /// Creates a green thread that will run `f` (which must not unwind: the spawn layer
    /// catches panics) on a stack of `stack_size` bytes.
    pub(crate) fn new<F>(
        shared: Arc<Shared>,
        name: Option<String>,
        stack_size: usize,
        stay_on_worker: bool,
        f: F,
    ) -> io::Result<Arc<Task>>
    where
        F: FnOnce() + Send + 'static,
    {
        let stack = Stack::new(stack_size, shared.config.guard_pages)?;
        let mem = stack.mem();
        let co = Coroutine::with_stack(stack, move |yielder: &Yielder<(), Switch>, ()| {
            let task = current_task().expect("a green thread starts inside Task::resume");
            task.own.yielder.set(yielder);
            f();
            // Green-thread-locals die with their green thread, on its own stack, as std's
            // thread-locals do on theirs: the spawn layer drops them before it reports the
            // result (`thread::builder`); this drops any made again by their destructors.
            drop(task.with_locals(std::mem::take));
            // Each spare holds a handle to this green thread: break the cycle.
            task.own.waiters.clear();
        });
        let id = ThreadId::new();
        #[cfg(feature = "tracing")]
        // A root span: a green thread outlives the one that spawned it.
        let span = tracing::debug_span!(
            target: "greenthread",
            parent: None,
            "green_thread",
            id = id.as_u64(),
            name = name.as_deref()
        );
        Ok(Arc::new(Task {
            id,
            #[cfg(feature = "tracing")]
            span,
            name: name.map(String::into_boxed_str),
            park: ParkState::new(),
            token: AtomicBool::new(false),
            shared,
            stay_on_worker,
            home: AtomicUsize::new(NO_HOME),
            cancel_requested: AtomicU8::new(0),
            wait: WaitCell::new(),
            stack: mem,
            own: Exclusive {
                co: UnsafeCell::new(Some(co)),
                yielder: Cell::new(ptr::null()),
                locals: UnsafeCell::new(LocalMap::default()),
                waiters: WaiterCache::default(),
            },
        }))
    }

    pub(crate) fn id(&self) -> ThreadId {
        self.id
    }

    pub(crate) fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    pub(crate) fn stack(&self) -> StackMem {
        self.stack
    }

    /// The worker this green thread must run on, if it is bound to one.
    #[inline]
    pub(crate) fn home(&self) -> Option<usize> {
        match self.home.load(Ordering::Relaxed) {
            NO_HOME => None,
            w => Some(w),
        }
    }

    /// Whether it must stay on the first worker it runs on and has not run yet.
    #[inline]
    pub(crate) fn wants_home(&self) -> bool {
        self.stay_on_worker && self.home.load(Ordering::Relaxed) == NO_HOME
    }

    /// Whether the runtime is unwinding this green thread (shutdown).
    #[inline]
    pub(crate) fn is_cancelling(&self) -> bool {
        self.cancel_requested.load(Ordering::Relaxed) & !crate::thread::cancel::UNWINDING
            == crate::thread::cancel::SHUTDOWN
    }

    /// Runs the green thread on the calling worker until it switches out or finishes.
    ///
    /// # Safety
    ///
    /// The caller must be its current runner (module docs): it took the task from a run
    /// queue (or just created it) and no one else can resume it until this returns.
    #[inline]
    pub(crate) unsafe fn resume(&self, worker: usize) -> RunResult {
        if self.stay_on_worker && self.home.load(Ordering::Relaxed) == NO_HOME {
            self.home.store(worker, Ordering::Relaxed);
        }
        // SAFETY: exclusive access per this function's contract.
        let co = unsafe { &mut *self.own.co.get() };
        let Some(co) = co.as_mut() else {
            return RunResult::Finished;
        };
        let result = {
            #[cfg(feature = "tracing")]
            let _span = self.span.enter();
            let _current = SetCurrent::new(self);
            co.resume(())
        };
        if !self.stack.canary_intact() {
            crate::stack::overflow::report(self, "its canary was overwritten");
        }
        match result {
            CoroutineResult::Yield(switch) => RunResult::Switched(switch),
            CoroutineResult::Return(()) => {
                // SAFETY: still the exclusive runner. Dropping the finished coroutine gives
                // its stack back to the pool now rather than when the last handle goes.
                unsafe { *self.own.co.get() = None };
                self.park.finish();
                RunResult::Finished
            }
        }
    }

    /// Unwinds a green thread that will never run again (runtime shutdown): its stack's
    /// destructors run on the calling thread, as if it panicked at its switch point.
    ///
    /// # Safety
    ///
    /// As for [`Task::resume`]: the caller is the only one who can touch it (every worker
    /// has stopped).
    pub(crate) unsafe fn cancel(&self) {
        self.cancel_requested
            .store(crate::thread::cancel::SHUTDOWN, Ordering::Relaxed);
        let _current = SetCurrent::new(self);
        // SAFETY: exclusive access per this function's contract. Taking the coroutine out
        // first means code running during the unwind cannot reach it through the task.
        let co = unsafe { (*self.own.co.get()).take() };
        drop(co);
        // SAFETY: exclusive access per this function's contract (no worker runs this task, and
        // the coroutine is gone); locals are dropped with the green thread, like std's TLS.
        drop(unsafe { std::mem::take(&mut *self.own.locals.get()) });
        self.own.waiters.clear();
        self.park.finish();
    }

    /// Suspends the running green thread, handing its worker back with `switch`.
    ///
    /// Must be called on the green thread's own stack (`self` is [`current_task`]). Returns
    /// when a worker resumes it, possibly another one. Returns at once while the runtime is
    /// unwinding it. With `cancellable`, a pending cancellation unwinds from here instead of
    /// suspending (`thread::cancel`); the same load answers both.
    #[inline]
    pub(crate) fn suspend(&self, switch: Switch, cancellable: bool) {
        let word = self.cancel_requested.load(Ordering::Relaxed);
        if word != crate::thread::cancel::NONE && self.cancel_point(word, cancellable) {
            return;
        }
        let sp = &switch as *const Switch as usize;
        if self.stack.sp_too_low(sp) {
            crate::stack::overflow::report(self, "its stack pointer passed the limit");
        }
        let yielder = self.own.yielder.get();
        // SAFETY: we are on this task's stack (the caller's contract), so we are its runner
        // and the yielder pointer, set when the coroutine started, points into the
        // coroutine's own initial frame, which lives as long as the coroutine runs.
        unsafe { (*yielder).suspend(switch) };
    }

    /// A destructor switches out while the green thread unwinds. std counts panics in
    /// progress per OS thread (`std::thread::panicking`, and the count `catch_unwind` lowers
    /// when the unwind ends), so the unwind must end on the OS thread it began on: from here
    /// on the green thread stays on this worker (its `home`), like `stay_on_worker`. (Known
    /// by the `UNWINDING` flag of the cancellation word: unwinds started by `panic!` or by the
    /// crate. One started by the user's own `resume_unwind` is not seen; see the crate
    /// docs' caveats.)
    #[cold]
    #[inline(never)]
    fn bind_while_unwinding(&self) {
        if let Some(w) = crate::scheduler::worker::current() {
            self.home.store(w.index(), Ordering::Relaxed);
        }
    }

    /// Forgets a binding to worker slot `index` (a hand-off worker leaving).
    pub(crate) fn unbind_from(&self, index: usize) {
        let _ = self
            .home
            .compare_exchange(index, NO_HOME, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// [`Task::suspend`]'s rare path: `true` means "return at once" (shutdown unwinding);
    /// a pending cancellation is raised from here when `cancellable`.
    #[cold]
    #[inline(never)]
    fn cancel_point(&self, word: u8, cancellable: bool) -> bool {
        use crate::thread::cancel::{SHUTDOWN, UNWINDING};
        if word & UNWINDING != 0 {
            self.bind_while_unwinding();
        }
        if word & !UNWINDING == SHUTDOWN {
            return true;
        }
        if cancellable {
            crate::thread::cancel::check(self);
        }
        false
    }

    /// The spare waiters of this green thread's blocking channel operations.
    ///
    /// Must be called on the green thread's own stack (the cache is not thread-safe).
    #[inline]
    pub(crate) fn waiters(&self) -> &WaiterCache {
        &self.own.waiters
    }

    /// Runs `f` with this green thread's locals.
    ///
    /// Must be called on the green thread's own stack. `f` must not be given a way to call
    /// `with_locals` again while it holds the map: the caller (`LocalKey`) only looks up and
    /// inserts, and never holds the borrow while user code runs.
    pub(crate) fn with_locals<R>(&self, f: impl FnOnce(&mut LocalMap) -> R) -> R {
        // SAFETY: only the running green thread reaches here (the caller's contract), and
        // the borrow ends before `f` returns, so no two `&mut` coexist.
        f(unsafe { &mut *self.own.locals.get() })
    }
}

/// The running green thread as a new `Arc`, if any.
#[inline]
pub(crate) fn current_arc() -> Option<Arc<Task>> {
    let task = current_task()?;
    let p: *const Task = task;
    // SAFETY: every `Task` is created inside an `Arc` by `Task::new` and never moved out of
    // it, so `p` is the pointer of a live `Arc<Task>` (live: the registry holds one while the
    // green thread runs). Incrementing its strong count first makes `from_raw` hand us our
    // own reference without taking anyone else's.
    unsafe {
        Arc::increment_strong_count(p);
        Some(Arc::from_raw(p))
    }
}
