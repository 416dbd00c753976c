//! A minimal HTTP/1.1 "Hello, World!" server with keep-alive: one green thread per
//! connection, pipelining-safe (requests are parsed from a buffer, answered in order, and
//! responses to several pipelined requests go out in one write).
//!
//! ```sh
//! cargo run --release --example http_hello [ADDR]   # default 127.0.0.1:8080
//! wrk -t2 -c100 -d10s http://127.0.0.1:8080/
//! ```
//!
//! `--std-threads` serves the same code with `std::net` and one OS thread per connection
//! instead, for comparison (the OS-thread side of a `wrk` run):
//!
//! ```sh
//! cargo run --release --example http_hello 127.0.0.1:8081 --std-threads
//! ```
//!
//! Out of descriptors (`EMFILE` under a low `ulimit -n`), the accept loop logs the error and
//! pauses for a second ([`accept_backoff`]) instead of retrying in a busy loop; it serves again
//! once clients leave.

use std::io::{self, Read, Write};
use std::net::SocketAddr;

use greenthread::net::{TcpListener, accept_backoff};

const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";
const RESPONSE_CLOSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: close\r\n\r\nHello, World!";
const BAD_REQUEST: &[u8] =
    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/// Largest request head accepted.
const MAX_HEAD: usize = 16 * 1024;

/// The name of the OS thread serving a connection with `--std-threads`.
pub const STD_CONNECTION_THREAD: &str = "http_hello-conn";

const USAGE: &str = "usage: http_hello [ADDR] [--std-threads]   (ADDR defaults to 127.0.0.1:8080)";

fn main() {
    let server = match Server::bind(std::env::args().skip(1)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("http_hello: {e}");
            std::process::exit(1);
        }
    };
    if let Ok(addr) = server.local_addr() {
        eprintln!(
            "http_hello: listening on http://{addr}/ ({})",
            server.mode()
        );
    }
    server.run();
}

/// A bound listener and how its connections are served.
#[derive(Debug)]
pub enum Server {
    /// `greenthread::net`, one green thread per connection.
    Green(TcpListener),
    /// `std::net`, one OS thread per connection (`--std-threads`).
    StdThreads(std::net::TcpListener),
}

impl Server {
    /// Binds as the command line `[ADDR] [--std-threads]` says.
    pub fn bind(args: impl IntoIterator<Item = String>) -> io::Result<Server> {
        let mut addr = None;
        let mut std_threads = false;
        for arg in args {
            match arg.as_str() {
                "--std-threads" => std_threads = true,
                _ if arg.starts_with('-') || addr.is_some() => {
                    let msg = format!("unexpected argument `{arg}`\n{USAGE}");
                    return Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
                }
                _ => addr = Some(arg),
            }
        }
        let addr = addr.as_deref().unwrap_or("127.0.0.1:8080");
        Ok(if std_threads {
            let listener = std::net::TcpListener::bind(addr)?;
            same_backlog_as_greenthread(&listener)?;
            Server::StdThreads(listener)
        } else {
            Server::Green(TcpListener::bind(addr)?)
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        match self {
            Server::Green(l) => l.local_addr(),
            Server::StdThreads(l) => l.local_addr(),
        }
    }

    /// How it serves, in words.
    pub fn mode(&self) -> &'static str {
        match self {
            Server::Green(_) => "a green thread per connection",
            Server::StdThreads(_) => "std::net, an OS thread per connection",
        }
    }

    /// Accepts forever.
    pub fn run(self) {
        match self {
            Server::Green(l) => serve(l),
            Server::StdThreads(l) => serve_std(l),
        }
    }
}

/// std listens with a backlog of 128, greenthread's `TcpListener` with `SOMAXCONN`: the
/// same queue on both sides keeps a comparison with many connections fair (past a full
/// queue the kernel drops a client's SYN, and the client waits a second or more to retry).
fn same_backlog_as_greenthread(listener: &std::net::TcpListener) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: listen(2) on a socket this listener owns and keeps open; on a socket that is
    // already listening, Linux only takes the new backlog.
    if unsafe { libc::listen(listener.as_raw_fd(), libc::SOMAXCONN) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Accepts forever, one green thread per connection.
pub fn serve(listener: TcpListener) {
    for stream in listener.incoming() {
        match stream {
            Ok(s) => {
                greenthread::spawn(move || {
                    let _ = s.set_nodelay(true);
                    let _ = connection(s);
                });
            }
            Err(e) => accept_failed(&e),
        }
    }
}

/// Accepts forever with `std::net`, one OS thread per connection: the same
/// [`connection`] code, for comparison.
pub fn serve_std(listener: std::net::TcpListener) {
    for stream in listener.incoming() {
        match stream {
            Ok(s) => {
                let spawned = std::thread::Builder::new()
                    .name(STD_CONNECTION_THREAD.into())
                    .spawn(move || {
                        let _ = s.set_nodelay(true);
                        let _ = connection(s);
                    });
                // Out of threads (EAGAIN): the connection is closed; pause as for EMFILE.
                if let Err(e) = spawned {
                    accept_failed(&e);
                }
            }
            Err(e) => accept_failed(&e),
        }
    }
}

/// After a failed accept: log and pause where retrying at once would fail the same way
/// (`EMFILE` and friends), else go on. `greenthread::sleep` parks only the accepting green
/// thread, and is std's sleep on an OS thread.
fn accept_failed(e: &io::Error) {
    if let Some(pause) = accept_backoff(e) {
        eprintln!("http_hello: accept: {e} (pausing {pause:?})");
        greenthread::sleep(pause);
    }
}

/// Serves one connection until the client closes it or asks to.
fn connection<S: Read + Write>(mut s: S) -> io::Result<()> {
    let mut buf = vec![0u8; 4096];
    let mut len = 0;
    let mut out = Vec::new();
    loop {
        // Answer every complete request in the buffer (pipelining), then write once.
        let mut start = 0;
        let mut close = false;
        while let Some(end) = find_head_end(&buf[start..len]) {
            let head = &buf[start..start + end];
            start += end;
            match parse(head) {
                Some(keep_alive) => {
                    if keep_alive {
                        out.extend_from_slice(RESPONSE);
                    } else {
                        out.extend_from_slice(RESPONSE_CLOSE);
                        close = true;
                        break;
                    }
                }
                None => {
                    out.extend_from_slice(BAD_REQUEST);
                    close = true;
                    break;
                }
            }
        }
        if !out.is_empty() {
            s.write_all(&out)?;
            out.clear();
        }
        if close {
            return Ok(());
        }
        buf.copy_within(start..len, 0);
        len -= start;
        if len == buf.len() {
            if len >= MAX_HEAD {
                s.write_all(BAD_REQUEST)?;
                return Ok(());
            }
            buf.resize(buf.len() * 2, 0);
        }
        let n = s.read(&mut buf[len..])?;
        if n == 0 {
            return Ok(());
        }
        len += n;
    }
}

/// The length of the first request head (through the blank line), if complete.
fn find_head_end(b: &[u8]) -> Option<usize> {
    b.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// Parses a request head (requests with a body are not supported: Content-Length must be
/// absent or 0). Returns whether the connection stays open.
fn parse(head: &[u8]) -> Option<bool> {
    let text = std::str::from_utf8(head).ok()?;
    let mut lines = text.split("\r\n");
    let mut request = lines.next()?.split(' ');
    let (_method, _path, version) = (request.next()?, request.next()?, request.next()?);
    let mut keep_alive = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => return None,
    };
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':')?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("connection") {
            if value.eq_ignore_ascii_case("close") {
                keep_alive = false;
            } else if value.eq_ignore_ascii_case("keep-alive") {
                keep_alive = true;
            }
        } else if (name.eq_ignore_ascii_case("content-length") && value != "0")
            || name.eq_ignore_ascii_case("transfer-encoding")
        {
            return None; // request bodies are not supported
        }
    }
    Some(keep_alive)
}
