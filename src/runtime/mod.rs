//! [`Runtime`]: a set of worker OS threads running green threads, and the global default one.
//!
//! # Shutdown
//!
//! Dropping a `Runtime` shuts it down in these steps:
//!
//! 1. Mark it shutting down and wake every worker (sleepers and the poller).
//! 2. Each worker finishes the green thread it is running up to its next switch point, then
//!    stops; no green thread is resumed after that. (A green thread that never reaches a
//!    switch point holds this step up, as a never-returning function would `join`.)
//! 3. Join the worker OS threads.
//! 4. Unwind every green thread that has not finished, newest first, on the dropping thread:
//!    each is resumed one last time with an unwind from its switch point, so the destructors
//!    on its stack run (locks are released, buffers freed), and its `join` returns
//!    `Err(`[`Cancelled::Shutdown`](crate::Cancelled::Shutdown)`)`. Green threads that never started just drop
//!    their closure. While unwinding, switch points return at once instead of parking.
//! 5. Drop the queues, timers and the reactor.
//!
//! Known limit of step 4: a wait that must complete while its green thread unwinds (a
//! [`Condvar`](crate::sync::Condvar) wait re-acquiring its mutex, so the guard on the stack
//! stays valid) blocks the OS thread doing the shutdown. If the mutex is held by a green
//! thread not unwound yet (an older one, holding it across a switch point), shutdown waits
//! for ever. Green threads holding a lock across a switch point while others wait on it with
//! a condvar should be finished, not left for shutdown to unwind.
//!
//! The global runtime (used by `greenthread::spawn` on OS threads) is never dropped: at
//! process exit its green threads simply stop, like OS threads at the end of `main`.
//!
//! Dropping a runtime from one of its own green threads cannot join the worker it runs on,
//! so it hands the shutdown to a fresh OS thread and returns; that green thread is unwound
//! at its next switch point.

pub(crate) mod dump;
pub(crate) mod monitor;
pub(crate) mod report;
pub(crate) mod stats;
pub(crate) mod wait;

use std::io;
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle as OsJoinHandle;
use std::time::Duration;

pub use dump::{Snapshot, ThreadInfo, ThreadState};
pub use monitor::DEFAULT_WATCHDOG;
pub use report::{DeadlockAction, Report};
pub use stats::{ParkedBy, StackStats, Stats};
pub use wait::WaitReason;

use crate::coroutine::current_task;
use crate::reactor::Reactor;
use crate::scheduler::worker::{Local, Worker};
use crate::scheduler::{Config, Shared};
use crate::stack::{self, DEFAULT_STACK_SIZE};
use crate::thread::{self, JoinHandle};
use monitor::{Monitor, MonitorConfig};

/// A green-thread runtime: worker OS threads, their run queues, timers and reactor.
///
/// Most programs never create one: [`spawn`](crate::spawn) starts the global runtime on first
/// use. Create one for isolation (tests, embedding, a runtime per subsystem) or to choose the
/// number of workers and the stack size.
///
/// # Examples
///
/// ```
/// let rt = greenthread::Runtime::builder().workers(2).build()?;
/// let data = vec![1, 2, 3];
/// // block_on may borrow: `data` outlives the call.
/// let sum = rt.block_on(|| data.iter().sum::<i32>());
/// assert_eq!(sum, 6);
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug)]
pub struct Runtime {
    shared: Arc<Shared>,
    workers: Vec<OsJoinHandle<Local>>,
    monitor: Option<OsJoinHandle<()>>,
}

/// Configures a [`Runtime`].
///
/// # Examples
///
/// ```
/// let rt = greenthread::Runtime::builder()
///     .workers(2)
///     .stack_size(128 * 1024)
///     .thread_name("app".into())
///     .build()?;
/// assert_eq!(rt.workers(), 2);
/// assert_eq!(rt.block_on(|| "done"), "done");
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a Builder does nothing until build is called"]
pub struct Builder {
    workers: Option<usize>,
    stack_size: usize,
    thread_name: String,
    guard_pages: bool,
    monitor: MonitorConfig,
}

impl Default for Builder {
    fn default() -> Builder {
        Builder {
            workers: None,
            stack_size: DEFAULT_STACK_SIZE,
            thread_name: "greenthread-worker".into(),
            guard_pages: true,
            monitor: MonitorConfig {
                dump_on_sigquit: false,
                watchdog: Some(DEFAULT_WATCHDOG),
                handoff: false,
                deadlock: DeadlockAction::Report,
                on_report: None,
            },
        }
    }
}

impl Builder {
    /// The number of worker OS threads (default: the available parallelism).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = greenthread::Runtime::builder()
    ///     .workers(1)
    ///     .thread_name("my-pool".to_string())
    ///     .build()?;
    /// assert_eq!(rt.workers(), 1);
    /// let name = rt.block_on(|| std::thread::current().name().map(String::from));
    /// assert_eq!(name.as_deref(), Some("my-pool-0"));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn workers(mut self, n: usize) -> Builder {
        self.workers = Some(n);
        self
    }

    /// The default stack size of this runtime's green threads (default 256 KiB), rounded up
    /// to whole pages and at least 16 KiB. `thread::Builder::stack_size` overrides it per
    /// green thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = greenthread::Runtime::builder().workers(1).stack_size(64 * 1024).build()?;
    /// let v = rt.block_on(|| [7u8; 16 * 1024].iter().map(|&b| b as u32).sum::<u32>());
    /// assert_eq!(v, 7 * 16 * 1024);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn stack_size(mut self, bytes: usize) -> Builder {
        self.stack_size = bytes;
        self
    }

    /// The name prefix of the worker OS threads (default `greenthread-worker`; workers are
    /// named `<prefix>-0`, `<prefix>-1`, ...).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = greenthread::Runtime::builder().workers(1).thread_name("io".into()).build()?;
    /// let name = rt.block_on(|| std::thread::current().name().map(String::from));
    /// assert_eq!(name.as_deref(), Some("io-0"));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn thread_name(mut self, name: String) -> Builder {
        self.thread_name = name;
        self
    }

    /// Whether stacks get a guard page (default: yes, until the process-wide budget of
    /// guarded stacks is spent; see the crate docs on stacks). With `false` this runtime's
    /// stacks are always compact: two kernel mappings per 128 MiB slab instead of two per
    /// stack, for millions of green threads, with overflow caught by a canary at the next
    /// switch instead of at once.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = greenthread::Runtime::builder().workers(1).guard_pages(false).build()?;
    /// assert_eq!(rt.block_on(|| 1 + 1), 2);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn guard_pages(mut self, guard: bool) -> Builder {
        self.guard_pages = guard;
        self
    }

    /// The blocking watchdog: report a green thread that holds its worker without reaching a
    /// switch point for longer than `threshold` (default [`DEFAULT_WATCHDOG`], 100 ms);
    /// `None` turns it off. The report names the green thread, says whether it computes or
    /// is blocked in a call, and suggests [`unblock`](crate::unblock); it comes within about
    /// 1.5 times the threshold. A worker that was mostly waiting for a CPU (an overloaded
    /// machine) is not reported.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let quiet = greenthread::Runtime::builder().watchdog(None).build()?;
    /// let strict = greenthread::Runtime::builder()
    ///     .watchdog(Some(Duration::from_millis(20)))
    ///     .build()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn watchdog(mut self, threshold: Option<Duration>) -> Builder {
        self.monitor.watchdog = threshold;
        self
    }

    /// Hand-off (default off): when the watchdog finds a worker blocked, start a replacement
    /// worker OS thread so the other green threads keep running, and retire it once the
    /// blocked worker switches again (Go's scheduler does the same). Up to four replacements
    /// per worker can run at once (a replacement can block too). Needs the watchdog.
    ///
    /// Without hand-off, the green threads queued on a blocked worker still move to the
    /// other workers (within two monitor ticks); hand-off adds a worker to run them. What
    /// neither takes over: green threads bound to the blocked worker with
    /// [`stay_on_worker`](crate::Builder::stay_on_worker); they wait for it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let rt = greenthread::Runtime::builder()
    ///     .workers(1)
    ///     .watchdog(Some(Duration::from_millis(20)))
    ///     .handoff(true)
    ///     .on_report(|_| {})
    ///     .build()?;
    /// // One worker, blocked for 300 ms by a std sleep; the other green thread still runs.
    /// let blocker = rt.spawn(|| std::thread::sleep(Duration::from_millis(300)));
    /// let other = rt.spawn(|| 42);
    /// assert_eq!(other.join().unwrap(), 42);
    /// blocker.join().unwrap();
    /// # std::io::Result::Ok(())
    /// ```
    pub fn handoff(mut self, on: bool) -> Builder {
        self.monitor.handoff = on;
        self
    }

    /// What to do when every green thread is parked and nothing can wake any of them
    /// (default [`DeadlockAction::Report`]: report it once, with the dump, after a second
    /// of that state). See [`DeadlockAction`] for what counts.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::runtime::DeadlockAction;
    ///
    /// let rt = greenthread::Runtime::builder().deadlock(DeadlockAction::Panic).build()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn deadlock(mut self, action: DeadlockAction) -> Builder {
        self.monitor.deadlock = action;
        self
    }

    /// Print [`Runtime::dump`] to stderr whenever the process gets SIGQUIT (Ctrl-\\ in a
    /// terminal, `kill -QUIT <pid>`), like a JVM's thread dump; the process keeps running.
    /// Default off. Turning it on installs a process-wide SIGQUIT handler, which replaces
    /// the default action (terminate with a core dump) for the whole process.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let rt = greenthread::Runtime::builder().dump_on_sigquit(true).build()?;
    /// // ... `kill -QUIT <pid>` now prints every green thread of `rt` to stderr.
    /// # std::io::Result::Ok(())
    /// ```
    pub fn dump_on_sigquit(mut self, on: bool) -> Builder {
        self.monitor.dump_on_sigquit = on;
        self
    }

    /// Where the watchdog's and the deadlock check's [`Report`]s go (default: printed to
    /// stderr). The handler runs on the runtime's monitor thread; keep it short.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = greenthread::Runtime::builder()
    ///     .on_report(|report| eprintln!("[my-app] {report}"))
    ///     .build()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn on_report<F>(mut self, handler: F) -> Builder
    where
        F: Fn(&Report) + Send + Sync + 'static,
    {
        self.monitor.on_report = Some(Arc::new(handler));
        self
    }

    /// Starts the runtime.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for zero workers or an absurd stack size; the OS error if the reactor
    /// or a worker thread cannot be created (the workers already started are stopped).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use greenthread::Runtime;
    ///
    /// let rt = Runtime::builder().workers(2).build()?;
    /// assert_eq!(rt.workers(), 2);
    /// let err = Runtime::builder().workers(0).build().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn build(self) -> io::Result<Runtime> {
        let workers = match self.workers {
            Some(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "a greenthread runtime needs at least one worker",
                ));
            }
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let stack_size = stack::round_size(self.stack_size)?;
        if self.monitor.dump_on_sigquit {
            monitor::install_sigquit();
        }
        stack::overflow::install_handler();
        thread::panic::install_hook();
        let config = Config {
            workers,
            stack_size,
            guard_pages: self.guard_pages,
            thread_name: self.thread_name,
        };
        // Spare slots for hand-off workers (see `monitor`).
        let spares = if self.monitor.handoff && self.monitor.watchdog.is_some() {
            workers * monitor::SPARES_PER_WORKER
        } else {
            0
        };
        let (mut locals, stealers): (Vec<_>, Vec<_>) = (0..workers + spares)
            .map(|_| {
                let (local, stealer, lifo) = Local::new();
                (local, (stealer, lifo))
            })
            .unzip();
        let spare_locals = locals.split_off(workers);
        let monitor = Monitor::new(self.monitor, spare_locals);
        let shared = Arc::new(Shared::new(config, stealers, Reactor::new()?, monitor));
        let mut rt = Runtime {
            shared: shared.clone(),
            workers: Vec::with_capacity(workers),
            monitor: None,
        };
        rt.monitor = Monitor::start(&shared)?;
        for (index, local) in locals.into_iter().enumerate() {
            let shared = shared.clone();
            let handle = std::thread::Builder::new()
                .name(monitor::worker_name(&shared, index))
                .spawn(move || Worker::run(shared, index, local))?;
            rt.workers.push(handle);
        }
        Ok(rt)
    }
}

impl Runtime {
    /// A runtime with default settings: one worker per available core, 256 KiB guarded
    /// stacks.
    ///
    /// # Errors
    ///
    /// As [`Builder::build`].
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = greenthread::Runtime::new()?;
    /// assert!(rt.workers() >= 1);
    /// assert_eq!(rt.block_on(|| 6 * 7), 42);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new() -> io::Result<Runtime> {
        Runtime::builder().build()
    }

    /// A builder to configure a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = greenthread::Runtime::builder().workers(1).build()?;
    /// assert_eq!(rt.spawn(|| "hi").join().unwrap(), "hi");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// The number of worker OS threads.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = greenthread::Runtime::builder().workers(3).build()?;
    /// assert_eq!(rt.workers(), 3);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn workers(&self) -> usize {
        self.shared.config.workers
    }

    /// The runtime's counters: green threads by state, context switches, steals, reactor and
    /// timer activity, the stack pool, watchdog and deadlock reports. See [`Stats`].
    ///
    /// The counters cost the workers no locked instruction; this call sums them, and walks
    /// the green threads to count the parked ones by what they wait for.
    ///
    /// # Examples
    ///
    /// ```
    /// // One worker: it is done with each green thread before it runs the next.
    /// let rt = greenthread::Runtime::builder().workers(1).build()?;
    /// for _ in 0..10 {
    ///     rt.spawn(greenthread::yield_now).join().unwrap();
    /// }
    /// let stats = rt.stats();
    /// assert_eq!(stats.spawned, 10);
    /// assert!(stats.alive <= 1); // the last may still be leaving its worker
    /// assert!(stats.context_switches >= 20); // each ran, yielded, ran again
    /// # std::io::Result::Ok(())
    /// ```
    pub fn stats(&self) -> Stats {
        Stats::collect(&self.shared)
    }

    /// Every live green thread of this runtime: id, name, state, what it waits for and how
    /// long, stack size and use. `Display` it for [`dump`](Runtime::dump)'s text.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::runtime::{ThreadState, WaitReason};
    ///
    /// let rt = greenthread::Runtime::builder().workers(1).build()?;
    /// let h = rt.spawn(greenthread::park);
    /// while rt.snapshot().threads.iter().all(|t| t.state != ThreadState::Parked(WaitReason::Park)) {
    ///     std::thread::yield_now();
    /// }
    /// h.thread().unpark();
    /// h.join().unwrap();
    /// // Finished: no longer parked (it leaves the list as soon as its worker lets it go).
    /// let parked = ThreadState::Parked(WaitReason::Park);
    /// assert!(rt.snapshot().threads.iter().all(|t| t.state != parked));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn snapshot(&self) -> Snapshot {
        Snapshot::collect(&self.shared)
    }

    /// A text dump of every live green thread, one line each (the [`snapshot`]'s `Display`),
    /// like a Go goroutine dump:
    ///
    /// ```text
    /// greenthread runtime 'greenthread-worker': 3 green threads (1 running, 2 parked), 2 workers
    ///   #12 'acceptor' parked: read fd 7 for 1.2 s; stack 256 KiB, 8 KiB used
    ///   #13 'conn-1' parked: sleep for 6.8 ms, 3.2 ms left; stack 256 KiB, 8 KiB used
    ///   #14 running on worker 0; stack 256 KiB, 12 KiB used
    /// ```
    ///
    /// [`snapshot`]: Runtime::snapshot
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = greenthread::Runtime::builder().workers(1).build()?;
    /// let m = std::sync::Arc::new(greenthread::sync::Mutex::new(()));
    /// let guard = m.lock();
    /// let m2 = m.clone();
    /// let h = rt.spawn(move || drop(m2.lock()));
    /// while !rt.dump().contains("parked: mutex") {
    ///     std::thread::yield_now();
    /// }
    /// drop(guard);
    /// h.join().unwrap();
    /// # std::io::Result::Ok(())
    /// ```
    pub fn dump(&self) -> String {
        self.snapshot().to_string()
    }

    /// Spawns a green thread on this runtime.
    ///
    /// # Panics
    ///
    /// If its stack cannot be mapped (use `thread::Builder` inside [`block_on`] to get the
    /// error instead).
    ///
    /// [`block_on`]: Runtime::block_on
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = greenthread::Runtime::new()?;
    /// let handles: Vec<_> = (0..4).map(|i| rt.spawn(move || i * 10)).collect();
    /// let sum: i32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    /// assert_eq!(sum, 60);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn spawn<F, T>(&self, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        thread::Builder::new()
            .spawn_on(&self.shared, f)
            .expect("failed to spawn green thread")
    }

    /// Runs `f` as a green thread on this runtime and blocks the caller until it returns.
    ///
    /// `f` may borrow from the caller: it cannot outlive the call. A panic in `f` resumes in
    /// the caller. Called from a green thread, only that green thread waits.
    ///
    /// # Panics
    ///
    /// Resumes `f`'s panic; panics if the green thread cannot be created.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = greenthread::Runtime::new()?;
    /// let mut hits = 0;
    /// rt.block_on(|| {
    ///     for _ in 0..10 {
    ///         greenthread::yield_now();
    ///         hits += 1;
    ///     }
    /// });
    /// assert_eq!(hits, 10);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn block_on<F, T>(&self, f: F) -> T
    where
        F: FnOnce() -> T + Send,
        T: Send,
    {
        // SAFETY: we join the green thread before returning, and `join` returns only once its
        // packet is set, which happens after `f` and everything it borrowed are done with
        // (see `Builder::spawn_unchecked`). The runtime cannot shut down meanwhile: `&self`
        // keeps it alive.
        let inner = unsafe { thread::Builder::new().spawn_unchecked(&self.shared, None, f) }
            .expect("failed to spawn green thread");
        // Not cancellable while `f` may still borrow from the caller: a cancelled caller
        // waits for `f` to return, then unwinds at its next switch point.
        match inner.join(false) {
            Ok(v) => v,
            Err(payload) => thread::resume_unwind(payload),
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        let shared = self.shared.clone();
        let workers = std::mem::take(&mut self.workers);
        let monitor = self.monitor.take();
        let on_own_worker = current_task().is_some_and(|t| Arc::ptr_eq(&t.shared, &shared));
        let shutdown = move || shut_down(&shared, monitor, workers);
        if on_own_worker {
            let _ = std::thread::Builder::new()
                .name("greenthread-shutdown".into())
                .spawn(shutdown);
        } else {
            shutdown();
        }
    }
}

/// The numbered steps of the module docs.
fn shut_down(
    shared: &Shared,
    monitor: Option<OsJoinHandle<()>>,
    workers: Vec<OsJoinHandle<Local>>,
) {
    // 0. The monitor stops first, so it starts no hand-off worker from here on.
    shared.monitor.stop();
    if let Some(m) = monitor {
        let _ = m.join();
    }
    shared.begin_shutdown(); // 1
    for w in workers {
        // 2, 3. A worker that panicked has already printed why; keep shutting down.
        let _ = w.join();
    }
    for h in shared.monitor.take_handoff_threads() {
        let _ = h.join();
    }
    shared.unwind_all(); // 4, 5
}

/// The global default runtime's shared state, started on first use.
///
/// Workers: `GREENTHREAD_WORKERS` if set to a positive number, else the available
/// parallelism. An unusable value is reported once on stderr and ignored.
pub(crate) fn global_shared() -> &'static Arc<Shared> {
    static GLOBAL: OnceLock<Runtime> = OnceLock::new();
    &GLOBAL
        .get_or_init(|| {
            let mut builder = Runtime::builder();
            if let Ok(v) = std::env::var("GREENTHREAD_WORKERS") {
                match v.trim().parse::<usize>() {
                    Ok(n) if n > 0 => builder = builder.workers(n),
                    _ => eprintln!(
                        "greenthread: ignoring GREENTHREAD_WORKERS={v:?}: expected a positive \
                         number of worker threads; using the available parallelism"
                    ),
                }
            }
            builder
                .build()
                .unwrap_or_else(|e| panic!("cannot start the global greenthread runtime: {e}"))
        })
        .shared
}
