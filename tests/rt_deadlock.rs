//! The deadlock report: when every green thread is parked and nothing inside the runtime can
//! wake any of them, the runtime says so once, with the dump.

mod support;

use std::sync::{Arc, Mutex as StdMutex, mpsc};
use std::time::Duration;

use greenthread::Runtime;
use greenthread::runtime::{DeadlockAction, Report, ThreadState, WaitReason};
use greenthread::sync::{Barrier, Mutex};
use support::within;

/// A runtime whose reports arrive on the returned receiver.
fn watched(name: &str, action: DeadlockAction) -> (Runtime, mpsc::Receiver<Report>) {
    let (tx, rx) = mpsc::channel();
    let tx = StdMutex::new(tx);
    let rt = Runtime::builder()
        .workers(2)
        .thread_name(name.into())
        .deadlock(action)
        .on_report(move |r| {
            let _ = tx.lock().unwrap().send(r.clone());
        })
        .build()
        .unwrap();
    (rt, rx)
}

fn expect_deadlock(reports: &mpsc::Receiver<Report>) -> greenthread::runtime::Snapshot {
    match reports.recv_timeout(Duration::from_secs(10)) {
        Ok(Report::Deadlock { snapshot }) => snapshot,
        Ok(other) => panic!("unexpected report: {other}"),
        Err(_) => panic!("no deadlock report within 10 s"),
    }
}

/// Spawns the classic two-lock deadlock: each green thread holds one lock and wants the other.
fn two_mutex_deadlock(rt: &Runtime) -> Vec<greenthread::JoinHandle<()>> {
    let a = Arc::new(Mutex::new(()));
    let b = Arc::new(Mutex::new(()));
    let both_hold = Arc::new(Barrier::new(2));
    [("left", a.clone(), b.clone()), ("right", b, a)]
        .into_iter()
        .map(|(name, first, second)| {
            let both_hold = both_hold.clone();
            rt.block_on(|| {
                greenthread::Builder::new()
                    .name(name.into())
                    .spawn(move || {
                        let _one = first.lock();
                        both_hold.wait();
                        let _two = second.lock();
                    })
                    .unwrap()
            })
        })
        .collect()
}

#[test]
fn a_two_mutex_deadlock_is_reported_once_with_the_dump() {
    within(60, || {
        let (rt, reports) = watched("dl-a", DeadlockAction::Report);
        let handles = two_mutex_deadlock(&rt);
        let snapshot = expect_deadlock(&reports);
        assert_eq!(snapshot.threads.len(), 2, "{snapshot}");
        for t in &snapshot.threads {
            assert_eq!(
                t.state,
                ThreadState::Parked(WaitReason::Mutex),
                "{snapshot}"
            );
        }
        let text = Report::Deadlock {
            snapshot: snapshot.clone(),
        }
        .to_string();
        assert!(text.contains("deadlock"), "{text}");
        assert!(text.contains("'left' parked: mutex"), "{text}");
        assert!(text.contains("'right' parked: mutex"), "{text}");
        // Said once: nothing more while the deadlock lasts.
        assert!(reports.recv_timeout(Duration::from_millis(1500)).is_err());
        assert_eq!(rt.stats().deadlock_reports, 1);
        drop(rt); // shutdown unwinds both
        for h in handles {
            assert!(h.join().is_err());
        }
    });
}

#[test]
fn a_receiver_whose_only_sender_is_its_own_is_reported() {
    within(60, || {
        let (rt, reports) = watched("dl-b", DeadlockAction::Report);
        let h = rt.block_on(|| {
            greenthread::Builder::new()
                .name("lonely".into())
                .spawn(|| {
                    let (tx, rx) = greenthread::channel::bounded::<u8>(1);
                    let r = rx.recv(); // no one else can ever send
                    drop(tx);
                    r
                })
                .unwrap()
        });
        let snapshot = expect_deadlock(&reports);
        assert_eq!(snapshot.threads.len(), 1);
        assert_eq!(snapshot.threads[0].name.as_deref(), Some("lonely"));
        assert_eq!(
            snapshot.threads[0].state,
            ThreadState::Parked(WaitReason::ChannelRecv)
        );
        drop(rt);
        assert!(h.join().is_err());
    });
}

#[test]
fn waits_the_runtime_can_end_are_not_deadlocks() {
    within(60, || {
        let (rt, reports) = watched("dl-c", DeadlockAction::Report);
        // A timer can end it: the only sender sleeps, then sends.
        let (tx, rx) = greenthread::channel::bounded::<u8>(0);
        let receiver = rt.spawn(move || rx.recv().unwrap());
        let sleeper = rt.spawn(move || {
            greenthread::sleep(Duration::from_millis(1500));
            tx.send(1).unwrap();
        });
        assert!(
            reports.recv_timeout(Duration::from_millis(1300)).is_err(),
            "reported a deadlock a timer can end"
        );
        sleeper.join().unwrap();
        assert_eq!(receiver.join().unwrap(), 1);

        // The reactor can end it: the only sender waits for a connection.
        let listener = rt
            .block_on(|| greenthread::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = greenthread::channel::bounded::<u8>(0);
        let acceptor = rt.spawn(move || {
            let (_conn, _) = listener.accept().unwrap();
            tx.send(2).unwrap();
        });
        let receiver = rt.spawn(move || rx.recv().unwrap());
        assert!(
            reports.recv_timeout(Duration::from_millis(1500)).is_err(),
            "reported a deadlock the reactor can end"
        );
        let _client = std::net::TcpStream::connect(addr).unwrap();
        acceptor.join().unwrap();
        assert_eq!(receiver.join().unwrap(), 2);

        // The blocking pool can end it: the only sender waits for `unblock`.
        let (tx, rx) = greenthread::channel::bounded::<u8>(0);
        let (gate_tx, gate_rx) = std::sync::mpsc::channel::<()>();
        let pooled = rt.spawn(move || {
            let _ = greenthread::unblock(move || gate_rx.recv_timeout(Duration::from_secs(30)));
            tx.send(3).unwrap();
        });
        let receiver = rt.spawn(move || rx.recv().unwrap());
        assert!(
            reports.recv_timeout(Duration::from_millis(1500)).is_err(),
            "reported a deadlock the blocking pool can end"
        );
        gate_tx.send(()).unwrap();
        pooled.join().unwrap();
        assert_eq!(receiver.join().unwrap(), 3);
        assert_eq!(rt.stats().deadlock_reports, 0);
    });
}

#[test]
fn ignore_says_nothing_and_a_report_does_not_stop_the_runtime() {
    within(60, || {
        let (rt, reports) = watched("dl-d", DeadlockAction::Ignore);
        let handles = two_mutex_deadlock(&rt);
        assert!(reports.recv_timeout(Duration::from_millis(1500)).is_err());
        drop(rt);
        handles.into_iter().for_each(|h| assert!(h.join().is_err()));

        // Report mode: an OS thread holding the sender is invisible to the check, so this
        // is reported; the green thread still gets its message afterwards.
        let (rt, reports) = watched("dl-e", DeadlockAction::Report);
        let (tx, rx) = greenthread::channel::bounded::<u32>(0);
        let h = rt.spawn(move || rx.recv().unwrap());
        expect_deadlock(&reports);
        tx.send(5).unwrap();
        assert_eq!(h.join().unwrap(), 5);
        // A new quiet spell after activity can be reported again.
        let (tx, rx) = greenthread::channel::bounded::<u32>(0);
        let h = rt.spawn(move || rx.recv().unwrap());
        expect_deadlock(&reports);
        tx.send(6).unwrap();
        assert_eq!(h.join().unwrap(), 6);
    });
}

#[test]
fn panic_mode_unwinds_the_deadlocked_green_threads() {
    within(60, || {
        let (rt, reports) = watched("dl-f", DeadlockAction::Panic);
        let handles = two_mutex_deadlock(&rt);
        expect_deadlock(&reports);
        for h in handles {
            let payload = h.join().unwrap_err();
            assert_eq!(
                payload.downcast_ref::<greenthread::Cancelled>(),
                Some(&greenthread::Cancelled::Deadlock)
            );
        }
        // Their guards were released by the unwind: the runtime goes on.
        assert_eq!(rt.spawn(|| 1).join().unwrap(), 1);

        // `block_on` resumes the payload in the caller.
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(|| {
                let (_tx, rx) = greenthread::channel::bounded::<()>(0);
                let _ = rx.recv();
            })
        }));
        let payload = caught.unwrap_err();
        assert_eq!(
            payload.downcast_ref::<greenthread::Cancelled>(),
            Some(&greenthread::Cancelled::Deadlock)
        );
        expect_deadlock(&reports);
        assert_eq!(rt.stats().deadlock_reports, 2);
    });
}
