//! park / unpark / park_timeout between green threads and OS threads, with std's token
//! semantics.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use greenthread::Runtime;
use support::within;

/// Receives without blocking a worker: `std` channels block the whole OS thread, which on
/// a one-worker runtime would keep the sender from ever running.
fn recv_coop<T>(rx: &mpsc::Receiver<T>) -> T {
    loop {
        match rx.try_recv() {
            Ok(v) => return v,
            Err(mpsc::TryRecvError::Empty) => greenthread::yield_now(),
            Err(e) => panic!("{e}"),
        }
    }
}

/// Two threads hand a counter back and forth `rounds` times with park/unpark.
fn ping_pong(
    rounds: u64,
    a_spawn: impl FnOnce(Box<dyn FnOnce() + Send>),
    b_spawn: impl FnOnce(Box<dyn FnOnce() + Send>),
) {
    let turn = Arc::new(AtomicU64::new(0));
    let (a_tx, a_rx) = mpsc::channel::<greenthread::Thread>();
    let (b_tx, b_rx) = mpsc::channel::<greenthread::Thread>();
    let (done_tx, done_rx) = mpsc::channel();
    let t = turn.clone();
    let done = done_tx.clone();
    a_spawn(Box::new(move || {
        b_tx.send(greenthread::current()).unwrap();
        let b = recv_coop(&a_rx);
        for i in 0..rounds {
            t.store(2 * i + 1, Ordering::Release);
            b.unpark();
            while t.load(Ordering::Acquire) != 2 * i + 2 {
                greenthread::park();
            }
        }
        done.send("a").unwrap();
    }));
    let t = turn;
    b_spawn(Box::new(move || {
        a_tx.send(greenthread::current()).unwrap();
        let a = recv_coop(&b_rx);
        for i in 0..rounds {
            while t.load(Ordering::Acquire) != 2 * i + 1 {
                greenthread::park();
            }
            t.store(2 * i + 2, Ordering::Release);
            a.unpark();
        }
        done_tx.send("b").unwrap();
    }));
    let mut finished = vec![done_rx.recv().unwrap(), done_rx.recv().unwrap()];
    finished.sort_unstable();
    assert_eq!(finished, ["a", "b"]);
}

fn green(rt: &Arc<Runtime>) -> impl FnOnce(Box<dyn FnOnce() + Send>) + '_ {
    move |f| drop(rt.spawn(f))
}

fn os(f: Box<dyn FnOnce() + Send>) {
    std::thread::spawn(f);
}

#[test]
fn green_to_green() {
    within(60, || {
        let rt = Arc::new(Runtime::builder().workers(2).build().unwrap());
        ping_pong(20_000, green(&rt), green(&rt));
        let rt1 = Arc::new(Runtime::builder().workers(1).build().unwrap());
        ping_pong(20_000, green(&rt1), green(&rt1));
    });
}

#[test]
fn os_thread_to_green_and_back() {
    within(60, || {
        let rt = Arc::new(Runtime::builder().workers(2).build().unwrap());
        ping_pong(5_000, os, green(&rt));
        ping_pong(5_000, green(&rt), os);
    });
}

#[test]
fn green_threads_of_two_runtimes() {
    within(60, || {
        let a = Arc::new(Runtime::builder().workers(1).build().unwrap());
        let b = Arc::new(Runtime::builder().workers(1).build().unwrap());
        ping_pong(5_000, green(&a), green(&b));
    });
}

#[test]
fn an_unpark_before_the_park_is_not_lost() {
    within(30, || {
        let rt = Runtime::builder().workers(1).build().unwrap();
        rt.block_on(|| {
            greenthread::current().unpark();
            greenthread::current().unpark(); // tokens do not accumulate...
            greenthread::park(); // ...the first park consumes the one token
            let t = Instant::now();
            greenthread::park_timeout(Duration::from_millis(30));
            assert!(
                t.elapsed() >= Duration::from_millis(30),
                "a second token appeared"
            );
        });
    });
}

#[test]
fn unpark_from_an_os_thread_before_the_green_thread_parks() {
    within(60, || {
        let rt = Runtime::builder().workers(2).build().unwrap();
        for _ in 0..2_000 {
            let (tx, rx) = mpsc::channel();
            let h = rt.spawn(move || {
                recv_coop(&rx); // the unpark lands before the park
                greenthread::park();
            });
            h.thread().unpark();
            tx.send(()).unwrap();
            h.join().unwrap();
        }
    });
}

#[test]
fn sleep_does_not_eat_the_park_token() {
    within(30, || {
        let rt = Runtime::builder().workers(1).build().unwrap();
        rt.block_on(|| {
            greenthread::current().unpark();
            greenthread::sleep(Duration::from_millis(5));
            let t = Instant::now();
            greenthread::park(); // the token is still there: returns at once
            assert!(t.elapsed() < Duration::from_secs(5));
        });
    });
}

#[test]
fn park_timeout_times_out_and_wakes_early_on_unpark() {
    within(30, || {
        let rt = Runtime::builder().workers(2).build().unwrap();
        let waited = rt.block_on(|| {
            let t = Instant::now();
            greenthread::park_timeout(Duration::from_millis(20));
            t.elapsed()
        });
        assert!(waited >= Duration::from_millis(20), "{waited:?}");

        let woke = Arc::new(AtomicBool::new(false));
        let w = woke.clone();
        let h = rt.spawn(move || {
            while !w.load(Ordering::Acquire) {
                greenthread::park_timeout(Duration::from_secs(60));
            }
        });
        woke.store(true, Ordering::Release);
        h.thread().unpark();
        h.join().unwrap(); // within() catches it if only the 60 s timeout would end it
    });
}

#[test]
fn unparking_a_finished_green_thread_is_harmless() {
    within(30, || {
        let rt = Runtime::builder().workers(2).build().unwrap();
        let h = rt.spawn(|| 1);
        let t = h.thread().clone();
        assert_eq!(h.join().unwrap(), 1);
        for _ in 0..10 {
            t.unpark();
        }
        assert_eq!(rt.block_on(|| 2), 2);
    });
}

#[test]
fn park_on_an_os_thread_is_std_park() {
    within(30, || {
        let me = greenthread::current();
        let rt = Runtime::builder().workers(1).build().unwrap();
        let flag = Arc::new(AtomicBool::new(false));
        let f = flag.clone();
        rt.spawn(move || {
            f.store(true, Ordering::Release);
            me.unpark();
        });
        while !flag.load(Ordering::Acquire) {
            greenthread::park();
        }
    });
}
