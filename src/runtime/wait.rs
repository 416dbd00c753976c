//! What a parked green thread waits for, recorded at its switch point for the dump, the stats
//! and the deadlock check.
//!
//! Every blocking call of the crate names its reason when it parks (`thread::block` takes
//! one), so the record costs three relaxed stores per park and no system call: the time it
//! parked is read from the runtime's coarse clock ([`Clock`]), not from the OS.

#![forbid(unsafe_code)]

use std::fmt;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::thread::ThreadId;

/// What a parked green thread is waiting for, as shown by [`Runtime::dump`] and counted by
/// [`Runtime::stats`].
///
/// [`Runtime::dump`]: crate::Runtime::dump
/// [`Runtime::stats`]: crate::Runtime::stats
///
/// # Examples
///
/// ```
/// use greenthread::runtime::WaitReason;
///
/// assert_eq!(WaitReason::Read { fd: 7 }.to_string(), "read fd 7");
/// assert_eq!(WaitReason::ChannelRecv.to_string(), "channel recv");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WaitReason {
    /// `sleep` or `sleep_until`.
    Sleep,
    /// `park` or `park_timeout`.
    Park,
    /// `JoinHandle::join` (or a scope's end) of the green thread with this id.
    Join(ThreadId),
    /// The end of a `scope`: its green threads are still running.
    Scope,
    /// A socket or other descriptor to become readable (`read`, `recv`, `accept`).
    Read {
        /// The descriptor.
        fd: RawFd,
    },
    /// A socket or other descriptor to become writable (`write`, `send`, `connect`).
    Write {
        /// The descriptor.
        fd: RawFd,
    },
    /// [`sync::Mutex`](crate::sync::Mutex) (also the lock behind a condvar wait).
    Mutex,
    /// [`sync::RwLock::read`](crate::sync::RwLock::read).
    RwLockRead,
    /// [`sync::RwLock::write`](crate::sync::RwLock::write).
    RwLockWrite,
    /// [`sync::Condvar`](crate::sync::Condvar).
    Condvar,
    /// [`sync::Semaphore`](crate::sync::Semaphore).
    Semaphore,
    /// [`sync::Barrier`](crate::sync::Barrier).
    Barrier,
    /// [`sync::WaitGroup`](crate::sync::WaitGroup).
    WaitGroup,
    /// A channel `send` (bounded and full, or a rendezvous).
    ChannelSend,
    /// A channel `recv`.
    ChannelRecv,
    /// A channel `Select` or `select!`.
    Select,
    /// [`unblock`](crate::unblock): a call running on the blocking pool.
    Unblock,
}

impl fmt::Display for WaitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitReason::Sleep => f.write_str("sleep"),
            WaitReason::Park => f.write_str("park"),
            WaitReason::Join(id) => write!(f, "join #{}", id.as_u64()),
            WaitReason::Scope => f.write_str("scope"),
            WaitReason::Read { fd } => write!(f, "read fd {fd}"),
            WaitReason::Write { fd } => write!(f, "write fd {fd}"),
            WaitReason::Mutex => f.write_str("mutex"),
            WaitReason::RwLockRead => f.write_str("rwlock read"),
            WaitReason::RwLockWrite => f.write_str("rwlock write"),
            WaitReason::Condvar => f.write_str("condvar"),
            WaitReason::Semaphore => f.write_str("semaphore"),
            WaitReason::Barrier => f.write_str("barrier"),
            WaitReason::WaitGroup => f.write_str("wait group"),
            WaitReason::ChannelSend => f.write_str("channel send"),
            WaitReason::ChannelRecv => f.write_str("channel recv"),
            WaitReason::Select => f.write_str("select"),
            WaitReason::Unblock => f.write_str("unblock"),
        }
    }
}

impl WaitReason {
    /// Packs the reason into one word: the kind in the low byte, its argument above. Inlined,
    /// so a call site's constant reason costs nothing to pack.
    #[inline]
    pub(crate) fn encode(self) -> u64 {
        let (kind, arg): (u64, u64) = match self {
            WaitReason::Sleep => (1, 0),
            WaitReason::Park => (2, 0),
            WaitReason::Join(id) => (3, id.as_u64()),
            WaitReason::Scope => (4, 0),
            WaitReason::Read { fd } => (5, u64::from(fd as u32)),
            WaitReason::Write { fd } => (6, u64::from(fd as u32)),
            WaitReason::Mutex => (7, 0),
            WaitReason::RwLockRead => (8, 0),
            WaitReason::RwLockWrite => (9, 0),
            WaitReason::Condvar => (10, 0),
            WaitReason::Semaphore => (11, 0),
            WaitReason::Barrier => (12, 0),
            WaitReason::WaitGroup => (13, 0),
            WaitReason::ChannelSend => (14, 0),
            WaitReason::ChannelRecv => (15, 0),
            WaitReason::Select => (16, 0),
            WaitReason::Unblock => (17, 0),
        };
        kind | (arg << 8)
    }

    pub(crate) fn decode(word: u64) -> Option<WaitReason> {
        let arg = word >> 8;
        Some(match word & 0xff {
            1 => WaitReason::Sleep,
            2 => WaitReason::Park,
            3 => WaitReason::Join(ThreadId::from_u64(arg)?),
            4 => WaitReason::Scope,
            5 => WaitReason::Read {
                fd: arg as u32 as RawFd,
            },
            6 => WaitReason::Write {
                fd: arg as u32 as RawFd,
            },
            7 => WaitReason::Mutex,
            8 => WaitReason::RwLockRead,
            9 => WaitReason::RwLockWrite,
            10 => WaitReason::Condvar,
            11 => WaitReason::Semaphore,
            12 => WaitReason::Barrier,
            13 => WaitReason::WaitGroup,
            14 => WaitReason::ChannelSend,
            15 => WaitReason::ChannelRecv,
            16 => WaitReason::Select,
            17 => WaitReason::Unblock,
            _ => return None,
        })
    }

    /// Whether something outside the green threads (the reactor, a timer, the blocking
    /// pool) will wake this wait, so it cannot be part of a deadlock.
    pub(crate) fn woken_from_outside(self) -> bool {
        matches!(
            self,
            WaitReason::Read { .. } | WaitReason::Write { .. } | WaitReason::Unblock
        )
    }
}

/// Saturation value of the clock.
const NEVER: u64 = u64::MAX;

/// The wait record of one green thread: written by the green thread as it parks, read by
/// anyone (the dump, the monitor). Two independent relaxed words, so a reader racing a park
/// may see the new reason with the old start; it only ever reports it. (A timed wait's
/// deadline is in the runtime's timers, where the dump looks it up.)
#[derive(Debug)]
pub(crate) struct WaitCell {
    reason: AtomicU64,
    /// When it parked, on the runtime's [`Clock`].
    since: AtomicU64,
}

impl WaitCell {
    pub(crate) fn new() -> WaitCell {
        WaitCell {
            reason: AtomicU64::new(0),
            since: AtomicU64::new(0),
        }
    }

    /// Records a wait that starts at `now` (on the [`Clock`]); `reason` as packed by
    /// [`WaitReason::encode`].
    #[inline]
    pub(crate) fn set(&self, reason: u64, now: u64) {
        self.reason.store(reason, Ordering::Relaxed);
        self.since.store(now, Ordering::Relaxed);
    }

    /// The last recorded wait: its reason and start (clock nanoseconds).
    pub(crate) fn get(&self) -> (Option<WaitReason>, u64) {
        let reason = WaitReason::decode(self.reason.load(Ordering::Relaxed));
        (reason, self.since.load(Ordering::Relaxed))
    }
}

/// How stale the coarse clock may get from the workers' own readings (1 ms).
const RESOLUTION: u64 = 1_000_000;

/// A runtime's clock for bookkeeping: nanoseconds since the runtime started.
///
/// [`Clock::coarse`] is a relaxed load of the last time anyone read the real clock (workers
/// do when they check timers, the monitor on every tick), so parks can be stamped without a
/// system call. It lags by at most a monitor tick while the runtime is busy.
#[derive(Debug)]
pub(crate) struct Clock {
    epoch: Instant,
    last: AtomicU64,
}

impl Clock {
    pub(crate) fn new(epoch: Instant) -> Clock {
        Clock {
            epoch,
            last: AtomicU64::new(0),
        }
    }

    /// When this clock reads zero.
    pub(crate) fn epoch(&self) -> Instant {
        self.epoch
    }

    /// `t` on this clock.
    #[inline]
    pub(crate) fn at(&self, t: Instant) -> u64 {
        u64::try_from(t.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(NEVER - 1)
    }

    /// Notes that the real time is `now`. Writes at most once per [`RESOLUTION`], so the
    /// line stays shared in every worker's cache.
    #[inline]
    pub(crate) fn observe(&self, now: Instant) {
        self.observe_at(self.at(now));
    }

    /// [`Clock::observe`] for a time already on this clock.
    #[inline]
    pub(crate) fn observe_at(&self, at: u64) {
        if at > self.last.load(Ordering::Relaxed) + RESOLUTION {
            self.last.fetch_max(at, Ordering::Relaxed);
        }
    }

    /// The real time now (and notes it).
    pub(crate) fn now(&self) -> u64 {
        let at = self.at(Instant::now());
        self.last.fetch_max(at, Ordering::Relaxed);
        at
    }

    /// The last observed time: cheap, and at most a monitor tick behind.
    #[inline]
    pub(crate) fn coarse(&self) -> u64 {
        self.last.load(Ordering::Relaxed)
    }
}

/// `later - earlier` clock nanoseconds as a duration (zero if the order is reversed).
pub(crate) fn span(earlier: u64, later: u64) -> Duration {
    Duration::from_nanos(later.saturating_sub(earlier))
}
