//! `channel::oneshot`: one message, from either kind of thread to either kind, every value
//! delivered or dropped exactly once, whichever side comes first or leaves early.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use greenthread::channel::{RecvError, RecvTimeoutError, SendError, TryRecvError, oneshot};
use greenthread::runtime::WaitReason;
use support::{CountDrop, within};

fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

fn drops(c: &Arc<AtomicUsize>) -> usize {
    c.load(Ordering::SeqCst)
}

/// Waits until the green thread named `name` is parked in a channel receive.
fn until_blocked_in_recv(rt: &greenthread::Runtime, name: &str) {
    support::until_parked(rt, name, WaitReason::ChannelRecv);
}

/// Spawns `f` as the green thread "waiter" and returns once it is parked in a receive.
fn spawn_waiter<T: Send + 'static>(
    rt: &greenthread::Runtime,
    f: impl FnOnce() -> T + Send + 'static,
) -> greenthread::JoinHandle<T> {
    let b = greenthread::Builder::new().name("waiter".into());
    let h = rt.block_on(|| b.spawn(f).unwrap());
    until_blocked_in_recv(rt, "waiter");
    h
}

#[test]
fn a_message_sent_first_is_received_and_dropped_once() {
    let c = counter();
    let (tx, rx) = oneshot::channel();
    tx.send(CountDrop(c.clone())).unwrap();
    let m = rx.recv().unwrap();
    assert_eq!(drops(&c), 0);
    drop(m);
    assert_eq!(drops(&c), 1);
}

#[test]
fn a_parked_green_receiver_is_woken_by_the_send() {
    within(60, || {
        let rt = support::rt();
        let (tx, rx) = oneshot::channel::<u64>();
        let h = spawn_waiter(&rt, move || rx.recv());
        tx.send(42).unwrap();
        assert_eq!(h.join().unwrap(), Ok(42));
    });
}

#[test]
fn a_dropped_sender_wakes_a_parked_receiver_with_an_error() {
    within(60, || {
        let rt = support::rt();
        let (tx, rx) = oneshot::channel::<u64>();
        let h = spawn_waiter(&rt, move || rx.recv());
        drop(tx);
        assert_eq!(h.join().unwrap(), Err(RecvError));
    });
}

#[test]
fn an_os_thread_receives_from_a_green_thread_and_the_reverse() {
    within(60, || {
        let rt = support::rt();
        for _ in 0..200 {
            let (tx, rx) = oneshot::channel();
            let h = rt.spawn(move || tx.send(String::from("to the OS thread")).unwrap());
            assert_eq!(rx.recv().unwrap(), "to the OS thread");
            h.join().unwrap();

            let (tx, rx) = oneshot::channel();
            let h = rt.spawn(move || rx.recv());
            tx.send(vec![1, 2, 3]).unwrap();
            assert_eq!(h.join().unwrap(), Ok(vec![1, 2, 3]));
        }
    });
}

#[test]
fn a_send_to_a_dropped_receiver_hands_the_message_back() {
    let c = counter();
    let (tx, rx) = oneshot::channel();
    assert!(!tx.is_closed());
    drop(rx);
    assert!(tx.is_closed());
    let Err(SendError(m)) = tx.send(CountDrop(c.clone())) else {
        panic!("the receiver is gone")
    };
    assert_eq!(drops(&c), 0, "handed back, not dropped");
    drop(m);
    assert_eq!(drops(&c), 1);
}

#[test]
fn a_message_never_received_is_dropped_with_the_channel() {
    let c = counter();
    let (tx, rx) = oneshot::channel();
    tx.send(CountDrop(c.clone())).unwrap();
    assert_eq!(drops(&c), 0);
    drop(rx);
    assert_eq!(drops(&c), 1);
}

#[test]
fn try_recv_reports_empty_then_the_message_then_disconnected() {
    let (tx, rx) = oneshot::channel();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.send(3).unwrap();
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    assert_eq!(
        rx.recv_timeout(Duration::from_millis(1)),
        Err(RecvTimeoutError::Disconnected)
    );

    let (tx, rx) = oneshot::channel::<u8>();
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
fn a_timed_out_receiver_can_wait_again_on_another_thread() {
    within(60, || {
        let rt = support::rt();
        let (tx, rx) = oneshot::channel::<u32>();
        // Times out on a green thread, then waits again on this OS thread.
        let rx = rt
            .spawn(move || {
                assert_eq!(
                    rx.recv_timeout(Duration::from_millis(5)),
                    Err(RecvTimeoutError::Timeout)
                );
                rx
            })
            .join()
            .unwrap();
        let h = rt.spawn(move || {
            greenthread::sleep(Duration::from_millis(5));
            tx.send(9).unwrap();
        });
        assert_eq!(rx.recv_timeout(Duration::from_secs(20)), Ok(9));
        h.join().unwrap();
    });
}

#[test]
fn a_cancelled_receiver_leaves_the_sender_its_message() {
    within(60, || {
        let rt = support::rt();
        let c = counter();
        let (tx, rx) = oneshot::channel::<CountDrop>();
        let h = spawn_waiter(&rt, move || rx.recv().map(drop));
        h.cancel();
        assert!(h.join().is_err(), "the receive was cancelled");
        let Err(SendError(m)) = tx.send(CountDrop(c.clone())) else {
            panic!("the receiver is gone with its green thread")
        };
        drop(m);
        assert_eq!(drops(&c), 1);
    });
}

/// Sender and receiver race from different threads, thousands of times, with every mix of
/// thread kinds and every way to end: each message is received once or dropped once.
#[test]
fn racing_sends_receives_and_drops_lose_and_duplicate_nothing() {
    within(120, || {
        let rt = support::rt();
        let c = counter();
        let mut received = 0usize;
        const ROUNDS: usize = 4_000;
        for round in 0..ROUNDS {
            let (tx, rx) = oneshot::channel::<CountDrop>();
            let value = CountDrop(c.clone());
            let sender = move || {
                // A send that fails hands the message back, dropped here.
                let _ = tx.send(value);
            };
            let receiver = move || match round % 3 {
                0 => rx.recv().is_ok(),
                1 => rx
                    .recv_timeout(Duration::from_micros(round as u64 % 50))
                    .is_ok(),
                _ => rx.try_recv().is_ok(),
            };
            let got = match round % 4 {
                0 => {
                    let s = rt.spawn(sender);
                    let r = rt.spawn(receiver);
                    s.join().unwrap();
                    r.join().unwrap()
                }
                1 => {
                    let r = rt.spawn(receiver);
                    sender();
                    r.join().unwrap()
                }
                2 => {
                    let s = rt.spawn(sender);
                    let got = receiver();
                    s.join().unwrap();
                    got
                }
                _ => {
                    let s = std::thread::spawn(sender);
                    let got = rt.spawn(receiver).join().unwrap();
                    s.join().unwrap();
                    got
                }
            };
            if got {
                received += 1;
            }
        }
        assert_eq!(drops(&c), ROUNDS, "every message dropped exactly once");
        // The blocking receives always get theirs.
        assert!(received >= ROUNDS / 3, "received {received}");
    });
}
