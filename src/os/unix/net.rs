//! [`UnixListener`], [`UnixStream`] and [`UnixDatagram`], with the API of
//! `std::os::unix::net`; their blocking calls park only the calling green thread.

#![forbid(unsafe_code)]

use std::fmt;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, RawFd};
use std::os::unix::net::{self as unet, SocketAddr};
use std::path::Path;
use std::time::Duration;

use crate::io::Async;
use crate::net::fd_traits;
use crate::reactor::Dir;

/// A Unix domain socket server, like `std::os::unix::net::UnixListener`.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use greenthread::os::unix::net::{UnixListener, UnixStream};
///
/// let dir = std::env::temp_dir().join(format!("gt-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("sock");
/// let _ = std::fs::remove_file(&path);
/// let listener = UnixListener::bind(&path)?;
/// let server = greenthread::spawn(move || -> std::io::Result<()> {
///     let (mut s, _) = listener.accept()?;
///     s.write_all(b"hi")
/// });
/// let mut c = UnixStream::connect(&path)?;
/// let mut buf = String::new();
/// c.read_to_string(&mut buf)?;
/// assert_eq!(buf, "hi");
/// server.join().unwrap()?;
/// std::fs::remove_dir_all(&dir)?;
/// # std::io::Result::Ok(())
/// ```
pub struct UnixListener {
    inner: Async<unet::UnixListener>,
}

/// A Unix stream socket, like `std::os::unix::net::UnixStream`.
pub struct UnixStream {
    inner: Async<unet::UnixStream>,
}

/// A Unix datagram socket, like `std::os::unix::net::UnixDatagram`.
pub struct UnixDatagram {
    inner: Async<unet::UnixDatagram>,
}

/// An iterator over the connections of a [`UnixListener`]; it never returns `None`.
#[derive(Debug)]
pub struct Incoming<'a> {
    listener: &'a UnixListener,
}

impl UnixListener {
    /// Creates a listener bound to `path`.
    ///
    /// # Errors
    ///
    /// The OS error, e.g. `AddrInUse` if the path exists.
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        UnixListener::try_from(unet::UnixListener::bind(path)?)
    }

    /// Accepts a connection, parking until one arrives.
    ///
    /// # Errors
    ///
    /// The OS error (e.g. `EMFILE`); the listener stays usable.
    pub fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (s, addr) = self.inner.read_with(unet::UnixListener::accept)?;
        Ok((UnixStream::try_from(s)?, addr))
    }

    /// An iterator over incoming connections.
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// The OS error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// A new handle to the same socket.
    ///
    /// # Errors
    ///
    /// The OS error.
    pub fn try_clone(&self) -> io::Result<UnixListener> {
        UnixListener::try_from(self.inner.get_ref().try_clone()?)
    }

    /// Gets and clears `SO_ERROR`.
    ///
    /// # Errors
    ///
    /// The OS error.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.get_ref().take_error()
    }

    /// With `true`, `accept` returns `WouldBlock` instead of parking.
    ///
    /// # Errors
    ///
    /// Never, in this implementation.
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        self.inner.set_nonblocking(nonblocking);
        Ok(())
    }
}

impl<'a> Iterator for Incoming<'a> {
    type Item = io::Result<UnixStream>;
    fn next(&mut self) -> Option<io::Result<UnixStream>> {
        Some(self.listener.accept().map(|(s, _)| s))
    }
}

macro_rules! timeouts {
    () => {
        /// Sets the read timeout; `None` waits forever (the default).
        ///
        /// # Errors
        ///
        /// `InvalidInput` for `Some(Duration::ZERO)`, as std.
        pub fn set_read_timeout(&self, dur: Option<Duration>) -> io::Result<()> {
            self.inner.set_timeout(Dir::Read, dur)
        }

        /// Sets the write timeout; `None` waits forever (the default).
        ///
        /// # Errors
        ///
        /// `InvalidInput` for `Some(Duration::ZERO)`, as std.
        pub fn set_write_timeout(&self, dur: Option<Duration>) -> io::Result<()> {
            self.inner.set_timeout(Dir::Write, dur)
        }

        /// The read timeout.
        ///
        /// # Errors
        ///
        /// Never, in this implementation.
        pub fn read_timeout(&self) -> io::Result<Option<Duration>> {
            Ok(self.inner.timeout(Dir::Read))
        }

        /// The write timeout.
        ///
        /// # Errors
        ///
        /// Never, in this implementation.
        pub fn write_timeout(&self) -> io::Result<Option<Duration>> {
            Ok(self.inner.timeout(Dir::Write))
        }

        /// With `true`, calls return `WouldBlock` instead of parking.
        ///
        /// # Errors
        ///
        /// Never, in this implementation.
        pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
            self.inner.set_nonblocking(nonblocking);
            Ok(())
        }

        /// Gets and clears `SO_ERROR`.
        ///
        /// # Errors
        ///
        /// The OS error.
        pub fn take_error(&self) -> io::Result<Option<io::Error>> {
            self.inner.get_ref().take_error()
        }

        /// The local address.
        ///
        /// # Errors
        ///
        /// The OS error.
        pub fn local_addr(&self) -> io::Result<SocketAddr> {
            self.inner.get_ref().local_addr()
        }

        /// The peer's address.
        ///
        /// # Errors
        ///
        /// The OS error, e.g. `NotConnected`.
        pub fn peer_addr(&self) -> io::Result<SocketAddr> {
            self.inner.get_ref().peer_addr()
        }

        /// Shuts down the read half, the write half, or both.
        ///
        /// # Errors
        ///
        /// The OS error.
        pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
            self.inner.get_ref().shutdown(how)
        }

        /// A new handle to the same socket, with this one's timeouts.
        ///
        /// # Errors
        ///
        /// The OS error.
        pub fn try_clone(&self) -> io::Result<Self> {
            let s = Self::try_from(self.inner.get_ref().try_clone()?)?;
            for dir in [Dir::Read, Dir::Write] {
                s.inner.set_timeout(dir, self.inner.timeout(dir))?;
            }
            Ok(s)
        }
    };
}

impl UnixStream {
    /// Connects to the socket at `path`.
    ///
    /// The connect itself is std's: on a Unix socket it completes at once unless the
    /// listener's backlog is full, in which case it blocks the worker until there is room.
    ///
    /// # Errors
    ///
    /// The OS error, e.g. `NotFound` or `ConnectionRefused`.
    pub fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        UnixStream::try_from(unet::UnixStream::connect(path)?)
    }

    /// A connected pair of sockets.
    ///
    /// # Errors
    ///
    /// The OS error.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = unet::UnixStream::pair()?;
        Ok((UnixStream::try_from(a)?, UnixStream::try_from(b)?))
    }

    timeouts!();
}

impl Read for UnixStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&*self).read_vectored(bufs)
    }
}

/// A read into an empty buffer returns `Ok(0)` at once. (A blocking std socket would wait
/// for data first, then return 0; waiting for nothing is never what the caller wants.)
impl Read for &UnixStream {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        (&self.inner).read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        if bufs.iter().all(|b| b.is_empty()) {
            return Ok(0);
        }
        (&self.inner).read_vectored(bufs)
    }
}

impl Write for UnixStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Write for &UnixStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&self.inner).write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&self.inner).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl UnixDatagram {
    /// Creates a datagram socket bound to `path`.
    ///
    /// # Errors
    ///
    /// The OS error.
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixDatagram> {
        UnixDatagram::try_from(unet::UnixDatagram::bind(path)?)
    }

    /// Creates a datagram socket bound to no address.
    ///
    /// # Errors
    ///
    /// The OS error.
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::try_from(unet::UnixDatagram::unbound()?)
    }

    /// A connected pair of datagram sockets.
    ///
    /// # Errors
    ///
    /// The OS error.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::os::unix::net::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// a.send(b"one")?;
    /// let mut buf = [0; 8];
    /// assert_eq!(b.recv(&mut buf)?, 3);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = unet::UnixDatagram::pair()?;
        Ok((UnixDatagram::try_from(a)?, UnixDatagram::try_from(b)?))
    }

    /// Connects the socket to `path`: the default destination and the only accepted source.
    ///
    /// # Errors
    ///
    /// The OS error.
    pub fn connect<P: AsRef<Path>>(&self, path: P) -> io::Result<()> {
        self.inner.get_ref().connect(path)
    }

    /// Sends a datagram to `path`, parking while the receiver's queue is full.
    ///
    /// # Errors
    ///
    /// The OS error.
    pub fn send_to<P: AsRef<Path>>(&self, buf: &[u8], path: P) -> io::Result<usize> {
        let path = path.as_ref();
        self.inner.write_with(|s| s.send_to(buf, path))
    }

    /// Receives a datagram and its sender's address, parking until one arrives.
    ///
    /// # Errors
    ///
    /// The OS error; `WouldBlock` when the read timeout expires.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.read_with(|s| s.recv_from(buf))
    }

    /// Sends a datagram to the connected peer.
    ///
    /// # Errors
    ///
    /// The OS error.
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write_with(|s| s.send(buf))
    }

    /// Receives a datagram from the connected peer, parking until one arrives.
    ///
    /// # Errors
    ///
    /// The OS error; `WouldBlock` when the read timeout expires.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read_with(|s| s.recv(buf))
    }

    timeouts!();
}

fd_traits!(UnixListener, unet::UnixListener);
fd_traits!(UnixStream, unet::UnixStream);
fd_traits!(UnixDatagram, unet::UnixDatagram);
