//! Each thread's spare [`Waiter`]s for blocking `send`/`recv`, so that a blocking operation
//! allocates nothing (see "Reuse" in `sync::waiter`).
//!
//! A green thread keeps its spares in its own record (one field, no lookup: this is on every
//! blocking channel operation's path); a plain OS thread in a thread-local. So a spare always
//! wakes the thread that waits with it. An operation moves one out ([`waiter`]) and the
//! [`Spare`] guard puts it back when the operation ends, so neither touches its reference
//! count. Spares are not used while the runtime unwinds a green thread at shutdown (those
//! waiters wait as the OS thread, and the green thread never blocks normally again), nor by
//! `Select`, whose waiter may stay referenced after it returns (a reserved receive keeps it
//! until completed).
//!
//! A spare holds a handle to its green thread, and the green thread holds its spares: the
//! cycle is broken when the green thread ends: `Task` clears them just after dropping its
//! green-thread-locals, so even a blocking operation in a local's destructor leaks nothing.

#![forbid(unsafe_code)]

use std::ops::Deref;
use std::sync::Arc;

use crate::coroutine::current_task;
use crate::sync::waiter::{Waiter, WaiterCache};

std::thread_local! {
    static OS_SPARE: WaiterCache = WaiterCache::default();
}

/// A waiter for the calling thread, in state WAITING; the thread's spare when possible.
#[inline]
pub(crate) fn waiter() -> Spare {
    match current_task() {
        Some(task) if !task.is_cancelling() => {
            let cache = task.waiters();
            Spare {
                waiter: Some(cache.take()),
                home: Home::Green(cache),
            }
        }
        Some(_) => Spare::fresh(),
        None => match OS_SPARE.try_with(WaiterCache::take) {
            Ok(w) => Spare {
                waiter: Some(w),
                home: Home::Os,
            },
            // The OS thread's locals are being destroyed.
            Err(_) => Spare::fresh(),
        },
    }
}

/// A waiter taken for one operation; given back to its thread's cache when dropped, if it
/// came from there.
pub(crate) struct Spare {
    /// Always `Some` until dropped.
    waiter: Option<Arc<Waiter>>,
    home: Home,
}

/// Where a [`Spare`] goes back to.
enum Home {
    /// The running green thread's cache (it outlives the operation, which runs on it).
    Green(&'static WaiterCache),
    /// The OS thread's cache.
    Os,
    /// Nowhere: a fresh waiter, freed after the operation.
    None,
}

impl Spare {
    #[cold]
    fn fresh() -> Spare {
        Spare {
            waiter: Some(Arc::new(Waiter::keyed())),
            home: Home::None,
        }
    }
}

impl Deref for Spare {
    type Target = Arc<Waiter>;
    #[inline]
    fn deref(&self) -> &Arc<Waiter> {
        self.waiter
            .as_ref()
            .expect("a spare holds its waiter until dropped")
    }
}

impl Drop for Spare {
    #[inline]
    fn drop(&mut self) {
        let Some(w) = self.waiter.take() else { return };
        match self.home {
            Home::Green(cache) => cache.give_back(w),
            // Dropped with `w` if the OS thread's locals are being destroyed.
            Home::Os => drop(OS_SPARE.try_with(|c| c.give_back(w))),
            Home::None => {}
        }
    }
}
