//! [`Mutex`]: a lock that parks the waiting green thread, not its worker.
//!
//! # State word
//!
//! ```text
//!  bit     | meaning
//! ---------+------------------------------------------------------------------
//!  LOCKED  | someone holds the lock
//!  PARKED  | the wait queue may be non-empty: unlock must take the slow path
//! ```
//!
//! `lock` is one CAS `0 -> LOCKED` when free (`#[inline]`); `unlock` one CAS `LOCKED -> 0`
//! when no one waits. Otherwise the `#[cold]` slow paths take the queue lock, which guards the
//! queue *and* every change of PARKED: a locker sets PARKED and re-checks LOCKED under it
//! before it queues itself, and an unlocker pops a waiter and recomputes PARKED under it, so
//! a waiter is never queued behind an unlock that did not see it.
//!
//! # Fairness
//!
//! Normally an unlock releases the lock and wakes the first waiter, which competes again
//! with threads that have not parked (barging keeps throughput high: a running thread need
//! not wait for a parked one to be scheduled). A waiter that has waited longer than
//! [`FAIR_AFTER`] is instead *handed* the lock: the unlocker keeps LOCKED set and chooses
//! the waiter with [`HANDOFF`], so it returns owning the lock and cannot starve
//! (parking_lot's "eventual fairness").
//!
//! No poisoning: a panic while holding the lock just unlocks it, like parking_lot.

use crate::runtime::WaitReason;
use std::cell::UnsafeCell;
use std::collections::VecDeque;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use crate::loom::time::Instant;

use crate::loom::SPINS;
use crate::loom::sync::atomic::{AtomicU8, Ordering};
use crate::sync::waiter::{CHOSEN, Waiter};

const LOCKED: u8 = 1;
const PARKED: u8 = 2;

/// The waiter was handed the lock: it owns it.
const HANDOFF: usize = CHOSEN;
/// The lock was released for the waiter: it competes for it again.
const RETRY: usize = CHOSEN + 1;

/// A waiter waiting longer than this is handed the lock at the next unlock.
pub(crate) const FAIR_AFTER: Duration = Duration::from_micros(500);

/// The lock without the data: state word plus wait queue. Shared with `Condvar`.
pub(crate) struct RawMutex {
    state: AtomicU8,
    /// The parked lockers, oldest first, with the instant each one queued.
    queue: crate::loom::sync::Mutex<VecDeque<(std::sync::Arc<Waiter>, Instant)>>,
}

impl RawMutex {
    pub(crate) const fn new() -> RawMutex {
        RawMutex {
            state: AtomicU8::new(0),
            queue: crate::loom::sync::Mutex::new(VecDeque::new()),
        }
    }

    #[inline]
    pub(crate) fn try_lock(&self) -> bool {
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            if s & LOCKED != 0 {
                return false;
            }
            match self.state.compare_exchange_weak(
                s,
                s | LOCKED,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => s = actual,
            }
        }
    }

    #[inline]
    pub(crate) fn lock(&self) {
        self.lock_with(true);
    }

    /// [`RawMutex::lock`] whose wait never raises a cancellation of the calling green
    /// thread: for the crate's own waits that must end holding the lock (a condvar's
    /// re-acquire, bookkeeping in destructors).
    #[inline]
    pub(crate) fn lock_no_cancel(&self) {
        self.lock_with(false);
    }

    #[inline]
    fn lock_with(&self, cancellable: bool) {
        if self
            .state
            .compare_exchange_weak(0, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_slow(None, cancellable);
        }
    }

    #[inline]
    pub(crate) fn try_lock_until(&self, deadline: Option<Instant>) -> bool {
        self.state
            .compare_exchange_weak(0, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
            || self.lock_slow(deadline, true)
    }

    /// # Contract
    ///
    /// The caller holds the lock.
    #[inline]
    pub(crate) fn unlock(&self) {
        if self
            .state
            .compare_exchange(LOCKED, 0, Ordering::Release, Ordering::Relaxed)
            .is_err()
        {
            self.unlock_slow();
        }
    }

    /// `cancellable`: whether a cancellation of the calling green thread may unwind it from
    /// the wait (the `Abandon` guard then takes it out of the queue).
    #[cold]
    fn lock_slow(&self, deadline: Option<Instant>, cancellable: bool) -> bool {
        let mut spins = 0;
        loop {
            let s = self.state.load(Ordering::Relaxed);
            if s & LOCKED == 0 {
                if self.try_lock() {
                    return true;
                }
                continue;
            }
            // Spin a little (only while no one is parked: then the holder is likely
            // running and about to unlock), before paying for a park.
            if s & PARKED == 0 && spins < SPINS {
                spins += 1;
                for _ in 0..(1 << spins.min(6)) {
                    std::hint::spin_loop();
                }
                continue;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return false;
            }
            // Queue ourselves, unless the lock was released meanwhile.
            let waiter = Arc::new(if cancellable {
                Waiter::new()
            } else {
                Waiter::no_cancel()
            });
            {
                let mut queue = self.queue.lock();
                let s = self.state.fetch_or(PARKED, Ordering::Relaxed);
                if s & LOCKED == 0 {
                    // Released before we set PARKED: undo (if no one else is queued) and retry.
                    if queue.is_empty() {
                        self.state.fetch_and(!PARKED, Ordering::Relaxed);
                    }
                    continue;
                }
                queue.push_back((waiter.clone(), Instant::now()));
            }
            let abandon = Abandon {
                mutex: self,
                waiter: &waiter,
            };
            let outcome = waiter.wait_chosen(WaitReason::Mutex, deadline);
            std::mem::forget(abandon);
            match outcome {
                Ok(HANDOFF) => return true,
                Ok(_) => {
                    // RETRY: the lock was released for us. Past the deadline, one last
                    // try: if it fails, the holder will wake the next waiter.
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        return self.try_lock();
                    }
                    spins = 0;
                }
                Err(()) => {
                    self.remove(&waiter);
                    return false;
                }
            }
        }
    }

    /// Takes an aborted waiter out of the queue, clearing PARKED if it was the last one.
    fn remove(&self, waiter: &Arc<Waiter>) {
        let mut queue = self.queue.lock();
        queue.retain(|(w, _)| !Arc::ptr_eq(w, waiter));
        if queue.is_empty() {
            self.state.fetch_and(!PARKED, Ordering::Relaxed);
        }
    }

    #[cold]
    fn unlock_slow(&self) {
        let mut queue = self.queue.lock();
        loop {
            let Some((waiter, since)) = queue.pop_front() else {
                // We hold LOCKED and no one is queued: release and clear PARKED at once.
                self.state.store(0, Ordering::Release);
                return;
            };
            let handoff = since.elapsed() >= FAIR_AFTER;
            let more = if queue.is_empty() { 0 } else { PARKED };
            if handoff {
                if !waiter.choose(HANDOFF) {
                    continue; // it gave up; try the next one
                }
                // Keep LOCKED: the waiter owns the lock now.
                self.state.store(LOCKED | more, Ordering::Relaxed);
            } else {
                if !waiter.choose(RETRY) {
                    continue;
                }
                self.state.store(more, Ordering::Release);
            }
            drop(queue);
            waiter.wake();
            return;
        }
    }
}

/// Cleans up a queued locker whose stack is unwound while it waits (cancelled, or runtime
/// shutdown): it gives up and leaves the queue, and whatever it was given meanwhile is passed
/// on. The mutex stays usable by everyone else: a handed-off lock is unlocked (which hands it
/// to the next waiter), and a wake-up to retry is passed on by taking and releasing the lock
/// if it is free (if not, its holder's unlock wakes the next waiter).
struct Abandon<'a> {
    mutex: &'a RawMutex,
    waiter: &'a Arc<Waiter>,
}

impl Drop for Abandon<'_> {
    fn drop(&mut self) {
        match self.waiter.abort() {
            Ok(()) => self.mutex.remove(self.waiter),
            Err(HANDOFF) => self.mutex.unlock(),
            Err(_) => {
                if self.mutex.try_lock() {
                    self.mutex.unlock();
                }
            }
        }
    }
}

impl fmt::Debug for RawMutex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.state.load(Ordering::Relaxed);
        f.debug_struct("RawMutex")
            .field("locked", &(s & LOCKED != 0))
            .field("parked", &(s & PARKED != 0))
            .finish()
    }
}

/// A mutual-exclusion lock whose waiters park as green threads (or block as OS threads).
///
/// Like `parking_lot::Mutex`: no poisoning, `lock` returns the guard directly, and a waiter
/// cannot starve (after waiting 0.5 ms it is handed the lock directly). It
/// works between any mix of green threads and OS threads.
///
/// Unlike `std::sync::Mutex`, holding the guard across a switch point (a `sleep`, a channel
/// operation) is fine: a green thread that waits for the lock parks, and its worker runs the
/// holder meanwhile.
///
/// A green thread cancelled while it waits in `lock`
/// ([`JoinHandle::cancel`](crate::JoinHandle::cancel)) unwinds without the lock and leaves
/// the queue (passing the lock on if it was just handed to it); a guard it holds is
/// released by the unwind.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use greenthread::sync::Mutex;
///
/// let rt = greenthread::Runtime::new()?;
/// let counter = Arc::new(Mutex::new(0));
/// let handles: Vec<_> = (0..100)
///     .map(|_| {
///         let counter = counter.clone();
///         rt.spawn(move || {
///             for _ in 0..100 {
///                 *counter.lock() += 1;
///             }
///         })
///     })
///     .collect();
/// for h in handles {
///     h.join().unwrap();
/// }
/// assert_eq!(*counter.lock(), 10_000);
/// # std::io::Result::Ok(())
/// ```
pub struct Mutex<T: ?Sized> {
    raw: RawMutex,
    data: UnsafeCell<T>,
}

// SAFETY: the mutex hands out access to `T` to one thread at a time, so it may be shared
// (`Sync`) and sent when `T` may be sent, exactly like `std::sync::Mutex`.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as above: `&Mutex<T>` only gives `&mut T` to the single lock holder.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

/// Proof of holding a [`Mutex`]; dereferences to the data, unlocks on drop.
///
/// # Examples
///
/// ```
/// use greenthread::sync::{Mutex, MutexGuard};
///
/// let m = Mutex::new(vec![1]);
/// {
///     let mut g: MutexGuard<'_, Vec<i32>> = m.lock();
///     g.push(2); // derefs to the data
/// } // unlocked here
/// assert!(!m.is_locked());
/// assert_eq!(*m.lock(), [1, 2]);
/// ```
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MutexGuard<'a, T: ?Sized> {
    pub(crate) mutex: &'a Mutex<T>,
    /// `MutexGuard` is `!Send`, like std's: a holder cannot move the guard to another thread.
    _not_send: std::marker::PhantomData<*const ()>,
}

// SAFETY: sharing `&MutexGuard` only shares `&T`, which needs `T: Sync`.
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}

impl<T> Mutex<T> {
    /// A new, unlocked mutex holding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::sync::Mutex;
    ///
    /// static COUNT: Mutex<u32> = Mutex::new(0);
    /// *COUNT.lock() += 1;
    /// assert_eq!(*COUNT.lock(), 1);
    /// ```
    pub const fn new(value: T) -> Mutex<T> {
        Mutex {
            raw: RawMutex::new(),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the mutex, returning the data.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = greenthread::sync::Mutex::new(vec![1]);
    /// m.lock().push(2);
    /// assert_eq!(m.into_inner(), [1, 2]);
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks the mutex, parking the calling green thread (or blocking the OS thread) until
    /// it is available.
    ///
    /// Not reentrant: locking twice on one thread deadlocks.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use greenthread::sync::Mutex;
    ///
    /// let m = Arc::new(Mutex::new(0));
    /// let m2 = m.clone();
    /// greenthread::spawn(move || *m2.lock() += 1).join().unwrap();
    /// *m.lock() += 1;
    /// assert_eq!(*m.lock(), 2);
    /// ```
    #[inline]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        self.raw.lock();
        self.guard()
    }

    /// Locks the mutex if it is free right now.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = greenthread::sync::Mutex::new(1);
    /// let g = m.lock();
    /// assert!(m.try_lock().is_none());
    /// drop(g);
    /// assert_eq!(*m.try_lock().unwrap(), 1);
    /// ```
    #[inline]
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.raw.try_lock().then(|| self.guard())
    }

    /// Locks the mutex, waiting at most `timeout`; `None` if it did not become available.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let m = greenthread::sync::Mutex::new(());
    /// let _g = m.lock();
    /// assert!(m.try_lock_for(Duration::from_millis(5)).is_none());
    /// ```
    pub fn try_lock_for(&self, timeout: Duration) -> Option<MutexGuard<'_, T>> {
        let deadline = Instant::now().checked_add(timeout);
        self.raw.try_lock_until(deadline).then(|| self.guard())
    }

    /// Locks the mutex, waiting until `deadline` at the latest.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let m = greenthread::sync::Mutex::new(());
    /// let g = m.lock();
    /// assert!(m.try_lock_until(Instant::now() + Duration::from_millis(5)).is_none());
    /// drop(g);
    /// assert!(m.try_lock_until(Instant::now()).is_some());
    /// ```
    pub fn try_lock_until(&self, deadline: Instant) -> Option<MutexGuard<'_, T>> {
        self.raw
            .try_lock_until(Some(deadline))
            .then(|| self.guard())
    }

    /// A mutable reference to the data; no locking needed, the borrow proves exclusivity.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = greenthread::sync::Mutex::new(1);
    /// *m.get_mut() += 1;
    /// assert_eq!(*m.lock(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    /// Whether the mutex is locked right now (the answer may be stale at once).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = greenthread::sync::Mutex::new(());
    /// let g = m.lock();
    /// assert!(m.is_locked());
    /// drop(g);
    /// assert!(!m.is_locked());
    /// ```
    pub fn is_locked(&self) -> bool {
        self.raw.state.load(Ordering::Relaxed) & LOCKED != 0
    }

    fn guard(&self) -> MutexGuard<'_, T> {
        MutexGuard {
            mutex: self,
            _not_send: std::marker::PhantomData,
        }
    }

    pub(crate) fn raw(&self) -> &RawMutex {
        &self.raw
    }

    /// [`Mutex::lock`] whose wait never raises a cancellation (see [`RawMutex::lock_no_cancel`]):
    /// for the bookkeeping of other primitives in their destructors.
    pub(crate) fn lock_no_cancel(&self) -> MutexGuard<'_, T> {
        self.raw.lock_no_cancel();
        self.guard()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Mutex<T> {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Mutex<T> {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.try_lock() {
            Some(g) => f.debug_struct("Mutex").field("data", &&*g).finish(),
            None => f.debug_struct("Mutex").field("data", &"<locked>").finish(),
        }
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while this thread holds the lock, so no `&mut T`
        // exists elsewhere.
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard exists only while this thread holds the lock, and `&mut self`
        // makes this the only reference through it.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.mutex.raw.unlock();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
