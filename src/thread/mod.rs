//! Green threads with the API of `std::thread`.
//!
//! Every function here works on a green thread and on a plain OS thread. On a green thread,
//! [`park`], [`park_timeout`], [`sleep`], [`sleep_until`] and [`yield_now`] hand the worker
//! back to the scheduler until the green thread can go on; on an OS thread they do what std
//! does. [`spawn`] and [`Builder::spawn`] start a green thread on the runtime of the calling
//! green thread, or on the global default runtime when called from an OS thread.
//!
//! # One primitive
//!
//! Everything in the crate that waits is built on one internal primitive: `block` suspends
//! the caller until `Thread::wake` or a deadline, and may return early, so callers loop on
//! their condition. For a green thread the protocol is the state machine in `parker`; for
//! an OS thread it is `os::OsParker`. The user-facing [`park`]/[`Thread::unpark`] add
//! std's token on top, kept apart from the internal wake-ups so that a runtime wait never
//! eats a user's unpark.

mod builder;
pub(crate) mod cancel;
mod join;
pub(crate) mod local;
pub(crate) mod os;
pub(crate) mod panic;
pub(crate) mod parker;
mod scope;

use std::fmt;
use std::num::NonZeroU64;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub use builder::Builder;
pub(crate) use join::JoinInner;
pub use join::{Cancelled, JoinHandle};
pub use local::{AccessError, LocalKey};
pub use scope::{Scope, ScopedJoinHandle, scope};

use crate::coroutine::{Switch, Task, current_arc, current_task};
use crate::runtime::WaitReason;
use os::OsThread;
use parker::Wake;

/// A unique identifier of a green thread or an OS thread, like `std::thread::ThreadId`.
///
/// Ids are never reused within a process, and green threads and OS threads share one space.
///
/// # Examples
///
/// ```
/// let a = greenthread::spawn(|| greenthread::current().id()).join().unwrap();
/// let b = greenthread::spawn(|| greenthread::current().id()).join().unwrap();
/// assert_ne!(a, b); // never reused
/// assert_ne!(a, greenthread::current().id());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ThreadId(NonZeroU64);

impl ThreadId {
    pub(crate) fn new() -> ThreadId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        ThreadId(NonZeroU64::new(id).expect("thread id space exhausted"))
    }

    /// The id with number `n`, if `n` can be one.
    pub(crate) fn from_u64(n: u64) -> Option<ThreadId> {
        NonZeroU64::new(n).map(ThreadId)
    }

    /// The id as a number (unique per process, never 0).
    ///
    /// # Examples
    ///
    /// ```
    /// let id = greenthread::current().id();
    /// assert_ne!(id.as_u64(), 0);
    /// assert_eq!(id.as_u64(), greenthread::current().id().as_u64());
    /// ```
    pub fn as_u64(&self) -> u64 {
        self.0.get()
    }
}

impl fmt::Debug for ThreadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ThreadId({})", self.0)
    }
}

/// A handle to a green thread or an OS thread, like `std::thread::Thread`.
///
/// Obtained from [`current`] or [`JoinHandle::thread`]. Cheap to clone, `Send` and `Sync`:
/// any thread, green or not, may [`unpark`](Thread::unpark) any other.
///
/// # Examples
///
/// ```
/// let h = greenthread::Builder::new().name("w".into()).spawn(greenthread::current)?;
/// let t: greenthread::Thread = h.join().unwrap();
/// assert_eq!(t.name(), Some("w"));
/// t.unpark(); // unparking a finished green thread does nothing
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone)]
pub struct Thread {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    Green(Arc<Task>),
    Os(Arc<OsThread>),
}

impl Thread {
    pub(crate) fn from_task(task: Arc<Task>) -> Thread {
        Thread {
            inner: Inner::Green(task),
        }
    }

    /// The thread's unique id.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = greenthread::Runtime::new()?;
    /// let h = rt.spawn(|| greenthread::current().id());
    /// let id = h.thread().id();
    /// assert_eq!(h.join().unwrap(), id);
    /// assert_ne!(id, greenthread::current().id());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn id(&self) -> ThreadId {
        match &self.inner {
            Inner::Green(t) => t.id(),
            Inner::Os(t) => t.id,
        }
    }

    /// The thread's name, if it was given one.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = greenthread::Builder::new().name("named".into()).spawn(|| ())?;
    /// assert_eq!(h.thread().name(), Some("named"));
    /// let h = greenthread::spawn(|| ());
    /// assert_eq!(h.thread().name(), None);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn name(&self) -> Option<&str> {
        match &self.inner {
            Inner::Green(t) => t.name(),
            Inner::Os(t) => t.std.name(),
        }
    }

    /// Makes the thread's token available, waking it if it is in [`park`].
    ///
    /// As with std, an unpark before the park is not lost: the next `park` returns at once.
    /// Unparking a finished green thread does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    ///
    /// let rt = greenthread::Runtime::new()?;
    /// let ready = Arc::new(AtomicBool::new(false));
    /// let flag = ready.clone();
    /// let h = rt.spawn(move || {
    ///     while !flag.load(Ordering::Acquire) {
    ///         greenthread::park();
    ///     }
    /// });
    /// ready.store(true, Ordering::Release);
    /// h.thread().unpark();
    /// h.join().unwrap();
    /// # std::io::Result::Ok(())
    /// ```
    pub fn unpark(&self) {
        match &self.inner {
            Inner::Green(t) => {
                t.token.store(true, Ordering::Release);
                wake_task(t);
            }
            Inner::Os(t) => t.std.unpark(),
        }
    }

    /// The green thread behind this handle, if it is one.
    pub(crate) fn task(&self) -> Option<&Task> {
        match &self.inner {
            Inner::Green(t) => Some(t),
            Inner::Os(_) => None,
        }
    }

    /// Wakes the thread from [`block`] (the runtime's internal wait), leaving the user token
    /// alone.
    #[inline]
    pub(crate) fn wake(&self) {
        match &self.inner {
            Inner::Green(t) => wake_task(t),
            Inner::Os(t) => t.parker.wake(),
        }
    }
}

impl fmt::Debug for Thread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Thread")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("green", &matches!(self.inner, Inner::Green(_)))
            .finish_non_exhaustive()
    }
}

/// Wakes a green thread: if it was parked, put it on a run queue.
#[inline]
fn wake_task(task: &Arc<Task>) {
    if task.park.wake() == Wake::Schedule {
        // A PARKED green thread owns one strong reference to itself, left there by the worker
        // that committed the park (`Worker::run_task`); the one waker that wins PARKED ->
        // RUNNING (the loom model proves there is exactly one per committed park) takes it.
        // SAFETY: per the above, we own that reference; it came from an `Arc<Task>`.
        let owned = unsafe { Arc::from_raw(Arc::as_ptr(task)) };
        crate::scheduler::schedule(owned, false);
    }
}

/// A handle to the calling thread: the green thread running this code, or else the OS
/// thread, like `std::thread::current`.
///
/// # Examples
///
/// ```
/// let rt = greenthread::Runtime::new()?;
/// let name = rt.block_on(|| {
///     greenthread::Builder::new()
///         .name("worker-7".into())
///         .spawn(|| greenthread::current().name().map(String::from))
///         .unwrap()
///         .join()
///         .unwrap()
/// });
/// assert_eq!(name.as_deref(), Some("worker-7"));
/// # std::io::Result::Ok(())
/// ```
pub fn current() -> Thread {
    match current_arc() {
        Some(task) => Thread::from_task(task),
        None => Thread {
            inner: Inner::Os(os::current_os_thread()),
        },
    }
}

/// A handle to the calling *OS* thread, even on a green thread.
///
/// Used by the wait queues of `sync` and `channel` while the runtime unwinds a green thread
/// at shutdown: its switch points return at once then, so a wait that must complete blocks
/// the OS thread doing the unwinding instead (see `sync::waiter`).
pub(crate) fn current_os() -> Thread {
    Thread {
        inner: Inner::Os(os::current_os_thread()),
    }
}

/// The runtime's one way to wait: suspends the caller until [`Thread::wake`] or `deadline`.
///
/// May return early (a stale wake-up), so callers loop on their condition. On a green thread
/// it parks the green thread, recording `reason` for the dump and the deadlock check; on an
/// OS thread it blocks the OS thread. While the runtime is unwinding a green thread at
/// shutdown it returns at once.
///
/// A switch point of cancellation: if [`JoinHandle::cancel`] was called for the green
/// thread (or the deadlock check cancelled it), this unwinds with the [`Cancelled`] payload
/// (before suspending, or after it resumes), so whatever the caller registered must be
/// cleaned up by a drop guard.
#[inline(always)]
pub(crate) fn block(reason: WaitReason, deadline: Option<Instant>) {
    match current_task() {
        Some(task) => block_green(task, reason.encode(), deadline, true),
        None => os::current_os_thread().parker.park(deadline),
    }
}

/// [`block`] that never raises a cancellation, for waits that must complete before their
/// frame may unwind (see [`cancel`]'s "Waits that do not raise"). A pending cancellation stays
/// pending for the next switch point.
#[inline]
pub(crate) fn block_no_cancel(reason: WaitReason, deadline: Option<Instant>) {
    match current_task() {
        Some(task) => block_green(task, reason.encode(), deadline, false),
        None => os::current_os_thread().parker.park(deadline),
    }
}

/// `reason` is packed ([`WaitReason::encode`]) by the caller, where it is usually a constant.
///
/// Kept out of line, like the timed park and the trace: a frame that suspends must not
/// reuse a thread-local's address computed before the switch (see [`current_task`]), and a
/// small one saves fewer registers around it.
#[inline(never)]
fn block_green(task: &Task, reason: u64, deadline: Option<Instant>, cancellable: bool) {
    // A cancellation pending now is raised by `suspend` (or, if a wake-up is pending and we
    // do not suspend, at the caller's next `block`): the cancel that set it woke us.
    if task.park.take_notification() {
        return;
    }
    #[cfg(feature = "tracing")]
    trace_park(reason, deadline);
    match deadline {
        None => {
            task.wait.set(reason, task.shared.clock.coarse());
            task.suspend(Switch::Park, cancellable);
        }
        Some(deadline) => {
            if !block_green_until(task, reason, deadline, cancellable) {
                return;
            }
        }
    }
    if cancellable {
        cancel::check(task);
    }
}

/// [`block_green`] with a deadline: a timer wakes the green thread. `false`: the deadline
/// has passed, it did not suspend.
#[inline(never)]
fn block_green_until(task: &Task, reason: u64, deadline: Instant, cancellable: bool) -> bool {
    let now = Instant::now();
    if deadline <= now {
        return false;
    }
    let clock = &task.shared.clock;
    clock.observe(now);
    task.wait.set(reason, clock.at(now));
    let me = current();
    let key = task.shared.add_timer(deadline, me);
    // Removed however `suspend` returns: a cancellation raised there unwinds past us.
    let _timer = CancelTimer(task, key);
    task.suspend(Switch::Park, cancellable);
    true
}

#[cfg(feature = "tracing")]
#[inline(never)]
fn trace_park(reason: u64, deadline: Option<Instant>) {
    if let Some(reason) = WaitReason::decode(reason) {
        tracing::trace!(target: "greenthread", reason = %reason, ?deadline, "park");
    }
}

/// `std::panic::resume_unwind` for the crate's own unwinds on a green thread: marks it
/// unwinding first (the `UNWINDING` flag of `cancel`), as the panic hook does for `panic!`.
pub(crate) fn resume_unwind(payload: Box<dyn std::any::Any + Send>) -> ! {
    if let Some(task) = current_task() {
        cancel::set_unwinding(task, true);
    }
    std::panic::resume_unwind(payload)
}

/// Removes a timed wait's timer when the wait ends, also by unwinding.
struct CancelTimer<'a>(&'a Task, crate::time::TimerKey);

impl Drop for CancelTimer<'_> {
    fn drop(&mut self) {
        self.0.shared.timers.remove(self.1);
    }
}

/// Blocks until the thread's token is available, then consumes it, like
/// `std::thread::park`.
///
/// On a green thread this parks only the green thread: its worker runs others meanwhile.
/// A [`Thread::unpark`] made before the park is not lost. As with std, callers should loop
/// on a condition, since `park` may return without an unpark (it does at runtime shutdown).
///
/// # Examples
///
/// ```
/// let rt = greenthread::Runtime::new()?;
/// rt.block_on(|| {
///     greenthread::current().unpark(); // a token before the park...
///     greenthread::park(); // ...makes it return at once
/// });
/// # std::io::Result::Ok(())
/// ```
pub fn park() {
    match current_task() {
        Some(task) => {
            while !take_token(task) {
                if task.is_cancelling() {
                    return;
                }
                block_green(task, WaitReason::Park.encode(), None, true);
            }
        }
        None => std::thread::park(),
    }
}

/// Consumes the user-facing park token if it is there.
///
/// The consuming swap must be a read-modify-write, not a load and a store: with a plain
/// store, an `unpark` landing between the two would be erased while the caller's next read
/// of its condition could still miss what that unparker wrote before it (a store-load
/// reordering), and the wake-up would be lost. The load first only skips the locked
/// instruction when there is no token.
#[inline]
fn take_token(task: &Task) -> bool {
    task.token.load(Ordering::Relaxed) && task.token.swap(false, Ordering::Acquire)
}

/// Like [`park`], but returns after `dur` at the latest, like `std::thread::park_timeout`.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let rt = greenthread::Runtime::new()?;
/// let waited = rt.block_on(|| {
///     let start = Instant::now();
///     greenthread::park_timeout(Duration::from_millis(5));
///     start.elapsed()
/// });
/// assert!(waited >= Duration::from_millis(5));
/// # std::io::Result::Ok(())
/// ```
pub fn park_timeout(dur: Duration) {
    let Some(task) = current_task() else {
        return std::thread::park_timeout(dur);
    };
    let deadline = Instant::now().checked_add(dur);
    while !take_token(task) {
        if task.is_cancelling() || deadline.is_some_and(|d| Instant::now() >= d) {
            return;
        }
        block_green(task, WaitReason::Park.encode(), deadline, true);
    }
}

/// Puts the current thread to sleep for at least `dur`, like `std::thread::sleep`.
///
/// On a green thread only the green thread sleeps: a timer wakes it and the worker runs
/// others meanwhile. It does not consume the [`park`] token.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let rt = greenthread::Runtime::new()?;
/// let start = Instant::now();
/// let handles: Vec<_> = (0..100)
///     .map(|_| rt.spawn(|| greenthread::sleep(Duration::from_millis(20))))
///     .collect();
/// for h in handles {
///     h.join().unwrap();
/// }
/// // A hundred sleepers share the workers: they sleep side by side, not in turn.
/// assert!(start.elapsed() >= Duration::from_millis(20));
/// # std::io::Result::Ok(())
/// ```
pub fn sleep(dur: Duration) {
    match Instant::now().checked_add(dur) {
        Some(deadline) => sleep_until(deadline),
        // Too far to represent: sleep as long as an Instant can say, and again.
        None if current_task().is_none() => std::thread::sleep(dur),
        None => loop {
            sleep_until(Instant::now() + Duration::from_secs(u32::MAX.into()));
        },
    }
}

/// Puts the current thread to sleep until `deadline`, like `std::thread::sleep_until`.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let deadline = Instant::now() + Duration::from_millis(5);
/// greenthread::spawn(move || greenthread::sleep_until(deadline)).join().unwrap();
/// assert!(Instant::now() >= deadline);
/// ```
pub fn sleep_until(deadline: Instant) {
    let Some(task) = current_task() else {
        let now = Instant::now();
        if deadline > now {
            std::thread::sleep(deadline - now);
        }
        return;
    };
    while Instant::now() < deadline {
        if task.is_cancelling() {
            return;
        }
        block_green(task, WaitReason::Sleep.encode(), Some(deadline), true);
    }
}

/// Hands the worker to the next runnable green thread, like `std::thread::yield_now`.
///
/// The caller goes to the back of its worker's run queue, so a green thread yielding in a
/// loop lets every other runnable one run in between. On an OS thread this is
/// `std::thread::yield_now`.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
///
/// // One worker: two green threads interleave only because they yield. (Both are spawned
/// // from a green thread on that worker, so both are queued before either runs.)
/// let rt = greenthread::Runtime::builder().workers(1).build()?;
/// let log = Arc::new(Mutex::new(Vec::new()));
/// rt.block_on(|| {
///     let hs: Vec<_> = ["a", "b"]
///         .into_iter()
///         .map(|who| {
///             let log = log.clone();
///             greenthread::spawn(move || {
///                 for _ in 0..3 {
///                     log.lock().unwrap().push(who);
///                     greenthread::yield_now();
///                 }
///             })
///         })
///         .collect();
///     hs.into_iter().for_each(|h| h.join().unwrap());
/// });
/// let log = log.lock().unwrap();
/// assert!(log.windows(2).all(|w| w[0] != w[1]), "{log:?}");
/// # std::io::Result::Ok(())
/// ```
#[inline]
pub fn yield_now() {
    match current_task() {
        Some(task) => {
            // A pending cancellation unwinds from here (`cancel`: `suspend` checks it with
            // the same load that checks for shutdown).
            task.suspend(Switch::Yield, true);
        }
        None => std::thread::yield_now(),
    }
}

/// Whether the caller is running on a green thread (as opposed to a plain OS thread).
///
/// # Examples
///
/// ```
/// let rt = greenthread::Runtime::new()?;
/// assert!(!greenthread::is_green());
/// assert!(rt.block_on(greenthread::is_green));
/// # std::io::Result::Ok(())
/// ```
pub fn is_green() -> bool {
    current_task().is_some()
}

/// Whether the current thread is unwinding because of a panic, like
/// `std::thread::panicking`, but for the green thread that calls it.
///
/// std counts the panics in progress per OS thread, and a green thread that waits in a
/// destructor while it unwinds leaves its worker to others meanwhile: for them, std's
/// `panicking()` is then true although they are not unwinding. This one answers for the
/// calling green thread (from the mark the runtime's panic hook, and the runtime's own
/// unwinds such as a cancellation, set on it); on an OS thread it is std's. An unwind the
/// runtime does not see (a panic hook installed after the runtime's replaces it; a
/// `std::panic::resume_unwind` of your own) reads as std's answer for the green thread that
/// started it only while no other unwind is in progress on its worker.
///
/// # Examples
///
/// ```
/// struct Check;
/// impl Drop for Check {
///     fn drop(&mut self) {
///         assert!(greenthread::thread::panicking());
///     }
/// }
///
/// let h = greenthread::spawn(|| {
///     assert!(!greenthread::thread::panicking());
///     let _check = Check;
///     panic!("unwinds through `Check`");
/// });
/// assert!(h.join().is_err());
/// ```
pub fn panicking() -> bool {
    match current_task() {
        Some(task) => cancel::unwinding(task),
        None => std::thread::panicking(),
    }
}

/// Spawns a green thread, like `std::thread::spawn`, and returns a [`JoinHandle`] for it.
///
/// Called on a green thread, the new one runs on the same runtime; called on an OS thread,
/// on the global default runtime, which starts on first use with one worker per available
/// core (or `GREENTHREAD_WORKERS` of them).
///
/// # Panics
///
/// Like std, panics if the green thread cannot be created (its stack cannot be mapped);
/// use [`Builder::spawn`] to get the error instead.
///
/// # Examples
///
/// ```
/// let h = greenthread::spawn(|| 6 * 7);
/// assert_eq!(h.join().unwrap(), 42);
/// ```
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Builder::new()
        .spawn(f)
        .expect("failed to spawn green thread")
}
