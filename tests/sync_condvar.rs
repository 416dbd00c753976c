//! `sync::Condvar`: notify one/all, timeouts, OS <-> green, no lost wake-ups.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use greenthread::sync::{Condvar, Mutex};
use support::{rt, watchdog};

#[test]
fn wait_for_times_out() {
    let (m, cv) = (Mutex::new(()), Condvar::new());
    let mut g = m.lock();
    let start = Instant::now();
    assert!(cv.wait_for(&mut g, Duration::from_millis(10)).timed_out());
    assert!(start.elapsed() >= Duration::from_millis(10));
    assert!(!cv.notify_one());
    assert_eq!(cv.notify_all(), 0);
    let r = cv.wait_while_for(&mut g, |_| true, Duration::from_millis(5));
    assert!(r.timed_out());
}

#[test]
fn notify_all_wakes_every_waiter() {
    watchdog(30, "notify_all", || {
        let rt = rt();
        let state = Arc::new((Mutex::new((false, 0usize)), Condvar::new()));
        let hs: Vec<_> = (0..50)
            .map(|_| {
                let state = state.clone();
                rt.spawn(move || {
                    let (m, cv) = &*state;
                    let mut g = m.lock();
                    g.1 += 1;
                    cv.wait_while(&mut g, |g| !g.0);
                })
            })
            .collect();
        let (m, cv) = &*state;
        {
            let mut g = m.lock();
            while g.1 < 50 {
                let _ = cv.wait_for(&mut g, Duration::from_millis(1));
            }
            g.0 = true;
        }
        cv.notify_all();
        hs.into_iter().for_each(|h| h.join().unwrap());
    });
}

/// A one-slot queue handed back and forth with notify_one, between `a` and `b` kinds of
/// threads, many rounds: a lost wake-up hangs (caught by the watchdog).
fn ping_pong(green_a: bool, green_b: bool) {
    let rt = rt();
    let state = Arc::new((Mutex::new(0u64), Condvar::new()));
    let n = 5_000;
    let player = |parity: u64, green: bool| {
        let state = state.clone();
        let f = move || {
            let (m, cv) = &*state;
            for _ in 0..n {
                let mut g = m.lock();
                cv.wait_while(&mut g, |v| *v % 2 != parity);
                *g += 1;
                cv.notify_one();
            }
        };
        let b: Box<dyn FnOnce() + Send> = if green {
            let h = rt.spawn(f);
            Box::new(move || h.join().unwrap())
        } else {
            let h = std::thread::spawn(f);
            Box::new(move || h.join().unwrap())
        };
        b
    };
    let a = player(0, green_a);
    let b = player(1, green_b);
    a();
    b();
    assert_eq!(*state.0.lock(), 2 * n);
}

#[test]
fn ping_pong_green_green() {
    watchdog(60, "cv_green_green", || ping_pong(true, true));
}

#[test]
fn ping_pong_green_os() {
    watchdog(60, "cv_green_os", || ping_pong(true, false));
}

#[test]
fn ping_pong_os_os() {
    watchdog(60, "cv_os_os", || ping_pong(false, false));
}

#[test]
fn timeouts_racing_notifies_lose_no_notification() {
    // Waiters with tiny timeouts race notify_one: a notification taken by a waiter that
    // also timed out would be lost, and the producer/consumer count would not match.
    watchdog(60, "cv_timeouts_race", || {
        let rt = rt();
        let state = Arc::new((Mutex::new(0u64), Condvar::new()));
        let consumers: Vec<_> = (0..4)
            .map(|_| {
                let state = state.clone();
                rt.spawn(move || {
                    let (m, cv) = &*state;
                    let mut taken = 0;
                    loop {
                        let mut g = m.lock();
                        while *g == 0 {
                            let _ = cv.wait_for(&mut g, Duration::from_micros(20));
                        }
                        if *g == u64::MAX {
                            return taken;
                        }
                        *g -= 1;
                        taken += 1;
                    }
                })
            })
            .collect();
        let (m, cv) = &*state;
        for _ in 0..20_000 {
            *m.lock() += 1;
            cv.notify_one();
        }
        loop {
            let mut g = m.lock();
            if *g == 0 {
                *g = u64::MAX;
                break;
            }
            drop(g);
            std::thread::yield_now();
        }
        cv.notify_all();
        let total: u64 = consumers.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(total, 20_000);
    });
}
