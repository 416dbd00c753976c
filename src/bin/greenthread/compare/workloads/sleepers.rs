//! Many sleepers: N threads each sleep 10 ms at the same time; measured from the first spawn
//! to the last join, divided by N. The nap is the same on both sides, so the difference is
//! what starting, parking, waking and joining N threads costs.

use std::time::{Duration, Instant};

use crate::compare::workload::{Ctx, Measured, SideResult, Sizes, Unit, Workload};
use crate::units::count;

/// N threads sleeping 10 ms at once.
#[derive(Debug)]
pub struct Sleepers;

const NAP: Duration = Duration::from_millis(10);

impl Workload for Sleepers {
    fn id(&self) -> &'static str {
        "sleepers"
    }

    fn title(&self, sizes: &Sizes) -> String {
        format!("{} sleepers × 10 ms (wall / n)", count(sizes.threads))
    }

    fn unit(&self) -> Unit {
        Unit::NanosPer("sleeper")
    }

    fn run_green(&self, ctx: &Ctx<'_>) -> SideResult {
        let n = ctx.sizes.threads;
        ctx.rt.block_on(|| {
            let start = Instant::now();
            let mut handles = Vec::with_capacity(n as usize);
            for _ in 0..n {
                let h = greenthread::Builder::new()
                    .spawn(|| greenthread::sleep(NAP))
                    .map_err(|e| format!("green spawn failed: {e}"))?;
                handles.push(h);
            }
            for h in handles {
                h.join()
                    .map_err(|_| "a green sleeper panicked".to_string())?;
            }
            Ok(per(start, n))
        })
    }

    fn run_os(&self, ctx: &Ctx<'_>) -> SideResult {
        let n = ctx.sizes.os_threads();
        let start = Instant::now();
        let mut handles = Vec::with_capacity(n as usize);
        for i in 0..n {
            match std::thread::Builder::new().spawn(|| std::thread::sleep(NAP)) {
                Ok(h) => handles.push(h),
                Err(e) => return Err(super::os_spawn_failed(i, n, &e, handles)),
            }
        }
        for h in handles {
            h.join().map_err(|_| "an OS sleeper panicked".to_string())?;
        }
        Ok(per(start, n))
    }
}

fn per(start: Instant, n: u64) -> Measured {
    Measured {
        value: start.elapsed().as_nanos() as f64 / n as f64,
        size: n,
    }
}
