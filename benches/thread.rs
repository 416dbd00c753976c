//! Core workloads, each side by side with its std::thread equivalent in the same run:
//! spawn+join, yield round trip (with raw corosensei resume+suspend as the floor),
//! park/unpark ping-pong, and thousands of sleepers.
//!
//! `cargo bench --bench thread`; BENCHMARKS.md has the table and the ratios.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use corosensei::Coroutine;
use criterion::{Criterion, criterion_group, criterion_main};
use greenthread::Runtime;

fn spawn_join(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let mut g = c.benchmark_group("spawn_join");
    g.bench_function("green", |b| {
        b.iter_custom(|iters| {
            rt.block_on(|| {
                let t = Instant::now();
                for i in 0..iters {
                    black_box(greenthread::spawn(move || i).join().unwrap());
                }
                t.elapsed()
            })
        })
    });
    g.bench_function("os_thread", |b| {
        b.iter(|| black_box(std::thread::spawn(|| 1u64).join().unwrap()))
    });
    g.finish();
}

fn yield_round_trip(c: &mut Criterion) {
    let rt = Runtime::builder().workers(1).build().unwrap();
    let mut g = c.benchmark_group("yield");
    g.bench_function("raw_corosensei_resume_suspend", |b| {
        let mut co = Coroutine::new(|y: &corosensei::Yielder<(), ()>, ()| {
            loop {
                y.suspend(());
            }
        });
        b.iter(|| black_box(co.resume(())))
    });
    g.bench_function("green_yield_now", |b| {
        b.iter_custom(|iters| {
            rt.block_on(|| {
                let t = Instant::now();
                for _ in 0..iters {
                    greenthread::yield_now();
                }
                t.elapsed()
            })
        })
    });
    g.bench_function("os_thread_yield_now", |b| b.iter(std::thread::yield_now));
    g.finish();
}

/// Starts a thread running the closure; returns how to join it.
type Spawner<'a> = &'a dyn Fn(Box<dyn FnOnce() + Send>) -> Box<dyn FnOnce()>;

/// A slot to publish a thread handle in.
type Slot = Arc<parking_lot::Mutex<Option<greenthread::Thread>>>;

/// Two threads pass a turn back and forth `iters` times with park/unpark; returns the time.
fn ping_pong(iters: u64, spawn: Spawner<'_>) -> Duration {
    let turn = Arc::new(AtomicU64::new(0));
    let slot_a: Slot = Arc::default();
    let slot_b: Slot = Arc::default();
    let ready = Arc::new(AtomicU64::new(0));
    let start = Arc::new(parking_lot::Mutex::new(None::<Instant>));
    let player = |me: u64, mine: Slot, other: Slot| {
        let (turn, ready, start) = (turn.clone(), ready.clone(), start.clone());
        Box::new(move || {
            *mine.lock() = Some(greenthread::current());
            ready.fetch_add(1, Ordering::AcqRel);
            while ready.load(Ordering::Acquire) < 2 {
                greenthread::yield_now();
            }
            let other = other.lock().clone().unwrap();
            if me == 0 {
                *start.lock() = Some(Instant::now());
            }
            for i in 0..iters {
                while turn.load(Ordering::Acquire) != 2 * i + me {
                    greenthread::park();
                }
                turn.store(2 * i + me + 1, Ordering::Release);
                other.unpark();
            }
        }) as Box<dyn FnOnce() + Send>
    };
    let a = spawn(player(0, slot_a.clone(), slot_b.clone()));
    let b = spawn(player(1, slot_b, slot_a));
    a();
    b();
    let started = start.lock().unwrap();
    started.elapsed()
}

fn park_unpark_ping_pong(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let mut g = c.benchmark_group("park_unpark_ping_pong");
    g.bench_function("green", |b| {
        b.iter_custom(|iters| {
            ping_pong(iters, &|f| {
                let h = rt.spawn(f);
                Box::new(move || h.join().unwrap())
            })
        })
    });
    g.bench_function("os_thread", |b| {
        b.iter_custom(|iters| {
            ping_pong(iters, &|f| {
                let h = std::thread::spawn(f);
                Box::new(move || h.join().unwrap())
            })
        })
    });
    g.finish();
}

fn sleepers(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let nap = Duration::from_millis(10);
    let mut g = c.benchmark_group("sleepers_10ms");
    g.sample_size(10);
    g.bench_function("green_10000", |b| {
        b.iter(|| {
            let hs: Vec<_> = (0..10_000)
                .map(|_| rt.spawn(move || greenthread::sleep(nap)))
                .collect();
            hs.into_iter().for_each(|h| h.join().unwrap());
        })
    });
    g.bench_function("os_thread_10000", |b| {
        b.iter(|| {
            let hs: Vec<_> = (0..10_000)
                .map(|_| {
                    std::thread::Builder::new()
                        .stack_size(64 * 1024)
                        .spawn(move || std::thread::sleep(nap))
                        .unwrap()
                })
                .collect();
            hs.into_iter().for_each(|h| h.join().unwrap());
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    spawn_join,
    yield_round_trip,
    park_unpark_ping_pong,
    sleepers
);
criterion_main!(benches);
