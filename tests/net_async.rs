//! `io::Async` on descriptors that are not sockets, and `unblock`.

mod support;

use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use greenthread::io::Async;
use support::{rt, within};

fn pipe() -> (std::fs::File, std::fs::File) {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid out-array of two ints.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: pipe2 returned two fresh descriptors that we now own.
    unsafe {
        (
            OwnedFd::from_raw_fd(fds[0]).into(),
            OwnedFd::from_raw_fd(fds[1]).into(),
        )
    }
}

#[test]
fn pipe_between_green_threads() {
    within(30, || {
        let rt = rt();
        rt.block_on(|| {
            let (r, w) = pipe();
            let r = Async::new(r).unwrap();
            let mut w = Async::new(w).unwrap();
            let reader = greenthread::spawn(move || {
                let mut r = r;
                let mut got = Vec::new();
                r.read_to_end(&mut got).unwrap();
                got.len()
            });
            // More than a pipe buffer (64 KiB): the writer parks until the reader drains.
            let chunk = vec![1u8; 1 << 20];
            w.write_all(&chunk).unwrap();
            drop(w);
            assert_eq!(reader.join().unwrap(), 1 << 20);
        });
    });
}

#[test]
fn child_stdout() {
    within(30, || {
        let rt = rt();
        rt.block_on(|| {
            let mut child = Command::new("sh")
                .args(["-c", "echo one; sleep 0.05; echo two"])
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let mut out = Async::new(child.stdout.take().unwrap()).unwrap();
            let mut s = String::new();
            out.read_to_string(&mut s).unwrap();
            assert_eq!(s, "one\ntwo\n");
            child.wait().unwrap();
        });
    });
}

#[test]
fn regular_file_is_refused_with_an_error() {
    let f = std::fs::File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    let err = Async::new(f).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EPERM));
}

#[test]
fn unblock_runs_off_the_workers() {
    within(30, || {
        // One worker: if unblock ran on it, the ticker below could not tick.
        let rt = greenthread::Runtime::builder().workers(1).build().unwrap();
        rt.block_on(|| {
            let ticks = Arc::new(AtomicUsize::new(0));
            let t = ticks.clone();
            let ticker = greenthread::spawn(move || {
                for _ in 0..5 {
                    greenthread::sleep(Duration::from_millis(10));
                    t.fetch_add(1, Ordering::Relaxed);
                }
            });
            let start = Instant::now();
            let on_pool = greenthread::unblock(|| {
                std::thread::sleep(Duration::from_millis(200));
                std::thread::current().name().map(String::from)
            });
            assert!(start.elapsed() >= Duration::from_millis(200));
            assert_eq!(on_pool.as_deref(), Some("greenthread-blocking"));
            ticker.join().unwrap();
            assert_eq!(ticks.load(Ordering::Relaxed), 5);
        });
    });
}

#[test]
fn unblock_many_and_panics() {
    within(60, || {
        let rt = rt();
        rt.block_on(|| {
            let hs: Vec<_> = (0..200u64)
                .map(|i| {
                    greenthread::spawn(move || {
                        greenthread::unblock(move || {
                            std::thread::sleep(Duration::from_millis(5));
                            i * 2
                        })
                    })
                })
                .collect();
            let sum: u64 = hs.into_iter().map(|h| h.join().unwrap()).sum();
            assert_eq!(sum, 199 * 200);
            let r = greenthread::spawn(|| greenthread::unblock(|| panic!("boom"))).join();
            assert!(r.is_err());
            // Still works after a panic.
            assert_eq!(greenthread::unblock(|| 5), 5);
        });
        // From an OS thread it runs inline.
        assert_eq!(
            greenthread::unblock(|| std::thread::current().id()),
            std::thread::current().id()
        );
    });
}

/// Regression: `readable`/`writable` checked readiness with a deadline already passed and
/// never asked `poll`, so they never reported ready and spun for ever.
#[test]
fn readable_and_writable_report_readiness_on_green_and_os_threads() {
    within(30, || {
        let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
        let a = Async::new(a).unwrap();
        a.writable().unwrap(); // OS thread, empty send buffer
        b.write_all(b"x").unwrap();
        a.readable().unwrap(); // OS thread, data already there
        let (c, mut d) = std::os::unix::net::UnixStream::pair().unwrap();
        let c = Async::new(c).unwrap();
        let waiter = greenthread::spawn(move || c.readable().and_then(|_| c.writable()));
        d.write_all(b"y").unwrap();
        waiter.join().unwrap().unwrap();
    });
}
