//! `chaos`: every other scenario at once on one runtime, with random yields.
//!
//! Each scenario runs on its own green thread with its own seed (the run's seed plus its
//! index), `--concurrency` green threads per round and random `yield_now` calls at its
//! switch points, for the same `--duration` or `--iterations`. Invariants: each scenario's
//! own (checked as it runs), plus no descriptor leak over the whole run (per-round fd
//! checks cannot hold while the others open sockets). `--inject-fault` goes to
//! `ping-pong-ring`.
//!
//! Latency: every scenario's operations in one histogram; their counts are listed by
//! scenario.

use super::{Ctx, Outcome, Scenario, latency_histogram};
use crate::limits::open_fds;

/// All scenarios at once.
#[derive(Debug)]
pub struct Chaos;

impl Scenario for Chaos {
    fn name(&self) -> &'static str {
        "chaos"
    }

    fn about(&self) -> &'static str {
        "all of the above at once with random yields; the invariants of each, no fd leak"
    }

    fn default_concurrency(&self) -> u64 {
        100
    }

    fn run(&self, ctx: &Ctx<'_>) -> Result<Outcome, String> {
        let parts = super::scenarios()
            .into_iter()
            .filter(|s| s.name() != self.name())
            .collect::<Vec<_>>();
        let fds_before = open_fds();
        let results: Vec<(&'static str, Result<Outcome, String>)> = greenthread::scope(|s| {
            let handles: Vec<_> = parts
                .iter()
                .enumerate()
                .map(|(k, part)| {
                    let sub = Ctx {
                        seed: ctx.seed.wrapping_add(k as u64),
                        inject_fault: ctx.inject_fault && part.name() == "ping-pong-ring",
                        random_yields: true,
                        shared: true,
                        ..*ctx
                    };
                    s.spawn(move || part.run(&sub))
                })
                .collect();
            handles
                .into_iter()
                .zip(&parts)
                .map(|(h, part)| {
                    let r = h
                        .join()
                        .unwrap_or_else(|_| Err("its green thread panicked".to_string()));
                    (part.name(), r)
                })
                .collect()
        });
        let fds_after = open_fds();
        let mut latency = latency_histogram();
        let (mut rounds, mut operations) = (0, 0);
        let mut counts = Vec::new();
        let mut invariants = Vec::new();
        for (name, r) in results {
            let o = r.map_err(|e| format!("{name}: {e}"))?;
            latency
                .add(&o.latency)
                .map_err(|e| format!("histogram: {e}"))?;
            rounds += o.rounds;
            operations += o.operations;
            // A handful of labels for one run of the command: leaking them is simplest.
            counts.push((leak(format!("{name}: {}", o.operation_name)), o.operations));
            for (label, n) in o.counts {
                counts.push((leak(format!("{name}: {label}")), n));
            }
            for inv in o.invariants {
                invariants.push(leak(format!("{name}: {inv}")));
            }
        }
        if fds_before != fds_after {
            return Err(format!(
                "descriptor leak: {fds_before:?} open before, {fds_after:?} after"
            ));
        }
        invariants.push("no descriptor leak over the whole run");
        Ok(Outcome {
            rounds,
            operations,
            operation_name: "operations (all scenarios)",
            latency_name: "operation latency (all scenarios)",
            latency,
            counts,
            invariants,
        })
    }
}

/// Leaks a label for the rest of the process, and keeps it in a static list too, so that a
/// leak checker (LeakSanitizer, `scripts/sanitize.sh`) sees it still referenced at exit
/// rather than reporting the deliberate leak.
fn leak(s: String) -> &'static str {
    static KEPT: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    let s: &'static str = s.leak();
    KEPT.lock().unwrap_or_else(|e| e.into_inner()).push(s);
    s
}
