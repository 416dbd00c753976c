//! 10,000 concurrent connections on a 2-worker runtime, with the descriptor limit raised to
//! the hard limit (20,000 here). The clients run in a child process (this test binary
//! re-executed), so each side needs only 10,000 descriptors. Also reports the memory held
//! per idle connection (RSS growth of the server process while 10,000 green threads are
//! parked in `read`; socket buffers are kernel memory and not in RSS).

mod support;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use greenthread::net::{TcpListener, TcpStream};
use support::{open_fds, raise_nofile, within};

const CONNS: usize = 10_000;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The client side, in the child process: connect all, wait for "go" on stdin, one round
/// trip each, close.
fn client(addr: &str) {
    let rt = greenthread::Runtime::builder().workers(2).build().unwrap();
    let addr: std::net::SocketAddr = addr.parse().unwrap();
    let conns: Vec<TcpStream> = rt.block_on(|| {
        let hs: Vec<_> = (0..CONNS)
            .map(|_| greenthread::spawn(move || TcpStream::connect(addr).unwrap()))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    println!("connected");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    let hs: Vec<_> = conns
        .into_iter()
        .enumerate()
        .map(|(i, mut c)| {
            rt.spawn(move || {
                let msg = (i as u64).to_le_bytes();
                c.write_all(&msg).unwrap();
                let mut back = [0; 8];
                c.read_exact(&mut back).unwrap();
                assert_eq!(back, msg);
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    println!("done");
}

#[test]
fn ten_thousand_concurrent_connections() {
    if let Ok(addr) = std::env::var("GT_NET_MANY_CLIENT") {
        raise_nofile();
        client(&addr);
        return;
    }
    let limit = raise_nofile();
    if limit < (CONNS + 200) as u64 {
        eprintln!(
            "descriptor hard limit {limit} is below {}: skipping",
            CONNS + 200
        );
        return;
    }
    within(120, || {
        let rt = greenthread::Runtime::builder().workers(2).build().unwrap();
        let listener = rt.block_on(|| TcpListener::bind("127.0.0.1:0").unwrap());
        let addr = listener.local_addr().unwrap();
        let fds_before = open_fds();
        let rss_before = rss_kib();
        let accepted = Arc::new(AtomicUsize::new(0));
        let finished = Arc::new(AtomicUsize::new(0));
        let (a, f) = (accepted.clone(), finished.clone());
        let server = rt.spawn(move || {
            for _ in 0..CONNS {
                let (mut s, _) = listener.accept().unwrap();
                a.fetch_add(1, Ordering::SeqCst);
                let f = f.clone();
                greenthread::spawn(move || {
                    let mut buf = [0; 64];
                    while let Ok(n @ 1..) = s.read(&mut buf) {
                        s.write_all(&buf[..n]).unwrap();
                    }
                    f.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "ten_thousand_concurrent_connections",
                "--nocapture",
            ])
            .env("GT_NET_MANY_CLIENT", addr.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while !line.contains("connected") {
            line.clear();
            assert!(
                std::io::BufRead::read_line(&mut out, &mut line).unwrap() > 0,
                "client exited early"
            );
        }
        server.join().unwrap();
        assert_eq!(accepted.load(Ordering::SeqCst), CONNS);
        // All 10,000 are open at once, each with a green thread parked in read.
        let rss_idle = rss_kib();
        assert!(open_fds() >= fds_before + CONNS);
        let per_conn = (rss_idle.saturating_sub(rss_before) * 1024) / CONNS as u64;
        eprintln!(
            "RSS: {rss_before} KiB before, {rss_idle} KiB with {CONNS} idle connections: \
             {per_conn} bytes per connection (green thread + socket, excluding kernel buffers)"
        );
        child.stdin.take().unwrap().write_all(b"go\n").unwrap();
        let status = child.wait().unwrap();
        assert!(status.success());
        // Every server green thread saw its client close.
        for _ in 0..1000 {
            if finished.load(Ordering::SeqCst) == CONNS {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(finished.load(Ordering::SeqCst), CONNS);
        assert!(open_fds() <= fds_before, "descriptors leaked");
    });
}
