//! scope: borrowing green threads, joined before the scope returns.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};

use greenthread::Runtime;
use support::within;

#[test]
fn scoped_green_threads_borrow_and_are_all_joined() {
    within(30, || {
        let rt = Runtime::builder().workers(2).build().unwrap();
        let data: Vec<u64> = (1..=1000).collect();
        let hits = AtomicUsize::new(0);
        let total = rt.block_on(|| {
            greenthread::scope(|s| {
                let halves = data.split_at(500);
                let a = s.spawn(|| halves.0.iter().sum::<u64>());
                let b = s.spawn(|| halves.1.iter().sum::<u64>());
                for _ in 0..100 {
                    // Not joined explicitly: the scope waits for them.
                    s.spawn(|| {
                        greenthread::yield_now();
                        hits.fetch_add(1, Ordering::Relaxed);
                    });
                }
                a.join().unwrap() + b.join().unwrap()
            })
        });
        assert_eq!(total, 500_500);
        assert_eq!(hits.load(Ordering::Relaxed), 100);
    });
}

#[test]
fn scope_from_an_os_thread_uses_the_global_runtime() {
    within(30, || {
        let mut v = vec![1, 2, 3];
        greenthread::scope(|s| {
            s.spawn(|| v.push(4));
        });
        assert_eq!(v, [1, 2, 3, 4]);
    });
}

#[test]
fn an_unjoined_panicking_scoped_thread_panics_the_scope_after_all_finish() {
    within(30, || {
        let rt = Runtime::builder().workers(2).build().unwrap();
        let finished = AtomicUsize::new(0);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(|| {
                greenthread::scope(|s| {
                    s.spawn(|| panic!("scoped boom"));
                    for _ in 0..10 {
                        s.spawn(|| {
                            greenthread::sleep(std::time::Duration::from_millis(5));
                            finished.fetch_add(1, Ordering::SeqCst);
                        });
                    }
                })
            })
        }));
        let payload = result.unwrap_err();
        assert_eq!(
            payload.downcast_ref::<&str>(),
            Some(&"a scoped green thread panicked")
        );
        assert_eq!(
            finished.load(Ordering::SeqCst),
            10,
            "scope returned before its threads"
        );
    });
}

#[test]
fn a_joined_panic_is_handled_by_the_joiner() {
    within(30, || {
        let rt = Runtime::builder().workers(1).build().unwrap();
        let caught =
            rt.block_on(|| greenthread::scope(|s| s.spawn(|| panic!("handled")).join().is_err()));
        assert!(caught);
    });
}
