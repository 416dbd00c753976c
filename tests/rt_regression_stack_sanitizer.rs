//! Regression: green-thread stacks under AddressSanitizer and LeakSanitizer
//! (`scripts/sanitize.sh`). Without the sanitizer these pass trivially; with it they failed.
//!
//! 1. A stack from the pool kept the ASan poison of the green thread that ran on it before
//!    (the redzones of frames that ended by switching away or by unwinding, which never
//!    unpoison themselves), so the next green thread on it was reported as a
//!    stack-buffer-overflow as soon as it wrote where an old redzone was.
//! 2. LeakSanitizer looks for pointers in OS threads' stacks, registers, thread-locals and
//!    globals; a parked green thread's stack was none of these, so what only a parked green
//!    thread refers to was reported as leaked when the process exited.

mod support;

use std::sync::mpsc;

use greenthread::Runtime;

/// Fills `depth` frames of 512 bytes each: on a reused stack, writes over wherever the
/// frames of the green thread before lay.
#[inline(never)]
fn deep(depth: u64, then: &dyn Fn()) -> u64 {
    let buf = std::hint::black_box([depth as u8; 512]);
    if depth == 0 {
        then();
        return buf[0] as u64;
    }
    deep(depth - 1, then) + std::hint::black_box(buf[7]) as u64
}

#[test]
fn a_pooled_stack_is_clean_for_the_next_green_thread_however_the_last_one_ended() {
    support::within(120, || {
        // One worker: each green thread reuses the stack the one before gave back to this
        // worker's cache.
        let rt = Runtime::builder().workers(1).build().unwrap();
        // Closures of different sizes: the first frame of a green thread (which holds its
        // closure) lies at the top of its stack, where the next one's closure is written.
        for round in 0..20u8 {
            let small = [round; 16];
            let h = rt.spawn(move || std::hint::black_box(small)[15]);
            assert_eq!(h.join().unwrap(), round);
            let big = [round; 1000];
            let h = rt.spawn(move || std::hint::black_box(big)[999]);
            assert_eq!(h.join().unwrap(), round);
        }
        for round in 0..20u64 {
            // Ends normally, having switched out deep in its stack.
            let h = rt.spawn(move || deep(40, &greenthread::yield_now) + round);
            assert!(h.join().is_ok());
            // Ends by a panic unwinding from deep in its stack.
            let h = rt.spawn(|| deep(40, &|| panic!("on purpose")));
            assert!(h.join().is_err());
            // Ends by a cancellation unwinding it from a park deep in its stack.
            let (parked_tx, parked_rx) = mpsc::channel();
            let h = rt.spawn(move || {
                deep(40, &|| {
                    parked_tx.send(()).unwrap();
                    loop {
                        greenthread::park();
                    }
                })
            });
            parked_rx.recv().unwrap();
            h.cancel();
            assert!(h.join().is_err());
        }
        // Parked deep when the runtime shuts down: unwound by the shutdown.
        let (parked_tx, parked_rx) = mpsc::channel();
        let _h = rt.spawn(move || {
            deep(40, &|| {
                parked_tx.send(()).unwrap();
                loop {
                    greenthread::park();
                }
            })
        });
        parked_rx.recv().unwrap();
        drop(rt);
        let rt = Runtime::builder().workers(1).build().unwrap();
        let sum: u64 = (0..8)
            .map(|_| rt.spawn(|| deep(40, &|| ())))
            .map(|h| h.join().unwrap())
            .sum();
        assert!(sum > 0);
    });
}

#[test]
fn what_a_parked_green_thread_holds_is_not_a_leak_at_exit() {
    const NAME: &str = "what_a_parked_green_thread_holds_is_not_a_leak_at_exit";
    if support::is_child(NAME) {
        // The global runtime is never shut down: its green threads are still parked when
        // the process exits, and LeakSanitizer checks then.
        let (parked_tx, parked_rx) = mpsc::channel();
        greenthread::spawn(move || {
            let held: Vec<Box<[u8; 100]>> = (0..16).map(|i| Box::new([i; 100])).collect();
            let held = std::hint::black_box(held);
            parked_tx.send(()).unwrap();
            loop {
                greenthread::park();
                std::hint::black_box(&held);
            }
        });
        parked_rx.recv().unwrap();
        return;
    }
    let out = support::run_child(NAME, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("LeakSanitizer"), "{stderr}");
}
