//! The command line: every flag with its help text and an example.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::{stress, units};

/// Green threads against OS threads, side by side, and stress scenarios for the runtime.
///
/// With no subcommand, runs `compare`.
#[derive(Debug, Parser)]
#[command(
    name = "greenthread",
    version,
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  \
        greenthread                          compare green threads with OS threads\n  \
        greenthread compare --quick --json   a quick run, as JSON\n  \
        greenthread stress spawn-storm --duration 5s --seed 42"
)]
pub struct Cli {
    /// What to run (default: compare).
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Flags of `compare`, accepted without the subcommand name.
    #[command(flatten)]
    pub compare: CompareArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the same workloads on green threads and on OS threads and print a table.
    Compare(CompareArgs),
    /// Hammer one part of the runtime, check its invariants, report throughput and latency.
    Stress(StressArgs),
    /// Internal: one memory measurement, run in a child process by `compare`.
    #[command(name = "memory-child", hide = true)]
    MemoryChild(MemoryChildArgs),
}

/// Flags of `greenthread compare`.
#[derive(Debug, Args, Default, Clone)]
#[command(after_help = "Examples:\n  \
    greenthread compare\n  \
    greenthread compare --quick\n  \
    greenthread compare --threads 100000 --plot ratios.svg\n  \
    greenthread compare --only spawn-join --only yield --runs 5 --json")]
pub struct CompareArgs {
    /// A short run (under 15 s): smaller sizes and one run per measurement.
    ///
    /// Example: `greenthread compare --quick`. Explicit --scale, --threads and --runs still win.
    #[arg(long)]
    pub quick: bool,

    /// Print the results as JSON on stdout instead of a table.
    ///
    /// Example: `greenthread compare --json > results.json`.
    #[arg(long)]
    pub json: bool,

    /// Also draw the ratios as a bar chart into this SVG file.
    ///
    /// Example: `greenthread compare --plot ratios.svg`.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,

    /// Multiply the iteration counts (spawns, yields, round trips) by this factor
    /// [default: 1, or 0.1 with --quick].
    ///
    /// Example: `greenthread compare --scale 5` for steadier numbers.
    #[arg(long, value_parser = units::parse_scale)]
    pub scale: Option<f64>,

    /// How many threads run at once in the sleepers and memory workloads
    /// [default: 10000, or 2000 with --quick].
    ///
    /// Example: `greenthread compare --threads 100000` (OS threads are capped, see
    /// --os-threads-max).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=2_000_000))]
    pub threads: Option<u64>,

    /// The most OS threads a workload may start at once; above it the OS side runs this
    /// many and the table says so.
    ///
    /// Example: `greenthread compare --threads 50000 --os-threads-max 20000`.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub os_threads_max: u64,

    /// Worker OS threads of the green-thread runtime [default: available parallelism].
    ///
    /// Example: `greenthread compare --workers 1`.
    #[arg(long)]
    pub workers: Option<NonZeroUsize>,

    /// Repeat each timed measurement this many times and keep the best
    /// [default: 3, or 1 with --quick].
    ///
    /// Example: `greenthread compare --runs 5`.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub runs: Option<u32>,

    /// Run only this workload (repeat the flag for several).
    ///
    /// Example: `greenthread compare --only sleepers --only memory`.
    #[arg(long, value_name = "WORKLOAD", value_parser = crate::compare::workloads::ids())]
    pub only: Vec<String>,

    /// No progress output on stderr.
    ///
    /// Example: `greenthread compare --quiet --json`.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Flags of `greenthread stress`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    greenthread stress spawn-storm\n  \
    greenthread stress timer-storm --duration 30s --concurrency 50000\n  \
    greenthread stress spawn-storm --iterations 100 --seed 7 --json\n  \
    greenthread stress echo-flood --concurrency 1000 --stats\n  \
    greenthread stress chaos --duration 1m")]
pub struct StressArgs {
    /// The scenario: spawn-storm, ping-pong-ring, echo-flood, timer-storm, mutex-convoy or
    /// chaos (`--help` describes each).
    #[arg(long_help = stress::scenario_help())]
    #[arg(value_name = "SCENARIO", value_parser = stress::parse_scenario)]
    pub scenario: String,

    /// How long to run (e.g. 10s, 500ms, 2m; a bare number is seconds) [default: 10s, or
    /// no time limit when only --iterations is given].
    ///
    /// Example: `greenthread stress spawn-storm --duration 1s`.
    #[arg(long, value_parser = units::parse_duration)]
    pub duration: Option<Duration>,

    /// Stop after this many rounds (waves of spawns, rounds of timers), or at --duration if
    /// that comes first.
    ///
    /// Example: `greenthread stress spawn-storm --iterations 50`.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub iterations: Option<u64>,

    /// Worker OS threads of the runtime [default: available parallelism].
    ///
    /// Example: `greenthread stress timer-storm --workers 1`.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub workers: Option<u64>,

    /// Green threads per round [default: the scenario's: 1000 for spawn-storm and
    /// ping-pong-ring, 200 for echo-flood (clients) and mutex-convoy, 10000 for timer-storm,
    /// 100 for each scenario of chaos]. echo-flood caps it by the open-files limit.
    ///
    /// Example: `greenthread stress spawn-storm --concurrency 20000`.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub concurrency: Option<u64>,

    /// Seed of the random choices, to replay a run [default: from the clock, printed].
    ///
    /// Example: `greenthread stress timer-storm --seed 12345`.
    #[arg(long)]
    pub seed: Option<u64>,

    /// Print the summary as JSON on stdout.
    ///
    /// Example: `greenthread stress spawn-storm --duration 1s --json`.
    #[arg(long)]
    pub json: bool,

    /// After the run, print the runtime's counters (context switches, steals, reactor
    /// polls, timers, stack pool, watchdog reports) to stderr.
    ///
    /// Example: `greenthread stress ping-pong-ring --duration 2s --stats`.
    #[arg(long)]
    pub stats: bool,

    /// Corrupt one expectation on purpose, to prove the invariant checks fire (exit 1).
    #[arg(long, hide = true)]
    pub inject_fault: bool,
}

/// Flags of the hidden `memory-child` subcommand.
#[derive(Debug, Args)]
pub struct MemoryChildArgs {
    /// `green` or `os`.
    #[arg(long, value_parser = ["green", "os"])]
    pub kind: String,
    /// How many threads to park.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=2_000_000))]
    pub count: u64,
    /// Worker OS threads of the green-thread runtime.
    #[arg(long)]
    pub workers: Option<NonZeroUsize>,
}
