//! Many producers and consumers, green and OS threads mixed: every message is received
//! exactly once (counted), for every flavour, over many rounds (no lost wake-ups).

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use greenthread::channel::{Receiver, Sender, bounded, unbounded};
use support::{rt, watchdog};

fn channel(cap: Option<usize>) -> (Sender<usize>, Receiver<usize>) {
    match cap {
        None => unbounded(),
        Some(c) => bounded(c),
    }
}

/// `producers` x `per` messages; `consumers` receivers mark each message seen exactly once.
fn run(
    rt: &greenthread::Runtime,
    cap: Option<usize>,
    producers: usize,
    consumers: usize,
    per: usize,
    os_threads: bool,
) {
    let (tx, rx) = channel(cap);
    let seen: Arc<Vec<AtomicUsize>> =
        Arc::new((0..producers * per).map(|_| AtomicUsize::new(0)).collect());
    let mut joins: Vec<Box<dyn FnOnce() + Send>> = Vec::new();
    for p in 0..producers {
        let tx = tx.clone();
        let f = move || {
            for i in 0..per {
                tx.send(p * per + i).unwrap();
            }
        };
        if os_threads && p % 2 == 0 {
            let h = std::thread::spawn(f);
            joins.push(Box::new(move || h.join().unwrap()));
        } else {
            let h = rt.spawn(f);
            joins.push(Box::new(move || h.join().unwrap()));
        }
    }
    drop(tx);
    for c in 0..consumers {
        let (rx, seen) = (rx.clone(), seen.clone());
        let f = move || {
            for v in rx.iter() {
                seen[v].fetch_add(1, Ordering::Relaxed);
            }
        };
        if os_threads && c % 2 == 1 {
            let h = std::thread::spawn(f);
            joins.push(Box::new(move || h.join().unwrap()));
        } else {
            let h = rt.spawn(f);
            joins.push(Box::new(move || h.join().unwrap()));
        }
    }
    drop(rx);
    for j in joins {
        j();
    }
    for (v, n) in seen.iter().enumerate() {
        assert_eq!(n.load(Ordering::Relaxed), 1, "message {v} cap {cap:?}");
    }
}

#[test]
fn many_producers_many_consumers_green() {
    watchdog(120, "mpmc_green", || {
        let rt = rt();
        for cap in [None, Some(0), Some(1), Some(7), Some(100)] {
            run(&rt, cap, 8, 8, 5_000, false);
        }
    });
}

#[test]
fn many_producers_many_consumers_mixed_os_and_green() {
    watchdog(120, "mpmc_mixed", || {
        let rt = rt();
        for cap in [None, Some(0), Some(1), Some(7)] {
            run(&rt, cap, 4, 4, 5_000, true);
        }
    });
}

#[test]
fn thousands_of_small_rounds() {
    watchdog(180, "thousands_of_small_rounds", || {
        let rt = rt();
        for round in 0..3_000 {
            let cap = [None, Some(0), Some(1), Some(2)][round % 4];
            run(&rt, cap, 2, 2, 20, round % 8 == 0);
        }
    });
}

#[test]
fn ping_pong_many_rounds() {
    watchdog(60, "ping_pong", || {
        let rt = rt();
        for cap in [Some(0), Some(1), None] {
            let (tx1, rx1) = channel(cap);
            let (tx2, rx2) = channel(cap);
            let h = rt.spawn(move || {
                for v in rx1.iter() {
                    tx2.send(v + 1).unwrap();
                }
            });
            let n = rt.block_on(|| {
                let mut v = 0;
                for _ in 0..20_000 {
                    tx1.send(v).unwrap();
                    v = rx2.recv().unwrap();
                }
                v
            });
            assert_eq!(n, 20_000);
            drop(tx1);
            h.join().unwrap();
        }
    });
}
