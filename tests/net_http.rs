//! The `http_hello` example driven by real clients, in both its modes (green threads, and
//! `--std-threads`: std::net with an OS thread per connection): std `TcpStream` speaking
//! HTTP/1.1 (keep-alive, pipelining, `Connection: close`, garbage), and `curl`, Python's
//! `http.client` and a short `wrk` run where installed.

mod support;

#[allow(dead_code)]
#[path = "../examples/http_hello.rs"]
mod http_hello;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::Duration;

use support::{eventually, os_threads_named, output_within, within};

const HELLO: &str =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";

/// Both modes, as the command line selects them.
const MODES: [&[&str]; 2] = [&[], &["--std-threads"]];

/// Starts the example's server as its `main` does (bound from a command line, accepting on
/// a plain OS thread), on a free port; it runs for the rest of the test process.
fn start(flags: &[&str]) -> SocketAddr {
    let args = std::iter::once("127.0.0.1:0").chain(flags.iter().copied());
    let server = http_hello::Server::bind(args.map(String::from)).unwrap();
    let addr = server.local_addr().unwrap();
    std::thread::spawn(move || server.run());
    addr
}

fn installed(tool: &str, version_flag: &str) -> bool {
    let found = Command::new(tool).arg(version_flag).output().is_ok();
    if !found {
        eprintln!("{tool} not installed: skipping");
    }
    found
}

fn read_exactly(s: &mut TcpStream, n: usize) -> String {
    let mut buf = vec![0; n];
    s.read_exact(&mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

#[test]
fn keep_alive_and_pipelining() {
    within(30, || {
        for flags in MODES {
            keep_alive_and_pipelining_on(start(flags));
        }
    });
}

fn keep_alive_and_pipelining_on(addr: SocketAddr) {
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
}

#[test]
fn bad_request_and_abrupt_clients_do_not_stop_the_server() {
    within(30, || {
        for flags in MODES {
            bad_request_and_abrupt_clients_on(start(flags));
        }
    });
}

fn bad_request_and_abrupt_clients_on(addr: SocketAddr) {
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
}

#[test]
fn the_command_line_picks_the_mode() {
    let bind = |args: &[&str]| http_hello::Server::bind(args.iter().map(|a| a.to_string()));
    assert!(matches!(
        bind(&["127.0.0.1:0"]).unwrap(),
        http_hello::Server::Green(_)
    ));
    assert!(matches!(
        bind(&["127.0.0.1:0", "--std-threads"]).unwrap(),
        http_hello::Server::StdThreads(_)
    ));
    let err = bind(&["127.0.0.1:0", "--bogus"]).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("usage"), "{err}");
}

/// `--std-threads` serves each connection on an OS thread of its own, as the comparison
/// means it to.
#[test]
fn std_threads_serves_each_connection_on_its_own_os_thread() {
    within(30, || {
        let addr = start(&["--std-threads"]);
        let mut clients: Vec<TcpStream> =
            (0..3).map(|_| TcpStream::connect(addr).unwrap()).collect();
        for s in &mut clients {
            s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            assert_eq!(read_exactly(s, HELLO.len()), HELLO);
        }
        // Other tests of this binary may hold connections of their own: at least ours.
        assert!(
            os_threads_named(http_hello::STD_CONNECTION_THREAD) >= 3,
            "{} connection threads for 3 open connections",
            os_threads_named(http_hello::STD_CONNECTION_THREAD)
        );
        drop(clients);
        // A closed connection ends its thread (the count settles as the kernel reaps them).
        eventually("the connection threads end", || {
            os_threads_named(http_hello::STD_CONNECTION_THREAD) < 3
        });
    });
}

#[test]
fn curl_if_present() {
    if !installed("curl", "--version") {
        return;
    }
    within(60, || {
        for flags in MODES {
            let addr = start(flags);
            let url = format!("http://{addr}/");
            // Two URLs in one curl run reuse the connection (keep-alive).
            let mut curl = Command::new("curl");
            curl.args(["-sS", "--max-time", "10", "-v", &url, &url]);
            let out = output_within(curl, 30);
            assert!(out.status.success(), "{flags:?}: {out:?}");
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                "Hello, World!Hello, World!",
                "{flags:?}"
            );
            let log = String::from_utf8_lossy(&out.stderr);
            assert!(
                log.contains("Re-using existing") || log.contains("left intact"),
                "{flags:?}: {log}"
            );
        }
    });
}

/// Python's `http.client`: a keep-alive connection, several requests on it.
#[test]
fn python_http_client_if_present() {
    if !installed("python3", "--version") {
        return;
    }
    const SCRIPT: &str = "
import http.client, sys
c = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]), timeout=10)
for _ in range(5):
    c.request('GET', '/')
    r = c.getresponse()
    assert r.status == 200, r.status
    assert r.getheader('Content-Type') == 'text/plain'
    assert r.read() == b'Hello, World!'
c.request('GET', '/', headers={'Connection': 'close'})
r = c.getresponse()
assert r.status == 200 and r.will_close and r.read() == b'Hello, World!'
print('ok')
";
    within(60, || {
        for flags in MODES {
            let addr = start(flags);
            let mut py = Command::new("python3");
            py.args([
                "-c",
                SCRIPT,
                &addr.ip().to_string(),
                &addr.port().to_string(),
            ]);
            let out = output_within(py, 30);
            assert!(out.status.success(), "{flags:?}: {out:?}");
            assert_eq!(String::from_utf8_lossy(&out.stdout), "ok\n", "{flags:?}");
        }
    });
}

/// A short `wrk` run against each mode: every request answered, no socket errors.
#[test]
fn wrk_if_present() {
    if !installed("wrk", "--version") {
        return;
    }
    within(60, || {
        for flags in MODES {
            let addr = start(flags);
            let mut wrk = Command::new("wrk");
            wrk.args([
                "-t1",
                "-c16",
                "-d1s",
                "--timeout",
                "5s",
                &format!("http://{addr}/"),
            ]);
            let out = output_within(wrk, 30);
            let report = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{flags:?}: {out:?}");
            let requests: u64 = report
                .lines()
                .find_map(|l| l.trim().split_once(" requests in "))
                .and_then(|(n, _)| n.trim().parse().ok())
                .unwrap_or_else(|| panic!("{flags:?}: no request count in {report}"));
            assert!(requests > 0, "{flags:?}: {report}");
            assert!(!report.contains("Socket errors"), "{flags:?}: {report}");
            assert!(!report.contains("Non-2xx"), "{flags:?}: {report}");
        }
    });
}
