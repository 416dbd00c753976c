// Ported from crossbeam-channel 0.5.17, `crossbeam-channel/tests/never.rs`
// (https://github.com/crossbeam-rs/crossbeam), Copyright (c) 2019 The Crossbeam Project
// Developers, licensed MIT or Apache-2.0. Each upstream test runs twice, on OS threads
// (`name::os`) and on green threads (`name::green`); see `tests/support/crossbeam.rs`.
// Changes from upstream, all forced by the port:
// - imports: the channel, `scope`, `thread` (and `thread_rng`) come from the shim, which
//   spawns, sleeps and yields as green threads in green mode;
// - `#[test]` is gone from each test function; `tests!` at the end lists them (with their
//   test attributes) and makes the two tests of each, bounded by a time limit;
// - others are marked `// Port:` where they are.

//! Tests for the never channel flavor.

mod support;

use std::time::{Duration, Instant};
use support::crossbeam::thread;

use support::crossbeam::channel::{never, select, tick, unbounded};
use support::crossbeam::tests;

fn ms(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

fn smoke() {
    select! {
        recv(never::<i32>()) -> _ => panic!(),
        default => {}
    }
}

fn optional() {
    let (s, r) = unbounded::<i32>();
    s.send(1).unwrap();
    s.send(2).unwrap();

    let mut r = Some(&r);
    select! {
        recv(r.unwrap_or(&never())) -> _ => {}
        default => panic!(),
    }

    r = None;
    select! {
        recv(r.unwrap_or(&never())) -> _ => panic!(),
        default => {}
    }
}

fn tick_n() {
    let mut r = tick(ms(100));
    let mut step = 0;

    loop {
        select! {
            recv(r) -> _ => step += 1,
            default(ms(500)) => break,
        }

        if step == 10 {
            r = never();
        }
    }

    assert_eq!(step, 10);
}

fn capacity() {
    let r = never::<i32>();
    assert_eq!(r.capacity(), Some(0));
}

fn len_empty_full() {
    let r = never::<i32>();
    assert_eq!(r.len(), 0);
    assert!(r.is_empty());
    assert!(r.is_full());
}

fn try_recv() {
    let r = never::<i32>();
    assert!(r.try_recv().is_err());

    thread::sleep(ms(100));
    assert!(r.try_recv().is_err());
}

fn recv_timeout() {
    let start = Instant::now();
    let r = never::<i32>();

    assert!(r.recv_timeout(ms(100)).is_err());
    let now = Instant::now();
    assert!(now - start >= ms(100));
    assert!(now - start <= ms(150));

    assert!(r.recv_timeout(ms(100)).is_err());
    let now = Instant::now();
    assert!(now - start >= ms(200));
    assert!(now - start <= ms(250));
}

tests! {
    smoke,
    optional,
    tick_n,
    capacity,
    len_empty_full,
    try_recv,
    recv_timeout,
}
