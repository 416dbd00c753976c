//! Hundreds of thousands of parked green threads on a stock kernel: past the guarded-stack
//! budget (`vm.max_map_count`) the pool switches to compact stacks.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use greenthread::Runtime;
use support::within;

fn park_many(rt: &Runtime, n: usize) {
    let release = Arc::new(AtomicBool::new(false));
    let parked = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let (release, parked) = (release.clone(), parked.clone());
            rt.spawn(move || {
                parked.fetch_add(1, Ordering::Relaxed);
                while !release.load(Ordering::Acquire) {
                    greenthread::park();
                }
                i
            })
        })
        .collect();
    while parked.load(Ordering::Relaxed) < n {
        std::thread::yield_now();
    }
    release.store(true, Ordering::Release);
    for h in &handles {
        h.thread().unpark();
    }
    let mut sum = 0usize;
    for h in handles {
        sum += h.join().unwrap();
    }
    assert_eq!(sum, n * (n - 1) / 2);
}

#[test]
fn two_hundred_thousand_parked_green_threads() {
    within(300, || {
        let rt = Runtime::builder().workers(2).build().unwrap();
        park_many(&rt, 200_000);
        // And the pool serves a second wave from what the first gave back.
        park_many(&rt, 50_000);
    });
}

#[test]
#[ignore = "a million green threads take about 6 GiB; run with --ignored"]
fn a_million_parked_green_threads() {
    within(600, || {
        let rt = Runtime::builder().workers(2).build().unwrap();
        park_many(&rt, 1_000_000);
    });
}
