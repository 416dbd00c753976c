//! sleep, sleep_until, park_timeout: never early, and sleepers overlap.

mod support;

use std::time::{Duration, Instant};

use greenthread::Runtime;
use support::within;

#[test]
fn sleep_never_wakes_early() {
    within(60, || {
        let rt = Runtime::builder().workers(2).build().unwrap();
        let hs: Vec<_> = (0..2000u64)
            .map(|i| {
                rt.spawn(move || {
                    let d = Duration::from_micros(100 + (i * 7919) % 20_000);
                    let t = Instant::now();
                    greenthread::sleep(d);
                    (t.elapsed(), d)
                })
            })
            .collect();
        for h in hs {
            let (slept, asked) = h.join().unwrap();
            assert!(slept >= asked, "woke after {slept:?}, asked {asked:?}");
        }
    });
}

#[test]
fn ten_thousand_sleepers_sleep_side_by_side() {
    within(60, || {
        let rt = Runtime::builder().workers(2).build().unwrap();
        let start = Instant::now();
        let hs: Vec<_> = (0..10_000)
            .map(|_| rt.spawn(|| greenthread::sleep(Duration::from_millis(50))))
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(50));
        // In turn they would take 500 s; side by side, the 50 ms plus overhead.
        assert!(took < Duration::from_secs(10), "{took:?}");
    });
}

#[test]
fn sleep_until_a_past_instant_returns_at_once() {
    within(30, || {
        let rt = Runtime::builder().workers(1).build().unwrap();
        rt.block_on(|| {
            let past = Instant::now() - Duration::from_millis(1);
            greenthread::sleep_until(past);
            greenthread::sleep(Duration::ZERO);
            let target = Instant::now() + Duration::from_millis(15);
            greenthread::sleep_until(target);
            assert!(Instant::now() >= target);
        });
    });
}

#[test]
fn an_earlier_timer_cuts_a_long_idle_wait_short() {
    within(30, || {
        let rt = Runtime::builder().workers(1).build().unwrap();
        // A long timer makes the idle worker wait long; a short one added later must still fire.
        let _long = rt.spawn(|| greenthread::sleep(Duration::from_secs(3600)));
        let t = Instant::now();
        rt.block_on(|| greenthread::sleep(Duration::from_millis(20)));
        let took = t.elapsed();
        assert!(
            took >= Duration::from_millis(20) && took < Duration::from_secs(20),
            "{took:?}"
        );
    });
}

#[test]
fn sleeping_green_threads_do_not_block_others() {
    within(30, || {
        let rt = Runtime::builder().workers(1).build().unwrap();
        let sleeper = rt.spawn(|| greenthread::sleep(Duration::from_secs(3600)));
        // The one worker runs this while the sleeper sleeps.
        assert_eq!(rt.block_on(|| 1 + 1), 2);
        assert!(!sleeper.is_finished());
    });
}

#[test]
fn sleep_on_an_os_thread_is_std_sleep() {
    let t = Instant::now();
    greenthread::sleep(Duration::from_millis(10));
    assert!(t.elapsed() >= Duration::from_millis(10));
}
