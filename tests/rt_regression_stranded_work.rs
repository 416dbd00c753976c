//! Regression: work pushed to the injector while a worker searched was stranded.
//!
//! Producers skip waking an idle worker while another one is searching, trusting the
//! searcher to find their work. A searcher that took one green thread and stopped searching
//! did not look again, so a second green thread pushed meanwhile sat in the injector while
//! the idle worker slept in the poller, until the first one's worker switched. Here two
//! green threads spin until they see each other running: they can only both run if the
//! second one is not stranded. CPU hogs widen the window, as a loaded machine did.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use greenthread::Runtime;

#[test]
fn a_second_green_thread_spawned_while_a_worker_searches_still_runs() {
    support::within(120, || {
        let stop_hogs = Arc::new(AtomicBool::new(false));
        let hogs: Vec<_> = (0..2)
            .map(|_| {
                let stop = stop_hogs.clone();
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::hint::spin_loop();
                    }
                })
            })
            .collect();
        let rt = Runtime::builder().workers(2).build().unwrap();
        for round in 0..150 {
            let seen = Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
            let handles: Vec<_> = (0..2)
                .map(|me| {
                    let seen = seen.clone();
                    rt.spawn(move || {
                        seen[me].store(true, Ordering::Release);
                        let start = Instant::now();
                        while !seen[1 - me].load(Ordering::Acquire) {
                            if start.elapsed() > Duration::from_secs(10) {
                                return false;
                            }
                            std::hint::spin_loop();
                        }
                        true
                    })
                })
                .collect();
            for h in handles {
                assert!(
                    h.join().unwrap(),
                    "round {round}: the second green thread was stranded"
                );
            }
        }
        stop_hogs.store(true, Ordering::Relaxed);
        hogs.into_iter().for_each(|h| h.join().unwrap());
    });
}
