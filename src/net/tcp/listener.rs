//! [`TcpListener`] and [`Incoming`].

#![forbid(unsafe_code)]

use std::io;
use std::net::{self, SocketAddr};

use crate::io::Async;
use crate::net::addr::{ToSocketAddrs, each_addr};

use super::TcpStream;

/// A TCP socket server, listening for connections, like `std::net::TcpListener`.
///
/// [`accept`](TcpListener::accept) parks the calling green thread until a connection
/// arrives. On an error such as `EMFILE` (too many open files) it returns the error and the
/// listener stays usable: the pending connection is accepted by a later call.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use greenthread::net::{TcpListener, TcpStream};
///
/// let rt = greenthread::Runtime::new()?;
/// rt.block_on(|| {
///     let listener = TcpListener::bind("127.0.0.1:0")?;
///     let addr = listener.local_addr()?;
///     let server = greenthread::spawn(move || -> std::io::Result<()> {
///         let (mut s, _) = listener.accept()?;
///         let mut buf = [0; 4];
///         s.read_exact(&mut buf)?;
///         s.write_all(&buf)
///     });
///     let mut c = TcpStream::connect(addr)?;
///     c.write_all(b"ping")?;
///     let mut buf = [0; 4];
///     c.read_exact(&mut buf)?;
///     assert_eq!(&buf, b"ping");
///     server.join().unwrap()
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub struct TcpListener {
    pub(super) inner: Async<net::TcpListener>,
}

/// An iterator over the connections of a [`TcpListener`], from
/// [`TcpListener::incoming`]. It never returns `None`, and yields `accept`'s errors as
/// std's does (what an accept loop should do with them: [`TcpListener::incoming`]).
///
/// # Examples
///
/// ```
/// use greenthread::net::{TcpListener, TcpStream};
///
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let c = TcpStream::connect(listener.local_addr()?)?;
/// let s = listener.incoming().next().unwrap()?;
/// assert_eq!(s.peer_addr()?, c.local_addr()?);
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug)]
pub struct Incoming<'a> {
    listener: &'a TcpListener,
}

impl TcpListener {
    /// Creates a listener bound to `addr`, like `std::net::TcpListener::bind`.
    ///
    /// Host names resolve on the blocking pool ([`ToSocketAddrs`]); each address is tried
    /// in turn. The accept backlog is `SOMAXCONN` (std uses 128), capped by the kernel's
    /// `net.core.somaxconn`.
    ///
    /// # Errors
    ///
    /// The OS error (e.g. `AddrInUse`), or the resolver's.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::net::TcpListener;
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// assert!(listener.local_addr()?.ip().is_loopback());
    /// assert_ne!(listener.local_addr()?.port(), 0);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        let l = each_addr(&addr, |a| {
            crate::sys::tcp_listen(&a).map(net::TcpListener::from)
        })?;
        Ok(TcpListener {
            inner: Async::new_nonblocking(l)?,
        })
    }

    /// Accepts a new connection, parking until one arrives.
    ///
    /// # Errors
    ///
    /// The OS error, e.g. `EMFILE` when the process is out of descriptors; the listener stays
    /// usable, and the connection stays queued for a later call (an accept loop should pause
    /// first: [`accept_backoff`](crate::net::accept_backoff)). An expired timeout (none by
    /// default) gives `WouldBlock`.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let c = TcpStream::connect(listener.local_addr()?)?;
    /// let (s, peer) = listener.accept()?;
    /// assert_eq!(peer, c.local_addr()?);
    /// assert_eq!(s.local_addr()?, listener.local_addr()?);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (s, addr) = self.inner.read_with(net::TcpListener::accept)?;
        Ok((TcpStream::from_accepted(s)?, addr))
    }

    /// An iterator over incoming connections: `accept` in a loop.
    ///
    /// Like std's, it yields `accept`'s errors and goes on: the next item calls `accept`
    /// again at once. After `EMFILE` (or `ENFILE`, `ENOBUFS`, `ENOMEM`) that retry fails
    /// the same way until a descriptor is closed, because the connection stays queued and
    /// the listener readable: a loop that only logs the error spins a core and floods its
    /// log. Pause instead where [`accept_backoff`](crate::net::accept_backoff) says so (a
    /// second for those errors, none for an error of one connection such as
    /// `ConnectionAborted`); [`sleep`](crate::sleep) parks only the accepting green thread:
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
    ///                 eprintln!("accept: {e}");
    ///                 greenthread::sleep(pause);
    ///             }
    ///         }
    ///     }
    /// }
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let clients = [TcpStream::connect(addr)?, TcpStream::connect(addr)?];
    /// for (s, c) in listener.incoming().take(2).zip(&clients) {
    ///     assert_eq!(s?.peer_addr()?, c.local_addr()?);
    /// }
    /// # std::io::Result::Ok(())
    /// ```
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }

    /// The local address the listener is bound to.
    ///
    /// # Errors
    ///
    /// The OS error.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenthread::net::TcpListener;
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// assert_eq!(addr.ip(), std::net::Ipv4Addr::LOCALHOST);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// A new handle to the same socket (a duplicated descriptor, registered on its own).
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
    /// let clone = listener.try_clone()?;
    /// assert_eq!(clone.local_addr()?, listener.local_addr()?);
    /// let c = TcpStream::connect(listener.local_addr()?)?;
    /// let (_s, peer) = clone.accept()?;
    /// assert_eq!(peer, c.local_addr()?);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_clone(&self) -> io::Result<TcpListener> {
        let l = self.inner.get_ref().try_clone()?;
        Ok(TcpListener {
            inner: Async::new_nonblocking(l)?,
        })
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
    /// use greenthread::net::TcpListener;
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// listener.set_ttl(100)?;
    /// assert_eq!(listener.ttl()?, 100);
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
    /// let listener = greenthread::net::TcpListener::bind("127.0.0.1:0")?;
    /// assert!(listener.ttl()? > 0);
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
    /// let listener = greenthread::net::TcpListener::bind("127.0.0.1:0")?;
    /// assert!(listener.take_error()?.is_none());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.get_ref().take_error()
    }

    /// With `true`, `accept` returns `WouldBlock` instead of parking. The descriptor itself
    /// always stays non-blocking.
    ///
    /// # Errors
    ///
    /// Never, in this implementation (the signature is std's).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use greenthread::net::TcpListener;
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// listener.set_nonblocking(true)?;
    /// let err = listener.accept().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::WouldBlock);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        self.inner.set_nonblocking(nonblocking);
        Ok(())
    }
}

impl<'a> Iterator for Incoming<'a> {
    type Item = io::Result<TcpStream>;
    fn next(&mut self) -> Option<io::Result<TcpStream>> {
        Some(self.listener.accept().map(|(s, _)| s))
    }
}
