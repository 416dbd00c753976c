//! A green thread's stack overflow is reported by name, id and size, then aborts: never
//! silent corruption. Each case runs in a child process, since it aborts.

mod support;

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use greenthread::{Builder, Runtime};

#[inline(never)]
fn recurse(depth: u64) -> u64 {
    let buf = std::hint::black_box([depth as u8; 512]);
    if depth == 0 {
        return buf[0] as u64;
    }
    recurse(depth - 1) + std::hint::black_box(buf[7]) as u64
}

/// Recurses until its frame is below the address `limit`, then, with `switch`, switches
/// (yield) while still that deep.
#[inline(never)]
fn recurse_below(limit: usize, switch: bool) -> u64 {
    let buf = std::hint::black_box([limit as u8; 512]);
    if (&buf as *const [u8; 512] as usize) < limit {
        if switch {
            greenthread::yield_now();
        }
        return buf[0] as u64;
    }
    recurse_below(limit, switch) + std::hint::black_box(buf[7]) as u64
}

/// An address `below` bytes under the caller's frame. Overflows are measured in bytes, not
/// frames: how large a frame is depends on the build (AddressSanitizer's redzones make
/// them much larger), and too deep a recursion runs through the neighbour below as well.
#[inline(never)]
fn under_here(below: usize) -> usize {
    let here = std::hint::black_box(0u8);
    (&here as *const u8 as usize) - below
}

fn assert_reported(out: &std::process::Output, name: &str, size: usize, how: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.signal(),
        Some(libc_sigabrt()),
        "not aborted: {stderr}"
    );
    let expected = format!("green thread '{name}' (id ");
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(
        stderr.contains(&format!("has overflowed its stack of {size} bytes")),
        "{stderr}"
    );
    assert!(stderr.contains(how), "{stderr}");
    assert!(
        stderr.contains("stack_size"),
        "no hint how to raise it: {stderr}"
    );
    // The id printed is a number.
    let id = stderr
        .split("(id ")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap();
    assert!(id.parse::<u64>().is_ok(), "{stderr}");
}

fn libc_sigabrt() -> i32 {
    6
}

#[test]
fn guard_page_overflow_names_the_green_thread_and_aborts() {
    const NAME: &str = "guard_page_overflow_names_the_green_thread_and_aborts";
    if support::is_child(NAME) {
        let rt = Runtime::builder().workers(2).build().unwrap();
        let h = rt
            .block_on(|| {
                Builder::new()
                    .name("deep-recursion".into())
                    .stack_size(64 * 1024)
                    .spawn(|| recurse(u64::MAX))
            })
            .unwrap();
        let _ = h.join();
        unreachable!("the overflow must abort the process");
    }
    let out = support::run_child(NAME, &[]);
    assert_reported(&out, "deep-recursion", 64 * 1024, "guard page");
}

/// In a child process: runs `body` as green thread `name` on a 64 KiB compact stack that has
/// a neighbour below it in its slab (so an overflow runs into memory, not a fault). The
/// overflow must abort the process.
fn overflow_compact_stack(name: &str, body: fn() -> u64) -> ! {
    let rt = Runtime::builder()
        .workers(1)
        .guard_pages(false)
        .build()
        .unwrap();
    let _neighbour = rt
        .block_on(|| {
            Builder::new()
                .stack_size(64 * 1024)
                .spawn(|| greenthread::sleep(Duration::from_secs(60)))
        })
        .unwrap();
    let h = rt
        .block_on(|| {
            Builder::new()
                .name(name.into())
                .stack_size(64 * 1024)
                .spawn(body)
        })
        .unwrap();
    let _ = h.join();
    unreachable!("the overflow must abort the process");
}

#[test]
fn compact_stack_overflow_is_caught_at_the_switch() {
    const NAME: &str = "compact_stack_overflow_is_caught_at_the_switch";
    if support::is_child(NAME) {
        // 80 KiB deep: past 64 KiB, but not through the 64 KiB neighbour; it switches
        // (yields) while still that deep.
        overflow_compact_stack("compact-deep", || recurse_below(under_here(80 << 10), true));
    }
    let out = support::run_child(NAME, &[]);
    assert_reported(
        &out,
        "compact-deep",
        64 * 1024,
        "stack pointer passed the limit",
    );
}

#[test]
fn compact_stack_overflow_that_returned_trips_the_canary() {
    const NAME: &str = "compact_stack_overflow_that_returned_trips_the_canary";
    if support::is_child(NAME) {
        overflow_compact_stack("compact-canary", || {
            let v = recurse_below(under_here(80 << 10), false); // overflows and comes back
            greenthread::yield_now(); // the worker checks the canary here
            v
        });
    }
    let out = support::run_child(NAME, &[]);
    assert_reported(&out, "compact-canary", 64 * 1024, "canary");
}

#[test]
fn deep_but_fitting_recursion_is_fine() {
    let rt = Runtime::builder().workers(1).build().unwrap();
    let h = rt
        .block_on(|| Builder::new().stack_size(1 << 20).spawn(|| recurse(500)))
        .unwrap();
    assert!(h.join().is_ok());
}
