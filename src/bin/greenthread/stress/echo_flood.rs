//! `echo-flood`: an echo server and `--concurrency` clients over loopback.
//!
//! Each round binds a `greenthread::net` echo server on `127.0.0.1:0` (a green thread per
//! connection) and starts the clients, each on its own green thread and connection, each
//! one of three kinds chosen at random:
//! - *normal* (7 in 10): 1 to 8 messages of 1 B to 32 KiB of seeded random bytes, each
//!   written whole and read back whole before the next;
//! - *half-close* (2 in 10): one message, then `shutdown(Write)`, then read to the end;
//! - *reset* (1 in 10): one message, read one byte of its echo and drop the connection with
//!   the rest unread or in flight (the kernel answers with a reset).
//!
//! Invariants:
//! - every byte a normal or half-closing client sent comes back intact and in order, and a
//!   half-closing client then sees the end of the stream;
//! - the server survives resets: every connection's green thread ends, and the round's
//!   clients all got their answers;
//! - no descriptor leak: `/proc/self/fd` counts the same before and after each round
//!   (checked once at the end under `chaos`, where other scenarios open descriptors too).
//!
//! Every read and write has a timeout. Latency: one message's round trip.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use greenthread::net::{TcpListener, TcpStream};
use hdrhistogram::Histogram;
use rand::rngs::SmallRng;
use rand::{Rng, RngCore, SeedableRng};

use super::{Ctx, Outcome, Scenario, latency_histogram};
use crate::limits::{open_fds, open_files_limit};

/// An echo server flooded by clients that finish, half-close or reset.
#[derive(Debug)]
pub struct EchoFlood;

const IO_TIMEOUT: Duration = Duration::from_secs(20);
const MAX_MESSAGE: usize = 32 * 1024;
/// Descriptors left for everything but the clients' connections (under `chaos` too).
const FD_MARGIN: u64 = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Normal,
    HalfClose,
    Reset,
}

/// What a client reports.
#[derive(Default)]
struct Report {
    messages: u64,
    bytes: u64,
}

/// Per-round totals.
#[derive(Default)]
struct Totals {
    clients: [u64; 3],
    messages: u64,
    bytes: u64,
    server_errors: u64,
}

impl Scenario for EchoFlood {
    fn name(&self) -> &'static str {
        "echo-flood"
    }

    fn about(&self) -> &'static str {
        "an echo server and clients over loopback with random sizes, half-closes and resets; \
         every byte echoed intact, the server survives, no fd leak"
    }

    fn default_concurrency(&self) -> u64 {
        200
    }

    fn run(&self, ctx: &Ctx<'_>) -> Result<Outcome, String> {
        let mut rng = SmallRng::seed_from_u64(ctx.seed);
        let mut latency = latency_histogram();
        let mut t = Totals::default();
        let mut rounds = 0;
        // Two descriptors per client (its end and the server's), and room for the rest: past
        // the limit `connect` would fail, which is the system's limit, not a broken invariant.
        let clients = open_files_limit().map_or(ctx.concurrency, |n| {
            ctx.concurrency.min(n.saturating_sub(FD_MARGIN) / 2).max(1)
        });
        let fds_at_start = open_fds();
        while ctx.keep_going(rounds, t.messages) {
            let before = open_fds();
            round(ctx, clients, &mut rng, rounds, &mut latency, &mut t)?;
            let after = open_fds();
            if !ctx.shared && before != after {
                return Err(format!(
                    "descriptor leak: {before:?} open before round {rounds}, {after:?} after"
                ));
            }
            rounds += 1;
        }
        let mut invariants = vec![
            "every byte of normal and half-closing clients came back intact and in order",
            "half-closing clients saw the end of the stream after their echo",
            "the server survived resets: every connection's green thread ended",
        ];
        if !ctx.shared {
            invariants.push(
                "no descriptor leak: /proc/self/fd counts the same before and after each round",
            );
        }
        Ok(Outcome {
            rounds,
            operations: t.messages,
            operation_name: "echoed messages",
            latency_name: "message round trip",
            latency,
            counts: vec![
                ("clients per round", clients),
                ("normal clients", t.clients[0]),
                ("half-closing clients", t.clients[1]),
                ("resetting clients", t.clients[2]),
                ("bytes echoed intact", t.bytes),
                ("server errors (resets)", t.server_errors),
                ("open fds at start", fds_at_start.unwrap_or(0)),
                ("open fds at end", open_fds().unwrap_or(0)),
            ],
            invariants,
        })
    }
}

/// One round: a server, `c` clients, everything joined.
fn round(
    ctx: &Ctx<'_>,
    c: u64,
    rng: &mut SmallRng,
    round: u64,
    latency: &mut Histogram<u64>,
    t: &mut Totals,
) -> Result<(), String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("local_addr: {e}"))?;
    let acceptor = greenthread::spawn(move || -> io::Result<Vec<_>> {
        let mut handlers = Vec::with_capacity(c as usize);
        for _ in 0..c {
            let (s, _) = listener.accept()?;
            handlers.push(greenthread::spawn(move || serve(s)));
        }
        Ok(handlers)
    });
    let connected = Arc::new(AtomicU64::new(0));
    let mut clients = Vec::with_capacity(c as usize);
    for i in 0..c {
        let kind = match rng.random_range(0..10) {
            _ if ctx.inject_fault && i == 0 => Kind::Normal,
            0..7 => Kind::Normal,
            7..9 => Kind::HalfClose,
            _ => Kind::Reset,
        };
        t.clients[kind as usize] += 1;
        let seed = rng.next_u64();
        let fault = ctx.inject_fault && i == 0 && round == 0;
        let yields = ctx.random_yields;
        let connected = connected.clone();
        let h = greenthread::Builder::new()
            .spawn(move || client(i, addr, kind, seed, fault, yields, &connected))
            .map_err(|e| format!("spawning green thread #{i} failed: {e}"))?;
        clients.push(h);
    }
    let mut first_err = None;
    for (i, h) in clients.into_iter().enumerate() {
        match h.join() {
            Ok(Ok((report, hist))) => {
                t.messages += report.messages;
                t.bytes += report.bytes;
                latency.add(&hist).map_err(|e| format!("histogram: {e}"))?;
            }
            Ok(Err(e)) => {
                first_err.get_or_insert(e);
            }
            Err(_) => {
                first_err.get_or_insert(format!("client green thread #{i} panicked"));
            }
        }
    }
    // Clients that never connected would leave the acceptor waiting: stand in for them.
    for _ in connected.load(Ordering::Relaxed)..c {
        let _ = TcpStream::connect(addr);
    }
    let handlers = acceptor
        .join()
        .map_err(|_| "the acceptor panicked".to_string())?
        .map_err(|e| format!("the server's accept failed: {e}"))?;
    for h in handlers {
        match h.join() {
            Ok(Ok(())) => {}
            Ok(Err(_)) => t.server_errors += 1,
            Err(_) => return Err("a server connection's green thread panicked".into()),
        }
    }
    first_err.map_or(Ok(()), Err)
}

/// The server's side of one connection: echo until the end of the stream.
fn serve(mut s: TcpStream) -> io::Result<()> {
    // Without it Nagle's algorithm and delayed acknowledgements stall echoes by 40 ms.
    s.set_nodelay(true)?;
    s.set_read_timeout(Some(IO_TIMEOUT))?;
    s.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut buf = vec![0u8; 8192];
    loop {
        match s.read(&mut buf)? {
            0 => return Ok(()),
            n => s.write_all(&buf[..n])?,
        }
    }
}

/// Client green thread #`id`.
fn client(
    id: u64,
    addr: SocketAddr,
    kind: Kind,
    seed: u64,
    fault: bool,
    random_yields: bool,
    connected: &AtomicU64,
) -> Result<(Report, Histogram<u64>), String> {
    let err =
        |what: &str, e: io::Error| format!("client green thread #{id} ({kind:?}): {what}: {e}");
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut hist = latency_histogram();
    let mut report = Report::default();
    let mut s = TcpStream::connect(addr).map_err(|e| err("connect", e))?;
    connected.fetch_add(1, Ordering::Relaxed);
    s.set_nodelay(true).map_err(|e| err("set_nodelay", e))?;
    s.set_read_timeout(Some(IO_TIMEOUT))
        .map_err(|e| err("set_read_timeout", e))?;
    s.set_write_timeout(Some(IO_TIMEOUT))
        .map_err(|e| err("set_write_timeout", e))?;
    let messages = if kind == Kind::Normal {
        rng.random_range(1..=8)
    } else {
        1
    };
    for m in 0..messages {
        let mut msg = vec![0u8; rng.random_range(1..=MAX_MESSAGE)];
        rng.fill_bytes(&mut msg);
        let start = Instant::now();
        s.write_all(&msg).map_err(|e| err("write", e))?;
        if random_yields && rng.random_range(0..4) == 0 {
            greenthread::yield_now();
        }
        match kind {
            Kind::Reset => {
                let mut one = [0u8; 1];
                s.read_exact(&mut one).map_err(|e| err("read", e))?;
                // Dropping with the echo unread (or still coming) makes the kernel reset.
                drop(s);
                return Ok((report, hist));
            }
            Kind::HalfClose => s
                .shutdown(Shutdown::Write)
                .map_err(|e| err("shutdown", e))?,
            Kind::Normal => {}
        }
        let mut back = vec![0u8; msg.len()];
        s.read_exact(&mut back).map_err(|e| err("read", e))?;
        hist.saturating_record((start.elapsed().as_nanos() as u64).max(1));
        if fault {
            msg[0] ^= 1;
        }
        if let Some(at) = msg.iter().zip(&back).position(|(a, b)| a != b) {
            return Err(format!(
                "client green thread #{id}: message {m} of {} B: the echo differs at byte {at}",
                msg.len()
            ));
        }
        report.messages += 1;
        report.bytes += msg.len() as u64;
    }
    if kind == Kind::HalfClose {
        let mut extra = [0u8; 1];
        match s.read(&mut extra) {
            Ok(0) => {}
            Ok(_) => return Err(format!("client green thread #{id}: bytes after the echo")),
            Err(e) => return Err(err("read to the end", e)),
        }
    }
    Ok((report, hist))
}
