//! `Select` and `select!`: exactly one operation completes, default/timeout, rendezvous
//! on both sides, disconnection, fairness between ready operations.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use greenthread::channel::{Select, bounded, select, unbounded};
use support::{rt, watchdog};

#[test]
fn default_runs_when_nothing_is_ready() {
    let (_tx, rx) = unbounded::<i32>();
    let r = select! {
        recv(rx) -> _m => "recv",
        default => "default",
    };
    assert_eq!(r, "default");
}

#[test]
fn default_timeout() {
    let (_tx, rx) = bounded::<i32>(0);
    let start = Instant::now();
    let r = select! {
        recv(rx) -> _m => false,
        default(Duration::from_millis(20)) => true,
    };
    assert!(r);
    assert!(start.elapsed() >= Duration::from_millis(20));
}

#[test]
fn ready_recv_and_send_with_block_bodies() {
    let (tx1, rx1) = unbounded::<i32>();
    let (tx2, rx2) = bounded::<i32>(1);
    tx1.send(1).unwrap();
    let mut got = Vec::new();
    for _ in 0..2 {
        select! {
            recv(rx1) -> m => { got.push(m.unwrap()); }
            send(tx2, 2) -> r => { r.unwrap(); got.push(20); }
        }
    }
    got.sort();
    assert_eq!(got, vec![1, 20]);
    assert_eq!(rx2.try_recv(), Ok(2));
}

#[test]
fn disconnected_recv_is_ready_with_an_error() {
    let (tx, rx) = unbounded::<i32>();
    drop(tx);
    let r = select! {
        recv(rx) -> m => m,
    };
    assert!(r.is_err());
    let (tx, rx) = bounded::<i32>(0);
    drop(rx);
    let r = select! {
        send(tx, 5) -> r => r.unwrap_err().into_inner(),
    };
    assert_eq!(r, 5);
}

#[test]
fn blocking_select_is_woken_by_a_sender() {
    watchdog(30, "select_woken", || {
        let rt = rt();
        for cap in [Some(0), Some(1), None] {
            let (tx1, rx1) = match cap {
                Some(c) => bounded::<i32>(c),
                None => unbounded(),
            };
            let (_tx2, rx2) = unbounded::<i32>();
            let h = rt.spawn(move || {
                select! {
                    recv(rx1) -> m => m.unwrap(),
                    recv(rx2) -> _m => -1,
                }
            });
            greenthread::sleep(Duration::from_millis(2));
            tx1.send(42).unwrap();
            assert_eq!(h.join().unwrap(), 42);
        }
    });
}

#[test]
fn blocking_select_send_is_woken_by_a_receiver() {
    watchdog(30, "select_send_woken", || {
        let rt = rt();
        let (tx, rx) = bounded::<i32>(0);
        let h = rt.spawn(move || {
            select! {
                send(tx, 7) -> r => r.is_ok(),
            }
        });
        greenthread::sleep(Duration::from_millis(2));
        assert_eq!(rx.recv(), Ok(7));
        assert!(h.join().unwrap());
    });
}

#[test]
fn select_on_both_sides_of_a_rendezvous() {
    // Neither side is a plain operation: a select sending meets a select receiving.
    watchdog(60, "select_both_sides", || {
        let rt = rt();
        for _ in 0..500 {
            let (tx, rx) = bounded::<usize>(0);
            let (_dtx, drx) = bounded::<usize>(0);
            let sender = rt.spawn(move || {
                for i in 0..10 {
                    select! {
                        send(tx, i) -> r => r.unwrap(),
                    }
                }
            });
            let receiver = rt.spawn(move || {
                let mut sum = 0;
                for _ in 0..10 {
                    select! {
                        recv(rx) -> m => sum += m.unwrap(),
                        recv(drx) -> _m => unreachable!(),
                    }
                }
                sum
            });
            sender.join().unwrap();
            assert_eq!(receiver.join().unwrap(), 45);
        }
    });
}

#[test]
fn exactly_one_operation_completes() {
    // Many selects each send on one of two rendezvous channels; receivers count what
    // arrives. If a select completed two operations, more messages than selects would
    // arrive; if none, the count would be short.
    watchdog(60, "exactly_one", || {
        let rt = rt();
        let (tx1, rx1) = bounded::<usize>(0);
        let (tx2, rx2) = bounded::<usize>(0);
        let selects = 2_000;
        let senders: Vec<_> = (0..8)
            .map(|_| {
                let (tx1, tx2) = (tx1.clone(), tx2.clone());
                rt.spawn(move || {
                    for _ in 0..selects / 8 {
                        select! {
                            send(tx1, 1) -> r => r.unwrap(),
                            send(tx2, 1) -> r => r.unwrap(),
                        }
                    }
                })
            })
            .collect();
        drop((tx1, tx2));
        let count = Arc::new(AtomicUsize::new(0));
        let receivers: Vec<_> = [rx1, rx2]
            .into_iter()
            .flat_map(|rx| (0..2).map(move |_| rx.clone()).collect::<Vec<_>>())
            .map(|rx| {
                let count = count.clone();
                rt.spawn(move || {
                    for v in rx.iter() {
                        count.fetch_add(v, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        senders.into_iter().for_each(|h| h.join().unwrap());
        receivers.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(count.load(Ordering::Relaxed), selects);
    });
}

#[test]
fn select_recv_loses_no_message_under_races() {
    // Selects with short timeouts race senders: every message is received exactly once.
    watchdog(60, "select_recv_races", || {
        let rt = rt();
        for cap in [Some(0), Some(2), None] {
            let (tx, rx) = match cap {
                Some(c) => bounded::<usize>(c),
                None => unbounded(),
            };
            let (_never_tx, never) = unbounded::<usize>();
            let n = 4_000;
            let producer = rt.spawn(move || {
                for i in 0..n {
                    tx.send(i).unwrap();
                }
            });
            let seen: Arc<Vec<AtomicUsize>> =
                Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect());
            let consumers: Vec<_> = (0..4)
                .map(|_| {
                    let (rx, never, seen) = (rx.clone(), never.clone(), seen.clone());
                    rt.spawn(move || {
                        loop {
                            select! {
                                recv(rx) -> m => match m {
                                    Ok(v) => { seen[v].fetch_add(1, Ordering::Relaxed); }
                                    Err(_) => break,
                                },
                                recv(never) -> _m => unreachable!(),
                                default(Duration::from_micros(30)) => {}
                            }
                        }
                    })
                })
                .collect();
            drop(rx);
            producer.join().unwrap();
            consumers.into_iter().for_each(|h| h.join().unwrap());
            for (v, c) in seen.iter().enumerate() {
                assert_eq!(c.load(Ordering::Relaxed), 1, "message {v} cap {cap:?}");
            }
        }
    });
}

#[test]
fn fair_between_ready_operations() {
    let (tx1, rx1) = unbounded::<()>();
    let (tx2, rx2) = unbounded::<()>();
    for _ in 0..1_000 {
        tx1.send(()).unwrap();
        tx2.send(()).unwrap();
    }
    let (mut a, mut b) = (0, 0);
    for _ in 0..1_000 {
        select! {
            recv(rx1) -> _m => a += 1,
            recv(rx2) -> _m => b += 1,
        }
    }
    assert!(a > 200 && b > 200, "{a} {b}");
}

#[test]
fn select_builder_api() {
    let (tx, rx) = bounded::<i32>(1);
    let mut sel = Select::new();
    let s = sel.send(&tx);
    let oper = sel.try_select().unwrap();
    assert_eq!(oper.index(), s);
    oper.send(&tx, 3).unwrap();
    let mut sel = Select::new();
    let r = sel.recv(&rx);
    let oper = sel.select();
    assert_eq!(oper.index(), r);
    assert_eq!(oper.recv(&rx), Ok(3));
    let mut sel = Select::new();
    sel.recv(&rx);
    assert!(sel.try_select().is_err());
    assert!(sel.select_timeout(Duration::from_millis(5)).is_err());
}

#[test]
fn dropping_a_selected_operation_gives_the_message_back() {
    let (tx, rx) = unbounded::<i32>();
    tx.send(1).unwrap();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut sel = Select::new();
        sel.recv(&rx);
        let _oper = sel.select();
    }));
    assert!(r.is_err());
    assert_eq!(rx.try_recv(), Ok(1));
}

#[test]
fn os_thread_select_with_green_counterparts() {
    watchdog(30, "os_select", || {
        let rt = rt();
        let (tx1, rx1) = bounded::<i32>(0);
        let (tx2, rx2) = bounded::<i32>(0);
        // Both return their handle, so neither channel disconnects under the select.
        let h1 = rt.spawn(move || {
            tx1.send(1).unwrap();
            tx1
        });
        let h2 = rt.spawn(move || (rx2.recv().unwrap(), rx2));
        let mut got = 0;
        for _ in 0..2 {
            select! {
                recv(rx1) -> m => got += m.unwrap(),
                send(tx2, 10) -> r => { r.unwrap(); got += 10; }
            }
        }
        assert_eq!(got, 11);
        drop(h1.join().unwrap());
        assert_eq!(h2.join().unwrap().0, 10);
    });
}
