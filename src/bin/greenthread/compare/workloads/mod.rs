//! The workloads of `greenthread compare`, one per file.
//!
//! Adding one (e.g. channel ping-pong once `greenthread::channel` exists): a new file here
//! with a unit struct implementing [`Workload`], a `mod` line below, and an entry in
//! [`all`]. Its id then works with `--only`, and it appears in the table, JSON and plot.

pub mod memory;
mod ping_pong;
mod sleepers;
mod spawn_join;
mod yield_switch;

use clap::builder::PossibleValuesParser;

use super::workload::Workload;

/// Every workload, in the order of the table.
pub fn all() -> Vec<Box<dyn Workload>> {
    vec![
        Box::new(spawn_join::SpawnJoin),
        Box::new(yield_switch::YieldSwitch),
        Box::new(ping_pong::ParkPingPong),
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
