//! [`accept_backoff`]: what an accept loop should do after `accept` failed.
//!
//! `incoming()` yields every error of `accept`, as std's does, and a loop that goes straight
//! back to `accept` is right after some errors and wrong after others (the table is on
//! [`accept_backoff`]). Retrying at once after `EMFILE` turns the loop into a busy loop
//! (the listener stays readable, because the connection is still queued) that logs the
//! error hundreds of thousands of times a second and takes a core away from the connections
//! whose closing would end it. The pause is a second, as hyper's and axum's accept loops
//! use: long enough to cost nothing, short enough that serving resumes soon after
//! descriptors free up.

#![forbid(unsafe_code)]

use std::io;
use std::time::Duration;

/// How long an accept loop pauses after an error that a retry at once would only repeat.
const PAUSE: Duration = Duration::from_secs(1);

/// How long an accept loop should pause after `accept` failed with `err`, before it calls
/// `accept` again: `None` for an error of one connection, after which the next connection
/// may be fine; one second for running out of descriptors or kernel memory and for any
/// other error, which retrying at once would only repeat in a busy loop.
///
/// | error | cause | result |
/// | --- | --- | --- |
/// | `ECONNABORTED`, `ECONNRESET`, `ECONNREFUSED`, `EPROTO`, and the network errors Linux passes on from a pending connection (`ENETDOWN`, `ENOPROTOOPT`, `EHOSTDOWN`, `ENONET`, `EHOSTUNREACH`, `EOPNOTSUPP`, `ENETUNREACH`: `accept(2)` says to retry) | one connection went bad | `None` |
/// | `Interrupted`, `WouldBlock` | a signal; the caller's own timeout or non-blocking mode | `None` |
/// | `EMFILE`, `ENFILE` | out of descriptors (the process's or the system's): the connection stays queued, and every retry fails the same way until one is closed | one second |
/// | `ENOBUFS`, `ENOMEM` | out of kernel memory | one second |
/// | anything else | the listener itself is in trouble | one second |
///
/// [`TcpListener::incoming`](super::TcpListener::incoming) yields `accept`'s errors as
/// std's does; a server loop passes each to this function, logs it if it pauses, and sleeps
/// (with [`sleep`](crate::sleep), which parks only the accepting green thread, and is
/// std's sleep on an OS thread). It is only a classification, so it serves `std::net` and
/// Unix-socket listeners as well.
///
/// # Examples
///
/// An accept loop that survives running out of descriptors:
///
/// ```no_run
/// use greenthread::net::{TcpListener, accept_backoff};
///
/// let listener = TcpListener::bind("127.0.0.1:8080")?;
/// for stream in listener.incoming() {
///     match stream {
///         Ok(stream) => {
///             greenthread::spawn(move || drop(stream));
///         }
///         Err(e) => {
///             if let Some(pause) = accept_backoff(&e) {
///                 eprintln!("accept: {e} (pausing {pause:?})");
///                 greenthread::sleep(pause);
///             }
///         }
///     }
/// }
/// # std::io::Result::Ok(())
/// ```
///
/// The classification:
///
/// ```
/// use std::io::{Error, ErrorKind};
/// use std::time::Duration;
/// use greenthread::net::accept_backoff;
///
/// let emfile = Error::from_raw_os_error(libc::EMFILE);
/// assert_eq!(accept_backoff(&emfile), Some(Duration::from_secs(1)));
/// let aborted = Error::from(ErrorKind::ConnectionAborted);
/// assert_eq!(accept_backoff(&aborted), None);
/// ```
pub fn accept_backoff(err: &io::Error) -> Option<Duration> {
    if is_connection_error(err) {
        None
    } else {
        Some(PAUSE)
    }
}

/// Whether `err` belongs to one connection (or to the caller's own wait), so the next
/// `accept` may well succeed.
fn is_connection_error(err: &io::Error) -> bool {
    use io::ErrorKind::*;
    if matches!(
        err.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted | WouldBlock
    ) {
        return true;
    }
    // Linux passes a pending connection's network error on from accept(2), which says to
    // treat these like EAGAIN; EPROTO is a protocol error of that connection.
    matches!(
        err.raw_os_error(),
        Some(
            libc::EPROTO
                | libc::ENETDOWN
                | libc::ENOPROTOOPT
                | libc::EHOSTDOWN
                | libc::ENONET
                | libc::EHOSTUNREACH
                | libc::EOPNOTSUPP
                | libc::ENETUNREACH
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_resources_pauses_and_connection_errors_do_not() {
        for errno in [libc::EMFILE, libc::ENFILE, libc::ENOBUFS, libc::ENOMEM] {
            let e = io::Error::from_raw_os_error(errno);
            assert_eq!(accept_backoff(&e), Some(PAUSE), "{e}");
        }
        for errno in [
            libc::ECONNABORTED,
            libc::EINTR,
            libc::EPROTO,
            libc::ENETUNREACH,
        ] {
            let e = io::Error::from_raw_os_error(errno);
            assert_eq!(accept_backoff(&e), None, "{e}");
        }
        let e = io::Error::from_raw_os_error(libc::EBADF);
        assert_eq!(accept_backoff(&e), Some(PAUSE), "{e}");
    }
}
