//! yield: hand the CPU to the scheduler and get it back. For a green thread a round trip
//! through the worker loop (two context switches); for an OS thread `sched_yield`.

use std::time::Instant;

use crate::compare::workload::{Ctx, Measured, SideResult, Sizes, Unit, Workload};
use crate::units::count;

/// `yield_now` in a loop, green against `std::thread::yield_now`.
#[derive(Debug)]
pub struct YieldSwitch;

const BASE: u64 = 1_000_000;

impl Workload for YieldSwitch {
    fn id(&self) -> &'static str {
        "yield"
    }

    fn title(&self, sizes: &Sizes) -> String {
        format!("yield_now round trip ({}×)", count(sizes.iterations(BASE)))
    }

    fn unit(&self) -> Unit {
        Unit::NanosPer("yield")
    }

    fn run_green(&self, ctx: &Ctx<'_>) -> SideResult {
        let n = ctx.sizes.iterations(BASE);
        let elapsed = ctx.rt.block_on(|| {
            let start = Instant::now();
            for _ in 0..n {
                greenthread::yield_now();
            }
            start.elapsed()
        });
        Ok(Measured {
            value: elapsed.as_nanos() as f64 / n as f64,
            size: n,
        })
    }

    fn run_os(&self, ctx: &Ctx<'_>) -> SideResult {
        let n = ctx.sizes.iterations(BASE);
        let start = Instant::now();
        for _ in 0..n {
            std::thread::yield_now();
        }
        Ok(Measured {
            value: start.elapsed().as_nanos() as f64 / n as f64,
            size: n,
        })
    }
}
