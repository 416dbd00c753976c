//! [`Builder`]: a green thread's name, stack size and placement before it starts.

use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

use super::join::{Completion, JoinHandle, JoinInner, Packet};
use super::scope::{Scope, ScopeData, ScopedJoinHandle};
use super::{Thread, cancel};
use crate::coroutine::current_task;
use crate::scheduler::{self, Shared};

/// Configures a green thread before spawning it, like `std::thread::Builder`.
///
/// # Examples
///
/// ```
/// let rt = greenthread::Runtime::new()?;
/// let h = rt.block_on(|| {
///     greenthread::Builder::new()
///         .name("parser".into())
///         .stack_size(1 << 20)
///         .spawn(|| greenthread::current().name().unwrap().len())
/// })?;
/// assert_eq!(h.join().unwrap(), 6);
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug, Default, Clone)]
#[must_use = "a Builder does nothing until spawn is called"]
pub struct Builder {
    name: Option<String>,
    stack_size: Option<usize>,
    stay_on_worker: bool,
}

impl Builder {
    /// A builder with no name, the runtime's default stack size, free to migrate.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = greenthread::Builder::new().spawn(|| 1 + 1)?;
    /// assert_eq!(h.join().unwrap(), 2);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Names the green thread. The name shows in panic messages, overflow reports and
    /// [`Thread::name`].
    ///
    /// # Examples
    ///
    /// ```
    /// let h = greenthread::Builder::new().name("parser".into()).spawn(|| ())?;
    /// assert_eq!(h.thread().name(), Some("parser"));
    /// h.join().unwrap();
    /// # std::io::Result::Ok(())
    /// ```
    pub fn name(mut self, name: String) -> Builder {
        self.name = Some(name);
        self
    }

    /// Sets the stack size in bytes (rounded up to whole pages, and to at least 16 KiB).
    ///
    /// The default is the runtime's (256 KiB unless `Runtime::builder().stack_size` says
    /// otherwise). Memory is committed only as the stack is used, so a large stack costs
    /// address space, not RAM.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = greenthread::Builder::new()
    ///     .stack_size(1024 * 1024)
    ///     .spawn(|| [1u8; 256 * 1024].iter().map(|&b| b as usize).sum::<usize>())?;
    /// assert_eq!(h.join().unwrap(), 256 * 1024);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn stack_size(mut self, size: usize) -> Builder {
        self.stack_size = Some(size);
        self
    }

    /// Keeps the green thread on the worker OS thread it first runs on.
    ///
    /// A green thread normally migrates between workers at its switch points, which makes
    /// `std::thread_local!` values and OS-thread-bound state (a `std::sync::MutexGuard`
    /// held across a switch, thread-affine C libraries) unsafe to keep across a switch.
    /// With this set, it always resumes on the same OS thread, at the cost of not being
    /// stolen by idle workers.
    ///
    /// # Examples
    ///
    /// ```
    /// std::thread_local!(static WORKER: std::thread::ThreadId = std::thread::current().id());
    ///
    /// let rt = greenthread::Runtime::builder().workers(2).build()?;
    /// let same = rt.block_on(|| {
    ///     greenthread::Builder::new()
    ///         .stay_on_worker(true)
    ///         .spawn(|| {
    ///             let first = WORKER.with(|w| *w);
    ///             (0..100).all(|_| {
    ///                 greenthread::yield_now();
    ///                 WORKER.with(|w| *w) == first
    ///             })
    ///         })
    ///         .unwrap()
    ///         .join()
    ///         .unwrap()
    /// });
    /// assert!(same);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn stay_on_worker(mut self, stay: bool) -> Builder {
        self.stay_on_worker = stay;
        self
    }

    /// Spawns the green thread on the caller's runtime (the global default one when called
    /// from an OS thread).
    ///
    /// # Errors
    ///
    /// `InvalidInput` if the stack size is absurd; the `mmap` error (`OutOfMemory`) if its
    /// stack cannot be mapped. Nothing is spawned then, and `f` is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = greenthread::Builder::new().name("adder".into()).spawn(|| 40 + 2)?;
    /// assert_eq!(h.join().unwrap(), 42);
    /// // An absurd stack size is an error, not a panic.
    /// assert!(greenthread::Builder::new().stack_size(usize::MAX).spawn(|| ()).is_err());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn spawn<F, T>(self, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.spawn_on(&scheduler::current_shared(), f)
    }

    /// Spawns a scoped green thread, like `std::thread::Builder::spawn_scoped`.
    ///
    /// # Errors
    ///
    /// As [`Builder::spawn`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut data = vec![1, 2, 3];
    /// greenthread::scope(|s| {
    ///     greenthread::Builder::new()
    ///         .name("pusher".into())
    ///         .spawn_scoped(s, || data.push(4))
    ///         .unwrap();
    /// });
    /// assert_eq!(data, [1, 2, 3, 4]);
    /// ```
    pub fn spawn_scoped<'scope, 'env, F, T>(
        self,
        scope: &'scope Scope<'scope, 'env>,
        f: F,
    ) -> io::Result<ScopedJoinHandle<'scope, T>>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        let shared = scheduler::current_shared();
        // SAFETY: `scope` does not return before every green thread spawned in it has
        // finished and dropped its result (it waits for `num_running_threads` to reach zero,
        // which the packet's drop decrements), so everything borrowed for 'scope outlives
        // the green thread.
        let inner = unsafe { self.spawn_unchecked(&shared, Some(scope.data.clone()), f)? };
        Ok(ScopedJoinHandle(inner))
    }

    /// Spawns a `'static` green thread on a given runtime.
    pub(crate) fn spawn_on<F, T>(self, shared: &Arc<Shared>, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let packet = Packet::new(None);
        let main = main_fn(f, Completion::new(packet.clone()));
        let task = self.spawn_task(shared, main)?;
        Ok(JoinHandle(JoinInner {
            thread: Thread::from_task(task),
            packet,
        }))
    }

    /// Spawns a green thread that may borrow for `'a`.
    ///
    /// # Safety
    ///
    /// The caller must make sure nothing `f` borrows (and nothing `T` borrows) is freed
    /// before the returned handle reports the green thread finished (its packet is set or
    /// dropped), e.g. by joining it before returning, as `Runtime::block_on` and `scope` do.
    pub(crate) unsafe fn spawn_unchecked<'a, F, T>(
        self,
        shared: &Arc<Shared>,
        scope: Option<Arc<ScopeData>>,
        f: F,
    ) -> io::Result<JoinInner<'a, T>>
    where
        F: FnOnce() -> T + Send + 'a,
        T: Send + 'a,
    {
        let packet = Packet::new(scope);
        let main: Box<dyn FnOnce() + Send + 'a> =
            Box::new(main_fn(f, Completion::new(packet.clone())));
        // SAFETY: only the lifetime changes (same layout). The caller guarantees that what
        // `main` borrows outlives the green thread; the green thread drops `main` (and `f`
        // and its result) before its packet reports completion.
        let main: Box<dyn FnOnce() + Send + 'static> = unsafe { std::mem::transmute(main) };
        let task = self.spawn_task(shared, main)?;
        Ok(JoinInner {
            thread: Thread::from_task(task),
            packet,
        })
    }

    fn spawn_task<M>(self, shared: &Arc<Shared>, main: M) -> io::Result<Arc<crate::coroutine::Task>>
    where
        M: FnOnce() + Send + 'static,
    {
        let stack_size = self.stack_size.unwrap_or(shared.config.stack_size);
        scheduler::spawn(shared, self.name, stack_size, self.stay_on_worker, main)
    }
}

/// The body every green thread runs: `f`, its panic caught, its result handed to the joiner.
fn main_fn<'a, F, T>(f: F, completion: Completion<'a, T>) -> impl FnOnce() + Send + 'a
where
    F: FnOnce() -> T + Send + 'a,
    T: Send + 'a,
{
    move || {
        let task = current_task();
        let result = panic::catch_unwind(AssertUnwindSafe(move || {
            if let Some(reason) = task.and_then(cancel::take_before_start) {
                // Cancelled before it started: `f` never runs (`cancel`, step 5).
                drop(f);
                super::resume_unwind(Box::new(reason));
            }
            f()
        }));
        if let Some(task) = task {
            cancel::set_unwinding(task, false);
            // Its green-thread-locals die before a joiner can see it finished, as std's
            // thread-locals are destroyed before `join` returns.
            drop(task.with_locals(std::mem::take));
        }
        if let Err(payload) = result {
            if task.is_some_and(|t| t.is_cancelling()) {
                // The runtime is unwinding this green thread at shutdown: let the unwind go on
                // to the coroutine's root. `completion` reports `Cancelled` as it drops.
                super::resume_unwind(payload);
            }
            completion.complete(task, Err(payload));
        } else {
            completion.complete(task, result);
        }
    }
}
