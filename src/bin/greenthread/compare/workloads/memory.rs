//! Memory per parked thread: park N threads and divide the growth of the resident set size
//! (`/proc/self/statm`) by N.
//!
//! Each side runs in a fresh child process of this same binary (the hidden `memory-child`
//! subcommand), so allocations of the other workloads cannot blur the number. RSS counts
//! the pages a thread's stack and bookkeeping touched in this process; the kernel's own
//! per-thread structures (for OS threads) are not in it, so OS threads cost more than shown.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::Failure;
use crate::cli::MemoryChildArgs;
use crate::compare::workload::{Ctx, Measured, SideResult, Sizes, Unit, Workload};
use crate::units::count;

/// Memory per parked thread, measured in a child process.
#[derive(Debug)]
pub struct ParkedMemory;

/// The longest a child may take before it is killed.
const CHILD_TIMEOUT: Duration = Duration::from_secs(120);

impl Workload for ParkedMemory {
    fn id(&self) -> &'static str {
        "memory"
    }

    fn title(&self, sizes: &Sizes) -> String {
        format!("memory per parked thread ({})", count(sizes.threads))
    }

    fn unit(&self) -> Unit {
        Unit::BytesPer("parked thread")
    }

    fn repeatable(&self) -> bool {
        false
    }

    fn run_green(&self, ctx: &Ctx<'_>) -> SideResult {
        measure_in_child("green", ctx.sizes.threads, ctx)
    }

    fn run_os(&self, ctx: &Ctx<'_>) -> SideResult {
        measure_in_child("os", ctx.sizes.os_threads(), ctx)
    }
}

/// What a child prints, as one JSON line on stdout.
#[derive(Debug, Serialize, Deserialize)]
struct ChildReport {
    requested: u64,
    parked: u64,
    bytes_per_thread: f64,
    error: Option<String>,
}

fn measure_in_child(kind: &str, n: u64, ctx: &Ctx<'_>) -> SideResult {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let mut cmd = Command::new(exe);
    cmd.args(["memory-child", "--kind", kind, "--count", &n.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(w) = ctx.sizes.workers {
        cmd.args(["--workers", &w.to_string()]);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start the child process: {e}"))?;
    let deadline = Instant::now() + CHILD_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("the child did not finish within {CHILD_TIMEOUT:?}"));
            }
            Err(e) => return Err(format!("waiting for the child failed: {e}")),
        }
    };
    let mut out = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        let _ = stdout.read_to_string(&mut out);
    }
    let report: ChildReport = out
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .ok_or_else(|| format!("the child printed no report (exit status {status})"))?;
    if let Some(e) = report.error {
        return Err(e);
    }
    Ok(Measured {
        value: report.bytes_per_thread,
        size: report.parked,
    })
}

/// The hidden `memory-child` subcommand: park the threads, print one [`ChildReport`].
pub fn child_main(args: &MemoryChildArgs) -> Result<(), Failure> {
    let report = match args.kind.as_str() {
        "green" => park_green(args),
        _ => park_os(args.count),
    };
    let line = serde_json::to_string(&report).map_err(|e| Failure::Error(e.to_string()))?;
    println!("{line}");
    Ok(())
}

fn rss_bytes() -> Result<u64, String> {
    let statm = std::fs::read_to_string("/proc/self/statm")
        .map_err(|e| format!("cannot read /proc/self/statm: {e}"))?;
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .ok_or("unexpected /proc/self/statm format")?;
    // The kernel reports statm in pages; 4 KiB on the platforms this runs on, but ask.
    Ok(pages * page_size())
}

fn page_size() -> u64 {
    // /proc/self/smaps would say it per mapping; the KernelPageSize of the first mapping is
    // the base page size.
    std::fs::read_to_string("/proc/self/smaps")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("KernelPageSize:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(4096, |kib| kib * 1024)
}

/// Counts parked threads and releases them.
#[derive(Default)]
struct Gate {
    parked: AtomicU64,
    release: AtomicBool,
}

/// Waits (bounded) until `n` threads have parked, then reports the RSS growth.
fn settle(gate: &Gate, n: u64, before: u64) -> ChildReport {
    let deadline = Instant::now() + Duration::from_secs(60);
    while gate.parked.load(Ordering::Acquire) < n {
        if Instant::now() > deadline {
            return failed(n, "threads did not all park within 60 s".into());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    match rss_bytes() {
        Ok(after) => ChildReport {
            requested: n,
            parked: n,
            bytes_per_thread: after.saturating_sub(before) as f64 / n as f64,
            error: None,
        },
        Err(e) => failed(n, e),
    }
}

fn failed(n: u64, error: String) -> ChildReport {
    ChildReport {
        requested: n,
        parked: 0,
        bytes_per_thread: 0.0,
        error: Some(error),
    }
}

fn park_green(args: &MemoryChildArgs) -> ChildReport {
    let n = args.count;
    // Every green thread parks until this OS thread lets them go: not a deadlock, and the
    // check's walk over a million green threads would show in the RSS measured.
    let mut builder =
        greenthread::Runtime::builder().deadlock(greenthread::runtime::DeadlockAction::Ignore);
    if let Some(w) = args.workers {
        builder = builder.workers(w.get());
    }
    let rt = match builder.build() {
        Ok(rt) => rt,
        Err(e) => return failed(n, format!("cannot start the runtime: {e}")),
    };
    // Warm up (first spawn, panic hook, pools) before the baseline.
    let _ = rt.block_on(|| greenthread::spawn(|| ()).join());
    let before = match rss_bytes() {
        Ok(b) => b,
        Err(e) => return failed(n, e),
    };
    let gate = Arc::new(Gate::default());
    let spawned = rt.block_on(|| {
        let mut handles = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let gate = gate.clone();
            let spawn = greenthread::Builder::new().spawn(move || {
                gate.parked.fetch_add(1, Ordering::AcqRel);
                while !gate.release.load(Ordering::Acquire) {
                    greenthread::park();
                }
            });
            match spawn {
                Ok(h) => handles.push(h),
                Err(e) => return Err((handles, e)),
            }
        }
        Ok(handles)
    });
    let (report, handles) = match spawned {
        Ok(handles) => (settle(&gate, n, before), handles),
        Err((handles, e)) => (
            failed(
                n,
                format!(
                    "green spawn {} failed: {e}",
                    count(handles.len() as u64 + 1)
                ),
            ),
            handles,
        ),
    };
    gate.release.store(true, Ordering::Release);
    for h in &handles {
        h.thread().unpark();
    }
    for h in handles {
        let _ = h.join();
    }
    report
}

fn park_os(n: u64) -> ChildReport {
    let before = match rss_bytes() {
        Ok(b) => b,
        Err(e) => return failed(n, e),
    };
    let gate = Arc::new(Gate::default());
    let mut handles = Vec::with_capacity(n as usize);
    let mut error = None;
    for i in 0..n {
        let gate = gate.clone();
        let spawn = std::thread::Builder::new().spawn(move || {
            gate.parked.fetch_add(1, Ordering::AcqRel);
            while !gate.release.load(Ordering::Acquire) {
                std::thread::park();
            }
        });
        match spawn {
            Ok(h) => handles.push(h),
            Err(e) => {
                error = Some(format!(
                    "the OS refused thread {} of {}: {e} (try a smaller --os-threads-max)",
                    count(i + 1),
                    count(n)
                ));
                break;
            }
        }
    }
    let report = match error {
        None => settle(&gate, n, before),
        Some(e) => failed(n, e),
    };
    gate.release.store(true, Ordering::Release);
    for h in &handles {
        h.thread().unpark();
    }
    for h in handles {
        let _ = h.join();
    }
    report
}
