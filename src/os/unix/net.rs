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
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use greenthread::os::unix::net::UnixStream;
///
/// let (mut a, mut b) = UnixStream::pair()?;
/// a.write_all(b"ping")?;
/// let mut buf = [0; 4];
/// b.read_exact(&mut buf)?;
/// assert_eq!(&buf, b"ping");
/// # std::io::Result::Ok(())
/// ```
pub struct UnixStream {
    inner: Async<unet::UnixStream>,
}

/// A Unix datagram socket, like `std::os::unix::net::UnixDatagram`.
///
/// # Examples
///
/// ```
/// use greenthread::os::unix::net::UnixDatagram;
///
/// let (a, b) = UnixDatagram::pair()?;
/// a.send(b"one")?;
/// a.send(b"two")?;
/// let mut buf = [0; 8];
/// let n = b.recv(&mut buf)?;
/// assert_eq!(&buf[..n], b"one"); // message boundaries are kept
/// let n = b.recv(&mut buf)?;
/// assert_eq!(&buf[..n], b"two");
/// # std::io::Result::Ok(())
/// ```
pub struct UnixDatagram {
    inner: Async<unet::UnixDatagram>,
}

/// An iterator over the connections of a [`UnixListener`]; it never returns `None`.
///
/// # Examples
///
/// ```
/// use greenthread::os::unix::net::{UnixListener, UnixStream};
///
/// let dir = std::env::temp_dir().join(format!("gt-doc-incoming-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let listener = UnixListener::bind(dir.join("sock"))?;
/// let _client = UnixStream::connect(dir.join("sock"))?;
/// for stream in listener.incoming().take(1) {
///     assert!(stream?.peer_addr()?.is_unnamed());
/// }
/// std::fs::remove_dir_all(&dir)?;
/// # std::io::Result::Ok(())
/// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::os::unix::net::UnixListener;
    ///
    /// let dir = std::env::temp_dir().join(format!("gt-doc-bind-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let listener = UnixListener::bind(dir.join("sock"))?;
    /// assert!(UnixListener::bind(dir.join("sock")).is_err()); // the path is taken
    /// drop(listener);
    /// std::fs::remove_dir_all(&dir)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        UnixListener::try_from(unet::UnixListener::bind(path)?)
    }

    /// Accepts a connection, parking until one arrives.
    ///
    /// # Errors
    ///
    /// The OS error (e.g. `EMFILE`); the listener stays usable.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use greenthread::os::unix::net::{UnixListener, UnixStream};
    ///
    /// let dir = std::env::temp_dir().join(format!("gt-doc-accept-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let listener = UnixListener::bind(dir.join("sock"))?;
    /// let mut client = UnixStream::connect(dir.join("sock"))?;
    /// let (mut server, _addr) = listener.accept()?;
    /// client.write_all(b"hi")?;
    /// let mut buf = [0; 2];
    /// server.read_exact(&mut buf)?;
    /// assert_eq!(&buf, b"hi");
    /// std::fs::remove_dir_all(&dir)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (s, addr) = self.inner.read_with(unet::UnixListener::accept)?;
        Ok((UnixStream::try_from(s)?, addr))
    }

    /// An iterator over incoming connections.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::os::unix::net::{UnixListener, UnixStream};
    ///
    /// let dir = std::env::temp_dir().join(format!("gt-doc-incoming2-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let listener = UnixListener::bind(dir.join("sock"))?;
    /// let _c = UnixStream::connect(dir.join("sock"))?;
    /// let stream = listener.incoming().next().unwrap()?;
    /// assert!(stream.peer_addr()?.is_unnamed()); // the client did not bind
    /// std::fs::remove_dir_all(&dir)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// The OS error.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::os::unix::net::UnixListener;
    ///
    /// let dir = std::env::temp_dir().join(format!("gt-doc-laddr-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("sock");
    /// let listener = UnixListener::bind(&path)?;
    /// assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
    /// std::fs::remove_dir_all(&dir)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// A new handle to the same socket.
    ///
    /// # Errors
    ///
    /// The OS error.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::os::unix::net::{UnixListener, UnixStream};
    ///
    /// let dir = std::env::temp_dir().join(format!("gt-doc-lclone-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let listener = UnixListener::bind(dir.join("sock"))?;
    /// let clone = listener.try_clone()?;
    /// let _c = UnixStream::connect(dir.join("sock"))?;
    /// assert!(clone.accept().is_ok()); // the same socket
    /// std::fs::remove_dir_all(&dir)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_clone(&self) -> io::Result<UnixListener> {
        UnixListener::try_from(self.inner.get_ref().try_clone()?)
    }

    /// Gets and clears `SO_ERROR`.
    ///
    /// # Errors
    ///
    /// The OS error.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::os::unix::net::UnixListener;
    ///
    /// let dir = std::env::temp_dir().join(format!("gt-doc-lerr-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let listener = UnixListener::bind(dir.join("sock"))?;
    /// assert!(listener.take_error()?.is_none());
    /// std::fs::remove_dir_all(&dir)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.get_ref().take_error()
    }

    /// With `true`, `accept` returns `WouldBlock` instead of parking.
    ///
    /// # Errors
    ///
    /// Never, in this implementation.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use greenthread::os::unix::net::UnixListener;
    ///
    /// let dir = std::env::temp_dir().join(format!("gt-doc-lnb-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let listener = UnixListener::bind(dir.join("sock"))?;
    /// listener.set_nonblocking(true)?;
    /// assert_eq!(listener.accept().unwrap_err().kind(), ErrorKind::WouldBlock);
    /// std::fs::remove_dir_all(&dir)?;
    /// # std::io::Result::Ok(())
    /// ```
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
        ///
        /// # Examples
        ///
        /// ```
        /// use std::io::{ErrorKind, Read};
        /// use std::time::Duration;
        /// use greenthread::os::unix::net::UnixStream;
        ///
        /// let (mut a, _b) = UnixStream::pair()?;
        /// a.set_read_timeout(Some(Duration::from_millis(5)))?;
        /// let err = a.read(&mut [0; 1]).unwrap_err(); // nothing arrives in time
        /// assert!(matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut));
        /// assert!(a.set_read_timeout(Some(Duration::ZERO)).is_err());
        /// # std::io::Result::Ok(())
        /// ```
        pub fn set_read_timeout(&self, dur: Option<Duration>) -> io::Result<()> {
            self.inner.set_timeout(Dir::Read, dur)
        }

        /// Sets the write timeout; `None` waits forever (the default).
        ///
        /// # Errors
        ///
        /// `InvalidInput` for `Some(Duration::ZERO)`, as std.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::time::Duration;
        /// use greenthread::os::unix::net::UnixStream;
        ///
        /// let (a, _b) = UnixStream::pair()?;
        /// a.set_write_timeout(Some(Duration::from_secs(1)))?;
        /// assert_eq!(a.write_timeout()?, Some(Duration::from_secs(1)));
        /// assert!(a.set_write_timeout(Some(Duration::ZERO)).is_err());
        /// # std::io::Result::Ok(())
        /// ```
        pub fn set_write_timeout(&self, dur: Option<Duration>) -> io::Result<()> {
            self.inner.set_timeout(Dir::Write, dur)
        }

        /// The read timeout.
        ///
        /// # Errors
        ///
        /// Never, in this implementation.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::time::Duration;
        /// use greenthread::os::unix::net::UnixStream;
        ///
        /// let (a, _b) = UnixStream::pair()?;
        /// assert_eq!(a.read_timeout()?, None);
        /// a.set_read_timeout(Some(Duration::from_millis(250)))?;
        /// assert_eq!(a.read_timeout()?, Some(Duration::from_millis(250)));
        /// # std::io::Result::Ok(())
        /// ```
        pub fn read_timeout(&self) -> io::Result<Option<Duration>> {
            Ok(self.inner.timeout(Dir::Read))
        }

        /// The write timeout.
        ///
        /// # Errors
        ///
        /// Never, in this implementation.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::time::Duration;
        /// use greenthread::os::unix::net::UnixStream;
        ///
        /// let (a, _b) = UnixStream::pair()?;
        /// assert_eq!(a.write_timeout()?, None);
        /// a.set_write_timeout(Some(Duration::from_millis(250)))?;
        /// assert_eq!(a.write_timeout()?, Some(Duration::from_millis(250)));
        /// # std::io::Result::Ok(())
        /// ```
        pub fn write_timeout(&self) -> io::Result<Option<Duration>> {
            Ok(self.inner.timeout(Dir::Write))
        }

        /// With `true`, calls return `WouldBlock` instead of parking.
        ///
        /// # Errors
        ///
        /// Never, in this implementation.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::io::{ErrorKind, Read};
        /// use greenthread::os::unix::net::UnixStream;
        ///
        /// let (mut a, _b) = UnixStream::pair()?;
        /// a.set_nonblocking(true)?;
        /// let err = a.read(&mut [0; 1]).unwrap_err();
        /// assert_eq!(err.kind(), ErrorKind::WouldBlock);
        /// # std::io::Result::Ok(())
        /// ```
        pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
            self.inner.set_nonblocking(nonblocking);
            Ok(())
        }

        /// Gets and clears `SO_ERROR`.
        ///
        /// # Errors
        ///
        /// The OS error.
        ///
        /// # Examples
        ///
        /// ```
        /// use greenthread::os::unix::net::UnixStream;
        ///
        /// let (a, _b) = UnixStream::pair()?;
        /// assert!(a.take_error()?.is_none());
        /// # std::io::Result::Ok(())
        /// ```
        pub fn take_error(&self) -> io::Result<Option<io::Error>> {
            self.inner.get_ref().take_error()
        }

        /// The local address.
        ///
        /// # Errors
        ///
        /// The OS error.
        ///
        /// # Examples
        ///
        /// ```
        /// use greenthread::os::unix::net::UnixStream;
        ///
        /// let (a, _b) = UnixStream::pair()?;
        /// assert!(a.local_addr()?.is_unnamed()); // a pair is bound to no path
        /// # std::io::Result::Ok(())
        /// ```
        pub fn local_addr(&self) -> io::Result<SocketAddr> {
            self.inner.get_ref().local_addr()
        }

        /// The peer's address.
        ///
        /// # Errors
        ///
        /// The OS error, e.g. `NotConnected`.
        ///
        /// # Examples
        ///
        /// ```
        /// use greenthread::os::unix::net::UnixStream;
        ///
        /// let (a, _b) = UnixStream::pair()?;
        /// assert!(a.peer_addr()?.as_pathname().is_none());
        /// # std::io::Result::Ok(())
        /// ```
        pub fn peer_addr(&self) -> io::Result<SocketAddr> {
            self.inner.get_ref().peer_addr()
        }

        /// Shuts down the read half, the write half, or both.
        ///
        /// # Errors
        ///
        /// The OS error.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::io::{Read, Write};
        /// use std::net::Shutdown;
        /// use greenthread::os::unix::net::UnixStream;
        ///
        /// let (mut a, mut b) = UnixStream::pair()?;
        /// a.write_all(b"bye")?;
        /// a.shutdown(Shutdown::Write)?;
        /// let mut got = Vec::new();
        /// b.read_to_end(&mut got)?; // ends: the peer shut down its write half
        /// assert_eq!(got, b"bye");
        /// # std::io::Result::Ok(())
        /// ```
        pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
            self.inner.get_ref().shutdown(how)
        }

        /// A new handle to the same socket, with this one's timeouts.
        ///
        /// # Errors
        ///
        /// The OS error.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::io::{Read, Write};
        /// use greenthread::os::unix::net::UnixStream;
        ///
        /// let (a, mut b) = UnixStream::pair()?;
        /// let mut a2 = a.try_clone()?;
        /// a2.write_all(b"x")?;
        /// let mut buf = [0; 1];
        /// b.read_exact(&mut buf)?;
        /// assert_eq!(&buf, b"x");
        /// # std::io::Result::Ok(())
        /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::os::unix::net::{UnixListener, UnixStream};
    ///
    /// let dir = std::env::temp_dir().join(format!("gt-doc-connect-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("sock");
    /// assert!(UnixStream::connect(&path).is_err()); // nothing there yet
    /// let _listener = UnixListener::bind(&path)?;
    /// let stream = UnixStream::connect(&path)?;
    /// assert_eq!(stream.peer_addr()?.as_pathname(), Some(path.as_path()));
    /// std::fs::remove_dir_all(&dir)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        UnixStream::try_from(unet::UnixStream::connect(path)?)
    }

    /// A connected pair of sockets.
    ///
    /// # Errors
    ///
    /// The OS error.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use greenthread::os::unix::net::UnixStream;
    ///
    /// let (mut a, mut b) = UnixStream::pair()?;
    /// b.write_all(b"ok")?;
    /// let mut buf = [0; 2];
    /// a.read_exact(&mut buf)?;
    /// assert_eq!(&buf, b"ok");
    /// # std::io::Result::Ok(())
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::os::unix::net::UnixDatagram;
    ///
    /// let dir = std::env::temp_dir().join(format!("gt-doc-dbind-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let sock = UnixDatagram::bind(dir.join("sock"))?;
    /// assert_eq!(sock.local_addr()?.as_pathname(), Some(dir.join("sock").as_path()));
    /// std::fs::remove_dir_all(&dir)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixDatagram> {
        UnixDatagram::try_from(unet::UnixDatagram::bind(path)?)
    }

    /// Creates a datagram socket bound to no address.
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
    /// let sock = UnixDatagram::unbound()?;
    /// assert!(sock.local_addr()?.is_unnamed());
    /// # std::io::Result::Ok(())
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::os::unix::net::UnixDatagram;
    ///
    /// let dir = std::env::temp_dir().join(format!("gt-doc-dconnect-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let server = UnixDatagram::bind(dir.join("sock"))?;
    /// let client = UnixDatagram::unbound()?;
    /// client.connect(dir.join("sock"))?;
    /// client.send(b"hello")?; // to the connected address
    /// let mut buf = [0; 8];
    /// assert_eq!(server.recv(&mut buf)?, 5);
    /// std::fs::remove_dir_all(&dir)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn connect<P: AsRef<Path>>(&self, path: P) -> io::Result<()> {
        self.inner.get_ref().connect(path)
    }

    /// Sends a datagram to `path`, parking while the receiver's queue is full.
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
    /// let dir = std::env::temp_dir().join(format!("gt-doc-sendto-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let server = UnixDatagram::bind(dir.join("sock"))?;
    /// let client = UnixDatagram::unbound()?;
    /// assert_eq!(client.send_to(b"hello", dir.join("sock"))?, 5);
    /// let mut buf = [0; 8];
    /// let n = server.recv(&mut buf)?;
    /// assert_eq!(&buf[..n], b"hello");
    /// std::fs::remove_dir_all(&dir)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn send_to<P: AsRef<Path>>(&self, buf: &[u8], path: P) -> io::Result<usize> {
        let path = path.as_ref();
        self.inner.write_with(|s| s.send_to(buf, path))
    }

    /// Receives a datagram and its sender's address, parking until one arrives.
    ///
    /// # Errors
    ///
    /// The OS error; `WouldBlock` when the read timeout expires.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::os::unix::net::UnixDatagram;
    ///
    /// let dir = std::env::temp_dir().join(format!("gt-doc-recvfrom-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let (a, b) = (dir.join("a"), dir.join("b"));
    /// let (sa, sb) = (UnixDatagram::bind(&a)?, UnixDatagram::bind(&b)?);
    /// sa.send_to(b"hi", &b)?;
    /// let mut buf = [0; 8];
    /// let (n, from) = sb.recv_from(&mut buf)?;
    /// assert_eq!((&buf[..n], from.as_pathname()), (&b"hi"[..], Some(a.as_path())));
    /// std::fs::remove_dir_all(&dir)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.read_with(|s| s.recv_from(buf))
    }

    /// Sends a datagram to the connected peer.
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
    /// assert_eq!(a.send(b"abc")?, 3);
    /// let mut buf = [0; 8];
    /// let n = b.recv(&mut buf)?;
    /// assert_eq!(&buf[..n], b"abc");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write_with(|s| s.send(buf))
    }

    /// Receives a datagram from the connected peer, parking until one arrives.
    ///
    /// # Errors
    ///
    /// The OS error; `WouldBlock` when the read timeout expires.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::os::unix::net::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let sender = greenthread::spawn(move || a.send(b"late"));
    /// let mut buf = [0; 8];
    /// let n = b.recv(&mut buf)?; // parks until the datagram arrives
    /// assert_eq!(&buf[..n], b"late");
    /// sender.join().unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read_with(|s| s.recv(buf))
    }

    timeouts!();
}

fd_traits!(UnixListener, unet::UnixListener);
fd_traits!(UnixStream, unet::UnixStream);
fd_traits!(UnixDatagram, unet::UnixDatagram);
