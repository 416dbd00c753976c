//! The state of one channel and its wait queues, shared by every flavour.
//!
//! # Ground rules
//!
//! - Everything is under one short lock (`Chan::state`): the buffer, the handle counts, the
//!   two queues of blocked operations and the *stash* of messages handed to chosen waiters;
//!   except the *slot*, an atomic word for one blocked plain operation (see "The slot"
//!   below). No one waits while holding the lock; threads are woken after it is released.
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
//! - A `Select` waiting to *send* has no message yet, so it is never chosen: receivers wake
//!   it (and it looks again, finds the receiver now blocked, and reserves it). Every
//!   receiver that queues itself wakes such selects, and a select re-checks readiness after
//!   queueing itself, so neither can miss the other.
//! - Only the owner of an entry removes it, except a counterpart that chose it. A select's
//!   entries whose waiter gave up (or was chosen elsewhere) are skipped until their owner
//!   removes them; a plain operation's entry never lingers: its owner settles under the lock
//!   whether it was chosen, and if not, withdraws it there and then (`wait_plain`).
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
//! # The slot
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
//!
//! Capacity: `None` is unbounded; `Some(0)` is a rendezvous (the buffer stays empty: every
//! message goes from a sender's hand to a blocked receiver's); `Some(n)` holds `n`, minus
//! buffer places `reserved` by selected sends not yet completed.

use crate::loom::sync::MutexGuard;
use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::loom::time::Instant;
use crate::runtime::WaitReason;
use std::collections::VecDeque;
use std::marker::PhantomData;
use std::ptr::{self, NonNull};
use std::sync::Arc;

use super::error::{RecvTimeoutError, SendTimeoutError, TryRecvError, TrySendError};
use crate::sync::mailbox::{Delivery, Mailbox};
use crate::sync::waiter::{ABORTED, CHOSEN, WAITING, Waiter};

/// One channel, shared by all its `Sender`s and `Receiver`s.
#[derive(Debug)]
pub(crate) struct Chan<T> {
    pub(crate) cap: Option<usize>,
    /// One blocked plain operation, taken without the lock; see "The slot".
    pub(crate) slot: Slot<T>,
    pub(crate) state: crate::loom::sync::Mutex<State<T>>,
}

/// The slot of a channel of `T`s: one word, holding the waiter of one blocked plain
/// operation (a pointer into its owner's `Arc<Waiter>`) tagged with its direction, and the
/// BUSY bit; see "The slot" in the module docs.
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

/// How [`Slot::park_locked`] went.
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
    fn new() -> Slot<T> {
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
    fn take_shared(&self, send: bool) -> Option<Arc<Waiter>> {
        let p = self.take(send, false)?.as_ptr().cast_const();
        // SAFETY: the word holds `Arc::as_ptr` of the owner's `Arc<Waiter>`, and the owner
        // keeps that `Arc` until it sees CHOSEN, which only we (its taker) can store and have
        // not: so the count is at least one and `p` is an `Arc`'s pointer.
        Some(unsafe {
            Arc::increment_strong_count(p);
            Arc::from_raw(p)
        })
    }

    /// Puts the caller's own `w` here without the lock, if the word is empty and not BUSY
    /// (only for a rendezvous channel: its buffer stays empty). For a send, `msg` goes into
    /// the waiter's mailbox first; it is given back if the slot is not free.
    #[inline]
    fn park_free(&self, w: &Arc<Waiter>, msg: Option<T>) -> Result<(), Option<T>> {
        if !Slot::<T>::used() || self.word.load(Ordering::Relaxed) != 0 {
            return Err(msg);
        }
        let tag = self.fill_mailbox(w, msg);
        // Release: the waiter's reset and a send's message, for its taker.
        match self.word.compare_exchange(
            0,
            Arc::as_ptr(w) as usize | tag,
            Ordering::Release,
            Ordering::Relaxed,
        ) {
            Ok(_) => Ok(()),
            Err(_) => Err(self.unsent(w)),
        }
    }

    /// Puts the caller's own `w` here under the lock, unless another operation is already
    /// here; `idle`: whether the queues and buffer are empty and the channel connected (so
    /// the BUSY bit may be cleared). For a send, `msg` goes into the waiter's mailbox and
    /// comes back unless parked.
    fn park_locked(&self, w: &Arc<Waiter>, msg: Option<T>, idle: bool) -> (Parked, Option<T>) {
        if !Slot::<T>::used() {
            return (Parked::SameSide, msg);
        }
        let send = msg.is_some();
        let tag = self.fill_mailbox(w, msg);
        let mut cur = self.word.load(Ordering::Relaxed);
        loop {
            if cur & PTR != 0 {
                let side = if (cur & SEND != 0) == send {
                    Parked::SameSide
                } else {
                    Parked::Counterpart
                };
                return (side, self.unsent(w));
            }
            let new = Arc::as_ptr(w) as usize | tag | if idle { 0 } else { BUSY };
            // Release: as in `park_free`.
            match self
                .word
                .compare_exchange(cur, new, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return (Parked::Yes, None),
                Err(actual) => cur = actual,
            }
        }
    }

    /// A send's message into its own waiter's mailbox, before the waiter is published; the
    /// tag for the word.
    #[inline]
    fn fill_mailbox(&self, w: &Waiter, msg: Option<T>) -> usize {
        match msg {
            Some(m) => {
                // SAFETY: the caller's own waiter, for this operation: its mailbox is empty
                // (every operation leaves it so) and no one reads it before the word
                // publishes it; a `T` that fits (`used`).
                unsafe { w.mailbox.put(m) };
                SEND
            }
            None => 0,
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
    fn withdraw(&self, w: &Waiter) -> bool {
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
    fn wait(&self, w: &Waiter, reason: WaitReason, deadline: Option<Instant>) -> bool {
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
    fn settle(w: &Waiter) {
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
    fn take_receive(&self) -> Option<Entry<T>> {
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
    fn take_send(&self) -> Option<(T, Arc<Waiter>)> {
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
    fn disconnect(&self, send: bool) -> Option<Arc<Waiter>> {
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
    fn unsent(&self, waiter: &Waiter) -> Option<T> {
        match waiter.mailbox.delivery() {
            // SAFETY: our own waiter, which `fill_mailbox` filled with a `T`; whoever took it
            // out of the word chose it without taking the message (its last access), or we
            // withdrew it or never published it, so no one else reads the mailbox.
            Delivery::Full => Some(unsafe { waiter.mailbox.take::<T>() }),
            _ => None,
        }
    }
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
            }),
        }
    }

    /// Sends, blocking until `deadline` while the channel is full.
    pub(crate) fn send(
        &self,
        msg: T,
        deadline: Option<Instant>,
    ) -> Result<(), SendTimeoutError<T>> {
        let Err(mut msg) = self.slot.hand_over(msg) else {
            return Ok(());
        };
        if self.cap == Some(0) {
            // A quiet rendezvous channel: wait in the slot without taking the lock.
            let waiter = super::spare::waiter();
            match self.slot.park_free(&waiter, Some(msg)) {
                Ok(()) => match self.wait_send_in_slot(&waiter, deadline) {
                    None => return Ok(()),
                    Some(m) => msg = m,
                },
                Err(m) => msg = m.expect("a send's message comes back"),
            }
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
                self.slot.park_locked(&waiter, Some(msg), st.idle())
            } else {
                (Parked::SameSide, Some(msg))
            };
            match parked {
                (Parked::Yes, _) => {
                    drop(st);
                    match self.wait_send_in_slot(&waiter, deadline) {
                        None => return Ok(()),
                        Some(m) => msg = m,
                    }
                    st = self.state.lock();
                    continue;
                }
                (Parked::Counterpart, m) => {
                    msg = m.expect("a send's message comes back");
                    continue;
                }
                (Parked::SameSide, m) => msg = m.expect("a send's message comes back"),
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
    pub(crate) fn recv(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        if let Some(m) = self.take_from_slot() {
            return Ok(m);
        }
        if self.cap == Some(0) {
            // A quiet rendezvous channel: wait in the slot without taking the lock.
            let waiter = super::spare::waiter();
            if self.slot.park_free(&waiter, None).is_ok()
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
                self.slot.park_locked(&waiter, None, st.idle()).0
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
    /// `w` was chosen by [`State::take_receiver`] of this very channel, its entry's
    /// `mailbox` flag is `mailbox`, and nothing was delivered to it for that choice yet.
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

    /// A receiver went away; the last one disconnects the channel and wakes every sender.
    pub(crate) fn drop_receiver(&self) {
        let mut st = self.state.lock();
        st.receivers -= 1;
        if st.receivers == 0 {
            let mut waiters: Vec<_> = st.send_waiters.iter().map(|e| e.waiter.clone()).collect();
            // The send in the slot takes its message back and looks again.
            waiters.extend(self.slot.disconnect(false));
            drop(st);
            waiters.iter().for_each(|w| w.wake());
        }
    }
}

/// How a plain operation's wait ended.
enum Settled<'a, T> {
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
fn wait_plain<'a, T>(
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
struct Unregister<'a, T> {
    chan: &'a Chan<T>,
    waiter: &'a Waiter,
    recv: bool,
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
struct SlotGuard<'a, T> {
    chan: &'a Chan<T>,
    waiter: &'a Waiter,
    recv: bool,
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
    fn withdraw(&mut self, recv: bool, id: u64) -> Option<Entry<T>> {
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
