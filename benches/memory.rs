//! Memory per parked thread, and the time to spawn a million: green threads vs OS threads.
//!
//! Not a criterion bench: each measurement runs in a fresh child process and reads its RSS
//! from /proc, so earlier measurements cannot blur later ones.
//!
//! `cargo bench --bench memory` (add `-- --quick` to skip the million).

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    statm
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<usize>()
        .unwrap()
        * 4096
}

/// Parks `n` green threads; prints bytes of RSS per parked green thread and spawn time.
fn green(n: usize) {
    // They park until this thread lets them go: not a deadlock to report (and the check's
    // walk over the green threads would show in the RSS measured).
    let rt = greenthread::Runtime::builder()
        .deadlock(greenthread::runtime::DeadlockAction::Ignore)
        .build()
        .unwrap();
    // Warm up the runtime (first spawn, panic hook, pools) before the baseline.
    rt.block_on(|| greenthread::spawn(|| ()).join().unwrap());
    let before = rss_bytes();
    let release = Arc::new(AtomicBool::new(false));
    let parked = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    // One spawning green thread per worker, as a server with an accept loop per core would.
    let spawners = rt.workers();
    let handles: Vec<_> = rt.block_on(|| {
        greenthread::scope(|s| {
            let parts: Vec<_> = (0..spawners)
                .map(|k| {
                    let (release, parked) = (&release, &parked);
                    s.spawn(move || {
                        (k..n)
                            .step_by(spawners)
                            .map(|_| {
                                let (release, parked) = (release.clone(), parked.clone());
                                greenthread::spawn(move || {
                                    parked.fetch_add(1, Ordering::Relaxed);
                                    while !release.load(Ordering::Acquire) {
                                        greenthread::park();
                                    }
                                })
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            parts.into_iter().flat_map(|p| p.join().unwrap()).collect()
        })
    });
    report("green", n, before, start, &parked);
    release.store(true, Ordering::Release);
    for h in &handles {
        h.thread().unpark();
    }
    handles.into_iter().for_each(|h| h.join().unwrap());
}

/// Called when the last spawn returned: waits until all `n` threads are parked, then prints
/// the RESULT line (RSS per thread, seconds until all parked, seconds of spawn calls).
fn report(kind: &str, n: usize, before: usize, start: Instant, parked: &AtomicUsize) {
    let spawn_calls = start.elapsed();
    while parked.load(Ordering::Relaxed) < n {
        std::thread::sleep(Duration::from_micros(200));
    }
    let spawned = start.elapsed();
    let per = (rss_bytes() - before) as f64 / n as f64;
    println!(
        "RESULT {kind} {n} {per:.0} {:.3} {:.3}",
        spawned.as_secs_f64(),
        spawn_calls.as_secs_f64()
    );
}

/// Parks `n` OS threads (default 2 MiB stacks, as `std::thread::spawn` gives).
fn os(n: usize) {
    let before = rss_bytes();
    let release = Arc::new(AtomicBool::new(false));
    let parked = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (release, parked) = (release.clone(), parked.clone());
            std::thread::spawn(move || {
                parked.fetch_add(1, Ordering::Relaxed);
                while !release.load(Ordering::Acquire) {
                    std::thread::park();
                }
            })
        })
        .collect();
    report("os", n, before, start, &parked);
    release.store(true, Ordering::Release);
    for h in &handles {
        h.thread().unpark();
    }
    handles.into_iter().for_each(|h| h.join().unwrap());
}

/// (RSS bytes per thread, seconds until all parked, seconds until the spawn calls returned)
fn measure(kind: &str, n: usize) -> Option<(f64, f64, f64)> {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--child", kind, &n.to_string()])
        .output()
        .ok()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find(|l| l.starts_with("RESULT"))?;
    let f: Vec<&str> = line.split_whitespace().collect();
    Some((f[3].parse().ok()?, f[4].parse().ok()?, f[5].parse().ok()?))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() >= 4 && args[1] == "--child" {
        let n = args[3].parse().unwrap();
        match args[2].as_str() {
            "green" => green(n),
            _ => os(n),
        }
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    println!(
        "{:<34} {:>14} {:>12} {:>12}",
        "parked threads", "RSS per thread", "spawn calls", "all parked"
    );
    let mut rows = vec![("green", 10_000), ("os", 10_000), ("green", 200_000)];
    if !quick {
        rows.push(("green", 1_000_000));
    }
    let mut per_thread = Vec::new();
    for (kind, n) in rows {
        match measure(kind, n) {
            Some((per, secs, calls)) => {
                println!(
                    "{:<34} {:>12.0} B {:>11.3}s {:>11.3}s",
                    format!(
                        "{n} {}",
                        if kind == "os" {
                            "OS threads"
                        } else {
                            "green threads"
                        }
                    ),
                    per,
                    calls,
                    secs
                );
                per_thread.push((kind, n, per));
            }
            None => println!("{kind} {n}: measurement failed"),
        }
    }
    let green = per_thread.iter().find(|r| r.0 == "green" && r.1 == 10_000);
    let os = per_thread.iter().find(|r| r.0 == "os");
    if let (Some(g), Some(o)) = (green, os) {
        println!(
            "\nOS thread / green thread memory at 10,000: {:.1}x",
            o.2 / g.2
        );
    }
}
