//! Plain OS threads as the crate sees them: an id in the same space as green threads, and a
//! parker for the runtime's own waits.
//!
//! The user-facing `park`/`unpark` of an OS thread are std's (`std::thread::park`), so code
//! mixing the two keeps working. The runtime's internal waits (joins, locks, channels) use a
//! separate parker here, so they never consume a token a user's `unpark` left.

use std::cell::OnceCell;
use std::sync::Arc;
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

use super::ThreadId;

/// An OS thread known to the crate.
#[derive(Debug)]
pub(crate) struct OsThread {
    pub(crate) id: ThreadId,
    pub(crate) std: std::thread::Thread,
    pub(crate) parker: OsParker,
}

std::thread_local! {
    static OS_THREAD: OnceCell<Arc<OsThread>> = const { OnceCell::new() };
}

/// The calling OS thread's record, created on first use.
#[inline(never)]
pub(crate) fn current_os_thread() -> Arc<OsThread> {
    let make = || {
        Arc::new(OsThread {
            id: ThreadId::new(),
            std: std::thread::current(),
            parker: OsParker::default(),
        })
    };
    OS_THREAD
        .try_with(|cell| cell.get_or_init(make).clone())
        // During thread-local destruction: a fresh record still parks and wakes correctly.
        .unwrap_or_else(|_| make())
}

/// A wake-up flag with a condvar: the OS-thread side of the runtime's internal waits.
///
/// `park` returns when the flag is set (consuming it) or the deadline passes; callers loop
/// on their own condition, so an early return is harmless.
#[derive(Debug, Default)]
pub(crate) struct OsParker {
    woken: Mutex<bool>,
    cv: Condvar,
}

impl OsParker {
    pub(crate) fn park(&self, deadline: Option<Instant>) {
        let mut woken = self.woken.lock();
        while !*woken {
            match deadline {
                None => self.cv.wait(&mut woken),
                Some(d) => {
                    if self.cv.wait_until(&mut woken, d).timed_out() {
                        break;
                    }
                }
            }
        }
        *woken = false;
    }

    pub(crate) fn wake(&self) {
        *self.woken.lock() = true;
        self.cv.notify_one();
    }
}
