//! Helpers shared by the integration tests.
#![allow(dead_code)]

// Only the `crossbeam_*` ports use it; the other test files compile it unused.
#[allow(unused_imports, unused_macros)]
pub mod crossbeam;

use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

/// Counts its drops in a shared counter: proof that a value was dropped, exactly once.
pub struct CountDrop(pub Arc<AtomicUsize>);

impl Drop for CountDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Runs `f` on its own OS thread and fails the test if it takes longer than `secs`: a hang
/// becomes a failure instead of a stuck CI job.
pub fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let body = std::thread::Builder::new()
        .name("test-body".into())
        .spawn(move || {
            let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
        })
        .expect("spawn test body");
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(Ok(v)) => {
            let _ = body.join();
            v
        }
        Ok(Err(payload)) => std::panic::resume_unwind(payload),
        Err(_) => panic!("test did not finish within {secs} s (hang?)"),
    }
}

/// The environment variable that tells a test binary it runs as a child of `run_child`.
pub const CHILD_ENV: &str = "GREENTHREAD_TEST_CHILD";

/// Whether this process is the child started by [`run_child`] for `test`.
pub fn is_child(test: &str) -> bool {
    std::env::var(CHILD_ENV).is_ok_and(|v| v == test)
}

/// Re-runs this test binary with only `test` selected and [`CHILD_ENV`] set, and returns
/// its output. The test checks [`is_child`] to do the part that must crash or print.
pub fn run_child(test: &str, extra_env: &[(&str, &str)]) -> Output {
    let exe = std::env::current_exe().expect("current_exe");
    let mut cmd = Command::new(exe);
    cmd.args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, test)
        .env("RUST_BACKTRACE", "0");
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    cmd.output().expect("run child test process")
}

/// Like [`run_child`], but returns the running child with its stdout and stderr piped, for
/// a test that talks to it while it runs. Wrap it in a [`KillOnDrop`] so that a failing
/// assertion does not leave it running.
pub fn spawn_child(test: &str, extra_env: &[(&str, &str)]) -> std::process::Child {
    let exe = std::env::current_exe().expect("current_exe");
    let mut cmd = Command::new(exe);
    cmd.args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, test)
        .env("RUST_BACKTRACE", "0")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("start child test process")
}

/// A child process, killed (and reaped) when this is dropped.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Resident set size of this process in bytes (from /proc/self/statm).
pub fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("statm");
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

/// CPU time (user + system) this process has used so far.
pub fn cpu_time() -> Duration {
    cpu_time_of("self")
}

/// CPU time (user + system) that process `pid` (a number, or `self`) has used so far, all
/// its threads together.
pub fn cpu_time_of(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the full line: 11 and 12 after the name.
    let ticks: u64 = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10) // USER_HZ is 100 on Linux
}

/// Number of OS threads of this process whose name starts with `prefix`.
pub fn os_threads_named(prefix: &str) -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("comm")).ok())
        .filter(|comm| comm.starts_with(prefix))
        .count()
}

/// Waits (bounded) until no OS thread named `prefix*` is left. A joined thread can linger in
/// `/proc/self/task` for a moment after `join` returns while the kernel reaps it.
pub fn no_os_threads_named(prefix: &str) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while os_threads_named(prefix) != 0 {
        if std::time::Instant::now() > deadline {
            return false;
        }
        std::thread::yield_now();
    }
    true
}

/// Runs `cmd` to completion and returns its output, or fails the test after `secs` (killing
/// the child, so a hang cannot outlive the test).
pub fn output_within(mut cmd: Command, secs: u64) -> Output {
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().expect("start the command");
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(out) => out.expect("wait for the command"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("{cmd:?} did not finish within {secs} s");
        }
    }
}

/// The number of open descriptors of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// A runtime with two workers (the machine's core count), as the networking issue asks.
pub fn rt() -> greenthread::Runtime {
    greenthread::Runtime::builder().workers(2).build().unwrap()
}

/// Raises the soft limit of open files to the hard limit; returns the new soft limit.
pub fn raise_nofile() -> u64 {
    // SAFETY: rlimit is plain old data and the pointers are valid.
    unsafe {
        let mut rl: libc::rlimit = std::mem::zeroed();
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl), 0);
        rl.rlim_cur = rl.rlim_max;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &rl), 0);
        rl.rlim_cur as u64
    }
}

/// Sets the soft limit of open files.
pub fn set_nofile(soft: u64) {
    // SAFETY: as above.
    unsafe {
        let mut rl: libc::rlimit = std::mem::zeroed();
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl), 0);
        rl.rlim_cur = soft as libc::rlim_t;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &rl), 0);
    }
}

/// Like [`within`], for a body that borrows from the caller: runs `f` on the calling thread
/// and aborts the whole test process with a message if it takes longer than `secs` seconds
/// (a borrowing body cannot be abandoned on another thread).
pub fn watchdog<R>(secs: u64, name: &str, f: impl FnOnce() -> R) -> R {
    let (done, wait) = mpsc::channel::<()>();
    let name = name.to_string();
    let dog = std::thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(Duration::from_secs(secs)) {
            eprintln!("watchdog: test `{name}` still running after {secs} s: hang, aborting");
            std::process::abort();
        }
    });
    let r = f();
    drop(done);
    let _ = dog.join();
    r
}

/// Polls `f` until it holds, failing the test after 20 s: for states that settle
/// asynchronously (a green thread reaching its park), never as a delay.
pub fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Waits until the green thread of `rt` named `name` is parked on `reason` (a state that
/// settles asynchronously: it must first run up to its wait).
pub fn until_parked(
    rt: &greenthread::Runtime,
    name: &str,
    reason: greenthread::runtime::WaitReason,
) {
    eventually(&format!("{name} parks on {reason}"), || {
        rt.snapshot().threads.iter().any(|t| {
            t.name.as_deref() == Some(name)
                && t.state == greenthread::runtime::ThreadState::Parked(reason)
        })
    });
}
