//! Shutting runtimes down leaks nothing: every green thread (parked, queued, sleeping or never
//! started) is freed, and with them the runtime's state, whose reactor holds file descriptors.
//! A leaked green thread keeps its runtime alive, which shows here as leaked descriptors.
//! (A file of its own: other tests' runtimes would blur the count.)

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use greenthread::Runtime;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[test]
fn dropped_runtimes_free_every_green_thread_and_their_state() {
    support::within(120, || {
        // Warm up anything process-wide (the global pool, the panic hook) first.
        drop(Runtime::builder().workers(2).build().unwrap());
        let before = open_fds();
        for round in 0..30 {
            let rt = Runtime::builder().workers(2).build().unwrap();
            let started = Arc::new(AtomicUsize::new(0));
            let mut handles = Vec::new();
            for i in 0..200 {
                let started = started.clone();
                handles.push(rt.spawn(move || {
                    started.fetch_add(1, Ordering::SeqCst);
                    match i % 3 {
                        0 => loop {
                            greenthread::park();
                        },
                        1 => greenthread::sleep(Duration::from_secs(3600)),
                        _ => {
                            // Parked, woken once, parked again: exercises the hand-over of
                            // the parked green thread's own reference.
                            greenthread::park();
                            loop {
                                greenthread::park();
                            }
                        }
                    }
                }));
            }
            while started.load(Ordering::SeqCst) < 200 {
                std::thread::yield_now();
            }
            for h in handles.iter().skip(2).step_by(3) {
                h.thread().unpark();
            }
            if round % 2 == 0 {
                // Some handles outlive their runtime, some die first.
                drop(handles);
                drop(rt);
            } else {
                drop(rt);
                for h in handles {
                    assert!(h.join().is_err());
                }
            }
        }
        assert_eq!(
            open_fds(),
            before,
            "runtime state leaked (its reactor's descriptors)"
        );
    });
}
