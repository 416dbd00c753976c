//! An echo client: opens connections to the echo example and times round trips.
//!
//! ```sh
//! cargo run --release --example echo_client [ADDR] [CONNECTIONS] [ROUND_TRIPS]
//! ```
//! Defaults: 127.0.0.1:7000, 100 connections, 1,000 round trips of 64 bytes each.

use std::io::{Read, Write};
use std::time::Instant;

use greenthread::net::TcpStream;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:7000".into());
    let conns: usize = args.next().map_or(100, |s| s.parse().expect("CONNECTIONS"));
    let trips: usize = args
        .next()
        .map_or(1000, |s| s.parse().expect("ROUND_TRIPS"));
    let start = Instant::now();
    let handles: Vec<_> = (0..conns)
        .map(|_| {
            let addr = addr.clone();
            greenthread::spawn(move || -> std::io::Result<()> {
                let mut s = TcpStream::connect(addr.as_str())?;
                s.set_nodelay(true)?;
                let msg = [7u8; 64];
                let mut buf = [0u8; 64];
                for _ in 0..trips {
                    s.write_all(&msg)?;
                    s.read_exact(&mut buf)?;
                    assert_eq!(buf, msg, "echo mismatch");
                }
                Ok(())
            })
        })
        .collect();
    for h in handles {
        h.join().expect("client panicked")?;
    }
    let secs = start.elapsed().as_secs_f64();
    let total = (conns * trips) as f64;
    println!(
        "{conns} connections x {trips} round trips: {secs:.3} s, {:.0} round trips/s",
        total / secs
    );
    Ok(())
}
