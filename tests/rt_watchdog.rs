//! The blocking watchdog: a green thread that holds its worker without a switch point is
//! reported by name within twice the threshold; with hand-off on, the others keep running.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use greenthread::Runtime;
use greenthread::runtime::Report;
use support::within;

/// A runtime whose reports arrive, time-stamped, on the returned receiver.
fn watched(
    name: &str,
    workers: usize,
    threshold: Duration,
    handoff: bool,
) -> (Runtime, mpsc::Receiver<(Instant, Report)>) {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let rt = Runtime::builder()
        .workers(workers)
        .thread_name(name.into())
        .watchdog(Some(threshold))
        .handoff(handoff)
        .on_report(move |r| {
            let _ = tx.lock().unwrap().send((Instant::now(), r.clone()));
        })
        .build()
        .unwrap();
    (rt, rx)
}

#[test]
fn a_blocking_call_is_reported_by_name_within_twice_the_threshold() {
    within(30, || {
        let threshold = greenthread::runtime::DEFAULT_WATCHDOG;
        let (rt, reports) = watched("wd-a", 2, threshold, false);
        let (started_tx, started) = mpsc::channel();
        let h = rt.block_on(|| {
            greenthread::Builder::new()
                .name("sleepy".into())
                .spawn(move || {
                    started_tx.send(Instant::now()).unwrap();
                    std::thread::sleep(4 * threshold); // blocks the worker, not just us
                })
                .unwrap()
        });
        let started = started.recv().unwrap();
        let (at, report) = reports.recv_timeout(Duration::from_secs(10)).unwrap();
        match &report {
            Report::Blocked {
                name,
                blocked_for,
                handoff,
                on_cpu,
                ..
            } => {
                assert_eq!(name.as_deref(), Some("sleepy"));
                assert!(*blocked_for >= threshold, "{blocked_for:?}");
                assert!(!handoff);
                // Asleep in the kernel: its worker used (almost) no CPU meanwhile.
                let on_cpu = on_cpu.expect("the kernel's scheduler statistics are readable");
                assert!(on_cpu * 2 < *blocked_for, "{on_cpu:?} of {blocked_for:?}");
            }
            other => panic!("unexpected report {other}"),
        }
        let delay = at - started;
        assert!(
            delay <= 2 * threshold,
            "reported {delay:?} after the block began (threshold {threshold:?})"
        );
        let text = report.to_string();
        assert!(text.contains("'sleepy'"), "{text}");
        assert!(text.contains("blocked in a call"), "{text}");
        assert!(text.contains("greenthread::unblock"), "{text}");
        assert!(text.contains("wd-a-"), "the worker is named: {text}");
        h.join().unwrap();
        // One report per stall.
        assert!(reports.try_recv().is_err());
        assert_eq!(rt.stats().watchdog_reports, 1);
    });
}

#[test]
fn a_long_computation_is_reported_as_computing() {
    within(60, || {
        let threshold = Duration::from_millis(20);
        let (rt, reports) = watched("wd-c", 2, threshold, false);
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let s = stop.clone();
        let h = rt.block_on(|| {
            greenthread::Builder::new()
                .name("busy".into())
                .spawn(move || {
                    // No switch point until told (bounded: at most 30 s).
                    let t = Instant::now();
                    while !s.load(Ordering::Relaxed) && t.elapsed() < Duration::from_secs(30) {
                        std::hint::spin_loop();
                    }
                })
                .unwrap()
        });
        let (_, report) = reports.recv_timeout(Duration::from_secs(25)).unwrap();
        stop.store(true, Ordering::Relaxed);
        h.join().unwrap();
        let Report::Blocked {
            name,
            on_cpu,
            waiting_for_cpu,
            blocked_for,
            ..
        } = &report
        else {
            panic!("unexpected report {report}");
        };
        assert_eq!(name.as_deref(), Some("busy"));
        let on_cpu = on_cpu.expect("the kernel's scheduler statistics are readable");
        let waiting = waiting_for_cpu.expect("likewise");
        // Not asleep: on a CPU, or waiting for one (the machine may be busy).
        let asleep = blocked_for.saturating_sub(on_cpu).saturating_sub(waiting);
        assert!(
            on_cpu >= asleep,
            "{on_cpu:?} on CPU, {asleep:?} asleep of {blocked_for:?}"
        );
        let text = report.to_string();
        assert!(text.contains("computing"), "{text}");
        assert!(text.contains("yield_now()"), "{text}");
    });
}

/// Pins the calling OS thread to `cpu`.
fn pin_to(cpu: usize) {
    // SAFETY: a zeroed cpu_set_t is the empty set; CPU_SET and sched_setaffinity get a valid
    // set of the size they are told.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        assert_eq!(
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set),
            0
        );
    }
}

#[test]
fn a_worker_starved_of_cpu_is_not_reported_as_blocked_in_a_call() {
    // A green thread computes while its worker gets almost no CPU: the worker shares one CPU
    // with two busy OS threads, at the lowest priority. The kernel counts a wait for a CPU
    // only when it ends, so a window can show neither time on a CPU nor waiting: that is a
    // starved worker (runnable), not one asleep in a call.
    within(60, || {
        let threshold = Duration::from_millis(20);
        let (rt, reports) = watched("wd-s", 1, threshold, false);
        // SAFETY: sched_getcpu has no preconditions.
        let cpu = usize::try_from(unsafe { libc::sched_getcpu() }).unwrap();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let hogs: Vec<_> = (0..2)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    pin_to(cpu);
                    while !stop.load(Ordering::Relaxed) {
                        std::hint::spin_loop();
                    }
                })
            })
            .collect();
        let h = rt.block_on(|| {
            greenthread::spawn(move || {
                // On its worker: the only one, so the runtime's last for this test.
                pin_to(cpu);
                // SAFETY: gettid has no preconditions; raising one's own nice value needs no
                // privilege.
                unsafe { libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as _, 19) };
                let t = Instant::now();
                while t.elapsed() < Duration::from_millis(1500) {
                    std::hint::spin_loop();
                }
            })
        });
        h.join().unwrap();
        stop.store(true, Ordering::Relaxed);
        for hog in hogs {
            hog.join().unwrap();
        }
        for (_, report) in reports.try_iter() {
            let text = report.to_string();
            assert!(!text.contains("blocked in a call"), "{text}");
        }
    });
}

#[test]
fn green_threads_that_switch_or_park_are_not_reported() {
    within(30, || {
        let (rt, reports) = watched("wd-b", 2, Duration::from_millis(20), false);
        let start = Instant::now();
        let busy = rt.spawn(move || {
            // Computes for 200 ms but reaches a switch point every few microseconds.
            while start.elapsed() < Duration::from_millis(200) {
                greenthread::yield_now();
            }
        });
        let sleeper = rt.spawn(|| greenthread::sleep(Duration::from_millis(200)));
        busy.join().unwrap();
        sleeper.join().unwrap();
        assert!(
            reports.try_recv().is_err(),
            "a green thread that switches was reported"
        );
    });
}

#[test]
fn the_watchdog_can_be_turned_off() {
    within(30, || {
        let (tx, rx) = mpsc::channel::<String>();
        let tx = Mutex::new(tx);
        let rt = Runtime::builder()
            .workers(1)
            .watchdog(None)
            .on_report(move |r| drop(tx.lock().unwrap().send(r.to_string())))
            .build()
            .unwrap();
        rt.block_on(|| std::thread::sleep(Duration::from_millis(150)));
        assert!(rx.try_recv().is_err());
        assert_eq!(rt.stats().watchdog_reports, 0);
    });
}

#[test]
fn with_handoff_other_green_threads_keep_running_and_the_replacement_retires() {
    within(60, || {
        let (rt, reports) = watched("ho", 1, Duration::from_millis(30), true);
        // The blocker holds the only worker in a std (OS-level) wait until we let it go:
        // nothing but a replacement worker can run anything else meanwhile.
        let (release, blocked) = mpsc::channel::<()>();
        let (entered_tx, entered) = mpsc::channel();
        let blocker = rt.spawn(move || {
            entered_tx.send(()).unwrap();
            blocked.recv().unwrap();
        });
        entered.recv().unwrap();
        let done = Arc::new(AtomicUsize::new(0));
        let others: Vec<_> = (0..100)
            .map(|_| {
                let done = done.clone();
                rt.spawn(move || {
                    greenthread::yield_now();
                    done.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        for h in others {
            h.join().unwrap(); // only a replacement worker can make these finish
        }
        assert_eq!(done.load(Ordering::SeqCst), 100);
        assert!(!blocker.is_finished());
        let (_, report) = reports.recv_timeout(Duration::from_secs(10)).unwrap();
        assert!(
            matches!(report, Report::Blocked { handoff: true, .. }),
            "{report}"
        );
        assert_eq!(rt.stats().handoff_workers, 1);
        assert_eq!(support::os_threads_named("ho-handoff-"), 1);
        let dump = rt.dump();
        assert!(dump.contains("1 workers (+1 hand-off)"), "{dump}");

        release.send(()).unwrap();
        blocker.join().unwrap();
        // The blocked worker switches again: the replacement retires and its thread ends.
        let deadline = Instant::now() + Duration::from_secs(10);
        while rt.stats().handoff_workers != 0 {
            assert!(
                Instant::now() < deadline,
                "the replacement worker never retired"
            );
            std::thread::yield_now();
        }
        assert!(support::no_os_threads_named("ho-handoff-"));
        // And the runtime works as before.
        assert_eq!(rt.spawn(|| 7).join().unwrap(), 7);
    });
}

#[test]
fn handoff_again_for_a_second_stall_and_shutdown_joins_everything() {
    within(60, || {
        let (rt, reports) = watched("hq", 1, Duration::from_millis(20), true);
        for round in 0..2 {
            let (release, blocked) = mpsc::channel::<()>();
            let blocker = rt.spawn(move || blocked.recv().unwrap());
            // A green thread queued behind the blocker runs on the replacement.
            assert_eq!(rt.spawn(move || round).join().unwrap(), round);
            let (_, report) = reports.recv_timeout(Duration::from_secs(10)).unwrap();
            assert!(
                matches!(report, Report::Blocked { handoff: true, .. }),
                "{report}"
            );
            release.send(()).unwrap();
            blocker.join().unwrap();
        }
        drop(rt);
        assert!(support::no_os_threads_named("hq-"), "threads left behind");
    });
}
