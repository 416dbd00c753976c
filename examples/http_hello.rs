//! A minimal HTTP/1.1 "Hello, World!" server with keep-alive: one green thread per
//! connection, pipelining-safe (requests are parsed from a buffer, answered in order, and
//! responses to several pipelined requests go out in one write).
//!
//! ```sh
//! cargo run --release --example http_hello [ADDR]   # default 127.0.0.1:8080
//! wrk -t2 -c100 -d10s http://127.0.0.1:8080/
//! ```
//!
//! `--std-threads` as the second argument serves the same code with `std::net` and one OS
//! thread per connection instead, for comparison.

use std::io::{self, Read, Write};

use greenthread::net::TcpListener;

const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";
const RESPONSE_CLOSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: close\r\n\r\nHello, World!";
const BAD_REQUEST: &[u8] =
    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/// Largest request head accepted.
const MAX_HEAD: usize = 16 * 1024;

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let listener = TcpListener::bind(&addr)?;
    eprintln!(
        "http_hello: listening on http://{}/",
        listener.local_addr()?
    );
    serve(listener);
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
            Err(e) => eprintln!("http_hello: accept: {e}"),
        }
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
