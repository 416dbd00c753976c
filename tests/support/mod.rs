//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::mpsc;
use std::time::Duration;

/// Runs `f`, aborting the whole test process with a message if it takes longer than
/// `secs` seconds: a hang fails loudly instead of stalling CI.
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

/// A runtime with two workers (the CI machine has two cores).
pub fn rt() -> greenthread::Runtime {
    greenthread::Runtime::builder().workers(2).build().unwrap()
}
