//! The state of one channel and its wait queues, shared by every flavour.
//!
//! # Ground rules
//!
//! - Everything is under one short lock (`Chan::state`): the buffer, the handle counts, the
//!   two queues of blocked operations and the *stash* of messages handed to chosen waiters;
//!   except the *slot*, an atomic word for one blocked plain operation (`channel::slot`).
//!   No one waits while holding the lock; threads are woken after it is released.
//! - A blocked operation is an [`Entry`] in `send_waiters` or `recv_waiters`, pointing at a
//!   [`Waiter`] (the thread's spare for a blocked `send`/`recv`, see `spare`, or a fresh one
//!   shared by all the operations of a `Select`). A counterpart *completes* an entry by
//!   choosing its waiter (WAITING -> CHOSEN + operation index: a compare-and-swap for a
//!   `Select`'s waiter, so that it completes at most one operation; a plain store for a plain
//!   `send`/`recv`, whose entry is queued only while it waits), then wakes it:
//!   - a sender chooses a blocked receiver and *delivers* the message: into the waiter's
//!     mailbox if it is a plain `recv` and the message fits (`sync::mailbox`: the receiver
//!     reads it without the lock), else into the stash under the waiter's id (the receiver
//!     takes it from there, under the lock);
//!   - a receiver chooses a blocked *plain* sender and takes the message out of its entry
//!     (moving it into the buffer when it frees a place in a bounded channel).
//! - A `Select` waiting to *send* has no message yet, so a receiver that will wait does not
//!   choose it: it wakes it (and the select looks again, finds the receiver now blocked, and
//!   reserves it). Every receiver that queues itself wakes such selects, and a select
//!   re-checks readiness after queueing itself, so neither can miss the other. A receive
//!   that will *not* wait (`try_recv`, a select's try) and finds nothing else chooses such a
//!   select instead, records itself as its *taker*, and waits for the select to complete
//!   its send (or to give it up): so a rendezvous with a waiting select succeeds, as in
//!   crossbeam-channel.
//! - Only the owner of an entry removes it, except a counterpart that chose it. A select's
//!   entries whose waiter gave up (or was chosen elsewhere) are skipped until their owner
//!   removes them; a plain operation's entry never lingers: its owner settles under the lock
//!   whether it was chosen, and if not, withdraws it there and then (`wait_plain`, in
//!   `channel::settle` with the other owner-side waits and the unwind guards).
//! - A spare waiter keeps its id from one operation to the next, so what is delivered to it
//!   is always taken before its operation ends: a chosen `recv` waits in `take_delivery`
//!   until the message (or `Cancelled`) is there. A receive unwound after being chosen
//!   (its green thread cancelled) takes it too and puts the message back in the channel,
//!   first in line, so no message is lost. The one exception, a wait unwound at shutdown
//!   before a select sent what it reserved, leaves it behind harmlessly: that green thread
//!   never waits normally again, and its spares die with it.
//! - A select's waiter that gives up aborts first (CAS WAITING -> ABORTED): if that fails it
//!   was chosen, and it completes its operation instead; a plain one that gives up looks at
//!   its state under the lock, where no one can choose it meanwhile. So a message is never
//!   both delivered and reported as timed out.
//!
//! Capacity: `None` is unbounded; `Some(0)` is a rendezvous (the buffer stays empty: every
//! message goes from a sender's hand to a blocked receiver's); `Some(n)` holds `n`, minus
//! buffer places `reserved` by selected sends not yet completed.

use crate::loom::sync::MutexGuard;
use crate::loom::time::Instant;
use crate::runtime::WaitReason;
use std::collections::VecDeque;
use std::sync::Arc;

use super::error::{RecvTimeoutError, SendTimeoutError, TryRecvError, TrySendError};
use super::settle::{Reclaim, Settled, SlotGuard, Unregister, wait_plain};
use super::slot::{Parked, Slot};
use crate::sync::mailbox::{Delivery, Mailbox};
use crate::sync::waiter::{CHOSEN, WAITING, Waiter};

/// One channel, shared by all its `Sender`s and `Receiver`s.
#[derive(Debug)]
pub(crate) struct Chan<T> {
    pub(crate) cap: Option<usize>,
    /// One blocked plain operation, taken without the lock (`channel::slot`).
    pub(crate) slot: Slot<T>,
    pub(crate) state: crate::loom::sync::Mutex<State<T>>,
}

#[derive(Debug)]
pub(crate) struct State<T> {
    pub(crate) queue: VecDeque<T>,
    /// Buffer places promised to selected sends (counted against the capacity).
    pub(crate) reserved: usize,
    pub(crate) senders: usize,
    pub(crate) receivers: usize,
    pub(crate) send_waiters: VecDeque<Entry<T>>,
    pub(crate) recv_waiters: VecDeque<Entry<T>>,
    /// What chosen receivers are handed, keyed by their waiter's (or select's) id.
    pub(crate) stash: Vec<(u64, Stashed<T>)>,
    /// Receives that chose a select waiting to send ([`State::choose_select_sender`]),
    /// keyed by that select's waiter id: its send delivers to the receive's waiter (in its
    /// mailbox if the flag says so, else the stash under its id).
    pub(crate) takers: Vec<(u64, Arc<Waiter>, bool)>,
}

/// A blocked operation.
#[derive(Debug)]
pub(crate) struct Entry<T> {
    pub(crate) waiter: Arc<Waiter>,
    /// Its index in the waiter's `Select` (0 for a plain operation).
    pub(crate) oper: usize,
    /// A plain send's message; `None` for receives and for a select's sends.
    pub(crate) msg: Option<T>,
    /// A plain `send` or `recv` (not a select's): its waiter is chosen with a store under
    /// the lock, and withdrawn under it (`wait_plain`); or it came from the slot.
    pub(crate) plain: bool,
}

impl<T> Entry<T> {
    /// For a receive: whether the message goes into the waiter's mailbox (a plain receive
    /// of a message that fits) rather than the stash.
    #[inline]
    pub(crate) fn uses_mailbox(&self) -> bool {
        self.plain && Mailbox::fits::<T>()
    }

    /// Chooses this entry's waiter (the caller holds the channel's lock); `false` if it
    /// gave up or another operation of its select was chosen.
    #[inline]
    fn choose(&self) -> bool {
        if self.plain {
            // Queued means still waiting: a plain waiter leaves the queue (chosen, or
            // withdrawn) only under the lock we hold.
            self.waiter.choose_exclusive(CHOSEN + self.oper);
            true
        } else {
            self.waiter.choose(CHOSEN + self.oper)
        }
    }
}

/// What a chosen receiver finds in the stash.
#[derive(Debug)]
pub(crate) enum Stashed<T> {
    Msg(T),
    /// The select that reserved this receiver was dropped without sending: look again.
    Cancelled,
}

/// Threads to wake once the lock is released. The first is kept inline: the common case
/// (one counterpart) allocates nothing.
#[derive(Default)]
pub(crate) struct Wakes {
    first: Option<Arc<Waiter>>,
    more: Vec<Arc<Waiter>>,
}

impl Wakes {
    #[inline]
    pub(crate) fn push(&mut self, w: Arc<Waiter>) {
        match self.first {
            None => self.first = Some(w),
            Some(_) => self.more.push(w),
        }
    }

    #[inline(always)]
    pub(crate) fn wake(self) {
        if let Some(w) = self.first {
            w.wake();
            if !self.more.is_empty() {
                Wakes::wake_more(self.more);
            }
        }
    }

    #[cold]
    fn wake_more(more: Vec<Arc<Waiter>>) {
        more.iter().for_each(|w| w.wake());
    }
}

impl<T> Chan<T> {
    pub(crate) fn new(cap: Option<usize>) -> Chan<T> {
        Chan {
            cap,
            slot: Slot::new(),
            state: crate::loom::sync::Mutex::new(State {
                queue: VecDeque::with_capacity(cap.unwrap_or(0).min(1024)),
                reserved: 0,
                senders: 1,
                receivers: 1,
                send_waiters: VecDeque::new(),
                recv_waiters: VecDeque::new(),
                stash: Vec::new(),
                takers: Vec::new(),
            }),
        }
    }

    /// Sends, blocking until `deadline` while the channel is full.
    #[inline]
    pub(crate) fn send(
        &self,
        msg: T,
        deadline: Option<Instant>,
    ) -> Result<(), SendTimeoutError<T>> {
        match self.slot.hand_over(msg) {
            Ok(()) => Ok(()),
            Err(msg) => self.send_slow(msg, deadline),
        }
    }

    /// [`Chan::send`] when no receive waits in the slot.
    #[inline(never)]
    fn send_slow(&self, mut msg: T, deadline: Option<Instant>) -> Result<(), SendTimeoutError<T>> {
        if self.cap == Some(0) {
            // A quiet rendezvous channel: wait in the slot without taking the lock.
            let waiter = super::spare::waiter();
            msg = match self.slot.park_send(&waiter, msg, None) {
                Ok(()) => match self.wait_send_in_slot(&waiter, deadline) {
                    None => return Ok(()),
                    Some(m) => m,
                },
                Err((_, m)) => m,
            };
        }
        let mut st = self.state.lock();
        loop {
            let mut wakes = Wakes::default();
            match st.try_send(&self.slot, self.cap, msg, &mut wakes) {
                Ok(()) => {
                    drop(st);
                    wakes.wake();
                    return Ok(());
                }
                Err(TrySendError::Disconnected(m)) => {
                    return Err(SendTimeoutError::Disconnected(m));
                }
                Err(TrySendError::Full(m)) => msg = m,
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(SendTimeoutError::Timeout(msg));
            }
            let waiter = super::spare::waiter();
            // The slot is the front of the line: not for a send when others are queued.
            let parked = if st.send_waiters.is_empty() {
                self.slot.park_send(&waiter, msg, Some(st.idle()))
            } else {
                Err((Parked::SameSide, msg))
            };
            match parked {
                Ok(()) => {
                    drop(st);
                    match self.wait_send_in_slot(&waiter, deadline) {
                        None => return Ok(()),
                        Some(m) => msg = m,
                    }
                    st = self.state.lock();
                    continue;
                }
                Err((Parked::Counterpart, m)) => {
                    msg = m;
                    continue;
                }
                Err((_, m)) => msg = m,
            }
            if self.slot.mark_busy(true) {
                continue;
            }
            st.send_waiters.push_back(Entry {
                waiter: Arc::clone(&waiter),
                oper: 0,
                msg: Some(msg),
                plain: true,
            });
            drop(st);
            let guard = Unregister {
                chan: self,
                waiter: &waiter,
                recv: false,
            };
            let settled = wait_plain(self, &waiter, WaitReason::ChannelSend, deadline);
            std::mem::forget(guard);
            match settled {
                // A receiver took the message out of our entry.
                Settled::Chosen => return Ok(()),
                // Still queued: withdraw the message and look again, still under the lock.
                Settled::Waiting(locked) => {
                    st = locked;
                    let entry = st
                        .withdraw(false, waiter.id)
                        .expect("an unchosen plain sender's entry stays until it removes it");
                    msg = entry.msg.expect("a plain send's entry holds its message");
                }
            }
        }
    }

    /// Waits in the slot, where the caller put `waiter` and its message: `None` once a
    /// receiver took the message; `Some(msg)` if it is still ours (withdrawn at the
    /// deadline, or the last receiver left): look again.
    fn wait_send_in_slot(&self, waiter: &Waiter, deadline: Option<Instant>) -> Option<T> {
        let guard = SlotGuard {
            chan: self,
            waiter,
            recv: false,
        };
        self.slot.wait(waiter, WaitReason::ChannelSend, deadline);
        std::mem::forget(guard);
        self.slot.unsent(waiter)
    }

    /// The message of a send waiting in the slot, taken without the lock: only for a
    /// rendezvous channel (see [`Slot::take_over`]).
    #[inline]
    pub(crate) fn take_from_slot(&self) -> Option<T> {
        if self.cap == Some(0) {
            self.slot.take_over()
        } else {
            None
        }
    }

    /// Receives, blocking until `deadline` while the channel is empty.
    #[inline]
    pub(crate) fn recv(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        match self.take_from_slot() {
            Some(m) => Ok(m),
            None => self.recv_slow(deadline),
        }
    }

    /// [`Chan::recv`] when the slot has no send to take without the lock.
    #[inline(never)]
    fn recv_slow(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        if self.cap == Some(0) {
            // A quiet rendezvous channel: wait in the slot without taking the lock.
            let waiter = super::spare::waiter();
            if self.slot.park_recv(&waiter, None) == Parked::Yes
                && let Some(m) = self.wait_recv_in_slot(&waiter, deadline)
            {
                return Ok(m);
            }
        }
        let mut st = self.state.lock();
        loop {
            let mut wakes = Wakes::default();
            match st.try_recv(&self.slot, self.cap, &mut wakes) {
                Ok(m) => {
                    drop(st);
                    wakes.wake();
                    return Ok(m);
                }
                Err(TryRecvError::Disconnected) => return Err(RecvTimeoutError::Disconnected),
                Err(TryRecvError::Empty) => {}
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                drop(st);
                wakes.wake();
                return Err(RecvTimeoutError::Timeout);
            }
            let waiter = super::spare::waiter();
            // As for sends: the slot is the front of the line.
            let parked = if st.recv_waiters.is_empty() {
                self.slot.park_recv(&waiter, Some(st.idle()))
            } else {
                Parked::SameSide
            };
            match parked {
                Parked::Yes => {
                    drop(st);
                    // As below: a select waiting to send will find us.
                    wakes.wake();
                    if let Some(m) = self.wait_recv_in_slot(&waiter, deadline) {
                        return Ok(m);
                    }
                    st = self.state.lock();
                    continue;
                }
                Parked::Counterpart => {
                    drop(wakes);
                    continue;
                }
                Parked::SameSide => {}
            }
            if self.slot.mark_busy(false) {
                continue;
            }
            st.recv_waiters.push_back(Entry {
                waiter: Arc::clone(&waiter),
                oper: 0,
                msg: None,
                plain: true,
            });
            drop(st);
            let guard = Unregister {
                chan: self,
                waiter: &waiter,
                recv: true,
            };
            // `try_recv` woke any select waiting to send: it will find us queued.
            wakes.wake();
            let settled = wait_plain(self, &waiter, WaitReason::ChannelRecv, deadline);
            st = match settled {
                // Chosen: our message is delivered (or about to be, from a select). Taking
                // it may still wait, so the guard stays armed until we have it.
                Settled::Chosen => {
                    let delivered = self.take_delivery(&waiter, Mailbox::fits::<T>(), true);
                    std::mem::forget(guard);
                    match delivered {
                        Stashed::Msg(m) => return Ok(m),
                        Stashed::Cancelled => self.state.lock(),
                    }
                }
                // Still queued: withdraw, and look again still under the lock.
                Settled::Waiting(mut locked) => {
                    std::mem::forget(guard);
                    locked.withdraw(true, waiter.id);
                    locked
                }
            };
        }
    }

    /// Waits in the slot, where the caller put `waiter`: the message once a sender chose
    /// the receive; `None` to look again (withdrawn at the deadline, or cancelled: a
    /// select's reserved send, or the last sender left).
    fn wait_recv_in_slot(&self, waiter: &Waiter, deadline: Option<Instant>) -> Option<T> {
        let guard = SlotGuard {
            chan: self,
            waiter,
            recv: true,
        };
        if !self.slot.wait(waiter, WaitReason::ChannelRecv, deadline) {
            std::mem::forget(guard);
            return None;
        }
        // The message is delivered (or about to be, from a select). Taking it may still
        // wait, so the guard stays armed until we have it.
        let delivered = self.take_delivery(waiter, true, true);
        std::mem::forget(guard);
        match delivered {
            Stashed::Msg(m) => Some(m),
            Stashed::Cancelled => None,
        }
    }

    /// The message delivered to a chosen receive (in its waiter's mailbox if `mailbox`, else
    /// in the stash), waiting for it if a select has reserved this receive but not sent yet.
    ///
    /// `cancellable`: as for [`Chan::take_stash`].
    #[inline]
    // A put or take of a waiter's mailbox (`sync::mailbox`), its type argued below.
    #[allow(unsafe_code)]
    pub(crate) fn take_delivery(
        &self,
        waiter: &Waiter,
        mailbox: bool,
        cancellable: bool,
    ) -> Stashed<T> {
        if !mailbox {
            return self.take_stash(waiter, cancellable);
        }
        loop {
            match waiter.mailbox.delivery() {
                // SAFETY: we own the waiter, saw FULL, and it waited on a receive of this
                // channel, whose senders put a `T` (`Entry::uses_mailbox`).
                Delivery::Full => return Stashed::Msg(unsafe { waiter.mailbox.take::<T>() }),
                Delivery::Cancelled => {
                    waiter.mailbox.clear_cancelled();
                    return Stashed::Cancelled;
                }
                Delivery::Empty if cancellable => waiter.wait(WaitReason::ChannelRecv, None),
                Delivery::Empty => waiter.wait_no_cancel(WaitReason::ChannelRecv, None),
            }
        }
    }

    /// The message stashed for a chosen waiter, waiting for it if the sender has reserved
    /// this receiver but not sent yet.
    ///
    /// `cancellable`: whether a cancellation may unwind the wait (the caller's guard then
    /// reclaims the message); `reclaim` itself must not be interrupted.
    pub(crate) fn take_stash(&self, waiter: &Waiter, cancellable: bool) -> Stashed<T> {
        loop {
            if let Some(s) = self.state.lock().take_stash(waiter.id) {
                return s;
            }
            if cancellable {
                waiter.wait(WaitReason::ChannelRecv, None);
            } else {
                waiter.wait_no_cancel(WaitReason::ChannelRecv, None);
            }
        }
    }

    /// A receive chosen under `key` that will not take its message (its thread unwinds, or
    /// its selected operation is dropped): puts the message back in the channel, first in
    /// line. With the chosen `waiter`, waits for the message if a select reserved this
    /// receive but has not sent yet; except while the runtime unwinds the green thread at
    /// shutdown, where a wait would spin: a message not delivered by then is left behind
    /// (and dropped with the stash or the waiter). `mailbox`: as for
    /// [`Chan::take_delivery`].
    // A put or take of a waiter's mailbox (`sync::mailbox`), its type argued below.
    #[allow(unsafe_code)]
    pub(crate) fn reclaim(&self, key: u64, waiter: Option<&Waiter>, mailbox: bool) {
        let stashed = match waiter {
            Some(w) if !Waiter::unwinding() => Some(self.take_delivery(w, mailbox, false)),
            Some(w) if mailbox => match w.mailbox.delivery() {
                // SAFETY: as in `take_delivery`: our waiter, FULL seen, a `T`.
                Delivery::Full => Some(Stashed::Msg(unsafe { w.mailbox.take::<T>() })),
                _ => None,
            },
            _ => self.state.lock().take_stash(key),
        };
        if let Some(Stashed::Msg(m)) = stashed {
            let mut wakes = Wakes::default();
            self.state.lock().hand_back(&self.slot, m, &mut wakes);
            wakes.wake();
        }
    }

    /// Delivers `msg` to a receive that a select chose (reserved) on this channel and now
    /// completes ([`Token::SendTo`](super::select::Token)), then wakes it.
    ///
    /// # Safety
    ///
    /// `w` was chosen by [`State::take_receiver`] of this very channel (or chose a select's
    /// waiter with [`State::choose_select_sender`] of it), `mailbox` is the flag recorded with
    /// that choice, and nothing was delivered to it for that choice yet.
    // A put or take of a waiter's mailbox (`sync::mailbox`), its type argued below.
    #[allow(unsafe_code)]
    pub(crate) unsafe fn deliver_reserved(&self, w: &Waiter, mailbox: bool, msg: T) {
        if mailbox {
            // SAFETY: per this function's contract: a plain receive of a `T`, chosen by the
            // caller, not filled yet.
            unsafe { w.mailbox.put(msg) };
        } else {
            self.state.lock().stash.push((w.id, Stashed::Msg(msg)));
        }
        w.wake();
    }

    /// A receive that will not wait found the channel empty, but a select waiting to send:
    /// chooses the select (which then sends to us at once) and waits for the message. `Empty`
    /// if there is none any more, or the select gives the send up.
    ///
    /// The caller holds the lock (`st`) since it found the channel empty, and passes the
    /// wake-ups it collected: a select it woke to look again must not give up its wait
    /// before we choose it.
    #[cold]
    pub(crate) fn try_recv_from_select(
        &self,
        mut st: MutexGuard<'_, State<T>>,
        mut wakes: Wakes,
    ) -> Result<T, TryRecvError> {
        let waiter = super::spare::waiter();
        let mailbox = Mailbox::fits::<T>();
        let chosen = st.choose_select_sender(0, &waiter, mailbox, &mut wakes);
        drop(st);
        wakes.wake();
        if !chosen {
            return Err(TryRecvError::Empty);
        }
        let guard = Reclaim {
            chan: self,
            waiter: &waiter,
            mailbox,
        };
        let delivered = self.take_delivery(&waiter, mailbox, true);
        std::mem::forget(guard);
        match delivered {
            Stashed::Msg(m) => Ok(m),
            Stashed::Cancelled => Err(TryRecvError::Empty),
        }
    }

    /// Removes every entry of waiter `id` from both queues.
    pub(crate) fn unregister(&self, id: u64) {
        let mut st = self.state.lock();
        st.send_waiters.retain(|e| e.waiter.id != id);
        st.recv_waiters.retain(|e| e.waiter.id != id);
    }

    /// A sender went away; the last one disconnects the channel and wakes every receiver.
    pub(crate) fn drop_sender(&self) {
        let mut st = self.state.lock();
        st.senders -= 1;
        if st.senders == 0 {
            let mut waiters: Vec<_> = st.recv_waiters.iter().map(|e| e.waiter.clone()).collect();
            // The receive in the slot is told by a cancelled delivery, and looks again.
            waiters.extend(self.slot.disconnect(true));
            drop(st);
            waiters.iter().for_each(|w| w.wake());
        }
    }

    /// A receiver went away; the last one disconnects the channel, wakes every sender (a
    /// blocked send gets its message back in its error) and drops the buffered messages
    /// no one can receive any more, as crossbeam-channel does. They are dropped after the
    /// lock is released: a message may hold an end of this very channel, whose drop takes
    /// the lock.
    pub(crate) fn drop_receiver(&self) {
        let mut st = self.state.lock();
        st.receivers -= 1;
        if st.receivers == 0 {
            let unreceived = std::mem::take(&mut st.queue);
            let stash = std::mem::take(&mut st.stash);
            let mut waiters: Vec<_> = st.send_waiters.iter().map(|e| e.waiter.clone()).collect();
            // The send in the slot takes its message back and looks again.
            waiters.extend(self.slot.disconnect(false));
            drop(st);
            waiters.iter().for_each(|w| w.wake());
            drop_unreceived(unreceived);
            drop(stash);
        }
    }
}

/// Drops buffered messages in order. If a message's destructor panics, the ones after it
/// are leaked rather than dropped while unwinding (a second panic would abort), as
/// crossbeam-channel does.
fn drop_unreceived<T>(queue: VecDeque<T>) {
    struct LeakRest<T>(Option<std::collections::vec_deque::IntoIter<T>>);
    impl<T> Drop for LeakRest<T> {
        fn drop(&mut self) {
            // Only while unwinding from a message's destructor: a normal end takes it.
            std::mem::forget(self.0.take());
        }
    }
    let mut rest = LeakRest(Some(queue.into_iter()));
    while let Some(msg) = rest.0.as_mut().and_then(Iterator::next) {
        drop(msg);
    }
    drop(rest.0.take());
}

impl<T> State<T> {
    /// Nothing queued or buffered, and connected both ways: an operation may wait in the
    /// slot without the lock (the BUSY bit clear).
    fn idle(&self) -> bool {
        self.queue.is_empty()
            && self.send_waiters.is_empty()
            && self.recv_waiters.is_empty()
            && self.senders > 0
            && self.receivers > 0
    }

    fn has_room(&self, cap: Option<usize>) -> bool {
        cap.is_none_or(|c| self.queue.len() + self.reserved < c)
    }

    /// Removes the entry of plain waiter `id` (not chosen: the caller checked under the
    /// lock) from the receive or send queue. The caller drops it after unlocking if it may
    /// hold a message.
    pub(super) fn withdraw(&mut self, recv: bool, id: u64) -> Option<Entry<T>> {
        let queue = if recv {
            &mut self.recv_waiters
        } else {
            &mut self.send_waiters
        };
        let i = queue.iter().position(|e| e.waiter.id == id)?;
        queue.remove(i)
    }

    /// Chooses the first blocked receiver still waiting (the one in `slot`, else the
    /// queue's) and removes its entry.
    #[inline]
    pub(crate) fn take_receiver(&mut self, slot: &Slot<T>) -> Option<Entry<T>> {
        if let Some(e) = slot.take_receive() {
            return Some(e);
        }
        // Usually the first one is still waiting: take it without a search.
        if self.recv_waiters.front()?.choose() {
            return self.recv_waiters.pop_front();
        }
        let i = self.recv_waiters.iter().position(Entry::choose)?;
        self.recv_waiters.remove(i)
    }

    /// Whether a blocked receiver other than waiter `except` (a select's) is still waiting.
    pub(crate) fn has_receiver(&self, slot: &Slot<T>, except: u64) -> bool {
        slot.has(false)
            || self
                .recv_waiters
                .iter()
                .any(|e| e.waiter.id != except && e.waiter.state() == WAITING)
    }

    /// Chooses the first blocked plain sender and takes its message; wakes the selects
    /// waiting to send that it passes (they look again and find a receiver).
    #[inline]
    pub(crate) fn take_sender(
        &mut self,
        slot: &Slot<T>,
        wakes: &mut Wakes,
    ) -> Option<(T, Arc<Waiter>)> {
        // The one in the slot is older than the queue's.
        if let Some(taken) = slot.take_send() {
            return Some(taken);
        }
        // Usually the first one is a plain sender still waiting: take it without a search.
        let e = self.send_waiters.front()?;
        if e.msg.is_some() && e.choose() {
            let e = self.send_waiters.pop_front().expect("checked");
            return Some((e.msg.expect("checked"), e.waiter));
        }
        self.search_sender(wakes)
    }

    #[cold]
    fn search_sender(&mut self, wakes: &mut Wakes) -> Option<(T, Arc<Waiter>)> {
        let mut i = 0;
        while i < self.send_waiters.len() {
            let e = &self.send_waiters[i];
            if e.msg.is_some() {
                if e.choose() {
                    let e = self.send_waiters.remove(i).expect("index is valid");
                    return Some((e.msg.expect("checked"), e.waiter));
                }
            } else if e.waiter.state() == WAITING {
                wakes.push(e.waiter.clone());
            }
            i += 1;
        }
        None
    }

    /// Whether a select other than waiter `except`'s waits to send.
    pub(crate) fn has_select_sender(&self, except: u64) -> bool {
        self.send_waiters
            .iter()
            .any(|e| e.msg.is_none() && e.waiter.id != except && e.waiter.state() == WAITING)
    }

    /// Chooses the first select (other than waiter `except`'s) waiting to send, for the
    /// receive waiting with `taker`, and records the taker for it: the select's send then
    /// delivers to `taker` (its mailbox if `mailbox`, else the stash under its id) or
    /// cancels. Queues the select's wake-up. `false` if no select waits to send.
    #[cold]
    pub(crate) fn choose_select_sender(
        &mut self,
        except: u64,
        taker: &Arc<Waiter>,
        mailbox: bool,
        wakes: &mut Wakes,
    ) -> bool {
        let Some(i) = self
            .send_waiters
            .iter()
            .position(|e| e.msg.is_none() && e.waiter.id != except && e.choose())
        else {
            return false;
        };
        let e = self.send_waiters.remove(i).expect("index is valid");
        self.takers.push((e.waiter.id, Arc::clone(taker), mailbox));
        wakes.push(e.waiter);
        true
    }

    /// The receive that chose the select of waiter `id` to send to it, and its mailbox flag.
    pub(crate) fn take_taker(&mut self, id: u64) -> Option<(Arc<Waiter>, bool)> {
        let pos = self.takers.iter().position(|(k, ..)| *k == id)?;
        let (_, w, mailbox) = self.takers.swap_remove(pos);
        Some((w, mailbox))
    }

    /// Whether a blocked plain sender is still waiting.
    pub(crate) fn has_sender(&self, slot: &Slot<T>) -> bool {
        slot.has(true)
            || self
                .send_waiters
                .iter()
                .any(|e| e.msg.is_some() && e.waiter.state() == WAITING)
    }

    /// Wakes the selects waiting to send (a receiver is about to block), except the
    /// receiver's own select.
    pub(crate) fn wake_select_senders(&self, except: Option<u64>, wakes: &mut Wakes) {
        for e in &self.send_waiters {
            if e.msg.is_none() && Some(e.waiter.id) != except && e.waiter.state() == WAITING {
                wakes.push(e.waiter.clone());
            }
        }
    }

    /// Fills freed places of a bounded buffer from blocked senders.
    pub(crate) fn refill(&mut self, slot: &Slot<T>, cap: Option<usize>, wakes: &mut Wakes) {
        if cap.is_none_or(|c| c == 0) {
            return;
        }
        while self.has_room(cap) {
            match self.take_sender(slot, wakes) {
                Some((m, w)) => {
                    self.queue.push_back(m);
                    wakes.push(w);
                }
                None => break,
            }
        }
    }

    pub(crate) fn try_send(
        &mut self,
        slot: &Slot<T>,
        cap: Option<usize>,
        msg: T,
        wakes: &mut Wakes,
    ) -> Result<(), TrySendError<T>> {
        if self.receivers == 0 {
            return Err(TrySendError::Disconnected(msg));
        }
        if let Some(e) = self.take_receiver(slot) {
            self.deliver(e, msg, wakes);
            return Ok(());
        }
        if cap != Some(0) && self.has_room(cap) {
            self.queue.push_back(msg);
            return Ok(());
        }
        Err(TrySendError::Full(msg))
    }

    pub(crate) fn try_recv(
        &mut self,
        slot: &Slot<T>,
        cap: Option<usize>,
        wakes: &mut Wakes,
    ) -> Result<T, TryRecvError> {
        if let Some(m) = self.queue.pop_front() {
            self.refill(slot, cap, wakes);
            return Ok(m);
        }
        if let Some((m, w)) = self.take_sender(slot, wakes) {
            wakes.push(w);
            return Ok(m);
        }
        if self.senders == 0 {
            Err(TryRecvError::Disconnected)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    /// Gives a message a receiver will not take back to the channel, first in line: to a
    /// blocked receiver, or the buffer's front (one past its bound, at worst, until received).
    pub(crate) fn hand_back(&mut self, slot: &Slot<T>, m: T, wakes: &mut Wakes) {
        // First: the buffer may get it, so no receive may wait in the slot without the lock
        // from now on (one that got there already is found below).
        slot.mark_busy(true);
        match self.take_receiver(slot) {
            Some(e) => self.deliver(e, m, wakes),
            None => self.queue.push_front(m),
        }
    }

    /// Hands `msg` to the receive `e` just chosen by [`State::take_receiver`], and queues
    /// its wake-up.
    #[inline]
    // A put or take of a waiter's mailbox (`sync::mailbox`), its type argued below.
    #[allow(unsafe_code)]
    fn deliver(&mut self, e: Entry<T>, msg: T, wakes: &mut Wakes) {
        if e.uses_mailbox() {
            // SAFETY: `e` is a plain receive on this channel of a `T` that fits (what
            // `uses_mailbox` checks), which we chose just now and deliver to once.
            unsafe { e.waiter.mailbox.put(msg) };
        } else {
            self.stash.push((e.waiter.id, Stashed::Msg(msg)));
        }
        wakes.push(e.waiter);
    }

    pub(crate) fn take_stash(&mut self, id: u64) -> Option<Stashed<T>> {
        let pos = self.stash.iter().position(|(k, _)| *k == id)?;
        Some(self.stash.swap_remove(pos).1)
    }
}
