//! The reactor: the `polling::Poller`, the registered I/O sources, readiness -> wake-up.
//!
//! # The I/O protocol
//!
//! Every descriptor the crate does I/O on is non-blocking and registered once, when it is
//! created, edge-triggered for both directions ([`Reactor::register`]). A [`Source`] keeps,
//! per direction, a *tick*: the number of readiness edges the reactor has seen. An operation
//! runs like this (see [`crate::io::Async`]):
//!
//! 1. read the direction's tick (an atomic load, no syscall);
//! 2. try the syscall; if it does not return `WouldBlock`, done. Data already there costs
//!    exactly this one syscall;
//! 3. else [`Reactor::wait_io`]: under the source's lock, if the tick moved since step 1 an
//!    edge arrived meanwhile, so go back to 1; else put the calling thread in the
//!    direction's waiter list and [`block`](crate::thread::block) until woken or the deadline.
//!
//! The dispatcher bumps the tick and takes the waiters under the same lock, so an edge is
//! either seen by the re-check in step 3 or wakes the registered waiter: no lost wake-up,
//! and no `epoll_ctl` per wait.
//!
//! Each direction has a waiter list rather than a single slot, because `&TcpStream` lets
//! several green threads wait on one socket; it holds zero or one thread almost always.
//!
//! A plain OS thread (no green thread) does step 3 with `poll(2)` on the descriptor itself,
//! as std's blocking sockets do, so it needs no worker to dispatch for it.
//!
//! # Who polls
//!
//! Holding `polling` is the exclusive right to call `Poller::wait` and dispatch. The idle
//! poller worker holds it while it waits (with the next timer deadline as timeout, see
//! `scheduler::idle`); busy workers try to take it every 61 picks for a zero-timeout poll
//! ([`Reactor::poll_ready`]), so ready I/O is picked up even when no worker goes idle.
//!
//! # Notifications
//!
//! `polling` clears its notification on every wait, including a busy worker's zero-timeout
//! poll, which could swallow a `notify` meant for a worker that is about to become the
//! poller. So `notify` also sets `notified`, which only the blocking [`Reactor::wait`]
//! consumes (turning its wait into a zero-timeout poll).
//!
//! # Lock order
//!
//! `polling` -> `sources` -> a source's `waiters`. Wake-ups run after `sources` is released
//! (they may schedule, which may `notify`: no reactor lock is taken there). `wait_io` holds
//! only `waiters`, and never across `block`.
//!
//! # Stale events
//!
//! A source's key is its slot in `sources` plus the slot's generation. Deregistering
//! deletes the fd from the poller and frees the slot; the next source in that slot gets a new
//! generation, so an event for the old one still sitting in a batch (or a reused fd number)
//! never wakes the new owner.

use std::io;
use std::os::fd::RawFd;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use polling::{Event, Events, PollMode, Poller};

use crate::coroutine::current_task;
use crate::runtime::WaitReason;
use crate::thread::{self, Thread};

/// A direction of readiness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dir {
    Read = 0,
    Write = 1,
}

/// Bits of a key that hold the slot index; the rest hold the generation.
const INDEX_BITS: u32 = usize::BITS / 2;
const INDEX_MASK: usize = (1 << INDEX_BITS) - 1;

#[derive(Debug)]
pub(crate) struct Reactor {
    poller: Poller,
    /// `Edge` where the platform has it (Linux: yes); `Oneshot` otherwise, re-armed per wait.
    mode: PollMode,
    /// Set by [`Reactor::notify`], consumed only by the blocking [`Reactor::wait`].
    notified: AtomicBool,
    /// Holding this lock is the exclusive right to poll (module docs).
    polling: Mutex<PollState>,
    /// Guards the slot table; the dispatcher holds it while it looks up a batch.
    sources: Mutex<Slab>,
    /// Registered sources, mirrored for the lock-free "anything to poll?" check of busy
    /// workers: with none, their periodic zero-timeout poll skips the system call.
    live: AtomicUsize,
    /// Polls made and readiness events dispatched (stats); written under `polling`.
    polls: AtomicU64,
    events: AtomicU64,
}

#[derive(Debug)]
struct PollState {
    events: Events,
    /// Threads to wake after a dispatch, collected so no lock is held while waking.
    wake: Vec<Thread>,
}

#[derive(Debug, Default)]
struct Slab {
    slots: Vec<Slot>,
    free: Vec<usize>,
}

#[derive(Debug, Default)]
struct Slot {
    generation: usize,
    source: Option<Arc<Source>>,
}

/// One registered descriptor: its readiness ticks, waiters, and wait policy.
#[derive(Debug)]
pub(crate) struct Source {
    fd: RawFd,
    /// Slot index and generation (module docs, "Stale events").
    key: usize,
    /// Readiness edges seen per direction; bumped only with `waiters` held.
    ticks: [AtomicU64; 2],
    /// Threads waiting per direction. Usually zero or one each.
    waiters: Mutex<[Vec<Thread>; 2]>,
    /// Per-direction timeout in nanoseconds (`NO_TIMEOUT`: none), for `set_read_timeout`.
    timeouts: [AtomicU64; 2],
    /// `set_nonblocking(true)`: return `WouldBlock` instead of waiting.
    nonblocking: AtomicBool,
}

const NO_TIMEOUT: u64 = u64::MAX;

impl Source {
    /// The readiness tick of `dir` (step 1 of the protocol).
    #[inline]
    pub(crate) fn tick(&self, dir: Dir) -> u64 {
        self.ticks[dir as usize].load(Ordering::Acquire)
    }

    pub(crate) fn fd(&self) -> RawFd {
        self.fd
    }

    pub(crate) fn timeout(&self, dir: Dir) -> Option<Duration> {
        match self.timeouts[dir as usize].load(Ordering::Relaxed) {
            NO_TIMEOUT => None,
            n => Some(Duration::from_nanos(n)),
        }
    }

    pub(crate) fn set_timeout(&self, dir: Dir, t: Option<Duration>) {
        let n = t.map_or(NO_TIMEOUT, |d| {
            u64::try_from(d.as_nanos()).map_or(NO_TIMEOUT - 1, |n| n.min(NO_TIMEOUT - 1))
        });
        self.timeouts[dir as usize].store(n, Ordering::Relaxed);
    }

    pub(crate) fn is_nonblocking(&self) -> bool {
        self.nonblocking.load(Ordering::Relaxed)
    }

    pub(crate) fn set_nonblocking(&self, on: bool) {
        self.nonblocking.store(on, Ordering::Relaxed);
    }
}

impl Reactor {
    pub(crate) fn new() -> io::Result<Reactor> {
        let poller = Poller::new()?;
        let mode = if poller.supports_edge() {
            PollMode::Edge
        } else {
            PollMode::Oneshot
        };
        Ok(Reactor {
            poller,
            mode,
            notified: AtomicBool::new(false),
            polling: Mutex::new(PollState {
                events: Events::new(),
                wake: Vec::new(),
            }),
            sources: Mutex::new(Slab::default()),
            live: AtomicUsize::new(0),
            polls: AtomicU64::new(0),
            events: AtomicU64::new(0),
        })
    }

    /// (Polls made, readiness events dispatched, sources registered now), for the stats.
    pub(crate) fn counts(&self) -> (u64, u64, usize) {
        (
            self.polls.load(Ordering::Relaxed),
            self.events.load(Ordering::Relaxed),
            self.live.load(Ordering::Relaxed),
        )
    }

    /// Cuts the poller's wait short (or makes the next one return at once).
    pub(crate) fn notify(&self) {
        self.notified.store(true, Ordering::SeqCst);
        // Fails only if the notification eventfd is broken, and then waits still time out.
        let _ = self.poller.notify();
    }

    /// Waits for I/O readiness, a notification, or the timeout, and wakes the threads whose
    /// I/O became ready. Called by the idle poller worker.
    pub(crate) fn wait(&self, timeout: Option<Duration>) {
        let mut st = self.polling.lock();
        let timeout = if self.notified.swap(false, Ordering::SeqCst) {
            Some(Duration::ZERO)
        } else {
            timeout
        };
        self.poll_locked(&mut st, timeout);
    }

    /// A zero-timeout poll, if no one else is polling: busy workers call this on a tick.
    pub(crate) fn poll_ready(&self) {
        if self.live.load(Ordering::Relaxed) == 0 {
            return;
        }
        if let Some(mut st) = self.polling.try_lock() {
            self.poll_locked(&mut st, Some(Duration::ZERO));
        }
    }

    fn poll_locked(&self, st: &mut PollState, timeout: Option<Duration>) {
        st.events.clear();
        // `polling` retries EINTR itself; another error leaves nothing to dispatch.
        let result = self.poller.wait(&mut st.events, timeout);
        // Only the holder of `polling` writes these: a load and a store suffice.
        let bump =
            |c: &AtomicU64, n: u64| c.store(c.load(Ordering::Relaxed) + n, Ordering::Relaxed);
        bump(&self.polls, 1);
        bump(&self.events, st.events.len() as u64);
        if result.is_err() || st.events.is_empty() {
            return;
        }
        {
            let slab = self.sources.lock();
            for ev in st.events.iter() {
                let Some(slot) = slab.slots.get(ev.key & INDEX_MASK) else {
                    continue;
                };
                let Some(source) = &slot.source else { continue };
                if source.key != ev.key {
                    continue; // a previous owner of the slot (module docs, "Stale events")
                }
                let mut waiters = source.waiters.lock();
                for (dir, ready) in [(Dir::Read, ev.readable), (Dir::Write, ev.writable)] {
                    if ready {
                        source.ticks[dir as usize].fetch_add(1, Ordering::Release);
                        st.wake.append(&mut waiters[dir as usize]);
                    }
                }
            }
        }
        for thread in st.wake.drain(..) {
            // A wake-up only queues a green thread or signals an OS thread; should it ever
            // panic, the reactor and the other wake-ups of the batch carry on.
            let _ = catch_unwind(AssertUnwindSafe(|| thread.wake()));
        }
    }

    /// Registers `fd` for edge-triggered readiness in both directions.
    ///
    /// # Safety
    ///
    /// `fd` must stay open until [`Reactor::deregister`] is called with the returned source
    /// (the poller would otherwise watch a closed or reused descriptor).
    pub(crate) unsafe fn register(&self, fd: RawFd) -> io::Result<Arc<Source>> {
        let mut slab = self.sources.lock();
        let index = match slab.free.pop() {
            Some(i) => i,
            None => {
                if slab.slots.len() >= INDEX_MASK {
                    return Err(io::Error::other("too many registered I/O sources"));
                }
                slab.slots.push(Slot::default());
                slab.slots.len() - 1
            }
        };
        let slot = &mut slab.slots[index];
        slot.generation = (slot.generation + 1) & (usize::MAX >> INDEX_BITS >> 1);
        let key = (slot.generation << INDEX_BITS) | index;
        let source = Arc::new(Source {
            fd,
            key,
            ticks: [AtomicU64::new(0), AtomicU64::new(0)],
            waiters: Mutex::new([Vec::new(), Vec::new()]),
            timeouts: [AtomicU64::new(NO_TIMEOUT), AtomicU64::new(NO_TIMEOUT)],
            nonblocking: AtomicBool::new(false),
        });
        slot.source = Some(source.clone());
        // SAFETY: the caller keeps `fd` open until `deregister`, which deletes it from the
        // poller first. The key's top bit is clear, so it is never polling's NOTIFY_KEY.
        let added = unsafe { self.poller.add_with_mode(fd, Event::all(key), self.mode) };
        if let Err(e) = added {
            slot.source = None;
            slab.free.push(index);
            return Err(e);
        }
        self.live.fetch_add(1, Ordering::Relaxed);
        Ok(source)
    }

    /// Removes a source: no event for it is dispatched after this returns.
    pub(crate) fn deregister(&self, source: &Source) {
        // SAFETY: the descriptor is still open here (register's contract).
        let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(source.fd) };
        // Fails only if the fd is not registered (it is); nothing useful to do otherwise.
        let _ = self.poller.delete(fd);
        let mut slab = self.sources.lock();
        let index = source.key & INDEX_MASK;
        if let Some(slot) = slab.slots.get_mut(index) {
            if slot.source.as_ref().is_some_and(|s| s.key == source.key) {
                slot.source = None;
                slab.free.push(index);
                self.live.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    /// Step 3 of the protocol: waits until `dir`'s tick differs from `tick` (an edge since
    /// the caller's failed syscall), or `deadline`.
    ///
    /// # Errors
    ///
    /// `WouldBlock` (`EAGAIN`, what std gives for an expired socket timeout) at the deadline;
    /// `Other` if the runtime is unwinding the calling green thread (shutdown).
    ///
    /// # Panics
    ///
    /// Unwinds with `Cancelled::Requested` if the calling green thread is cancelled while
    /// it waits (`block` raises it); its waiter entry is removed as it unwinds.
    #[cold]
    pub(crate) fn wait_io(
        &self,
        source: &Source,
        dir: Dir,
        tick: u64,
        deadline: Option<Instant>,
    ) -> io::Result<()> {
        let Some(task) = current_task() else {
            // A plain OS thread blocks in poll(2) on the descriptor itself, as std would.
            return match crate::sys::poll_fd(source.fd, dir == Dir::Write, deadline)? {
                true => Ok(()),
                false => Err(timed_out()),
            };
        };
        let me = thread::current();
        let mut waiters = source.waiters.lock();
        let result = loop {
            if source.tick(dir) != tick {
                break Ok(());
            }
            if task.is_cancelling() {
                break Err(io::Error::other("the greenthread runtime is shutting down"));
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break Err(timed_out());
            }
            let list = &mut waiters[dir as usize];
            if !list.iter().any(|t| t.id() == me.id()) {
                list.push(me.clone());
            }
            drop(waiters);
            if self.mode == PollMode::Oneshot {
                // SAFETY: the descriptor is open while it is registered (register's contract).
                let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(source.fd) };
                self.poller
                    .modify_with_mode(fd, Event::all(source.key), PollMode::Oneshot)?;
            }
            let reason = match dir {
                Dir::Read => WaitReason::Read { fd: source.fd },
                Dir::Write => WaitReason::Write { fd: source.fd },
            };
            // A cancellation unwinds from `block`: the guard takes us off the list.
            let unlist = Unlist {
                source,
                dir,
                me: &me,
            };
            thread::block(reason, deadline);
            std::mem::forget(unlist);
            waiters = source.waiters.lock();
        };
        unlist(&mut waiters, dir, &me);
        result
    }
}

/// Takes `me` off `dir`'s waiter list.
fn unlist(waiters: &mut [Vec<Thread>; 2], dir: Dir, me: &Thread) {
    waiters[dir as usize].retain(|t| t.id() != me.id());
}

/// Takes a waiter whose wait unwinds (cancelled) off the source's list, so it is not kept
/// alive or woken by the next edge. The source itself is untouched: edges are counted, not
/// consumed, so the other waiters and the next operation see every one.
struct Unlist<'a> {
    source: &'a Source,
    dir: Dir,
    me: &'a Thread,
}

impl Drop for Unlist<'_> {
    fn drop(&mut self) {
        unlist(&mut self.source.waiters.lock(), self.dir, self.me);
    }
}

/// The error of an expired socket timeout, as std gives it on Unix.
pub(crate) fn timed_out() -> io::Error {
    io::Error::from_raw_os_error(libc::EAGAIN)
}
