//! What the ports of crossbeam-channel's test suite (`tests/crossbeam_*.rs`) run on: the
//! channel under test, the threads they spawn, and a runner that runs every test twice.
//!
//! - [`channel`] is `greenthread::channel`; built with `--cfg crossbeam_reference` it is
//!   `crossbeam_channel` itself, which proves a port faithful (every test must pass against
//!   the original). `scripts/crossbeam-reference.sh` builds and runs the ports that way.
//! - [`tests!`] turns each listed upstream test function `name` into two tests,
//!   `name::os` (the body on an OS thread) and `name::green` (the body on a green thread of
//!   a fresh [`greenthread::Runtime`]), one after the other (upstream bodies count in
//!   statics), each bounded by [`LIMIT_SECS`]: a hang aborts the test process. The reference
//!   build has only the `os` half: crossbeam-channel would block a green thread's worker.
//! - [`scope`], [`thread`] and [`sync`] stand in for `crossbeam_utils::thread::scope`,
//!   `std::thread` and the `std::sync` locks the tests use: on a green thread they spawn,
//!   sleep, yield and wait as green threads (so in `green` mode every thread of a test is
//!   green), on an OS thread as OS threads.
//! - [`thread_rng`] and [`Rng`] stand in for rand 0.8's, the version upstream uses.

use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Mutex, PoisonError, mpsc};
use std::time::Duration;

#[cfg(crossbeam_reference)]
pub use crossbeam_channel as channel;
#[cfg(not(crossbeam_reference))]
pub use greenthread::channel;

/// How long one test (one mode) may take before it counts as a hang.
pub const LIMIT_SECS: u64 = 60;

/// Workers of the runtime a `green` test runs on: as many as the machine has cores, at
/// least two, so a green thread that spins cannot by itself stop every other.
fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().max(2))
}

/// Runs an upstream test body on an OS thread, bounded. `serial` is the test's own lock: its
/// two modes must not run at once, because upstream bodies keep counters in statics.
pub fn run_os(test: &str, serial: &Mutex<()>, body: fn()) {
    let _serial = serial.lock().unwrap_or_else(PoisonError::into_inner);
    limit(test, body);
}

/// Runs an upstream test body as a green thread of a fresh runtime, bounded; every thread it
/// spawns through this module is a green thread of that runtime. `serial`: see [`run_os`].
pub fn run_green(test: &str, serial: &Mutex<()>, body: fn()) {
    let _serial = serial.lock().unwrap_or_else(PoisonError::into_inner);
    limit(test, move || {
        // Hand-off on: some upstream tests spin in `try_*` loops on as many threads as the
        // machine has cores while another thread sleeps and then selects, counting on the
        // OS to preempt the spinners. A green thread that never reaches a switch point keeps
        // its worker (cooperative scheduling); the runtime's answer to a worker held that
        // way is a replacement worker (`Builder::handoff`), so the test still runs as
        // written. Its reports would only say what the test does on purpose.
        //
        // Stacks of std's spawned threads' size (2 MiB): upstream's `stack_overflow` tests
        // pass 32 KiB messages by value, which a debug build copies several times per frame.
        let rt = greenthread::Runtime::builder()
            .workers(workers())
            .stack_size(2 << 20)
            .handoff(true)
            .on_report(|_| {})
            .build()
            .expect("build a runtime");
        rt.block_on(body);
    });
}

/// Runs `f` on its own OS thread; resumes its panic; aborts the test process if it takes
/// longer than [`LIMIT_SECS`]. Unlike `support::within`, which fails the test and lets the
/// body run on, this stops it: the threads of a hung upstream test keep spinning and
/// allocating (a sender on an unbounded channel whose receiver hangs fills the memory).
fn limit(test: &str, f: impl FnOnce() + Send + 'static) {
    let (done, wait) = mpsc::channel();
    let body = std::thread::Builder::new()
        .name("test-body".into())
        .spawn(move || {
            let _ = done.send(catch_unwind(AssertUnwindSafe(f)));
        })
        .expect("spawn the test body");
    match wait.recv_timeout(Duration::from_secs(LIMIT_SECS)) {
        Ok(Ok(())) => {
            let _ = body.join();
        }
        Ok(Err(payload)) => resume_unwind(payload),
        Err(_) => {
            // Straight to stderr: the test harness captures `eprintln!` of a test thread,
            // and would drop it with the process.
            let _ = writeln!(
                std::io::stderr(),
                "{test}: did not finish within {LIMIT_SECS} s (hang); aborting the test process, \
                 whose threads cannot be stopped otherwise"
            );
            std::process::abort();
        }
    }
}

/// Turns upstream test functions (their `#[test]` removed) into an `os` and a `green` test
/// each: `tests! { smoke, #[should_panic] panics }` makes `smoke::os`, `smoke::green`, ...
/// Attributes written before a name (`#[should_panic]`, `#[ignore]`) go on both tests.
macro_rules! tests {
    ($($(#[$attr:meta])* $name:ident),* $(,)?) => {$(
        mod $name {
            // Unused where a `#[cfg]` in the attributes leaves out both tests.
            #[allow(dead_code)]
            static SERIAL: ::std::sync::Mutex<()> = ::std::sync::Mutex::new(());

            #[test]
            $(#[$attr])*
            fn os() {
                let test = concat!(module_path!(), "::os");
                $crate::support::crossbeam::run_os(test, &SERIAL, super::$name);
            }

            #[cfg(not(crossbeam_reference))]
            #[test]
            $(#[$attr])*
            fn green() {
                let test = concat!(module_path!(), "::green");
                $crate::support::crossbeam::run_green(test, &SERIAL, super::$name);
            }
        }
    )*};
}
pub(crate) use tests;

/// `crossbeam_utils::thread::scope`: spawned threads may borrow from the caller; all are
/// joined before it returns; `Err` if one of them (or `f`) panicked.
pub fn scope<'env, F, R>(f: F) -> std::thread::Result<R>
where
    F: for<'scope> FnOnce(&Scope<'scope, 'env>) -> R,
{
    catch_unwind(AssertUnwindSafe(|| {
        if greenthread::thread::is_green() {
            greenthread::thread::scope(|s| {
                f(&Scope {
                    inner: ScopeInner::Green(s),
                })
            })
        } else {
            std::thread::scope(|s| {
                f(&Scope {
                    inner: ScopeInner::Os(s),
                })
            })
        }
    }))
}

/// `crossbeam_utils::thread::Scope`.
pub struct Scope<'scope, 'env: 'scope> {
    inner: ScopeInner<'scope, 'env>,
}

enum ScopeInner<'scope, 'env: 'scope> {
    Os(&'scope std::thread::Scope<'scope, 'env>),
    Green(&'scope greenthread::thread::Scope<'scope, 'env>),
}

impl Clone for ScopeInner<'_, '_> {
    fn clone(&self) -> Self {
        *self
    }
}

impl Copy for ScopeInner<'_, '_> {}

impl<'scope, 'env> Scope<'scope, 'env> {
    /// `crossbeam_utils::thread::Scope::spawn`: `f` gets the scope, to spawn more.
    pub fn spawn<F, T>(&self, f: F) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce(&Scope<'scope, 'env>) -> T + Send + 'scope,
        T: Send + 'scope,
    {
        let inner = self.inner;
        match inner {
            ScopeInner::Os(s) => ScopedJoinHandle::Os(s.spawn(move || f(&Scope { inner }))),
            ScopeInner::Green(s) => ScopedJoinHandle::Green(s.spawn(move || f(&Scope { inner }))),
        }
    }
}

/// `crossbeam_utils::thread::ScopedJoinHandle`.
pub enum ScopedJoinHandle<'scope, T> {
    Os(std::thread::ScopedJoinHandle<'scope, T>),
    Green(greenthread::thread::ScopedJoinHandle<'scope, T>),
}

impl<T> ScopedJoinHandle<'_, T> {
    /// Waits for the thread; `Err(payload)` if it panicked.
    pub fn join(self) -> std::thread::Result<T> {
        match self {
            ScopedJoinHandle::Os(h) => h.join(),
            ScopedJoinHandle::Green(h) => h.join(),
        }
    }
}

/// `std::thread`, as far as the tests use it.
pub mod thread {
    use std::time::Duration;

    use greenthread::thread::is_green;

    /// `std::thread::sleep`.
    pub fn sleep(dur: Duration) {
        if is_green() {
            greenthread::thread::sleep(dur);
        } else {
            std::thread::sleep(dur);
        }
    }

    /// `std::thread::yield_now`.
    pub fn yield_now() {
        if is_green() {
            greenthread::thread::yield_now();
        } else {
            std::thread::yield_now();
        }
    }

    /// `std::thread::spawn`.
    pub fn spawn<F, T>(f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        if is_green() {
            JoinHandle::Green(greenthread::thread::spawn(f))
        } else {
            JoinHandle::Os(std::thread::spawn(f))
        }
    }

    /// `std::thread::JoinHandle`.
    pub enum JoinHandle<T> {
        Os(std::thread::JoinHandle<T>),
        Green(greenthread::thread::JoinHandle<T>),
    }

    impl<T> JoinHandle<T> {
        /// Waits for the thread; `Err(payload)` if it panicked.
        pub fn join(self) -> std::thread::Result<T> {
            match self {
                JoinHandle::Os(h) => h.join(),
                JoinHandle::Green(h) => h.join(),
            }
        }
    }
}

/// `std::sync::{Mutex, Condvar}` with std's signatures, built on greenthread's (which work
/// on OS threads too), so a green thread waiting on a condition parks instead of blocking
/// its worker. The reference build uses std's.
pub mod sync {
    #[cfg(crossbeam_reference)]
    pub use std::sync::{Condvar, Mutex};

    #[cfg(not(crossbeam_reference))]
    pub use green::{Condvar, Mutex};

    #[cfg(not(crossbeam_reference))]
    mod green {
        use std::sync::LockResult;

        use greenthread::sync::MutexGuard;

        /// `std::sync::Mutex` (never poisoned).
        pub struct Mutex<T>(greenthread::sync::Mutex<T>);

        impl<T> Mutex<T> {
            pub fn new(value: T) -> Mutex<T> {
                Mutex(greenthread::sync::Mutex::new(value))
            }

            pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
                Ok(self.0.lock())
            }
        }

        /// `std::sync::Condvar`.
        pub struct Condvar(greenthread::sync::Condvar);

        impl Condvar {
            pub fn new() -> Condvar {
                Condvar(greenthread::sync::Condvar::new())
            }

            pub fn wait<'a, T>(
                &self,
                mut guard: MutexGuard<'a, T>,
            ) -> LockResult<MutexGuard<'a, T>> {
                self.0.wait(&mut guard);
                Ok(guard)
            }

            pub fn notify_all(&self) {
                self.0.notify_all();
            }
        }
    }
}

/// rand 0.8's `thread_rng()`, as far as the tests use it: a xorshift generator seeded from
/// the clock (the tests want varied numbers, not good ones).
pub fn thread_rng() -> ThreadRng {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    ThreadRng(nanos | 1)
}

/// See [`thread_rng`].
pub struct ThreadRng(u64);

/// rand 0.8's `Rng::gen_range`, for `Range<usize>`.
pub trait Rng {
    /// A number in `range` (which must not be empty).
    fn gen_range(&mut self, range: std::ops::Range<usize>) -> usize;
}

impl Rng for ThreadRng {
    fn gen_range(&mut self, range: std::ops::Range<usize>) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        range.start + (self.0 % (range.end - range.start) as u64) as usize
    }
}
