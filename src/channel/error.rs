//! The errors of channel operations, as in crossbeam-channel: every error of a send hands
//! the message back.

#![forbid(unsafe_code)]

use std::error::Error;
use std::fmt;

/// `send` failed because every receiver is gone; the message is handed back.
///
/// # Examples
///
/// ```
/// use greenthread::channel::{SendError, unbounded};
///
/// let (tx, rx) = unbounded();
/// drop(rx);
/// assert_eq!(tx.send("lost"), Err(SendError("lost")));
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct SendError<T>(pub T);

/// Why `try_send` failed; the message is handed back.
///
/// # Examples
///
/// ```
/// use greenthread::channel::{TrySendError, bounded};
///
/// let (tx, rx) = bounded(1);
/// tx.try_send(1).unwrap();
/// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
/// drop(rx);
/// assert_eq!(tx.try_send(3), Err(TrySendError::Disconnected(3)));
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum TrySendError<T> {
    /// The channel is full (or, for `bounded(0)`, no receiver is waiting).
    Full(T),
    /// Every receiver is gone.
    Disconnected(T),
}

/// Why `send_timeout` failed; the message is handed back.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenthread::channel::{SendTimeoutError, bounded};
///
/// let (tx, _rx) = bounded(0);
/// let err = tx.send_timeout('x', Duration::from_millis(5)).unwrap_err();
/// assert_eq!(err, SendTimeoutError::Timeout('x'));
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum SendTimeoutError<T> {
    /// The channel stayed full until the timeout.
    Timeout(T),
    /// Every receiver is gone.
    Disconnected(T),
}

/// `recv` failed because the channel is empty and every sender is gone.
///
/// # Examples
///
/// ```
/// use greenthread::channel::{RecvError, unbounded};
///
/// let (tx, rx) = unbounded();
/// tx.send(1).unwrap();
/// drop(tx);
/// assert_eq!(rx.recv(), Ok(1)); // what was sent is still received
/// assert_eq!(rx.recv(), Err(RecvError));
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub struct RecvError;

/// Why `try_recv` failed.
///
/// # Examples
///
/// ```
/// use greenthread::channel::{TryRecvError, unbounded};
///
/// let (tx, rx) = unbounded::<i32>();
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub enum TryRecvError {
    /// Nothing to receive right now.
    Empty,
    /// Empty, and every sender is gone.
    Disconnected,
}

/// Why `recv_timeout` failed.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenthread::channel::{RecvTimeoutError, unbounded};
///
/// let (_tx, rx) = unbounded::<i32>();
/// let err = rx.recv_timeout(Duration::from_millis(5)).unwrap_err();
/// assert_eq!(err, RecvTimeoutError::Timeout);
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub enum RecvTimeoutError {
    /// Nothing arrived before the timeout.
    Timeout,
    /// Empty, and every sender is gone.
    Disconnected,
}

/// [`Select::try_select`](super::Select::try_select) found no operation ready.
///
/// # Examples
///
/// ```
/// use greenthread::channel::{Select, TrySelectError, unbounded};
///
/// let (_tx, rx) = unbounded::<i32>();
/// let mut sel = Select::new();
/// sel.recv(&rx);
/// assert_eq!(sel.try_select().unwrap_err(), TrySelectError);
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub struct TrySelectError;

/// [`Select::select_timeout`](super::Select::select_timeout) timed out.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenthread::channel::{Select, SelectTimeoutError, unbounded};
///
/// let (_tx, rx) = unbounded::<i32>();
/// let mut sel = Select::new();
/// sel.recv(&rx);
/// let err = sel.select_timeout(Duration::from_millis(5)).unwrap_err();
/// assert_eq!(err, SelectTimeoutError);
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub struct SelectTimeoutError;

/// [`Select::try_ready`](super::Select::try_ready) found no operation ready.
///
/// # Examples
///
/// ```
/// use greenthread::channel::{Select, TryReadyError, unbounded};
///
/// let (_tx, rx) = unbounded::<i32>();
/// let mut sel = Select::new();
/// sel.recv(&rx);
/// assert_eq!(sel.try_ready(), Err(TryReadyError));
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub struct TryReadyError;

/// [`Select::ready_timeout`](super::Select::ready_timeout) timed out.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenthread::channel::{ReadyTimeoutError, Select, unbounded};
///
/// let (_tx, rx) = unbounded::<i32>();
/// let mut sel = Select::new();
/// sel.recv(&rx);
/// assert_eq!(sel.ready_timeout(Duration::from_millis(5)), Err(ReadyTimeoutError));
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub struct ReadyTimeoutError;

impl<T> SendError<T> {
    /// The message that could not be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::unbounded;
    ///
    /// let (tx, rx) = unbounded();
    /// drop(rx);
    /// let err = tx.send(String::from("hello")).unwrap_err();
    /// assert_eq!(err.into_inner(), "hello");
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> TrySendError<T> {
    /// The message that could not be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::bounded;
    ///
    /// let (tx, _rx) = bounded(0); // no receiver waiting: `try_send` finds it full
    /// let err = tx.try_send(vec![1, 2]).unwrap_err();
    /// assert_eq!(err.into_inner(), [1, 2]);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(v) | TrySendError::Disconnected(v) => v,
        }
    }

    /// Whether the send failed because the channel was full.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::bounded;
    ///
    /// let (tx, _rx) = bounded(1);
    /// tx.send(1).unwrap();
    /// let err = tx.try_send(2).unwrap_err();
    /// assert!(err.is_full() && !err.is_disconnected());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, TrySendError::Full(_))
    }

    /// Whether the send failed because every receiver is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::bounded;
    ///
    /// let (tx, rx) = bounded(1);
    /// drop(rx);
    /// let err = tx.try_send(1).unwrap_err();
    /// assert!(err.is_disconnected() && !err.is_full());
    /// ```
    pub fn is_disconnected(&self) -> bool {
        matches!(self, TrySendError::Disconnected(_))
    }
}

impl<T> SendTimeoutError<T> {
    /// The message that could not be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenthread::channel::bounded;
    ///
    /// let (tx, _rx) = bounded(0);
    /// let err = tx.send_timeout(42, Duration::from_millis(5)).unwrap_err();
    /// assert_eq!(err.into_inner(), 42);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            SendTimeoutError::Timeout(v) | SendTimeoutError::Disconnected(v) => v,
        }
    }

    /// Whether the send timed out.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenthread::channel::bounded;
    ///
    /// let (tx, _rx) = bounded(0);
    /// let err = tx.send_timeout(1, Duration::from_millis(5)).unwrap_err();
    /// assert!(err.is_timeout() && !err.is_disconnected());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, SendTimeoutError::Timeout(_))
    }

    /// Whether the send failed because every receiver is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenthread::channel::bounded;
    ///
    /// let (tx, rx) = bounded(0);
    /// drop(rx);
    /// let err = tx.send_timeout(1, Duration::from_secs(5)).unwrap_err();
    /// assert!(err.is_disconnected() && !err.is_timeout());
    /// ```
    pub fn is_disconnected(&self) -> bool {
        matches!(self, SendTimeoutError::Disconnected(_))
    }
}

impl TryRecvError {
    /// Whether nothing was there to receive.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::unbounded;
    ///
    /// let (_tx, rx) = unbounded::<i32>();
    /// let err = rx.try_recv().unwrap_err();
    /// assert!(err.is_empty() && !err.is_disconnected());
    /// ```
    pub fn is_empty(&self) -> bool {
        matches!(self, TryRecvError::Empty)
    }

    /// Whether every sender is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::channel::unbounded;
    ///
    /// let (tx, rx) = unbounded::<i32>();
    /// drop(tx);
    /// let err = rx.try_recv().unwrap_err();
    /// assert!(err.is_disconnected() && !err.is_empty());
    /// ```
    pub fn is_disconnected(&self) -> bool {
        matches!(self, TryRecvError::Disconnected)
    }
}

impl RecvTimeoutError {
    /// Whether the receive timed out.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenthread::channel::unbounded;
    ///
    /// let (_tx, rx) = unbounded::<i32>();
    /// let err = rx.recv_timeout(Duration::from_millis(5)).unwrap_err();
    /// assert!(err.is_timeout() && !err.is_disconnected());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, RecvTimeoutError::Timeout)
    }

    /// Whether every sender is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenthread::channel::unbounded;
    ///
    /// let (tx, rx) = unbounded::<i32>();
    /// drop(tx);
    /// let err = rx.recv_timeout(Duration::from_secs(5)).unwrap_err();
    /// assert!(err.is_disconnected() && !err.is_timeout());
    /// ```
    pub fn is_disconnected(&self) -> bool {
        matches!(self, RecvTimeoutError::Disconnected)
    }
}

impl<T> From<SendError<T>> for TrySendError<T> {
    fn from(e: SendError<T>) -> Self {
        TrySendError::Disconnected(e.0)
    }
}

impl<T> From<SendError<T>> for SendTimeoutError<T> {
    fn from(e: SendError<T>) -> Self {
        SendTimeoutError::Disconnected(e.0)
    }
}

impl From<RecvError> for TryRecvError {
    fn from(_: RecvError) -> Self {
        TryRecvError::Disconnected
    }
}

impl From<RecvError> for RecvTimeoutError {
    fn from(_: RecvError) -> Self {
        RecvTimeoutError::Disconnected
    }
}

// Debug without `T: Debug`, like std and crossbeam: the message is elided.
impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError { .. }")
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Disconnected(_) => f.write_str("Disconnected(..)"),
        }
    }
}

impl<T> fmt::Debug for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendTimeoutError::Timeout(_) => f.write_str("Timeout(..)"),
            SendTimeoutError::Disconnected(_) => f.write_str("Disconnected(..)"),
        }
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sending on a disconnected channel")
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("sending on a full channel"),
            TrySendError::Disconnected(_) => f.write_str("sending on a disconnected channel"),
        }
    }
}

impl<T> fmt::Display for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendTimeoutError::Timeout(_) => f.write_str("timed out waiting on send operation"),
            SendTimeoutError::Disconnected(_) => f.write_str("sending on a disconnected channel"),
        }
    }
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("receiving on an empty and disconnected channel")
    }
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("receiving on an empty channel"),
            TryRecvError::Disconnected => {
                f.write_str("receiving on an empty and disconnected channel")
            }
        }
    }
}

impl fmt::Display for RecvTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvTimeoutError::Timeout => f.write_str("timed out waiting on receive operation"),
            RecvTimeoutError::Disconnected => {
                f.write_str("receiving on an empty and disconnected channel")
            }
        }
    }
}

impl fmt::Display for TrySelectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("all operations in select would block")
    }
}

impl fmt::Display for SelectTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("timed out waiting on select")
    }
}

impl fmt::Display for TryReadyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("all operations in select would block")
    }
}

impl fmt::Display for ReadyTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("timed out waiting on ready")
    }
}

impl<T> Error for SendError<T> {}
impl<T> Error for TrySendError<T> {}
impl<T> Error for SendTimeoutError<T> {}
impl Error for RecvError {}
impl Error for TryRecvError {}
impl Error for RecvTimeoutError {}
impl Error for TrySelectError {}
impl Error for SelectTimeoutError {}
impl Error for TryReadyError {}
impl Error for ReadyTimeoutError {}
