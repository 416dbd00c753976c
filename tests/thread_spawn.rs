//! spawn, Builder, JoinHandle, Thread, current: the std::thread surface.

mod support;

use std::collections::HashSet;
use std::io;

use greenthread::{Builder, Runtime};
use support::within;

#[test]
fn join_returns_the_result() {
    within(30, || {
        let rt = Runtime::builder().workers(2).build().unwrap();
        let h = rt.spawn(|| vec![1, 2, 3]);
        assert_eq!(h.join().unwrap(), vec![1, 2, 3]);
    });
}

#[test]
fn join_returns_the_panic_payload_and_others_go_on() {
    within(30, || {
        let rt = Runtime::builder().workers(2).build().unwrap();
        let bad = rt.spawn(|| -> u32 { panic!("deliberate {}", std::hint::black_box(7)) });
        let good: Vec<_> = (0..100u32).map(|i| rt.spawn(move || i)).collect();
        let payload = bad.join().unwrap_err();
        assert_eq!(payload.downcast_ref::<String>().unwrap(), "deliberate 7");
        let sum: u32 = good.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(sum, 4950);
        // The runtime still works after the panic.
        assert_eq!(rt.block_on(|| 5), 5);
    });
}

#[test]
fn spawn_from_an_os_thread_uses_the_global_runtime() {
    within(30, || {
        let h = greenthread::spawn(greenthread::is_green);
        assert!(h.join().unwrap());
        assert!(!greenthread::is_green());
    });
}

#[test]
fn spawn_inside_a_green_thread_stays_on_its_runtime() {
    within(30, || {
        let rt = Runtime::builder()
            .workers(1)
            .thread_name("only-rt".into())
            .build()
            .unwrap();
        let worker = rt.block_on(|| {
            greenthread::spawn(|| std::thread::current().name().unwrap().to_string())
                .join()
                .unwrap()
        });
        assert_eq!(worker, "only-rt-0");
    });
}

#[test]
fn thread_handle_names_and_ids() {
    within(30, || {
        let rt = Runtime::builder().workers(2).build().unwrap();
        let h = rt
            .block_on(|| {
                Builder::new().name("named".into()).spawn(|| {
                    (
                        greenthread::current().id(),
                        greenthread::current().name().map(str::to_owned),
                    )
                })
            })
            .unwrap();
        let (id, name) = (h.thread().id(), h.thread().name().map(str::to_owned));
        let (inner_id, inner_name) = h.join().unwrap();
        assert_eq!(id, inner_id);
        assert_eq!(name.as_deref(), Some("named"));
        assert_eq!(inner_name.as_deref(), Some("named"));
        let unnamed = rt.spawn(|| greenthread::current().name().is_none());
        assert!(unnamed.join().unwrap());
    });
}

#[test]
fn ids_are_unique_across_green_and_os_threads() {
    within(60, || {
        let rt = Runtime::builder().workers(2).build().unwrap();
        let mut ids: HashSet<_> = (0..10_000)
            .map(|_| rt.spawn(|| greenthread::current().id()))
            .map(|h| h.join().unwrap())
            .collect();
        assert_eq!(ids.len(), 10_000);
        assert!(ids.insert(greenthread::current().id()));
        let os = std::thread::spawn(|| greenthread::current().id())
            .join()
            .unwrap();
        assert!(ids.insert(os));
        // Stable for one thread.
        assert_eq!(greenthread::current().id(), greenthread::current().id());
    });
}

#[test]
fn current_on_an_os_thread_is_that_os_thread() {
    let named = std::thread::Builder::new()
        .name("plain-os".into())
        .spawn(|| greenthread::current().name().map(str::to_owned))
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(named.as_deref(), Some("plain-os"));
}

#[test]
fn is_finished_tracks_completion() {
    within(30, || {
        let rt = Runtime::builder().workers(1).build().unwrap();
        let h = rt.spawn(|| {
            loop {
                greenthread::park();
                if greenthread::is_green() {
                    break 3;
                }
            }
        });
        // Parked until unparked: not finished.
        assert!(!h.is_finished());
        h.thread().unpark();
        while !h.is_finished() {
            std::thread::yield_now();
        }
        assert_eq!(h.join().unwrap(), 3);
    });
}

#[test]
fn absurd_stack_size_is_an_error_not_a_panic() {
    within(30, || {
        let rt = Runtime::builder().workers(1).build().unwrap();
        let err = rt
            .block_on(|| Builder::new().stack_size(usize::MAX).spawn(|| ()))
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("stack size"), "{err}");
        // Tiny sizes are rounded up and work.
        let h = rt
            .block_on(|| Builder::new().stack_size(1).spawn(|| 1 + 1))
            .unwrap();
        assert_eq!(h.join().unwrap(), 2);
    });
}

#[test]
fn runtime_builder_rejects_zero_workers() {
    let err = Runtime::builder().workers(0).build().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn dropping_a_join_handle_detaches() {
    within(30, || {
        let rt = Runtime::builder().workers(2).build().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        drop(rt.spawn(move || tx.send(42).unwrap()));
        assert_eq!(rx.recv().unwrap(), 42);
    });
}

#[test]
fn a_big_stack_holds_a_big_frame() {
    within(30, || {
        let rt = Runtime::builder().workers(1).build().unwrap();
        let h = rt
            .block_on(|| {
                Builder::new().stack_size(4 << 20).spawn(|| {
                    // Through a reference: `black_box([..])` by value is the array and a
                    // copy or two of it in a debug build, 6 MiB of frame for 2 MiB of data.
                    let mut buf = [7u8; 2 << 20];
                    std::hint::black_box(&mut buf);
                    buf.iter().map(|&b| b as usize).sum::<usize>()
                })
            })
            .unwrap();
        assert_eq!(h.join().unwrap(), 7 * (2 << 20));
    });
}

#[test]
fn global_runtime_worker_count_comes_from_the_environment() {
    const NAME: &str = "global_runtime_worker_count_comes_from_the_environment";
    if support::is_child(NAME) {
        // Count the distinct workers that run a batch of yielding green threads.
        let hs: Vec<_> = (0..64)
            .map(|_| {
                greenthread::spawn(|| {
                    let mut seen = HashSet::new();
                    for _ in 0..50 {
                        seen.insert(std::thread::current().name().unwrap().to_owned());
                        greenthread::yield_now();
                    }
                    seen
                })
            })
            .collect();
        let all: HashSet<String> = hs.into_iter().flat_map(|h| h.join().unwrap()).collect();
        println!("WORKERS={}", all.len());
        return;
    }
    let out = support::run_child(NAME, &[("GREENTHREAD_WORKERS", "1")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("WORKERS=1"), "{stdout}");

    let out = support::run_child(NAME, &[("GREENTHREAD_WORKERS", "lots")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("ignoring GREENTHREAD_WORKERS"), "{stderr}");
}
