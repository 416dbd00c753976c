//! Loom model of the park state machine (`src/thread/parker.rs`, compiled here as is).
//!
//! The property: a green thread that commits to parking is scheduled by exactly one waker,
//! and one that does not park is never scheduled, whatever the interleaving. A lost
//! wake-up shows as "parked, never scheduled"; a double queueing as "scheduled twice" or
//! "scheduled while not parked".
//!
//! Run: `cargo test --release --test loom_parker` (exhaustive within loom's bounds).

#![allow(dead_code)]
// Not under AddressSanitizer (scripts/sanitize.sh): loom runs each modelled thread on a
// stack of its own (the `generator` crate) without telling the sanitizer, which then cannot
// follow its switches, and the thousands of interleavings it explores take many minutes at
// the sanitizer's speed. The model checks orderings, not memory; the code it compiles runs
// under the sanitizer in the rest of the suite.
#![cfg(not(asan))]

/// The atomics `parker.rs` imports as `crate::loom::sync::atomic`, from loom.
mod loom {
    pub(crate) mod sync {
        pub(crate) mod atomic {
            pub(crate) use ::loom::sync::atomic::{AtomicU8, Ordering};
        }
    }
}

#[path = "../src/thread/parker.rs"]
mod parker;

use ::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use ::loom::sync::{Arc, Condvar, Mutex};
use ::loom::thread;
use parker::{ParkState, Wake};

/// Runs `f` under loom with a preemption bound that keeps CI time in seconds (the bugs
/// this guards against need one or two preemptions).
fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = ::loom::model::Builder::new();
    b.preemption_bound = Some(3);
    b.check(f);
}

/// The green thread's side of one wait: check the condition, take a pending notification,
/// else suspend and let the worker commit the park. Returns whether it ended up PARKED.
fn wait_once(state: &ParkState, cond: &AtomicBool) -> bool {
    if cond.load(Ordering::Acquire) {
        return false;
    }
    if state.take_notification() {
        return false;
    }
    // (the coroutine suspends here; the worker, on its own stack, commits)
    state.commit_park()
}

/// A waker: make the condition true, then wake; returns whether it must schedule.
fn wake(state: &ParkState, cond: &AtomicBool) -> bool {
    cond.store(true, Ordering::Release);
    state.wake() == Wake::Schedule
}

#[test]
fn one_waker_never_loses_or_duplicates_a_wake_up() {
    model(|| {
        let state = Arc::new(ParkState::new());
        let cond = Arc::new(AtomicBool::new(false));
        let scheduled = Arc::new(AtomicUsize::new(0));
        let waker = {
            let (state, cond, scheduled) = (state.clone(), cond.clone(), scheduled.clone());
            thread::spawn(move || {
                if wake(&state, &cond) {
                    scheduled.fetch_add(1, Ordering::Relaxed);
                }
            })
        };
        let parked = wait_once(&state, &cond);
        waker.join().unwrap();
        let scheduled = scheduled.load(Ordering::Relaxed);
        assert_eq!(
            scheduled,
            usize::from(parked),
            "parked={parked} scheduled={scheduled}"
        );
    });
}

#[test]
fn two_wakers_schedule_a_parked_thread_exactly_once() {
    model(|| {
        let state = Arc::new(ParkState::new());
        let cond = Arc::new(AtomicBool::new(false));
        let scheduled = Arc::new(AtomicUsize::new(0));
        let wakers: Vec<_> = (0..2)
            .map(|_| {
                let (state, cond, scheduled) = (state.clone(), cond.clone(), scheduled.clone());
                thread::spawn(move || {
                    if wake(&state, &cond) {
                        scheduled.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        let parked = wait_once(&state, &cond);
        for w in wakers {
            w.join().unwrap();
        }
        assert_eq!(scheduled.load(Ordering::Relaxed), usize::from(parked));
    });
}

#[test]
fn a_green_thread_waiting_twice_in_a_loop_is_never_stranded() {
    // The real shape of every wait in the crate: loop { check the condition; park }. Two
    // conditions in turn on one state word. A wake-up meant for the first wait may arrive
    // late and end the second park early (a spurious wake-up, which the loop absorbs). What
    // must hold: every committed park is scheduled exactly once (never stranded: loom
    // reports a deadlock otherwise), and nothing is scheduled that did not park.
    model(|| {
        let state = Arc::new(ParkState::new());
        let conds = Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
        // The run queue: whether the green thread has been put back on it.
        let queued = Arc::new(Mutex::new(false));
        let resumed = Arc::new(Condvar::new());
        let schedules = Arc::new(AtomicUsize::new(0));
        let waker = {
            let (state, conds, queued, resumed, schedules) = (
                state.clone(),
                conds.clone(),
                queued.clone(),
                resumed.clone(),
                schedules.clone(),
            );
            thread::spawn(move || {
                for cond in conds.iter() {
                    if wake(&state, cond) {
                        schedules.fetch_add(1, Ordering::Relaxed);
                        let mut q = queued.lock().unwrap();
                        assert!(!*q, "scheduled while already queued");
                        *q = true;
                        resumed.notify_one();
                    }
                }
            })
        };
        let mut parks = 0;
        for cond in conds.iter() {
            while !cond.load(Ordering::Acquire) {
                if wait_once(&state, cond) {
                    parks += 1;
                    let mut q = queued.lock().unwrap();
                    while !*q {
                        q = resumed.wait(q).unwrap();
                    }
                    *q = false;
                }
            }
        }
        waker.join().unwrap();
        assert_eq!(schedules.load(Ordering::Relaxed), parks);
    });
}

#[test]
fn waking_a_finished_thread_does_nothing() {
    model(|| {
        let state = Arc::new(ParkState::new());
        let s = state.clone();
        let waker = thread::spawn(move || s.wake());
        state.finish();
        let r = waker.join().unwrap();
        // Either it woke a running thread (no scheduling) or found it finished.
        assert_eq!(r, Wake::Nothing);
    });
}
