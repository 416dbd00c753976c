//! Each thread's spare [`Waiter`] for blocking `send`/`recv`, so that a blocking operation
//! allocates nothing (see "Reuse" in `sync::waiter`).
//!
//! The spare is a green-thread-local (one per green thread, one per plain OS thread), so it
//! always wakes the thread that waits with it. It is not used while the runtime unwinds a
//! green thread at shutdown (those waiters wait as the OS thread, and the green thread never
//! blocks normally again), nor by `Select`, whose waiter may stay referenced after it
//! returns (a reserved receive keeps it until completed).
//!
//! The spare holds a handle to its green thread, and the green thread holds its locals: the
//! cycle is broken when the green thread's locals are dropped as it ends. (A blocking
//! operation run by the destructor of *another* green-thread-local at that moment would
//! create a spare after the drop, and leak it with the green thread's record.)

#![forbid(unsafe_code)]

use std::sync::Arc;

use crate::sync::waiter::{Waiter, WaiterCache};

crate::thread_local! {
    static SPARE: WaiterCache = WaiterCache::default();
}

/// A waiter for the calling thread, in state WAITING; the thread's spare when possible.
#[inline]
pub(crate) fn waiter() -> Arc<Waiter> {
    if Waiter::unwinding() {
        return Arc::new(Waiter::new());
    }
    SPARE
        .try_with(WaiterCache::get)
        // The OS thread's locals are being destroyed: a fresh waiter works as well.
        .unwrap_or_else(|_| Arc::new(Waiter::new()))
}
