//! [`UnixListener`], [`UnixStream`] and [`UnixDatagram`], with the API of
//! `std::os::unix::net`; their blocking calls park only the calling green thread.

#![forbid(unsafe_code)]

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

mod datagram;
mod listener;
mod stream;

pub use datagram::UnixDatagram;
pub use listener::{Incoming, UnixListener};
pub use stream::UnixStream;
