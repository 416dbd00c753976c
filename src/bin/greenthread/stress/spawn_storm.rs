//! `spawn-storm`: waves of short-lived green threads, some panicking on purpose.
//!
//! Each wave spawns `--concurrency` green threads with a random plan: yield a few times,
//! sleep briefly, spawn and join a child, and about one in ten panics with a payload naming
//! itself. Invariants, checked after every wave and at the end:
//! - every `join` returns exactly the expected `Ok(value)` or `Err(payload)`;
//! - every green thread ran exactly once, and every one dropped its stack's values, panicked
//!   or not (counts exact);
//! - every nested child returned its value.
//!
//! Latency: from the `spawn` call to the green thread's first instruction.

use std::sync::Arc;
use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::{Ctx, Outcome, Scenario, latency_histogram};

/// Waves of short-lived green threads.
#[derive(Debug)]
pub struct SpawnStorm;

/// The payload of a deliberate panic: the green thread's number.
#[derive(Debug)]
struct Deliberate(u64);

/// What a green thread returns when it does not panic.
struct Done {
    value: u64,
    started: Instant,
    child_ok: bool,
}

#[derive(Default)]
struct Counters {
    ran: AtomicU64,
    dropped: AtomicU64,
}

/// Counts a drop, panicking or not: proves the stack was unwound.
struct DropCount(Arc<Counters>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.dropped.fetch_add(1, Ordering::AcqRel);
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Ok(u64),
    Panic(u64),
}

fn value_of(id: u64) -> u64 {
    id.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xA5A5
}

impl Scenario for SpawnStorm {
    fn name(&self) -> &'static str {
        "spawn-storm"
    }

    fn about(&self) -> &'static str {
        "waves of short-lived green threads, some panicking on purpose; every join must \
         return the expected Ok/Err, counts exact"
    }

    fn default_concurrency(&self) -> u64 {
        1_000
    }

    fn run(&self, ctx: &Ctx<'_>) -> Result<Outcome, String> {
        silence_deliberate_panics();
        let mut rng = SmallRng::seed_from_u64(ctx.seed);
        let counters = Arc::new(Counters::default());
        let mut latency = latency_histogram();
        let (mut waves, mut spawned, mut ok, mut panicked, mut nested) = (0u64, 0, 0, 0, 0);
        while ctx.keep_going(waves, spawned) {
            let mut handles = Vec::with_capacity(ctx.concurrency as usize);
            for _ in 0..ctx.concurrency {
                let id = spawned;
                spawned += 1;
                let panics = rng.random_bool(0.1);
                let yields = rng.random_range(0..4u32);
                let sleeps = rng.random_bool(0.02);
                let child = rng.random_bool(0.05);
                nested += u64::from(child);
                let mut expect = if panics {
                    Expect::Panic(id)
                } else {
                    Expect::Ok(value_of(id))
                };
                if ctx.inject_fault && id == 0 {
                    // Expect the opposite of what green thread #0 will do.
                    expect = if panics {
                        Expect::Ok(value_of(id))
                    } else {
                        Expect::Panic(id)
                    };
                }
                let counters = counters.clone();
                let spawned_at = Instant::now();
                let h = greenthread::Builder::new()
                    .spawn(move || {
                        let started = Instant::now();
                        counters.ran.fetch_add(1, Ordering::AcqRel);
                        let _guard = DropCount(counters);
                        for _ in 0..yields {
                            greenthread::yield_now();
                        }
                        if sleeps {
                            greenthread::sleep(Duration::from_micros(200));
                        }
                        let child_ok = !child
                            || greenthread::spawn(move || id ^ 1).join().ok() == Some(id ^ 1);
                        if panics {
                            std::panic::panic_any(Deliberate(id));
                        }
                        Done {
                            value: value_of(id),
                            started,
                            child_ok,
                        }
                    })
                    .map_err(|e| format!("spawning green thread #{id} failed: {e}"))?;
                handles.push((id, expect, spawned_at, h));
            }
            for (id, expect, spawned_at, h) in handles {
                match (h.join(), expect) {
                    (Ok(done), Expect::Ok(v)) if done.value == v => {
                        if !done.child_ok {
                            return Err(format!(
                                "green thread #{id}: its nested child returned a wrong value"
                            ));
                        }
                        ok += 1;
                        let ns = done
                            .started
                            .saturating_duration_since(spawned_at)
                            .as_nanos();
                        latency.saturating_record(u64::try_from(ns).unwrap_or(u64::MAX).max(1));
                    }
                    (Err(p), Expect::Panic(want))
                        if p.downcast_ref::<Deliberate>().map(|d| d.0) == Some(want) =>
                    {
                        panicked += 1;
                    }
                    (got, expect) => {
                        let got = match got {
                            Ok(done) => format!("Ok({})", done.value),
                            Err(p) => match p.downcast_ref::<Deliberate>() {
                                Some(d) => format!("Err(deliberate panic of #{})", d.0),
                                None => "Err(an unexpected panic)".to_string(),
                            },
                        };
                        let want = match expect {
                            Expect::Ok(v) => format!("Ok({v})"),
                            Expect::Panic(i) => format!("Err(deliberate panic of #{i})"),
                        };
                        return Err(format!(
                            "green thread #{id}: join returned {got}, expected {want}"
                        ));
                    }
                }
            }
            waves += 1;
            let ran = counters.ran.load(Ordering::Acquire);
            if ran != spawned {
                return Err(format!(
                    "after wave {waves}: {ran} green threads ran, {spawned} were spawned and joined"
                ));
            }
        }
        let dropped = counters.dropped.load(Ordering::Acquire);
        if dropped != spawned {
            return Err(format!(
                "{dropped} green threads dropped their guard, {spawned} ran: a stack was not unwound"
            ));
        }
        if ok + panicked != spawned {
            return Err(format!(
                "{ok} Ok + {panicked} Err joins, but {spawned} green threads spawned"
            ));
        }
        Ok(Outcome {
            rounds: waves,
            operations: spawned,
            operation_name: "green threads",
            latency_name: "spawn → start",
            latency,
            counts: vec![
                ("returned Ok", ok),
                ("panicked on purpose", panicked),
                ("nested children", nested),
            ],
            invariants: vec![
                "every join returned the expected Ok(value) or Err(deliberate panic)",
                "ran == spawned == joined == dropped (every stack unwound, panicking or not)",
                "every nested child returned its value",
            ],
        })
    }
}

/// Keeps the deliberate panics off stderr; any other panic still goes to the previous hook.
fn silence_deliberate_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<Deliberate>().is_none() {
                previous(info);
            }
        }));
    });
}
