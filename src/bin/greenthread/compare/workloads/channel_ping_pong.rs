//! Channel ping-pong: two threads pass a number back and forth over two rendezvous channels
//! (capacity 0). Green threads use `greenthread::channel::bounded(0)`, OS threads
//! `std::sync::mpsc::sync_channel(0)`.

use std::time::Instant;

use crate::compare::workload::{Ctx, Measured, SideResult, Sizes, Unit, Workload};
use crate::units::count;

/// Two threads echo a number over a pair of rendezvous channels.
#[derive(Debug)]
pub struct ChannelPingPong;

const BASE: u64 = 100_000;

impl Workload for ChannelPingPong {
    fn id(&self) -> &'static str {
        "channel-ping-pong"
    }

    fn title(&self, sizes: &Sizes) -> String {
        format!(
            "channel ping-pong, capacity 0 ({} round trips)",
            count(sizes.iterations(BASE))
        )
    }

    fn unit(&self) -> Unit {
        Unit::NanosPer("round trip")
    }

    fn run_green(&self, ctx: &Ctx<'_>) -> SideResult {
        use greenthread::channel::bounded;
        let n = ctx.sizes.iterations(BASE);
        ctx.rt.block_on(|| {
            let (ping_tx, ping_rx) = bounded::<u64>(0);
            let (pong_tx, pong_rx) = bounded::<u64>(0);
            let echo = greenthread::Builder::new()
                .spawn(move || {
                    for v in ping_rx.iter() {
                        if pong_tx.send(v + 1).is_err() {
                            break;
                        }
                    }
                })
                .map_err(|e| format!("green spawn failed: {e}"))?;
            let start = Instant::now();
            for i in 0..n {
                ping_tx.send(i).map_err(|_| "the echo thread hung up")?;
                if pong_rx.recv() != Ok(i + 1) {
                    return Err("the echo thread answered wrong".to_string());
                }
            }
            let elapsed = start.elapsed();
            drop(ping_tx);
            echo.join().map_err(|_| "the echo thread panicked")?;
            Ok(per(elapsed, n))
        })
    }

    fn run_os(&self, ctx: &Ctx<'_>) -> SideResult {
        use std::sync::mpsc::sync_channel;
        let n = ctx.sizes.iterations(BASE);
        let (ping_tx, ping_rx) = sync_channel::<u64>(0);
        let (pong_tx, pong_rx) = sync_channel::<u64>(0);
        let echo = std::thread::Builder::new()
            .spawn(move || {
                for v in ping_rx.iter() {
                    if pong_tx.send(v + 1).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| format!("the OS refused a thread: {e}"))?;
        let start = Instant::now();
        for i in 0..n {
            ping_tx.send(i).map_err(|_| "the echo thread hung up")?;
            if pong_rx.recv() != Ok(i + 1) {
                return Err("the echo thread answered wrong".to_string());
            }
        }
        let elapsed = start.elapsed();
        drop(ping_tx);
        echo.join().map_err(|_| "the echo thread panicked")?;
        Ok(per(elapsed, n))
    }
}

fn per(elapsed: std::time::Duration, n: u64) -> Measured {
    Measured {
        value: elapsed.as_nanos() as f64 / n as f64,
        size: n,
    }
}
