//! [`TcpStream`].

#![forbid(unsafe_code)]

use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::{self, Shutdown, SocketAddr};
use std::time::{Duration, Instant};

use crate::io::Async;
use crate::net::addr::{ToSocketAddrs, each_addr};
use crate::reactor::Dir;

/// A TCP stream between a local and a remote socket, like `std::net::TcpStream`.
///
/// Reads and writes park the calling green thread until the socket is ready; data already
/// there costs exactly one syscall. `Read` and `Write` are implemented for `&TcpStream` too,
/// so one green thread can read while another writes.
///
/// Timeouts ([`set_read_timeout`](TcpStream::set_read_timeout)) work as std's on Unix: an
/// expired read or write returns an error of kind `WouldBlock`, and the stream stays usable.
/// Unlike std, a timeout set after [`try_clone`](TcpStream::try_clone) applies only to the
/// handle it was set on.
///
/// # Examples
///
/// A green client against a server on a plain OS thread (std's types interoperate):
///
/// ```
/// use std::io::{Read, Write};
/// use greenthread::net::TcpStream;
///
/// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let addr = server.local_addr()?;
/// std::thread::spawn(move || {
///     let (mut s, _) = server.accept().unwrap();
///     s.write_all(b"hello").unwrap();
/// });
/// let reply = greenthread::spawn(move || -> std::io::Result<String> {
///     let mut s = TcpStream::connect(addr)?;
///     let mut reply = String::new();
///     s.read_to_string(&mut reply)?;
///     Ok(reply)
/// });
/// assert_eq!(reply.join().unwrap()?, "hello");
/// # std::io::Result::Ok(())
/// ```
pub struct TcpStream {
    pub(super) inner: Async<net::TcpStream>,
}

impl TcpStream {
    /// Opens a TCP connection to `addr`, like `std::net::TcpStream::connect`, parking until
    /// it is established.
    ///
    /// Host names resolve on the blocking pool; each address is tried in turn.
    ///
    /// # Errors
    ///
    /// The OS error, e.g. `ConnectionRefused`; the last one if every address failed.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let stream = TcpStream::connect(listener.local_addr()?)?;
    /// assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        each_addr(&addr, |a| TcpStream::connect_addr(&a, None))
    }

    /// Opens a TCP connection with a timeout, like `std::net::TcpStream::connect_timeout`.
    ///
    /// # Errors
    ///
    /// `TimedOut` if `timeout` passes first; `InvalidInput` for a zero timeout; else as
    /// [`connect`](TcpStream::connect).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenthread::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
    /// assert_eq!(stream.peer_addr()?, addr);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn connect_timeout(addr: &SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
        if timeout.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot set a 0 duration timeout",
            ));
        }
        let deadline = Instant::now().checked_add(timeout);
        TcpStream::connect_addr(addr, deadline)
    }

    fn connect_addr(addr: &SocketAddr, deadline: Option<Instant>) -> io::Result<TcpStream> {
        let (fd, in_progress) = crate::sys::tcp_connect_start(addr)?;
        let stream = TcpStream {
            inner: Async::new_nonblocking(net::TcpStream::from(fd))?,
        };
        if in_progress {
            let established = |s: &net::TcpStream| {
                if let Some(e) = s.take_error()? {
                    return Err(e);
                }
                match s.peer_addr() {
                    Ok(_) => Ok(()),
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                        Err(io::ErrorKind::WouldBlock.into())
                    }
                    Err(e) => Err(e),
                }
            };
            let r = match deadline {
                Some(d) => stream.inner.write_until(d, established),
                None => stream.inner.write_with(established),
            };
            r.map_err(|e| {
                if e.kind() == io::ErrorKind::WouldBlock {
                    io::Error::new(io::ErrorKind::TimedOut, "connection timed out")
                } else {
                    e
                }
            })?;
        }
        Ok(stream)
    }

    pub(super) fn from_accepted(s: net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            inner: Async::new(s)?,
        })
    }

    /// The remote address.
    ///
    /// # Errors
    ///
    /// The OS error, e.g. `NotConnected`.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let c = TcpStream::connect(listener.local_addr()?)?;
    /// let (s, _) = listener.accept()?;
    /// assert_eq!(s.peer_addr()?, c.local_addr()?);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().peer_addr()
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
    /// use greenthread::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let c = TcpStream::connect(listener.local_addr()?)?;
    /// assert!(c.local_addr()?.ip().is_loopback());
    /// assert_ne!(c.local_addr()?.port(), listener.local_addr()?.port());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// Shuts down the read half, the write half, or both.
    ///
    /// # Errors
    ///
    /// The OS error, e.g. `NotConnected`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// use greenthread::net::{Shutdown, TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let c = TcpStream::connect(listener.local_addr()?)?;
    /// let (mut s, _) = listener.accept()?;
    /// c.shutdown(Shutdown::Write)?;
    /// let mut rest = Vec::new();
    /// assert_eq!(s.read_to_end(&mut rest)?, 0);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.get_ref().shutdown(how)
    }

    /// A new handle to the same socket (a duplicated descriptor, registered on its own).
    /// It starts with this handle's timeouts.
    ///
    /// # Errors
    ///
    /// The OS error.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use greenthread::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let c = TcpStream::connect(listener.local_addr()?)?;
    /// let (mut s, _) = listener.accept()?;
    /// c.try_clone()?.write_all(b"hi")?;
    /// let mut buf = [0; 2];
    /// s.read_exact(&mut buf)?;
    /// assert_eq!(&buf, b"hi");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_clone(&self) -> io::Result<TcpStream> {
        let s = TcpStream {
            inner: Async::new_nonblocking(self.inner.get_ref().try_clone()?)?,
        };
        for dir in [Dir::Read, Dir::Write] {
            s.inner.set_timeout(dir, self.inner.timeout(dir))?;
        }
        Ok(s)
    }

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
    /// use greenthread::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let mut c = TcpStream::connect(listener.local_addr()?)?;
    /// let (_server_side, _) = listener.accept()?;
    /// c.set_read_timeout(Some(Duration::from_millis(10)))?;
    /// let err = c.read(&mut [0; 8]).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::WouldBlock);
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
    /// use greenthread::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let c = TcpStream::connect(listener.local_addr()?)?;
    /// c.set_write_timeout(Some(Duration::from_millis(50)))?;
    /// assert_eq!(c.write_timeout()?, Some(Duration::from_millis(50)));
    /// assert!(c.set_write_timeout(Some(Duration::ZERO)).is_err());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_write_timeout(&self, dur: Option<Duration>) -> io::Result<()> {
        self.inner.set_timeout(Dir::Write, dur)
    }

    /// The read timeout.
    ///
    /// # Errors
    ///
    /// Never, in this implementation (the signature is std's).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenthread::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let c = TcpStream::connect(listener.local_addr()?)?;
    /// assert_eq!(c.read_timeout()?, None);
    /// c.set_read_timeout(Some(Duration::from_secs(1)))?;
    /// assert_eq!(c.read_timeout()?, Some(Duration::from_secs(1)));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn read_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.inner.timeout(Dir::Read))
    }

    /// The write timeout.
    ///
    /// # Errors
    ///
    /// Never, in this implementation (the signature is std's).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let c = TcpStream::connect(listener.local_addr()?)?;
    /// assert_eq!(c.write_timeout()?, None);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn write_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.inner.timeout(Dir::Write))
    }

    /// Receives data without removing it from the queue, parking until some is there.
    ///
    /// # Errors
    ///
    /// As `read`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use greenthread::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let mut c = TcpStream::connect(listener.local_addr()?)?;
    /// let (mut s, _) = listener.accept()?;
    /// c.write_all(b"hey")?;
    /// let mut buf = [0; 3];
    /// assert_eq!(s.peek(&mut buf)?, 3);
    /// s.read_exact(&mut buf)?; // the peeked bytes are still there
    /// assert_eq!(&buf, b"hey");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.inner.read_with(|s| s.peek(buf))
    }

    /// Sets `TCP_NODELAY`.
    ///
    /// # Errors
    ///
    /// The OS error.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let c = TcpStream::connect(listener.local_addr()?)?;
    /// c.set_nodelay(true)?;
    /// assert_eq!(c.nodelay()?, true);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.get_ref().set_nodelay(nodelay)
    }

    /// Gets `TCP_NODELAY`.
    ///
    /// # Errors
    ///
    /// The OS error.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let c = TcpStream::connect(listener.local_addr()?)?;
    /// assert_eq!(c.nodelay()?, false);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.get_ref().nodelay()
    }

    /// Sets `IP_TTL`.
    ///
    /// # Errors
    ///
    /// The OS error.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let c = TcpStream::connect(listener.local_addr()?)?;
    /// c.set_ttl(100)?;
    /// assert_eq!(c.ttl()?, 100);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.get_ref().set_ttl(ttl)
    }

    /// Gets `IP_TTL`.
    ///
    /// # Errors
    ///
    /// The OS error.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let c = TcpStream::connect(listener.local_addr()?)?;
    /// assert!(c.ttl()? > 0);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.get_ref().ttl()
    }

    /// Gets and clears the socket's pending error (`SO_ERROR`).
    ///
    /// # Errors
    ///
    /// The OS error of the `getsockopt` call.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let c = TcpStream::connect(listener.local_addr()?)?;
    /// assert!(c.take_error()?.is_none());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.get_ref().take_error()
    }

    /// With `true`, reads and writes return `WouldBlock` instead of parking. The descriptor
    /// itself always stays non-blocking.
    ///
    /// # Errors
    ///
    /// Never, in this implementation (the signature is std's).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{ErrorKind, Read};
    /// use greenthread::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let mut c = TcpStream::connect(listener.local_addr()?)?;
    /// c.set_nonblocking(true)?;
    /// let err = c.read(&mut [0; 8]).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::WouldBlock);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        self.inner.set_nonblocking(nonblocking);
        Ok(())
    }
}

impl Read for TcpStream {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&*self).read_vectored(bufs)
    }
}

/// A read into an empty buffer returns `Ok(0)` at once. (A blocking std socket would wait
/// for data first, then return 0; waiting for nothing is never what the caller wants.)
///
/// # Examples
///
/// ```
/// use std::io::Read;
/// use greenthread::net::{TcpListener, TcpStream};
///
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let c = TcpStream::connect(listener.local_addr()?)?;
/// assert_eq!((&c).read(&mut [])?, 0); // no data yet, but no wait either
/// # std::io::Result::Ok(())
/// ```
impl Read for &TcpStream {
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

impl Write for TcpStream {
    #[inline]
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

impl Write for &TcpStream {
    #[inline]
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
