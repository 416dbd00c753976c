//! [`UnixDatagram`].

#![forbid(unsafe_code)]

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, RawFd};
use std::os::unix::net::{self as unet, SocketAddr};
use std::path::Path;
use std::time::Duration;

use crate::io::Async;
use crate::net::fd_traits;
use crate::reactor::Dir;

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

fd_traits!(UnixDatagram, unet::UnixDatagram);
