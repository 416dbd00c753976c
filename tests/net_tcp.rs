//! TCP: green-to-green, OS thread to green, green to OS thread, the std-like API, and the
//! faults of issue 3 (refused, reset, half-close, zero-length buffer, timeouts, a client
//! that never sends).

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::Shutdown;
use std::time::{Duration, Instant};

use greenthread::net::{TcpListener, TcpStream};
use support::{rt, within};

/// Echoes every connection of `listener` on its own green thread.
fn echo_server(listener: TcpListener) {
    for s in listener.incoming() {
        let Ok(mut s) = s else { continue };
        greenthread::spawn(move || {
            let mut buf = [0; 4096];
            while let Ok(n @ 1..) = s.read(&mut buf) {
                if s.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        });
    }
}

fn round_trips(s: &mut impl ReadWrite, n: usize) {
    let mut buf = [0u8; 64];
    for i in 0..n {
        let msg = [(i % 251) as u8; 64];
        s.write_all(&msg).unwrap();
        s.read_exact(&mut buf).unwrap();
        assert_eq!(buf, msg);
    }
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

#[test]
fn green_to_green_echo() {
    within(30, || {
        let rt = rt();
        rt.block_on(|| {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            greenthread::spawn(move || echo_server(listener));
            let clients: Vec<_> = (0..50)
                .map(|_| {
                    greenthread::spawn(move || {
                        let mut c = TcpStream::connect(addr).unwrap();
                        c.set_nodelay(true).unwrap();
                        round_trips(&mut c, 200);
                    })
                })
                .collect();
            for c in clients {
                c.join().unwrap();
            }
        });
    });
}

#[test]
fn os_thread_client_to_green_server() {
    within(30, || {
        let rt = rt();
        let listener = rt.block_on(|| TcpListener::bind("127.0.0.1:0").unwrap());
        let addr = listener.local_addr().unwrap();
        rt.spawn(move || echo_server(listener));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                std::thread::spawn(move || {
                    let mut c = std::net::TcpStream::connect(addr).unwrap();
                    round_trips(&mut c, 200);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    });
}

#[test]
fn green_client_to_os_thread_server() {
    within(30, || {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for s in listener.incoming() {
                let mut s = s.unwrap();
                std::thread::spawn(move || {
                    let mut buf = [0; 4096];
                    while let Ok(n @ 1..) = s.read(&mut buf) {
                        s.write_all(&buf[..n]).unwrap();
                    }
                });
            }
        });
        let rt = rt();
        let hs: Vec<_> = (0..10)
            .map(|_| {
                rt.spawn(move || {
                    let mut c = TcpStream::connect(addr).unwrap();
                    round_trips(&mut c, 200);
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
    });
}

#[test]
fn os_thread_using_greenthread_sockets() {
    // No green thread at all: the calls block the OS thread, like std's.
    within(30, || {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, peer) = listener.accept().unwrap();
            assert_eq!(peer, s.peer_addr().unwrap());
            let mut buf = Vec::new();
            s.read_to_end(&mut buf).unwrap();
            s.write_all(&buf).unwrap();
        });
        let mut c = TcpStream::connect(addr).unwrap();
        c.write_all(b"from an OS thread").unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        let mut back = String::new();
        c.read_to_string(&mut back).unwrap();
        assert_eq!(back, "from an OS thread");
        server.join().unwrap();
    });
}

#[test]
fn refused_connection() {
    within(30, || {
        // Bind then drop: nothing listens on that port now.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let rt = rt();
        let err = rt.block_on(|| TcpStream::connect(addr).unwrap_err());
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
        let err =
            rt.block_on(|| TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap_err());
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
        // From an OS thread too.
        let err = TcpStream::connect(addr).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    });
}

#[test]
fn connect_timeout_zero_is_invalid_input() {
    let addr = "127.0.0.1:9".parse().unwrap();
    let err = TcpStream::connect_timeout(&addr, Duration::ZERO).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[test]
fn connect_by_host_name_resolves_on_the_pool() {
    within(30, || {
        let rt = rt();
        rt.block_on(|| {
            let listener = TcpListener::bind("localhost:0").unwrap();
            let port = listener.local_addr().unwrap().port();
            let h = greenthread::spawn(move || listener.accept().map(|_| ()));
            let c = TcpStream::connect(("localhost", port)).unwrap();
            h.join().unwrap().unwrap();
            drop(c);
            let err = TcpStream::connect("no-such-host.invalid:80").unwrap_err();
            assert_ne!(err.kind(), ErrorKind::ConnectionRefused);
        });
    });
}

#[test]
fn peer_reset_mid_stream() {
    within(30, || {
        let rt = rt();
        rt.block_on(|| {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let server = greenthread::spawn(move || {
                let (mut s, _) = listener.accept().unwrap();
                let mut buf = [0; 5];
                s.read_exact(&mut buf).unwrap();
                // Close with unread data pending: the kernel sends RST, not FIN.
                s
            });
            let c = TcpStream::connect(addr).unwrap();
            (&c).write_all(b"hello, and more").unwrap();
            let s = server.join().unwrap();
            // SO_LINGER 0 is not in std; unread data at close also resets.
            drop(s);
            let mut buf = [0; 16];
            let err = loop {
                match (&c).read(&mut buf) {
                    Ok(0) => panic!("expected a reset, got EOF"),
                    Ok(_) => continue,
                    Err(e) => break e,
                }
            };
            assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
            // Writing to a reset connection fails too, with std's error, and does not panic.
            let err = loop {
                if let Err(e) = (&c).write(b"x") {
                    break e;
                }
            };
            assert!(
                matches!(
                    err.kind(),
                    ErrorKind::BrokenPipe | ErrorKind::ConnectionReset
                ),
                "{err}"
            );
        });
    });
}

#[test]
fn half_closed_socket() {
    within(30, || {
        let rt = rt();
        rt.block_on(|| {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let server = greenthread::spawn(move || {
                let (mut s, _) = listener.accept().unwrap();
                let mut got = Vec::new();
                s.read_to_end(&mut got).unwrap(); // returns at the client's FIN
                // Our write half is still open.
                s.write_all(&got).unwrap();
                s.write_all(b" (server done)").unwrap();
                // Reading again after EOF keeps returning 0.
                assert_eq!(s.read(&mut [0; 4]).unwrap(), 0);
            });
            let mut c = TcpStream::connect(addr).unwrap();
            c.write_all(b"request").unwrap();
            c.shutdown(Shutdown::Write).unwrap();
            // Writing after our own shutdown is std's BrokenPipe.
            let err = c.write(b"late").unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BrokenPipe);
            let mut back = String::new();
            c.read_to_string(&mut back).unwrap();
            assert_eq!(back, "request (server done)");
            server.join().unwrap();
        });
    });
}

#[test]
fn zero_length_buffers() {
    within(30, || {
        let rt = rt();
        rt.block_on(|| {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let mut c = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let (mut s, _) = listener.accept().unwrap();
            // No data queued: a zero-length read returns 0 at once instead of parking.
            assert_eq!(c.read(&mut []).unwrap(), 0);
            assert_eq!(c.write(&[]).unwrap(), 0);
            s.write_all(b"abc").unwrap();
            assert_eq!(c.read(&mut []).unwrap(), 0);
            let mut buf = [0; 3];
            c.read_exact(&mut buf).unwrap();
            assert_eq!(&buf, b"abc");
        });
    });
}

#[test]
fn read_timeout_then_stream_still_usable() {
    within(30, || {
        let rt = rt();
        rt.block_on(|| {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let mut c = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let (mut s, _) = listener.accept().unwrap();
            assert_eq!(c.read_timeout().unwrap(), None);
            c.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
            assert_eq!(c.read_timeout().unwrap(), Some(Duration::from_millis(50)));
            let start = Instant::now();
            let err = c.read(&mut [0; 8]).unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
                "{err}"
            );
            assert!(start.elapsed() >= Duration::from_millis(50));
            // Still usable.
            s.write_all(b"late").unwrap();
            let mut buf = [0; 4];
            c.read_exact(&mut buf).unwrap();
            assert_eq!(&buf, b"late");
            // Zero is rejected like std.
            let err = c.set_read_timeout(Some(Duration::ZERO)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            c.set_read_timeout(None).unwrap();
            // The same from an OS thread.
            let c2 = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let _keep = listener.accept().unwrap();
            c2.set_read_timeout(Some(Duration::from_millis(30)))
                .unwrap();
            let err = std::thread::spawn(move || (&c2).read(&mut [0; 8]).unwrap_err())
                .join()
                .unwrap();
            assert_eq!(err.kind(), ErrorKind::WouldBlock);
        });
    });
}

#[test]
fn write_timeout_when_peer_does_not_read() {
    within(30, || {
        let rt = rt();
        rt.block_on(|| {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let mut c = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let (_s, _) = listener.accept().unwrap();
            c.set_write_timeout(Some(Duration::from_millis(50)))
                .unwrap();
            let chunk = vec![0u8; 1 << 16];
            let mut total = 0usize;
            let err = loop {
                match c.write(&chunk) {
                    Ok(n) => total += n,
                    Err(e) => break e,
                }
                assert!(total < 1 << 30, "socket buffers never filled");
            };
            assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
        });
    });
}

#[test]
fn client_that_never_sends_does_not_stall_others() {
    within(30, || {
        let rt = rt();
        rt.block_on(|| {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            greenthread::spawn(move || echo_server(listener));
            // Silent clients: connected, never send; the server's green threads park on them.
            let silent: Vec<_> = (0..100)
                .map(|_| TcpStream::connect(addr).unwrap())
                .collect();
            // Everyone else is served.
            let hs: Vec<_> = (0..20)
                .map(|_| {
                    greenthread::spawn(move || {
                        let mut c = TcpStream::connect(addr).unwrap();
                        round_trips(&mut c, 100);
                    })
                })
                .collect();
            for h in hs {
                h.join().unwrap();
            }
            // A server with a read timeout gives up on a silent client with std's error.
            let l2 = TcpListener::bind("127.0.0.1:0").unwrap();
            let a2 = l2.local_addr().unwrap();
            let h = greenthread::spawn(move || {
                let (mut s, _) = l2.accept().unwrap();
                s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
                s.read(&mut [0; 8]).unwrap_err().kind()
            });
            let _silent2 = TcpStream::connect(a2).unwrap();
            assert_eq!(h.join().unwrap(), ErrorKind::WouldBlock);
            drop(silent);
        });
    });
}

#[test]
fn std_like_api() {
    within(30, || {
        let rt = rt();
        rt.block_on(|| {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            listener.set_ttl(42).unwrap();
            assert_eq!(listener.ttl().unwrap(), 42);
            assert!(listener.take_error().unwrap().is_none());
            let l2 = listener.try_clone().unwrap();

            let c = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
            let (s, peer) = l2.accept().unwrap();
            assert_eq!(peer, c.local_addr().unwrap());
            assert_eq!(s.peer_addr().unwrap(), c.local_addr().unwrap());
            assert_eq!(c.peer_addr().unwrap(), addr);

            c.set_nodelay(true).unwrap();
            assert!(c.nodelay().unwrap());
            c.set_ttl(7).unwrap();
            assert_eq!(c.ttl().unwrap(), 7);
            assert!(c.take_error().unwrap().is_none());

            // peek leaves the data; a clone reads the same socket.
            (&s).write_all(b"peekaboo").unwrap();
            let mut buf = [0; 4];
            let n = c.peek(&mut buf).unwrap();
            assert_eq!(&buf[..n], &b"peekaboo"[..n]);
            let c2 = c.try_clone().unwrap();
            let mut all = [0; 8];
            (&c2).read_exact(&mut all).unwrap();
            assert_eq!(&all, b"peekaboo");

            // Non-blocking mode returns WouldBlock instead of parking.
            c.set_nonblocking(true).unwrap();
            assert_eq!(
                (&c).read(&mut buf).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            c.set_nonblocking(false).unwrap();
            listener.set_nonblocking(true).unwrap();
            assert_eq!(listener.accept().unwrap_err().kind(), ErrorKind::WouldBlock);

            // Conversions with std, both ways.
            let std_s: std::net::TcpStream = c.try_into().unwrap();
            (&s).write_all(b"x").unwrap();
            let mut one = [0; 1];
            // Back in blocking mode, as std expects.
            (&std_s).read_exact(&mut one).unwrap();
            let back = TcpStream::try_from(std_s).unwrap();
            (&s).write_all(b"y").unwrap();
            (&back).read_exact(&mut one).unwrap();
            assert_eq!(&one, b"y");

            use std::os::fd::{AsFd, AsRawFd, IntoRawFd};
            assert_eq!(back.as_fd().as_raw_fd(), back.as_raw_fd());
            let fd = back.into_raw_fd();
            // SAFETY: we own `fd` now (into_raw_fd).
            drop(unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) });
            let _ = format!("{listener:?} {s:?}");
        });
    });
}

#[test]
fn many_readers_of_one_socket_all_wake() {
    // Two green threads wait on the same socket (one waiter slot each, shared source).
    within(30, || {
        let rt = rt();
        rt.block_on(|| {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let c =
                std::sync::Arc::new(TcpStream::connect(listener.local_addr().unwrap()).unwrap());
            let (mut s, _) = listener.accept().unwrap();
            let readers: Vec<_> = (0..2)
                .map(|_| {
                    let c = c.clone();
                    greenthread::spawn(move || {
                        let mut b = [0; 1];
                        (&*c).read_exact(&mut b).unwrap();
                        b[0]
                    })
                })
                .collect();
            greenthread::sleep(Duration::from_millis(20));
            s.write_all(b"a").unwrap();
            greenthread::sleep(Duration::from_millis(20));
            s.write_all(b"b").unwrap();
            let mut got: Vec<u8> = readers.into_iter().map(|h| h.join().unwrap()).collect();
            got.sort();
            assert_eq!(got, b"ab");
        });
    });
}

#[test]
fn socket_moves_between_os_thread_and_green_threads() {
    within(30, || {
        // Created on an OS thread, used by a green thread of another runtime, then back.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut c = TcpStream::connect(addr).unwrap();
        let (s, _) = listener.accept().unwrap();
        let rt = rt();
        let s = rt.spawn(move || {
            let mut s = s;
            let mut b = [0; 5];
            s.read_exact(&mut b).unwrap(); // parks: the client writes below
            s.write_all(&b).unwrap();
            s
        });
        c.write_all(b"hello").unwrap();
        let mut b = [0; 5];
        c.read_exact(&mut b).unwrap();
        assert_eq!(&b, b"hello");
        let mut s = s.join().unwrap();
        c.write_all(b"back").unwrap();
        let mut b = [0; 4];
        s.read_exact(&mut b).unwrap();
        assert_eq!(&b, b"back");
    });
}

#[test]
fn runtime_shutdown_unwinds_green_threads_blocked_in_io() {
    within(30, || {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let rt = rt();
        let hs: Vec<_> = (0..10)
            .map(|_| {
                rt.spawn(move || {
                    let mut c = TcpStream::connect(addr).unwrap();
                    let _ = c.read(&mut [0; 8]); // never answered
                })
            })
            .collect();
        let _accepted: Vec<_> = (0..10).map(|_| listener.accept().unwrap()).collect();
        // Dropping the runtime must not hang on green threads parked in read.
        drop(rt);
        for h in hs {
            assert!(h.join().is_err());
        }
    });
}
