//! Dropping a runtime: parked green threads are unwound (destructors run), workers are
//! joined, joins report Cancelled, nothing leaks.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use greenthread::{Cancelled, Runtime};
use support::{CountDrop, within};

#[test]
fn parked_sleeping_and_unstarted_green_threads_are_unwound() {
    within(60, || {
        let rt = Runtime::builder()
            .workers(2)
            .thread_name("gt-sd-a".into())
            .build()
            .unwrap();
        let dropped = Arc::new(AtomicUsize::new(0));
        let parked_count = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::new();
        for i in 0..3000 {
            let guard = CountDrop(dropped.clone());
            let parked = parked_count.clone();
            handles.push(rt.spawn(move || {
                let _on_stack = guard;
                parked.fetch_add(1, Ordering::SeqCst);
                if i % 2 == 0 {
                    loop {
                        greenthread::park();
                    }
                } else {
                    greenthread::sleep(Duration::from_secs(3600));
                }
            }));
        }
        // Wait until every one has reached its switch point.
        while parked_count.load(Ordering::SeqCst) < 3000 {
            std::thread::yield_now();
        }
        // Plus some that may never start: their closures are dropped instead.
        for _ in 0..1000 {
            let guard = CountDrop(dropped.clone());
            handles.push(rt.spawn(move || {
                let _g = guard;
                loop {
                    greenthread::park();
                }
            }));
        }
        drop(rt);
        assert_eq!(
            dropped.load(Ordering::SeqCst),
            4000,
            "a destructor did not run"
        );
        for h in handles {
            assert!(h.join().unwrap_err().is::<Cancelled>());
        }
        assert_eq!(
            support::os_threads_named("gt-sd-a"),
            0,
            "worker threads left behind"
        );
    });
}

#[test]
fn unwinding_releases_what_the_green_thread_held() {
    within(30, || {
        let rt = Runtime::builder().workers(1).build().unwrap();
        let shared = Arc::new(std::sync::Mutex::new(0));
        let s = shared.clone();
        let ready = Arc::new(AtomicUsize::new(0));
        let r = ready.clone();
        let h = rt.spawn(move || {
            // Held across a park: the unwind at shutdown must release it.
            let mut g = s.lock().unwrap();
            *g += 1;
            r.store(1, Ordering::SeqCst);
            loop {
                greenthread::park();
            }
        });
        while ready.load(Ordering::SeqCst) == 0 {
            std::thread::yield_now();
        }
        drop(rt);
        assert!(h.join().is_err());
        // Released by the unwind (and so poisoned, as std does for a guard dropped in a panic).
        let value = match shared.try_lock() {
            Ok(g) => *g,
            Err(std::sync::TryLockError::Poisoned(p)) => *p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => panic!("the guard was not released"),
        };
        assert_eq!(value, 1);
        assert_eq!(
            Arc::strong_count(&shared),
            1,
            "the closure's captures leaked"
        );
    });
}

#[test]
fn destructors_that_spawn_or_park_during_shutdown_do_not_hang() {
    struct Awkward;
    impl Drop for Awkward {
        fn drop(&mut self) {
            greenthread::park();
            greenthread::yield_now();
            greenthread::sleep(Duration::from_secs(10));
            let h = greenthread::spawn(|| 1);
            // The new green thread never runs (the runtime is gone): join says Cancelled.
            assert!(h.join().is_err());
        }
    }
    within(30, || {
        let rt = Runtime::builder().workers(1).build().unwrap();
        let started = Arc::new(AtomicUsize::new(0));
        let s = started.clone();
        let h = rt.spawn(move || {
            let _a = Awkward;
            s.store(1, Ordering::SeqCst);
            loop {
                greenthread::park();
            }
        });
        while started.load(Ordering::SeqCst) == 0 {
            std::thread::yield_now();
        }
        drop(rt);
        assert!(h.join().unwrap_err().is::<Cancelled>());
    });
}

#[test]
fn finished_runtimes_leave_no_threads_behind() {
    within(60, || {
        for _ in 0..20 {
            let rt = Runtime::builder()
                .workers(2)
                .thread_name("gt-sd-b".into())
                .build()
                .unwrap();
            assert_eq!(rt.block_on(|| greenthread::spawn(|| 7).join().unwrap()), 7);
        }
        assert!(
            support::no_os_threads_named("gt-sd-b"),
            "worker threads left behind"
        );
    });
}

#[test]
fn dropping_a_runtime_from_its_own_green_thread_does_not_deadlock() {
    within(30, || {
        let rt = Runtime::builder().workers(2).build().unwrap();
        let rt = Arc::new(std::sync::Mutex::new(Some(rt)));
        let holder = rt.clone();
        let h = rt.lock().unwrap().as_ref().unwrap().spawn(move || {
            let mine = holder.lock().unwrap().take();
            drop(mine); // hands shutdown to another OS thread
            loop {
                greenthread::park(); // unwound by that shutdown
            }
        });
        assert!(h.join().unwrap_err().is::<Cancelled>());
    });
}
