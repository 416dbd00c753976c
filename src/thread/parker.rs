//! The park state machine of one green thread.
//!
//! Every blocking operation of the crate ends in the same two steps: the green thread
//! suspends its coroutine, and later something *wakes* it, which puts it back on a run queue.
//! Lost wake-ups are the bug class of a runtime like this one, so the protocol between the
//! two sides is this one small state word, model-checked with loom
//! (`tests/loom_parker.rs`, which compiles this very file).
//!
//! ```text
//!  state     | where the green thread is                 | a wake() ...
//! -----------+-------------------------------------------+-------------------------------
//!  RUNNING   | on a worker, or queued to run             | -> NOTIFIED, nothing to schedule
//!  NOTIFIED  | on a worker, or queued; a wake-up pending | stays NOTIFIED
//!  PARKED    | suspended, in no queue                    | -> RUNNING, caller schedules it
//!  DONE      | finished                                  | ignored
//! ```
//!
//! The two sides:
//!
//! 1. The green thread, before it suspends, tries [`ParkState::take_notification`]
//!    (NOTIFIED -> RUNNING). If a wake-up is pending it does not suspend at all.
//! 2. Otherwise it suspends, and *the worker*, now back on its own stack with the coroutine
//!    fully switched out, calls [`ParkState::commit_park`] (RUNNING -> PARKED). Deciding on
//!    the worker's side is what makes the protocol race-free: a waker that wins the
//!    PARKED -> RUNNING transition may resume the green thread on another worker at once,
//!    and by then nothing on the old worker touches it. If a wake-up slipped in between
//!    steps 1 and 2 (state NOTIFIED), the commit fails, the notification is consumed, and the
//!    worker queues the green thread again.
//!
//! A PARKED green thread owns one strong reference to itself: the worker that commits the
//! park leaves its `Arc` there instead of dropping it, and the one waker that gets
//! [`Wake::Schedule`] takes it over to queue the green thread (no clone, no drop: two atomic
//! read-modify-writes saved per park). Shutdown claims it the same way.
//!
//! Exactly one party moves a green thread out of PARKED, so a green thread is never queued
//! twice; and a wake-up that arrives at any point after the green thread last looked at its
//! condition either finds it PARKED (and schedules it) or leaves NOTIFIED (and the commit or
//! the next park sees it), so none is lost.
//!
//! Memory ordering: every transition is an acquire-release read-modify-write, so what a
//! waker wrote before `wake` is visible to the green thread when it runs again, and what the
//! green thread wrote before suspending is visible to the worker that resumes it.

use crate::loom::sync::atomic::{AtomicU8, Ordering};

const RUNNING: u8 = 0;
const NOTIFIED: u8 = 1;
const PARKED: u8 = 2;
const DONE: u8 = 3;

/// What [`ParkState::wake`] asks of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wake {
    /// The green thread was parked and is now RUNNING: the caller must put it on a run queue.
    Schedule,
    /// Nothing to do: it was running or queued (a notification is now pending), or finished.
    Nothing,
}

/// The state word; see the module docs for the table.
#[derive(Debug)]
pub(crate) struct ParkState(AtomicU8);

impl ParkState {
    /// A new green thread starts RUNNING: it is about to be queued by its spawner.
    pub(crate) fn new() -> Self {
        ParkState(AtomicU8::new(RUNNING))
    }

    /// Wakes the green thread. Called by anyone, on any thread.
    #[inline]
    pub(crate) fn wake(&self) -> Wake {
        let mut state = self.0.load(Ordering::Acquire);
        loop {
            let next = match state {
                RUNNING | NOTIFIED => NOTIFIED,
                PARKED => RUNNING,
                _ => return Wake::Nothing,
            };
            // A read-modify-write even for NOTIFIED -> NOTIFIED, so that this waker's
            // writes are released to whoever consumes the notification.
            match self
                .0
                .compare_exchange(state, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) if state == PARKED => return Wake::Schedule,
                Ok(_) => return Wake::Nothing,
                Err(actual) => state = actual,
            }
        }
    }

    /// Consumes a pending notification (NOTIFIED -> RUNNING). Called by the green thread
    /// itself before it suspends; `true` means "do not suspend, you were woken".
    #[inline]
    pub(crate) fn take_notification(&self) -> bool {
        // A plain load first: usually there is none, and a failed CAS costs a locked cycle.
        self.0.load(Ordering::Relaxed) == NOTIFIED
            && self
                .0
                .compare_exchange(NOTIFIED, RUNNING, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
    }

    /// Called by the worker after the green thread suspended to park. `true`: it is PARKED
    /// and belongs to its next waker; the worker must not touch it again. `false`: a wake-up
    /// arrived meanwhile; it is RUNNING again and the worker must queue it.
    #[inline]
    pub(crate) fn commit_park(&self) -> bool {
        match self
            .0
            .compare_exchange(RUNNING, PARKED, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => true,
            Err(_) => {
                // NOTIFIED: consume it. No one else moves a suspended-but-uncommitted green
                // thread out of NOTIFIED (only wake, which leaves it NOTIFIED), so a store
                // would do; the swap keeps the acquire side of the waker's release.
                self.0.swap(RUNNING, Ordering::AcqRel);
                false
            }
        }
    }

    /// Whether it is PARKED now (a snapshot, for the dump and the monitor).
    pub(crate) fn is_parked(&self) -> bool {
        self.0.load(Ordering::Acquire) == PARKED
    }

    /// The green thread returned (or was unwound): every later wake-up is ignored.
    pub(crate) fn finish(&self) {
        self.0.store(DONE, Ordering::Release);
    }
}
