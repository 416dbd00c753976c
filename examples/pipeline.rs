//! A pipeline with back-pressure: a producer, a pool of workers and a collector, joined by
//! bounded channels.
//!
//! ```sh
//! cargo run --release --example pipeline [ITEMS] [WORKERS]   # default 100000 items, 16 workers
//! ```
//!
//! The producer numbers items and sends them into a channel of capacity [`CAPACITY`]; each
//! worker green thread takes items, does a little work (a hash) and sends the result on; the
//! collector checks that every item arrived exactly once with the right result. When the
//! collector or the workers fall behind, the bounded channels fill and `send` parks the
//! green thread ahead of them: that is back-pressure, and it bounds how many items are in
//! flight at once (printed as the high-water mark).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use greenthread::channel::bounded;

/// Capacity of each of the two channels.
pub const CAPACITY: usize = 64;

fn main() {
    let mut args = std::env::args().skip(1);
    let items = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let workers = args.next().and_then(|a| a.parse().ok()).unwrap_or(16);
    let r = run(items, workers);
    println!(
        "pipeline: {} items through {} workers in {:.1?} ({:.0} items/s)",
        r.items,
        r.workers,
        r.elapsed,
        r.items as f64 / r.elapsed.as_secs_f64()
    );
    println!(
        "  received {} distinct, {} duplicates, {} missing, {} wrong results",
        r.distinct, r.duplicates, r.missing, r.wrong
    );
    println!(
        "  at most {} items in flight (bound: 2 × {CAPACITY} queued + {} in workers' hands + 2)",
        r.max_in_flight, r.workers
    );
    if r.all_once() {
        println!("  every item arrived exactly once");
    } else {
        eprintln!("pipeline: items lost or duplicated");
        std::process::exit(1);
    }
}

/// What the collector saw.
#[derive(Debug)]
pub struct Report {
    /// Items produced.
    pub items: u64,
    /// Worker green threads.
    pub workers: u64,
    /// Items that arrived at least once.
    pub distinct: u64,
    /// Arrivals of an item already seen.
    pub duplicates: u64,
    /// Items that never arrived.
    pub missing: u64,
    /// Results that differ from the expected hash.
    pub wrong: u64,
    /// The most items produced but not yet collected, at any moment.
    pub max_in_flight: u64,
    /// Wall time.
    pub elapsed: Duration,
}

impl Report {
    /// Every item arrived exactly once with the right result.
    pub fn all_once(&self) -> bool {
        self.distinct == self.items && self.duplicates == 0 && self.missing == 0 && self.wrong == 0
    }
}

/// The workers' little job.
pub fn work(item: u64) -> u64 {
    let mut h = item ^ 0x9E37_79B9_7F4A_7C15;
    for _ in 0..32 {
        h = h.rotate_left(5).wrapping_mul(0x100_0000_01B3) ^ item;
    }
    h
}

/// Runs `items` through `workers` workers and collects them.
pub fn run(items: u64, workers: u64) -> Report {
    let start = Instant::now();
    let (to_workers, jobs) = bounded::<u64>(CAPACITY);
    let (to_collector, results) = bounded::<(u64, u64)>(CAPACITY);
    let produced = Arc::new(AtomicU64::new(0));

    let producer = {
        let produced = produced.clone();
        greenthread::spawn(move || {
            for i in 0..items {
                // Counted before the send: the count may run one ahead of the channel.
                produced.fetch_add(1, Ordering::SeqCst);
                to_workers
                    .send(i)
                    .expect("the workers are there until the end");
            }
            // Dropping `to_workers` closes the channel: workers drain it and stop.
        })
    };
    let pool: Vec<_> = (0..workers)
        .map(|_| {
            let (jobs, out) = (jobs.clone(), to_collector.clone());
            greenthread::spawn(move || {
                for i in jobs.iter() {
                    out.send((i, work(i))).expect("the collector is there");
                }
            })
        })
        .collect();
    drop((jobs, to_collector));

    // The collector: the calling thread.
    let mut seen = vec![false; items as usize];
    let (mut distinct, mut duplicates, mut wrong, mut collected, mut max_in_flight) =
        (0, 0, 0, 0u64, 0);
    for (i, h) in results.iter() {
        collected += 1;
        max_in_flight = max_in_flight.max(produced.load(Ordering::SeqCst) - collected + 1);
        match seen.get_mut(i as usize) {
            Some(s) if !*s => {
                *s = true;
                distinct += 1;
            }
            _ => duplicates += 1,
        }
        if h != work(i) {
            wrong += 1;
        }
    }
    producer.join().expect("the producer panicked");
    for w in pool {
        w.join().expect("a worker panicked");
    }
    Report {
        items,
        workers,
        distinct,
        duplicates,
        missing: items - distinct,
        wrong,
        max_in_flight,
        elapsed: start.elapsed(),
    }
}
