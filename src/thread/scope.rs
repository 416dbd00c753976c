//! Scoped green threads, like `std::thread::scope`: they may borrow from the caller, because
//! the scope waits for all of them before it returns.

#![forbid(unsafe_code)]

use std::fmt;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::Result;

use super::{Builder, JoinInner, Thread, block_no_cancel, current};
use crate::runtime::WaitReason;

/// A scope to spawn scoped green threads in; see [`scope`].
///
/// # Examples
///
/// ```
/// let v = vec![1, 2, 3];
/// let (a, b) = greenthread::scope(|s: &greenthread::Scope<'_, '_>| {
///     let a = s.spawn(|| v[0]);
///     let b = s.spawn(|| v[2]);
///     (a.join().unwrap(), b.join().unwrap())
/// });
/// assert_eq!(a + b, 4);
/// ```
pub struct Scope<'scope, 'env: 'scope> {
    pub(crate) data: Arc<ScopeData>,
    /// Invariance over 'scope, so the scope cannot shrink (as in std).
    scope: PhantomData<&'scope mut &'scope ()>,
    /// Invariance over 'env, so the scope cannot grow (as in std).
    env: PhantomData<&'env mut &'env ()>,
}

/// What the scope and its green threads share.
pub(crate) struct ScopeData {
    /// Green threads whose packet is still alive (result not yet dropped).
    num_running_threads: AtomicUsize,
    /// Whether one of them panicked and nobody joined it.
    a_thread_panicked: AtomicBool,
    /// The thread waiting in `scope`.
    main_thread: Thread,
}

impl ScopeData {
    pub(crate) fn increment_num_running_threads(&self) {
        // Wrapping past usize::MAX / 2 would make the count meaningless; like std, abort.
        if self.num_running_threads.fetch_add(1, Ordering::Relaxed) > usize::MAX / 2 {
            self.decrement_num_running_threads(false);
            panic!("too many running green threads in greenthread::scope");
        }
    }

    pub(crate) fn decrement_num_running_threads(&self, panic: bool) {
        if panic {
            self.a_thread_panicked.store(true, Ordering::Relaxed);
        }
        if self.num_running_threads.fetch_sub(1, Ordering::Release) == 1 {
            self.main_thread.wake();
        }
    }
}

/// Creates a scope for spawning green threads that borrow from the caller, like
/// `std::thread::scope`.
///
/// All green threads spawned in the scope are joined before this returns. If one of them
/// panicked and was not joined, this panics once they have all finished; a panic of `f`
/// itself is resumed likewise.
///
/// # Examples
///
/// ```
/// let rt = greenthread::Runtime::new()?;
/// let mut numbers = vec![1, 2, 3];
/// let total = rt.block_on(|| {
///     greenthread::scope(|s| {
///         let sum = s.spawn(|| numbers.iter().sum::<i32>());
///         s.spawn(|| println!("{} numbers", numbers.len()));
///         sum.join().unwrap()
///     })
/// });
/// numbers.push(4); // the borrow ended with the scope
/// assert_eq!(total, 6);
/// # std::io::Result::Ok(())
/// ```
#[track_caller]
pub fn scope<'env, F, T>(f: F) -> T
where
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> T,
{
    let scope = Scope {
        data: Arc::new(ScopeData {
            num_running_threads: AtomicUsize::new(0),
            a_thread_panicked: AtomicBool::new(false),
            main_thread: current(),
        }),
        scope: PhantomData,
        env: PhantomData,
    };
    let result = catch_unwind(AssertUnwindSafe(|| f(&scope)));
    while scope.data.num_running_threads.load(Ordering::Acquire) != 0 {
        if crate::coroutine::current_task().is_some_and(|t| t.is_cancelling()) {
            // Shutdown unwinds the newest green threads first, so ours are gone already.
            break;
        }
        // Not cancellable: the green threads borrow from frames a cancellation would unwind.
        // A cancelled caller waits for them, then unwinds at its next switch point.
        block_no_cancel(WaitReason::Scope, None);
    }
    match result {
        Err(e) => super::resume_unwind(e),
        Ok(_) if scope.data.a_thread_panicked.load(Ordering::Relaxed) => {
            panic!("a scoped green thread panicked")
        }
        Ok(result) => result,
    }
}

impl<'scope> Scope<'scope, '_> {
    /// Spawns a scoped green thread, like `std::thread::Scope::spawn`. It may borrow
    /// anything that outlives the scope.
    ///
    /// # Panics
    ///
    /// If the green thread cannot be created; use [`Builder::spawn_scoped`] to get the error.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut count = 0;
    /// greenthread::scope(|s| {
    ///     s.spawn(|| count += 1); // borrows `count` mutably
    /// });
    /// assert_eq!(count, 1);
    /// ```
    pub fn spawn<F, T>(&'scope self, f: F) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        Builder::new()
            .spawn_scoped(self, f)
            .expect("failed to spawn green thread")
    }
}

impl fmt::Debug for Scope<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field(
                "num_running_threads",
                &self.data.num_running_threads.load(Ordering::Relaxed),
            )
            .field("main_thread", &self.data.main_thread)
            .finish_non_exhaustive()
    }
}

/// An owned permission to join a scoped green thread, like `std::thread::ScopedJoinHandle`.
///
/// # Examples
///
/// ```
/// let text = String::from("hello");
/// let n = greenthread::scope(|s| s.spawn(|| text.len()).join().unwrap());
/// assert_eq!(n, 5);
/// ```
pub struct ScopedJoinHandle<'scope, T>(pub(crate) JoinInner<'scope, T>);

impl<T> ScopedJoinHandle<'_, T> {
    /// Waits for the green thread to finish; `Err` carries its panic's payload.
    ///
    /// # Errors
    ///
    /// `Err(payload)` if the green thread panicked; a [`Cancelled`](crate::Cancelled) if it
    /// was cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// let v = [1, 2, 3];
    /// greenthread::scope(|s| {
    ///     let ok = s.spawn(|| v.len());
    ///     assert_eq!(ok.join().unwrap(), 3);
    /// });
    /// ```
    pub fn join(self) -> Result<T> {
        self.0.join(true)
    }

    /// Asks the green thread to unwind at its next switch point, like
    /// [`JoinHandle::cancel`](crate::JoinHandle::cancel); `join` then returns
    /// `Err(`[`Cancelled::Requested`](crate::Cancelled::Requested)`)` unless it finished
    /// first.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::Cancelled;
    ///
    /// let rt = greenthread::Runtime::new()?;
    /// let mut cleaned_up = false;
    /// rt.block_on(|| {
    ///     greenthread::scope(|s| {
    ///         struct Cleanup<'a>(&'a mut bool);
    ///         impl Drop for Cleanup<'_> {
    ///             fn drop(&mut self) {
    ///                 *self.0 = true;
    ///             }
    ///         }
    ///         // Owned by the closure: dropped by the unwind, or with the closure if it
    ///         // never starts.
    ///         let cleanup = Cleanup(&mut cleaned_up);
    ///         let h = s.spawn(move || {
    ///             let _c = cleanup;
    ///             loop {
    ///                 greenthread::park();
    ///             }
    ///         });
    ///         h.cancel();
    ///         let payload = h.join().unwrap_err();
    ///         assert_eq!(payload.downcast_ref(), Some(&Cancelled::Requested));
    ///     })
    /// });
    /// assert!(cleaned_up);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn cancel(&self) {
        self.0.cancel();
    }

    /// The green thread's handle.
    ///
    /// # Examples
    ///
    /// ```
    /// greenthread::scope(|s| {
    ///     let h = s.spawn(|| greenthread::current().id());
    ///     let id = h.thread().id();
    ///     assert_eq!(h.join().unwrap(), id);
    /// });
    /// ```
    pub fn thread(&self) -> &Thread {
        &self.0.thread
    }

    /// Whether the green thread has finished, without blocking.
    ///
    /// # Examples
    ///
    /// ```
    /// greenthread::scope(|s| {
    ///     let h = s.spawn(|| 1);
    ///     while !h.is_finished() {
    ///         greenthread::yield_now();
    ///     }
    ///     assert_eq!(h.join().unwrap(), 1);
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.0.is_finished()
    }
}

impl<T> fmt::Debug for ScopedJoinHandle<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopedJoinHandle")
            .field("thread", &self.0.thread)
            .finish_non_exhaustive()
    }
}
