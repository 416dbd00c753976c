//! The fast path, counted with `strace`: a read whose data is already there is exactly one
//! syscall (`recvfrom`), and a read that has to wait costs no `epoll_ctl` (the socket is
//! registered once, edge-triggered). Skips with a message if `strace` cannot run.
//!
//! The test re-executes its own binary under `strace -f`; the child does the I/O and prints
//! the descriptors to look at.

mod support;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::process::Command;

use greenthread::net::{TcpListener, TcpStream};

const READS: usize = 1000;
const ROUND_TRIPS: usize = 500;

fn child() {
    let rt = greenthread::Runtime::builder().workers(2).build().unwrap();
    rt.block_on(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();

        // Fast path: all the data is queued before the first read.
        let mut a = TcpStream::connect(addr).unwrap();
        let (b, _) = listener.accept().unwrap();
        a.write_all(&vec![7u8; 64 * READS]).unwrap();
        let mut buf = [0u8; 64];
        for _ in 0..READS {
            assert_eq!((&b).read(&mut buf).unwrap(), 64);
        }

        // Slow path: ping-pong, so most reads find nothing and park.
        let mut c = TcpStream::connect(addr).unwrap();
        let (mut d, _) = listener.accept().unwrap();
        let (cfd, dfd) = (c.as_raw_fd(), d.as_raw_fd());
        let echo = greenthread::spawn(move || {
            let mut buf = [0u8; 64];
            for _ in 0..ROUND_TRIPS {
                d.read_exact(&mut buf).unwrap();
                d.write_all(&buf).unwrap();
            }
        });
        for _ in 0..ROUND_TRIPS {
            c.write_all(&buf).unwrap();
            c.read_exact(&mut buf).unwrap();
        }
        echo.join().unwrap();
        println!("FDS fast={} slow={},{}", b.as_raw_fd(), cfd, dfd);
    });
}

/// `(syscall, fd, op, result)` of each call in an `strace -f` log, joining the
/// `<unfinished ...>` / `<... resumed>` halves that interleaving threads produce.
fn parse(trace: &str) -> Vec<(String, i32, String, String)> {
    let mut pending: HashMap<String, (String, i32, String)> = HashMap::new();
    let mut calls = Vec::new();
    for line in trace.lines() {
        let Some((pid, rest)) = line.split_once(' ') else {
            continue;
        };
        let rest = rest.trim_start();
        if rest.starts_with("<...") {
            if let Some((name, fd, op)) = pending.remove(pid) {
                let result = rest.rsplit_once("= ").map_or("", |r| r.1).to_string();
                calls.push((name, fd, op, result));
            }
            continue;
        }
        let Some((name, args)) = rest.split_once('(') else {
            continue;
        };
        let mut parts = args.split(", ");
        let Some(first) = parts.next() else { continue };
        let (fd, op) = if name == "epoll_ctl" {
            let op = parts.next().unwrap_or("").to_string();
            let fd = parts.next().and_then(|f| f.parse().ok());
            (fd, op)
        } else {
            (first.parse().ok(), String::new())
        };
        let Some(fd) = fd else { continue };
        if rest.contains("<unfinished ...>") {
            pending.insert(pid.to_string(), (name.to_string(), fd, op));
        } else {
            let result = rest.rsplit_once("= ").map_or("", |r| r.1).to_string();
            calls.push((name.to_string(), fd, op, result));
        }
    }
    calls
}

#[test]
fn fast_path_is_one_syscall_and_waits_need_no_epoll_ctl() {
    if std::env::var("GT_NET_SYSCALLS_CHILD").is_ok() {
        child();
        return;
    }
    let out_file = std::env::temp_dir().join(format!("gt-strace-{}.txt", std::process::id()));
    let run = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=recvfrom,epoll_ctl", "-o"])
        .arg(&out_file)
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "fast_path_is_one_syscall_and_waits_need_no_epoll_ctl",
            "--nocapture",
        ])
        .env("GT_NET_SYSCALLS_CHILD", "1")
        .output();
    let out = match run {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            eprintln!(
                "strace did not run ({:?}): skipping\n{}",
                o.status,
                String::from_utf8_lossy(&o.stderr)
            );
            return;
        }
        Err(e) => {
            eprintln!("strace not available ({e}): skipping");
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let fds = stdout
        .lines()
        .find_map(|l| l.strip_prefix("FDS "))
        .expect("child printed its descriptors");
    let mut it = fds.split(' ');
    let fast: i32 = it
        .next()
        .unwrap()
        .strip_prefix("fast=")
        .unwrap()
        .parse()
        .unwrap();
    let slow: Vec<i32> = it
        .next()
        .unwrap()
        .strip_prefix("slow=")
        .unwrap()
        .split(',')
        .map(|s| s.parse().unwrap())
        .collect();
    let trace = std::fs::read_to_string(&out_file).unwrap();
    let _ = std::fs::remove_file(&out_file);
    let mut counts: HashMap<(String, i32, String), usize> = HashMap::new();
    let mut fast_reads = 0;
    let mut fast_eagain = 0;
    for (name, fd, op, result) in parse(&trace) {
        if name == "recvfrom" && fd == fast {
            fast_reads += 1;
            if result.contains("EAGAIN") {
                fast_eagain += 1;
            }
        }
        *counts.entry((name, fd, op)).or_default() += 1;
    }
    eprintln!("fast-path descriptor {fast}: {fast_reads} recvfrom for {READS} reads");
    assert_eq!(fast_eagain, 0, "a read with data ready returned EAGAIN");
    assert_eq!(
        fast_reads, READS,
        "each ready read must be exactly one syscall"
    );
    for fd in slow {
        let ctl = |op: &str| {
            counts
                .get(&("epoll_ctl".to_string(), fd, op.to_string()))
                .copied()
                .unwrap_or(0)
        };
        let reads = counts
            .get(&("recvfrom".to_string(), fd, String::new()))
            .copied()
            .unwrap_or(0);
        eprintln!(
            "ping-pong descriptor {fd}: {reads} recvfrom, epoll_ctl ADD {} MOD {} DEL {}",
            ctl("EPOLL_CTL_ADD"),
            ctl("EPOLL_CTL_MOD"),
            ctl("EPOLL_CTL_DEL")
        );
        assert_eq!(ctl("EPOLL_CTL_ADD"), 1, "registered once");
        assert_eq!(ctl("EPOLL_CTL_MOD"), 0, "no epoll_ctl per wait");
        assert!(reads >= ROUND_TRIPS);
    }
}
