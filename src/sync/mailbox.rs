//! A small message handed to one chosen waiter, kept in the waiter itself.
//!
//! A channel sender that chooses a blocked receive used to leave the message in the
//! channel's *stash*, and the woken receiver took the channel's lock again to find it there.
//! A message of up to [`Mailbox::CAPACITY`] bytes now goes into the receiver's waiter, and the
//! receiver reads it without the lock: one lock round trip less per message handed over
//! (see `channel::chan`, and BENCHMARKS.md for what it saves).
//!
//! # Protocol
//!
//! One writer and one reader per use of the waiter. For a receive:
//!
//! - Only the party that *chose* the waiter (moved it out of WAITING, under the channel's
//!   lock, or by taking it out of the channel's slot) fills the mailbox, once:
//!   [`Mailbox::put`] writes the message, then stores FULL (release); or
//!   [`Mailbox::cancel`] stores CANCELLED (a select that reserved the receiver and dropped
//!   its send). It may do so after the waiter saw CHOSEN: the waiter waits for
//!   the mailbox to leave EMPTY.
//! - Only the waiter's owner reads it, after seeing FULL (acquire): [`Mailbox::take`] moves
//!   the message out and stores EMPTY.
//!
//! For a send waiting in a channel's slot (`channel::slot`), the other way round: the owner
//! fills its own mailbox before the slot publishes the waiter (release), and the one party
//! that takes the waiter out of the slot (acquire) reads the message, before it chooses the
//! waiter; or, if it only tells the send that the last receiver left, it leaves the message,
//! and the owner takes it back after seeing CHOSEN. A send that withdraws from the slot
//! takes its message back itself.
//! - A spare waiter is reused only once no one else holds a reference to it
//!   (`WaiterCache`), so a fill meant for one operation can never land in a later one. Every
//!   operation leaves its mailbox EMPTY: it takes the message, or clears a CANCELLED.
//! - A message never taken (its receiver was unwound at runtime shutdown before the select
//!   that reserved it sent) is dropped with the waiter.
//!
//! The message type is the channel's: only a channel's own ends put and take, and every one
//! of them is typed by it, so a `T` put is always taken (or dropped) as that `T`.

use std::fmt;
use std::mem::{MaybeUninit, align_of, size_of};

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicU8, Ordering};

const EMPTY: u8 = 0;
const FULL: u8 = 1;
const CANCELLED: u8 = 2;

/// What a chosen waiter finds in its mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// Nothing yet: the chooser has not filled it.
    Empty,
    /// A message is there for [`Mailbox::take`].
    Full,
    /// The chooser will send nothing (a select dropped its reserved send): look again.
    Cancelled,
}

/// Room for one small message; see the module docs.
pub(crate) struct Mailbox {
    state: AtomicU8,
    /// How to drop the message while FULL (its type is erased); set by `put`.
    drop_msg: UnsafeCell<Option<unsafe fn(*mut u8)>>,
    data: UnsafeCell<MaybeUninit<[usize; Mailbox::WORDS]>>,
}

// SAFETY: the contents are only touched by the one chooser (before it publishes FULL or
// CANCELLED) and then by the waiter's owner (after it saw FULL), per the module's protocol;
// the state word orders the two. This makes every `Waiter` `Send + Sync` whatever it may
// carry, which is sound because only a channel's own ends put and take, and those are `Send`
// only for a `T: Send` (`channel::Sender`/`Receiver`): a message crosses threads exactly
// when its ends could.
unsafe impl Sync for Mailbox {}
// SAFETY: as above.
unsafe impl Send for Mailbox {}

impl Mailbox {
    const WORDS: usize = 4;
    /// The largest message that fits, in bytes.
    pub(crate) const CAPACITY: usize = Mailbox::WORDS * size_of::<usize>();

    pub(crate) fn new() -> Mailbox {
        Mailbox {
            state: AtomicU8::new(EMPTY),
            drop_msg: UnsafeCell::new(None),
            data: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// Whether a `T` fits (size and alignment); larger messages go through the stash.
    #[inline]
    pub(crate) const fn fits<T>() -> bool {
        size_of::<T>() <= Mailbox::CAPACITY && align_of::<T>() <= align_of::<usize>()
    }

    /// Fills the mailbox and publishes it (release).
    ///
    /// # Safety
    ///
    /// `fits::<T>()`; the caller chose this waiter for a receive of a `T` and has not
    /// filled or cancelled its mailbox for that choice (module docs: one writer per choice).
    #[inline]
    pub(crate) unsafe fn put<T>(&self, msg: T) {
        debug_assert!(Mailbox::fits::<T>());
        debug_assert_eq!(self.state.load(Ordering::Relaxed), EMPTY);
        /// # Safety
        ///
        /// `p` points at a `T` this mailbox owns, dropped once.
        unsafe fn drop_as<T>(p: *mut u8) {
            // SAFETY: per this function's contract.
            unsafe { std::ptr::drop_in_place(p.cast::<T>()) }
        }
        // SAFETY: the caller is the one writer (contract), and the reader waits for FULL,
        // stored below; `T` fits the buffer's size and alignment.
        self.data
            .with_mut(|d| unsafe { (*d).as_mut_ptr().cast::<T>().write(msg) });
        // SAFETY: as above.
        self.drop_msg
            .with_mut(|f| unsafe { *f = Some(drop_as::<T>) });
        self.state.store(FULL, Ordering::Release);
    }

    /// Publishes that nothing will be put (a select's reserved send was dropped).
    pub(crate) fn cancel(&self) {
        self.state.store(CANCELLED, Ordering::Release);
    }

    /// What is there now (acquire: a FULL message's bytes are visible).
    #[inline]
    pub(crate) fn delivery(&self) -> Delivery {
        match self.state.load(Ordering::Acquire) {
            FULL => Delivery::Full,
            CANCELLED => Delivery::Cancelled,
            _ => Delivery::Empty,
        }
    }

    /// Moves the message out and empties the mailbox.
    ///
    /// # Safety
    ///
    /// The caller is the waiter's owner, saw [`Delivery::Full`], and the message is a `T`
    /// (the waiter waited on a receive of a `T`).
    #[inline]
    pub(crate) unsafe fn take<T>(&self) -> T {
        let data = &self.data;
        // SAFETY: FULL was seen with acquire, so the writer's bytes are visible, and no one
        // writes again until the waiter is chosen again (which needs it WAITING, i.e. a new
        // operation); the bytes are a `T` per the contract.
        let msg = data.with(|d| unsafe { (*d).as_ptr().cast::<T>().read() });
        self.state.store(EMPTY, Ordering::Relaxed);
        msg
    }

    /// Empties a CANCELLED mailbox (its owner saw [`Delivery::Cancelled`] and will look
    /// at the channel again).
    pub(crate) fn clear_cancelled(&self) {
        debug_assert_eq!(self.delivery(), Delivery::Cancelled);
        self.state.store(EMPTY, Ordering::Relaxed);
    }
}

impl Drop for Mailbox {
    fn drop(&mut self) {
        if self.state.load(Ordering::Relaxed) == FULL {
            // SAFETY: `&mut self`: no one else can reach the cells any more.
            if let Some(drop_msg) = self.drop_msg.with_mut(|f| unsafe { (*f).take() }) {
                // SAFETY: FULL means `put` wrote a message nobody took, and `drop_msg` is its
                // type's destructor; `&mut self`, as above.
                self.data
                    .with_mut(|d| unsafe { drop_msg((*d).as_mut_ptr().cast::<u8>()) });
            }
        }
    }
}

impl fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailbox")
            .field("delivery", &self.delivery())
            .finish()
    }
}
