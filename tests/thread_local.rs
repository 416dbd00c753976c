//! Green-thread-local storage, and staying on one worker for std thread-locals.

mod support;

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use greenthread::{Builder, Runtime};
use support::within;

greenthread::thread_local! {
    static COUNTER: Cell<u64> = Cell::new(0);
    static LOG: RefCell<Vec<u32>> = RefCell::new(Vec::new());
}

std::thread_local!(static OS_ID: Cell<usize> = const { Cell::new(0) });

#[test]
fn each_green_thread_has_its_own_values_across_switches_and_workers() {
    within(60, || {
        let rt = Runtime::builder().workers(2).build().unwrap();
        let hs: Vec<_> = (0..200u32)
            .map(|i| {
                rt.spawn(move || {
                    for step in 0..20 {
                        COUNTER.with(|c| c.set(c.get() + u64::from(i)));
                        LOG.with(|l| l.borrow_mut().push(step));
                        greenthread::yield_now();
                    }
                    (COUNTER.with(Cell::get), LOG.with(|l| l.borrow().len()))
                })
            })
            .collect();
        for (i, h) in hs.into_iter().enumerate() {
            assert_eq!(h.join().unwrap(), (20 * i as u64, 20));
        }
    });
}

#[test]
fn values_are_dropped_when_the_green_thread_ends() {
    struct Tracked(Arc<AtomicUsize>);
    impl Drop for Tracked {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    greenthread::thread_local!(static TRACKED: RefCell<Option<Tracked>> = const { RefCell::new(None) });
    within(30, || {
        let rt = Runtime::builder().workers(2).build().unwrap();
        let drops = Arc::new(AtomicUsize::new(0));
        let hs: Vec<_> = (0..50)
            .map(|_| {
                let d = drops.clone();
                rt.spawn(move || TRACKED.with(|t| *t.borrow_mut() = Some(Tracked(d))))
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(drops.load(Ordering::SeqCst), 50);
    });
}

#[test]
fn on_an_os_thread_the_key_is_per_os_thread() {
    let a = std::thread::spawn(|| {
        COUNTER.with(|c| c.set(5));
        COUNTER.with(Cell::get)
    });
    let b = std::thread::spawn(|| COUNTER.with(Cell::get));
    assert_eq!(a.join().unwrap(), 5);
    assert_eq!(b.join().unwrap(), 0);
}

#[test]
fn stay_on_worker_keeps_a_green_thread_on_one_os_thread() {
    within(60, || {
        let rt = Runtime::builder().workers(2).build().unwrap();
        let next = Arc::new(AtomicUsize::new(1));
        let hs: Vec<_> = (0..50)
            .map(|_| {
                let next = next.clone();
                rt.block_on(|| {
                    Builder::new().stay_on_worker(true).spawn(move || {
                        let mine = OS_ID.with(|id| {
                            if id.get() == 0 {
                                id.set(next.fetch_add(1, Ordering::Relaxed));
                            }
                            id.get()
                        });
                        let mut seen = HashSet::new();
                        for i in 0..200 {
                            if i % 3 == 0 {
                                greenthread::sleep(std::time::Duration::from_micros(50));
                            } else {
                                greenthread::yield_now();
                            }
                            seen.insert(OS_ID.with(Cell::get));
                        }
                        (mine, seen)
                    })
                })
                .unwrap()
            })
            .collect();
        for h in hs {
            let (mine, seen) = h.join().unwrap();
            assert_eq!(seen, HashSet::from([mine]));
        }
    });
}
