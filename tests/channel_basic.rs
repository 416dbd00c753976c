//! Channel semantics: errors hand messages back, capacity, disconnection, timeouts, OS <->
//! green in both directions, iterators.

mod support;

use std::time::{Duration, Instant};

use greenthread::channel::{
    RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError, bounded,
    unbounded,
};
use support::{rt, watchdog};

#[test]
fn bounded_capacity_and_errors() {
    let (tx, rx) = bounded(2);
    assert_eq!(tx.capacity(), Some(2));
    assert!(tx.is_empty());
    tx.send(1).unwrap();
    tx.try_send(2).unwrap();
    assert!(tx.is_full() && rx.is_full());
    assert_eq!(rx.len(), 2);
    assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
    assert_eq!(tx.try_send(3).unwrap_err().into_inner(), 3);
    assert_eq!(
        tx.send_timeout(4, Duration::from_millis(5)),
        Err(SendTimeoutError::Timeout(4))
    );
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    drop(rx);
    assert_eq!(tx.send(5), Err(SendError(5)));
    assert_eq!(tx.try_send(6), Err(TrySendError::Disconnected(6)));
    assert_eq!(
        tx.send_timeout(7, Duration::from_secs(1)),
        Err(SendTimeoutError::Disconnected(7))
    );
}

#[test]
fn receivers_drain_before_disconnect() {
    let (tx, rx) = unbounded();
    assert_eq!(tx.capacity(), None);
    assert!(!tx.is_full());
    for i in 0..10 {
        tx.send(i).unwrap();
    }
    let tx2 = tx.clone();
    drop(tx);
    assert_eq!(rx.try_recv(), Ok(0));
    drop(tx2);
    assert_eq!(rx.iter().collect::<Vec<_>>(), (1..10).collect::<Vec<_>>());
    assert_eq!(rx.recv(), Err(RecvError));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(1)),
        Err(RecvTimeoutError::Disconnected)
    );
}

#[test]
fn zero_capacity_is_a_rendezvous() {
    watchdog(30, "rendezvous", || {
        let rt = rt();
        let (tx, rx) = bounded::<i32>(0);
        assert!(tx.is_full() && tx.is_empty());
        assert_eq!(tx.try_send(1), Err(TrySendError::Full(1)));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        let h = rt.spawn(move || {
            tx.send(1).unwrap(); // completes only once the receiver took it
            tx.send(2).unwrap();
            tx
        });
        assert_eq!(rx.recv(), Ok(1));
        assert_eq!(rx.recv(), Ok(2));
        let tx = h.join().unwrap();
        // A blocked receiver makes try_send succeed.
        let h = rt.spawn(move || rx.recv());
        let start = Instant::now();
        loop {
            match tx.try_send(3) {
                Ok(()) => break,
                Err(TrySendError::Full(_)) => {
                    assert!(start.elapsed() < Duration::from_secs(10));
                    std::thread::yield_now();
                }
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(h.join().unwrap(), Ok(3));
    });
}

#[test]
fn blocked_receiver_sees_disconnect() {
    watchdog(30, "blocked_receiver_disconnect", || {
        let rt = rt();
        for cap in [None, Some(0), Some(1)] {
            let (tx, rx) = match cap {
                None => unbounded::<()>(),
                Some(c) => bounded(c),
            };
            let h = rt.spawn(move || rx.recv());
            greenthread::sleep(Duration::from_millis(2));
            drop(tx);
            assert_eq!(h.join().unwrap(), Err(RecvError));
        }
    });
}

#[test]
fn blocked_sender_sees_disconnect_and_gets_message_back() {
    watchdog(30, "blocked_sender_disconnect", || {
        let rt = rt();
        for cap in [0, 1] {
            let (tx, rx) = bounded::<String>(cap);
            if cap == 1 {
                tx.send("fill".into()).unwrap();
            }
            let h = rt.spawn(move || tx.send("hello".into()));
            greenthread::sleep(Duration::from_millis(2));
            drop(rx);
            assert_eq!(h.join().unwrap(), Err(SendError("hello".to_string())));
        }
    });
}

#[test]
fn timeouts() {
    watchdog(30, "timeouts", || {
        let rt = rt();
        let (tx, rx) = bounded::<i32>(0);
        let start = Instant::now();
        let r = rt.block_on(|| rx.recv_timeout(Duration::from_millis(20)));
        assert_eq!(r, Err(RecvTimeoutError::Timeout));
        assert!(start.elapsed() >= Duration::from_millis(20));
        let r = rt.block_on(|| tx.send_timeout(9, Duration::from_millis(20)));
        assert_eq!(r, Err(SendTimeoutError::Timeout(9)));
        // The channel still works after timed-out waiters left.
        let h = rt.spawn(move || rx.recv_timeout(Duration::from_secs(10)));
        tx.send(5).unwrap();
        assert_eq!(h.join().unwrap(), Ok(5));
    });
}

#[test]
fn os_to_green_and_green_to_os() {
    watchdog(60, "os_green_both_ways", || {
        let rt = rt();
        for cap in [None, Some(0), Some(1), Some(16)] {
            let mk = || match cap {
                None => unbounded::<u64>(),
                Some(c) => bounded(c),
            };
            let (to_green, green_rx) = mk();
            let (green_tx, from_green) = mk();
            let echo = rt.spawn(move || {
                for v in green_rx.iter() {
                    green_tx.send(v * 2).unwrap();
                }
            });
            let os_sender = std::thread::spawn(move || {
                for i in 0..2_000 {
                    to_green.send(i).unwrap();
                }
            });
            let mut sum = 0;
            for _ in 0..2_000 {
                sum += from_green.recv().unwrap();
            }
            assert_eq!(sum, 2 * (0..2_000).sum::<u64>(), "cap {cap:?}");
            os_sender.join().unwrap();
            echo.join().unwrap();
            assert_eq!(from_green.recv(), Err(RecvError));
        }
    });
}

#[test]
fn try_iter_and_into_iter() {
    let (tx, rx) = unbounded();
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(rx.try_iter().count(), 0);
    tx.send(3).unwrap();
    drop(tx);
    assert_eq!(rx.into_iter().collect::<Vec<_>>(), vec![3]);
}

#[test]
fn error_display_and_debug() {
    assert_eq!(format!("{:?}", SendError(1)), "SendError { .. }");
    assert_eq!(
        TrySendError::Full(()).to_string(),
        "sending on a full channel"
    );
    assert!(RecvTimeoutError::Timeout.is_timeout());
    assert!(TryRecvError::Disconnected.is_disconnected());
    let e: Box<dyn std::error::Error> = Box::new(SendError(()));
    assert_eq!(e.to_string(), "sending on a disconnected channel");
}

#[test]
fn runtime_shutdown_unwinds_blocked_channel_ops_cleanly() {
    // Green threads parked in recv and in send are unwound when their runtime is dropped;
    // their queue entries must go with them, so the channel keeps working between OS
    // threads (a stale entry would swallow the next message).
    watchdog(30, "shutdown_unwinds_channel_ops", || {
        let (tx, rx) = bounded::<i32>(0);
        {
            let rt = rt();
            let rx2 = rx.clone();
            let _r = rt.spawn(move || rx2.recv());
            let tx2 = tx.clone();
            let _s = rt.spawn(move || tx2.send(99));
            // Give them time to block (not a synchronisation point: the test's assertions
            // hold whether or not they got to block).
            std::thread::sleep(Duration::from_millis(20));
        }
        // The two green threads may have met each other before the drop; either way no
        // entry of theirs is left to pair with.
        let h = std::thread::spawn(move || tx.send(1));
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(1));
        h.join().unwrap().unwrap();
    });
}
