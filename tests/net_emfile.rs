//! `EMFILE` on accept: the listener returns the error, other green threads keep running,
//! and accepting works again once descriptors free up. Its own test binary, because it
//! lowers the process's descriptor limit.

mod support;

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use greenthread::net::TcpListener;
use support::{open_fds, rt, set_nofile, within};

#[test]
fn emfile_on_accept_then_recovers() {
    within(60, || {
        let rt = rt();
        let listener = rt.block_on(|| TcpListener::bind("127.0.0.1:0").unwrap());
        let addr = listener.local_addr().unwrap();
        // Five clients wait in the accept queue (the handshake completes without accept).
        let clients: Vec<_> = (0..5)
            .map(|_| std::net::TcpStream::connect(addr).unwrap())
            .collect();
        // A green thread that must keep ticking while accept fails.
        let ticks = Arc::new(AtomicUsize::new(0));
        let t = ticks.clone();
        let ticker = rt.spawn(move || {
            for _ in 0..20 {
                greenthread::sleep(Duration::from_millis(5));
                t.fetch_add(1, Ordering::Relaxed);
            }
        });
        // Use up every descriptor the (lowered) limit allows.
        let before = open_fds() as u64;
        set_nofile(before + 16);
        let mut filler = Vec::new();
        loop {
            match std::fs::File::open("/dev/null") {
                Ok(f) => filler.push(f),
                Err(e) => {
                    assert_eq!(e.raw_os_error(), Some(libc::EMFILE));
                    break;
                }
            }
        }
        let listener = Arc::new(listener);
        let l = listener.clone();
        let errors = rt.block_on(move || {
            (0..3)
                .map(|_| l.accept().map(|_| ()).unwrap_err())
                .collect::<Vec<_>>()
        });
        for e in &errors {
            assert_eq!(e.raw_os_error(), Some(libc::EMFILE), "{e}");
        }
        ticker.join().unwrap();
        assert_eq!(ticks.load(Ordering::Relaxed), 20);
        // Free the descriptors: the queued connections are accepted and served.
        drop(filler);
        let l = listener.clone();
        let served = rt.spawn(move || {
            for _ in 0..5 {
                let (mut s, _) = l.accept().unwrap();
                greenthread::spawn(move || {
                    let mut b = [0; 4];
                    s.read_exact(&mut b).unwrap();
                    s.write_all(&b).unwrap();
                });
            }
        });
        for mut c in clients {
            c.write_all(b"ping").unwrap();
            let mut b = [0; 4];
            c.read_exact(&mut b).unwrap();
            assert_eq!(&b, b"ping");
        }
        served.join().unwrap();
        support::raise_nofile();
    });
}
