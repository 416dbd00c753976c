//! Channels: green threads on this crate's channels vs OS threads on crossbeam-channel, in
//! the same run. See BENCHMARKS.md for the ratios.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use corosensei::{Coroutine, Yielder};
use criterion::{Criterion, criterion_group, criterion_main};

/// One round trip = a message there and one back.
fn ping_pong(c: &mut Criterion) {
    let mut g = c.benchmark_group("ping_pong_round_trip");
    g.measurement_time(Duration::from_secs(3));
    for workers in [1, 2] {
        let rt = greenthread::Runtime::builder()
            .workers(workers)
            .build()
            .unwrap();
        for cap in [0, 1] {
            g.bench_function(format!("green_{workers}w_bounded{cap}"), |b| {
                b.iter_custom(|iters| {
                    rt.block_on(|| {
                        let (tx1, rx1) = greenthread::channel::bounded::<u64>(cap);
                        let (tx2, rx2) = greenthread::channel::bounded::<u64>(cap);
                        let echo = greenthread::spawn(move || {
                            for v in rx1.iter() {
                                tx2.send(v).unwrap();
                            }
                        });
                        let start = Instant::now();
                        for i in 0..iters {
                            tx1.send(i).unwrap();
                            rx2.recv().unwrap();
                        }
                        let t = start.elapsed();
                        drop(tx1);
                        echo.join().unwrap();
                        t
                    })
                })
            });
        }
    }
    g.bench_function("floor_switches", |b| {
        b.iter_custom(|iters| floor(iters, false))
    });
    g.bench_function("floor_switches_and_rmws", |b| {
        b.iter_custom(|iters| floor(iters, true))
    });
    for cap in [0, 1] {
        g.bench_function(format!("crossbeam_os_threads_bounded{cap}"), |b| {
            b.iter_custom(|iters| {
                let (tx1, rx1) = crossbeam_channel::bounded::<u64>(cap);
                let (tx2, rx2) = crossbeam_channel::bounded::<u64>(cap);
                let echo = std::thread::spawn(move || {
                    for v in rx1.iter() {
                        tx2.send(v).unwrap();
                    }
                });
                let start = Instant::now();
                for i in 0..iters {
                    tx1.send(i).unwrap();
                    rx2.recv().unwrap();
                }
                let t = start.elapsed();
                drop(tx1);
                echo.join().unwrap();
                t
            })
        });
    }
    g.finish();
}

/// What any green ping-pong on corosensei costs at least, without a runtime: per round trip
/// each of two coroutines is resumed once and suspends once (from a function of its own, as
/// a wait does), alternating between their stacks; with `rmws`, each message also does the
/// four atomic read-modify-writes that a multi-producer hand-off to a parked thread needs
/// (the receiver's park in the channel, the sender's take from it, the park's commit by the
/// scheduler, the wake-up), on words that stay in this core's cache.
fn floor(iters: u64, rmws: bool) -> Duration {
    #[inline(never)]
    fn switch_out(y: &Yielder<(), ()>) {
        y.suspend(());
    }
    fn rmw(w: &AtomicUsize) {
        let v = w.load(Ordering::Relaxed);
        let _ = black_box(w).compare_exchange(v, v ^ 1, Ordering::AcqRel, Ordering::Acquire);
    }
    let words: Arc<[AtomicUsize; 4]> = Arc::default();
    let w = words.clone();
    let side = move |y: &Yielder<(), ()>, ()| {
        loop {
            if rmws {
                rmw(&w[0]); // take the counterpart out of the channel
                rmw(&w[1]); // wake it
                rmw(&w[2]); // park in the channel
            }
            switch_out(y);
        }
    };
    let mut a = Coroutine::new(side.clone());
    let mut b = Coroutine::new(side);
    let start = Instant::now();
    for _ in 0..iters {
        for co in [&mut a, &mut b] {
            black_box(co.resume(()));
            if rmws {
                rmw(&words[3]); // commit the park
            }
        }
    }
    start.elapsed()
}

const MSGS: u64 = 100_000;

/// 4 producers x 4 consumers through one bounded(64) channel, MSGS messages in all.
fn throughput(c: &mut Criterion) {
    let mut g = c.benchmark_group("bounded64_4p4c_100k_msgs");
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(4));
    // Two workers (this machine's cores) and one: the single channel lock is the whole
    // cost, and with two workers its cache line moves between the cores at every operation.
    for workers in [2, 1] {
        let rt = greenthread::Runtime::builder()
            .workers(workers)
            .build()
            .unwrap();
        let name = if workers == 2 {
            "green".to_string()
        } else {
            format!("green_{workers}w")
        };
        g.bench_function(name, |b| {
            b.iter(|| {
                let (tx, rx) = greenthread::channel::bounded::<u64>(64);
                let ps: Vec<_> = (0..4)
                    .map(|_| {
                        let tx = tx.clone();
                        rt.spawn(move || (0..MSGS / 4).for_each(|i| tx.send(i).unwrap()))
                    })
                    .collect();
                drop(tx);
                let cs: Vec<_> = (0..4)
                    .map(|_| {
                        let rx = rx.clone();
                        rt.spawn(move || rx.iter().count() as u64)
                    })
                    .collect();
                ps.into_iter().for_each(|h| h.join().unwrap());
                let n: u64 = cs.into_iter().map(|h| h.join().unwrap()).sum();
                assert_eq!(n, MSGS);
            })
        });
    }
    g.bench_function("crossbeam_os_threads", |b| {
        b.iter(|| {
            let (tx, rx) = crossbeam_channel::bounded::<u64>(64);
            let ps: Vec<_> = (0..4)
                .map(|_| {
                    let tx = tx.clone();
                    std::thread::spawn(move || (0..MSGS / 4).for_each(|i| tx.send(i).unwrap()))
                })
                .collect();
            drop(tx);
            let cs: Vec<_> = (0..4)
                .map(|_| {
                    let rx = rx.clone();
                    std::thread::spawn(move || rx.iter().count() as u64)
                })
                .collect();
            ps.into_iter().for_each(|h| h.join().unwrap());
            let n: u64 = cs.into_iter().map(|h| h.join().unwrap()).sum();
            assert_eq!(n, MSGS);
        })
    });
    g.finish();
}

const REQUESTS: u64 = 10_000;

/// Request/response: a client sends REQUESTS requests, each with a fresh reply channel, to a
/// server thread and waits for each answer. The reply channel is a `oneshot` or a
/// `bounded(1)` (green threads), or crossbeam's `bounded(1)` (OS threads).
fn reply(c: &mut Criterion) {
    let mut g = c.benchmark_group("request_reply_10k");
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(4));
    let rt = greenthread::Runtime::builder().workers(1).build().unwrap();
    g.bench_function("green_oneshot", |b| {
        b.iter(|| {
            rt.block_on(|| {
                let (tx, rx) = greenthread::channel::bounded::<(
                    u64,
                    greenthread::channel::oneshot::Sender<u64>,
                )>(0);
                let server = greenthread::spawn(move || {
                    for (n, reply) in rx {
                        reply.send(n + 1).unwrap();
                    }
                });
                for i in 0..REQUESTS {
                    let (rtx, rrx) = greenthread::channel::oneshot::channel();
                    tx.send((i, rtx)).unwrap();
                    assert_eq!(rrx.recv().unwrap(), i + 1);
                }
                drop(tx);
                server.join().unwrap();
            })
        })
    });
    g.bench_function("green_bounded1", |b| {
        b.iter(|| {
            rt.block_on(|| {
                let (tx, rx) =
                    greenthread::channel::bounded::<(u64, greenthread::channel::Sender<u64>)>(0);
                let server = greenthread::spawn(move || {
                    for (n, reply) in rx {
                        reply.send(n + 1).unwrap();
                    }
                });
                for i in 0..REQUESTS {
                    let (rtx, rrx) = greenthread::channel::bounded(1);
                    tx.send((i, rtx)).unwrap();
                    assert_eq!(rrx.recv().unwrap(), i + 1);
                }
                drop(tx);
                server.join().unwrap();
            })
        })
    });
    g.bench_function("crossbeam_os_threads_bounded1", |b| {
        b.iter(|| {
            let (tx, rx) = crossbeam_channel::bounded::<(u64, crossbeam_channel::Sender<u64>)>(0);
            let server = std::thread::spawn(move || {
                for (n, reply) in rx {
                    reply.send(n + 1).unwrap();
                }
            });
            for i in 0..REQUESTS {
                let (rtx, rrx) = crossbeam_channel::bounded(1);
                tx.send((i, rtx)).unwrap();
                assert_eq!(rrx.recv().unwrap(), i + 1);
            }
            drop(tx);
            server.join().unwrap();
        })
    });
    g.finish();
}

criterion_group!(benches, ping_pong, throughput, reply);
criterion_main!(benches);
