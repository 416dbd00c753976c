//! Idle workers: who sleeps where, and how new work wakes one.
//!
//! An idle worker takes one of two roles:
//!
//! - **poller**: at most one at a time. It waits in the reactor (`Poller::wait`) with the next
//!   timer deadline as its timeout, so timers and I/O readiness wake it; `Poller::notify()`
//!   wakes it for new work.
//! - **sleeper**: every other idle worker, on its own condvar, until someone hands it work.
//!
//! # Not losing a wake-up
//!
//! A worker about to sleep registers first (under `state`, bumping `sleeping`), then, after
//! a `SeqCst` fence, looks once more for work; a producer pushes first, then, after a `SeqCst`
//! fence, reads `sleeping`. One of the two sees the other: either the worker finds the work and
//! cancels its sleep, or the producer sees a sleeper and wakes it. Work pushed to one worker's
//! inbox is handled the same way by [`Idle::wake_worker`].
//!
//! `searching` counts workers that are awake and looking for work; while one is, producers
//! skip the wake-up (it will find the work), which keeps a burst of spawns from waking every
//! worker in turn, or waking the same one again and again. A worker woken by
//! [`Idle::notify_one`] is counted as searching *by its waker*, before it even runs, so the
//! producer's next pushes do not wake it (or another) again while it gets up; the worker
//! leaves the count when it finds work or goes back to sleep.
//!
//! # Ground rules
//!
//! `state` guards `asleep` and `polling`; `sleeping` is changed only with `state` held and
//! mirrors `asleep.len() + polling.is_some()` for the lock-free check.

#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicUsize, Ordering, fence};

use parking_lot::{Condvar, Mutex};

use crate::reactor::Reactor;

/// Where an idle worker waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// In the reactor, owning timers and I/O.
    Poller,
    /// On its own condvar.
    Sleeper,
}

#[derive(Debug)]
pub(crate) struct Idle {
    state: Mutex<State>,
    /// Workers registered as idle (either role); see ground rules.
    sleeping: AtomicUsize,
    /// Workers awake and looking for work.
    searching: AtomicUsize,
    sleepers: Box<[Sleeper]>,
}

#[derive(Debug, Default)]
struct State {
    asleep: Vec<usize>,
    polling: Option<usize>,
    /// The poller was notified by `notify_one` (and counted as searching) since it began.
    poll_notified: bool,
    shutdown: bool,
}

/// Why a sleeper was woken.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Woken {
    #[default]
    No,
    /// For a reason of its own (its inbox, shutdown).
    Plain,
    /// By `notify_one`, which counted it as searching.
    Searching,
}

#[derive(Debug, Default)]
struct Sleeper {
    woken: Mutex<Woken>,
    cv: Condvar,
}

impl Sleeper {
    fn wake(&self, how: Woken) {
        let mut woken = self.woken.lock();
        if *woken != Woken::Searching {
            *woken = how;
        }
        self.cv.notify_one();
    }
}

impl Idle {
    pub(crate) fn new(workers: usize) -> Idle {
        Idle {
            state: Mutex::new(State::default()),
            sleeping: AtomicUsize::new(0),
            searching: AtomicUsize::new(0),
            sleepers: (0..workers).map(|_| Sleeper::default()).collect(),
        }
    }

    /// Wakes one idle worker to pick up new shared work (injector, a stealable deque).
    #[inline]
    pub(crate) fn notify_one(&self, reactor: &Reactor) {
        fence(Ordering::SeqCst);
        if self.searching.load(Ordering::SeqCst) > 0 || self.sleeping.load(Ordering::SeqCst) == 0 {
            return;
        }
        self.notify_one_slow(reactor);
    }

    #[cold]
    fn notify_one_slow(&self, reactor: &Reactor) {
        let mut st = self.state.lock();
        if self.searching.load(Ordering::SeqCst) > 0 {
            return;
        }
        if let Some(w) = st.asleep.pop() {
            self.sleeping.fetch_sub(1, Ordering::SeqCst);
            self.searching.fetch_add(1, Ordering::SeqCst);
            drop(st);
            self.sleepers[w].wake(Woken::Searching);
        } else if st.polling.is_some() && !st.poll_notified {
            st.poll_notified = true;
            self.searching.fetch_add(1, Ordering::SeqCst);
            drop(st);
            reactor.notify();
        }
    }

    /// Wakes worker `w` in particular (work landed in its inbox).
    pub(crate) fn wake_worker(&self, w: usize, reactor: &Reactor) {
        fence(Ordering::SeqCst);
        if self.sleeping.load(Ordering::SeqCst) == 0 {
            return;
        }
        let mut st = self.state.lock();
        if let Some(pos) = st.asleep.iter().position(|&s| s == w) {
            st.asleep.swap_remove(pos);
            self.sleeping.fetch_sub(1, Ordering::SeqCst);
            drop(st);
            self.sleepers[w].wake(Woken::Plain);
        } else if st.polling == Some(w) {
            drop(st);
            reactor.notify();
        }
    }

    /// Wakes every worker for good (shutdown): no one may go to sleep after this.
    pub(crate) fn wake_all(&self, reactor: &Reactor) {
        let mut st = self.state.lock();
        st.shutdown = true;
        let asleep = std::mem::take(&mut st.asleep);
        self.sleeping.fetch_sub(asleep.len(), Ordering::SeqCst);
        drop(st);
        for w in asleep {
            self.sleepers[w].wake(Woken::Plain);
        }
        reactor.notify();
    }

    pub(crate) fn start_searching(&self) {
        self.searching.fetch_add(1, Ordering::SeqCst);
    }

    /// Returns whether the caller was the last searching worker.
    pub(crate) fn stop_searching(&self) -> bool {
        self.searching.fetch_sub(1, Ordering::SeqCst) == 1
    }

    /// Registers worker `w` as idle and tells it its role; `None` when shutting down. The
    /// caller must look for work once more afterwards (module docs) and call
    /// [`Idle::cancel_sleep`] if it finds some.
    pub(crate) fn prepare_sleep(&self, w: usize) -> Option<Role> {
        let mut st = self.state.lock();
        if st.shutdown {
            return None;
        }
        let role = if st.polling.is_none() {
            st.polling = Some(w);
            Role::Poller
        } else {
            st.asleep.push(w);
            Role::Sleeper
        };
        self.sleeping.fetch_add(1, Ordering::SeqCst);
        drop(st);
        fence(Ordering::SeqCst);
        Some(role)
    }

    /// Undoes [`Idle::prepare_sleep`] (work turned up in the last look). Returns whether a
    /// waker counted the worker as searching meanwhile (it must leave that count later).
    pub(crate) fn cancel_sleep(&self, w: usize, role: Role) -> bool {
        let mut st = self.state.lock();
        match role {
            Role::Poller => {
                st.polling = None;
                self.sleeping.fetch_sub(1, Ordering::SeqCst);
                std::mem::take(&mut st.poll_notified)
            }
            Role::Sleeper => {
                if let Some(pos) = st.asleep.iter().position(|&s| s == w) {
                    st.asleep.swap_remove(pos);
                    self.sleeping.fetch_sub(1, Ordering::SeqCst);
                    false
                } else {
                    // Someone took us off the list meanwhile; we are up anyway. Its wake-up
                    // (made after it let go of `state`) may not have landed yet: wait for it,
                    // so it cannot cut a later sleep of ours short by mistake.
                    drop(st);
                    self.sleep(w)
                }
            }
        }
    }

    /// Sleeps on worker `w`'s condvar until woken (the waker has unregistered it). Returns
    /// whether the waker counted it as searching.
    pub(crate) fn sleep(&self, w: usize) -> bool {
        let sleeper = &self.sleepers[w];
        let mut woken = sleeper.woken.lock();
        while *woken == Woken::No {
            sleeper.cv.wait(&mut woken);
        }
        std::mem::take(&mut *woken) == Woken::Searching
    }

    /// The poller is done waiting. Returns whether a waker counted it as searching.
    pub(crate) fn end_poll(&self) -> bool {
        let mut st = self.state.lock();
        st.polling = None;
        self.sleeping.fetch_sub(1, Ordering::SeqCst);
        std::mem::take(&mut st.poll_notified)
    }
}
