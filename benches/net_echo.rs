//! TCP echo: green threads (`greenthread::net`) vs thread-per-connection `std::net`, in the
//! same run. 64-byte messages, each connection doing sequential round trips:
//!
//! - `echo_100x1000`: 100 connections x 1,000 round trips;
//! - `echo_1000x100`: 1,000 connections x 100 round trips.
//!
//! Only the round-trip phase is timed (connections are open and their threads started
//! first), so the thread version is not charged for spawning threads. After criterion, a
//! report pass times each configuration again recording every round trip's latency and
//! prints round trips/s, p50, p99 and the green/threads ratios.
//!
//! ```sh
//! cargo bench --bench net_echo
//! ```

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};

const MSG: usize = 64;

/// Round trips on one connection; returns each one's latency in nanoseconds if asked.
fn round_trips(s: &mut (impl Read + Write), n: usize, record: bool) -> Vec<u32> {
    let msg = [7u8; MSG];
    let mut buf = [0u8; MSG];
    let mut lat = Vec::with_capacity(if record { n } else { 0 });
    for _ in 0..n {
        let t = record.then(Instant::now);
        s.write_all(&msg).unwrap();
        s.read_exact(&mut buf).unwrap();
        if let Some(t) = t {
            lat.push(t.elapsed().as_nanos().min(u32::MAX as u128) as u32);
        }
    }
    lat
}

fn echo<S: Read + Write>(mut s: S) {
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if s.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
        }
    }
}

/// The green side: one runtime with 2 workers runs the echo server and the clients.
struct Green {
    rt: greenthread::Runtime,
    addr: SocketAddr,
}

impl Green {
    fn new() -> Green {
        let rt = greenthread::Runtime::builder().workers(2).build().unwrap();
        let listener = rt.block_on(|| greenthread::net::TcpListener::bind("127.0.0.1:0").unwrap());
        let addr = listener.local_addr().unwrap();
        rt.spawn(move || {
            for s in listener.incoming() {
                let s = s.unwrap();
                s.set_nodelay(true).unwrap();
                greenthread::spawn(move || echo(s));
            }
        });
        Green { rt, addr }
    }

    /// Returns the time of the round-trip phase and the latencies.
    fn run(&self, conns: usize, trips: usize, record: bool) -> (Duration, Vec<u32>) {
        let go = Arc::new(AtomicBool::new(false));
        let ready = Arc::new(AtomicUsize::new(0));
        let addr = self.addr;
        let clients: Vec<_> = (0..conns)
            .map(|_| {
                let (go, ready) = (go.clone(), ready.clone());
                self.rt.spawn(move || {
                    let mut s = greenthread::net::TcpStream::connect(addr).unwrap();
                    s.set_nodelay(true).unwrap();
                    ready.fetch_add(1, Ordering::AcqRel);
                    while !go.load(Ordering::Acquire) {
                        greenthread::park();
                    }
                    round_trips(&mut s, trips, record)
                })
            })
            .collect();
        // Let every client connect before the clock starts.
        while ready.load(Ordering::Acquire) < conns {
            std::thread::sleep(Duration::from_micros(200));
        }
        let start = Instant::now();
        go.store(true, Ordering::Release);
        for h in &clients {
            h.thread().unpark();
        }
        let mut lat = Vec::new();
        for h in clients {
            lat.extend(h.join().unwrap());
        }
        (start.elapsed(), lat)
    }
}

/// The thread-per-connection side: std listener, a server thread per connection, a client
/// thread per connection.
struct Threads {
    addr: SocketAddr,
}

impl Threads {
    fn new() -> Threads {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for s in listener.incoming() {
                let s = s.unwrap();
                s.set_nodelay(true).unwrap();
                std::thread::Builder::new()
                    .stack_size(64 * 1024)
                    .spawn(move || echo(s))
                    .unwrap();
            }
        });
        Threads { addr }
    }

    fn run(&self, conns: usize, trips: usize, record: bool) -> (Duration, Vec<u32>) {
        let barrier = Arc::new(std::sync::Barrier::new(conns + 1));
        let addr = self.addr;
        let clients: Vec<_> = (0..conns)
            .map(|_| {
                let barrier = barrier.clone();
                std::thread::Builder::new()
                    .stack_size(64 * 1024)
                    .spawn(move || {
                        let mut s = std::net::TcpStream::connect(addr).unwrap();
                        s.set_nodelay(true).unwrap();
                        barrier.wait();
                        round_trips(&mut s, trips, record)
                    })
                    .unwrap()
            })
            .collect();
        // The clock starts before the release: once released, 1,000 client threads may
        // keep this thread off the CPU for a while before it could read the clock.
        let start = Instant::now();
        barrier.wait();
        let mut lat = Vec::new();
        for h in clients {
            lat.extend(h.join().unwrap());
        }
        (start.elapsed(), lat)
    }
}

const CONFIGS: [(&str, usize, usize); 2] =
    [("echo_100x1000", 100, 1000), ("echo_1000x100", 1000, 100)];

fn bench(c: &mut Criterion, green: &Green, threads: &Threads) {
    for (name, conns, trips) in CONFIGS {
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        group.measurement_time(Duration::from_secs(10));
        group.warm_up_time(Duration::from_secs(1));
        group.bench_function(BenchmarkId::new("green", conns), |b| {
            b.iter_custom(|iters| (0..iters).map(|_| green.run(conns, trips, false).0).sum())
        });
        group.bench_function(BenchmarkId::new("threads", conns), |b| {
            b.iter_custom(|iters| (0..iters).map(|_| threads.run(conns, trips, false).0).sum())
        });
        group.finish();
    }
}

/// CPU time (user + system) this process has used so far.
fn cpu_time() -> Duration {
    // SAFETY: `ru` is a valid out-pointer for getrusage.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

/// The ratio table: three runs each, best throughput, latencies from all runs.
fn report(green: &Green, threads: &Threads) {
    println!("\nnet_echo report (64-byte round trips; ratios green/threads)");
    println!(
        "{:<16} {:>8} {:>14} {:>10} {:>10} {:>12}",
        "config", "side", "round trips/s", "p50 us", "p99 us", "CPU us/trip"
    );
    for (name, conns, trips) in CONFIGS {
        let mut rows = Vec::new();
        for side in ["green", "threads"] {
            let mut best = Duration::MAX;
            let mut lat = Vec::new();
            let cpu0 = cpu_time();
            for _ in 0..3 {
                let (d, l) = if side == "green" {
                    green.run(conns, trips, true)
                } else {
                    threads.run(conns, trips, true)
                };
                best = best.min(d);
                lat.extend(l);
            }
            let cpu = (cpu_time() - cpu0).as_secs_f64() * 1e6 / (3 * conns * trips) as f64;
            lat.sort_unstable();
            let rate = (conns * trips) as f64 / best.as_secs_f64();
            let (p50, p99) = (percentile(&lat, 0.5), percentile(&lat, 0.99));
            println!("{name:<16} {side:>8} {rate:>14.0} {p50:>10.1} {p99:>10.1} {cpu:>12.1}");
            rows.push((rate, p50, p99, cpu));
        }
        println!(
            "{name:<16} {:>8} {:>13.2}x {:>9.2}x {:>9.2}x {:>11.2}x",
            "ratio",
            rows[0].0 / rows[1].0,
            rows[0].1 / rows[1].1,
            rows[0].2 / rows[1].2,
            rows[0].3 / rows[1].3
        );
    }
}

fn main() {
    let green = Green::new();
    let threads = Threads::new();
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &green, &threads);
    c.final_summary();
    report(&green, &threads);
}
