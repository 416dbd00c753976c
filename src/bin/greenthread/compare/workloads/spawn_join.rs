//! spawn+join: start a thread that returns at once, and wait for it; one at a time.

use std::hint::black_box;
use std::time::Instant;

use crate::compare::workload::{Ctx, Measured, SideResult, Sizes, Unit, Workload};
use crate::units::count;

/// Spawns and joins threads one after another.
#[derive(Debug)]
pub struct SpawnJoin;

const BASE: u64 = 20_000;

impl Workload for SpawnJoin {
    fn id(&self) -> &'static str {
        "spawn-join"
    }

    fn title(&self, sizes: &Sizes) -> String {
        format!("spawn+join ({} threads)", count(sizes.iterations(BASE)))
    }

    fn unit(&self) -> Unit {
        Unit::NanosPer("thread")
    }

    fn run_green(&self, ctx: &Ctx<'_>) -> SideResult {
        let n = ctx.sizes.iterations(BASE);
        ctx.rt.block_on(|| {
            let start = Instant::now();
            for i in 0..n {
                let h = greenthread::Builder::new()
                    .spawn(move || black_box(i))
                    .map_err(|e| format!("green spawn failed: {e}"))?;
                if h.join().ok() != Some(i) {
                    return Err("a green thread did not return its value".to_string());
                }
            }
            Ok(per(start, n))
        })
    }

    fn run_os(&self, ctx: &Ctx<'_>) -> SideResult {
        let n = ctx.sizes.iterations(BASE);
        let start = Instant::now();
        for i in 0..n {
            let h = std::thread::Builder::new()
                .spawn(move || black_box(i))
                .map_err(|e| format!("the OS refused a thread: {e}"))?;
            if h.join().ok() != Some(i) {
                return Err("an OS thread did not return its value".to_string());
            }
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
