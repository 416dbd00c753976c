//! Contended mutex: N threads each lock one shared counter K times and increment it.
//! Green threads use `greenthread::sync::Mutex`, OS threads `std::sync::Mutex`. The final
//! count is checked exactly.

use std::sync::Arc;
use std::time::Instant;

use crate::compare::workload::{Ctx, Measured, SideResult, Sizes, Unit, Workload};
use crate::units::count;

/// N threads × K increments of one counter behind a mutex.
#[derive(Debug)]
pub struct MutexContended;

/// Total lock operations at scale 1.
const BASE: u64 = 400_000;
/// Threads contending (the same on both sides).
const THREADS: u64 = 8;

fn sizes(sizes: &Sizes) -> (u64, u64) {
    let k = (sizes.iterations(BASE) / THREADS).max(1);
    (THREADS, k)
}

impl Workload for MutexContended {
    fn id(&self) -> &'static str {
        "mutex-contended"
    }

    fn title(&self, s: &Sizes) -> String {
        let (n, k) = sizes(s);
        format!("contended mutex ({n} threads × {} locks)", count(k))
    }

    fn unit(&self) -> Unit {
        Unit::NanosPer("lock")
    }

    fn run_green(&self, ctx: &Ctx<'_>) -> SideResult {
        let (n, k) = sizes(ctx.sizes);
        ctx.rt.block_on(|| {
            let counter = Arc::new(greenthread::sync::Mutex::new(0u64));
            let start = Instant::now();
            let mut handles = Vec::new();
            for _ in 0..n {
                let counter = counter.clone();
                let h = greenthread::Builder::new()
                    .spawn(move || {
                        for _ in 0..k {
                            *counter.lock() += 1;
                        }
                    })
                    .map_err(|e| format!("green spawn failed: {e}"))?;
                handles.push(h);
            }
            for h in handles {
                h.join().map_err(|_| "a green thread panicked")?;
            }
            let elapsed = start.elapsed();
            check(*counter.lock(), n * k)?;
            Ok(per(elapsed, n * k))
        })
    }

    fn run_os(&self, ctx: &Ctx<'_>) -> SideResult {
        let (n, k) = sizes(ctx.sizes);
        let counter = Arc::new(std::sync::Mutex::new(0u64));
        let start = Instant::now();
        let mut handles = Vec::new();
        for i in 0..n {
            let counter = counter.clone();
            let spawned = std::thread::Builder::new().spawn(move || {
                for _ in 0..k {
                    *counter.lock().unwrap_or_else(|p| p.into_inner()) += 1;
                }
            });
            match spawned {
                Ok(h) => handles.push(h),
                Err(e) => return Err(super::os_spawn_failed(i, n, &e, handles)),
            }
        }
        for h in handles {
            h.join().map_err(|_| "an OS thread panicked")?;
        }
        let elapsed = start.elapsed();
        check(*counter.lock().unwrap_or_else(|p| p.into_inner()), n * k)?;
        Ok(per(elapsed, n * k))
    }
}

fn check(got: u64, want: u64) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "the counter is {got}, expected {want}: lost updates"
        ))
    }
}

fn per(elapsed: std::time::Duration, n: u64) -> Measured {
    Measured {
        value: elapsed.as_nanos() as f64 / n as f64,
        size: n,
    }
}
