//! Cooperative I/O on any file descriptor: [`Async`].
//!
//! The networking types of [`crate::net`] and [`crate::os::unix::net`] are built on it, and
//! it works the same for pipes, eventfds, a child's stdout or a terminal: put the descriptor
//! in non-blocking mode, register it with the reactor once, and turn every `WouldBlock` into
//! a park of the calling green thread (or a `poll(2)` of the calling OS thread) until the
//! descriptor is ready (the protocol is documented in the crate-internal `reactor` module).

use std::fmt;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::reactor::{Dir, Source};
use crate::scheduler::{Shared, current_shared};

/// A non-blocking file descriptor whose operations park the calling green thread instead
/// of returning `WouldBlock`, in the spirit of `async-io`'s `Async<T>`.
///
/// [`Async::new`] switches the descriptor to non-blocking mode and registers it with the
/// reactor of the calling green thread's runtime (the global runtime's from an OS thread).
/// [`read_with`](Async::read_with) / [`write_with`](Async::write_with) run an operation and,
/// while it returns `WouldBlock`, wait for readiness and retry. `Read` and `Write` are
/// implemented on top for types that have them. Called from a plain OS thread, the waits
/// block that thread (`poll(2)`), so the same code works there.
///
/// Dropping an `Async` deregisters the descriptor, then drops (closes) the inner value.
///
/// # Examples
///
/// A pipe: the reader green thread parks until the writer has written.
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// use greenthread::io::Async;
///
/// let rt = greenthread::Runtime::new()?;
/// let (a, b) = UnixStream::pair()?;
/// let (a, mut b) = (Async::new(a)?, Async::new(b)?);
/// let reader = rt.spawn(move || {
///     let mut buf = [0; 5];
///     (&a).read_exact(&mut buf).map(|_| buf)
/// });
/// b.write_all(b"hello")?;
/// assert_eq!(&reader.join().unwrap()?, b"hello");
/// # std::io::Result::Ok(())
/// ```
pub struct Async<T: AsFd> {
    source: Arc<Source>,
    shared: Arc<Shared>,
    /// `None` only inside `into_inner` and `drop`.
    io: Option<T>,
}

impl<T: AsFd> Async<T> {
    /// Makes `io` non-blocking and registers it with the reactor.
    ///
    /// # Errors
    ///
    /// The OS error of `ioctl(FIONBIO)` or `epoll_ctl` (for instance `EPERM` for a regular
    /// file, which epoll cannot watch: use [`unblock`](crate::unblock) for files).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use greenthread::io::Async;
    ///
    /// let (a, _b) = UnixStream::pair()?;
    /// let a = Async::new(a)?;
    /// assert!(a.get_ref().peer_addr()?.is_unnamed());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new(io: T) -> io::Result<Async<T>> {
        crate::sys::set_nonblocking(io.as_fd(), true)?;
        Async::new_nonblocking(io)
    }

    /// Registers `io`, which the caller has already made non-blocking.
    pub(crate) fn new_nonblocking(io: T) -> io::Result<Async<T>> {
        let shared = current_shared();
        // SAFETY: `io` owns (or borrows for our lifetime) the descriptor, and `Async` keeps
        // it alive until `deregister` runs in `into_inner` or `drop`.
        let source = unsafe { shared.reactor.register(io.as_fd().as_raw_fd()) }?;
        Ok(Async {
            source,
            shared,
            io: Some(io),
        })
    }

    /// The inner I/O object.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use greenthread::io::Async;
    ///
    /// let (a, _b) = UnixStream::pair()?;
    /// let a = Async::new(a)?;
    /// assert!(a.get_ref().peer_addr()?.is_unnamed());
    /// # std::io::Result::Ok(())
    /// ```
    #[inline]
    pub fn get_ref(&self) -> &T {
        self.io.as_ref().expect("Async used after into_inner")
    }

    /// Deregisters the descriptor and returns the inner value, still in non-blocking mode.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use greenthread::io::Async;
    ///
    /// let (a, _b) = UnixStream::pair()?;
    /// let a = Async::new(a)?.into_inner();
    /// a.set_nonblocking(false)?; // back to a plain blocking std socket
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_inner(mut self) -> T {
        self.shared.reactor.deregister(&self.source);
        self.io.take().expect("Async used after into_inner")
    }

    /// Runs `op` until it returns something other than `WouldBlock`, waiting for read
    /// readiness in between. `Interrupted` is retried.
    ///
    /// # Errors
    ///
    /// What `op` returns, or (only while the runtime is shutting down) `Other`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// use std::os::unix::net::UnixStream;
    /// use greenthread::io::Async;
    ///
    /// let (a, mut b) = UnixStream::pair()?;
    /// let a = Async::new(a)?;
    /// std::io::Write::write_all(&mut b, b"x")?;
    /// let mut buf = [0; 1];
    /// let n = a.read_with(|s| (&*s).read(&mut buf))?;
    /// assert_eq!(&buf[..n], b"x");
    /// # std::io::Result::Ok(())
    /// ```
    #[inline]
    pub fn read_with<R>(&self, op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        self.op(Dir::Read, op)
    }

    /// [`read_with`](Async::read_with) with mutable access to the inner value.
    ///
    /// # Errors
    ///
    /// As [`read_with`](Async::read_with).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use greenthread::io::Async;
    ///
    /// let (a, mut b) = UnixStream::pair()?;
    /// let mut a = Async::new(a)?;
    /// b.write_all(b"x")?;
    /// let mut buf = [0; 1];
    /// assert_eq!(a.read_with_mut(|s| s.read(&mut buf))?, 1);
    /// assert_eq!(&buf, b"x");
    /// # std::io::Result::Ok(())
    /// ```
    #[inline]
    pub fn read_with_mut<R>(
        &mut self,
        mut op: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        let io = self.io.as_mut().expect("Async used after into_inner");
        op_on(&self.shared, &self.source, Dir::Read, || op(io))
    }

    /// Like [`read_with`](Async::read_with), waiting for write readiness.
    ///
    /// # Errors
    ///
    /// As [`read_with`](Async::read_with).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use greenthread::io::Async;
    ///
    /// let (a, mut b) = UnixStream::pair()?;
    /// let a = Async::new(a)?;
    /// assert_eq!(a.write_with(|s| (&*s).write(b"x"))?, 1);
    /// let mut buf = [0; 1];
    /// b.read_exact(&mut buf)?;
    /// assert_eq!(&buf, b"x");
    /// # std::io::Result::Ok(())
    /// ```
    #[inline]
    pub fn write_with<R>(&self, op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        self.op(Dir::Write, op)
    }

    /// [`write_with`](Async::write_with) with mutable access to the inner value.
    ///
    /// # Errors
    ///
    /// As [`read_with`](Async::read_with).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use greenthread::io::Async;
    ///
    /// let (a, mut b) = UnixStream::pair()?;
    /// let mut a = Async::new(a)?;
    /// assert_eq!(a.write_with_mut(|s| s.write(b"x"))?, 1);
    /// let mut buf = [0; 1];
    /// b.read_exact(&mut buf)?;
    /// assert_eq!(&buf, b"x");
    /// # std::io::Result::Ok(())
    /// ```
    #[inline]
    pub fn write_with_mut<R>(
        &mut self,
        mut op: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        let io = self.io.as_mut().expect("Async used after into_inner");
        op_on(&self.shared, &self.source, Dir::Write, || op(io))
    }

    /// Waits until the descriptor is readable (checked with a zero-timeout `poll(2)`).
    ///
    /// # Errors
    ///
    /// As [`read_with`](Async::read_with).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// use greenthread::io::Async;
    ///
    /// let (a, mut b) = UnixStream::pair()?;
    /// let a = Async::new(a)?;
    /// let reader = greenthread::spawn(move || a.readable());
    /// b.write_all(b"x")?; // the parked reader wakes up
    /// reader.join().unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn readable(&self) -> io::Result<()> {
        let fd = self.source.fd();
        self.read_with(|_| ready_now(fd, false))
    }

    /// Waits until the descriptor is writable.
    ///
    /// # Errors
    ///
    /// As [`read_with`](Async::read_with).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use greenthread::io::Async;
    ///
    /// let (a, _b) = UnixStream::pair()?;
    /// let a = Async::new(a)?;
    /// a.writable()?; // an empty send buffer: writable at once
    /// # std::io::Result::Ok(())
    /// ```
    pub fn writable(&self) -> io::Result<()> {
        let fd = self.source.fd();
        self.write_with(|_| ready_now(fd, true))
    }

    #[inline]
    fn op<R>(&self, dir: Dir, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        let io = self.get_ref();
        op_on(&self.shared, &self.source, dir, || op(io))
    }

    /// `op` with a deadline instead of the source's timeout (for `connect_timeout`).
    pub(crate) fn write_until<R>(
        &self,
        deadline: Instant,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        let io = self.get_ref();
        run(
            &self.shared,
            &self.source,
            Dir::Write,
            Some(deadline),
            || op(io),
        )
    }

    pub(crate) fn set_timeout(&self, dir: Dir, t: Option<Duration>) -> io::Result<()> {
        if t == Some(Duration::ZERO) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot set a 0 duration timeout",
            ));
        }
        self.source.set_timeout(dir, t);
        Ok(())
    }

    pub(crate) fn timeout(&self, dir: Dir) -> Option<Duration> {
        self.source.timeout(dir)
    }

    pub(crate) fn set_nonblocking(&self, on: bool) {
        self.source.set_nonblocking(on);
    }
}

fn ready_now(fd: RawFd, write: bool) -> io::Result<()> {
    match crate::sys::poll_fd(fd, write, Some(Instant::now()))? {
        true => Ok(()),
        false => Err(io::ErrorKind::WouldBlock.into()),
    }
}

/// The I/O loop with the source's timeout and non-blocking setting (the fast path).
#[inline]
fn op_on<R>(
    shared: &Shared,
    source: &Source,
    dir: Dir,
    mut op: impl FnMut() -> io::Result<R>,
) -> io::Result<R> {
    let tick = source.tick(dir);
    match op() {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
            if source.is_nonblocking() {
                return Err(e);
            }
        }
        Err(e) if e.kind() == io::ErrorKind::Interrupted => {
            return run(shared, source, dir, deadline_of(source, dir), op);
        }
        r => return r,
    }
    slow(shared, source, dir, tick, op)
}

#[cold]
fn slow<R>(
    shared: &Shared,
    source: &Source,
    dir: Dir,
    tick: u64,
    op: impl FnMut() -> io::Result<R>,
) -> io::Result<R> {
    let deadline = deadline_of(source, dir);
    wait(shared, source, dir, tick, deadline)?;
    run(shared, source, dir, deadline, op)
}

/// Waits for the next edge, unless the runtime the source is registered with has shut down
/// and the caller is a green thread of *another* runtime: no one polls the dead reactor, so
/// it would wait forever. (A green thread of the same runtime parks as usual and is unwound
/// by the shutdown; a plain OS thread waits in `poll(2)` and needs no reactor.)
fn wait(
    shared: &Shared,
    source: &Source,
    dir: Dir,
    tick: u64,
    deadline: Option<Instant>,
) -> io::Result<()> {
    if shared.is_shutdown()
        && crate::coroutine::current_task().is_some_and(|t| !std::ptr::eq(&*t.shared, shared))
    {
        return Err(io::Error::other(
            "the greenthread runtime this descriptor was registered with has shut down",
        ));
    }
    shared.reactor.wait_io(source, dir, tick, deadline)
}

/// The deadline of an operation starting now, from the source's timeout.
fn deadline_of(source: &Source, dir: Dir) -> Option<Instant> {
    source
        .timeout(dir)
        .and_then(|t| Instant::now().checked_add(t))
}

/// The I/O loop: try `op`; on `WouldBlock` wait for the next edge (or the deadline).
fn run<R>(
    shared: &Shared,
    source: &Source,
    dir: Dir,
    deadline: Option<Instant>,
    mut op: impl FnMut() -> io::Result<R>,
) -> io::Result<R> {
    loop {
        let tick = source.tick(dir);
        match op() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if source.is_nonblocking() {
                    return Err(e);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r,
        }
        wait(shared, source, dir, tick, deadline)?;
    }
}

impl<T: AsFd> Drop for Async<T> {
    fn drop(&mut self) {
        if self.io.is_some() {
            self.shared.reactor.deregister(&self.source);
        }
        // Then `io` drops, closing the descriptor: after deregistering, as `register` needs.
    }
}

impl<T: AsFd> AsFd for Async<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.get_ref().as_fd()
    }
}

impl<T: AsFd> AsRawFd for Async<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.source.fd()
    }
}

impl<T: AsFd + fmt::Debug> fmt::Debug for Async<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Async").field("io", &self.io).finish()
    }
}

impl<T: AsFd + Read> Read for Async<T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_with_mut(|io| io.read(buf))
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.read_with_mut(|io| io.read_vectored(bufs))
    }
}

impl<T: AsFd> Read for &Async<T>
where
    for<'a> &'a T: Read,
{
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_with(|mut io: &T| io.read(buf))
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.read_with(|mut io: &T| io.read_vectored(bufs))
    }
}

impl<T: AsFd + Write> Write for Async<T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_with_mut(|io| io.write(buf))
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.write_with_mut(|io| io.write_vectored(bufs))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_with_mut(|io| io.flush())
    }
}

impl<T: AsFd> Write for &Async<T>
where
    for<'a> &'a T: Write,
{
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_with(|mut io: &T| io.write(buf))
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.write_with(|mut io: &T| io.write_vectored(bufs))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_with(|mut io: &T| io.flush())
    }
}
