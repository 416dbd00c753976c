//! The channel's *slot*: where one blocked plain operation waits outside the locked queues.
//!
//! Besides the queues, a channel has one *slot* ([`Slot`]: one atomic word) where a single
//! blocked plain `send` or `recv` may wait, if its message type fits the mailbox: a pointer
//! to its waiter, tagged with its direction. A send that waits there has put its message in
//! its own waiter's mailbox. A counterpart takes the waiter out with one compare-and-swap,
//! *without the channel's lock*: a sender puts its message in a receive's mailbox, a
//! receiver of a rendezvous channel takes a send's message out of it; then it wakes the
//! owner, and only then stores CHOSEN, its last access to the waiter (the owner may return,
//! and reuse or free the waiter, as soon as it sees CHOSEN; until then it keeps it alive).
//! On a quiet rendezvous channel the waiting side also parks there without the lock, so a
//! `bounded(0)` ping-pong never takes it. The slot counts as the front of its direction's
//! queue:
//!
//! - Under the lock, an operation that found nothing to take parks in the slot if it is
//!   empty (and queues up otherwise): so the slot is older than every queued operation of
//!   its direction, and a counterpart takes it first. The two directions never wait at
//!   once: each side takes (or finds) the other before it waits, and the word holds one
//!   waiter.
//! - Without the lock, a blocking operation of a rendezvous channel parks in the slot only
//!   if the word is exactly empty: no waiter, and not BUSY. BUSY is set (a fetch-or, under
//!   the lock) before anything is queued or buffered on the channel and when it is
//!   disconnected, and is cleared only by an operation parking under the lock that finds
//!   the queues and buffer empty and both sides connected. So no one waits in the slot
//!   unseen while a counterpart waits in a queue or a message in the buffer; the fetch-or
//!   also tells a queueing operation whether a counterpart got into the slot meanwhile
//!   (then it looks again instead). A receiver takes a send out of the slot without the
//!   lock only on a rendezvous channel: a bounded one's buffer holds older messages.
//! - Whoever takes the waiter out of the slot owns its choice and must complete it. Under
//!   the lock, paths take it with a reference of their own (counted) and go on as for a
//!   queued operation: deliver or reserve for a select (a receive), take the message (a
//!   send), or tell it of a disconnection (a receive's mailbox is cancelled, a send keeps
//!   its message), and wake it after unlocking.
//! - The owner settles without the lock: CHOSEN means done; still in the slot means not
//!   chosen (it may withdraw, by taking itself out with a compare-and-swap, on a timeout or
//!   an unwind, when a send takes its message back); gone from the slot but not CHOSEN yet
//!   means a taker is between its compare-and-swap and its store, a few instructions with no
//!   switch point in between, on a running thread: it spins.

use std::marker::PhantomData;
use std::ptr::{self, NonNull};
use std::sync::Arc;

use super::chan::Entry;
use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::loom::time::Instant;
use crate::runtime::WaitReason;
use crate::sync::mailbox::{Delivery, Mailbox};
use crate::sync::waiter::{CHOSEN, Waiter};

/// The slot of a channel of `T`s: one word, holding the waiter of one blocked plain
/// operation (a pointer into its owner's `Arc<Waiter>`) tagged with its direction, and the
/// BUSY bit; see the module docs.
#[derive(Debug)]
pub(crate) struct Slot<T> {
    word: AtomicUsize,
    /// What the mailboxes of the waiters here carry.
    msg: PhantomData<fn(T) -> T>,
}

/// The waiter in the word is a send (else a receive).
const SEND: usize = 1;
/// The queues or the buffer may hold something, or the channel is disconnected: a blocking
/// operation may wait in the slot only under the lock (which clears the bit when it is
/// stale).
const BUSY: usize = 2;
/// The waiter's address.
const PTR: usize = !(SEND | BUSY);
const _: () = assert!(std::mem::align_of::<Waiter>() > (SEND | BUSY));

/// How [`Slot::park_recv`] or [`Slot::park_send`] went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parked {
    /// The waiter is in the slot.
    Yes,
    /// An operation of the same direction is there: queue up.
    SameSide,
    /// A counterpart got there since the caller looked: look again.
    Counterpart,
}

// The mailboxes of the waiters in the slot, and pointers to them, argued per function.
#[allow(unsafe_code)]
impl<T> Slot<T> {
    pub(crate) fn new() -> Slot<T> {
        Slot {
            word: AtomicUsize::new(0),
            msg: PhantomData,
        }
    }

    /// Whether the slot is used for `T`s (those that fit a mailbox).
    #[inline(always)]
    const fn used() -> bool {
        Mailbox::fits::<T>()
    }

    /// Whether an operation of direction `send` waits here (a snapshot).
    #[inline]
    pub(crate) fn has(&self, send: bool) -> bool {
        let w = self.word.load(Ordering::Relaxed);
        w & PTR != 0 && (w & SEND != 0) == send
    }

    /// Whether `w` waits here, i.e. no one took it (its owner asks).
    #[inline]
    fn holds(&self, w: &Waiter) -> bool {
        self.word.load(Ordering::Relaxed) & PTR == ptr::from_ref(w) as usize
    }

    /// Takes the waiting operation of direction `send` out, if there is one: the caller now
    /// owns its choice (it must choose it with [`Waiter::choose_exclusive`], its last access
    /// to the waiter unless it holds a reference of its own).
    ///
    /// `quiet`: only if the word is not BUSY (a lock-free receive must not pass a message
    /// handed back to a rendezvous channel's buffer).
    #[inline]
    fn take(&self, send: bool, quiet: bool) -> Option<NonNull<Waiter>> {
        let mut cur = self.word.load(Ordering::Relaxed);
        loop {
            if cur & PTR == 0 || (cur & SEND != 0) != send || (quiet && cur & BUSY != 0) {
                return None;
            }
            // Acquire: the owner's waiter (and a send's message) as it published them.
            match self.word.compare_exchange_weak(
                cur,
                cur & BUSY,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return NonNull::new((cur & PTR) as *mut Waiter),
                Err(actual) => cur = actual,
            }
        }
    }

    /// [`Slot::take`] with a reference of the caller's own to the waiter, for the paths
    /// under the lock, which complete it like a queued operation (and wake it after
    /// unlocking).
    pub(crate) fn take_shared(&self, send: bool) -> Option<Arc<Waiter>> {
        let p = self.take(send, false)?.as_ptr().cast_const();
        // SAFETY: the word holds `Arc::as_ptr` of the owner's `Arc<Waiter>`, and the owner
        // keeps that `Arc` until it sees CHOSEN, which only we (its taker) can store and have
        // not: so the count is at least one and `p` is an `Arc`'s pointer.
        Some(unsafe {
            Arc::increment_strong_count(p);
            Arc::from_raw(p)
        })
    }

    /// Parks a receive's `w` (the caller's own) here. `locked`: `None` without the lock
    /// (only into an exactly empty word: not BUSY, no waiter; for a rendezvous channel, whose
    /// buffer stays empty); `Some(idle)` under the lock, into a word without a waiter, where
    /// `idle` says whether the queues and buffer are empty and the channel connected (so the
    /// BUSY bit may be cleared).
    #[inline]
    pub(crate) fn park_recv(&self, w: &Arc<Waiter>, locked: Option<bool>) -> Parked {
        if !Slot::<T>::used() {
            return Parked::SameSide;
        }
        self.publish(w, 0, locked)
    }

    /// [`Slot::park_recv`] for a send: `msg` goes into the waiter's own mailbox first, and
    /// comes back unless parked.
    #[inline]
    pub(crate) fn park_send(
        &self,
        w: &Arc<Waiter>,
        msg: T,
        locked: Option<bool>,
    ) -> Result<(), (Parked, T)> {
        if !Slot::<T>::used() || (locked.is_none() && self.word.load(Ordering::Relaxed) != 0) {
            return Err((Parked::SameSide, msg));
        }
        // SAFETY: the caller's own waiter, for this operation: its mailbox is empty (every
        // operation leaves it so) and no one reads it before `publish` does; a `T` that fits
        // (`used`).
        unsafe { w.mailbox.put(msg) };
        match self.publish(w, SEND, locked) {
            Parked::Yes => Ok(()),
            p => Err((
                p,
                self.unsent(w)
                    .expect("an unpublished send keeps its message"),
            )),
        }
    }

    /// Stores `w` tagged `tag` into the word, as [`Slot::park_recv`] says. Without the lock,
    /// a BUSY word counts as [`Parked::SameSide`] (the caller goes to the lock either way).
    #[inline]
    fn publish(&self, w: &Arc<Waiter>, tag: usize, locked: Option<bool>) -> Parked {
        let mut cur = self.word.load(Ordering::Relaxed);
        loop {
            if cur & PTR != 0 {
                return if cur & SEND == tag {
                    Parked::SameSide
                } else {
                    Parked::Counterpart
                };
            }
            let busy = match locked {
                None if cur != 0 => return Parked::SameSide,
                Some(false) => BUSY,
                _ => 0,
            };
            // Release: the waiter's reset and a send's message, for its taker.
            match self.word.compare_exchange(
                cur,
                Arc::as_ptr(w) as usize | tag | busy,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Parked::Yes,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Sets BUSY before something is queued or buffered under the lock; `true` if a
    /// counterpart of a blocking operation of direction `send` waits here (the caller looks
    /// again instead of queueing).
    #[inline]
    pub(crate) fn mark_busy(&self, send: bool) -> bool {
        let w = self.word.fetch_or(BUSY, Ordering::AcqRel);
        w & PTR != 0 && (w & SEND != 0) != send
    }

    /// The owner takes its waiter back out; `false` if someone took it first (and is
    /// choosing it).
    pub(crate) fn withdraw(&self, w: &Waiter) -> bool {
        let mut cur = self.word.load(Ordering::Relaxed);
        loop {
            if cur & PTR != ptr::from_ref(w) as usize {
                return false;
            }
            match self.word.compare_exchange_weak(
                cur,
                cur & BUSY,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => cur = actual,
            }
        }
    }

    /// The owner's wait, once its waiter is here: `true` once chosen, `false` if it withdrew
    /// at `deadline`. An unwind out of it leaves the waiter here (the caller's guard
    /// settles).
    #[inline(always)]
    pub(crate) fn wait(&self, w: &Waiter, reason: WaitReason, deadline: Option<Instant>) -> bool {
        loop {
            if w.state() >= CHOSEN {
                return true;
            }
            if !self.holds(w) {
                // Taken: its taker is a few instructions from CHOSEN.
                Slot::<T>::settle(w);
                return true;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) && self.withdraw(w) {
                return false;
            }
            w.wait(reason, deadline);
        }
    }

    /// Waits for the CHOSEN of whoever took `w` out of the slot: a few instructions away on
    /// a running thread (see the module docs).
    pub(crate) fn settle(w: &Waiter) {
        let mut step = 0;
        while w.state() < CHOSEN {
            crate::loom::hint::backoff(&mut step);
        }
    }

    /// Hands `msg` to the receive waiting here, if there is one, without the channel's
    /// lock; else gives it back.
    #[inline]
    pub(crate) fn hand_over(&self, msg: T) -> Result<(), T> {
        if !Slot::<T>::used() {
            return Err(msg);
        }
        let Some(w) = self.take(false, false) else {
            return Err(msg);
        };
        // SAFETY: the owner keeps the waiter alive until it sees CHOSEN, stored below as our
        // last access to it (as `Arc::drop`'s decrement is the last access to its count).
        let w = unsafe { w.as_ref() };
        // SAFETY: a plain receive of a `T` (the slot's type) that fits, which we took and so
        // chose, delivered to once.
        unsafe { w.mailbox.put(msg) };
        w.wake();
        w.choose_exclusive(CHOSEN);
        Ok(())
    }

    /// Takes the message of the send waiting here, if there is one, without the channel's
    /// lock, and wakes it. Only for a rendezvous channel (a bounded one's buffer holds older
    /// messages while a send waits), and only while it is quiet (not BUSY: the buffer may
    /// hold a message handed back, first in line).
    #[inline]
    pub(crate) fn take_over(&self) -> Option<T> {
        if !Slot::<T>::used() {
            return None;
        }
        let w = self.take(true, true)?;
        // SAFETY: as in `hand_over`: alive until our CHOSEN below, our last access.
        let w = unsafe { w.as_ref() };
        // SAFETY: a plain send of a `T` filled its own mailbox before it entered the word
        // (the release of its publication, acquired by our take); we took it, so we are its
        // reader.
        let msg = unsafe { w.mailbox.take::<T>() };
        w.wake();
        w.choose_exclusive(CHOSEN);
        Some(msg)
    }

    /// Under the lock: the receive waiting here, chosen, as the queue entry it stands for.
    #[inline]
    pub(crate) fn take_receive(&self) -> Option<Entry<T>> {
        let waiter = self.take_shared(false)?;
        waiter.choose_exclusive(CHOSEN);
        Some(Entry {
            waiter,
            oper: 0,
            msg: None,
            plain: true,
        })
    }

    /// Under the lock: the send waiting here, chosen, its message taken; wake the waiter
    /// after unlocking.
    #[inline]
    pub(crate) fn take_send(&self) -> Option<(T, Arc<Waiter>)> {
        let waiter = self.take_shared(true)?;
        // SAFETY: as in `take_over`.
        let msg = unsafe { waiter.mailbox.take::<T>() };
        waiter.choose_exclusive(CHOSEN);
        Some((msg, waiter))
    }

    /// The last sender (`send`) or receiver left: no operation may wait here without the
    /// lock any more, and the counterpart waiting here, if any, is told and looks again (a
    /// receive by a cancelled delivery; a send is chosen with its message still in its
    /// mailbox, which it takes back). Wake it after unlocking.
    pub(crate) fn disconnect(&self, send: bool) -> Option<Arc<Waiter>> {
        self.mark_busy(send);
        let waiter = self.take_shared(!send)?;
        if send {
            waiter.mailbox.cancel();
        }
        waiter.choose_exclusive(CHOSEN);
        Some(waiter)
    }

    /// The message a send that waited here still has: `Some` if it withdrew, or was told
    /// that the last receiver left; `None` if a receiver took it.
    pub(crate) fn unsent(&self, waiter: &Waiter) -> Option<T> {
        match waiter.mailbox.delivery() {
            // SAFETY: our own waiter, which `park_send` filled with a `T`; whoever took it
            // out of the word chose it without taking the message (its last access), or we
            // withdrew it or never published it, so no one else reads the mailbox.
            Delivery::Full => Some(unsafe { waiter.mailbox.take::<T>() }),
            _ => None,
        }
    }
}
