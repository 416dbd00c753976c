//! `mutex-convoy`: `--concurrency` green threads contend for a few
//! `greenthread::sync::Mutex`es and hand them round with a `Condvar`.
//!
//! Each round splits the green threads into up to 4 groups, one lock and condition variable
//! per group. A group takes turns: the member whose turn it is increments the group's
//! counter, passes the turn to the next member and calls `notify_all`; everyone else waits
//! for its turn with a bounded `wait_for`. Each member takes a random 5 to 20 turns (the
//! same number for the whole group), sometimes yielding while it holds the lock. Invariants:
//! - every group's counter and every member's turns are exact;
//! - no lost notification: no member waits for its turn longer than a generous bound
//!   (the turn only moves on a notification, so a lost one stalls the group).
//!
//! Latency: one turn, from starting to wait to holding the lock on one's turn.
//!
//! Every member is joined before a broken invariant is reported. Returning early would drop
//! the runtime with members parked on a lock another member holds across a `yield_now`; its
//! shutdown force-unwinds them, and an unwinding `Condvar::wait_for` re-locks its mutex on
//! the OS thread doing the shutdown, which then waits forever for a holder that will never
//! run again (a library limitation, reported with this scenario).

use std::sync::Arc;
use std::time::{Duration, Instant};

use greenthread::sync::{Condvar, Mutex};
use hdrhistogram::Histogram;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::{Ctx, Outcome, Scenario, latency_histogram};

/// Condvar hand-offs on a few contended locks.
#[derive(Debug)]
pub struct MutexConvoy;

/// The longest wait for one's turn before a notification counts as lost, plus
/// [`TURN_TIMEOUT_PER_MEMBER`] per member of the group (every member may go first).
const TURN_TIMEOUT: Duration = Duration::from_secs(20);
const TURN_TIMEOUT_PER_MEMBER: Duration = Duration::from_millis(2);
const GROUPS: u64 = 4;

/// A group's lock-protected state.
#[derive(Debug, Default)]
struct Turns {
    /// The member whose turn it is.
    turn: u64,
    /// Turns taken by everyone.
    counter: u64,
}

type Group = Arc<(Mutex<Turns>, Condvar)>;

impl Scenario for MutexConvoy {
    fn name(&self) -> &'static str {
        "mutex-convoy"
    }

    fn about(&self) -> &'static str {
        "green threads take turns on a few mutexes with condvar hand-offs; counts exact, no \
         lost notification"
    }

    fn default_concurrency(&self) -> u64 {
        200
    }

    fn run(&self, ctx: &Ctx<'_>) -> Result<Outcome, String> {
        let mut rng = SmallRng::seed_from_u64(ctx.seed);
        let mut latency = latency_histogram();
        let n = ctx.concurrency;
        let groups = GROUPS.min(n);
        let (mut rounds, mut turns_total, mut waits) = (0u64, 0u64, 0u64);
        while ctx.keep_going(rounds, turns_total) {
            let state: Vec<Group> = (0..groups).map(|_| Arc::default()).collect();
            let turns: Vec<u64> = (0..groups).map(|_| rng.random_range(5..=20)).collect();
            let size = |g: u64| (n - g).div_ceil(groups);
            let mut handles = Vec::with_capacity(n as usize);
            for i in 0..n {
                let (g, pos) = (i % groups, i / groups);
                let group = state[g as usize].clone();
                let (k, members) = (turns[g as usize], size(g));
                let seed = ctx.seed ^ (rounds << 32) ^ i;
                let yields = ctx.random_yields;
                let h = greenthread::Builder::new()
                    .spawn(move || member(i, &group, pos, members, k, seed, yields))
                    .map_err(|e| format!("spawning green thread #{i} failed: {e}"))?;
                handles.push((i, turns[(i % groups) as usize], h));
            }
            // Join every member before reporting: returning with green threads still
            // queued on a lock would leave them to the runtime's shutdown (see the module
            // docs).
            let joined: Vec<_> = handles
                .into_iter()
                .map(|(i, k, h)| (i, k, h.join()))
                .collect();
            for (i, k, r) in joined {
                let (took, woke, hist) = r.map_err(|_| format!("green thread #{i} panicked"))??;
                let want = k + u64::from(ctx.inject_fault && i == 0);
                if took != want {
                    return Err(format!(
                        "green thread #{i} took {took} turns, expected {want}"
                    ));
                }
                latency.add(&hist).map_err(|e| format!("histogram: {e}"))?;
                turns_total += took;
                waits += woke;
            }
            for g in 0..groups {
                let got = state[g as usize].0.lock().counter;
                let want = turns[g as usize] * size(g);
                if got != want {
                    return Err(format!("lock {g}: counter {got}, expected {want}"));
                }
            }
            rounds += 1;
        }
        Ok(Outcome {
            rounds,
            operations: turns_total,
            operation_name: "turns",
            latency_name: "wait for one's turn",
            latency,
            counts: vec![("locks", groups), ("condvar wake-ups", waits)],
            invariants: vec![
                "every lock's counter equals the turns its members were given (counts exact)",
                "every green thread took exactly its turns",
                "no lost notification: every turn came within the bound",
            ],
        })
    }
}

/// Member `pos` of a group of `members`: takes `k` turns. Returns (turns, wake-ups, latency).
fn member(
    id: u64,
    group: &Group,
    pos: u64,
    members: u64,
    k: u64,
    seed: u64,
    random_yields: bool,
) -> Result<(u64, u64, Histogram<u64>), String> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut hist = latency_histogram();
    let (lock, cvar) = &**group;
    let (mut took, mut woke) = (0, 0);
    for _ in 0..k {
        let start = Instant::now();
        let bound = TURN_TIMEOUT + TURN_TIMEOUT_PER_MEMBER * members as u32;
        let deadline = start + bound;
        let mut g = lock.lock();
        while g.turn != pos {
            let now = Instant::now();
            if now >= deadline {
                return Err(format!(
                    "green thread #{id}: waited {bound:?} for turn {pos} of {members}, the \
                     turn is stuck at {}: a lost notification",
                    g.turn
                ));
            }
            cvar.wait_for(&mut g, deadline - now);
            woke += 1;
        }
        hist.saturating_record((start.elapsed().as_nanos() as u64).max(1));
        g.counter += 1;
        took += 1;
        if (random_yields && rng.random_range(0..4) == 0) || rng.random_range(0..16) == 0 {
            // Convoy: others pile up on the lock while its holder is off the worker.
            greenthread::yield_now();
        }
        g.turn = (g.turn + 1) % members;
        drop(g);
        cvar.notify_all();
    }
    Ok((took, woke, hist))
}
