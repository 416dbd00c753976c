//! One parked waiter: the record every wait queue of `sync` and `channel` holds.
//!
//! A waiter is shared (`Arc`) by the thread that waits and the queue it sits in. Its state
//! word says who decided what, and exactly one party decides: by compare-and-swap, or, for a
//! plain channel `send`/`recv`, by a store of the one party that can choose it: the holder
//! of its queue's lock, or the counterpart that took it out of the channel's slot
//! ([`Waiter::choose_exclusive`]; such a waiter settles a timeout under the lock, or by
//! taking itself back out of the slot, instead of aborting; see `channel::chan`):
//!
//! ```text
//!  state      | meaning                                   | set by
//! ------------+-------------------------------------------+------------------------------
//!  WAITING    | in the queue, nothing decided yet         | Waiter::new
//!  ABORTED    | gave up (timeout, early wake-up, unwind)   | the waiter itself
//!  >= CHOSEN  | chosen by a waker; the value is the       | a waker (unlock, notify, a
//!             | primitive's message (hand-off, operation)  | channel counterpart)
//! ```
//!
//! The protocol that makes wake-ups impossible to lose:
//!
//! 1. The waiter pushes itself on the primitive's queue *and re-checks the condition*
//!    (both under the queue's lock, or with the state word ordered after the push).
//! 2. It calls [`Waiter::wait`] in a loop until its state leaves WAITING (or it gives up).
//! 3. A waker moves it out of WAITING with [`Waiter::choose`] (CAS; failing means the waiter
//!    already gave up, so the waker picks the next one), *then* calls [`Waiter::wake`].
//! 4. A waiter that gives up calls [`Waiter::abort`] (CAS). If that fails, a waker chose it
//!    first: it must accept what it was given, or hand it on (the lock, the permit, the
//!    notification); it never just drops it. (A plain channel waiter does both steps under
//!    the channel's lock instead: see `wait_plain` in `channel::settle`.)
//!
//! A wake-up that arrives before the waiter blocks is not lost: `block` keeps it pending
//! ([`crate::thread::parker`]). One that arrives late (for a waiter already gone) makes a
//! later `block` of the same thread return early, which every wait loop tolerates.
//!
//! # Reuse
//!
//! A blocking channel operation need not allocate: each thread keeps spare waiters in a
//! [`WaiterCache`] (a green thread in its record, an OS thread in a thread-local; see
//! `channel::spare`). An operation moves a spare out of the cache, reset to WAITING, *if no
//! one else holds it any more* (its `Arc` is unique), and gives it back when it is over. A
//! waiter that is still referenced (by a queue entry not yet removed, by a waker between
//! choosing it and waking it, by a select that reserved it) is left to its holders and a
//! fresh one is made, to become a spare in turn. So a waker can never choose or wake a
//! reused waiter on behalf of an operation that is over: it would need a reference to do
//! so. (One that takes a waiter out of a channel's slot holds none, but touches the waiter
//! only until it stores CHOSEN, which the owner waits for before its operation ends.) What
//! can survive is a wake-up already delivered to the thread's parker, which every
//! wait loop tolerates. The waiter's `id` survives reuse too, so whatever is keyed by it (a channel's
//! stash) must be consumed before the operation ends (see `channel::chan`).
//!
//! # Shutdown
//!
//! While the runtime unwinds a green thread at shutdown its switch points return at once, so
//! a wait begun then (by a destructor) could only spin. Such a waiter waits as the *OS
//! thread* doing the unwinding instead: it blocks that thread until the waker comes, which
//! completes if the lock or message comes from an OS thread or from a green thread unwound
//! before it, and hangs the shutdown otherwise (a deadlock, as it would be between OS
//! threads).

//!
//! # Cancellation
//!
//! A green thread cancelled while it waits (`JoinHandle::cancel`) unwinds from inside
//! [`Waiter::wait`], still queued, exactly like at shutdown. So every primitive holds a drop
//! guard around its wait that does step 4 above: abort, and if that fails, hand on what it
//! was given. A waiter made with [`Waiter::no_cancel`] never raises (for waits that must
//! complete before their frame may unwind); the cancellation stays pending.

#![forbid(unsafe_code)]

use crate::loom::time::Instant;
use std::cell::Cell;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use crate::coroutine::current_task;
use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::runtime::WaitReason;
use crate::sync::mailbox::Mailbox;
use crate::thread::{self, Thread};

/// Not decided yet.
pub(crate) const WAITING: usize = 0;
/// The waiter gave up.
pub(crate) const ABORTED: usize = 1;
/// The first value a waker may choose a waiter with.
pub(crate) const CHOSEN: usize = 2;

/// A thread waiting in some queue; see the module docs.
pub(crate) struct Waiter {
    /// Unique per [`keyed`](Waiter::keyed) waiter (never reused), for keying things handed
    /// to it; 0 for the others.
    pub(crate) id: u64,
    thread: Thread,
    /// `true`: wait as the OS thread (the green thread is being unwound at shutdown).
    os: bool,
    /// `false`: a cancellation of the green thread is not raised while it waits (see
    /// "Cancellation" in the module docs).
    cancellable: bool,
    state: AtomicUsize,
    /// Where a channel sender that chose this waiter puts a small message
    /// (`sync::mailbox`).
    pub(crate) mailbox: Mailbox,
}

impl Waiter {
    /// A waiter for the calling thread, in state WAITING. Its `id` is 0: nothing is keyed
    /// by it (the sync primitives' queues hold the waiter itself), so making it touches no
    /// global counter, a cache line every worker would share.
    pub(crate) fn new() -> Waiter {
        Waiter::make(0, true)
    }

    /// [`Waiter::new`] whose waits never raise a cancellation (the crate's internal waits
    /// that must complete, e.g. a condvar re-acquiring its mutex).
    pub(crate) fn no_cancel() -> Waiter {
        Waiter::make(0, false)
    }

    /// [`Waiter::new`] with a unique `id`, for a channel's waiters: what is handed to them
    /// (the stash) and their queue entries are found by it.
    pub(crate) fn keyed() -> Waiter {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Waiter::make(
            NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            true,
        )
    }

    fn make(id: u64, cancellable: bool) -> Waiter {
        let os = Waiter::unwinding();
        Waiter {
            id,
            thread: if os {
                thread::current_os()
            } else {
                thread::current()
            },
            os,
            cancellable,
            state: AtomicUsize::new(WAITING),
            mailbox: Mailbox::new(),
        }
    }

    /// Whether the calling green thread is being unwound at shutdown (its waiters wait as
    /// the OS thread; see "Shutdown" in the module docs).
    #[inline]
    pub(crate) fn unwinding() -> bool {
        current_task().is_some_and(|t| t.is_cancelling())
    }

    /// The current state (acquire: what the waker wrote before choosing is visible).
    #[inline]
    pub(crate) fn state(&self) -> usize {
        self.state.load(Ordering::Acquire)
    }

    /// Waker side: WAITING -> `value` (>= CHOSEN). `false` if the waiter already gave up or
    /// was chosen by someone else.
    #[inline]
    pub(crate) fn choose(&self, value: usize) -> bool {
        debug_assert!(value >= CHOSEN);
        self.state
            .compare_exchange(WAITING, value, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Waker side, for a waiter that only one party can choose (a plain channel operation:
    /// the holder of its queue's lock, or whoever took it out of the channel's slot,
    /// see `channel::chan`): WAITING -> `value` with a store. Such a waiter never aborts on
    /// its own; it settles under that lock, or by taking itself back out of the slot,
    /// whether it was chosen.
    #[inline]
    pub(crate) fn choose_exclusive(&self, value: usize) {
        debug_assert!(value >= CHOSEN);
        debug_assert_eq!(self.state.load(Ordering::Relaxed), WAITING);
        self.state.store(value, Ordering::Release);
    }

    /// Waiter side: WAITING -> ABORTED. `Err(value)` if a waker chose it first.
    #[inline]
    pub(crate) fn abort(&self) -> Result<(), usize> {
        match self
            .state
            .compare_exchange(WAITING, ABORTED, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Ok(()),
            Err(v) => Err(v),
        }
    }

    /// Wakes the waiting thread (after `choose`, or to make it look again).
    #[inline]
    pub(crate) fn wake(&self) {
        self.thread.wake();
    }

    /// Blocks the calling thread (which must be the waiter's) until a wake-up or
    /// `deadline`. May return early; callers loop.
    #[inline]
    pub(crate) fn wait(&self, reason: WaitReason, deadline: Option<Instant>) {
        self.wait_with(reason, deadline, self.cancellable);
    }

    /// [`Waiter::wait`] that never raises a cancellation, whatever the waiter's kind.
    #[inline]
    pub(crate) fn wait_no_cancel(&self, reason: WaitReason, deadline: Option<Instant>) {
        self.wait_with(reason, deadline, false);
    }

    #[inline(always)]
    fn wait_with(&self, reason: WaitReason, deadline: Option<Instant>, cancellable: bool) {
        if self.os {
            crate::thread::os::current_os_thread().parker.park(deadline);
        } else if cancellable {
            thread::block(reason, deadline);
        } else {
            thread::block_no_cancel(reason, deadline);
        }
    }

    /// Waits until a waker chose this waiter or `deadline` passes; on a deadline tries to
    /// abort. `Ok(value)`: chosen with `value`; `Err(())`: aborted (timed out).
    pub(crate) fn wait_chosen(
        &self,
        reason: WaitReason,
        deadline: Option<Instant>,
    ) -> Result<usize, ()> {
        loop {
            let s = self.state();
            if s >= CHOSEN {
                return Ok(s);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return match self.abort() {
                    Ok(()) => Err(()),
                    Err(v) => Ok(v),
                };
            }
            self.wait(reason, deadline);
        }
    }
}

/// One thread's spare waiters; see "Reuse" in the module docs.
///
/// Belongs to one thread (green or OS): the waiters it hands out wake that thread. Two
/// spares, because the waker of the last wait may still hold its reference (between its
/// unlock and its wake-up, on another worker) when the thread already waits again.
#[derive(Default)]
pub(crate) struct WaiterCache {
    /// The spares, referenced by the cache itself and by whoever still uses them.
    spares: [Cell<Option<Arc<Waiter>>>; 2],
}

impl WaiterCache {
    /// A waiter for the calling thread (which must own this cache), in state WAITING, moved
    /// out of the cache (no reference count touched): a spare that no one else holds, else
    /// a new one. Hand it back with [`WaiterCache::give_back`] when the operation is over.
    #[inline]
    pub(crate) fn take(&self) -> Arc<Waiter> {
        for spare in &self.spares {
            let Some(w) = spare.take() else { continue };
            if Arc::strong_count(&w) == 1 {
                // Only the cache held it: no queue entry, waker or select can reach it, so
                // nothing can race this reset. No `Weak` is ever made of a waiter, so a count
                // of 1 is `Arc::get_mut`'s uniqueness without its CAS on the weak count; the
                // fence pairs with the release decrement of every other reference's drop, so
                // every CAS made through one happened before the reset (as in `Arc::drop`).
                std::sync::atomic::fence(std::sync::atomic::Ordering::Acquire);
                w.state.store(WAITING, Ordering::Relaxed);
                // Every operation leaves its mailbox empty (`sync::mailbox`).
                debug_assert_eq!(w.mailbox.delivery(), crate::sync::mailbox::Delivery::Empty);
                return w;
            }
            spare.set(Some(w));
        }
        WaiterCache::fresh()
    }

    #[cold]
    fn fresh() -> Arc<Waiter> {
        Arc::new(Waiter::keyed())
    }

    /// Keeps `w` (taken from this cache, its operation over) for a later operation. Its
    /// waker may still hold a reference for a moment: [`WaiterCache::take`] skips it then.
    #[inline]
    pub(crate) fn give_back(&self, w: Arc<Waiter>) {
        for spare in &self.spares {
            match spare.take() {
                None => {
                    spare.set(Some(w));
                    return;
                }
                Some(other) => spare.set(Some(other)),
            }
        }
        // Both slots are full: replace a spare that someone else still holds (its last
        // holder frees it), or else keep the two idle ones and let `w` go.
        for spare in &self.spares {
            let Some(other) = spare.take() else { continue };
            if Arc::strong_count(&other) > 1 {
                spare.set(Some(w));
                return;
            }
            spare.set(Some(other));
        }
    }

    /// Drops the cache's references (its owner ends: each spare refers back to it).
    pub(crate) fn clear(&self) {
        for spare in &self.spares {
            spare.take();
        }
    }
}

impl fmt::Debug for WaiterCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WaiterCache { .. }")
    }
}

impl fmt::Debug for Waiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Waiter")
            .field("id", &self.id)
            .field("thread", &self.thread)
            .field("state", &self.state.load(Ordering::Relaxed))
            .finish()
    }
}
