//! [`TcpListener`], [`TcpStream`] and [`Incoming`], with the API of `std::net`.

#![forbid(unsafe_code)]

use std::fmt;
use std::io;
use std::net;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, RawFd};

use crate::io::Async;

mod listener;
mod stream;

pub use listener::{Incoming, TcpListener};
pub use stream::TcpStream;

macro_rules! fd_traits {
    ($t:ty, $std:ty) => {
        impl AsFd for $t {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.inner.as_fd()
            }
        }

        impl AsRawFd for $t {
            fn as_raw_fd(&self) -> RawFd {
                self.inner.as_raw_fd()
            }
        }

        /// Deregisters the socket; the descriptor stays in non-blocking mode.
        impl IntoRawFd for $t {
            fn into_raw_fd(self) -> RawFd {
                self.inner.into_inner().into_raw_fd()
            }
        }

        /// Registers a std socket (switching it to non-blocking mode).
        impl TryFrom<$std> for $t {
            type Error = io::Error;
            fn try_from(s: $std) -> io::Result<$t> {
                Ok(Self {
                    inner: Async::new(s)?,
                })
            }
        }

        /// Deregisters the socket and switches it back to blocking mode, as std expects.
        impl TryFrom<$t> for $std {
            type Error = io::Error;
            fn try_from(s: $t) -> io::Result<$std> {
                let s = s.inner.into_inner();
                s.set_nonblocking(false)?;
                Ok(s)
            }
        }

        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.inner.get_ref().fmt(f)
            }
        }
    };
}
pub(crate) use fd_traits;

fd_traits!(TcpListener, net::TcpListener);
fd_traits!(TcpStream, net::TcpStream);
