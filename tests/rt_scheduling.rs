//! Scheduling behaviour: cooperative interleaving, fairness, parallelism, idle CPU.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use greenthread::Runtime;
use support::within;

#[test]
fn one_worker_interleaves_yielding_green_threads() {
    within(30, || {
        let rt = Runtime::builder().workers(1).build().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        rt.block_on(|| {
            let hs: Vec<_> = (0..3)
                .map(|who| {
                    let log = log.clone();
                    greenthread::spawn(move || {
                        for _ in 0..50 {
                            log.lock().unwrap().push(who);
                            greenthread::yield_now();
                        }
                    })
                })
                .collect();
            hs.into_iter().for_each(|h| h.join().unwrap());
        });
        let log = log.lock().unwrap();
        assert_eq!(log.len(), 150);
        // Round robin: every window of three holds each green thread once.
        for w in log.chunks(3) {
            let mut w = w.to_vec();
            w.sort_unstable();
            assert_eq!(w, [0, 1, 2], "{log:?}");
        }
    });
}

#[test]
fn a_yield_loop_does_not_starve_local_or_injected_work() {
    within(30, || {
        let rt = Runtime::builder().workers(1).build().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let spinner = rt.spawn(move || {
            let mut spins = 0u64;
            while !s.load(Ordering::Acquire) {
                greenthread::yield_now();
                spins += 1;
            }
            spins
        });
        // Work arriving from outside (the injector) while the only worker is busy yielding.
        let done = Arc::new(AtomicUsize::new(0));
        let hs: Vec<_> = (0..100)
            .map(|_| {
                let done = done.clone();
                rt.spawn(move || {
                    greenthread::yield_now();
                    done.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(done.load(Ordering::SeqCst), 100);
        stop.store(true, Ordering::Release);
        assert!(spinner.join().unwrap() > 0);
    });
}

#[test]
fn ping_pong_pairs_cannot_starve_the_queue() {
    // Two green threads waking each other go through the worker's LIFO slot, which would
    // run them forever if it had no bound; a third green thread must still get its turn.
    within(30, || {
        let rt = Runtime::builder().workers(1).build().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let turn = Arc::new(AtomicUsize::new(0));
        let (a_slot, b_slot) = (Arc::new(Mutex::new(None)), Arc::new(Mutex::new(None)));
        let player = |me: usize,
                      mine: Arc<Mutex<Option<greenthread::Thread>>>,
                      other: Arc<Mutex<Option<greenthread::Thread>>>| {
            let (stop, turn) = (stop.clone(), turn.clone());
            move || {
                *mine.lock().unwrap() = Some(greenthread::current());
                let mut rounds = 0u64;
                while !stop.load(Ordering::Acquire) {
                    if turn.load(Ordering::Acquire) % 2 == me {
                        turn.fetch_add(1, Ordering::AcqRel);
                        rounds += 1;
                        if let Some(t) = other.lock().unwrap().as_ref() {
                            t.unpark();
                        }
                    } else {
                        greenthread::park_timeout(Duration::from_millis(1));
                    }
                }
                if let Some(t) = other.lock().unwrap().as_ref() {
                    t.unpark();
                }
                rounds
            }
        };
        let a = rt.spawn(player(0, a_slot.clone(), b_slot.clone()));
        let b = rt.spawn(player(1, b_slot, a_slot));
        // Let the pair get going, then ask for a third green thread's turn.
        while turn.load(Ordering::Acquire) < 1000 {
            std::thread::yield_now();
        }
        let third = rt.spawn(|| 3);
        assert_eq!(third.join().unwrap(), 3);
        stop.store(true, Ordering::Release);
        assert!(a.join().unwrap() + b.join().unwrap() >= 1000);
    });
}

#[test]
fn two_workers_run_in_parallel() {
    within(60, || {
        let rt = Runtime::builder().workers(2).build().unwrap();
        // Two green threads that each spin until they see the other running: only possible
        // if both run at the same instant, on two workers (neither yields).
        let flags = Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
        let hs: Vec<_> = (0..2)
            .map(|me| {
                let flags = flags.clone();
                rt.spawn(move || {
                    flags[me].store(true, Ordering::Release);
                    let t = Instant::now();
                    while !flags[1 - me].load(Ordering::Acquire) {
                        assert!(
                            t.elapsed() < Duration::from_secs(20),
                            "never ran in parallel"
                        );
                        std::hint::spin_loop();
                    }
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
    });
}

#[test]
fn an_idle_runtime_uses_no_cpu() {
    const NAME: &str = "an_idle_runtime_uses_no_cpu";
    if support::is_child(NAME) {
        let rt = Runtime::builder().workers(2).build().unwrap();
        // Green threads parked on timers far away, and nothing else to do.
        let _sleepers: Vec<_> = (0..100)
            .map(|_| rt.spawn(|| greenthread::sleep(Duration::from_secs(3600))))
            .collect();
        std::thread::sleep(Duration::from_millis(100)); // let them all park (not a sync point: what we measure comes after)
        let cpu = support::cpu_time();
        let wall = Instant::now();
        std::thread::sleep(Duration::from_millis(1000));
        let used = support::cpu_time() - cpu;
        println!(
            "IDLE_CPU_MS={} WALL_MS={}",
            used.as_millis(),
            wall.elapsed().as_millis()
        );
        return;
    }
    let out = support::run_child(NAME, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let ms: u64 = stdout
        .split("IDLE_CPU_MS=")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .expect("child printed its CPU use");
    // Two idle workers over one second: a busy-spinning worker would use ~1000 ms.
    assert!(ms <= 30, "idle runtime used {ms} ms of CPU in 1 s");
}
