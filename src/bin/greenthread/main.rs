//! `greenthread`: green threads against OS threads, and stress scenarios for the runtime.
//!
//! - `greenthread` or `greenthread compare`: the same workloads on green threads and on OS
//!   threads in one process, as a table (or `--json`, or an SVG bar chart with `--plot`).
//! - `greenthread stress <scenario>`: hammer one part of the runtime for a while, check its
//!   invariants, and report throughput and latency percentiles.
//!
//! Layout: [`cli`] is the command line (clap), [`compare`] the comparison and its
//! workloads (one file each under `compare/workloads/`), [`stress`] the scenarios (one file
//! each), [`progress`] the live progress shared by both, [`units`] number formatting, [`limits`]
//! descriptor limits and counts.
//!
//! Exit codes: 0 success; 1 an invariant broke or a measurement could not run; 2 bad
//! command line (clap's own code).

#![forbid(unsafe_code)]

mod cli;
mod compare;
mod limits;
mod progress;
mod stress;
mod units;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

/// Why the command failed, mapped to an exit code in [`main`].
#[derive(Debug)]
pub enum Failure {
    /// A stress scenario found a broken invariant: the runtime misbehaved.
    Invariant(String),
    /// The command could not do its work (runtime would not start, a file could not be
    /// written, a child process died).
    Error(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => compare::run(&cli.compare),
        Some(Command::Compare(args)) => compare::run(&args),
        Some(Command::Stress(args)) => stress::run(&args),
        Some(Command::MemoryChild(args)) => compare::workloads::memory::child_main(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Invariant(msg)) => {
            eprintln!("greenthread: INVARIANT BROKEN: {msg}");
            ExitCode::from(1)
        }
        Err(Failure::Error(msg)) => {
            eprintln!("greenthread: error: {msg}");
            ExitCode::from(1)
        }
    }
}
