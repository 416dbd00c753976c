//! The timer flavours of a [`Receiver`](super::Receiver): what [`after`](super::after),
//! [`at`](super::at) and [`tick`](super::tick) return, a channel with no sender whose
//! messages are instants, made by the clock.
//!
//! A timer holds no queue and no waiters: its one message is *due* once the clock passes
//! its delivery time, and taking it is one atomic step (a swap for `at`, a compare-and-swap
//! of the next delivery time for `tick`), so any number of receivers may race for it and
//! exactly one wins each delivery. A blocked `recv` sleeps until the delivery time with
//! the crate's timers ([`crate::thread::sleep_until`]): a green thread parks, its worker
//! runs others; an OS thread sleeps. A [`Select`](super::Select) waits for the earliest
//! delivery time of its timer operations as its deadline, then looks again.
//!
//! As in crossbeam-channel:
//!
//! - `at(when)` delivers `when` once, to one receiver; afterwards it is empty for good.
//! - `tick(period)` delivers its delivery time, then the next one is `period` after the
//!   later of that time and the moment it was received: ticks missed while no one received
//!   are dropped, not delivered in a burst. A blocking `recv` claims the next tick before it
//!   sleeps, so concurrent receivers get successive ticks.
//! - Both report a capacity of 1, and a length of 1 while a delivery is due, else 0.

#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::error::{RecvTimeoutError, TryRecvError};
use crate::runtime::WaitReason;

/// One timer channel, shared by the clones of its receiver.
#[derive(Debug)]
pub(crate) enum Timer {
    /// Delivers `when` once; `received` once someone took it.
    At { when: Instant, received: AtomicBool },
    /// Delivers `next`, then every `period` (missed ticks dropped, see the module docs).
    /// The lock is held for a read or a compare-and-swap only, never across a wait.
    Tick {
        next: Mutex<Instant>,
        period: Duration,
    },
}

impl Timer {
    pub(crate) fn at(when: Instant) -> Timer {
        Timer::At {
            when,
            received: AtomicBool::new(false),
        }
    }

    pub(crate) fn tick(first: Instant, period: Duration) -> Timer {
        Timer::Tick {
            next: Mutex::new(first),
            period,
        }
    }

    /// The delivery due now, if any.
    pub(crate) fn try_recv(&self) -> Result<Instant, TryRecvError> {
        match self {
            Timer::At { when, received } => {
                if received.load(Ordering::Relaxed) || Instant::now() < *when {
                    return Err(TryRecvError::Empty);
                }
                if received.swap(true, Ordering::AcqRel) {
                    Err(TryRecvError::Empty)
                } else {
                    Ok(*when)
                }
            }
            Timer::Tick { next, period } => {
                let now = Instant::now();
                let mut next = next.lock();
                if now < *next {
                    return Err(TryRecvError::Empty);
                }
                let due = *next;
                *next = later(now, *period);
                Ok(due)
            }
        }
    }

    /// Waits for the next delivery, until `deadline` at the latest.
    pub(crate) fn recv(&self, deadline: Option<Instant>) -> Result<Instant, RecvTimeoutError> {
        match self {
            Timer::At { when, received } => {
                if !received.load(Ordering::Relaxed) {
                    match deadline {
                        Some(d) if d < *when => {
                            sleep_until(Some(d));
                            return Err(RecvTimeoutError::Timeout);
                        }
                        _ => sleep_until(Some(*when)),
                    }
                    if !received.swap(true, Ordering::AcqRel) {
                        return Ok(*when);
                    }
                }
                // Delivered to someone else: nothing will ever come.
                sleep_until(deadline);
                Err(RecvTimeoutError::Timeout)
            }
            Timer::Tick { next, period } => {
                let due = {
                    let now = Instant::now();
                    let mut next = next.lock();
                    let due = *next;
                    if let Some(d) = deadline
                        && d < due
                    {
                        drop(next);
                        sleep_until(Some(d));
                        return Err(RecvTimeoutError::Timeout);
                    }
                    // Claimed before the wait: the next receiver waits for the tick after.
                    *next = later(due.max(now), *period);
                    due
                };
                sleep_until(Some(due));
                Ok(due)
            }
        }
    }

    /// When the next delivery is due (`None`: never again).
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self {
            Timer::At { when, received } => (!received.load(Ordering::Relaxed)).then_some(*when),
            Timer::Tick { next, .. } => Some(*next.lock()),
        }
    }

    /// Whether a delivery is due now.
    pub(crate) fn is_ready(&self) -> bool {
        match self {
            Timer::At { when, received } => {
                !received.load(Ordering::Acquire) && Instant::now() >= *when
            }
            Timer::Tick { next, .. } => Instant::now() >= *next.lock(),
        }
    }
}

/// `from + period`, or as late as the clock goes (a period too long to add never ticks).
fn later(from: Instant, period: Duration) -> Instant {
    from.checked_add(period).unwrap_or_else(|| far_future(from))
}

/// An instant no deadline reaches: a wait for it is a wait forever.
fn far_future(from: Instant) -> Instant {
    // About 30 years: far beyond any wait, and representable on every platform.
    from.checked_add(Duration::from_secs(1 << 30))
        .unwrap_or(from)
}

/// Sleeps until `deadline`, or for ever (`None`), parking a green thread rather than its
/// worker. Returns early only while the runtime unwinds the green thread at shutdown, whose
/// waits return at once.
pub(crate) fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => crate::thread::sleep_until(d),
        None => loop {
            crate::thread::block(WaitReason::ChannelRecv, None);
            if crate::sync::waiter::Waiter::unwinding() {
                return;
            }
        },
    }
}
