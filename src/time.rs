//! Timers: wake a thread at a deadline. Behind `sleep`, `park_timeout` and every timeout.
//!
//! One ordered map per runtime, keyed by (deadline, sequence number), so inserting,
//! cancelling and finding the earliest are `O(log n)`, and a cancelled timer leaves nothing
//! behind. The earliest deadline is mirrored in an atomic so busy workers can check "is a
//! timer due?" every 61 picks without taking the lock.
//!
//! The idle worker that owns the reactor waits until the earliest deadline. While it waits,
//! `polling_until` records that deadline; a timer inserted earlier than it tells the caller to
//! `notify` the reactor so the wait is cut short and recomputed.

#![forbid(unsafe_code)]

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::thread::{Thread, ThreadId};

/// Identifies one timer, to cancel it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct TimerKey(Instant, u64);

#[derive(Debug)]
pub(crate) struct Timers {
    inner: Mutex<Inner>,
    /// The earliest deadline in nanoseconds after `epoch`, `u64::MAX` when there is none.
    next: AtomicU64,
    epoch: Instant,
    /// Timers fired so far (stats); written under `inner`.
    fired: AtomicU64,
}

#[derive(Debug, Default)]
struct Inner {
    map: BTreeMap<TimerKey, Thread>,
    seq: u64,
    /// `Some(deadline)` while the poller waits (`Some(None)`: without a deadline).
    polling_until: Option<Option<Instant>>,
}

impl Timers {
    /// Timers whose deadlines count from `epoch` (the runtime's [`Clock`]'s, so a worker
    /// reads the time once for both).
    ///
    /// [`Clock`]: crate::runtime::wait::Clock
    pub(crate) fn new(epoch: Instant) -> Timers {
        Timers {
            inner: Mutex::new(Inner::default()),
            next: AtomicU64::new(u64::MAX),
            epoch,
            fired: AtomicU64::new(0),
        }
    }

    fn nanos(&self, t: Instant) -> u64 {
        u64::try_from(t.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX - 1)
    }

    fn publish_next(&self, inner: &Inner) {
        let next = inner
            .map
            .keys()
            .next()
            .map_or(u64::MAX, |k| self.nanos(k.0));
        self.next.store(next, Ordering::Release);
    }

    /// Adds a timer. The flag says whether the waiting poller must be notified (the new
    /// deadline is earlier than the one it waits for).
    pub(crate) fn insert(&self, deadline: Instant, thread: Thread) -> (TimerKey, bool) {
        let mut inner = self.inner.lock();
        inner.seq += 1;
        let key = TimerKey(deadline, inner.seq);
        inner.map.insert(key, thread);
        let earliest = inner.map.keys().next() == Some(&key);
        if earliest {
            self.next.store(self.nanos(deadline), Ordering::Release);
        }
        let notify = match inner.polling_until {
            None => false,
            Some(None) => true,
            Some(Some(until)) => deadline < until,
        };
        (key, notify)
    }

    /// Cancels a timer; nothing happens if it already fired.
    pub(crate) fn remove(&self, key: TimerKey) {
        let mut inner = self.inner.lock();
        let removed = inner.map.remove(&key);
        if removed.is_some() {
            self.publish_next(&inner);
        }
        drop(inner);
        drop(removed);
    }

    /// Whether a timer may be due at `now`, in nanoseconds after the epoch (lock-free).
    #[inline]
    pub(crate) fn is_due(&self, now: u64) -> bool {
        self.next.load(Ordering::Acquire) <= now
    }

    /// Removes the timers due at `now` and returns the threads to wake.
    pub(crate) fn fire_due(&self, now: Instant) -> Vec<Thread> {
        let mut inner = self.inner.lock();
        let later = inner.map.split_off(&TimerKey(now, u64::MAX));
        let due = std::mem::replace(&mut inner.map, later);
        self.publish_next(&inner);
        let fired = self.fired.load(Ordering::Relaxed) + due.len() as u64;
        self.fired.store(fired, Ordering::Relaxed);
        drop(inner);
        due.into_values().collect()
    }

    /// The poller is about to wait: returns how long it may, and records it.
    pub(crate) fn begin_poll(&self, now: Instant) -> Option<Duration> {
        let mut inner = self.inner.lock();
        let deadline = inner.map.keys().next().map(|k| k.0);
        inner.polling_until = Some(deadline);
        deadline.map(|d| d.saturating_duration_since(now))
    }

    /// The poller stopped waiting.
    pub(crate) fn end_poll(&self) {
        self.inner.lock().polling_until = None;
    }

    /// (Timers pending now, timers fired so far), for the stats.
    pub(crate) fn counts(&self) -> (usize, u64) {
        let pending = self.inner.lock().map.len();
        (pending, self.fired.load(Ordering::Relaxed))
    }

    /// The earliest deadline of each thread with a timer (for the dump).
    pub(crate) fn deadlines(&self) -> HashMap<ThreadId, Instant> {
        let inner = self.inner.lock();
        let mut out = HashMap::new();
        for (key, thread) in inner.map.iter() {
            out.entry(thread.id()).or_insert(key.0);
        }
        out
    }

    /// Drops every timer (runtime shutdown).
    pub(crate) fn clear(&self) {
        let map = std::mem::take(&mut self.inner.lock().map);
        self.next.store(u64::MAX, Ordering::Release);
        drop(map);
    }
}
