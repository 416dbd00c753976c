//! `sync::Mutex`: exclusion, counts exact, timeouts, OS <-> green, fairness, no lost wake-ups.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use greenthread::sync::Mutex;
use support::{rt, watchdog};

#[test]
fn basics() {
    let mut m = Mutex::new(vec![1]);
    m.lock().push(2);
    assert!(!m.is_locked());
    {
        let g = m.lock();
        assert!(m.is_locked());
        assert!(m.try_lock().is_none());
        assert!(m.try_lock_for(Duration::from_millis(2)).is_none());
        drop(g);
    }
    m.get_mut().push(3);
    assert_eq!(format!("{m:?}"), "Mutex { data: [1, 2, 3] }");
    assert_eq!(m.into_inner(), vec![1, 2, 3]);
}

#[test]
fn green_threads_count_exact() {
    watchdog(60, "green_threads_count_exact", || {
        let rt = rt();
        let m = Arc::new(Mutex::new(0u64));
        let hs: Vec<_> = (0..100)
            .map(|_| {
                let m = m.clone();
                rt.spawn(move || {
                    for i in 0..2_000 {
                        *m.lock() += 1;
                        if i % 100 == 0 {
                            greenthread::yield_now();
                        }
                    }
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(*m.lock(), 200_000);
    });
}

#[test]
fn held_across_switch_points_parks_waiters() {
    // One worker: if a waiter blocked the worker instead of parking, the holder (which
    // sleeps while holding the lock) could never run again.
    watchdog(30, "held_across_switch_points", || {
        let rt = greenthread::Runtime::builder().workers(1).build().unwrap();
        let m = Arc::new(Mutex::new(Vec::new()));
        let hs: Vec<_> = (0..20)
            .map(|i| {
                let m = m.clone();
                rt.spawn(move || {
                    let mut g = m.lock();
                    greenthread::sleep(Duration::from_micros(200));
                    g.push(i);
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(m.lock().len(), 20);
    });
}

#[test]
fn os_and_green_threads_share_a_lock() {
    watchdog(60, "os_and_green", || {
        let rt = rt();
        let m = Arc::new(Mutex::new(0u64));
        let mut green = Vec::new();
        for _ in 0..8 {
            let m = m.clone();
            green.push(rt.spawn(move || {
                for _ in 0..5_000 {
                    let mut g = m.lock();
                    *g += 1;
                    if *g % 64 == 0 {
                        greenthread::yield_now(); // hold it across a switch point sometimes
                    }
                }
            }));
        }
        let os: Vec<_> = (0..4)
            .map(|_| {
                let m = m.clone();
                std::thread::spawn(move || {
                    for _ in 0..5_000 {
                        *m.lock() += 1;
                    }
                })
            })
            .collect();
        green.into_iter().for_each(|h| h.join().unwrap());
        os.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(*m.lock(), 60_000);
    });
}

#[test]
fn os_thread_waits_for_green_holder_and_back() {
    watchdog(30, "os_waits_for_green", || {
        let rt = rt();
        for _ in 0..200 {
            // green holds, OS waits
            let m = Arc::new(Mutex::new(0));
            let (tx, rx) = std::sync::mpsc::channel();
            let m2 = m.clone();
            let h = rt.spawn(move || {
                let mut g = m2.lock();
                tx.send(()).unwrap();
                greenthread::sleep(Duration::from_micros(50));
                *g += 1;
            });
            rx.recv().unwrap();
            *m.lock() += 1;
            h.join().unwrap();
            assert_eq!(*m.lock(), 2);
            // OS holds, green waits
            let g = m.lock();
            let m2 = m.clone();
            let h = rt.spawn(move || *m2.lock() += 1);
            std::thread::yield_now();
            drop(g);
            h.join().unwrap();
            assert_eq!(*m.lock(), 3);
        }
    });
}

#[test]
fn try_lock_for_times_out_and_then_succeeds() {
    watchdog(30, "try_lock_for", || {
        let rt = rt();
        let m = Arc::new(Mutex::new(()));
        let g = m.lock();
        let m2 = m.clone();
        let waited = rt
            .spawn(move || {
                let start = Instant::now();
                assert!(m2.try_lock_for(Duration::from_millis(20)).is_none());
                start.elapsed()
            })
            .join()
            .unwrap();
        assert!(waited >= Duration::from_millis(20), "{waited:?}");
        drop(g);
        let m2 = m.clone();
        assert!(
            rt.spawn(move || m2.try_lock_for(Duration::from_secs(5)).is_some())
                .join()
                .unwrap()
        );
    });
}

#[test]
fn timeouts_racing_unlocks_lose_nothing() {
    // Waiters time out at the moment the lock is released or handed to them: every
    // acquisition must be real (exact count) and the lock must stay usable.
    watchdog(60, "timeouts_racing_unlocks", || {
        let rt = rt();
        let m = Arc::new(Mutex::new(0u64));
        let got = Arc::new(AtomicUsize::new(0));
        let hs: Vec<_> = (0..16)
            .map(|i| {
                let (m, got) = (m.clone(), got.clone());
                rt.spawn(move || {
                    for j in 0..2_000u64 {
                        let t = Duration::from_micros((i * 7 + j) % 50);
                        if let Some(mut g) = m.try_lock_for(t) {
                            *g += 1;
                            got.fetch_add(1, Ordering::Relaxed);
                            if j % 8 == 0 {
                                greenthread::yield_now();
                            }
                        }
                    }
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(*m.lock() as usize, got.load(Ordering::Relaxed));
        // Nothing is stuck: the lock is free and the queue empty.
        assert!(m.try_lock().is_some());
    });
}

#[test]
fn a_waiter_cannot_starve() {
    // A green thread re-locks in a tight loop (it never waits: barging); a waiter must
    // still get the lock (eventual fairness hands it over after ~0.5 ms).
    watchdog(30, "a_waiter_cannot_starve", || {
        let rt = rt();
        let m = Arc::new(Mutex::new(0u64));
        let stop = Arc::new(AtomicBool::new(false));
        let (m2, stop2) = (m.clone(), stop.clone());
        let hog = rt.spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                let mut g = m2.lock();
                *g += 1;
                let t = Instant::now();
                while t.elapsed() < Duration::from_micros(20) {
                    std::hint::spin_loop();
                }
                drop(g);
            }
        });
        for _ in 0..50 {
            let start = Instant::now();
            drop(m.lock());
            assert!(start.elapsed() < Duration::from_secs(2));
        }
        stop.store(true, Ordering::Relaxed);
        hog.join().unwrap();
    });
}

#[test]
fn no_lost_wakeups_many_rounds() {
    watchdog(120, "no_lost_wakeups_many_rounds", || {
        let rt = rt();
        for round in 0..2_000 {
            let m = Arc::new(Mutex::new(0));
            let hs: Vec<_> = (0..4)
                .map(|_| {
                    let m = m.clone();
                    rt.spawn(move || {
                        for _ in 0..10 {
                            let mut g = m.lock();
                            *g += 1;
                            greenthread::yield_now();
                        }
                    })
                })
                .collect();
            hs.into_iter().for_each(|h| h.join().unwrap());
            assert_eq!(*m.lock(), 40, "round {round}");
        }
    });
}

#[test]
fn runtime_shutdown_unwinds_a_waiter_cleanly() {
    // A green thread parked on a lock held by an OS thread is unwound when its runtime is
    // dropped; the lock must stay usable afterwards.
    watchdog(30, "shutdown_unwinds_waiter", || {
        let m = Arc::new(Mutex::new(0));
        let g = m.lock();
        {
            let rt = rt();
            let m2 = m.clone();
            let _h = rt.spawn(move || *m2.lock() += 1);
            std::thread::sleep(Duration::from_millis(10)); // let it park (not a sync point)
        }
        drop(g);
        assert_eq!(*m.try_lock_for(Duration::from_secs(5)).unwrap(), 0);
    });
}
