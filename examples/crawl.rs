//! A crawler: many blocking-style HTTP clients, one green thread each, crawl a small site
//! served by the same process, with a timeout per request.
//!
//! ```sh
//! cargo run --release --example crawl [PAGES] [CLIENTS]   # default 2000 pages, 200 clients
//! ```
//!
//! The site has pages `/0` to `/PAGES-1`; each links to a few others, and one in
//! [`SLOW_EVERY`] answers only after [`SLOW_DELAY`], longer than the request timeout
//! ([`TIMEOUT`]), so some requests time out on purpose. A coordinator (the calling thread)
//! hands URLs to the clients over a channel, collects the links they find, queues the ones
//! not seen yet, and stops when nothing is queued or being fetched. Every client's code is
//! plain sequential I/O: connect, write the request, read the response, each bounded by what
//! is left of the request's deadline.

use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use greenthread::channel::{bounded, unbounded};
use greenthread::net::{TcpListener, TcpStream};

/// Timeout of one request, from connect to the last byte.
pub const TIMEOUT: Duration = Duration::from_millis(300);
/// Every this many pages, one is slow.
pub const SLOW_EVERY: u64 = 50;
/// How long a slow page takes (longer than [`TIMEOUT`]).
pub const SLOW_DELAY: Duration = Duration::from_secs(2);
/// Links per page.
const LINKS: u64 = 4;

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let pages = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let clients = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let s = crawl(pages, clients)?;
    println!(
        "crawl: {} pages with {} concurrent clients in {:.2?}",
        s.pages, clients, s.elapsed
    );
    println!(
        "  fetched {} ({} bytes), timed out {} (slow pages, {TIMEOUT:?} per request), failed {}",
        s.fetched, s.bytes, s.timed_out, s.failed
    );
    println!(
        "  request time: median {:.2?}, slowest completed {:.2?}",
        s.median, s.slowest
    );
    Ok(())
}

/// The crawl's summary.
#[derive(Debug)]
pub struct Summary {
    /// Pages on the site.
    pub pages: u64,
    /// Pages fetched completely.
    pub fetched: u64,
    /// Requests that hit [`TIMEOUT`].
    pub timed_out: u64,
    /// Requests that failed otherwise.
    pub failed: u64,
    /// Body bytes fetched.
    pub bytes: u64,
    /// Median time of a completed request.
    pub median: Duration,
    /// Slowest completed request.
    pub slowest: Duration,
    /// Wall time of the crawl.
    pub elapsed: Duration,
}

/// The links of page `p`: the next two pages and a few further on. Two slow pages are never
/// adjacent, so every page is linked from a fast one and the crawl reaches all from `/0`.
pub fn links(p: u64, pages: u64) -> Vec<u64> {
    let next = [p + 1, p + 2].into_iter();
    next.chain((1..=LINKS).map(|k| p * LINKS + k))
        .map(|l| l % pages)
        .collect()
}

/// Whether page `p` answers slowly.
pub fn is_slow(p: u64) -> bool {
    p % SLOW_EVERY == SLOW_EVERY - 1
}

/// Serves the site on `listener`, one green thread per connection, forever.
pub fn serve(listener: TcpListener, pages: u64) {
    for s in listener.incoming() {
        match s {
            Ok(s) => {
                greenthread::spawn(move || {
                    let _ = page(s, pages);
                });
            }
            Err(e) => accept_failed(&e),
        }
    }
}

/// After a failed accept: log and pause where retrying at once would fail the same way
/// (`EMFILE` and friends: the connection stays queued until a descriptor frees), else go on.
fn accept_failed(e: &std::io::Error) {
    if let Some(pause) = greenthread::net::accept_backoff(e) {
        eprintln!("crawl: accept: {e} (pausing {pause:?})");
        greenthread::sleep(pause);
    }
}

/// Answers one request (`Connection: close`).
fn page(s: TcpStream, pages: u64) -> io::Result<()> {
    let mut r = BufReader::new(s);
    let mut request = String::new();
    r.read_line(&mut request)?;
    let path = request.split_whitespace().nth(1).unwrap_or("/");
    let mut line = String::new();
    while r.read_line(&mut line)? > 2 {
        line.clear();
    }
    let mut s = r.into_inner();
    let Some(p) = path
        .strip_prefix('/')
        .and_then(|p| p.parse::<u64>().ok())
        .filter(|&p| p < pages)
    else {
        return s.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
    };
    if is_slow(p) {
        greenthread::sleep(SLOW_DELAY);
    }
    let mut body = format!("<html><body><h1>page {p}</h1>\n");
    for l in links(p, pages) {
        body.push_str(&format!("<a href=\"/{l}\">page {l}</a>\n"));
    }
    body.push_str("</body></html>\n");
    write!(
        s,
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// One blocking-style GET with a deadline: the body, or an error (`TimedOut` at the deadline).
pub fn get(addr: SocketAddr, path: &str, timeout: Duration) -> io::Result<String> {
    let deadline = Instant::now() + timeout;
    let left = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| io::Error::new(io::ErrorKind::TimedOut, "request timed out"))
    };
    let mut s = TcpStream::connect_timeout(&addr, left()?)?;
    s.set_write_timeout(Some(left()?))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        s.set_read_timeout(Some(left()?))?;
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => response.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "request timed out"));
            }
            Err(e) => return Err(e),
        }
    }
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| io::Error::other("no end of headers"))?;
    if !head.starts_with("HTTP/1.1 200") {
        return Err(io::Error::other(format!(
            "status {}",
            head.lines().next().unwrap_or("")
        )));
    }
    Ok(body.to_string())
}

/// Starts the site on a free loopback port and crawls it from `/0` with `clients` clients.
pub fn crawl(pages: u64, clients: u64) -> io::Result<Summary> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    greenthread::spawn(move || serve(listener, pages));

    let start = Instant::now();
    let (to_clients, urls) = bounded::<u64>(clients as usize);
    let (to_coordinator, results) = unbounded::<(u64, io::Result<String>, Duration)>();
    let pool: Vec<_> = (0..clients)
        .map(|_| {
            let (urls, out) = (urls.clone(), to_coordinator.clone());
            greenthread::spawn(move || {
                for p in urls.iter() {
                    let t = Instant::now();
                    let r = get(addr, &format!("/{p}"), TIMEOUT);
                    if out.send((p, r, t.elapsed())).is_err() {
                        break;
                    }
                }
            })
        })
        .collect();
    drop((urls, to_coordinator));

    let mut seen = vec![false; pages as usize];
    let mut queue = VecDeque::from([0u64]);
    seen[0] = true;
    let (mut in_flight, mut fetched, mut timed_out, mut failed, mut bytes) = (0u64, 0, 0, 0, 0);
    let mut times = Vec::new();
    while !queue.is_empty() || in_flight > 0 {
        // Hand out what is queued while the clients take it, then wait for a result.
        while let Some(&p) = queue.front() {
            if to_clients.try_send(p).is_err() {
                break;
            }
            queue.pop_front();
            in_flight += 1;
        }
        let (p, r, took) = results.recv().expect("the clients are there until the end");
        in_flight -= 1;
        match r {
            Ok(body) => {
                fetched += 1;
                bytes += body.len() as u64;
                times.push(took);
                for link in body.split("href=\"/").skip(1) {
                    let Some(l) = link.split('"').next().and_then(|l| l.parse::<u64>().ok()) else {
                        continue;
                    };
                    if l < pages && !std::mem::replace(&mut seen[l as usize], true) {
                        queue.push_back(l);
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::TimedOut => timed_out += 1,
            Err(e) => {
                eprintln!("crawl: /{p}: {e}");
                failed += 1;
            }
        }
    }
    drop(to_clients);
    for c in pool {
        let _ = c.join();
    }
    times.sort();
    Ok(Summary {
        pages,
        fetched,
        timed_out,
        failed,
        bytes,
        median: times.get(times.len() / 2).copied().unwrap_or_default(),
        slowest: times.last().copied().unwrap_or_default(),
        elapsed: start.elapsed(),
    })
}
