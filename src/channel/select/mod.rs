//! [`Select`]: wait on several channel operations at once and complete exactly one.
//!
//! A select runs in rounds. (1) It *tries* each operation, in an order shuffled anew every
//! round so that none is favoured (in insertion order for [`Select::new_biased`]), and
//! queues itself on them in that order too, so that a counterpart arriving later does not
//! always pick the first case either: a ready receive is performed at once (its message kept in the
//! channel's stash under the round's key), a ready send is *reserved* (a buffer slot, or a
//! blocked receiver chosen for it), so it cannot fail when [`SelectedOperation::send`]
//! completes it. (2) If none is ready it queues one shared [`Waiter`] on every operation,
//! re-checks readiness (aborting the round if anything became ready meanwhile), and waits.
//! (3) A sender that chooses the waiter for one receive completes that operation; the CAS on
//! the shared waiter means at most one can. Any other wake-up starts a new round. Timers
//! ([`after`](super::after), [`tick`](super::tick)) queue nothing: the round waits no longer
//! than their next delivery, then looks again.
//!
//! [`Select::ready`] runs the same rounds but only looks: an operation is ready when its
//! channel could complete it now (or it is disconnected). A receive a sender chose
//! meanwhile puts the message back, first in line, and is reported ready.
//!
//! The selected operation must then be completed with [`SelectedOperation::recv`] or
//! [`SelectedOperation::send`] on the same channel handle, as in crossbeam-channel.

#![deny(unsafe_code)]

use crate::runtime::WaitReason;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::chan::{Chan, Stashed, Wakes};
use super::error::{ReadyTimeoutError, TryReadyError};
use super::error::{RecvError, SelectTimeoutError, SendError, TrySelectError};
use super::settle::wait_once;
use super::{Flavor, Receiver, Sender};
use crate::sync::waiter::{CHOSEN, Waiter};

mod handle;
mod macros;

use handle::next_key;
pub(crate) use handle::{SelectHandle, Token};

/// Waits on several send and receive operations at once, like crossbeam-channel's
/// `Select`; exactly one of them completes.
///
/// Add operations with [`recv`](Self::recv) and [`send`](Self::send) (each returns the
/// operation's index), then call [`select`](Self::select) (or `try_select`,
/// `select_timeout`). The returned [`SelectedOperation`] says which operation is ready and
/// must be completed with its `recv` or `send` method on the same handle. When several are
/// ready, one is picked at random ([`new_biased`](Self::new_biased): the first added). The
/// [`select!`](crate::select) macro is the convenient form.
///
/// A `Select` is `Send + Sync + Clone`, like crossbeam-channel's.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenthread::channel::{Select, unbounded};
///
/// let (tx1, rx1) = unbounded::<i32>();
/// let (_tx2, rx2) = unbounded::<i32>();
/// tx1.send(7).unwrap();
///
/// let mut sel = Select::new();
/// let op1 = sel.recv(&rx1);
/// let op2 = sel.recv(&rx2);
/// let oper = sel.select_timeout(Duration::from_secs(1)).unwrap();
/// match oper.index() {
///     i if i == op1 => assert_eq!(oper.recv(&rx1), Ok(7)),
///     i if i == op2 => unreachable!(),
///     _ => unreachable!(),
/// }
/// ```
#[derive(Clone)]
pub struct Select<'a> {
    /// The operations and their indexes; an unbiased select shuffles them every round.
    handles: Vec<(&'a dyn SelectHandle, usize)>,
    /// The index the next operation added gets (indexes stay put when one is removed).
    next_index: usize,
    /// Whether operations are tried in the order they were added.
    biased: bool,
}

/// An operation a [`Select`] found ready; complete it with [`recv`](Self::recv) or
/// [`send`](Self::send).
///
/// # Panics
///
/// Dropping it without completing the operation panics (as in crossbeam-channel), after
/// giving back what it held (a received message goes back to the front of its channel).
///
/// It is completed by the thread that selected it (it may have to wait as that thread), so
/// it is not `Send`:
///
/// ```compile_fail
/// use greenthread::channel::{Select, unbounded};
///
/// let (tx, rx) = unbounded::<i32>();
/// tx.send(1).unwrap();
/// let mut sel = Select::new();
/// sel.recv(&rx);
/// let oper = sel.select();
/// std::thread::scope(|s| {
///     s.spawn(move || oper.recv(&rx)); // `SelectedOperation` is not `Send`
/// });
/// ```
///
/// # Examples
///
/// ```
/// use greenthread::channel::{Select, bounded};
///
/// let (tx, rx) = bounded(1);
/// let mut sel = Select::new();
/// let op = sel.send(&tx);
/// let oper = sel.try_select().unwrap();
/// assert_eq!(oper.index(), op);
/// oper.send(&tx, 9).unwrap(); // completing it is required
/// assert_eq!(rx.try_recv(), Ok(9));
/// ```
#[must_use = "a selected operation must be completed with `recv` or `send`"]
pub struct SelectedOperation<'a> {
    index: usize,
    addr: usize,
    handle: &'a dyn SelectHandle,
    token: Option<Token>,
    waiter: Option<Arc<Waiter>>,
    /// `!Send`: it may have to wait as the thread that selected.
    _not_send: PhantomData<*const ()>,
}

impl<'a> Select<'a> {
    /// An empty select.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::{Select, unbounded};
    ///
    /// let (_tx, rx) = unbounded::<i32>();
    /// let mut sel = Select::new();
    /// sel.recv(&rx);
    /// assert!(sel.try_select().is_err()); // nothing to receive
    /// ```
    pub fn new() -> Select<'a> {
        Select {
            handles: Vec::new(),
            next_index: 0,
            biased: false,
        }
    }

    /// An empty select that, when several operations are ready, picks the one added first
    /// (the order [`select_biased!`](crate::select_biased) uses).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::{Select, unbounded};
    ///
    /// let (tx1, rx1) = unbounded();
    /// let (tx2, rx2) = unbounded();
    /// tx1.send(1).unwrap();
    /// tx2.send(2).unwrap();
    /// let mut sel = Select::new_biased();
    /// let first = sel.recv(&rx1);
    /// sel.recv(&rx2);
    /// let oper = sel.select();
    /// assert_eq!(oper.index(), first); // both are ready: the first one wins
    /// assert_eq!(oper.recv(&rx1), Ok(1));
    /// ```
    pub fn new_biased() -> Select<'a> {
        Select {
            biased: true,
            ..Select::new()
        }
    }

    fn add(&mut self, handle: &'a dyn SelectHandle) -> usize {
        let index = self.next_index;
        self.next_index += 1;
        self.handles.push((handle, index));
        index
    }

    /// Removes the operation with index `index` (as returned by [`recv`](Self::recv) or
    /// [`send`](Self::send)); the indexes of the others stay as they were.
    ///
    /// # Panics
    ///
    /// If there is no operation with that index (never added, or already removed).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::{Select, unbounded};
    ///
    /// let (tx1, rx1) = unbounded::<i32>();
    /// let (_tx2, rx2) = unbounded::<i32>();
    /// tx1.send(1).unwrap();
    /// let mut sel = Select::new();
    /// let op1 = sel.recv(&rx1);
    /// let op2 = sel.recv(&rx2);
    /// sel.remove(op1);
    /// assert!(sel.try_select().is_err()); // only `rx2` is left, and it is empty
    /// # let _ = op2;
    /// ```
    pub fn remove(&mut self, index: usize) {
        assert!(
            index < self.next_index,
            "index out of bounds; {index} >= {}",
            self.next_index
        );
        let i = self
            .handles
            .iter()
            .position(|&(_, i)| i == index)
            .expect("no operation with this index");
        self.handles.swap_remove(i);
    }

    /// Adds a receive on `r`; returns the operation's index.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::{Select, unbounded};
    ///
    /// let (tx, rx) = unbounded();
    /// tx.send("hi").unwrap();
    /// let mut sel = Select::new();
    /// assert_eq!(sel.recv(&rx), 0); // indexes count from 0
    /// let oper = sel.try_select().unwrap();
    /// assert_eq!(oper.recv(&rx), Ok("hi"));
    /// ```
    pub fn recv<T>(&mut self, r: &'a Receiver<T>) -> usize {
        self.add(r)
    }

    /// Adds a send on `s`; returns the operation's index.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::{Select, bounded, unbounded};
    ///
    /// let (tx1, _rx1) = bounded::<char>(0); // no receiver waiting: never ready
    /// let (tx2, rx2) = unbounded();
    /// let mut sel = Select::new();
    /// sel.send(&tx1);
    /// let op2 = sel.send(&tx2);
    /// let oper = sel.try_select().unwrap();
    /// assert_eq!(oper.index(), op2);
    /// oper.send(&tx2, 'z').unwrap();
    /// assert_eq!(rx2.try_recv(), Ok('z'));
    /// ```
    pub fn send<T>(&mut self, s: &'a Sender<T>) -> usize {
        self.add(s)
    }

    /// Waits until one operation is ready and selects it. With no operations, it waits for
    /// ever, as crossbeam-channel's does.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::{Select, unbounded};
    ///
    /// let (tx, rx) = unbounded();
    /// greenthread::spawn(move || tx.send(3).unwrap());
    /// let mut sel = Select::new();
    /// sel.recv(&rx);
    /// let oper = sel.select(); // parks until the spawned thread sends
    /// assert_eq!(oper.recv(&rx), Ok(3));
    /// ```
    pub fn select(&mut self) -> SelectedOperation<'a> {
        loop {
            if let Some(oper) = self.run(true, None) {
                return oper;
            }
        }
    }

    /// Selects an operation that is ready right now.
    ///
    /// # Errors
    ///
    /// [`TrySelectError`] if none is.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::{Select, unbounded};
    ///
    /// let (tx, rx) = unbounded();
    /// let mut sel = Select::new();
    /// sel.recv(&rx);
    /// assert!(sel.try_select().is_err());
    /// tx.send(1).unwrap();
    /// assert_eq!(sel.try_select().unwrap().recv(&rx), Ok(1));
    /// ```
    pub fn try_select(&mut self) -> Result<SelectedOperation<'a>, TrySelectError> {
        self.run(false, None).ok_or(TrySelectError)
    }

    /// Like [`select`](Self::select), giving up after `timeout`.
    ///
    /// # Errors
    ///
    /// [`SelectTimeoutError`] if no operation became ready in time.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenthread::channel::{Select, unbounded};
    ///
    /// let (tx, rx) = unbounded();
    /// let mut sel = Select::new();
    /// sel.recv(&rx);
    /// assert!(sel.select_timeout(Duration::from_millis(5)).is_err());
    /// tx.send(1).unwrap();
    /// let oper = sel.select_timeout(Duration::from_secs(5)).unwrap();
    /// assert_eq!(oper.recv(&rx), Ok(1));
    /// ```
    pub fn select_timeout(
        &mut self,
        timeout: Duration,
    ) -> Result<SelectedOperation<'a>, SelectTimeoutError> {
        match Instant::now().checked_add(timeout) {
            Some(d) => self.select_deadline(d),
            None => Ok(self.select()),
        }
    }

    /// Like [`select`](Self::select), giving up at `deadline`.
    ///
    /// # Errors
    ///
    /// [`SelectTimeoutError`] if no operation became ready in time.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use greenthread::channel::{Select, unbounded};
    ///
    /// let (_tx, rx) = unbounded::<i32>();
    /// let mut sel = Select::new();
    /// sel.recv(&rx);
    /// let deadline = Instant::now() + Duration::from_millis(5);
    /// assert!(sel.select_deadline(deadline).is_err());
    /// assert!(Instant::now() >= deadline);
    /// ```
    pub fn select_deadline(
        &mut self,
        deadline: Instant,
    ) -> Result<SelectedOperation<'a>, SelectTimeoutError> {
        self.run(true, Some(deadline)).ok_or(SelectTimeoutError)
    }

    /// Returns the index of an operation that is ready right now, without completing it
    /// (it may no longer be ready when the caller gets to it: another thread may take it
    /// first, so complete it with a non-blocking call and be ready to look again).
    ///
    /// # Errors
    ///
    /// [`TryReadyError`] if none is.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::{Select, unbounded};
    ///
    /// let (tx, rx) = unbounded();
    /// let mut sel = Select::new();
    /// let op = sel.recv(&rx);
    /// assert!(sel.try_ready().is_err());
    /// tx.send(1).unwrap();
    /// assert_eq!(sel.try_ready(), Ok(op));
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn try_ready(&mut self) -> Result<usize, TryReadyError> {
        self.run_ready(false, None).ok_or(TryReadyError)
    }

    /// Waits until an operation is ready and returns its index, without completing it (see
    /// [`try_ready`](Self::try_ready)). With no operations, it waits for ever.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::{Select, bounded};
    ///
    /// let (tx, rx) = bounded(0);
    /// let h = greenthread::spawn(move || tx.send("hi").unwrap());
    /// let mut sel = Select::new();
    /// let op = sel.recv(&rx);
    /// assert_eq!(sel.ready(), op); // the sender waits now
    /// assert_eq!(rx.recv(), Ok("hi"));
    /// h.join().unwrap();
    /// ```
    pub fn ready(&mut self) -> usize {
        loop {
            if let Some(i) = self.run_ready(true, None) {
                return i;
            }
        }
    }

    /// Like [`ready`](Self::ready), giving up after `timeout`.
    ///
    /// # Errors
    ///
    /// [`ReadyTimeoutError`] if no operation became ready in time.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenthread::channel::{Select, unbounded};
    ///
    /// let (tx, rx) = unbounded();
    /// let mut sel = Select::new();
    /// let op = sel.recv(&rx);
    /// assert!(sel.ready_timeout(Duration::from_millis(5)).is_err());
    /// tx.send(1).unwrap();
    /// assert_eq!(sel.ready_timeout(Duration::from_secs(5)), Ok(op));
    /// ```
    pub fn ready_timeout(&mut self, timeout: Duration) -> Result<usize, ReadyTimeoutError> {
        match Instant::now().checked_add(timeout) {
            Some(d) => self.ready_deadline(d),
            None => Ok(self.ready()),
        }
    }

    /// Like [`ready`](Self::ready), giving up at `deadline`.
    ///
    /// # Errors
    ///
    /// [`ReadyTimeoutError`] if no operation became ready in time.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use greenthread::channel::{Select, unbounded};
    ///
    /// let (_tx, rx) = unbounded::<i32>();
    /// let mut sel = Select::new();
    /// sel.recv(&rx);
    /// let deadline = Instant::now() + Duration::from_millis(5);
    /// assert!(sel.ready_deadline(deadline).is_err());
    /// assert!(Instant::now() >= deadline);
    /// ```
    pub fn ready_deadline(&mut self, deadline: Instant) -> Result<usize, ReadyTimeoutError> {
        self.run_ready(true, Some(deadline))
            .ok_or(ReadyTimeoutError)
    }

    fn selected(
        &self,
        handle: &'a dyn SelectHandle,
        index: usize,
        token: Token,
        waiter: Option<Arc<Waiter>>,
    ) -> SelectedOperation<'a> {
        SelectedOperation {
            index,
            addr: handle.addr(),
            handle,
            token: Some(token),
            waiter,
            _not_send: PhantomData,
        }
    }

    /// The operation with index `index`.
    fn handle(&self, index: usize) -> &'a dyn SelectHandle {
        let &(h, _) = self
            .handles
            .iter()
            .find(|&&(_, i)| i == index)
            .expect("a chosen operation is one of ours");
        h
    }

    /// A new round's order: shuffled, unless biased.
    fn shuffle(&mut self, key: u64) {
        if !self.biased {
            shuffle(&mut self.handles, key);
        }
    }

    /// Selects: tries every operation; if `block`, waits (until `deadline`) for one to
    /// complete or become ready, and tries again.
    fn run(&mut self, block: bool, deadline: Option<Instant>) -> Option<SelectedOperation<'a>> {
        loop {
            // (1) Try every operation, in this round's order.
            let key = next_key();
            self.shuffle(key);
            for &(h, i) in &self.handles {
                match h.try_select(key) {
                    // The message comes to the waiter the receive made.
                    Some(Token::RecvFromSelect(w)) => {
                        let id = w.id;
                        return Some(self.selected(h, i, Token::Recv(id), Some(w)));
                    }
                    Some(token) => return Some(self.selected(h, i, token, None)),
                    None => {}
                }
            }
            if !block || deadline.is_some_and(|d| Instant::now() >= d) {
                return None;
            }
            // (2) and (3): queue on all, re-check, wait.
            if let Some((i, waiter)) = self.wait_round(deadline) {
                let h = self.handle(i);
                let token = h.chosen(&waiter);
                return Some(self.selected(h, i, token, Some(waiter)));
            }
        }
    }

    /// Looks for a ready operation: as [`Select::run`], but only looks.
    fn run_ready(&mut self, block: bool, deadline: Option<Instant>) -> Option<usize> {
        loop {
            self.shuffle(next_key());
            // No waiter of ours is queued: no id to leave out.
            if let Some(&(_, i)) = self.handles.iter().find(|(h, _)| h.is_ready(0)) {
                return Some(i);
            }
            if !block || deadline.is_some_and(|d| Instant::now() >= d) {
                return None;
            }
            if let Some((i, waiter)) = self.wait_round(deadline) {
                // A sender chose one of our receives: the message goes back, first in line,
                // for the caller to take. (A receive chose one of our sends: it is told to
                // look again.)
                let h = self.handle(i);
                h.release(h.chosen(&waiter), Some(&waiter));
                return Some(i);
            }
        }
    }

    /// Queues one waiter on every operation, re-checks readiness, and waits (until the
    /// earliest of `deadline` and the operations' own deadlines). `Some` with the index of
    /// the receive a sender chose the waiter for; `None` to look again.
    fn wait_round(&self, deadline: Option<Instant>) -> Option<(usize, Arc<Waiter>)> {
        let waiter = Arc::new(Waiter::keyed());
        for &(h, i) in &self.handles {
            h.register(&waiter, i);
        }
        let registered = Registered {
            handles: &self.handles,
            waiter: &waiter,
        };
        if self.handles.iter().any(|(h, _)| h.is_ready(waiter.id)) {
            let _ = waiter.abort();
        }
        let wake_at = self
            .handles
            .iter()
            .filter_map(|(h, _)| h.deadline())
            .chain(deadline)
            .min();
        let outcome = wait_once(&waiter, WaitReason::Select, wake_at);
        std::mem::forget(registered);
        unregister_all(&self.handles, &waiter);
        outcome.ok().map(|v| (v - CHOSEN, waiter))
    }
}

/// Shuffles `handles` (Fisher-Yates) with a xorshift generator seeded from `seed`.
fn shuffle<H>(handles: &mut [H], seed: u64) {
    if handles.len() < 2 {
        return;
    }
    // splitmix64's finaliser turns consecutive seeds into unrelated states (never 0).
    let mut x = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    x |= 1;
    for i in (1..handles.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // Multiply-shift: a near-uniform index in 0..=i without a division.
        let j = ((u128::from(x) * (i as u128 + 1)) >> 64) as usize;
        handles.swap(i, j);
    }
}

/// Gives up a round's waiter and takes it off every operation. Returns the value it was
/// chosen with, if a sender chose it first.
fn unregister_all(handles: &[(&dyn SelectHandle, usize)], waiter: &Waiter) -> Option<usize> {
    let chosen = match waiter.abort() {
        Err(v) if v >= CHOSEN => Some(v),
        _ => None,
    };
    for (h, _) in handles {
        h.unregister(waiter.id);
    }
    chosen
}

/// Cleans up a round whose wait is unwound (cancelled, or at runtime shutdown): off every
/// operation; a receive it was chosen for meanwhile puts its message back in the channel, and
/// a send it was chosen for tells its receive to look again.
struct Registered<'s, 'a> {
    handles: &'s [(&'a dyn SelectHandle, usize)],
    waiter: &'s Arc<Waiter>,
}

impl Drop for Registered<'_, '_> {
    fn drop(&mut self) {
        if let Some(v) = unregister_all(self.handles, self.waiter) {
            if let Some((h, _)) = self.handles.iter().find(|&&(_, i)| i == v - CHOSEN) {
                h.release(h.chosen(self.waiter), Some(self.waiter));
            }
        }
    }
}

// SAFETY: a `Select` holds shared references to channel ends of any message type `T`, and
// `&Receiver<T>` is `Send` only when `T: Send`; what another thread can do with them through
// a `Select` is still sound for every `T`, because:
// [1] all of `Select`'s methods that reach the channels take `&mut self`, so a shared
//     `&Select` (`Sync`) only clones the references or prints a count;
// [2] the `SelectHandle` methods it calls (`try_select`, `register`, `is_ready`,
//     `unregister`, `release`, `deadline`) only move messages between the channel's own
//     places (its buffer, blocked senders' entries, the stash, a waiter's mailbox), under
//     the channel's lock or with the slot's atomics: they never drop a message, hand one to
//     the caller, or call a method of `T` (a select's own queue entries hold no message, so
//     removing them drops none), and moving a value's bytes is not using it;
// [3] a message reaches user code only through `SelectedOperation::recv(&Receiver<T>)`,
//     which needs the receiver itself on the calling thread (where `T: Send` is what lets a
//     thread hold it), and `SelectedOperation` is `!Send`.
// crossbeam-channel's `Select` is `Send + Sync` on the same grounds.
#[allow(unsafe_code)]
unsafe impl Send for Select<'_> {}
// SAFETY: as for `Send` just above ([1]: nothing reaches a channel through `&Select`).
#[allow(unsafe_code)]
unsafe impl Sync for Select<'_> {}

impl Default for Select<'_> {
    fn default() -> Self {
        Select::new()
    }
}

impl fmt::Debug for Select<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Select")
            .field("operations", &self.handles.len())
            .finish()
    }
}

impl SelectedOperation<'_> {
    /// The index of the selected operation (as returned by `Select::recv`/`send`).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::{Select, unbounded};
    ///
    /// let (_tx1, rx1) = unbounded::<i32>();
    /// let (tx2, rx2) = unbounded();
    /// tx2.send(2).unwrap();
    /// let mut sel = Select::new();
    /// let _op1 = sel.recv(&rx1);
    /// let op2 = sel.recv(&rx2);
    /// let oper = sel.try_select().unwrap();
    /// assert_eq!(oper.index(), op2); // only `rx2` has a message
    /// assert_eq!(oper.recv(&rx2), Ok(2));
    /// ```
    pub fn index(&self) -> usize {
        self.index
    }

    /// Completes the selected receive.
    ///
    /// # Panics
    ///
    /// If `r` is not the receiver of the selected operation.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::{RecvError, Select, unbounded};
    ///
    /// let (tx, rx) = unbounded::<i32>();
    /// drop(tx);
    /// let mut sel = Select::new();
    /// sel.recv(&rx);
    /// let oper = sel.try_select().unwrap(); // a disconnected receive is ready
    /// assert_eq!(oper.recv(&rx), Err(RecvError));
    /// ```
    pub fn recv<T>(mut self, r: &Receiver<T>) -> Result<T, RecvError> {
        assert_eq!(
            self.addr,
            r.addr(),
            "passed a receiver that wasn't selected"
        );
        // The token stays in `self` until the message is taken: if the wait for a reserved
        // message unwinds (cancelled), dropping `self` puts the message back.
        match self.token {
            Some(Token::Recv(key)) => {
                let chan = r.chan().expect("a channel's receive");
                let stashed = match &self.waiter {
                    Some(w) => chan.take_stash(w, true),
                    None => chan
                        .state
                        .lock()
                        .take_stash(key)
                        .expect("a tried receive stashes its message at once"),
                };
                self.token = None;
                match stashed {
                    Stashed::Msg(m) => Ok(m),
                    Stashed::Cancelled => r.recv(),
                }
            }
            Some(Token::RecvDisconnected) => {
                self.token = None;
                Err(RecvError)
            }
            Some(Token::Timer(at)) => {
                self.token = None;
                match &r.flavor {
                    Flavor::Timer(_, msg) => Ok(msg(at)),
                    _ => unreachable!("a timer's token comes from a timer"),
                }
            }
            _ => panic!("the selected operation is a send, not a receive"),
        }
    }

    /// Completes the selected send with `msg`.
    ///
    /// # Errors
    ///
    /// [`SendError`] with `msg` if every receiver is gone.
    ///
    /// # Panics
    ///
    /// If `s` is not the sender of the selected operation.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::{Select, SendError, unbounded};
    ///
    /// let (tx, rx) = unbounded();
    /// drop(rx);
    /// let mut sel = Select::new();
    /// sel.send(&tx);
    /// let oper = sel.try_select().unwrap(); // a disconnected send is ready
    /// assert_eq!(oper.send(&tx, "back"), Err(SendError("back")));
    /// ```
    pub fn send<T>(mut self, s: &Sender<T>, msg: T) -> Result<(), SendError<T>> {
        assert_eq!(
            self.addr,
            Arc::as_ptr(&s.chan) as *const () as usize,
            "passed a sender that wasn't selected"
        );
        let chan: &Chan<T> = &s.chan;
        match self.token.take() {
            Some(Token::SendTo(w, mailbox)) => {
                #[allow(unsafe_code)]
                // SAFETY: [1] `w` waits on this channel (address checked above) for this one
                // delivery: chosen by our `try_select` (`take_receiver`) or a receive that
                // chose us (`choose_select_sender`); [2] `mailbox` is true only for a plain
                // receive of a `T` that fits; [3] the token is consumed here, so nothing was
                // delivered for that choice yet.
                let () = unsafe { chan.deliver_reserved(&w, mailbox, msg) };
                Ok(())
            }
            Some(Token::SendSlot) => {
                let mut wakes = Wakes::default();
                let mut st = chan.state.lock();
                st.reserved -= 1;
                let r = st.try_send(&chan.slot, chan.cap, msg, &mut wakes);
                drop(st);
                wakes.wake();
                r.map_err(|e| SendError(e.into_inner()))
            }
            Some(Token::SendDisconnected) => Err(SendError(msg)),
            _ => panic!("the selected operation is a receive, not a send"),
        }
    }
}

impl Drop for SelectedOperation<'_> {
    fn drop(&mut self) {
        if let Some(token) = self.token.take() {
            self.handle.release(token, self.waiter.as_deref());
            if !crate::thread::panicking() {
                panic!("dropped `SelectedOperation` without completing the operation");
            }
        }
    }
}

impl fmt::Debug for SelectedOperation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SelectedOperation")
            .field("index", &self.index)
            .finish()
    }
}
