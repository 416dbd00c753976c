//! UDP: green-to-green, OS thread to green, timeouts and the std-like API.

mod support;

use std::io::ErrorKind;
use std::time::Duration;

use greenthread::net::UdpSocket;
use support::{rt, within};

#[test]
fn green_ping_pong() {
    within(30, || {
        let rt = rt();
        rt.block_on(|| {
            let server = UdpSocket::bind("127.0.0.1:0").unwrap();
            let addr = server.local_addr().unwrap();
            let h = greenthread::spawn(move || {
                let mut buf = [0; 64];
                for _ in 0..100 {
                    let (n, from) = server.recv_from(&mut buf).unwrap();
                    server.send_to(&buf[..n], from).unwrap();
                }
            });
            let c = UdpSocket::bind("127.0.0.1:0").unwrap();
            c.connect(addr).unwrap();
            assert_eq!(c.peer_addr().unwrap(), addr);
            let mut buf = [0; 64];
            for i in 0..100u8 {
                c.send(&[i; 10]).unwrap();
                let n = c.recv(&mut buf).unwrap();
                assert_eq!(&buf[..n], &[i; 10]);
            }
            h.join().unwrap();
        });
    });
}

#[test]
fn os_thread_sender_green_receiver() {
    within(30, || {
        let rt = rt();
        let sock = rt.block_on(|| UdpSocket::bind("127.0.0.1:0").unwrap());
        let addr = sock.local_addr().unwrap();
        let h = rt.spawn(move || {
            let mut buf = [0; 16];
            let n = sock.peek(&mut buf).unwrap();
            let (m, _) = sock.peek_from(&mut buf).unwrap();
            let (k, _) = sock.recv_from(&mut buf).unwrap();
            assert_eq!((n, m, k), (5, 5, 5));
            buf[..k].to_vec()
        });
        let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        s.send_to(b"hello", addr).unwrap();
        assert_eq!(h.join().unwrap(), b"hello");
    });
}

#[test]
fn timeouts_and_options() {
    within(30, || {
        let rt = rt();
        rt.block_on(|| {
            let s = UdpSocket::bind("127.0.0.1:0").unwrap();
            s.set_read_timeout(Some(Duration::from_millis(30))).unwrap();
            assert_eq!(s.read_timeout().unwrap(), Some(Duration::from_millis(30)));
            let err = s.recv_from(&mut [0; 8]).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::WouldBlock);
            assert_eq!(
                s.set_write_timeout(Some(Duration::ZERO))
                    .unwrap_err()
                    .kind(),
                ErrorKind::InvalidInput
            );
            s.set_broadcast(true).unwrap();
            assert!(s.broadcast().unwrap());
            s.set_ttl(9).unwrap();
            assert_eq!(s.ttl().unwrap(), 9);
            assert!(s.take_error().unwrap().is_none());
            let c = s.try_clone().unwrap();
            assert_eq!(c.read_timeout().unwrap(), Some(Duration::from_millis(30)));
            s.set_nonblocking(true).unwrap();
            assert_eq!(
                s.recv(&mut [0; 8]).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            // An unconnected send: the same error as std's (EDESTADDRREQ), no panic.
            let err = UdpSocket::bind("127.0.0.1:0")
                .unwrap()
                .send(b"x")
                .unwrap_err();
            let std_err = std::net::UdpSocket::bind("127.0.0.1:0")
                .unwrap()
                .send(b"x")
                .unwrap_err();
            assert_eq!(err.raw_os_error(), std_err.raw_os_error());
            let std_s: std::net::UdpSocket = c.try_into().unwrap();
            drop(UdpSocket::try_from(std_s).unwrap());
        });
    });
}
