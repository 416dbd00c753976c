//! An accept loop out of descriptors pauses instead of spinning: the `http_hello` example
//! (both modes) under a low `RLIMIT_NOFILE`, flooded with more clients than it has
//! descriptors, logs a line or so a second and uses next to no CPU while the limit is hit,
//! keeps serving the connections it has, and serves new clients once the flood leaves.
//!
//! Regression: the loop retried `accept` at once after `EMFILE`, printing the error hundreds
//! of thousands of times a second on a spinning core.
//!
//! The server runs in a child process (it lowers its own descriptor limit); this process
//! holds the clients, so that they cost the server nothing but its side of each connection.

mod support;

#[allow(dead_code)]
#[path = "../examples/http_hello.rs"]
mod http_hello;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use support::{KillOnDrop, cpu_time_of, eventually, is_child, open_fds, set_nofile, spawn_child};

const HELLO: &str =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";

/// Descriptors the server may open beyond those it has when it starts serving.
const HEADROOM: u64 = 16;
/// Clients that connect and are served before the flood (kept open, keep-alive).
const EARLY: usize = 4;
/// Clients of the flood: more than the headroom, so most of them wait in the accept queue.
const FLOOD: usize = 64;
/// How long the rates are measured while the limit is hit.
const WINDOW: Duration = Duration::from_secs(3);

/// The child's part: serve under the lowered limit until killed (bounded, in case the
/// parent dies first).
fn child_serves(std_threads: bool) {
    let mut args = vec!["127.0.0.1:0".to_string()];
    if std_threads {
        args.push("--std-threads".into());
    }
    let server = http_hello::Server::bind(args).unwrap();
    if !std_threads {
        // Start the runtime (its poller and wake-up descriptors) before the limit counts.
        greenthread::spawn(|| ()).join().unwrap();
    }
    set_nofile(open_fds() as u64 + HEADROOM);
    println!("listening {}", server.local_addr().unwrap());
    support::within(120, move || server.run());
}

/// One request on `s`, and its answer.
fn request(s: &mut TcpStream) -> String {
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut buf = vec![0; HELLO.len()];
    s.read_exact(&mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// A GET from a fresh client: curl if installed, else a std socket.
fn fresh_get(addr: SocketAddr) -> String {
    let url = format!("http://{addr}/");
    match Command::new("curl")
        .args(["-sS", "--max-time", "10", &url])
        .output()
    {
        Ok(out) => {
            assert!(out.status.success(), "curl: {out:?}");
            String::from_utf8(out.stdout).unwrap()
        }
        Err(_) => {
            let full = request(&mut connect(addr));
            full[full.len() - "Hello, World!".len()..].to_string()
        }
    }
}

fn pauses_when_out_of_descriptors(test: &str, std_threads: bool) {
    let child = spawn_child(test, &[]);
    let mut child = KillOnDrop(child);
    let pid = child.0.id().to_string();
    // The address, from the child's stdout.
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            // After the harness's "test NAME ... " on the same line.
            if let Some((_, a)) = line.split_once("listening ") {
                let _ = tx.send(a.trim().parse::<SocketAddr>().unwrap());
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the server never said where it listens");
    // Every line of its stderr, as it comes.
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let stderr = child.0.stderr.take().unwrap();
    let l = log.clone();
    std::thread::spawn(move || {
        let mut r = BufReader::new(stderr);
        let mut line = Vec::new();
        while r.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
            l.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&line).into_owned());
            line.clear();
        }
    });
    let accept_errors = || {
        let log = log.lock().unwrap();
        log.iter().filter(|l| l.contains("accept:")).count()
    };

    // A few clients served before the limit is hit, kept open.
    let mut early: Vec<TcpStream> = (0..EARLY).map(|_| connect(addr)).collect();
    for s in &mut early {
        assert_eq!(request(s), HELLO);
    }
    // The flood: the server accepts until its descriptors run out; the rest stay queued.
    let mut flood: Vec<TcpStream> = (0..FLOOD).map(|_| connect(addr)).collect();
    for s in &mut flood {
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    }
    eventually("the server runs out of descriptors", || accept_errors() > 0);
    {
        let log = log.lock().unwrap();
        let first = log.iter().find(|l| l.contains("accept:")).unwrap();
        assert!(first.contains("Too many open files"), "{first}");
    }

    // Measured over a window while the limit is hit (the sleep is the measurement, not a
    // synchronisation): log lines and CPU time of the server.
    let (lines0, cpu0, t0) = (accept_errors(), cpu_time_of(&pid), Instant::now());
    std::thread::sleep(WINDOW);
    let (lines1, cpu1, elapsed) = (accept_errors(), cpu_time_of(&pid), t0.elapsed());
    let lines_per_sec = (lines1 - lines0) as f64 / elapsed.as_secs_f64();
    let cpu_percent = 100.0 * (cpu1 - cpu0).as_secs_f64() / elapsed.as_secs_f64();
    eprintln!(
        "out of descriptors ({}): {lines_per_sec:.1} log lines/s, {cpu_percent:.1}% CPU",
        if std_threads { "std threads" } else { "green" }
    );
    assert!(
        lines_per_sec <= 3.0,
        "{} accept errors logged in {elapsed:?}: {lines_per_sec:.0} a second",
        lines1 - lines0
    );
    assert!(
        cpu_percent <= 5.0,
        "the server used {:?} of CPU in {elapsed:?} ({cpu_percent:.1}%) while out of descriptors",
        cpu1 - cpu0
    );
    // The connections it has are still served.
    assert_eq!(request(&mut early[0]), HELLO);

    // The clients leave; a new one is served (after at most one more pause).
    drop(flood);
    drop(early);
    assert_eq!(fresh_get(addr), "Hello, World!");
}

#[test]
fn http_hello_pauses_when_out_of_descriptors_then_serves_again() {
    const NAME: &str = "http_hello_pauses_when_out_of_descriptors_then_serves_again";
    if is_child(NAME) {
        return child_serves(false);
    }
    support::within(90, || pauses_when_out_of_descriptors(NAME, false));
}

#[test]
fn http_hello_std_threads_pauses_when_out_of_descriptors_then_serves_again() {
    const NAME: &str = "http_hello_std_threads_pauses_when_out_of_descriptors_then_serves_again";
    if is_child(NAME) {
        return child_serves(true);
    }
    support::within(90, || pauses_when_out_of_descriptors(NAME, true));
}
