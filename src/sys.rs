//! The few system calls the runtime makes itself, where std has no API for them.
//!
//! Everything else goes through std (`read`, `accept`, socket options), so error values are
//! std's own. `EINTR` is retried here wherever a call can return it.

use std::io;
use std::mem;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::time::Instant;

/// Sets or clears `O_NONBLOCK` on `fd` (one `ioctl(FIONBIO)`).
pub(crate) fn set_nonblocking(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    let mut on = libc::c_int::from(on);
    // SAFETY: `fd` is a live descriptor for the borrow; FIONBIO reads one c_int through the
    // pointer, which points at a live local.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONBIO, &mut on) };
    if r == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Waits with `poll(2)` until `fd` is readable (or writable), or `deadline` passes; `false`
/// on timeout. The wait of a plain OS thread: it blocks that thread, as std would.
pub(crate) fn poll_fd(fd: RawFd, write: bool, deadline: Option<Instant>) -> io::Result<bool> {
    let events = if write { libc::POLLOUT } else { libc::POLLIN };
    loop {
        let timeout = match deadline {
            None => -1,
            Some(d) => {
                // A deadline already passed still looks once (timeout 0): "is it ready now?".
                // Round up so we never wake before the deadline and spin.
                let left = d.saturating_duration_since(Instant::now());
                let ms = left.as_nanos().div_ceil(1_000_000);
                libc::c_int::try_from(ms).unwrap_or(libc::c_int::MAX)
            }
        };
        let mut pfd = libc::pollfd {
            fd,
            events,
            revents: 0,
        };
        // SAFETY: `pfd` is one valid, initialised pollfd on our stack; nfds is 1.
        let r = unsafe { libc::poll(&mut pfd, 1, timeout) };
        match r {
            -1 => {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
            0 => {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    return Ok(false);
                }
            }
            // Ready, or an error/hang-up condition: the caller's syscall will report it.
            _ => return Ok(true),
        }
    }
}

/// A `sockaddr` for `addr`, as the kernel takes it.
fn socket_addr(addr: &SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain old data; all-zero is a valid (unspecified) value.
    let mut storage: libc::sockaddr_storage = unsafe { mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than and suitably aligned for every
            // sockaddr type (that is its purpose), so the write stays in bounds.
            unsafe { (&raw mut storage).cast::<libc::sockaddr_in>().write(sin) };
            mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: as above.
            unsafe { (&raw mut storage).cast::<libc::sockaddr_in6>().write(sin6) };
            mem::size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
}

/// Creates a non-blocking, close-on-exec TCP socket and starts connecting it to `addr`.
/// Returns the socket and whether the connection is still in progress (`EINPROGRESS`).
pub(crate) fn tcp_connect_start(addr: &SocketAddr) -> io::Result<(OwnedFd, bool)> {
    let domain = match addr {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    };
    let ty = libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: plain syscall with constant arguments.
    let fd = unsafe { libc::socket(domain, ty, 0) };
    if fd == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by socket(2) and is owned by no one else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let (storage, len) = socket_addr(addr);
    // SAFETY: `storage` holds a valid sockaddr of `len` bytes for the socket's family.
    let r = unsafe { libc::connect(fd.as_raw_fd(), (&raw const storage).cast(), len) };
    if r == 0 {
        return Ok((fd, false));
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        // An interrupted connect goes on in the background, like one in progress.
        Some(libc::EINPROGRESS) | Some(libc::EINTR) => Ok((fd, true)),
        _ => Err(e),
    }
}

/// Creates a non-blocking, close-on-exec TCP listener on `addr`, like std's `bind` (with
/// `SO_REUSEADDR`, as std sets on Unix) but with a backlog of `SOMAXCONN` instead of std's
/// 128, so a burst of thousands of connects does not overflow the accept queue (the kernel
/// caps it at `net.core.somaxconn`).
pub(crate) fn tcp_listen(addr: &SocketAddr) -> io::Result<OwnedFd> {
    let domain = match addr {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    };
    let ty = libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: plain syscall with constant arguments.
    let fd = unsafe { libc::socket(domain, ty, 0) };
    if fd == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by socket(2) and is owned by no one else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let one: libc::c_int = 1;
    // SAFETY: SO_REUSEADDR takes a c_int; the pointer and length describe `one`.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            (&raw const one).cast(),
            mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r == -1 {
        return Err(io::Error::last_os_error());
    }
    let (storage, len) = socket_addr(addr);
    // SAFETY: `storage` holds a valid sockaddr of `len` bytes for the socket's family.
    if unsafe { libc::bind(fd.as_raw_fd(), (&raw const storage).cast(), len) } == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: plain syscall on a descriptor we own.
    if unsafe { libc::listen(fd.as_raw_fd(), libc::SOMAXCONN) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(fd)
}

/// Runs a full memory barrier on every running thread of this process (`membarrier(2)`,
/// private expedited where the kernel has it, else the slower global command). Returns
/// `false`, every time, if the kernel has neither.
pub(crate) fn process_barrier() -> bool {
    use std::sync::OnceLock;
    // The commands of <linux/membarrier.h>.
    const QUERY: libc::c_long = 0;
    const GLOBAL: libc::c_long = 1;
    const PRIVATE_EXPEDITED: libc::c_long = 1 << 3;
    const REGISTER_PRIVATE_EXPEDITED: libc::c_long = 1 << 4;
    fn membarrier(cmd: libc::c_long) -> libc::c_long {
        // SAFETY: membarrier takes two integer arguments and touches no memory of ours.
        unsafe {
            libc::syscall(
                libc::SYS_membarrier,
                cmd,
                0 as libc::c_long,
                0 as libc::c_long,
            )
        }
    }
    static COMMAND: OnceLock<Option<libc::c_long>> = OnceLock::new();
    let cmd = *COMMAND.get_or_init(|| {
        let supported = membarrier(QUERY);
        if supported < 0 {
            None
        } else if supported & PRIVATE_EXPEDITED != 0 && membarrier(REGISTER_PRIVATE_EXPEDITED) == 0
        {
            Some(PRIVATE_EXPEDITED)
        } else if supported & GLOBAL != 0 {
            Some(GLOBAL)
        } else {
            None
        }
    });
    cmd.is_some_and(|cmd| membarrier(cmd) == 0)
}
