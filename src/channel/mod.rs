//! Multi-producer multi-consumer channels whose blocking operations park the green thread,
//! not its worker, with crossbeam-channel's API and semantics.
//!
//! - [`bounded(n)`](bounded) holds at most `n` messages; a send on a full channel waits.
//!   `bounded(0)` is a *rendezvous*: a send waits until a receiver takes the message.
//! - [`unbounded()`](unbounded) never makes a sender wait.
//! - Both ends are `Clone` (many senders, many receivers; each message goes to exactly one
//!   receiver). When every [`Sender`] is gone the channel is *disconnected* for receivers
//!   (they drain what is left, then get an error), and when every [`Receiver`] is gone,
//!   sends fail. Errors of a send hand the message back ([`SendError::into_inner`]).
//! - [`Select`] and [`select!`](crate::select) wait on several operations (and an optional
//!   timeout) at once, and complete exactly one.
//! - [`oneshot`] is a channel for exactly one message (a reply), cheaper than a `bounded(1)`
//!   used once.
//!
//! Everything works between any mix of green threads and OS threads: on a green thread a
//! blocking operation parks it; on an OS thread it blocks the thread.
//!
//! A green thread cancelled ([`JoinHandle::cancel`](crate::JoinHandle::cancel)) while it
//! blocks in `send`, `recv` or a select loses no message: a send either completed (a
//! receiver took the message) or did not happen (the message is dropped with the sender's
//! stack); a message handed to a cancelled receiver goes back into the channel, first in
//! line, for the next receiver.
//!
//! # Examples
//!
//! ```
//! use greenthread::channel::bounded;
//!
//! let rt = greenthread::Runtime::new()?;
//! let (tx, rx) = bounded(16);
//! let producers: Vec<_> = (0..4)
//!     .map(|p| {
//!         let tx = tx.clone();
//!         rt.spawn(move || (0..100).for_each(|i| tx.send(p * 100 + i).unwrap()))
//!     })
//!     .collect();
//! drop(tx); // the channel disconnects when the producers are done
//! let sum: i32 = rx.iter().sum(); // from this OS thread
//! assert_eq!(sum, (0..400).sum());
//! producers.into_iter().for_each(|h| h.join().unwrap());
//! # std::io::Result::Ok(())
//! ```
//!
//! # Design
//!
//! One short lock per channel guards the buffer and two queues of blocked operations;
//! blocked operations are completed *by their counterpart* (a sender hands its message
//! straight to a blocked receiver), so a woken receiver never finds its message stolen.
//! See the `chan` module for the ground rules and `select` for how a select completes
//! exactly one operation.

// Safe code throughout, but for handing a small message to a chosen receiver's mailbox
// (`sync::mailbox`), allowed where it happens (`chan`, one call in `select`).
#![deny(unsafe_code)]

mod chan;
mod error;
pub mod oneshot;
mod select;
mod settle;
mod slot;
mod spare;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chan::{Chan, Wakes};
pub use error::{
    RecvError, RecvTimeoutError, SelectTimeoutError, SendError, SendTimeoutError, TryRecvError,
    TrySelectError, TrySendError,
};
pub use select::{Select, SelectedOperation};

#[doc(inline)]
pub use crate::select;

/// Implementation detail of [`select!`]: a case either ran or passes the selected
/// operation outwards.
#[doc(hidden)]
#[derive(Debug)]
pub enum __Dispatch<'a, R> {
    Done(R),
    Pending(SelectedOperation<'a>),
}

/// A channel holding at most `cap` messages; `bounded(0)` is a rendezvous channel.
///
/// # Examples
///
/// ```
/// use greenthread::channel::{TrySendError, bounded};
///
/// let (tx, rx) = bounded(1);
/// tx.send(1).unwrap();
/// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
/// assert_eq!(rx.recv(), Ok(1));
/// ```
pub fn bounded<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    new(Some(cap))
}

/// A channel of unlimited capacity: sends never wait.
///
/// # Examples
///
/// ```
/// let (tx, rx) = greenthread::channel::unbounded();
/// for i in 0..1000 {
///     tx.send(i).unwrap();
/// }
/// drop(tx);
/// assert_eq!(rx.iter().count(), 1000);
/// ```
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    new(None)
}

fn new<T>(cap: Option<usize>) -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(Chan::new(cap));
    (Sender { chan: chan.clone() }, Receiver { chan })
}

/// The sending side of a channel. Clone it for more producers.
///
/// # Examples
///
/// ```
/// use greenthread::channel::unbounded;
///
/// let (tx, rx) = unbounded();
/// let tx2 = tx.clone();
/// tx.send(1).unwrap();
/// tx2.send(2).unwrap();
/// assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2]);
/// ```
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

/// The receiving side of a channel. Clone it for more consumers (each message goes to one).
///
/// # Examples
///
/// ```
/// use greenthread::channel::unbounded;
///
/// let (tx, rx) = unbounded();
/// let rx2 = rx.clone();
/// tx.send("a").unwrap();
/// tx.send("b").unwrap();
/// assert_eq!((rx.recv(), rx2.recv()), (Ok("a"), Ok("b"))); // each message goes to one
/// ```
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
}

fn deadline(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

impl<T> Sender<T> {
    /// Sends `msg` without waiting.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] if the channel is full (for `bounded(0)`: if no receiver is
    /// waiting), [`TrySendError::Disconnected`] if every receiver is gone; both hand `msg`
    /// back.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::{TrySendError, bounded};
    ///
    /// let (tx, rx) = bounded(1);
    /// assert_eq!(tx.try_send(1), Ok(()));
    /// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn try_send(&self, msg: T) -> Result<(), TrySendError<T>> {
        let Err(msg) = self.chan.slot.hand_over(msg) else {
            return Ok(());
        };
        let mut wakes = Wakes::default();
        let mut st = self.chan.state.lock();
        let r = st.try_send(&self.chan.slot, self.chan.cap, msg, &mut wakes);
        drop(st);
        wakes.wake();
        r
    }

    /// Sends `msg`, waiting while the channel is full.
    ///
    /// # Errors
    ///
    /// [`SendError`] with `msg` if every receiver is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::bounded;
    ///
    /// let (tx, rx) = bounded(0);
    /// let h = greenthread::spawn(move || tx.send("hi")); // waits for the receiver
    /// assert_eq!(rx.recv(), Ok("hi"));
    /// assert!(h.join().unwrap().is_ok());
    /// ```
    pub fn send(&self, msg: T) -> Result<(), SendError<T>> {
        self.chan
            .send(msg, None)
            .map_err(|e| SendError(e.into_inner()))
    }

    /// Sends `msg`, waiting at most `timeout` while the channel is full.
    ///
    /// # Errors
    ///
    /// [`SendTimeoutError::Timeout`] or [`SendTimeoutError::Disconnected`], with `msg`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenthread::channel::{SendTimeoutError, bounded};
    ///
    /// let (tx, _rx) = bounded(1);
    /// assert_eq!(tx.send_timeout(1, Duration::from_millis(5)), Ok(()));
    /// let full = tx.send_timeout(2, Duration::from_millis(5));
    /// assert_eq!(full, Err(SendTimeoutError::Timeout(2)));
    /// ```
    pub fn send_timeout(&self, msg: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        self.chan.send(msg, deadline(timeout))
    }

    /// Sends `msg`, waiting until `deadline` at the latest while the channel is full.
    ///
    /// # Errors
    ///
    /// As [`send_timeout`](Self::send_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use greenthread::channel::{SendTimeoutError, bounded};
    ///
    /// let (tx, _rx) = bounded(0);
    /// let deadline = Instant::now() + Duration::from_millis(5);
    /// assert_eq!(tx.send_deadline(1, deadline), Err(SendTimeoutError::Timeout(1)));
    /// assert!(Instant::now() >= deadline);
    /// ```
    pub fn send_deadline(&self, msg: T, deadline: Instant) -> Result<(), SendTimeoutError<T>> {
        self.chan.send(msg, Some(deadline))
    }

    /// Whether the buffer is empty (always true for `bounded(0)`).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::unbounded;
    ///
    /// let (tx, _rx) = unbounded();
    /// assert!(tx.is_empty());
    /// tx.send(1).unwrap();
    /// assert!(!tx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the buffer is full (always true for `bounded(0)`; never for unbounded).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::{bounded, unbounded};
    ///
    /// let (tx, _rx) = bounded(1);
    /// tx.send(1).unwrap();
    /// assert!(tx.is_full());
    /// assert!(bounded::<i32>(0).0.is_full());
    /// assert!(!unbounded::<i32>().0.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        self.chan
            .cap
            .is_some_and(|c| self.chan.state.lock().queue.len() >= c)
    }

    /// The number of messages in the buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::unbounded;
    ///
    /// let (tx, _rx) = unbounded();
    /// tx.send('a').unwrap();
    /// tx.send('b').unwrap();
    /// assert_eq!(tx.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.chan.state.lock().queue.len()
    }

    /// The capacity: `Some(n)` for `bounded(n)`, `None` for unbounded.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::{bounded, unbounded};
    ///
    /// assert_eq!(bounded::<i32>(8).0.capacity(), Some(8));
    /// assert_eq!(unbounded::<i32>().0.capacity(), None);
    /// ```
    pub fn capacity(&self) -> Option<usize> {
        self.chan.cap
    }

    /// Whether both handles belong to the same channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::unbounded;
    ///
    /// let (tx, _rx) = unbounded::<i32>();
    /// let (other, _) = unbounded::<i32>();
    /// assert!(tx.same_channel(&tx.clone()));
    /// assert!(!tx.same_channel(&other));
    /// ```
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }
}

impl<T> Receiver<T> {
    /// Receives a message if one is there right now.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`], or [`TryRecvError::Disconnected`] when empty and every
    /// sender is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::{TryRecvError, unbounded};
    ///
    /// let (tx, rx) = unbounded();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(5).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(5));
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        if let Some(m) = self.chan.take_from_slot() {
            return Ok(m);
        }
        let mut wakes = Wakes::default();
        let mut st = self.chan.state.lock();
        let r = st.try_recv(&self.chan.slot, self.chan.cap, &mut wakes);
        drop(st);
        wakes.wake();
        r
    }

    /// Receives a message, waiting while the channel is empty.
    ///
    /// # Errors
    ///
    /// [`RecvError`] when the channel is empty and every sender is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::{RecvError, unbounded};
    ///
    /// let (tx, rx) = unbounded();
    /// greenthread::spawn(move || tx.send(1).unwrap()); // `tx` is dropped when it is done
    /// assert_eq!(rx.recv(), Ok(1));
    /// assert_eq!(rx.recv(), Err(RecvError));
    /// ```
    pub fn recv(&self) -> Result<T, RecvError> {
        self.chan.recv(None).map_err(|_| RecvError)
    }

    /// Receives a message, waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`], or [`RecvTimeoutError::Disconnected`] when empty and
    /// every sender is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenthread::channel::{RecvTimeoutError, unbounded};
    ///
    /// let (tx, rx) = unbounded::<()>();
    /// assert_eq!(rx.recv_timeout(Duration::from_millis(5)), Err(RecvTimeoutError::Timeout));
    /// drop(tx);
    /// assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Err(RecvTimeoutError::Disconnected));
    /// ```
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.chan.recv(deadline(timeout))
    }

    /// Receives a message, waiting until `deadline` at the latest.
    ///
    /// # Errors
    ///
    /// As [`recv_timeout`](Self::recv_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use greenthread::channel::{RecvTimeoutError, unbounded};
    ///
    /// let (tx, rx) = unbounded();
    /// tx.send(1).unwrap();
    /// let deadline = Instant::now() + Duration::from_millis(5);
    /// assert_eq!(rx.recv_deadline(deadline), Ok(1));
    /// assert_eq!(rx.recv_deadline(deadline), Err(RecvTimeoutError::Timeout));
    /// ```
    pub fn recv_deadline(&self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        self.chan.recv(Some(deadline))
    }

    /// A blocking iterator: yields messages until the channel is empty and disconnected.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::unbounded;
    ///
    /// let (tx, rx) = unbounded();
    /// greenthread::spawn(move || (1..=3).for_each(|i| tx.send(i).unwrap()));
    /// // Ends when the spawned thread is done and has dropped `tx`.
    /// assert_eq!(rx.iter().collect::<Vec<_>>(), [1, 2, 3]);
    /// ```
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { rx: self }
    }

    /// A non-blocking iterator: yields the messages there right now.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::unbounded;
    ///
    /// let (tx, rx) = unbounded();
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// // Stops when the channel is empty, although `tx` is still alive.
    /// assert_eq!(rx.try_iter().sum::<i32>(), 3);
    /// ```
    pub fn try_iter(&self) -> TryIter<'_, T> {
        TryIter { rx: self }
    }

    /// Whether the buffer is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::unbounded;
    ///
    /// let (tx, rx) = unbounded();
    /// assert!(rx.is_empty());
    /// tx.send(1).unwrap();
    /// assert!(!rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the buffer is full (always true for `bounded(0)`; never for unbounded).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::bounded;
    ///
    /// let (tx, rx) = bounded(1);
    /// assert!(!rx.is_full());
    /// tx.send(1).unwrap();
    /// assert!(rx.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        self.chan
            .cap
            .is_some_and(|c| self.chan.state.lock().queue.len() >= c)
    }

    /// The number of messages in the buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::unbounded;
    ///
    /// let (tx, rx) = unbounded();
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// rx.recv().unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.chan.state.lock().queue.len()
    }

    /// The capacity: `Some(n)` for `bounded(n)`, `None` for unbounded.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::{bounded, unbounded};
    ///
    /// assert_eq!(bounded::<i32>(0).1.capacity(), Some(0));
    /// assert_eq!(unbounded::<i32>().1.capacity(), None);
    /// ```
    pub fn capacity(&self) -> Option<usize> {
        self.chan.cap
    }

    /// Whether both handles belong to the same channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::unbounded;
    ///
    /// let (_tx, rx) = unbounded::<i32>();
    /// let (_, other) = unbounded::<i32>();
    /// assert!(rx.same_channel(&rx.clone()));
    /// assert!(!rx.same_channel(&other));
    /// ```
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.state.lock().senders += 1;
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.chan.state.lock().receivers += 1;
        Receiver {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.chan.drop_receiver();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sender { .. }")
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Receiver { .. }")
    }
}

/// Blocking iterator over a [`Receiver`]'s messages; see [`Receiver::iter`].
///
/// # Examples
///
/// ```
/// use greenthread::channel::unbounded;
///
/// let (tx, rx) = unbounded();
/// tx.send(1).unwrap();
/// tx.send(2).unwrap();
/// drop(tx);
/// let mut total = 0;
/// for msg in &rx {
///     total += msg;
/// }
/// assert_eq!(total, 3);
/// ```
#[derive(Debug)]
pub struct Iter<'a, T> {
    rx: &'a Receiver<T>,
}

/// Non-blocking iterator over a [`Receiver`]'s messages; see [`Receiver::try_iter`].
///
/// # Examples
///
/// ```
/// use greenthread::channel::unbounded;
///
/// let (tx, rx) = unbounded();
/// tx.send("x").unwrap();
/// let mut it = rx.try_iter();
/// assert_eq!(it.next(), Some("x"));
/// assert_eq!(it.next(), None);
/// ```
#[derive(Debug)]
pub struct TryIter<'a, T> {
    rx: &'a Receiver<T>,
}

/// Owning blocking iterator over a [`Receiver`]'s messages.
///
/// # Examples
///
/// ```
/// use greenthread::channel::unbounded;
///
/// let (tx, rx) = unbounded();
/// tx.send(1).unwrap();
/// tx.send(2).unwrap();
/// drop(tx);
/// let all: Vec<i32> = rx.into_iter().collect();
/// assert_eq!(all, [1, 2]);
/// ```
#[derive(Debug)]
pub struct IntoIter<T> {
    rx: Receiver<T>,
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}

impl<T> Iterator for TryIter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.rx.try_recv().ok()
    }
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        IntoIter { rx: self }
    }
}
