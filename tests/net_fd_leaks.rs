//! No descriptor leaks: every socket the networking layer opens (including failed
//! connects, timeouts, clones, resets and `EMFILE`-free error paths) is closed again.
//! Its own binary so no other test opens descriptors meanwhile.

mod support;

use std::io::{Read, Write};
use std::time::Duration;

use greenthread::net::{TcpListener, TcpStream, UdpSocket};
use greenthread::os::unix::net::UnixStream;
use support::{open_fds, rt, within};

#[test]
fn no_fd_leaks() {
    within(60, || {
        let rt = rt();
        // Warm up the runtime and the blocking pool (their descriptors are long-lived).
        rt.block_on(|| greenthread::unblock(|| ()));
        let before = open_fds();
        rt.block_on(|| {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let l2 = listener.try_clone().unwrap();
            let server = greenthread::spawn(move || {
                for _ in 0..200 {
                    let (mut s, _) = l2.accept().unwrap();
                    greenthread::spawn(move || {
                        let mut b = [0; 64];
                        while let Ok(n @ 1..) = s.read(&mut b) {
                            if s.write_all(&b[..n]).is_err() {
                                break;
                            }
                        }
                    });
                }
            });
            let hs: Vec<_> = (0..200)
                .map(|i| {
                    greenthread::spawn(move || {
                        let mut c = TcpStream::connect(addr).unwrap();
                        match i % 4 {
                            0 => {
                                c.write_all(b"hi").unwrap();
                                c.read_exact(&mut [0; 2]).unwrap();
                            }
                            1 => {
                                let c2 = c.try_clone().unwrap();
                                c2.set_read_timeout(Some(Duration::from_millis(5))).unwrap();
                                let _ = (&c2).read(&mut [0; 2]);
                            }
                            2 => drop(c.shutdown(std::net::Shutdown::Both)),
                            _ => {}
                        }
                    })
                })
                .collect();
            for h in hs {
                h.join().unwrap();
            }
            server.join().unwrap();
            drop(listener);
            // Failed connects close their socket.
            let dead = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap();
            for _ in 0..50 {
                TcpStream::connect(dead).unwrap_err();
            }
            let u = UdpSocket::bind("127.0.0.1:0").unwrap();
            drop(u.try_clone().unwrap());
            let (a, b) = UnixStream::pair().unwrap();
            drop((a, b));
        });
        // Server green threads finish when their clients close; wait for the count to
        // settle (bounded).
        let mut after = open_fds();
        for _ in 0..200 {
            if after <= before {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
            after = open_fds();
        }
        assert_eq!(after, before, "descriptors leaked");
    });
}
