//! [`RwLock`]: many readers or one writer; waiting parks only the green thread.
//!
//! The lock's bookkeeping (how many readers hold it, whether a writer does, how many
//! writers wait) lives under this crate's [`Mutex`], and waiters wait on two [`Condvar`]s.
//! Writers are preferred: once a writer waits, new readers wait behind it, so a stream of
//! readers cannot starve writers. (A steady stream of writers can delay readers.)
//!
//! This is simpler and slower than a state word with its own queue (every `read` takes the
//! inner mutex once to enter and once to leave); it is correct first, and the fast path can
//! come later without changing the API.
//!
//! Cancellation: a reader or writer cancelled while it waits leaves without the lock; a
//! waiting writer that leaves uncounts itself and, if it was the last writer waiting, wakes
//! the readers it was holding back. The guards' destructors take the inner mutex without
//! raising a cancellation, so a guard is always released completely.

use crate::runtime::WaitReason;
use std::cell::UnsafeCell;
use std::fmt;
use std::ops::{Deref, DerefMut};

use crate::sync::{Condvar, Mutex};

/// A reader-writer lock whose waiters park as green threads (or block as OS threads), like
/// `parking_lot::RwLock` (no poisoning).
///
/// # Examples
///
/// ```
/// use greenthread::sync::RwLock;
///
/// let lock = RwLock::new(5);
/// {
///     let r1 = lock.read();
///     let r2 = lock.read();
///     assert_eq!(*r1 + *r2, 10);
///     assert!(lock.try_write().is_none());
/// }
/// *lock.write() += 1;
/// assert_eq!(*lock.read(), 6);
/// ```
pub struct RwLock<T: ?Sized> {
    state: Mutex<State>,
    readers_cv: Condvar,
    writers_cv: Condvar,
    data: UnsafeCell<T>,
}

#[derive(Debug)]
struct State {
    readers: usize,
    writer: bool,
    waiting_writers: usize,
}

// SAFETY: like `std::sync::RwLock`: the lock hands out `&mut T` to one writer at a time and
// `&T` to many readers, so sharing it needs `T: Send + Sync`, sending it `T: Send`.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

/// Shared access to an [`RwLock`]'s data; releases on drop.
///
/// # Examples
///
/// ```
/// use greenthread::sync::{RwLock, RwLockReadGuard};
///
/// let lock = RwLock::new(3);
/// let r: RwLockReadGuard<'_, i32> = lock.read();
/// assert_eq!(*r, 3);
/// drop(r); // released: a writer may enter
/// assert!(lock.try_write().is_some());
/// ```
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    _not_send: std::marker::PhantomData<*const ()>,
}

/// Exclusive access to an [`RwLock`]'s data; releases on drop.
///
/// # Examples
///
/// ```
/// use greenthread::sync::{RwLock, RwLockWriteGuard};
///
/// let lock = RwLock::new(3);
/// let mut w: RwLockWriteGuard<'_, i32> = lock.write();
/// *w += 1;
/// assert!(lock.try_read().is_none());
/// drop(w);
/// assert_eq!(*lock.read(), 4);
/// ```
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    _not_send: std::marker::PhantomData<*const ()>,
}

// SAFETY: sharing a guard shares only `&T`.
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuard<'_, T> {}
// SAFETY: sharing a guard shares only `&T`.
unsafe impl<T: ?Sized + Sync> Sync for RwLockWriteGuard<'_, T> {}

impl<T> RwLock<T> {
    /// A new, unlocked lock holding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::sync::RwLock;
    ///
    /// static CONFIG: RwLock<u32> = RwLock::new(8);
    /// assert_eq!(*CONFIG.read(), 8);
    /// ```
    pub const fn new(value: T) -> RwLock<T> {
        RwLock {
            state: Mutex::new(State {
                readers: 0,
                writer: false,
                waiting_writers: 0,
            }),
            readers_cv: Condvar::new(),
            writers_cv: Condvar::new(),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the lock, returning the data.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = greenthread::sync::RwLock::new(String::from("a"));
    /// lock.write().push('b');
    /// assert_eq!(lock.into_inner(), "ab");
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Locks for reading, waiting while a writer holds or waits for the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = greenthread::sync::RwLock::new(1);
    /// let (r1, r2) = (lock.read(), lock.read()); // many readers at once
    /// assert_eq!(*r1 + *r2, 2);
    /// ```
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        let mut st = self.state.lock();
        self.readers_cv
            .wait_while_as(&mut st, WaitReason::RwLockRead, |st| {
                st.writer || st.waiting_writers > 0
            });
        st.readers += 1;
        self.read_guard()
    }

    /// Locks for reading if that is possible right now.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = greenthread::sync::RwLock::new(1);
    /// let w = lock.write();
    /// assert!(lock.try_read().is_none());
    /// drop(w);
    /// assert_eq!(*lock.try_read().unwrap(), 1);
    /// ```
    pub fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
        let mut st = self.state.lock();
        if st.writer || st.waiting_writers > 0 {
            return None;
        }
        st.readers += 1;
        Some(self.read_guard())
    }

    /// Locks for writing, waiting until no reader or writer holds the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use greenthread::sync::RwLock;
    ///
    /// let lock = Arc::new(RwLock::new(0));
    /// let l2 = lock.clone();
    /// greenthread::spawn(move || *l2.write() += 1).join().unwrap();
    /// *lock.write() += 1;
    /// assert_eq!(*lock.read(), 2);
    /// ```
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        let mut st = self.state.lock();
        if st.writer || st.readers > 0 {
            st.waiting_writers += 1;
            let mut waiting = WaitingWriter {
                state: Some(st),
                readers_cv: &self.readers_cv,
            };
            let guard = waiting.state.as_mut().expect("set above");
            self.writers_cv
                .wait_while_as(guard, WaitReason::RwLockWrite, |st| {
                    st.writer || st.readers > 0
                });
            st = waiting.state.take().expect("set above");
            st.waiting_writers -= 1;
        }
        st.writer = true;
        self.write_guard()
    }

    /// Locks for writing if that is possible right now.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = greenthread::sync::RwLock::new(1);
    /// let r = lock.read();
    /// assert!(lock.try_write().is_none());
    /// drop(r);
    /// *lock.try_write().unwrap() = 2;
    /// assert_eq!(*lock.read(), 2);
    /// ```
    pub fn try_write(&self) -> Option<RwLockWriteGuard<'_, T>> {
        let mut st = self.state.lock();
        if st.writer || st.readers > 0 {
            return None;
        }
        st.writer = true;
        Some(self.write_guard())
    }

    /// A mutable reference to the data; the borrow proves exclusivity.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut lock = greenthread::sync::RwLock::new(1);
    /// *lock.get_mut() = 5;
    /// assert_eq!(*lock.read(), 5);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    fn read_guard(&self) -> RwLockReadGuard<'_, T> {
        RwLockReadGuard {
            lock: self,
            _not_send: std::marker::PhantomData,
        }
    }

    fn write_guard(&self) -> RwLockWriteGuard<'_, T> {
        RwLockWriteGuard {
            lock: self,
            _not_send: std::marker::PhantomData,
        }
    }
}

/// Undoes `waiting_writers` if a waiting writer is unwound (cancelled, or at runtime
/// shutdown), and then wakes the readers queued behind it if no writer is left waiting:
/// they wait only for writers, so nobody else would.
struct WaitingWriter<'a> {
    state: Option<crate::sync::MutexGuard<'a, State>>,
    readers_cv: &'a Condvar,
}

impl Drop for WaitingWriter<'_> {
    fn drop(&mut self) {
        if let Some(mut st) = self.state.take() {
            st.waiting_writers -= 1;
            let wake_readers = st.waiting_writers == 0 && !st.writer;
            drop(st);
            if wake_readers {
                self.readers_cv.notify_all();
            }
        }
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> RwLock<T> {
        RwLock::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.try_read() {
            Some(g) => f.debug_struct("RwLock").field("data", &&*g).finish(),
            None => f.debug_struct("RwLock").field("data", &"<locked>").finish(),
        }
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a read guard exists only while `readers > 0` counts it, and no writer
        // holds the lock then, so only shared references to the data exist.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        // Must complete: a cancellation raised half-way would leave the lock read-held.
        let mut st = self.lock.state.lock_no_cancel();
        st.readers -= 1;
        let wake_writer = st.readers == 0 && st.waiting_writers > 0;
        drop(st);
        if wake_writer {
            self.lock.writers_cv.notify_one();
        }
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a write guard exists only while `writer` is set, which excludes every
        // other guard.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as for `deref`; `&mut self` makes this the only reference through it.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        // Must complete: a cancellation raised half-way would leave the lock write-held.
        let mut st = self.lock.state.lock_no_cancel();
        st.writer = false;
        let writers = st.waiting_writers > 0;
        drop(st);
        // Readers queued behind this writer go first unless another writer waits; the one
        // writer woken re-checks under the mutex either way.
        if writers {
            self.lock.writers_cv.notify_one();
        }
        self.lock.readers_cv.notify_all();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
