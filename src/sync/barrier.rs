//! [`Barrier`]: `n` threads wait until all `n` have arrived.

#![forbid(unsafe_code)]

use crate::runtime::WaitReason;
use std::fmt;

use crate::sync::{Condvar, Mutex, MutexGuard};

/// A barrier for `n` threads, reusable, like `std::sync::Barrier`; waiting parks only the
/// green thread.
///
/// A green thread cancelled while it waits ([`JoinHandle::cancel`](crate::JoinHandle::cancel))
/// withdraws its arrival: the barrier is not broken, and the others wait on until `n`
/// threads have arrived (another one may take the cancelled one's place).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use greenthread::sync::Barrier;
///
/// let rt = greenthread::Runtime::new()?;
/// let barrier = Arc::new(Barrier::new(10));
/// let hs: Vec<_> = (0..10)
///     .map(|_| {
///         let b = barrier.clone();
///         rt.spawn(move || b.wait().is_leader())
///     })
///     .collect();
/// let leaders = hs.into_iter().map(|h| h.join().unwrap());
/// assert_eq!(leaders.filter(|&l| l).count(), 1);
/// # std::io::Result::Ok(())
/// ```
pub struct Barrier {
    n: usize,
    state: Mutex<State>,
    cv: Condvar,
}

struct State {
    arrived: usize,
    generation: u64,
}

/// What [`Barrier::wait`] returns: exactly one waiter of each round is the leader.
///
/// # Examples
///
/// ```
/// let r: greenthread::sync::BarrierWaitResult = greenthread::sync::Barrier::new(1).wait();
/// assert!(r.is_leader());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// Whether this thread was the leader (the last to arrive) of its round.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = greenthread::sync::Barrier::new(1);
    /// assert!(b.wait().is_leader());
    /// ```
    pub fn is_leader(&self) -> bool {
        self.0
    }
}

impl Barrier {
    /// A barrier that releases its waiters each time `n` have arrived (`n == 0` acts as 1).
    ///
    /// # Examples
    ///
    /// ```
    /// let b = greenthread::sync::Barrier::new(1);
    /// assert!(b.wait().is_leader());
    /// assert!(b.wait().is_leader()); // reusable: a new round each time
    /// ```
    pub fn new(n: usize) -> Barrier {
        Barrier {
            n,
            state: Mutex::new(State {
                arrived: 0,
                generation: 0,
            }),
            cv: Condvar::new(),
        }
    }

    /// Waits until `n` threads have called `wait` in this round.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use greenthread::sync::Barrier;
    ///
    /// let b = Arc::new(Barrier::new(2));
    /// let b2 = b.clone();
    /// let h = greenthread::spawn(move || b2.wait().is_leader());
    /// let me = b.wait().is_leader();
    /// assert!(me != h.join().unwrap()); // exactly one leader
    /// ```
    pub fn wait(&self) -> BarrierWaitResult {
        let mut st = self.state.lock();
        st.arrived += 1;
        if st.arrived >= self.n {
            st.arrived = 0;
            st.generation = st.generation.wrapping_add(1);
            drop(st);
            self.cv.notify_all();
            return BarrierWaitResult(true);
        }
        let generation = st.generation;
        let mut arrival = Arrival {
            state: Some(st),
            generation,
        };
        let st = arrival.state.as_mut().expect("set above");
        self.cv
            .wait_while_as(st, WaitReason::Barrier, |st| st.generation == generation);
        arrival.state = None; // the barrier tripped: this arrival counted
        BarrierWaitResult(false)
    }
}

/// A waiting thread's arrival, withdrawn if its wait unwinds (cancelled, or at runtime
/// shutdown) before the barrier trips: the barrier then still waits for `n` threads that
/// really arrive, rather than releasing the others early with one short.
struct Arrival<'a> {
    state: Option<MutexGuard<'a, State>>,
    generation: u64,
}

impl Drop for Arrival<'_> {
    fn drop(&mut self) {
        if let Some(st) = &mut self.state {
            if st.generation == self.generation {
                st.arrived -= 1;
            }
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier").field("n", &self.n).finish()
    }
}
