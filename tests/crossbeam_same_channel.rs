// Ported from crossbeam-channel 0.5.17, `crossbeam-channel/tests/same_channel.rs`
// (https://github.com/crossbeam-rs/crossbeam), Copyright (c) 2019 The Crossbeam Project
// Developers, licensed MIT or Apache-2.0. Each upstream test runs twice, on OS threads
// (`name::os`) and on green threads (`name::green`); see `tests/support/crossbeam.rs`.
// Changes from upstream, all forced by the port:
// - imports: the channel, `scope`, `thread` (and `thread_rng`) come from the shim, which
//   spawns, sleeps and yields as green threads in green mode;
// - `#[test]` is gone from each test function; `tests!` at the end lists them (with their
//   test attributes) and makes the two tests of each, bounded by a time limit;
// - others are marked `// Port:` where they are.

use std::time::Duration;

mod support;

use support::crossbeam::channel::{after, never, tick};
use support::crossbeam::channel::{bounded, unbounded};
use support::crossbeam::tests;

fn ms(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

fn after_same_channel() {
    let r = after(ms(50));

    let r2 = r.clone();
    assert!(r.same_channel(&r2));

    let r3 = after(ms(50));
    assert!(!r.same_channel(&r3));
    assert!(!r2.same_channel(&r3));

    let r4 = after(ms(100));
    assert!(!r.same_channel(&r4));
    assert!(!r2.same_channel(&r4));
}

fn array_same_channel() {
    let (s, r) = bounded::<usize>(1);

    let s2 = s.clone();
    assert!(s.same_channel(&s2));

    let r2 = r.clone();
    assert!(r.same_channel(&r2));

    let (s3, r3) = bounded::<usize>(1);
    assert!(!s.same_channel(&s3));
    assert!(!s2.same_channel(&s3));
    assert!(!r.same_channel(&r3));
    assert!(!r2.same_channel(&r3));
}

fn list_same_channel() {
    let (s, r) = unbounded::<usize>();

    let s2 = s.clone();
    assert!(s.same_channel(&s2));

    let r2 = r.clone();
    assert!(r.same_channel(&r2));

    let (s3, r3) = unbounded::<usize>();
    assert!(!s.same_channel(&s3));
    assert!(!s2.same_channel(&s3));
    assert!(!r.same_channel(&r3));
    assert!(!r2.same_channel(&r3));
}

fn never_same_channel() {
    let r = never::<usize>();

    let r2 = r.clone();
    assert!(r.same_channel(&r2));

    // Never channel are always equal to one another.
    let r3 = never::<usize>();
    assert!(r.same_channel(&r3));
    assert!(r2.same_channel(&r3));
}

fn tick_same_channel() {
    let r = tick(ms(50));

    let r2 = r.clone();
    assert!(r.same_channel(&r2));

    let r3 = tick(ms(50));
    assert!(!r.same_channel(&r3));
    assert!(!r2.same_channel(&r3));

    let r4 = tick(ms(100));
    assert!(!r.same_channel(&r4));
    assert!(!r2.same_channel(&r4));
}

fn zero_same_channel() {
    let (s, r) = bounded::<usize>(0);

    let s2 = s.clone();
    assert!(s.same_channel(&s2));

    let r2 = r.clone();
    assert!(r.same_channel(&r2));

    let (s3, r3) = bounded::<usize>(0);
    assert!(!s.same_channel(&s3));
    assert!(!s2.same_channel(&s3));
    assert!(!r.same_channel(&r3));
    assert!(!r2.same_channel(&r3));
}

fn different_flavors_same_channel() {
    let (s1, r1) = bounded::<usize>(0);
    let (s2, r2) = unbounded::<usize>();

    assert!(!s1.same_channel(&s2));
    assert!(!r1.same_channel(&r2));
}

tests! {
    after_same_channel,
    array_same_channel,
    list_same_channel,
    never_same_channel,
    tick_same_channel,
    zero_same_channel,
    different_flavors_same_channel,
}
