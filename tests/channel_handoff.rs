//! A message handed to a receiver that is already blocked: small messages go into the
//! receiver's waiter (its mailbox), large ones through the channel's stash. Both paths, with
//! plain sends, selected sends, and selected sends that are dropped, lose and duplicate
//! nothing (every message is counted, and so is every drop).

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use greenthread::channel::{Receiver, Select, bounded, unbounded};
use greenthread::runtime::WaitReason;
use support::{CountDrop, within};

/// A message that fits a waiter's mailbox (one pointer and a number).
struct Small {
    n: u64,
    _drop: CountDrop,
}

/// A message too large for the mailbox: it takes the stash.
struct Large {
    n: u64,
    _pad: [u64; 8],
    _drop: CountDrop,
}

trait Msg: Send + 'static {
    fn new(n: u64, drops: &Arc<AtomicUsize>) -> Self;
    fn n(&self) -> u64;
}

impl Msg for Small {
    fn new(n: u64, drops: &Arc<AtomicUsize>) -> Self {
        Small {
            n,
            _drop: CountDrop(drops.clone()),
        }
    }
    fn n(&self) -> u64 {
        self.n
    }
}

impl Msg for Large {
    fn new(n: u64, drops: &Arc<AtomicUsize>) -> Self {
        Large {
            n,
            _pad: [n; 8],
            _drop: CountDrop(drops.clone()),
        }
    }
    fn n(&self) -> u64 {
        self.n
    }
}

/// Waits until the green thread named `name` is parked in a channel receive.
fn until_blocked_in_recv(rt: &greenthread::Runtime, name: &str) {
    support::until_parked(rt, name, WaitReason::ChannelRecv);
}

fn spawn_receiver<M: Msg>(
    rt: &greenthread::Runtime,
    rx: Receiver<M>,
    count: usize,
) -> greenthread::JoinHandle<Vec<u64>> {
    let b = greenthread::Builder::new().name("receiver".into());
    rt.block_on(|| {
        b.spawn(move || (0..count).map(|_| rx.recv().unwrap().n()).collect())
            .unwrap()
    })
}

/// A plain send to a receiver that is parked first: the message arrives once, and is
/// dropped once (by the receiver).
fn plain_send_to_blocked_receiver<M: Msg>() {
    let rt = support::rt();
    let drops = Arc::new(AtomicUsize::new(0));
    for cap in [Some(0), Some(4), None] {
        let (tx, rx) = match cap {
            Some(c) => bounded::<M>(c),
            None => unbounded::<M>(),
        };
        let h = spawn_receiver(&rt, rx, 3);
        for n in 0..3 {
            until_blocked_in_recv(&rt, "receiver");
            tx.send(M::new(n, &drops)).unwrap();
        }
        assert_eq!(h.join().unwrap(), vec![0, 1, 2]);
    }
    assert_eq!(drops.load(Ordering::SeqCst), 9);
}

#[test]
fn a_small_message_reaches_a_parked_receiver_once() {
    within(60, plain_send_to_blocked_receiver::<Small>);
}

#[test]
fn a_large_message_reaches_a_parked_receiver_once() {
    within(60, plain_send_to_blocked_receiver::<Large>);
}

/// A select chooses the parked receiver when it becomes ready and completes the send later.
fn selected_send_to_blocked_receiver<M: Msg>() {
    let rt = support::rt();
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = bounded::<M>(0);
    let h = spawn_receiver(&rt, rx, 2);
    for n in 0..2 {
        until_blocked_in_recv(&rt, "receiver");
        let msg = M::new(n, &drops);
        greenthread::channel::select! {
            send(tx, msg) -> r => r.unwrap(),
        }
    }
    assert_eq!(h.join().unwrap(), vec![0, 1]);
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}

#[test]
fn a_selected_small_send_reaches_a_parked_receiver() {
    within(60, selected_send_to_blocked_receiver::<Small>);
}

#[test]
fn a_selected_large_send_reaches_a_parked_receiver() {
    within(60, selected_send_to_blocked_receiver::<Large>);
}

/// A select reserves the parked receiver, then its operation is dropped unfinished: the
/// receiver looks again and takes the next message sent normally.
fn dropped_selected_send_releases_the_receiver<M: Msg>() {
    let rt = support::rt();
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = bounded::<M>(0);
    let h = spawn_receiver(&rt, rx, 1);
    until_blocked_in_recv(&rt, "receiver");
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut sel = Select::new();
        sel.send(&tx);
        let op = sel.select();
        drop(op); // panics: the operation was not completed
    }));
    assert!(dropped.is_err(), "dropping a selected operation panics");
    until_blocked_in_recv(&rt, "receiver");
    tx.send(M::new(7, &drops)).unwrap();
    assert_eq!(h.join().unwrap(), vec![7]);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn a_dropped_selected_small_send_lets_the_receiver_look_again() {
    within(60, dropped_selected_send_releases_the_receiver::<Small>);
}

#[test]
fn a_dropped_selected_large_send_lets_the_receiver_look_again() {
    within(60, dropped_selected_send_releases_the_receiver::<Large>);
}

/// Many green threads on both sides of a rendezvous, for many rounds: every message is
/// received exactly once and dropped exactly once, whichever side blocks first.
fn many_to_many<M: Msg>() {
    let rt = support::rt();
    let drops = Arc::new(AtomicUsize::new(0));
    const SIDES: u64 = 8;
    const EACH: u64 = 2_000;
    let total = rt.block_on(|| {
        let (tx, rx) = bounded::<M>(0);
        let senders: Vec<_> = (0..SIDES)
            .map(|s| {
                let (tx, drops) = (tx.clone(), drops.clone());
                greenthread::spawn(move || {
                    for i in 0..EACH {
                        tx.send(M::new(s * EACH + i, &drops)).unwrap();
                    }
                })
            })
            .collect();
        drop(tx);
        let receivers: Vec<_> = (0..SIDES)
            .map(|_| {
                let rx = rx.clone();
                greenthread::spawn(move || rx.iter().map(|m| m.n()).collect::<Vec<_>>())
            })
            .collect();
        senders.into_iter().for_each(|h| h.join().unwrap());
        let mut all: Vec<u64> = receivers
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        all.sort_unstable();
        all
    });
    assert_eq!(total, (0..SIDES * EACH).collect::<Vec<_>>());
    assert_eq!(drops.load(Ordering::SeqCst), (SIDES * EACH) as usize);
}

#[test]
fn many_small_messages_between_many_green_threads_arrive_once() {
    within(120, many_to_many::<Small>);
}

#[test]
fn many_large_messages_between_many_green_threads_arrive_once() {
    within(120, many_to_many::<Large>);
}

/// A receiver on a plain OS thread is handed messages by green threads, and the reverse.
#[test]
fn handoff_between_os_threads_and_green_threads() {
    within(60, || {
        let rt = support::rt();
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = bounded::<Small>(0);
        let d = drops.clone();
        let h = rt.spawn(move || {
            for n in 0..1_000 {
                tx.send(Small::new(n, &d)).unwrap();
            }
        });
        let got: Vec<u64> = rx.iter().map(|m| m.n()).collect();
        h.join().unwrap();
        assert_eq!(got, (0..1_000).collect::<Vec<_>>());

        let (tx, rx) = bounded::<Small>(0);
        let h = rt.spawn(move || rx.iter().map(|m| m.n()).collect::<Vec<_>>());
        for n in 0..1_000 {
            tx.send(Small::new(n, &drops)).unwrap();
        }
        drop(tx);
        assert_eq!(h.join().unwrap(), (0..1_000).collect::<Vec<_>>());
        assert_eq!(drops.load(Ordering::SeqCst), 2_000);
    });
}
