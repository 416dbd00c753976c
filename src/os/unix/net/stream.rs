//! [`UnixStream`].

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

fd_traits!(UnixStream, unet::UnixStream);
