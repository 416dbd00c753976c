//! Joining a green thread: the packet its result travels in, and [`JoinHandle`].
//!
//! The green thread's main function stores its result (or its panic's payload) in a
//! [`Packet`] shared with the handle, then wakes the one joiner registered there. If the
//! green thread never gets to finish (the runtime shuts down and unwinds it, or it is never
//! started), the [`Completion`] guard it holds stores [`Cancelled`] as it is dropped, so a
//! joiner always gets an answer.

#![forbid(unsafe_code)]

use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::panic;
use std::sync::Arc;
use std::thread::Result;

use parking_lot::Mutex;

use super::scope::ScopeData;
use super::{Thread, block, current};
use crate::runtime::WaitReason;

/// The panic payload [`JoinHandle::join`] returns for a green thread that was unwound
/// without finishing, because its runtime shut down while it was parked or queued.
///
/// # Examples
///
/// ```
/// use greenthread::Cancelled;
///
/// let rt = greenthread::Runtime::new()?;
/// let parked = rt.spawn(|| loop { greenthread::park() });
/// drop(rt); // shuts down: the parked green thread is unwound
/// let payload = parked.join().unwrap_err();
/// assert!(payload.is::<Cancelled>());
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("green thread cancelled: its runtime shut down before it finished")
    }
}

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

/// Held by the green thread: stores its result, or [`Cancelled`] if dropped unused.
pub(crate) struct Completion<'scope, T>(Option<Arc<Packet<'scope, T>>>);

impl<'scope, T> Completion<'scope, T> {
    pub(crate) fn new(packet: Arc<Packet<'scope, T>>) -> Self {
        Completion(Some(packet))
    }

    pub(crate) fn complete(mut self, result: Result<T>) {
        if let Some(packet) = self.0.take() {
            packet.set(result);
        }
    }
}

impl<T> Drop for Completion<'_, T> {
    fn drop(&mut self) {
        if let Some(packet) = self.0.take() {
            packet.set(Err(Box::new(Cancelled)));
        }
    }
}

/// What [`JoinHandle`] and `ScopedJoinHandle` share.
pub(crate) struct JoinInner<'scope, T> {
    pub(crate) thread: Thread,
    pub(crate) packet: Arc<Packet<'scope, T>>,
}

impl<T> JoinInner<'_, T> {
    pub(crate) fn join(self) -> Result<T> {
        let mut registered = false;
        loop {
            {
                let mut st = self.packet.state.lock();
                if st.done {
                    return st
                        .result
                        .take()
                        .expect("a green thread's result is taken only by its one joiner");
                }
                if !registered {
                    st.waiter = Some(current());
                    registered = true;
                }
            }
            if crate::coroutine::current_task().is_some_and(|t| t.is_cancelling()) {
                // The joiner itself is being unwound at shutdown and cannot wait.
                return Err(Box::new(Cancelled) as Box<dyn Any + Send>);
            }
            block(WaitReason::Join(self.thread.id()), None);
        }
    }

    pub(crate) fn is_finished(&self) -> bool {
        self.packet.is_done()
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
    /// `Err(payload)` if the green thread panicked; the payload is a [`Cancelled`] if its
    /// runtime shut down before it finished.
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
        self.0.join()
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
