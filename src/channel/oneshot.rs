//! A channel for exactly one message: the reply slot of a request.
//!
//! [`channel()`] gives a [`Sender`] whose [`send`](Sender::send) consumes it, and a
//! [`Receiver`] that waits for that one message. It is what a `bounded(1)` channel used once
//! would do, for less: one allocation and no lock (a state word, the message, and the
//! waiting receiver's handle), which is why it exists beside the general channels (see
//! BENCHMARKS.md for the difference). Like them, a blocking [`recv`](Receiver::recv) parks a
//! green thread and blocks an OS thread, and both ends work from either kind.
//!
//! A oneshot does not take part in [`Select`](super::Select): use a `bounded(1)` channel
//! where the reply must be waited for together with other operations.
//!
//! # Examples
//!
//! A request that carries its own reply channel:
//!
//! ```
//! use greenthread::channel::{oneshot, unbounded};
//!
//! let rt = greenthread::Runtime::new()?;
//! let (requests, incoming) = unbounded::<(u32, oneshot::Sender<u32>)>();
//! let server = rt.spawn(move || {
//!     for (n, reply) in incoming {
//!         let _ = reply.send(n * n); // the asker may have given up: ignore it
//!     }
//! });
//! let answer = rt.block_on(|| {
//!     let (tx, rx) = oneshot::channel();
//!     requests.send((12, tx)).unwrap();
//!     rx.recv()
//! });
//! assert_eq!(answer, Ok(144));
//! drop(requests);
//! server.join().unwrap();
//! # std::io::Result::Ok(())
//! ```
//!
//! # Protocol
//!
//! One state word, whose bits only ever get set (but `RX_WAITING`, which the receiver clears
//! again, and `VALUE`, cleared by a sender that takes its message back):
//!
//! - The sender writes the message, then sets `VALUE | TX_GONE` in one read-modify-write. A
//!   dropped sender sets `TX_GONE` alone. If that finds `RX_WAITING`, it wakes the receiver
//!   through the handle the receiver stored; if it finds `RX_GONE`, it takes its message back.
//! - The receiver stores its handle (only while `RX_WAITING` is clear and nothing was sent:
//!   then no sender reads it), then sets `RX_WAITING`; if that finds `VALUE` or `TX_GONE`, it
//!   does not wait. It clears `RX_WAITING` after every wait (also when one unwinds), and
//!   takes the message by setting `TAKEN`.
//!
//! So the handle is read by a sender only after it saw `RX_WAITING` set, and written by the
//! receiver only while `RX_WAITING` is clear and before anything was sent: never both at once.

// The message and the receiver's handle live in `UnsafeCell`s, each access justified
// against the protocol above.
#![allow(unsafe_code)]

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::sync::Arc;
use std::time::Duration;

use super::error::{RecvError, RecvTimeoutError, SendError, TryRecvError};
use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicU8, Ordering};
use crate::loom::time::Instant;
use crate::runtime::WaitReason;
use crate::sync::waiter::Waiter;

/// A message was sent and is in `value` (unless `TAKEN`).
const VALUE: u8 = 1;
/// The receiver took the message.
const TAKEN: u8 = 2;
/// The sender is gone (it sent, or was dropped).
const TX_GONE: u8 = 4;
/// The receiver is gone.
const RX_GONE: u8 = 8;
/// The receiver waits: a sender must wake it.
const RX_WAITING: u8 = 16;

struct Inner<T> {
    state: AtomicU8,
    value: UnsafeCell<MaybeUninit<T>>,
    /// The waiting receiver's handle (see the protocol in the module docs).
    waiter: UnsafeCell<Option<Waiter>>,
}

// SAFETY: the cells are accessed per the module's protocol: `value` written by the one
// sender before it publishes `VALUE`, read by the one receiver after it saw it; `waiter`
// written by the receiver only while no sender may read it. A `T` crosses from the sender's
// thread to the receiver's, hence `T: Send`.
unsafe impl<T: Send> Sync for Inner<T> {}
// SAFETY: moving an `Inner` to another thread moves the `T` it may hold (`T: Send`) and the
// receiver's `Waiter` handle (a `Thread`, which is `Send`); its cells need no more than that.
unsafe impl<T: Send> Send for Inner<T> {}

impl<T> Drop for Inner<T> {
    fn drop(&mut self) {
        // `&mut self`: every other reference is gone (the `Arc`'s drop ordered their writes).
        let s = self.state.load(Ordering::Relaxed);
        if s & VALUE != 0 && s & TAKEN == 0 {
            // SAFETY: sent and never taken (nor taken back, which clears `VALUE`): the
            // message is initialised, and `&mut self` means no one else can reach it.
            self.value.with_mut(|v| unsafe { (*v).assume_init_drop() });
        }
    }
}

/// Creates a oneshot channel: a [`Sender`] for one message and its [`Receiver`].
///
/// # Examples
///
/// ```
/// use greenthread::channel::oneshot;
///
/// let (tx, rx) = oneshot::channel();
/// let h = greenthread::spawn(move || tx.send("done").unwrap());
/// assert_eq!(rx.recv(), Ok("done"));
/// h.join().unwrap();
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Arc::new(Inner {
        state: AtomicU8::new(0),
        value: UnsafeCell::new(MaybeUninit::uninit()),
        waiter: UnsafeCell::new(None),
    });
    (
        Sender {
            inner: inner.clone(),
        },
        Receiver {
            inner,
            _not_sync: PhantomData,
        },
    )
}

/// The sending side of a [`oneshot`](self) channel: [`send`](Sender::send) consumes it.
/// Dropping it without sending wakes the receiver with an error.
pub struct Sender<T> {
    inner: Arc<Inner<T>>,
}

/// The receiving side of a [`oneshot`](self) channel.
///
/// It may be moved to another thread, but not shared (`!Sync`): one thread at a time
/// waits on it.
pub struct Receiver<T> {
    inner: Arc<Inner<T>>,
    _not_sync: PhantomData<Cell<()>>,
}

impl<T> Sender<T> {
    /// Sends the message, waking the receiver if it waits. Never blocks.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the message if the receiver is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::{SendError, oneshot};
    ///
    /// let (tx, rx) = oneshot::channel();
    /// drop(rx);
    /// assert_eq!(tx.send(5), Err(SendError(5)));
    /// ```
    pub fn send(self, msg: T) -> Result<(), SendError<T>> {
        // Our reference to `inner`, without running `Drop for Sender` (which reports a
        // sender gone without sending).
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again; we take its field by value.
        let inner: Arc<Inner<T>> = unsafe { std::ptr::read(&this.inner) };
        if inner.state.load(Ordering::Relaxed) & RX_GONE != 0 {
            return Err(SendError(msg));
        }
        // SAFETY: the one sender writes the message once (`send` consumes it), before it
        // publishes `VALUE` below; no one reads it before that.
        inner.value.with_mut(|v| unsafe { (*v).write(msg) });
        let prev = inner.state.fetch_or(VALUE | TX_GONE, Ordering::AcqRel);
        if prev & RX_GONE != 0 {
            // The receiver left meanwhile and will never read it: take it back.
            inner.state.fetch_and(!VALUE, Ordering::Relaxed);
            // SAFETY: written just above and published to no reader (the receiver is gone),
            // and `VALUE` is clear again, so `Inner`'s drop will not drop it too.
            let msg = inner.value.with(|v| unsafe { (*v).assume_init_read() });
            return Err(SendError(msg));
        }
        if prev & RX_WAITING != 0 {
            wake(&inner);
        }
        Ok(())
    }

    /// Whether the receiver is gone (a send would fail).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = greenthread::channel::oneshot::channel::<u8>();
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner.state.load(Ordering::Relaxed) & RX_GONE != 0
    }
}

/// Wakes the receiver that set `RX_WAITING` (its `fetch_or` was seen by the caller's).
fn wake<T>(inner: &Inner<T>) {
    // SAFETY: the caller's read-modify-write found `RX_WAITING`, set by the receiver after
    // it stored its handle (release, acquired by ours); it writes the handle again only
    // while nothing was sent and `RX_WAITING` is clear, and we just set `TX_GONE`.
    inner.waiter.with(|w| {
        // SAFETY: a shared read of the receiver's handle: the receiver stored it before it set
        // `RX_WAITING` (which our read-modify-write acquired) and writes it again only while
        // `RX_WAITING` is clear, so no write overlaps this read.
        if let Some(w) = unsafe { &*w } {
            w.wake();
        }
    });
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let prev = self.inner.state.fetch_or(TX_GONE, Ordering::AcqRel);
        if prev & RX_WAITING != 0 {
            wake(&self.inner);
        }
    }
}

impl<T> Receiver<T> {
    /// Takes the message if it is there, without waiting.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if nothing was sent yet; [`TryRecvError::Disconnected`] if the
    /// sender is gone without sending, or the message was already taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::{TryRecvError, oneshot};
    ///
    /// let (tx, rx) = oneshot::channel();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        let s = self.inner.state.load(Ordering::Acquire);
        if s & TAKEN != 0 {
            return Err(TryRecvError::Disconnected);
        }
        if s & VALUE != 0 {
            // `Receiver` is `!Sync`: only this thread takes, and it takes once.
            self.inner.state.fetch_or(TAKEN, Ordering::Relaxed);
            let value = &self.inner.value;
            // SAFETY: `VALUE` was seen with acquire, so the sender's write is visible; the
            // sender does not take it back once `VALUE` is published to a live receiver,
            // and `TAKEN` (set above) keeps anyone from reading it again.
            return Ok(value.with(|v| unsafe { (*v).assume_init_read() }));
        }
        if s & TX_GONE != 0 {
            return Err(TryRecvError::Disconnected);
        }
        Err(TryRecvError::Empty)
    }

    /// Waits for the message.
    ///
    /// # Errors
    ///
    /// [`RecvError`] if the sender is gone without sending.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::{RecvError, oneshot};
    ///
    /// let (tx, rx) = oneshot::channel::<u8>();
    /// drop(tx);
    /// assert_eq!(rx.recv(), Err(RecvError));
    /// ```
    pub fn recv(self) -> Result<T, RecvError> {
        self.recv_until(None).map_err(|_| RecvError)
    }

    /// Waits for the message for at most `timeout`. The receiver stays usable after a
    /// timeout.
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`] if nothing came in time; `Disconnected` if the sender
    /// is gone without sending, or the message was already taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::{RecvTimeoutError, oneshot};
    /// use std::time::Duration;
    ///
    /// let (tx, rx) = oneshot::channel();
    /// let timeout = Duration::from_millis(10);
    /// assert_eq!(rx.recv_timeout(timeout), Err(RecvTimeoutError::Timeout));
    /// tx.send('x').unwrap();
    /// assert_eq!(rx.recv_timeout(timeout), Ok('x'));
    /// ```
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.recv_until(Instant::now().checked_add(timeout))
    }

    fn recv_until(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        loop {
            match self.try_recv() {
                Ok(m) => return Ok(m),
                Err(TryRecvError::Disconnected) => return Err(RecvTimeoutError::Disconnected),
                Err(TryRecvError::Empty) => {}
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(RecvTimeoutError::Timeout);
            }
            let waiter = Waiter::new();
            let slot = &self.inner.waiter;
            // SAFETY: nothing was sent (just seen) and `RX_WAITING` is clear (we clear it
            // after every wait, below or in `ClearWaiting`): no sender reads the handle now.
            slot.with_mut(|slot| unsafe { *slot = Some(waiter) });
            let prev = self.inner.state.fetch_or(RX_WAITING, Ordering::AcqRel);
            let clear = ClearWaiting(&self.inner.state);
            if prev & (VALUE | TX_GONE) == 0 {
                // SAFETY: a read, as the sender's may be; we write the slot again only once
                // `clear` has cleared `RX_WAITING` and nothing was sent.
                self.inner.waiter.with(|slot| {
                    // SAFETY: as just above.
                    if let Some(w) = unsafe { &*slot } {
                        w.wait(WaitReason::ChannelRecv, deadline);
                    }
                });
            }
            drop(clear);
        }
    }
}

/// Clears `RX_WAITING` when a wait ends, also by unwinding (a cancelled green thread), so
/// the receiver may store its handle again.
struct ClearWaiting<'a>(&'a AtomicU8);

impl Drop for ClearWaiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_and(!RX_WAITING, Ordering::AcqRel);
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.inner.state.fetch_or(RX_GONE, Ordering::AcqRel);
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("oneshot::Sender { .. }")
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("oneshot::Receiver { .. }")
    }
}
