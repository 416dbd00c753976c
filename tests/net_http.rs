//! The `http_hello` example driven by real clients: std `TcpStream` speaking HTTP/1.1
//! (keep-alive, pipelining, `Connection: close`, garbage), and `curl` if installed.

mod support;

#[allow(dead_code)]
#[path = "../examples/http_hello.rs"]
mod http_hello;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::Duration;

use support::within;

const HELLO: &str =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";

fn start() -> SocketAddr {
    let listener = greenthread::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    greenthread::spawn(move || http_hello::serve(listener));
    addr
}

fn read_exactly(s: &mut TcpStream, n: usize) -> String {
    let mut buf = vec![0; n];
    s.read_exact(&mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

#[test]
fn keep_alive_and_pipelining() {
    within(30, || {
        let addr = start();
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        // Several requests on one connection, one at a time.
        for _ in 0..10 {
            s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            assert_eq!(read_exactly(&mut s, HELLO.len()), HELLO);
        }
        // Pipelined: 50 requests in one write, split at odd places.
        let req = "GET /p HTTP/1.1\r\nHost: x\r\n\r\n".repeat(50);
        let (a, b) = req.as_bytes().split_at(37);
        s.write_all(a).unwrap();
        s.write_all(b).unwrap();
        assert_eq!(read_exactly(&mut s, HELLO.len() * 50), HELLO.repeat(50));
        // Connection: close gets an answer, then EOF.
        s.write_all(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut rest = String::new();
        s.read_to_string(&mut rest).unwrap();
        assert!(rest.starts_with("HTTP/1.1 200 OK\r\n"), "{rest}");
        assert!(rest.ends_with("Hello, World!"), "{rest}");
    });
}

#[test]
fn bad_request_and_abrupt_clients_do_not_stop_the_server() {
    within(30, || {
        let addr = start();
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"NONSENSE\r\n\r\n").unwrap();
        let mut rest = String::new();
        s.read_to_string(&mut rest).unwrap();
        assert!(rest.starts_with("HTTP/1.1 400"), "{rest}");
        // Half a request, then gone.
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"GET / HT").unwrap();
        drop(s);
        // Still serving.
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
        assert_eq!(read_exactly(&mut s, HELLO.len()), HELLO);
    });
}

#[test]
fn curl_if_present() {
    if Command::new("curl").arg("--version").output().is_err() {
        eprintln!("curl not installed: skipping");
        return;
    }
    within(60, || {
        let addr = start();
        let url = format!("http://{addr}/");
        // Two URLs in one curl run reuse the connection (keep-alive).
        let out = Command::new("curl")
            .args(["-sS", "--max-time", "10", "-v", &url, &url])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "Hello, World!Hello, World!"
        );
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(
            log.contains("Re-using existing") || log.contains("left intact"),
            "{log}"
        );
    });
}
