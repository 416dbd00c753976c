//! The ideas of Go's channel tests (`runtime/chan_test.go`, `test/chan/*.go`), rewritten for
//! this crate: goroutines are green threads, `close` is dropping every sender, and Go's
//! `select` is `select!`.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use greenthread::channel::{
    Receiver, Sender, TryRecvError, TrySendError, bounded, select, unbounded,
};
use support::{rt, watchdog};

fn chan<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    bounded(cap)
}

/// Go's TestChan: for capacities 0..10, non-blocking ops fail when they must, blocked
/// receivers and senders are released by their counterpart, close wakes receivers, and a
/// single producer's messages arrive in order.
#[test]
fn chan_semantics_by_capacity() {
    watchdog(60, "chan_semantics", || {
        let rt = rt();
        for cap in 0..10 {
            // Non-blocking receive from an empty channel fails.
            let (tx, rx) = chan::<i32>(cap);
            assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
            // A blocked receiver is released by a send.
            let h = rt.spawn({
                let rx = rx.clone();
                move || rx.recv().unwrap()
            });
            greenthread::sleep(Duration::from_millis(1));
            tx.send(7).unwrap();
            assert_eq!(h.join().unwrap(), 7);
            // Fill the buffer; the next non-blocking send fails; a blocked sender is released
            // by a receive.
            for i in 0..cap {
                tx.try_send(i as i32).unwrap();
            }
            assert!(matches!(tx.try_send(99), Err(TrySendError::Full(99))));
            let h = rt.spawn({
                let tx = tx.clone();
                move || tx.send(100).unwrap()
            });
            for i in 0..cap {
                assert_eq!(rx.recv().unwrap(), i as i32);
            }
            assert_eq!(rx.recv().unwrap(), 100);
            h.join().unwrap();
            // Closing wakes every blocked receiver.
            let hs: Vec<_> = (0..4)
                .map(|_| {
                    let rx = rx.clone();
                    rt.spawn(move || rx.recv().is_err())
                })
                .collect();
            drop(tx);
            assert!(hs.into_iter().all(|h| h.join().unwrap()));
            // FIFO from one producer.
            let (tx, rx) = chan::<usize>(cap);
            let p = rt.spawn(move || (0..1_000).for_each(|i| tx.send(i).unwrap()));
            let got: Vec<_> = rx.iter().collect();
            assert_eq!(got, (0..1_000).collect::<Vec<_>>());
            p.join().unwrap();
        }
    });
}

/// Go's TestNonblockRecvRace: a message sent before the receiver starts is always seen by
/// a non-blocking receive, even when a select races on it.
#[test]
fn nonblock_recv_race() {
    watchdog(60, "nonblock_recv_race", || {
        let rt = rt();
        for _ in 0..2_000 {
            let (tx, rx) = chan::<i32>(1);
            tx.send(1).unwrap();
            let rx2 = rx.clone();
            let h = rt.spawn(move || {
                select! {
                    recv(rx2) -> _m => true,
                    default => false,
                }
            });
            let mine = select! {
                recv(rx) -> _m => true,
                default => false,
            };
            let theirs = h.join().unwrap();
            assert!(
                mine ^ theirs,
                "exactly one of the two must receive: {mine} {theirs}"
            );
        }
    });
}

/// Go's TestSelfSelect: two goroutines each select on sending and receiving the same
/// channel; on an unbuffered channel none may receive its own message.
#[test]
fn self_select() {
    watchdog(60, "self_select", || {
        let rt = rt();
        for cap in [0, 10] {
            let (tx, rx) = chan::<usize>(cap);
            let hs: Vec<_> = (0..2)
                .map(|p| {
                    let (tx, rx) = (tx.clone(), rx.clone());
                    rt.spawn(move || {
                        for i in 0..1_000 {
                            if p == 0 || i % 2 == 0 {
                                select! {
                                    send(tx, p) -> r => r.unwrap(),
                                    recv(rx) -> v => {
                                        let v = v.unwrap();
                                        if cap == 0 {
                                            assert_ne!(v, p, "received its own message");
                                        }
                                    }
                                }
                            } else {
                                select! {
                                    recv(rx) -> v => {
                                        let v = v.unwrap();
                                        if cap == 0 {
                                            assert_ne!(v, p, "received its own message");
                                        }
                                    }
                                    send(tx, p) -> r => r.unwrap(),
                                }
                            }
                        }
                    })
                })
                .collect();
            hs.into_iter().for_each(|h| h.join().unwrap());
        }
    });
}

/// Go's TestPseudoRandomSend: a select with two sends of different values on the same
/// channel picks both over time.
#[test]
fn pseudo_random_send() {
    watchdog(30, "pseudo_random_send", || {
        let rt = rt();
        for cap in [0, 100] {
            let (tx, rx) = chan::<usize>(cap);
            let n = 100;
            let recv = rt.spawn(move || {
                let mut counts = [0; 2];
                for _ in 0..n {
                    counts[rx.recv().unwrap()] += 1;
                }
                counts
            });
            for _ in 0..n {
                select! {
                    send(tx, 0) -> r => r.unwrap(),
                    send(tx, 1) -> r => r.unwrap(),
                }
            }
            let counts = recv.join().unwrap();
            assert!(counts[0] > n / 10 && counts[1] > n / 10, "{counts:?}");
        }
    });
}

/// Go's TestMultiConsumer: a work channel fanned out to many consumers, results fanned
/// in; the sum and count come out exact.
#[test]
fn multi_consumer() {
    watchdog(60, "multi_consumer", || {
        let rt = rt();
        let nwork = 23;
        let niter = 27_000;
        let (work_tx, work_rx) = chan::<usize>(4096);
        let (res_tx, res_rx) = chan::<usize>(4096);
        let workers: Vec<_> = (0..nwork)
            .map(|_| {
                let (work_rx, res_tx) = (work_rx.clone(), res_tx.clone());
                rt.spawn(move || {
                    for v in work_rx.iter() {
                        if v % 5 == 4 {
                            greenthread::yield_now();
                        }
                        res_tx.send(v).unwrap();
                    }
                })
            })
            .collect();
        drop((work_rx, res_tx));
        let summer = rt.spawn(move || {
            let (mut n, mut s) = (0, 0);
            for v in res_rx.iter() {
                n += 1;
                s += v;
            }
            (n, s)
        });
        let mut expect = 0;
        for i in 0..niter {
            let v = (i * 17) % 131;
            expect += v;
            work_tx.send(v).unwrap();
        }
        drop(work_tx);
        workers.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(summer.join().unwrap(), (niter, expect));
    });
}

/// Go's TestSelectStress: four channels, each with one plain sender, one selecting sender,
/// one plain receiver and one selecting receiver; everything sent is received.
#[test]
fn select_stress() {
    watchdog(120, "select_stress", || {
        let rt = rt();
        let n = 2_000;
        let caps = [0, 0, 4, 1000];
        let chans: Vec<_> = caps.iter().map(|&c| chan::<usize>(c)).collect();
        let received = Arc::new(AtomicUsize::new(0));
        let mut hs = Vec::new();
        // Plain senders and receivers.
        for (tx, rx) in &chans {
            let tx = tx.clone();
            hs.push(rt.spawn(move || (0..n).for_each(|i| tx.send(i).unwrap())));
            let (rx, received) = (rx.clone(), received.clone());
            hs.push(rt.spawn(move || {
                for _ in 0..n {
                    rx.recv().unwrap();
                    received.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        // A selecting sender over all four, n sends to each.
        let txs: Vec<_> = chans.iter().map(|(t, _)| t.clone()).collect();
        hs.push(rt.spawn(move || {
            let mut left = [n; 4];
            while left.iter().any(|&l| l > 0) {
                let mut sel = greenthread::channel::Select::new();
                let mut ops = Vec::new();
                for (i, tx) in txs.iter().enumerate() {
                    if left[i] > 0 {
                        ops.push((sel.send(tx), i));
                    }
                }
                let oper = sel.select();
                let i = ops.iter().find(|(o, _)| *o == oper.index()).unwrap().1;
                oper.send(&txs[i], 0).unwrap();
                left[i] -= 1;
            }
        }));
        // A selecting receiver over all four, n receives from each.
        let rxs: Vec<_> = chans.iter().map(|(_, r)| r.clone()).collect();
        let received2 = received.clone();
        hs.push(rt.spawn(move || {
            let mut left = [n; 4];
            while left.iter().any(|&l| l > 0) {
                let mut sel = greenthread::channel::Select::new();
                let mut ops = Vec::new();
                for (i, rx) in rxs.iter().enumerate() {
                    if left[i] > 0 {
                        ops.push((sel.recv(rx), i));
                    }
                }
                let oper = sel.select();
                let i = ops.iter().find(|(o, _)| *o == oper.index()).unwrap().1;
                oper.recv(&rxs[i]).unwrap();
                left[i] -= 1;
                received2.fetch_add(1, Ordering::Relaxed);
            }
        }));
        hs.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(received.load(Ordering::Relaxed), 4 * 2 * n);
        for (_, rx) in &chans {
            assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        }
    });
}

/// Go's TestSelectDuplicateChannel: the same channel twice in one select is fine.
#[test]
fn select_duplicate_channel() {
    watchdog(30, "select_duplicate_channel", || {
        let rt = rt();
        let (tx, rx) = chan::<i32>(0);
        let (tx2, rx2) = (tx.clone(), rx.clone());
        let h = rt.spawn(move || {
            select! {
                recv(rx2) -> v => v.unwrap(),
                recv(rx2) -> v => v.unwrap() * 10,
            }
        });
        let h2 = rt.spawn(move || tx2.send(3).unwrap());
        let v = h.join().unwrap();
        assert!(v == 3 || v == 30);
        h2.join().unwrap();
        drop((tx, rx));
    });
}

/// `test/chan/sieve1.go`: the concurrent prime sieve, a chain of green threads each
/// filtering one prime's multiples over rendezvous channels.
#[test]
fn prime_sieve() {
    watchdog(60, "prime_sieve", || {
        let rt = rt();
        let primes = rt.block_on(|| {
            let (tx, mut rx) = chan::<u64>(0);
            greenthread::spawn(move || {
                for i in 2.. {
                    if tx.send(i).is_err() {
                        return;
                    }
                }
            });
            let mut primes = Vec::new();
            for _ in 0..100 {
                let prime = rx.recv().unwrap();
                primes.push(prime);
                let (ntx, nrx) = chan::<u64>(0);
                let input = rx;
                greenthread::spawn(move || {
                    for v in input.iter() {
                        if v % prime != 0 && ntx.send(v).is_err() {
                            return;
                        }
                    }
                });
                rx = nrx;
            }
            primes
        });
        assert_eq!(primes[..10], [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]);
        assert_eq!(primes[99], 541);
    });
}

/// `test/chan/doubleselect.go`: several senders each select over the same set of
/// channels; receivers on each channel must together see every value exactly once.
#[test]
fn double_select() {
    watchdog(60, "double_select", || {
        let rt = rt();
        let n = 5_000;
        let (tx1, rx1) = unbounded::<usize>();
        let (tx2, rx2) = chan::<usize>(0);
        let (tx3, rx3) = chan::<usize>(0);
        let (tx4, rx4) = chan::<usize>(0);
        let sender = rt.spawn(move || {
            for i in 0..n {
                select! {
                    send(tx2, i) -> r => r.unwrap(),
                    send(tx3, i) -> r => r.unwrap(),
                    send(tx4, i) -> r => r.unwrap(),
                }
            }
        });
        let mut relays = Vec::new();
        for rx in [rx2, rx3, rx4] {
            let tx1 = tx1.clone();
            relays.push(rt.spawn(move || rx.iter().for_each(|v| tx1.send(v).unwrap())));
        }
        drop(tx1);
        let seen = rt.block_on(|| {
            let mut seen = vec![0u8; n];
            for v in rx1.iter() {
                seen[v] += 1;
            }
            seen
        });
        sender.join().unwrap();
        relays.into_iter().for_each(|h| h.join().unwrap());
        assert!(seen.iter().all(|&c| c == 1));
    });
}
