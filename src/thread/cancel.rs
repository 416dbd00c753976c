//! Cancellation of a green thread: [`JoinHandle::cancel`](super::JoinHandle::cancel) asks,
//! the green thread unwinds at its next switch point.
//!
//! # Protocol
//!
//! 1. `cancel` sets the task's `cancel_requested` flag (release) while holding the join
//!    packet's lock, and only if the result is not in yet; then it wakes the green thread with
//!    the runtime's internal wake-up (never the user's `unpark` token).
//! 2. Every switch point of a green thread checks the word: `Task::suspend` before it
//!    suspends (with the same load that checks for shutdown, so `yield_now` pays nothing
//!    extra), and `block` again after it resumes (so every wait of the crate: `park`,
//!    `sleep`, locks, channels, I/O, `join`, `unblock`). One relaxed load when nothing is
//!    pending.
//! 3. If the flag is set, the thread is not already unwinding (its `UNWINDING` flag),
//!    and the runtime is not unwinding it at shutdown, [`check`] clears the flag and raises
//!    `resume_unwind(Box::new(Cancelled::Requested))` (no panic-hook message). The flag is
//!    cleared first, so the cancellation is raised once: destructors that wait during the
//!    unwind park normally, and code that catches the payload carries on normally.
//! 4. The green thread's main function catches the unwind like a panic and hands the payload
//!    to `join`. Once the result is stored, it clears the flag again under the packet's lock
//!    (step 1 checks `done` under it), so nothing raises after the user's function returned
//!    (green-thread-local and result destructors run outside any `catch_unwind`).
//! 5. A green thread cancelled before it starts never runs its function: the function is
//!    dropped and `join` returns the payload.
//!
//! # Leaving waits consistent
//!
//! The unwind leaves a wait from inside `block`, with the thread still registered in some
//! queue. Every wait of the crate holds a drop guard that takes it out and passes on
//! whatever it was handed meanwhile (a lock, a permit, a notification, a message); the same
//! guards serve the runtime's shutdown, which unwinds parked green threads from the same
//! points. See each primitive's docs.
//!
//! # Waits that do not raise
//!
//! Some waits must complete before their frame may unwind, and use `block_no_cancel` (the
//! cancellation stays pending for the next switch point):
//!
//! - `scope` and `Runtime::block_on` waiting for green threads that borrow the caller's stack;
//! - a condvar wait re-acquiring its mutex (the caller's guard must hold it, as in std);
//! - the crate's internal bookkeeping locks taken in destructors (`RwLock` guards,
//!   `WaitGroup`), where an unwind half-way would corrupt the primitive.

#![forbid(unsafe_code)]

use std::sync::atomic::Ordering;

use super::join::Cancelled;
use crate::coroutine::Task;

/// The task's `cancel_requested` word: nothing pending.
pub(crate) const NONE: u8 = 0;
/// A cancellation is pending, with this payload.
const REQUESTED: u8 = 1;
const DEADLOCK: u8 = 2;
/// The green thread's result is in: no cancellation is taken any more.
const CLOSED: u8 = 3;
/// The runtime is unwinding it at shutdown (`Task::is_cancelling`): final.
pub(crate) const SHUTDOWN: u8 = 4;

/// The state part of the word (the values above).
const STATE: u8 = 7;
/// A flag beside the state: the green thread is unwinding (see [`set_unwinding`]).
pub(crate) const UNWINDING: u8 = 8;

/// Moves the state part of the word from one of `from` to `to`, keeping the flags; returns
/// the state it left.
fn transition(task: &Task, from: &[u8], to: u8, order: Ordering) -> Option<u8> {
    task.cancel_requested
        .fetch_update(order, Ordering::Relaxed, |w| {
            from.contains(&(w & STATE)).then_some(w & !STATE | to)
        })
        .ok()
        .map(|w| w & STATE)
}

/// Step 1: asks `task` to unwind at its next switch point with `reason` as the payload;
/// `false` if one is pending already or the green thread has finished. The caller wakes
/// the task afterwards.
pub(crate) fn request(task: &Task, reason: Cancelled) -> bool {
    let code = match reason {
        Cancelled::Deadlock => DEADLOCK,
        _ => REQUESTED,
    };
    transition(task, &[NONE], code, Ordering::Release).is_some()
}

/// Step 2: raises the cancellation if one is pending; see the module docs.
#[inline]
pub(crate) fn check(task: &Task) {
    if matches!(
        task.cancel_requested.load(Ordering::Relaxed) & STATE,
        REQUESTED | DEADLOCK
    ) {
        raise(task);
    }
}

#[cold]
fn raise(task: &Task) {
    if task.is_cancelling() || unwinding(task) {
        return; // stays pending, for the switch points after this unwind
    }
    if let Some(reason) = take(task) {
        super::resume_unwind(Box::new(reason));
    }
}

/// Marks the green thread as unwinding (the panic hook, the crate's own unwinds) or done
/// unwinding (its main function caught it). While marked, its switch points keep it on its
/// worker (`Task::suspend`) and no cancellation is raised.
pub(crate) fn set_unwinding(task: &Task, on: bool) {
    if on {
        task.cancel_requested.fetch_or(UNWINDING, Ordering::Relaxed);
    } else {
        task.cancel_requested
            .fetch_and(!UNWINDING, Ordering::Relaxed);
    }
}

/// Whether `task` itself is unwinding (raising now would abort the process).
///
/// Its own flag says so (set by the panic hook and the crate's own unwinds). std's
/// `panicking()` cannot: it counts the unwinds in progress on this OS thread, which includes
/// other green threads bound to this worker while they unwind. It only tells that a flagged
/// unwind has ended: one caught by the green thread's own `catch_unwind` (a bound unwinding
/// green thread never leaves this worker, so with nothing unwinding here it is over).
pub(crate) fn unwinding(task: &Task) -> bool {
    if task.cancel_requested.load(Ordering::Relaxed) & UNWINDING == 0 {
        return false;
    }
    if std::thread::panicking() {
        return true;
    }
    set_unwinding(task, false);
    false
}

/// Consumes a pending cancellation.
fn take(task: &Task) -> Option<Cancelled> {
    match transition(task, &[REQUESTED, DEADLOCK], NONE, Ordering::Acquire)? {
        DEADLOCK => Some(Cancelled::Deadlock),
        _ => Some(Cancelled::Requested),
    }
}

/// Step 5: consumes a cancellation requested before the green thread started.
pub(crate) fn take_before_start(task: &Task) -> Option<Cancelled> {
    take(task)
}

/// Step 4: the result is stored; no cancellation may be raised any more. (A shutdown
/// unwind stays marked: its switch points must keep returning at once.)
pub(crate) fn close(task: &Task) {
    transition(
        task,
        &[NONE, REQUESTED, DEADLOCK, CLOSED],
        CLOSED,
        Ordering::Relaxed,
    );
}
