//! [`unblock`]: run a call that cannot be made cooperative on a pool of OS threads.
//!
//! # The pool
//!
//! One process-wide pool. A job goes to an idle pool thread if there is one, else a new
//! thread is started, up to [`MAX_THREADS`] (`GREENTHREAD_MAX_BLOCKING_THREADS` overrides
//! it); past that, jobs queue until a thread frees up. A thread idle for [`KEEP_ALIVE`]
//! exits, so a burst does not leave hundreds of threads behind.
//!
//! # Ground rules
//!
//! `state` guards the queue and the counts; `cv` is signalled when a job is queued.
//! `idle` counts threads waiting on `cv`, so a producer starts a thread only when the queued
//! jobs outnumber them.

#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, OnceLock};
use std::thread::Result as ThreadResult;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use crate::coroutine::current_task;
use crate::runtime::WaitReason;
use crate::thread::{self, Thread};

/// Default upper bound of pool threads.
pub const MAX_THREADS: usize = 500;

/// How long an idle pool thread waits for a job before it exits.
const KEEP_ALIVE: Duration = Duration::from_secs(10);

type Job = Box<dyn FnOnce() + Send>;

struct Pool {
    state: Mutex<State>,
    cv: Condvar,
    max: usize,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    idle: usize,
    threads: usize,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        state: Mutex::new(State::default()),
        cv: Condvar::new(),
        max: std::env::var("GREENTHREAD_MAX_BLOCKING_THREADS")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .filter(|&n| n > 0)
            .unwrap_or(MAX_THREADS),
    })
}

impl Pool {
    fn execute(&'static self, job: Job) {
        let mut st = self.state.lock();
        st.queue.push_back(job);
        if st.idle >= st.queue.len() {
            drop(st);
            self.cv.notify_one();
            return;
        }
        if st.threads < self.max {
            st.threads += 1;
            drop(st);
            let spawned = std::thread::Builder::new()
                .name("greenthread-blocking".into())
                .spawn(move || self.run());
            if spawned.is_err() {
                // The job stays queued for the threads we have; with none at all, run the
                // queue here rather than leave the caller waiting forever.
                let mut st = self.state.lock();
                st.threads -= 1;
                if st.threads == 0 {
                    let jobs: Vec<Job> = st.queue.drain(..).collect();
                    drop(st);
                    jobs.into_iter().for_each(|j| j());
                }
            }
        }
    }

    fn run(&'static self) {
        let mut st = self.state.lock();
        loop {
            if let Some(job) = st.queue.pop_front() {
                drop(st);
                job(); // jobs catch their own panics
                st = self.state.lock();
                continue;
            }
            st.idle += 1;
            let timed_out = self.cv.wait_for(&mut st, KEEP_ALIVE).timed_out();
            st.idle -= 1;
            if timed_out && st.queue.is_empty() {
                st.threads -= 1;
                return;
            }
        }
    }
}

/// Where a pool thread leaves the result for the waiting thread.
struct Packet<T> {
    result: Mutex<Option<ThreadResult<T>>>,
    waiter: Thread,
}

/// Runs `f` on a pool of OS threads and returns its result, parking only the calling green
/// thread meanwhile.
///
/// For calls that cannot be made cooperative: file I/O, name resolution, a C library that
/// blocks, CPU-heavy work that would hold a worker for long. Called from a plain OS thread
/// (not a green thread), `f` simply runs on the calling thread. A panic in `f` resumes in
/// the caller.
///
/// The pool starts threads on demand (reusing idle ones) up to 500, or
/// `GREENTHREAD_MAX_BLOCKING_THREADS`; beyond that, calls queue.
///
/// A green thread cancelled while it waits here
/// ([`JoinHandle::cancel`](crate::JoinHandle::cancel)) unwinds at once; `f` cannot be
/// interrupted, so it runs on to the end on its pool thread, and its result is dropped there.
///
/// # Examples
///
/// ```
/// let rt = greenthread::Runtime::new()?;
/// let len = rt.block_on(|| {
///     greenthread::unblock(|| std::fs::read("Cargo.toml").map(|v| v.len()))
/// })?;
/// assert!(len > 0);
/// # std::io::Result::Ok(())
/// ```
pub fn unblock<F, T>(f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match current_task() {
        Some(task) if !task.is_cancelling() => {}
        // An OS thread may block; so may a green thread being unwound at shutdown (its
        // switch points no longer park).
        _ => return f(),
    }
    let packet = Arc::new(Packet {
        result: Mutex::new(None),
        waiter: thread::current(),
    });
    let theirs = packet.clone();
    pool().execute(Box::new(move || {
        let result = catch_unwind(AssertUnwindSafe(f));
        *theirs.result.lock() = Some(result);
        theirs.waiter.wake();
    }));
    loop {
        // The result is stored before the wake-up, and `block` keeps a wake-up that comes
        // before it, so checking first and blocking after cannot miss it.
        if let Some(result) = packet.result.lock().take() {
            return match result {
                Ok(v) => v,
                Err(payload) => thread::resume_unwind(payload),
            };
        }
        thread::block(WaitReason::Unblock, None);
    }
}
