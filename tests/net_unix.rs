//! Unix sockets: stream and datagram, green and OS threads.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::Shutdown;
use std::path::PathBuf;
use std::time::Duration;

use greenthread::os::unix::net::{UnixDatagram, UnixListener, UnixStream};
use support::{rt, within};

fn temp_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gt-net-unix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

#[test]
fn stream_echo_green_and_os_clients() {
    within(30, || {
        let rt = rt();
        let path = temp_path("echo");
        let listener = rt.block_on(|| UnixListener::bind(&path).unwrap());
        rt.spawn(move || {
            for s in listener.incoming() {
                let mut s = s.unwrap();
                greenthread::spawn(move || {
                    let mut buf = [0; 1024];
                    while let Ok(n @ 1..) = s.read(&mut buf) {
                        s.write_all(&buf[..n]).unwrap();
                    }
                });
            }
        });
        let green: Vec<_> = (0..10)
            .map(|_| {
                let path = path.clone();
                rt.spawn(move || {
                    let mut c = UnixStream::connect(&path).unwrap();
                    for i in 0..100u8 {
                        c.write_all(&[i; 32]).unwrap();
                        let mut b = [0; 32];
                        c.read_exact(&mut b).unwrap();
                        assert_eq!(b, [i; 32]);
                    }
                })
            })
            .collect();
        // A std client on an OS thread.
        let mut c = std::os::unix::net::UnixStream::connect(&path).unwrap();
        c.write_all(b"std").unwrap();
        let mut b = [0; 3];
        c.read_exact(&mut b).unwrap();
        assert_eq!(&b, b"std");
        for g in green {
            g.join().unwrap();
        }
        let _ = std::fs::remove_file(&path);
    });
}

#[test]
fn pair_half_close_and_timeouts() {
    within(30, || {
        let rt = rt();
        rt.block_on(|| {
            let (a, mut b) = UnixStream::pair().unwrap();
            a.set_read_timeout(Some(Duration::from_millis(30))).unwrap();
            assert_eq!(
                (&a).read(&mut [0; 4]).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            b.write_all(b"bye").unwrap();
            b.shutdown(Shutdown::Write).unwrap();
            let mut s = String::new();
            (&a).read_to_string(&mut s).unwrap();
            assert_eq!(s, "bye");
            assert_eq!((&a).read(&mut []).unwrap(), 0);
            let c = a.try_clone().unwrap();
            assert_eq!(c.read_timeout().unwrap(), Some(Duration::from_millis(30)));
            assert!(a.take_error().unwrap().is_none());
        });
    });
}

#[test]
fn datagrams() {
    within(30, || {
        let rt = rt();
        rt.block_on(|| {
            let pa = temp_path("dgram-a");
            let a = UnixDatagram::bind(&pa).unwrap();
            let b = UnixDatagram::unbound().unwrap();
            let h = greenthread::spawn(move || {
                let mut buf = [0; 16];
                let (n, _) = a.recv_from(&mut buf).unwrap();
                buf[..n].to_vec()
            });
            b.send_to(b"dgram", &pa).unwrap();
            assert_eq!(h.join().unwrap(), b"dgram");
            let (x, y) = UnixDatagram::pair().unwrap();
            x.send(b"1").unwrap();
            assert_eq!(y.recv(&mut [0; 4]).unwrap(), 1);
            y.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
            assert_eq!(
                y.recv(&mut [0; 4]).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            let _ = std::fs::remove_file(&pa);
        });
    });
}
