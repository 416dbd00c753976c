//! `Runtime::stats`: the counters move with the work they count.

mod support;

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use greenthread::Runtime;
use greenthread::net::{TcpListener, TcpStream};
use support::{eventually, within};

#[test]
fn spawns_and_switches_are_counted() {
    within(30, || {
        let rt = Runtime::builder().workers(2).build().unwrap();
        let before = rt.stats();
        assert_eq!((before.spawned, before.alive, before.parked), (0, 0, 0));
        assert_eq!(before.workers, 2);
        let hs: Vec<_> = (0..100)
            .map(|_| {
                rt.spawn(|| {
                    for _ in 0..10 {
                        greenthread::yield_now();
                    }
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        eventually("all have left their workers", || rt.stats().alive == 0);
        let after = rt.stats();
        assert_eq!(after.spawned, 100);
        assert!(
            after.context_switches >= 100 * 11,
            "{} switches for 100 green threads yielding 10 times",
            after.context_switches
        );
        assert_eq!(after.running, 0);
    });
}

#[test]
fn running_and_parked_green_threads_are_told_apart() {
    within(30, || {
        let rt = Runtime::builder().workers(2).build().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let spinner = rt.spawn(move || {
            while !s.load(Ordering::Relaxed) {
                greenthread::yield_now();
            }
        });
        let parked: Vec<_> = (0..5).map(|_| rt.spawn(greenthread::park)).collect();
        eventually("one running, five parked", || {
            let s = rt.stats();
            s.running == 1 && s.parked == 5 && s.parked_by.park == 5
        });
        stop.store(true, Ordering::Relaxed);
        spinner.join().unwrap();
        for h in parked {
            h.thread().unpark();
            h.join().unwrap();
        }
    });
}

#[test]
fn timers_are_counted_pending_and_fired() {
    within(30, || {
        let rt = Runtime::builder().workers(2).build().unwrap();
        let long: Vec<_> = (0..50)
            .map(|_| rt.spawn(|| greenthread::sleep(Duration::from_secs(600))))
            .collect();
        eventually("50 sleepers wait on timers", || {
            let s = rt.stats();
            s.timers == 50 && s.parked_by.sleep == 50
        });
        let fired = rt.stats().timers_fired;
        let short: Vec<_> = (0..10)
            .map(|_| rt.spawn(|| greenthread::sleep(Duration::from_millis(1))))
            .collect();
        short.into_iter().for_each(|h| h.join().unwrap());
        assert!(rt.stats().timers_fired >= fired + 10);
        drop(rt);
        drop(long);
    });
}

#[test]
fn sockets_show_up_as_sources_polls_and_events() {
    within(30, || {
        let rt = Runtime::builder().workers(2).build().unwrap();
        let base = rt.stats();
        let listener = rt.block_on(|| TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let server = rt.spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 4];
            for _ in 0..100 {
                s.read_exact(&mut buf).unwrap();
                s.write_all(&buf).unwrap();
            }
        });
        rt.block_on(|| {
            let mut c = TcpStream::connect(addr).unwrap();
            let mut buf = [0u8; 4];
            for i in 0..100u32 {
                c.write_all(&i.to_le_bytes()).unwrap();
                c.read_exact(&mut buf).unwrap();
                assert_eq!(u32::from_le_bytes(buf), i);
            }
        });
        let during = rt.stats();
        server.join().unwrap();
        assert!(during.reactor_events > base.reactor_events, "{during}");
        assert!(during.reactor_polls > base.reactor_polls, "{during}");
        eventually("the sockets are deregistered", || {
            rt.stats().io_sources == base.io_sources
        });
    });
}

#[test]
fn the_open_sockets_are_counted() {
    within(30, || {
        let rt = Runtime::builder().workers(1).build().unwrap();
        let base = rt.stats().io_sources;
        let listener = rt.block_on(|| TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let conns: Vec<_> = (0..10)
            .map(|_| rt.block_on(|| TcpStream::connect(addr)).unwrap())
            .collect();
        let accepted: Vec<_> = (0..10)
            .map(|_| rt.block_on(|| listener.accept()).unwrap().0)
            .collect();
        assert_eq!(rt.stats().io_sources, base + 21);
        drop(conns);
        drop(accepted);
        drop(listener);
        assert_eq!(rt.stats().io_sources, base);
    });
}

#[test]
fn work_queued_on_a_busy_worker_is_stolen() {
    within(60, || {
        let rt = Runtime::builder()
            .workers(2)
            .watchdog(None)
            .build()
            .unwrap();
        let ran = rt.block_on(|| {
            let ran = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let hs: Vec<_> = (0..64)
                .map(|_| {
                    let ran = ran.clone();
                    greenthread::spawn(move || {
                        ran.fetch_add(1, Ordering::SeqCst);
                    })
                })
                .collect();
            // Hold this worker without a switch point: the green threads just queued on it
            // can only run if the other worker steals them.
            let deadline = Instant::now() + Duration::from_secs(20);
            while ran.load(Ordering::SeqCst) < 32 && Instant::now() < deadline {
                std::hint::spin_loop();
            }
            let n = ran.load(Ordering::SeqCst);
            hs.into_iter().for_each(|h| h.join().unwrap());
            n
        });
        assert!(ran >= 32, "only {ran} ran while their worker was busy");
        assert!(rt.stats().steals > 0);
    });
}

#[test]
fn the_stack_pool_and_display() {
    within(30, || {
        let rt = Runtime::builder().workers(1).build().unwrap();
        let parked: Vec<_> = (0..20).map(|_| rt.spawn(greenthread::park)).collect();
        eventually("20 parked", || rt.stats().parked == 20);
        let s = rt.stats();
        assert!(s.stacks.guarded + s.stacks.compact >= 20, "{s:?}");
        assert!(s.stacks.guarded <= s.stacks.guarded_budget);
        assert_eq!(s.stacks.mode(), "guarded");
        let text = s.to_string();
        for needle in [
            "20 alive",
            "20 parked",
            "park 20",
            "context switches",
            "reactor:",
            "stacks:",
            "deadlock",
        ] {
            assert!(text.contains(needle), "{needle:?} missing from\n{text}");
        }
        for h in parked {
            h.thread().unpark();
            h.join().unwrap();
        }
    });
}
