//! Joining a green thread: the packet its result travels in, and [`JoinHandle`].
//!
//! The green thread's main function stores its result (or its panic's payload) in a
//! [`Packet`] shared with the handle, then wakes the one joiner registered there. If the
//! green thread never gets to finish (the runtime shuts down and unwinds it, or it is never
//! started), the [`Completion`] guard it holds stores [`Cancelled::Shutdown`] as it is
//! dropped, so a joiner always gets an answer. Cancellation on request is in `cancel`.

#![forbid(unsafe_code)]

use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::panic;
use std::sync::Arc;
use std::thread::Result;

use parking_lot::Mutex;

use super::scope::ScopeData;
use super::{Thread, block, block_no_cancel, cancel, current};
use crate::coroutine::Task;
use crate::runtime::WaitReason;

/// The panic payload [`JoinHandle::join`] returns for a green thread that was unwound
/// without finishing.
///
/// Test for it with `payload.is::<Cancelled>()`, or look at the variant with
/// `downcast_ref`. New reasons may be added, hence `#[non_exhaustive]`.
///
/// # Examples
///
/// ```
/// use greenthread::Cancelled;
///
/// let rt = greenthread::Runtime::new()?;
/// // Cancelled on request: it unwinds at its next switch point (here, `park`).
/// let asked = rt.spawn(|| loop { greenthread::park() });
/// asked.cancel();
/// let payload = asked.join().unwrap_err();
/// assert_eq!(payload.downcast_ref::<Cancelled>(), Some(&Cancelled::Requested));
///
/// // Cancelled by the runtime's shutdown.
/// let parked = rt.spawn(|| loop { greenthread::park() });
/// drop(rt); // shuts down: the parked green thread is unwound
/// let payload = parked.join().unwrap_err();
/// assert!(payload.is::<Cancelled>());
/// assert_eq!(payload.downcast_ref::<Cancelled>(), Some(&Cancelled::Shutdown));
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cancelled {
    /// [`JoinHandle::cancel`] (or `ScopedJoinHandle::cancel`) was called: the green thread
    /// unwound from a switch point, or never started.
    Requested,
    /// Its runtime shut down while it was parked or queued.
    Shutdown,
    /// The runtime found it deadlocked and was built with
    /// [`DeadlockAction::Panic`](crate::runtime::DeadlockAction::Panic).
    Deadlock,
}

impl fmt::Display for Cancelled {
    /// # Examples
    ///
    /// ```
    /// use greenthread::Cancelled;
    ///
    /// assert_eq!(
    ///     Cancelled::Requested.to_string(),
    ///     "green thread cancelled: JoinHandle::cancel was called"
    /// );
    /// assert_eq!(
    ///     Cancelled::Shutdown.to_string(),
    ///     "green thread cancelled: its runtime shut down before it finished"
    /// );
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Cancelled::Requested => "green thread cancelled: JoinHandle::cancel was called",
            Cancelled::Shutdown => {
                "green thread cancelled: its runtime shut down before it finished"
            }
            Cancelled::Deadlock => {
                "green thread cancelled: deadlocked, with every other green thread of its runtime"
            }
        })
    }
}

impl std::error::Error for Cancelled {}

/// Where a green thread's result waits for its joiner.
pub(crate) struct Packet<'scope, T> {
    scope: Option<Arc<ScopeData>>,
    state: Mutex<State<T>>,
    _scope: PhantomData<Option<&'scope ScopeData>>,
}

struct State<T> {
    /// The result, until the joiner takes it.
    result: Option<Result<T>>,
    /// Set once, when the result is stored.
    done: bool,
    /// The thread blocked in `join`, to wake when `done` is set.
    waiter: Option<Thread>,
}

impl<'scope, T> Packet<'scope, T> {
    pub(crate) fn new(scope: Option<Arc<ScopeData>>) -> Arc<Self> {
        if let Some(scope) = &scope {
            scope.increment_num_running_threads();
        }
        Arc::new(Packet {
            scope,
            state: Mutex::new(State {
                result: None,
                done: false,
                waiter: None,
            }),
            _scope: PhantomData,
        })
    }

    fn set(&self, result: Result<T>) {
        let waiter = {
            let mut st = self.state.lock();
            st.result = Some(result);
            st.done = true;
            st.waiter.take()
        };
        if let Some(w) = waiter {
            w.wake();
        }
    }

    fn is_done(&self) -> bool {
        self.state.lock().done
    }

    /// Stores the result of a green thread that ran its function (or was cancelled before
    /// it could); from here on it cannot be cancelled (`cancel`, step 4).
    fn finish(&self, task: Option<&Task>, result: Result<T>) {
        self.set(result);
        if let Some(task) = task {
            cancel::close(task);
        }
    }
}

impl<T> Drop for Packet<'_, T> {
    fn drop(&mut self) {
        let st = self.state.get_mut();
        let unhandled_panic = matches!(st.result, Some(Err(_)));
        // Drop the result here, before the scope hears about it: it may borrow from the
        // scope, which must still be alive. A panic in its destructor must not escape into
        // whichever thread happens to drop the packet.
        let result = st.result.take();
        if panic::catch_unwind(panic::AssertUnwindSafe(move || drop(result))).is_err() {
            eprintln!("greenthread: a green thread's result panicked while being dropped");
            std::process::abort();
        }
        if let Some(scope) = &self.scope {
            scope.decrement_num_running_threads(unhandled_panic);
        }
    }
}

/// Held by the green thread: stores its result, or [`Cancelled::Shutdown`] if dropped
/// unused.
pub(crate) struct Completion<'scope, T>(Option<Arc<Packet<'scope, T>>>);

impl<'scope, T> Completion<'scope, T> {
    pub(crate) fn new(packet: Arc<Packet<'scope, T>>) -> Self {
        Completion(Some(packet))
    }

    /// Stores the result; `task` is the green thread that ran (see [`Packet::finish`]).
    pub(crate) fn complete(mut self, task: Option<&Task>, result: Result<T>) {
        if let Some(packet) = self.0.take() {
            packet.finish(task, result);
        }
    }
}

impl<T> Drop for Completion<'_, T> {
    fn drop(&mut self) {
        if let Some(packet) = self.0.take() {
            packet.set(Err(Box::new(Cancelled::Shutdown)));
        }
    }
}

/// What [`JoinHandle`] and `ScopedJoinHandle` share.
pub(crate) struct JoinInner<'scope, T> {
    pub(crate) thread: Thread,
    pub(crate) packet: Arc<Packet<'scope, T>>,
}

impl<T> JoinInner<'_, T> {
    /// Waits for the result. `cancellable`: whether a cancellation of the *calling* green
    /// thread may unwind it from this wait (not when the joined green thread borrows from
    /// the caller's stack, as in `Runtime::block_on`).
    pub(crate) fn join(self, cancellable: bool) -> Result<T> {
        let mut registered = None;
        loop {
            {
                let mut st = self.packet.state.lock();
                if st.done {
                    return st
                        .result
                        .take()
                        .expect("a green thread's result is taken only by its one joiner");
                }
                if registered.is_none() {
                    st.waiter = Some(current());
                    registered = Some(Unregister(&self.packet.state));
                }
            }
            if crate::coroutine::current_task().is_some_and(|t| t.is_cancelling()) {
                // The joiner itself is being unwound at shutdown and cannot wait.
                return Err(Box::new(Cancelled::Shutdown) as Box<dyn Any + Send>);
            }
            let reason = WaitReason::Join(self.thread.id());
            if cancellable {
                block(reason, None);
            } else {
                block_no_cancel(reason, None);
            }
        }
    }

    pub(crate) fn is_finished(&self) -> bool {
        self.packet.is_done()
    }

    /// See [`JoinHandle::cancel`] and the protocol in `cancel`.
    pub(crate) fn cancel(&self) {
        let Some(task) = self.thread.task() else {
            return;
        };
        {
            let st = self.packet.state.lock();
            if st.done || !cancel::request(task, Cancelled::Requested) {
                return;
            }
        }
        self.thread.wake();
    }
}

/// Takes a joiner that unwinds out of `join` (cancelled) off the packet, so the green
/// thread's completion does not keep its record alive or wake it for nothing.
struct Unregister<'a, T>(&'a Mutex<State<T>>);

impl<T> Drop for Unregister<'_, T> {
    fn drop(&mut self) {
        self.0.lock().waiter = None;
    }
}

/// An owned permission to join a green thread, like `std::thread::JoinHandle`.
///
/// Dropping it detaches the green thread: it runs on, and its result is dropped.
///
/// # Examples
///
/// ```
/// let h: greenthread::JoinHandle<u8> = greenthread::spawn(|| 7);
/// assert_eq!(h.join().unwrap(), 7);
/// ```
pub struct JoinHandle<T>(pub(crate) JoinInner<'static, T>);

impl<T> JoinHandle<T> {
    /// Waits for the green thread to finish and returns its result, or the payload of its
    /// panic as `Err`, like std. On a green thread this parks only the caller; on an OS
    /// thread it blocks the OS thread.
    ///
    /// # Errors
    ///
    /// `Err(payload)` if the green thread panicked; the payload is a [`Cancelled`] if it was
    /// cancelled ([`JoinHandle::cancel`]) or its runtime shut down before it finished.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = greenthread::Runtime::new()?;
    /// let ok = rt.spawn(|| "fine");
    /// let bad = rt.spawn(|| panic!("on purpose"));
    /// assert_eq!(ok.join().unwrap(), "fine");
    /// let payload = bad.join().unwrap_err();
    /// assert_eq!(payload.downcast_ref::<&str>(), Some(&"on purpose"));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn join(self) -> Result<T> {
        self.0.join(true)
    }

    /// Cancels the green thread: it unwinds from its current switch point (if it is
    /// blocked) or its next one, as if it panicked there with the payload
    /// [`Cancelled::Requested`], so the destructors on its stack run and the locks it holds
    /// are released. [`join`](JoinHandle::join) then returns `Err` with that payload.
    ///
    /// The switch points are [`yield_now`](crate::yield_now) and every call that can wait:
    /// [`park`](crate::park), [`sleep`](crate::sleep), socket I/O, channel operations, the
    /// locks of [`sync`](crate::sync), `join`, [`unblock`](crate::unblock). What the green
    /// thread was blocked on is left consistent: it is taken out of the wait queue, and a
    /// lock, permit, notification or message it was handed at that moment is passed on to
    /// the next waiter (a message goes back into the channel, first in line); a job
    /// running in `unblock` runs on, and its result is dropped. Code between switch points
    /// is never interrupted.
    ///
    /// - A green thread that has not started yet never runs its function (it is dropped).
    /// - A green thread that finished already is not affected: `join` returns its result.
    /// - The cancellation is raised once. Destructors that wait during the unwind wait
    ///   normally, and code that catches the unwind (`std::panic::catch_unwind`) sees the
    ///   payload and may carry on; the green thread then runs normally.
    /// - A green thread waiting for the green threads of a [`scope`](crate::scope) or in
    ///   `Runtime::block_on` (they borrow from its stack) first waits for them to finish.
    ///
    /// Calling it from any thread is fine, green or not; calling it again before the
    /// cancellation is raised does nothing more.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::time::{Duration, Instant};
    /// use greenthread::Cancelled;
    ///
    /// struct Cleanup(Arc<AtomicBool>);
    /// impl Drop for Cleanup {
    ///     fn drop(&mut self) {
    ///         self.0.store(true, Ordering::SeqCst);
    ///     }
    /// }
    ///
    /// let rt = greenthread::Runtime::new()?;
    /// let cleaned_up = Arc::new(AtomicBool::new(false));
    /// // Owned by the closure: dropped by the unwind, or with the closure if it never starts.
    /// let cleanup = Cleanup(cleaned_up.clone());
    /// let start = Instant::now();
    /// let sleeper = rt.spawn(move || {
    ///     let _cleanup = cleanup;
    ///     greenthread::sleep(Duration::from_secs(3600));
    /// });
    /// sleeper.cancel();
    /// let payload = sleeper.join().unwrap_err();
    /// assert_eq!(payload.downcast_ref::<Cancelled>(), Some(&Cancelled::Requested));
    /// assert!(cleaned_up.load(Ordering::SeqCst)); // its destructors ran
    /// assert!(start.elapsed() < Duration::from_secs(60)); // it did not sleep an hour
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
    /// let h = greenthread::Builder::new().name("t".into()).spawn(greenthread::current)?;
    /// let id = h.thread().id();
    /// assert_eq!(h.join().unwrap().id(), id);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn thread(&self) -> &Thread {
        &self.0.thread
    }

    /// Whether the green thread has finished (its result is ready), without blocking.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = greenthread::spawn(|| 1);
    /// while !h.is_finished() {
    ///     greenthread::yield_now();
    /// }
    /// assert_eq!(h.join().unwrap(), 1); // ready: join does not wait
    /// ```
    pub fn is_finished(&self) -> bool {
        self.0.is_finished()
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("thread", &self.0.thread)
            .finish_non_exhaustive()
    }
}
