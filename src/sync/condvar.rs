//! [`Condvar`]: wait for a condition under a [`Mutex`](super::Mutex), parking only the green thread.
//!
//! The condvar keeps a FIFO queue of [`Waiter`]s. `wait` queues the caller *before* it
//! unlocks the mutex, so a `notify` made by anyone who took the mutex after that finds it in
//! the queue: no lost wake-up. A notifier chooses a waiter with [`NOTIFIED`] (CAS, so a
//! waiter that timed out at the same moment is skipped and the next one is notified
//! instead) and wakes it.

#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::loom::time::Instant;
use crate::runtime::WaitReason;
use crate::sync::mutex::MutexGuard;
use crate::sync::waiter::{CHOSEN, Waiter};

const NOTIFIED: usize = CHOSEN;

/// Whether a timed wait on a [`Condvar`] returned because its time ran out.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenthread::sync::{Condvar, Mutex, WaitTimeoutResult};
///
/// let (m, cv) = (Mutex::new(()), Condvar::new());
/// let r: WaitTimeoutResult = cv.wait_for(&mut m.lock(), Duration::from_millis(1));
/// assert!(r.timed_out());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// `true` if the wait ended because the timeout elapsed (not a notification).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenthread::sync::{Condvar, Mutex};
    ///
    /// let (m, cv) = (Mutex::new(()), Condvar::new());
    /// assert!(cv.wait_for(&mut m.lock(), Duration::from_millis(1)).timed_out());
    /// ```
    pub fn timed_out(&self) -> bool {
        self.0
    }
}

/// A condition variable for this crate's [`Mutex`](crate::sync::Mutex), like
/// `parking_lot::Condvar`.
///
/// Waiting parks the green thread (or blocks the OS thread); notifications work between
/// any mix of the two. As with every condition variable, a wait may return without a
/// notification, so wait in a loop on your condition, or use [`wait_while`](Self::wait_while).
///
/// A green thread cancelled while it waits ([`JoinHandle::cancel`](crate::JoinHandle::cancel))
/// locks the mutex again before it unwinds, so its guard still holds the lock (as in std) and
/// unlocks it on the way out; a notification it was given is passed on to the next waiter.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use greenthread::sync::{Condvar, Mutex};
///
/// let rt = greenthread::Runtime::new()?;
/// let pair = Arc::new((Mutex::new(false), Condvar::new()));
/// let pair2 = pair.clone();
/// rt.spawn(move || {
///     *pair2.0.lock() = true;
///     pair2.1.notify_one();
/// });
/// let (lock, cvar) = &*pair;
/// let mut started = lock.lock();
/// cvar.wait_while(&mut started, |started| !*started);
/// assert!(*started);
/// # std::io::Result::Ok(())
/// ```
pub struct Condvar {
    queue: crate::loom::sync::Mutex<VecDeque<Arc<Waiter>>>,
}

impl Condvar {
    /// A condition variable with no waiters.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::sync::Condvar;
    ///
    /// static CV: Condvar = Condvar::new();
    /// assert!(!CV.notify_one()); // nobody waits
    /// ```
    pub const fn new() -> Condvar {
        Condvar {
            queue: crate::loom::sync::Mutex::new(VecDeque::new()),
        }
    }

    /// Unlocks the guard's mutex, waits for a notification, and locks it again.
    ///
    /// May return without a notification (spuriously), so wait in a loop on a condition.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use greenthread::sync::{Condvar, Mutex};
    ///
    /// let pair = Arc::new((Mutex::new(false), Condvar::new()));
    /// let p = pair.clone();
    /// greenthread::spawn(move || { *p.0.lock() = true; p.1.notify_one(); });
    /// let mut ready = pair.0.lock();
    /// while !*ready {
    ///     pair.1.wait(&mut ready);
    /// }
    /// ```
    pub fn wait<T: ?Sized>(&self, guard: &mut MutexGuard<'_, T>) {
        self.wait_until_internal(guard, None, WaitReason::Condvar);
    }

    /// Like [`wait`](Self::wait), giving up after `timeout`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenthread::sync::{Condvar, Mutex};
    ///
    /// let (m, cv) = (Mutex::new(()), Condvar::new());
    /// let mut g = m.lock();
    /// assert!(cv.wait_for(&mut g, Duration::from_millis(5)).timed_out());
    /// ```
    pub fn wait_for<T: ?Sized>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        timeout: Duration,
    ) -> WaitTimeoutResult {
        self.wait_until_internal(
            guard,
            Instant::now().checked_add(timeout),
            WaitReason::Condvar,
        )
    }

    /// Like [`wait`](Self::wait), giving up at `deadline`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use greenthread::sync::{Condvar, Mutex};
    ///
    /// let (m, cv) = (Mutex::new(()), Condvar::new());
    /// let deadline = Instant::now() + Duration::from_millis(5);
    /// assert!(cv.wait_until(&mut m.lock(), deadline).timed_out());
    /// assert!(Instant::now() >= deadline);
    /// ```
    pub fn wait_until<T: ?Sized>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        deadline: Instant,
    ) -> WaitTimeoutResult {
        self.wait_until_internal(guard, Some(deadline), WaitReason::Condvar)
    }

    /// Waits while `condition` holds (checked first, under the lock).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use greenthread::sync::{Condvar, Mutex};
    ///
    /// let pair = Arc::new((Mutex::new(0), Condvar::new()));
    /// let p = pair.clone();
    /// greenthread::spawn(move || { *p.0.lock() = 3; p.1.notify_all(); });
    /// let mut n = pair.0.lock();
    /// pair.1.wait_while(&mut n, |n| *n == 0);
    /// assert_eq!(*n, 3);
    /// ```
    pub fn wait_while<T: ?Sized, F>(&self, guard: &mut MutexGuard<'_, T>, condition: F)
    where
        F: FnMut(&mut T) -> bool,
    {
        self.wait_while_as(guard, WaitReason::Condvar, condition);
    }

    /// [`wait_while`](Self::wait_while) for the primitives built on a condvar (`RwLock`,
    /// `Barrier`, `WaitGroup`), which name their own wait in the dump.
    pub(crate) fn wait_while_as<T: ?Sized, F>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        reason: WaitReason,
        mut condition: F,
    ) where
        F: FnMut(&mut T) -> bool,
    {
        while condition(&mut **guard) {
            self.wait_until_internal(guard, None, reason);
        }
    }

    /// Like [`wait_while`](Self::wait_while), giving up after `timeout`; the result says
    /// whether it timed out with the condition still holding.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenthread::sync::{Condvar, Mutex};
    ///
    /// let (m, cv) = (Mutex::new(0), Condvar::new());
    /// let mut g = m.lock();
    /// assert!(cv.wait_while_for(&mut g, |n| *n == 0, Duration::from_millis(5)).timed_out());
    /// // A condition that is already false returns at once.
    /// assert!(!cv.wait_while_for(&mut g, |n| *n != 0, Duration::from_secs(10)).timed_out());
    /// ```
    pub fn wait_while_for<T: ?Sized, F>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        mut condition: F,
        timeout: Duration,
    ) -> WaitTimeoutResult
    where
        F: FnMut(&mut T) -> bool,
    {
        let deadline = Instant::now().checked_add(timeout);
        while condition(&mut **guard) {
            if self
                .wait_until_internal(guard, deadline, WaitReason::Condvar)
                .timed_out()
            {
                return WaitTimeoutResult(condition(&mut **guard));
            }
        }
        WaitTimeoutResult(false)
    }

    fn wait_until_internal<T: ?Sized>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        deadline: Option<Instant>,
        reason: WaitReason,
    ) -> WaitTimeoutResult {
        let waiter = Arc::new(Waiter::new());
        self.queue.lock().push_back(waiter.clone());
        let raw = guard.mutex.raw();
        raw.unlock();
        // Relocks (and cleans up) even if the wait is unwound (cancelled, or at runtime
        // shutdown): the caller's guard will unlock on its way out.
        let mut relock = Relock {
            condvar: self,
            raw,
            waiter: &waiter,
            unwound: true,
        };
        let timed_out = waiter.wait_chosen(reason, deadline).is_err();
        relock.unwound = false;
        drop(relock);
        WaitTimeoutResult(timed_out)
    }

    /// Wakes one waiter, the longest waiting; returns whether there was one.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::sync::Condvar;
    ///
    /// let cv = Condvar::new();
    /// assert!(!cv.notify_one()); // no waiter to wake
    /// ```
    #[inline]
    pub fn notify_one(&self) -> bool {
        let mut queue = self.queue.lock();
        while let Some(w) = queue.pop_front() {
            if w.choose(NOTIFIED) {
                drop(queue);
                w.wake();
                return true;
            }
        }
        false
    }

    /// Wakes every waiter; returns how many there were.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::sync::Condvar;
    ///
    /// let cv = Condvar::new();
    /// assert_eq!(cv.notify_all(), 0); // no waiters yet
    /// ```
    pub fn notify_all(&self) -> usize {
        let waiters = std::mem::take(&mut *self.queue.lock());
        let mut n = 0;
        for w in waiters {
            if w.choose(NOTIFIED) {
                w.wake();
                n += 1;
            }
        }
        n
    }
}

impl Default for Condvar {
    fn default() -> Condvar {
        Condvar::new()
    }
}

/// Ends a wait: gives up if not notified (removing the waiter), and locks the mutex again.
///
/// A wait unwound by a cancellation also re-acquires the mutex before the unwind goes on (the
/// caller's guard always holds the lock, as in std, and unlocks it on its way out), and
/// passes on a notification it was chosen for.
struct Relock<'a> {
    condvar: &'a Condvar,
    raw: &'a crate::sync::mutex::RawMutex,
    waiter: &'a Arc<Waiter>,
    /// Still set when the wait unwinds rather than returns.
    unwound: bool,
}

impl Drop for Relock<'_> {
    fn drop(&mut self) {
        match self.waiter.abort() {
            Ok(()) => self
                .condvar
                .queue
                .lock()
                .retain(|w| !Arc::ptr_eq(w, self.waiter)),
            // Notified, but unwinding (cancelled): pass the notification on, or a
            // `notify_one` would wake no one who can act on it.
            Err(_) if self.unwound => {
                self.condvar.notify_one();
            }
            Err(_) => {}
        }
        // The caller's guard must hold the lock again, even on the way out of a cancelled
        // wait, so this wait does not raise.
        self.raw.lock_no_cancel();
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condvar")
            .field("waiters", &self.queue.lock().len())
            .finish()
    }
}
