//! [`Semaphore`]: a counter of permits; acquiring one parks the green thread until one is
//! free.
//!
//! The count and the FIFO queue of waiters live under one short lock. A released permit is
//! *handed* to the first waiter (chosen with [`GRANTED`]) rather than put back, so a waiter
//! cannot be overtaken forever by threads that keep calling `try_acquire`.

#![forbid(unsafe_code)]

use crate::runtime::WaitReason;
use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::sync::waiter::{CHOSEN, Waiter};

const GRANTED: usize = CHOSEN;

/// A counting semaphore whose waiters park as green threads (or block as OS threads).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use greenthread::sync::Semaphore;
///
/// let rt = greenthread::Runtime::new()?;
/// let sem = Arc::new(Semaphore::new(3));
/// let inside = Arc::new(AtomicUsize::new(0));
/// let hs: Vec<_> = (0..20)
///     .map(|_| {
///         let (sem, inside) = (sem.clone(), inside.clone());
///         rt.spawn(move || {
///             let _permit = sem.acquire();
///             assert!(inside.fetch_add(1, Ordering::SeqCst) < 3);
///             greenthread::yield_now();
///             inside.fetch_sub(1, Ordering::SeqCst);
///         })
///     })
///     .collect();
/// hs.into_iter().for_each(|h| h.join().unwrap());
/// assert_eq!(sem.available_permits(), 3);
/// # std::io::Result::Ok(())
/// ```
pub struct Semaphore {
    inner: parking_lot::Mutex<Inner>,
}

struct Inner {
    permits: usize,
    waiters: VecDeque<Arc<Waiter>>,
}

/// A permit of a [`Semaphore`], given back when dropped.
///
/// # Examples
///
/// ```
/// use greenthread::sync::{Semaphore, SemaphoreGuard};
///
/// let sem = Semaphore::new(1);
/// let permit: SemaphoreGuard<'_> = sem.acquire();
/// assert_eq!(sem.available_permits(), 0);
/// drop(permit);
/// assert_eq!(sem.available_permits(), 1);
/// ```
#[must_use = "the permit is released at once if the guard is not kept"]
pub struct SemaphoreGuard<'a> {
    sem: &'a Semaphore,
}

impl Semaphore {
    /// A semaphore with `permits` permits.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::sync::Semaphore;
    ///
    /// static LIMIT: Semaphore = Semaphore::new(2);
    /// assert_eq!(LIMIT.available_permits(), 2);
    /// ```
    pub const fn new(permits: usize) -> Semaphore {
        Semaphore {
            inner: parking_lot::Mutex::new(Inner {
                permits,
                waiters: VecDeque::new(),
            }),
        }
    }

    /// Takes a permit, waiting until one is available.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = greenthread::sync::Semaphore::new(1);
    /// {
    ///     let _permit = sem.acquire();
    ///     assert_eq!(sem.available_permits(), 0);
    /// }
    /// assert_eq!(sem.available_permits(), 1); // given back on drop
    /// ```
    pub fn acquire(&self) -> SemaphoreGuard<'_> {
        self.acquire_until(None).expect("no deadline")
    }

    /// Takes a permit if one is available right now.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = greenthread::sync::Semaphore::new(1);
    /// let p = sem.try_acquire().unwrap();
    /// assert!(sem.try_acquire().is_none());
    /// drop(p);
    /// assert!(sem.try_acquire().is_some());
    /// ```
    pub fn try_acquire(&self) -> Option<SemaphoreGuard<'_>> {
        let mut inner = self.inner.lock();
        // Waiters first: a free permit with waiters queued is already promised.
        if inner.permits > 0 && inner.waiters.is_empty() {
            inner.permits -= 1;
            Some(SemaphoreGuard { sem: self })
        } else {
            None
        }
    }

    /// Takes a permit, waiting at most `timeout`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let sem = greenthread::sync::Semaphore::new(0);
    /// assert!(sem.try_acquire_for(Duration::from_millis(5)).is_none());
    /// sem.add_permits(1);
    /// assert!(sem.try_acquire_for(Duration::from_millis(5)).is_some());
    /// ```
    pub fn try_acquire_for(&self, timeout: Duration) -> Option<SemaphoreGuard<'_>> {
        self.acquire_until(Instant::now().checked_add(timeout))
    }

    fn acquire_until(&self, deadline: Option<Instant>) -> Option<SemaphoreGuard<'_>> {
        let waiter = {
            let mut inner = self.inner.lock();
            if inner.permits > 0 && inner.waiters.is_empty() {
                inner.permits -= 1;
                return Some(SemaphoreGuard { sem: self });
            }
            let w = Arc::new(Waiter::new());
            inner.waiters.push_back(w.clone());
            w
        };
        let abandon = Abandon {
            sem: self,
            waiter: &waiter,
        };
        let outcome = waiter.wait_chosen(WaitReason::Semaphore, deadline);
        std::mem::forget(abandon);
        match outcome {
            Ok(_) => Some(SemaphoreGuard { sem: self }),
            Err(()) => {
                self.remove(&waiter);
                None
            }
        }
    }

    fn remove(&self, waiter: &Arc<Waiter>) {
        self.inner
            .lock()
            .waiters
            .retain(|w| !Arc::ptr_eq(w, waiter));
    }

    /// Adds `n` permits (waking waiters as needed).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use greenthread::sync::Semaphore;
    ///
    /// let sem = Arc::new(Semaphore::new(0));
    /// let s2 = sem.clone();
    /// let h = greenthread::spawn(move || s2.acquire().forget());
    /// sem.add_permits(1); // wakes the waiter
    /// h.join().unwrap();
    /// assert_eq!(sem.available_permits(), 0);
    /// ```
    pub fn add_permits(&self, n: usize) {
        let mut woken = Vec::new();
        {
            let mut inner = self.inner.lock();
            inner.permits += n;
            while inner.permits > 0 {
                let Some(w) = inner.waiters.pop_front() else {
                    break;
                };
                if w.choose(GRANTED) {
                    inner.permits -= 1;
                    woken.push(w);
                }
            }
        }
        for w in woken {
            w.wake();
        }
    }

    /// The number of permits free right now.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = greenthread::sync::Semaphore::new(3);
    /// let _p = sem.acquire();
    /// assert_eq!(sem.available_permits(), 2);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.inner.lock().permits
    }
}

impl SemaphoreGuard<'_> {
    /// Drops the guard without giving its permit back (the semaphore has one fewer).
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = greenthread::sync::Semaphore::new(2);
    /// sem.acquire().forget();
    /// assert_eq!(sem.available_permits(), 1); // one permit gone for good
    /// ```
    pub fn forget(self) {
        std::mem::forget(self);
    }
}

impl Drop for SemaphoreGuard<'_> {
    fn drop(&mut self) {
        self.sem.add_permits(1);
    }
}

/// A waiter unwound while it waits (cancelled, or at runtime shutdown): gives up and leaves
/// the queue, or gives back the permit it was granted (to the next waiter, if any).
struct Abandon<'a> {
    sem: &'a Semaphore,
    waiter: &'a Arc<Waiter>,
}

impl Drop for Abandon<'_> {
    fn drop(&mut self) {
        match self.waiter.abort() {
            Ok(()) => self.sem.remove(self.waiter),
            Err(_) => self.sem.add_permits(1),
        }
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.inner.lock();
        f.debug_struct("Semaphore")
            .field("permits", &inner.permits)
            .field("waiters", &inner.waiters.len())
            .finish()
    }
}

impl fmt::Debug for SemaphoreGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SemaphoreGuard { .. }")
    }
}
