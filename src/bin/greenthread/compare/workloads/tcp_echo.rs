//! TCP echo over loopback: C client threads, each with its own connection to an echo server
//! that serves every connection on its own thread, send a 64-byte message and read the echo,
//! M times each. Green threads use `greenthread::net` (a green thread per connection on
//! either end); OS threads use `std::net` with a thread per connection (2 C OS threads, so
//! C is capped by `os_threads() / 2`). Time is wall time over all echoed messages.

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::compare::workload::{Ctx, Measured, SideResult, Sizes, Unit, Workload};
use crate::units::count;

/// Many loopback connections echoing small messages.
#[derive(Debug)]
pub struct TcpEcho;

/// Echoed messages at scale 1.
const BASE: u64 = 100_000;
/// The most connections, whatever `--threads` says (each takes two descriptors).
const MAX_CONNECTIONS: u64 = 1_000;
const MESSAGE: usize = 64;
/// Bounds every read and write, so a lost message is an error and not a hang.
const IO_TIMEOUT: Duration = Duration::from_secs(20);

/// Connections and messages per connection on the green side.
fn shape(sizes: &Sizes) -> (u64, u64) {
    let fds =
        crate::limits::open_files_limit().map_or(MAX_CONNECTIONS, |n| n.saturating_sub(200) / 2);
    let c = sizes.threads.min(MAX_CONNECTIONS).min(fds).max(1);
    let m = (sizes.iterations(BASE) / c).max(1);
    (c, m)
}

impl Workload for TcpEcho {
    fn id(&self) -> &'static str {
        "tcp-echo"
    }

    fn title(&self, sizes: &Sizes) -> String {
        let (c, m) = shape(sizes);
        format!(
            "TCP echo, loopback ({} connections × {} messages of {MESSAGE} B)",
            count(c),
            count(m)
        )
    }

    fn unit(&self) -> Unit {
        Unit::NanosPer("echoed message")
    }

    fn run_green(&self, ctx: &Ctx<'_>) -> SideResult {
        use greenthread::net::{TcpListener, TcpStream};
        let (c, m) = shape(ctx.sizes);
        ctx.rt.block_on(|| {
            let listener = TcpListener::bind("127.0.0.1:0").map_err(io_note("bind"))?;
            let addr = listener.local_addr().map_err(io_note("local_addr"))?;
            let acceptor = greenthread::spawn(move || -> io::Result<Vec<_>> {
                let mut handlers = Vec::new();
                for _ in 0..c {
                    let (s, _) = listener.accept()?;
                    handlers.push(greenthread::spawn(move || echo(s)));
                }
                Ok(handlers)
            });
            let connected = Arc::new(AtomicU64::new(0));
            let start = Instant::now();
            let clients: Vec<_> = (0..c)
                .map(|_| {
                    let connected = connected.clone();
                    greenthread::spawn(move || {
                        let s = TcpStream::connect(addr)?;
                        connected.fetch_add(1, Ordering::Relaxed);
                        client(s, m)
                    })
                })
                .collect();
            let mut first_err = None;
            for h in clients {
                let r = h
                    .join()
                    .unwrap_or_else(|_| Err(io::Error::other("panicked")));
                if let Err(e) = r {
                    first_err.get_or_insert(e);
                }
            }
            let elapsed = start.elapsed();
            // Connections that never came would leave the acceptor waiting: stand in for them.
            for _ in connected.load(Ordering::Relaxed)..c {
                let _ = TcpStream::connect(addr);
            }
            let handlers = acceptor
                .join()
                .map_err(|_| "the acceptor panicked".to_string())?
                .map_err(io_note("accept"))?;
            for h in handlers {
                let _ = h.join();
            }
            if let Some(e) = first_err {
                return Err(format!("a green client failed: {e}"));
            }
            Ok(per(elapsed, c, m))
        })
    }

    fn run_os(&self, ctx: &Ctx<'_>) -> SideResult {
        use std::net::{TcpListener, TcpStream};
        let (c, _) = shape(ctx.sizes);
        let c = c.min((ctx.sizes.os_threads() / 2).max(1));
        let m = (ctx.sizes.iterations(BASE) / c).max(1);
        let listener = TcpListener::bind("127.0.0.1:0").map_err(io_note("bind"))?;
        let addr = listener.local_addr().map_err(io_note("local_addr"))?;
        let spawn = |f: Box<dyn FnOnce() -> io::Result<()> + Send>| {
            std::thread::Builder::new().stack_size(64 * 1024).spawn(f)
        };
        let acceptor = std::thread::Builder::new()
            .spawn(move || -> io::Result<Vec<_>> {
                let mut handlers = Vec::new();
                for _ in 0..c {
                    let (s, _) = listener.accept()?;
                    handlers.push(spawn(Box::new(move || echo(s)))?);
                }
                Ok(handlers)
            })
            .map_err(|e| format!("the OS refused a thread: {e}"))?;
        let connected = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let mut clients = Vec::new();
        let mut first_err = None;
        for _ in 0..c {
            let connected = connected.clone();
            match spawn(Box::new(move || {
                let s = TcpStream::connect(addr)?;
                connected.fetch_add(1, Ordering::Relaxed);
                client(s, m)
            })) {
                Ok(h) => clients.push(h),
                Err(e) => {
                    first_err = Some(io::Error::other(format!("the OS refused a thread: {e}")));
                    break;
                }
            }
        }
        for h in clients {
            let r = h
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("panicked")));
            if let Err(e) = r {
                first_err.get_or_insert(e);
            }
        }
        let elapsed = start.elapsed();
        for _ in connected.load(Ordering::Relaxed)..c {
            let _ = TcpStream::connect(addr);
        }
        let handlers = acceptor
            .join()
            .map_err(|_| "the acceptor panicked".to_string())?
            .map_err(io_note("accept"))?;
        for h in handlers {
            let _ = h.join();
        }
        if let Some(e) = first_err {
            return Err(format!("an OS client failed: {e}"));
        }
        Ok(per(elapsed, c, m))
    }
}

/// What both sides' streams can do.
trait Stream: Read + Write {
    fn set_timeouts(&self, t: Duration) -> io::Result<()>;
    fn set_nodelay(&self) -> io::Result<()>;
}

impl Stream for greenthread::net::TcpStream {
    fn set_timeouts(&self, t: Duration) -> io::Result<()> {
        self.set_read_timeout(Some(t))?;
        self.set_write_timeout(Some(t))
    }
    fn set_nodelay(&self) -> io::Result<()> {
        greenthread::net::TcpStream::set_nodelay(self, true)
    }
}

impl Stream for std::net::TcpStream {
    fn set_timeouts(&self, t: Duration) -> io::Result<()> {
        self.set_read_timeout(Some(t))?;
        self.set_write_timeout(Some(t))
    }
    fn set_nodelay(&self) -> io::Result<()> {
        std::net::TcpStream::set_nodelay(self, true)
    }
}

/// Echoes until the peer closes.
fn echo<S: Stream>(mut s: S) -> io::Result<()> {
    s.set_nodelay()?;
    s.set_timeouts(IO_TIMEOUT)?;
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf)? {
            0 => return Ok(()),
            n => s.write_all(&buf[..n])?,
        }
    }
}

/// Sends `m` messages and checks each echo.
fn client<S: Stream>(mut s: S, m: u64) -> io::Result<()> {
    s.set_nodelay()?;
    s.set_timeouts(IO_TIMEOUT)?;
    let mut msg = [0u8; MESSAGE];
    let mut back = [0u8; MESSAGE];
    for i in 0..m {
        msg[..8].copy_from_slice(&i.to_le_bytes());
        s.write_all(&msg)?;
        s.read_exact(&mut back)?;
        if back != msg {
            return Err(io::Error::other("the echo differs from the message"));
        }
    }
    Ok(())
}

fn io_note(what: &'static str) -> impl Fn(io::Error) -> String {
    move |e| format!("{what}: {e}")
}

/// Time per message; the size is the connections (threads per side), so a capped OS side
/// shows in the table's note.
fn per(elapsed: Duration, connections: u64, messages_each: u64) -> Measured {
    Measured {
        value: elapsed.as_nanos() as f64 / (connections * messages_each) as f64,
        size: connections,
    }
}
