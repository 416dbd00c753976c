//! The workloads of `greenthread compare`, one per file.
//!
//! # Adding one
//!
//! 1. A file here, e.g. `channel_ping_pong.rs`, with a unit struct implementing
//!    [`Workload`]: `id` (kebab-case, used by `--only` and the JSON), `title` (with its
//!    sizes), `unit` (lower is better), `run_green` (on `ctx.rt`, usually inside
//!    `ctx.rt.block_on`), `run_os` (plain `std::thread` and the std/crossbeam equivalent).
//!    Size it with `ctx.sizes.iterations(BASE)` for operation counts and
//!    `ctx.sizes.threads` / `ctx.sizes.os_threads()` for threads alive at once; return
//!    `Err(message)` instead of panicking (an OS refusal becomes a note in the table).
//! 2. A `mod` line below and an entry in [`all`], in table order.
//! 3. Add its id to `WORKLOADS` in `tests/cli_compare.rs`.
//!
//! Examples to copy: `channel_ping_pong.rs` (two threads, one number), `mutex_contended.rs`
//! (N threads, an exact count checked), `tcp_echo.rs` (sockets, io errors turned into
//! notes, OS side capped by `os_threads()`).

mod channel_ping_pong;
pub mod memory;
mod mutex_contended;
mod ping_pong;
mod sleepers;
mod spawn_join;
mod tcp_echo;
mod yield_switch;

use clap::builder::PossibleValuesParser;

use super::workload::Workload;

/// Every workload, in the order of the table.
pub fn all() -> Vec<Box<dyn Workload>> {
    vec![
        Box::new(spawn_join::SpawnJoin),
        Box::new(yield_switch::YieldSwitch),
        Box::new(ping_pong::ParkPingPong),
        Box::new(channel_ping_pong::ChannelPingPong),
        Box::new(mutex_contended::MutexContended),
        Box::new(tcp_echo::TcpEcho),
        Box::new(sleepers::Sleepers),
        Box::new(memory::ParkedMemory),
    ]
}

/// The ids of [`all`], for `--only`.
pub fn ids() -> PossibleValuesParser {
    PossibleValuesParser::new(all().iter().map(|w| w.id()).collect::<Vec<_>>())
}

/// Joins OS threads started so far and describes a spawn failure after `started` of them.
pub(crate) fn os_spawn_failed(
    started: u64,
    wanted: u64,
    err: &std::io::Error,
    joins: Vec<std::thread::JoinHandle<()>>,
) -> String {
    for h in joins {
        let _ = h.join();
    }
    format!(
        "the OS refused thread {} of {}: {err} (try a smaller --os-threads-max)",
        crate::units::count(started + 1),
        crate::units::count(wanted)
    )
}
