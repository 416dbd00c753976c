//! `timer-storm`: many sleepers and park timeouts with random deadlines.
//!
//! Each round spawns `--concurrency` green threads; each picks a random deadline up to
//! 20 ms away and one way to wait for it: `sleep`, `sleep_until`, `park_timeout` with
//! nobody unparking, or `park_timeout` with a helper green thread unparking it at a random
//! earlier moment. Invariants:
//! - no timed wait returns before its deadline (an unparked `park_timeout` may return
//!   early, but never before the unpark);
//! - every green thread reports back (counts exact).
//!
//! Latency: how late each timed wake-up was (wake time minus deadline).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::{Ctx, Outcome, Scenario, latency_histogram};

/// Sleepers and timeouts with random deadlines.
#[derive(Debug)]
pub struct TimerStorm;

/// The longest deadline, in microseconds.
const MAX_DEADLINE_US: u64 = 20_000;

#[derive(Debug, Clone, Copy)]
enum Wait {
    Sleep,
    SleepUntil,
    ParkTimeout,
    /// Unparked by a helper after this long (shorter than the deadline).
    ParkTimeoutUnparked(Duration),
}

/// What a green thread reports.
enum Report {
    /// Woke by its deadline, this late (ns).
    Late(u64),
    /// Woke by an unpark, after it was sent.
    Unparked,
    /// Woke before its deadline: the invariant is broken.
    Early(String),
}

impl Scenario for TimerStorm {
    fn name(&self) -> &'static str {
        "timer-storm"
    }

    fn about(&self) -> &'static str {
        "sleepers and park timeouts with random deadlines; none may wake early; reports \
         how late they wake"
    }

    fn default_concurrency(&self) -> u64 {
        10_000
    }

    fn run(&self, ctx: &Ctx<'_>) -> Result<Outcome, String> {
        let mut rng = SmallRng::seed_from_u64(ctx.seed);
        let mut latency = latency_histogram();
        let (mut rounds, mut waits, mut timed, mut unparked) = (0u64, 0u64, 0u64, 0u64);
        let mut by_kind = [0u64; 4];
        while ctx.keep_going(rounds, waits) {
            let mut handles = Vec::with_capacity(ctx.concurrency as usize);
            for _ in 0..ctx.concurrency {
                let id = waits;
                waits += 1;
                let dur = Duration::from_micros(rng.random_range(0..=MAX_DEADLINE_US));
                let wait = match rng.random_range(0..4u32) {
                    // An unparked wait may end early, so the injected fault needs a timed one.
                    _ if ctx.inject_fault && id == 0 => Wait::Sleep,
                    0 => Wait::Sleep,
                    1 => Wait::SleepUntil,
                    2 => Wait::ParkTimeout,
                    _ => Wait::ParkTimeoutUnparked(dur.mul_f64(rng.random_range(0.0..1.0))),
                };
                // With --inject-fault, green thread #0 checks a deadline 1 s too late.
                let skew = if ctx.inject_fault && id == 0 {
                    Duration::from_secs(1)
                } else {
                    Duration::ZERO
                };
                by_kind[kind_index(wait)] += 1;
                let h = greenthread::Builder::new()
                    .spawn(move || wait_once(id, dur, wait, skew))
                    .map_err(|e| format!("spawning green thread #{id} failed: {e}"))?;
                handles.push((id, h));
            }
            for (id, h) in handles {
                match h.join() {
                    Ok(Report::Late(ns)) => {
                        timed += 1;
                        latency.saturating_record(ns.max(1));
                    }
                    Ok(Report::Unparked) => unparked += 1,
                    Ok(Report::Early(msg)) => return Err(msg),
                    Err(_) => return Err(format!("green thread #{id} panicked")),
                }
            }
            rounds += 1;
        }
        if timed + unparked != waits {
            return Err(format!(
                "{timed} timed + {unparked} unparked wake-ups, but {waits} waits"
            ));
        }
        Ok(Outcome {
            rounds,
            operations: waits,
            operation_name: "timed waits",
            latency_name: "lateness",
            latency,
            counts: vec![
                ("sleep", by_kind[0]),
                ("sleep_until", by_kind[1]),
                ("park_timeout", by_kind[2]),
                ("park_timeout+unpark", by_kind[3]),
                ("woken by deadline", timed),
                ("woken by unpark", unparked),
            ],
            invariants: vec![
                "no sleep, sleep_until or park_timeout returned before its deadline",
                "an unparked park_timeout returned only after its unpark",
                "every waiter reported back (counts exact)",
            ],
        })
    }
}

fn kind_index(w: Wait) -> usize {
    match w {
        Wait::Sleep => 0,
        Wait::SleepUntil => 1,
        Wait::ParkTimeout => 2,
        Wait::ParkTimeoutUnparked(_) => 3,
    }
}

/// One green thread's wait, checked.
fn wait_once(id: u64, dur: Duration, wait: Wait, skew: Duration) -> Report {
    let start = Instant::now();
    let deadline = start + dur;
    let sent = Arc::new(AtomicBool::new(false));
    let mut helper = None;
    match wait {
        Wait::Sleep => greenthread::sleep(dur),
        Wait::SleepUntil => greenthread::sleep_until(deadline),
        Wait::ParkTimeout => greenthread::park_timeout(dur),
        Wait::ParkTimeoutUnparked(after) => {
            let me = greenthread::current();
            let sent = sent.clone();
            helper = Some(greenthread::spawn(move || {
                greenthread::sleep(after);
                sent.store(true, Ordering::Release);
                me.unpark();
            }));
            greenthread::park_timeout(dur);
        }
    }
    let woke = Instant::now();
    if let Some(h) = helper {
        let _ = h.join();
    }
    let checked = deadline + skew;
    if woke >= checked {
        let ns = woke.duration_since(checked).as_nanos();
        return Report::Late(u64::try_from(ns).unwrap_or(u64::MAX));
    }
    if matches!(wait, Wait::ParkTimeoutUnparked(_)) && sent.load(Ordering::Acquire) {
        return Report::Unparked;
    }
    Report::Early(format!(
        "green thread #{id}: {wait:?} for {dur:?} returned {:?} early",
        checked - woke
    ))
}
