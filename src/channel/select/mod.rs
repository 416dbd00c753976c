//! [`Select`]: wait on several channel operations at once and complete exactly one.
//!
//! A select runs in rounds. (1) It *tries* each operation, starting at a varying index so
//! none is favoured: a ready receive is performed at once (its message kept in the
//! channel's stash under the round's key), a ready send is *reserved* (a buffer slot, or a
//! blocked receiver chosen for it), so it cannot fail when [`SelectedOperation::send`]
//! completes it. (2) If none is ready it queues one shared [`Waiter`] on every operation,
//! re-checks readiness (aborting the round if anything became ready meanwhile), and waits.
//! (3) A sender that chooses the waiter for one receive completes that operation; the CAS on
//! the shared waiter means at most one can. Any other wake-up starts a new round.
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
use super::error::{RecvError, SelectTimeoutError, SendError, TrySelectError};
use super::settle::wait_once;
use super::{Receiver, Sender};
use crate::sync::waiter::{CHOSEN, Waiter};

mod handle;

use handle::next_key;
pub(crate) use handle::{SelectHandle, Token};

/// Waits on several send and receive operations at once, like crossbeam-channel's
/// `Select`; exactly one of them completes.
///
/// Add operations with [`recv`](Self::recv) and [`send`](Self::send) (each returns the
/// operation's index), then call [`select`](Self::select) (or `try_select`,
/// `select_timeout`). The returned [`SelectedOperation`] says which operation is ready and
/// must be completed with its `recv` or `send` method on the same handle. When several are
/// ready, one is picked at random. The [`select!`](crate::select) macro is the convenient
/// form.
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
pub struct Select<'a> {
    handles: Vec<&'a dyn SelectHandle>,
}

/// An operation a [`Select`] found ready; complete it with [`recv`](Self::recv) or
/// [`send`](Self::send).
///
/// # Panics
///
/// Dropping it without completing the operation panics (as in crossbeam-channel), after
/// giving back what it held (a received message goes back to the front of its channel).
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
        }
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
        self.handles.push(r);
        self.handles.len() - 1
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
        self.handles.push(s);
        self.handles.len() - 1
    }

    /// Waits until one operation is ready and selects it.
    ///
    /// # Panics
    ///
    /// If there are no operations (it would wait forever).
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
        assert!(
            !self.handles.is_empty(),
            "select with no operations would block forever"
        );
        self.run(true, None).expect("no deadline")
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

    fn selected(
        &self,
        index: usize,
        token: Token,
        waiter: Option<Arc<Waiter>>,
    ) -> SelectedOperation<'a> {
        let handle = self.handles[index];
        SelectedOperation {
            index,
            addr: handle.addr(),
            handle,
            token: Some(token),
            waiter,
            _not_send: PhantomData,
        }
    }

    fn run(&mut self, block: bool, deadline: Option<Instant>) -> Option<SelectedOperation<'a>> {
        let n = self.handles.len();
        loop {
            // (1) Try every operation, from a varying start.
            let key = next_key();
            if n > 0 {
                // Fibonacci hashing spreads consecutive keys over the operations.
                let start = ((key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) % n as u64) as usize;
                for j in 0..n {
                    let i = (start + j) % n;
                    if let Some(token) = self.handles[i].try_select(key) {
                        return Some(self.selected(i, token, None));
                    }
                }
            }
            if !block || deadline.is_some_and(|d| Instant::now() >= d) {
                return None;
            }
            // (2) Queue on all, re-check, wait.
            let waiter = Arc::new(Waiter::keyed());
            for (i, h) in self.handles.iter().enumerate() {
                h.register(&waiter, i);
            }
            let registered = Registered {
                handles: &self.handles,
                waiter: &waiter,
            };
            if self.handles.iter().any(|h| h.is_ready(waiter.id)) {
                let _ = waiter.abort();
            }
            let outcome = wait_once(&waiter, WaitReason::Select, deadline);
            std::mem::forget(registered);
            unregister_all(&self.handles, &waiter);
            // (3) Chosen: a sender completed (or reserved us for) one receive.
            if let Ok(v) = outcome {
                let i = v - CHOSEN;
                let id = waiter.id;
                return Some(self.selected(i, Token::Recv(id), Some(waiter)));
            }
        }
    }
}

/// Gives up a round's waiter and takes it off every operation. Returns the value it was
/// chosen with, if a sender chose it first.
fn unregister_all(handles: &[&dyn SelectHandle], waiter: &Waiter) -> Option<usize> {
    let chosen = match waiter.abort() {
        Err(v) if v >= CHOSEN => Some(v),
        _ => None,
    };
    for h in handles {
        h.unregister(waiter.id);
    }
    chosen
}

/// Cleans up a round whose wait is unwound (cancelled, or at runtime shutdown): off every
/// operation, and a receive it was chosen for meanwhile puts its message back in the channel
/// (only receives are ever chosen).
struct Registered<'s, 'a> {
    handles: &'s [&'a dyn SelectHandle],
    waiter: &'s Waiter,
}

impl Drop for Registered<'_, '_> {
    fn drop(&mut self) {
        if let Some(v) = unregister_all(self.handles, self.waiter) {
            let id = self.waiter.id;
            self.handles[v - CHOSEN].release(Token::Recv(id), Some(self.waiter));
        }
    }
}

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
            Arc::as_ptr(&r.chan) as *const () as usize,
            "passed a receiver that wasn't selected"
        );
        // The token stays in `self` until the message is taken: if the wait for a reserved
        // message unwinds (cancelled), dropping `self` puts the message back.
        match self.token {
            Some(Token::Recv(key)) => {
                let stashed = match &self.waiter {
                    Some(w) => r.chan.take_stash(w, true),
                    None => r
                        .chan
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
                // SAFETY: `try_select` of this channel (the address is checked above) chose
                // `w` with its `take_receiver`, recorded the entry's mailbox flag, and the
                // token is consumed here, so nothing was delivered for that choice yet.
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
            if !std::thread::panicking() {
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

/// Waits on several channel operations and runs the branch of the one that completes, with
/// crossbeam-channel's syntax.
///
/// ```text
/// select! {
///     recv(receiver) -> result => body,        // result: Result<T, RecvError>
///     send(sender, message) -> result => body, // result: Result<(), SendError<T>>
///     default => body,                         // optional: when nothing is ready now
///     default(timeout) => body,                // or: when nothing is ready in time
/// }
/// ```
///
/// Exactly one branch runs. `default` (if any) must be the last case. Each channel
/// expression is evaluated once.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenthread::channel::{bounded, select};
///
/// let rt = greenthread::Runtime::new()?;
/// let (tx, rx) = bounded::<&str>(0);
/// rt.spawn(move || tx.send("hello").unwrap());
/// let got = rt.block_on(|| {
///     select! {
///         recv(rx) -> msg => msg.unwrap(),
///         default(Duration::from_secs(5)) => "timed out",
///     }
/// });
/// assert_eq!(got, "hello");
/// # std::io::Result::Ok(())
/// ```
#[macro_export]
macro_rules! select {
    ($($cases:tt)*) => {{
        #[allow(unused_mut)]
        let mut __greenthread_sel = $crate::channel::Select::new();
        match $crate::__select_case!(__greenthread_sel; $($cases)*) {
            $crate::channel::__Dispatch::Done(value) => value,
            $crate::channel::__Dispatch::Pending(_) => {
                ::core::unreachable!("select!: an operation was selected that no case handles")
            }
        }
    }};
}

/// Implementation detail of [`select!`]: one level per case.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_case {
    // No cases left: block until one operation is ready.
    ($sel:ident;) => {
        $crate::channel::__Dispatch::Pending($sel.select())
    };
    ($sel:ident; default => $body:expr $(,)?) => {
        match $sel.try_select() {
            ::core::result::Result::Ok(oper) => $crate::channel::__Dispatch::Pending(oper),
            #[allow(unreachable_code)]
            ::core::result::Result::Err(_) => $crate::channel::__Dispatch::Done($body),
        }
    };
    ($sel:ident; default($timeout:expr) => $body:expr $(,)?) => {
        match $sel.select_timeout($timeout) {
            ::core::result::Result::Ok(oper) => $crate::channel::__Dispatch::Pending(oper),
            #[allow(unreachable_code)]
            ::core::result::Result::Err(_) => $crate::channel::__Dispatch::Done($body),
        }
    };
    ($sel:ident; recv($r:expr) -> $res:pat => $body:block, $($rest:tt)*) => {
        $crate::__select_case!(@recv $sel; ($r) ($res) ($body) $($rest)*)
    };
    ($sel:ident; recv($r:expr) -> $res:pat => $body:block $($rest:tt)*) => {
        $crate::__select_case!(@recv $sel; ($r) ($res) ($body) $($rest)*)
    };
    ($sel:ident; recv($r:expr) -> $res:pat => $body:expr, $($rest:tt)*) => {
        $crate::__select_case!(@recv $sel; ($r) ($res) ($body) $($rest)*)
    };
    ($sel:ident; recv($r:expr) -> $res:pat => $body:expr) => {
        $crate::__select_case!(@recv $sel; ($r) ($res) ($body))
    };
    ($sel:ident; send($s:expr, $m:expr) -> $res:pat => $body:block, $($rest:tt)*) => {
        $crate::__select_case!(@send $sel; ($s) ($m) ($res) ($body) $($rest)*)
    };
    ($sel:ident; send($s:expr, $m:expr) -> $res:pat => $body:block $($rest:tt)*) => {
        $crate::__select_case!(@send $sel; ($s) ($m) ($res) ($body) $($rest)*)
    };
    ($sel:ident; send($s:expr, $m:expr) -> $res:pat => $body:expr, $($rest:tt)*) => {
        $crate::__select_case!(@send $sel; ($s) ($m) ($res) ($body) $($rest)*)
    };
    ($sel:ident; send($s:expr, $m:expr) -> $res:pat => $body:expr) => {
        $crate::__select_case!(@send $sel; ($s) ($m) ($res) ($body))
    };
    (@recv $sel:ident; ($r:expr) ($res:pat) ($body:expr) $($rest:tt)*) => {{
        let __r = &$r;
        let __i = $sel.recv(__r);
        match $crate::__select_case!($sel; $($rest)*) {
            // A body that diverges (`unreachable!()`, `break`) must not warn in the caller.
            #[allow(unreachable_code)]
            $crate::channel::__Dispatch::Pending(oper) if oper.index() == __i => {
                let $res = oper.recv(__r);
                $crate::channel::__Dispatch::Done($body)
            }
            other => other,
        }
    }};
    (@send $sel:ident; ($s:expr) ($m:expr) ($res:pat) ($body:expr) $($rest:tt)*) => {{
        let __s = &$s;
        let __i = $sel.send(__s);
        match $crate::__select_case!($sel; $($rest)*) {
            // A body that diverges (`unreachable!()`, `break`) must not warn in the caller.
            #[allow(unreachable_code)]
            $crate::channel::__Dispatch::Pending(oper) if oper.index() == __i => {
                let $res = oper.send(__s, $m);
                $crate::channel::__Dispatch::Done($body)
            }
            other => other,
        }
    }};
}
