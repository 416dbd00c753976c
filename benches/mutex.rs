//! Mutexes: this crate's `Mutex` on green threads vs `std::sync::Mutex` on OS threads
//! (contended), and uncontended lock/unlock vs parking_lot and std. See BENCHMARKS.md.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

const THREADS: u64 = 100;
const INCREMENTS: u64 = 10_000;

fn contended(c: &mut Criterion) {
    let mut g = c.benchmark_group("contended_100x10k_increments");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(8));
    let rt = greenthread::Runtime::builder().workers(2).build().unwrap();
    g.bench_function("green_threads_greenthread_mutex", |b| {
        b.iter(|| {
            let m = Arc::new(greenthread::sync::Mutex::new(0u64));
            let hs: Vec<_> = (0..THREADS)
                .map(|_| {
                    let m = m.clone();
                    rt.spawn(move || {
                        for _ in 0..INCREMENTS {
                            *m.lock() += 1;
                        }
                    })
                })
                .collect();
            hs.into_iter().for_each(|h| h.join().unwrap());
            assert_eq!(*m.lock(), THREADS * INCREMENTS);
        })
    });
    g.bench_function("os_threads_std_mutex", |b| {
        b.iter(|| {
            let m = Arc::new(std::sync::Mutex::new(0u64));
            let hs: Vec<_> = (0..THREADS)
                .map(|_| {
                    let m = m.clone();
                    std::thread::spawn(move || {
                        for _ in 0..INCREMENTS {
                            *m.lock().unwrap() += 1;
                        }
                    })
                })
                .collect();
            hs.into_iter().for_each(|h| h.join().unwrap());
            assert_eq!(*m.lock().unwrap(), THREADS * INCREMENTS);
        })
    });
    g.finish();
}

fn uncontended(c: &mut Criterion) {
    let mut g = c.benchmark_group("uncontended_lock_unlock");
    let ours = greenthread::sync::Mutex::new(0u64);
    g.bench_function("greenthread", |b| {
        b.iter(|| {
            *black_box(&ours).lock() += 1;
        })
    });
    let pl = parking_lot::Mutex::new(0u64);
    g.bench_function("parking_lot", |b| {
        b.iter(|| {
            *black_box(&pl).lock() += 1;
        })
    });
    let std_m = std::sync::Mutex::new(0u64);
    g.bench_function("std", |b| {
        b.iter(|| {
            *black_box(&std_m).lock().unwrap() += 1;
        })
    });
    g.finish();
}

criterion_group!(benches, contended, uncontended);
criterion_main!(benches);
