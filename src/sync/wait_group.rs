//! [`WaitGroup`]: wait until a set of threads is done, in crossbeam's shape.

#![forbid(unsafe_code)]

use crate::runtime::WaitReason;
use std::fmt;
use std::sync::Arc;

use crate::sync::{Condvar, Mutex};

/// Waits until every clone is dropped or waited on, like `crossbeam_utils::sync::WaitGroup`.
///
/// Each clone is one more participant; [`wait`](Self::wait) drops the caller's own and
/// parks until none is left.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use greenthread::sync::WaitGroup;
///
/// let rt = greenthread::Runtime::new()?;
/// let wg = WaitGroup::new();
/// let done = Arc::new(AtomicUsize::new(0));
/// for _ in 0..50 {
///     let (wg, done) = (wg.clone(), done.clone());
///     rt.spawn(move || {
///         done.fetch_add(1, Ordering::SeqCst);
///         drop(wg);
///     });
/// }
/// wg.wait();
/// assert_eq!(done.load(Ordering::SeqCst), 50);
/// # std::io::Result::Ok(())
/// ```
pub struct WaitGroup {
    inner: Arc<Inner>,
}

struct Inner {
    count: Mutex<usize>,
    cv: Condvar,
}

impl WaitGroup {
    /// A wait group with one participant (the returned value).
    ///
    /// # Examples
    ///
    /// ```
    /// let wg = greenthread::sync::WaitGroup::new();
    /// wg.wait(); // the only participant: returns at once
    /// ```
    pub fn new() -> WaitGroup {
        WaitGroup {
            inner: Arc::new(Inner {
                count: Mutex::new(1),
                cv: Condvar::new(),
            }),
        }
    }

    /// Drops this participant and waits until every other one is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    ///
    /// let wg = greenthread::sync::WaitGroup::new();
    /// let done = Arc::new(AtomicBool::new(false));
    /// let (wg2, d2) = (wg.clone(), done.clone());
    /// greenthread::spawn(move || { d2.store(true, Ordering::SeqCst); drop(wg2); });
    /// wg.wait();
    /// assert!(done.load(Ordering::SeqCst));
    /// ```
    pub fn wait(self) {
        let inner = self.inner.clone();
        drop(self);
        let mut count = inner.count.lock();
        inner
            .cv
            .wait_while_as(&mut count, WaitReason::WaitGroup, |c| *c > 0);
    }
}

impl Default for WaitGroup {
    fn default() -> WaitGroup {
        WaitGroup::new()
    }
}

impl Clone for WaitGroup {
    fn clone(&self) -> WaitGroup {
        *self.inner.count.lock() += 1;
        WaitGroup {
            inner: self.inner.clone(),
        }
    }
}

impl Drop for WaitGroup {
    fn drop(&mut self) {
        // Must complete, even in a cancelled green thread: the waiters count on it.
        let mut count = self.inner.count.lock_no_cancel();
        *count -= 1;
        if *count == 0 {
            drop(count);
            self.inner.cv.notify_all();
        }
    }
}

impl fmt::Debug for WaitGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitGroup")
            .field("count", &*self.inner.count.lock())
            .finish()
    }
}
