//! An echo client: opens connections to the echo example and times round trips.
//!
//! ```sh
//! cargo run --release --example echo_client [ADDR] [CONNECTIONS] [ROUND_TRIPS]
//! ```
//! Defaults: 127.0.0.1:7000, 100 connections, 1,000 round trips of 64 bytes each.

use std::io::{self, Read, Write};
use std::time::Instant;

use greenthread::net::TcpStream;

fn main() {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:7000".into());
    let conns = number(args.next(), "CONNECTIONS", 100);
    let trips = number(args.next(), "ROUND_TRIPS", 1000);
    let start = Instant::now();
    if let Err(e) = run(&addr, conns, trips) {
        eprintln!("echo_client: {addr}: {e}");
        std::process::exit(1);
    }
    let secs = start.elapsed().as_secs_f64();
    let total = (conns * trips) as f64;
    println!(
        "{conns} connections x {trips} round trips: {secs:.3} s, {:.0} round trips/s",
        total / secs
    );
}

/// Parses a positional count, or exits with a usage message.
fn number(arg: Option<String>, name: &str, default: usize) -> usize {
    match arg.map(|s| s.parse::<usize>()) {
        None => default,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("echo_client: {name} must be a positive number");
            eprintln!("usage: echo_client [ADDR] [CONNECTIONS] [ROUND_TRIPS]");
            std::process::exit(2);
        }
    }
}

/// `conns` green threads, each doing `trips` round trips of 64 bytes; every echo is checked.
pub fn run(addr: &str, conns: usize, trips: usize) -> io::Result<()> {
    let handles: Vec<_> = (0..conns)
        .map(|c| {
            let addr = addr.to_owned();
            greenthread::spawn(move || -> io::Result<()> {
                let mut s = TcpStream::connect(addr.as_str())?;
                s.set_nodelay(true)?;
                let mut buf = [0u8; 64];
                for t in 0..trips {
                    let msg = [(c + t) as u8; 64];
                    s.write_all(&msg)?;
                    s.read_exact(&mut buf)?;
                    if buf != msg {
                        return Err(io::Error::other("echo mismatch"));
                    }
                }
                Ok(())
            })
        })
        .collect();
    for h in handles {
        h.join()
            .map_err(|_| io::Error::other("a client green thread panicked"))??;
    }
    Ok(())
}
