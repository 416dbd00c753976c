//! `greenthread stress <scenario>`: hammer one part of the runtime for a `--duration` or a
//! number of `--iterations`, check invariants after every round, report throughput and
//! latency percentiles.
//!
//! A scenario implements [`Scenario`]: it runs rounds until [`Ctx::keep_going`] says stop,
//! records one latency per operation into the histogram, and returns an [`Outcome`] or the
//! first broken invariant. This module does the rest (runtime, seed, progress, summary,
//! exit code).
//!
//! Scenarios of issue 5 not in a build are listed in [`PLANNED`] (empty now); asking for
//! one says so and exits 2.
//!
//! # Adding one
//!
//! 1. A file here (`ping_pong_ring.rs`) with a unit struct implementing [`Scenario`]:
//!    `name`, `about` (one line for `--help`), `default_concurrency`, and `run`, which
//!    loops `while ctx.keep_going(rounds, operations)`, seeds its choices with
//!    `SmallRng::seed_from_u64(ctx.seed)`, records one latency per operation (ns) in
//!    [`latency_histogram`], checks its invariants and returns `Err(message)` on the first
//!    broken one (name the green thread or message, so the seed replays it). Honour
//!    `ctx.inject_fault` by corrupting one expectation, so a test proves the check fires.
//!    `run` executes on a green thread of the scenario's runtime: `greenthread::spawn`
//!    spawns there.
//! 2. A `mod` line and an entry in [`scenarios`]; remove its line from [`PLANNED`].
//! 3. A test in `tests/cli_stress.rs` (`--duration 1s --json`, its counts), and its name in
//!    `a_broken_invariant_exits_non_zero_with_a_clear_message`.
//! 4. `chaos` runs every scenario of [`scenarios`] at once: honour `ctx.random_yields` (yield
//!    at random switch points) and `ctx.shared` (skip checks of process-wide state).

mod chaos;
mod echo_flood;
mod mutex_convoy;
mod ping_pong_ring;
mod spawn_storm;
mod summary;
mod timer_storm;

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::Failure;
use crate::cli::StressArgs;
use crate::progress::Progress;
use crate::units::count;

/// Scenarios of this build, in the order of `--help`.
fn scenarios() -> Vec<Box<dyn Scenario>> {
    vec![
        Box::new(spawn_storm::SpawnStorm),
        Box::new(ping_pong_ring::PingPongRing),
        Box::new(echo_flood::EchoFlood),
        Box::new(timer_storm::TimerStorm),
        Box::new(mutex_convoy::MutexConvoy),
        Box::new(chaos::Chaos),
    ]
}

/// Scenarios of issue 5 that wait for other parts of the runtime: (name, what it needs).
pub const PLANNED: &[(&str, &str)] = &[];

/// clap's value parser for the scenario name: a clear word for planned ones.
pub fn parse_scenario(name: &str) -> Result<String, String> {
    let all = scenarios();
    if all.iter().any(|s| s.name() == name) {
        return Ok(name.to_string());
    }
    let available: Vec<&str> = all.iter().map(|s| s.name()).collect();
    match PLANNED.iter().find(|p| p.0 == name) {
        Some((_, needs)) => Err(format!(
            "scenario {name:?} is not available in this build: it needs {needs}, which this \
             build does not have yet. Available: {}",
            available.join(", ")
        )),
        None => Err(format!(
            "unknown scenario {name:?}. Available: {}",
            available.join(", ")
        )),
    }
}

/// The long help of the scenario argument, from [`scenarios`] and [`PLANNED`].
pub fn scenario_help() -> String {
    let mut help = String::from("The scenario.\n\nAvailable:\n");
    for s in scenarios() {
        help.push_str(&format!("  {:<15} {}\n", s.name(), s.about()));
    }
    if !PLANNED.is_empty() {
        help.push_str("\nNot in this build yet (they need later parts of the runtime):\n");
        for (name, needs) in PLANNED {
            help.push_str(&format!("  {name:<15} needs {needs}\n"));
        }
    }
    help.push_str("\nExample: `greenthread stress timer-storm`.");
    help
}

/// A stress scenario.
pub trait Scenario: Send + Sync {
    /// The name on the command line (`spawn-storm`).
    fn name(&self) -> &'static str;

    /// One line for `--help`: what it does and what it checks.
    fn about(&self) -> &'static str;

    /// Green threads per round when `--concurrency` is not given.
    fn default_concurrency(&self) -> u64;

    /// Runs rounds until `ctx.keep_going` says stop, checking invariants as it goes.
    ///
    /// # Errors
    ///
    /// The first broken invariant, in words (with enough detail to reproduce: the seed is
    /// printed by the caller).
    fn run(&self, ctx: &Ctx<'_>) -> Result<Outcome, String>;
}

/// What a scenario gets. `Copy`, so `chaos` can hand each scenario its own variant.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// The seed of the scenario's random choices.
    pub seed: u64,
    /// Green threads per round.
    pub concurrency: u64,
    /// Corrupt one expectation on purpose (hidden `--inject-fault`).
    pub inject_fault: bool,
    /// Call `yield_now` at random switch points too (set by `chaos`).
    pub random_yields: bool,
    /// Other scenarios run at the same time in this process (under `chaos`): checks of
    /// process-wide state, like the number of open descriptors, cannot be made per round.
    pub shared: bool,
    start: Instant,
    deadline: Option<Instant>,
    iterations: Option<u64>,
    progress: &'a Progress,
    duration_for_bar: Duration,
}

impl Ctx<'_> {
    /// Whether to run another round after `rounds` rounds (always at least one); also
    /// updates the live progress.
    pub fn keep_going(&self, rounds: u64, operations: u64) -> bool {
        let elapsed = self.start.elapsed();
        let pos = match self.iterations {
            Some(n) if self.deadline.is_none() => {
                (rounds as f64 / n as f64 * self.duration_for_bar.as_millis() as f64) as u64
            }
            _ => elapsed.as_millis() as u64,
        };
        let rate = operations as f64 / elapsed.as_secs_f64().max(1e-9);
        self.progress.set(
            pos,
            format!(
                "{} rounds, {} ops, {}/s",
                count(rounds),
                count(operations),
                count(rate as u64)
            ),
        );
        // At least one round, however short the duration: a summary of nothing proves nothing.
        rounds == 0
            || (self.deadline.is_none_or(|d| Instant::now() < d)
                && self.iterations.is_none_or(|n| rounds < n))
    }
}

/// A scenario's result when every invariant held.
#[derive(Debug)]
pub struct Outcome {
    /// Rounds run.
    pub rounds: u64,
    /// Operations done (green threads joined, wake-ups checked).
    pub operations: u64,
    /// What an operation is, plural (`green threads`).
    pub operation_name: &'static str,
    /// What the latency histogram measures (`start latency`).
    pub latency_name: &'static str,
    /// One value per operation, in nanoseconds.
    pub latency: Histogram<u64>,
    /// Exact counts, for the summary (`panicked on purpose`, 1234).
    pub counts: Vec<(&'static str, u64)>,
    /// The invariants checked, in words.
    pub invariants: Vec<&'static str>,
}

/// A histogram for nanosecond latencies from 1 ns to an hour, 3 significant digits.
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000_000, 3).expect("valid histogram bounds")
}

/// Runs `stress`.
pub fn run(args: &StressArgs) -> Result<(), Failure> {
    let scenario = scenarios()
        .into_iter()
        .find(|s| s.name() == args.scenario)
        .ok_or_else(|| Failure::Error(format!("unknown scenario {:?}", args.scenario)))?;
    let seed = args.seed.unwrap_or_else(clock_seed);
    let duration = match (args.duration, args.iterations) {
        (Some(d), _) => Some(d),
        (None, Some(_)) => None,
        (None, None) => Some(Duration::from_secs(10)),
    };
    let mut builder = greenthread::Runtime::builder();
    if let Some(w) = args.workers {
        builder = builder.workers(w as usize);
    }
    let rt = builder
        .build()
        .map_err(|e| Failure::Error(format!("cannot start the green-thread runtime: {e}")))?;
    let concurrency = args
        .concurrency
        .unwrap_or_else(|| scenario.default_concurrency());
    if !args.json {
        eprintln!(
            "{}: seed {seed} (replay with --seed {seed}), {} workers, {} green threads per round",
            scenario.name(),
            rt.workers(),
            count(concurrency)
        );
    }
    let bar_len = duration.unwrap_or(Duration::from_secs(1));
    let progress = Progress::timed(bar_len, false);
    let start = Instant::now();
    let ctx = Ctx {
        seed,
        concurrency,
        inject_fault: args.inject_fault,
        random_yields: false,
        shared: false,
        start,
        deadline: duration.map(|d| start + d),
        iterations: args.iterations,
        progress: &progress,
        duration_for_bar: bar_len,
    };
    let result = rt.block_on(|| scenario.run(&ctx));
    let elapsed = start.elapsed();
    progress.finish();
    if args.stats {
        eprintln!("runtime counters:\n{}", rt.stats());
    }
    let head = summary::Head {
        scenario: scenario.name(),
        seed,
        workers: rt.workers(),
        concurrency,
        elapsed,
    };
    match result {
        Ok(outcome) => {
            summary::print_ok(&head, &outcome, args.json).map_err(Failure::Error)?;
            Ok(())
        }
        Err(broken) => {
            if args.json {
                summary::print_broken_json(&head, &broken).map_err(Failure::Error)?;
            }
            Err(Failure::Invariant(format!(
                "{}: {broken} (seed {seed}: replay with --seed {seed})",
                scenario.name()
            )))
        }
    }
}

/// A seed from the clock, for runs without `--seed`.
fn clock_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    (nanos as u64) ^ ((nanos >> 64) as u64) ^ u64::from(std::process::id())
}
