//! The [`Workload`] abstraction: one piece of work, run once on green threads and once on OS
//! threads, each side returning a number where lower is better.
//!
//! To add a workload: write a file in `compare/workloads/` with a unit struct implementing
//! [`Workload`], and list it in `workloads::all()`. The runner does the rest (repeats,
//! progress, OS-thread caps, the table, JSON and the plot).

use greenthread::Runtime;

use crate::units::count;
use serde::Serialize;

/// What a workload's number measures. Lower is better for every unit, so the ratio
/// `os / green` above 1 always favours green threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Nanoseconds per operation (the operation is named, e.g. "thread", "round trip").
    NanosPer(&'static str),
    /// Bytes of resident memory per thread.
    BytesPer(&'static str),
}

impl Unit {
    /// `ns/round trip`, `bytes/parked thread`.
    pub fn label(self) -> String {
        match self {
            Unit::NanosPer(op) => format!("time per {op}"),
            Unit::BytesPer(what) => format!("RSS per {what}"),
        }
    }

    /// A value in this unit, readable.
    pub fn format(self, value: f64) -> String {
        match self {
            Unit::NanosPer(_) => crate::units::nanos(value),
            Unit::BytesPer(_) => crate::units::bytes(value),
        }
    }
}

/// Sizes of one `compare` run, from the flags.
#[derive(Debug, Clone)]
pub struct Sizes {
    /// Multiplies iteration counts.
    pub scale: f64,
    /// Threads alive at once in the sleepers and memory workloads.
    pub threads: u64,
    /// The most OS threads a workload may start at once (`--os-threads-max`); the system
    /// may allow fewer, see [`Sizes::os_cap`].
    pub os_threads_max: u64,
    /// Green-runtime workers, passed on to child processes.
    pub workers: Option<std::num::NonZeroUsize>,
}

impl Sizes {
    /// `base` iterations scaled, at least one.
    pub fn iterations(&self, base: u64) -> u64 {
        ((base as f64 * self.scale).round() as u64).max(1)
    }

    /// How many OS threads to run where green threads run [`threads`](Sizes::threads).
    /// Computed now, since the limit depends on the mappings the process holds.
    pub fn os_threads(&self) -> u64 {
        self.threads.min(self.os_cap().0)
    }

    /// The most OS threads this process may start right now, and why: `--os-threads-max`,
    /// or half of `kernel.threads-max`, or the memory mappings left under
    /// `vm.max_map_count` (a std thread takes four: its stack and guard page, and its
    /// signal stack and guard page; the green runtime's stack pool holds some too).
    pub fn os_cap(&self) -> (u64, String) {
        let mut cap = (self.os_threads_max, "--os-threads-max".to_string());
        let read =
            |p: &str| -> Option<u64> { std::fs::read_to_string(p).ok()?.trim().parse().ok() };
        if let Some(t) = read("/proc/sys/kernel/threads-max") {
            if t / 2 < cap.0 {
                cap = (t / 2, format!("half of kernel.threads-max = {}", count(t)));
            }
        }
        let in_use = std::fs::read_to_string("/proc/self/maps").map(|m| m.lines().count() as u64);
        if let (Some(max), Ok(in_use)) = (read("/proc/sys/vm/max_map_count"), in_use) {
            let left = max.saturating_sub(in_use).saturating_sub(MAPPING_MARGIN) / 4;
            if left < cap.0 {
                cap = (
                    left.max(1),
                    format!(
                        "4 mappings per OS thread within vm.max_map_count = {}, {} in use",
                        count(max),
                        count(in_use)
                    ),
                );
            }
        }
        cap
    }
}

/// Mappings left free for everything else (allocator arenas, libraries).
const MAPPING_MARGIN: u64 = 2_000;

/// What the workload gets to run with.
#[derive(Debug)]
pub struct Ctx<'a> {
    /// The green-thread runtime, shared by all workloads of the run.
    pub rt: &'a Runtime,
    /// The sizes.
    pub sizes: &'a Sizes,
}

/// One side's result.
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    /// The number, in the workload's [`Unit`]; lower is better.
    pub value: f64,
    /// How many threads or operations it was measured over.
    pub size: u64,
}

/// One side's failure: what went wrong, and a partial size where that makes sense.
pub type SideResult = Result<Measured, String>;

/// A workload of `greenthread compare`.
pub trait Workload {
    /// Short id, used by `--only` and in the JSON (`spawn-join`).
    fn id(&self) -> &'static str;

    /// Human title for the table, at these sizes (`10,000 sleepers × 10 ms`).
    fn title(&self, sizes: &Sizes) -> String;

    /// What the number measures.
    fn unit(&self) -> Unit;

    /// Whether repeating the measurement and keeping the best makes sense (timings: yes;
    /// memory measured in a fresh child process: no).
    fn repeatable(&self) -> bool {
        true
    }

    /// Runs the work on green threads of `ctx.rt`.
    ///
    /// # Errors
    ///
    /// A message for the table's note column when it cannot run.
    fn run_green(&self, ctx: &Ctx<'_>) -> SideResult;

    /// Runs the same work on OS threads (`std::thread`).
    ///
    /// # Errors
    ///
    /// A message for the table's note column, e.g. when the OS refuses a thread.
    fn run_os(&self, ctx: &Ctx<'_>) -> SideResult;
}
