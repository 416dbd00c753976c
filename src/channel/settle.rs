//! The owner's side of a blocked channel operation: waiting for its one wake-up and
//! settling whether it was chosen ([`wait_plain`] for a plain `send`/`recv` in a queue,
//! [`wait_once`] for a select's waiter), and the drop guards that withdraw it, or complete
//! what it was chosen for, when its green thread unwinds ([`Unregister`] for a queued
//! operation, [`SlotGuard`] for one waiting in the slot). The protocol is in `channel::chan`'s
//! module docs and `channel::slot`'s.

use crate::loom::sync::MutexGuard;
use crate::loom::time::Instant;
use crate::runtime::WaitReason;

use super::chan::{Chan, State};
use super::slot::Slot;
use crate::sync::mailbox::Mailbox;
use crate::sync::waiter::{ABORTED, CHOSEN, Waiter};

/// How a plain operation's wait ended.
pub(super) enum Settled<'a, T> {
    /// A counterpart chose it (and removed its entry).
    Chosen,
    /// Woken without being chosen (a timeout, a disconnection, a select to look again, a
    /// stale wake-up): its entry is still queued, and the lock is held so that no one can
    /// choose it while the caller withdraws it.
    Waiting(MutexGuard<'a, State<T>>),
}

/// Waits for one wake-up of a plain (non-select) operation's `waiter`, and settles whether it
/// was chosen.
///
/// A plain waiter in a queue is chosen only under the channel's lock, by a plain store
/// ([`Waiter::choose_exclusive`]), so it never aborts with a compare-and-swap: whether it was
/// chosen is settled under the lock too. Usually a waker chose it, and one load tells. (One
/// in the slot settles with the slot instead: [`Slot::wait`].)
#[inline]
pub(super) fn wait_plain<'a, T>(
    chan: &'a Chan<T>,
    waiter: &Waiter,
    reason: WaitReason,
    deadline: Option<Instant>,
) -> Settled<'a, T> {
    if waiter.state() < CHOSEN {
        waiter.wait(reason, deadline);
        if waiter.state() < CHOSEN {
            let st = chan.state.lock();
            if waiter.state() < CHOSEN {
                return Settled::Waiting(st);
            }
        }
    }
    Settled::Chosen
}

/// Waits for one wake-up, then decides: `Ok(value)` if chosen, else aborts (`Err`). Any
/// wake-up that did not choose us (a disconnection, a select to look again, a stale one)
/// makes the caller look at the channel again. For a select's waiter, which several
/// channels may race to choose.
#[inline]
pub(crate) fn wait_once(
    waiter: &Waiter,
    reason: WaitReason,
    deadline: Option<Instant>,
) -> Result<usize, ()> {
    match waiter.state() {
        s if s >= CHOSEN => return Ok(s),
        ABORTED => return Err(()),
        _ => {}
    }
    waiter.wait(reason, deadline);
    // Usually a waker chose us: seeing it takes a load, not a CAS.
    match waiter.state() {
        s if s >= CHOSEN => return Ok(s),
        ABORTED => return Err(()),
        _ => {}
    }
    match waiter.abort() {
        Ok(()) => Err(()),
        Err(v) if v >= CHOSEN => Ok(v),
        Err(_) => Err(()),
    }
}

/// Removes a blocked operation whose stack is unwound (cancelled, or at runtime shutdown).
///
/// A send that was chosen meanwhile has been completed by its receiver (the message left with
/// it); one that was not is withdrawn, and its message dropped as the sender's stack unwinds,
/// after the lock is released (the message may hold an end of this very channel, whose drop
/// takes the lock). A receive that was chosen puts the message it was handed back in the
/// channel, first in line ([`Chan::reclaim`]), so no message is lost.
pub(super) struct Unregister<'a, T> {
    pub(super) chan: &'a Chan<T>,
    pub(super) waiter: &'a Waiter,
    pub(super) recv: bool,
}

impl<T> Drop for Unregister<'_, T> {
    fn drop(&mut self) {
        // Settled under the lock, as in `wait_plain`: not chosen means still queued.
        let (chosen, withdrawn) = {
            let mut st = self.chan.state.lock();
            if self.waiter.state() >= CHOSEN {
                (true, None)
            } else {
                (false, st.withdraw(self.recv, self.waiter.id))
            }
        };
        // A withdrawn send's message is dropped here, without the lock.
        drop(withdrawn);
        if chosen && self.recv {
            self.chan
                .reclaim(self.waiter.id, Some(self.waiter), Mailbox::fits::<T>());
        }
    }
}

/// [`Unregister`] for an operation waiting in the slot (`recv`: a receive, else a send):
/// withdraws it; or, if it was taken, waits for its choice, then puts a
/// received message back in the channel. A send's message not taken is dropped as the
/// sender's stack unwinds.
pub(super) struct SlotGuard<'a, T> {
    pub(super) chan: &'a Chan<T>,
    pub(super) waiter: &'a Waiter,
    pub(super) recv: bool,
}

impl<T> Drop for SlotGuard<'_, T> {
    fn drop(&mut self) {
        let slot = &self.chan.slot;
        let withdrawn = self.waiter.state() < CHOSEN && slot.withdraw(self.waiter);
        if !withdrawn {
            Slot::<T>::settle(self.waiter);
        }
        if !self.recv {
            drop(slot.unsent(self.waiter));
        } else if !withdrawn {
            self.chan.reclaim(self.waiter.id, Some(self.waiter), true);
        }
    }
}

/// For a receive that chose a select waiting to send (`Chan::try_recv_from_select`) and
/// waits for its message: if its green thread unwinds meanwhile, waits for the message (or
/// the select's cancellation) and puts it back in the channel, first in line.
pub(super) struct Reclaim<'a, T> {
    pub(super) chan: &'a Chan<T>,
    pub(super) waiter: &'a Waiter,
    pub(super) mailbox: bool,
}

impl<T> Drop for Reclaim<'_, T> {
    fn drop(&mut self) {
        self.chan
            .reclaim(self.waiter.id, Some(self.waiter), self.mailbox);
    }
}
