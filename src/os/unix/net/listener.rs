//! [`UnixListener`] and its [`Incoming`] iterator.

#![forbid(unsafe_code)]

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, RawFd};
use std::os::unix::net::{self as unet, SocketAddr};
use std::path::Path;

use crate::io::Async;
use crate::net::fd_traits;

use super::UnixStream;

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

/// An iterator over the connections of a [`UnixListener`]; it never returns `None`, and
/// yields `accept`'s errors as std's does ([`UnixListener::incoming`] says what to do).
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
    /// The OS error (e.g. `EMFILE`); the listener stays usable, and the connection stays
    /// queued for a later call (an accept loop should pause first:
    /// [`accept_backoff`](crate::net::accept_backoff)).
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
    /// Like std's, it yields `accept`'s errors and goes on, calling `accept` again at once;
    /// after `EMFILE` and the like a loop should pause where
    /// [`accept_backoff`](crate::net::accept_backoff) says so, as
    /// [`TcpListener::incoming`](crate::net::TcpListener::incoming) shows.
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

fd_traits!(UnixListener, unet::UnixListener);
