//! Multi-producer multi-consumer channels whose blocking operations park the green thread,
//! not its worker, with crossbeam-channel's API and semantics.
//!
//! - [`bounded(n)`](bounded) holds at most `n` messages; a send on a full channel waits.
//!   `bounded(0)` is a *rendezvous*: a send waits until a receiver takes the message.
//! - [`unbounded()`](unbounded) never makes a sender wait.
//! - Both ends are `Clone` (many senders, many receivers; each message goes to exactly one
//!   receiver). When every [`Sender`] is gone the channel is *disconnected* for receivers
//!   (they drain what is left, then get an error), and when every [`Receiver`] is gone,
//!   sends fail and the messages still buffered are dropped. Errors of a send hand the
//!   message back ([`SendError::into_inner`]).
//! - [`Select`] and [`select!`](crate::select) wait on several operations (and an optional
//!   timeout) at once, and complete exactly one.
//! - [`after`], [`at`] and [`tick`] are timer channels (their messages are the instants they
//!   were due), and [`never`] never delivers: as in crossbeam-channel, for timeouts and
//!   periodic work inside a select. Waiting on one parks a green thread on the runtime's
//!   timers, not its worker.
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
// (`sync::mailbox`), allowed where it happens (`chan`, one call in `select`), and `Select`'s
// `Send`/`Sync` (argued in `select`).
#![deny(unsafe_code)]

mod chan;
mod error;
pub mod oneshot;
mod select;
mod settle;
mod slot;
mod spare;
mod timer;

use std::fmt;
use std::marker::PhantomData;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chan::{Chan, Wakes};
pub use error::{
    ReadyTimeoutError, RecvError, RecvTimeoutError, SelectTimeoutError, SendError,
    SendTimeoutError, TryReadyError, TryRecvError, TrySelectError, TrySendError,
};
pub use select::{Select, SelectedOperation};
use timer::Timer;

#[doc(inline)]
pub use crate::{select, select_biased};

/// The entry point of `select!` under crossbeam-channel's name for it (its tests build
/// macros of their own on it).
#[doc(hidden)]
pub use crate::crossbeam_channel_internal;

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
    let rx = Receiver {
        flavor: Flavor::Chan(chan.clone()),
    };
    (Sender { chan }, rx)
}

/// A channel that delivers one message, the instant it was due, after `duration`.
///
/// Like crossbeam-channel's `after`: the receiver has no sender (it never disconnects); one
/// receive gets the message once it is due, and later ones find the channel empty. A
/// `duration` too long to add to now gives [`never()`]. A blocked receive parks a green
/// thread (on the runtime's timers), not its worker.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use greenthread::channel::{after, select, unbounded};
///
/// let start = Instant::now();
/// let (_tx, rx) = unbounded::<i32>();
/// let timeout = after(Duration::from_millis(10));
/// select! {
///     recv(rx) -> _ => unreachable!(),
///     recv(timeout) -> at => assert!(at.unwrap() >= start + Duration::from_millis(10)),
/// }
/// ```
pub fn after(duration: Duration) -> Receiver<Instant> {
    match Instant::now().checked_add(duration) {
        Some(when) => at(when),
        None => never(),
    }
}

/// A channel that delivers one message, `when`, once `when` has come.
///
/// As [`after`], for a deadline instead of a duration.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use greenthread::channel::{TryRecvError, at};
///
/// let when = Instant::now() + Duration::from_millis(5);
/// let rx = at(when);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty)); // not yet
/// assert_eq!(rx.recv(), Ok(when));
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty)); // once only
/// ```
pub fn at(when: Instant) -> Receiver<Instant> {
    timer_receiver(Timer::at(when))
}

/// A channel that delivers a message every `duration`: the instant each tick was due.
///
/// Like crossbeam-channel's `tick`: the first tick is due `duration` from now; after one is
/// received, the next is due `duration` after the later of the tick's time and the moment
/// it was received, so ticks missed while no one received are dropped rather than
/// delivered in a burst. A `duration` too long to add to now gives [`never()`].
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use greenthread::channel::tick;
///
/// let start = Instant::now();
/// let ticker = tick(Duration::from_millis(5));
/// let first = ticker.recv().unwrap();
/// let second = ticker.recv().unwrap();
/// assert!(first >= start + Duration::from_millis(5));
/// assert!(second >= first + Duration::from_millis(5));
/// ```
pub fn tick(duration: Duration) -> Receiver<Instant> {
    match Instant::now().checked_add(duration) {
        Some(first) => timer_receiver(Timer::tick(first, duration)),
        None => never(),
    }
}

/// A receiver that never delivers a message and never disconnects.
///
/// Like crossbeam-channel's `never`: useful in [`select!`] for a case that is only
/// sometimes enabled. A receive on it waits for ever (or until its timeout).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenthread::channel::{RecvTimeoutError, never, select, unbounded};
///
/// let (tx, rx) = unbounded();
/// tx.send(1).unwrap();
/// let enabled: Option<&greenthread::channel::Receiver<i32>> = None;
/// select! {
///     recv(enabled.cloned().unwrap_or_else(never)) -> _ => unreachable!(),
///     recv(rx) -> msg => assert_eq!(msg, Ok(1)),
/// }
/// let r = never::<i32>();
/// assert_eq!(r.recv_timeout(Duration::from_millis(5)), Err(RecvTimeoutError::Timeout));
/// ```
pub const fn never<T>() -> Receiver<T> {
    Receiver {
        flavor: Flavor::Never(PhantomData),
    }
}

fn timer_receiver(timer: Timer) -> Receiver<Instant> {
    Receiver {
        // The message type is `Instant` itself: the conversion is the identity.
        flavor: Flavor::Timer(Arc::new(timer), |i| i),
    }
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
/// Like crossbeam-channel's: `Send + Sync` when the messages are `Send`, and unwind-safe
/// whatever they are. A receiver of messages that must stay on their thread stays there too:
///
/// ```compile_fail
/// let (_tx, rx) = greenthread::channel::unbounded::<std::rc::Rc<i32>>();
/// std::thread::spawn(move || drop(rx)); // `Rc` is not `Send`: neither is the receiver
/// ```
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
    flavor: Flavor<T>,
}

/// What a [`Receiver`] receives from.
enum Flavor<T> {
    /// A channel made by [`bounded`] or [`unbounded`].
    Chan(Arc<Chan<T>>),
    /// A timer ([`after`], [`at`], [`tick`]) and how its instants become messages: only
    /// ever made with `T = Instant` and the identity, so the type system, not a cast,
    /// carries the fact that a timer's messages are instants.
    Timer(Arc<Timer>, fn(Instant) -> T),
    /// [`never`]: nothing, ever.
    Never(PhantomData<fn() -> T>),
}

// The channel's state stays consistent whatever a panic interrupts (no user code runs under
// its lock, and no lock poisons), as crossbeam-channel promises for its handles.
impl<T> UnwindSafe for Sender<T> {}
impl<T> RefUnwindSafe for Sender<T> {}
impl<T> UnwindSafe for Receiver<T> {}
impl<T> RefUnwindSafe for Receiver<T> {}

// The auto traits crossbeam-channel's types have, checked at every build: the handles are
// unwind-safe whatever the message type, and `Send + Sync` when it is `Send`; a `Select` is
// `Send + Sync + Clone`. (What must not hold is locked by `compile_fail` examples: a
// `Receiver` of `!Send` messages stays on its thread, a `SelectedOperation` too.)
const _: () = {
    const fn unwind_safe<H: UnwindSafe + RefUnwindSafe>() {}
    const fn send_sync<H: Send + Sync>() {}
    const fn clone<H: Clone>() {}
    unwind_safe::<Sender<std::rc::Rc<()>>>();
    unwind_safe::<Receiver<std::cell::Cell<()>>>();
    send_sync::<Sender<std::cell::Cell<()>>>();
    send_sync::<Receiver<std::cell::Cell<()>>>();
    send_sync::<Receiver<Instant>>();
    send_sync::<Select<'static>>();
    clone::<Select<'static>>();
};

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
        let Flavor::Chan(chan) = &self.flavor else {
            return self.try_recv_other();
        };
        if let Some(m) = chan.take_from_slot() {
            return Ok(m);
        }
        let mut wakes = Wakes::default();
        let mut st = chan.state.lock();
        let r = st.try_recv(&chan.slot, chan.cap, &mut wakes);
        if matches!(r, Err(TryRecvError::Empty)) && st.has_select_sender(0) {
            return chan.try_recv_from_select(st, wakes);
        }
        drop(st);
        wakes.wake();
        r
    }

    /// [`Receiver::try_recv`] of a timer or [`never`].
    #[cold]
    fn try_recv_other(&self) -> Result<T, TryRecvError> {
        match &self.flavor {
            Flavor::Timer(timer, msg) => timer.try_recv().map(msg),
            _ => Err(TryRecvError::Empty),
        }
    }

    /// A blocking receive of a timer or [`never`], until `deadline` at the latest.
    #[cold]
    fn recv_other(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        match &self.flavor {
            Flavor::Timer(timer, msg) => timer.recv(deadline).map(msg),
            _ => {
                timer::sleep_until(deadline);
                Err(RecvTimeoutError::Timeout)
            }
        }
    }

    /// The address of what it receives from (0 for [`never`]), to check that a selected
    /// operation is completed on its own channel.
    pub(crate) fn addr(&self) -> usize {
        match &self.flavor {
            Flavor::Chan(chan) => Arc::as_ptr(chan) as *const () as usize,
            Flavor::Timer(timer, _) => Arc::as_ptr(timer) as *const () as usize,
            Flavor::Never(_) => 0,
        }
    }

    /// The channel, for a receiver made by [`bounded`] or [`unbounded`].
    #[inline]
    pub(crate) fn chan(&self) -> Option<&Arc<Chan<T>>> {
        match &self.flavor {
            Flavor::Chan(chan) => Some(chan),
            _ => None,
        }
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
    #[inline]
    pub fn recv(&self) -> Result<T, RecvError> {
        match &self.flavor {
            Flavor::Chan(chan) => chan.recv(None),
            _ => self.recv_other(None),
        }
        .map_err(|_| RecvError)
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
        match deadline(timeout) {
            Some(d) => self.recv_deadline(d),
            None => self.recv().map_err(RecvTimeoutError::from),
        }
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
        match &self.flavor {
            Flavor::Chan(chan) => chan.recv(Some(deadline)),
            _ => self.recv_other(Some(deadline)),
        }
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
        match &self.flavor {
            Flavor::Chan(chan) => chan.cap.is_some_and(|c| chan.state.lock().queue.len() >= c),
            Flavor::Timer(timer, _) => timer.is_ready(),
            Flavor::Never(_) => true,
        }
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
        match &self.flavor {
            Flavor::Chan(chan) => chan.state.lock().queue.len(),
            Flavor::Timer(timer, _) => usize::from(timer.is_ready()),
            Flavor::Never(_) => 0,
        }
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
        match &self.flavor {
            Flavor::Chan(chan) => chan.cap,
            Flavor::Timer(..) => Some(1),
            Flavor::Never(_) => Some(0),
        }
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
        match (&self.flavor, &other.flavor) {
            (Flavor::Chan(a), Flavor::Chan(b)) => Arc::ptr_eq(a, b),
            (Flavor::Timer(a, _), Flavor::Timer(b, _)) => Arc::ptr_eq(a, b),
            (Flavor::Never(_), Flavor::Never(_)) => true,
            _ => false,
        }
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
        let flavor = match &self.flavor {
            Flavor::Chan(chan) => {
                chan.state.lock().receivers += 1;
                Flavor::Chan(chan.clone())
            }
            Flavor::Timer(timer, msg) => Flavor::Timer(timer.clone(), *msg),
            Flavor::Never(_) => Flavor::Never(PhantomData),
        };
        Receiver { flavor }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if let Flavor::Chan(chan) = &self.flavor {
            chan.drop_receiver();
        }
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
