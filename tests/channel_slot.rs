//! The channel's slot: one blocked plain `send` or `recv` (of a message that fits the 32-byte
//! mailbox) waits in one atomic word, where its counterpart takes it out without the
//! channel's lock; on a quiet rendezvous channel it even parks there without the lock.
//!
//! What these tests prove, for messages that carry a drop counter (and for plain `u64`s):
//! a timeout in the slot hands the very message back, and the channel works on; the last
//! sender or receiver leaving tells the operation waiting there (a send gets its message
//! back); a second operation of the same direction queues behind the slot (first come,
//! first served); a green thread cancelled while it waits there drops its message exactly
//! once (or, for a receive, loses no later one); selects and plain operations meet through
//! the slot in both directions; and racing timeouts, cancellations and many producers and
//! consumers, on green threads and OS threads, deliver every message exactly once or hand
//! it back exactly once.
//!
//! A thread is known to wait (in the slot, or queued behind it) by `until_parked`, never by
//! sleeping; only the stress tests leave the interleaving to chance.

mod support;

use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use greenthread::channel::{
    Receiver, RecvError, RecvTimeoutError, Select, SendTimeoutError, Sender, TryRecvError, bounded,
    select, unbounded,
};
use greenthread::runtime::{ThreadState, WaitReason};
use greenthread::{Cancelled, JoinHandle, Runtime};
use support::{CountDrop, until_parked, within};

/// A message that fits the mailbox (a number and a pointer), counting its drops.
struct Msg {
    n: u64,
    _drop: CountDrop,
}

const _: () = assert!(size_of::<Msg>() <= 32 && align_of::<Msg>() <= 8);

impl fmt::Debug for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Msg({})", self.n)
    }
}

/// What the generic tests send: [`Msg`] (whose drops are counted) or a plain `u64`.
trait Val: Send + fmt::Debug + 'static {
    /// Drops counted per message: 1 for [`Msg`], 0 for `u64`.
    const DROPS: usize;
    fn make(n: u64, drops: &Arc<AtomicUsize>) -> Self;
    fn n(&self) -> u64;
}

impl Val for Msg {
    const DROPS: usize = 1;
    fn make(n: u64, drops: &Arc<AtomicUsize>) -> Self {
        Msg {
            n,
            _drop: CountDrop(drops.clone()),
        }
    }
    fn n(&self) -> u64 {
        self.n
    }
}

impl Val for u64 {
    const DROPS: usize = 0;
    fn make(n: u64, _: &Arc<AtomicUsize>) -> Self {
        n
    }
    fn n(&self) -> u64 {
        *self
    }
}

fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

fn count(drops: &AtomicUsize) -> usize {
    drops.load(Ordering::SeqCst)
}

fn msg(n: u64, drops: &Arc<AtomicUsize>) -> Msg {
    Msg::make(n, drops)
}

fn rt(workers: usize) -> Runtime {
    Runtime::builder().workers(workers).build().unwrap()
}

/// `None`: unbounded.
fn chan<T>(cap: Option<usize>) -> (Sender<T>, Receiver<T>) {
    match cap {
        Some(c) => bounded(c),
        None => unbounded(),
    }
}

/// Spawns a green thread named `name` on `rt` (so `until_parked` can find it).
fn spawn_named<T: Send + 'static>(
    rt: &Runtime,
    name: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> JoinHandle<T> {
    let b = greenthread::Builder::new().name(name.to_string());
    rt.block_on(move || b.spawn(f).unwrap())
}

/// Whether the green thread named `name` is parked on `reason` right now.
fn is_parked(rt: &Runtime, name: &str, reason: WaitReason) -> bool {
    rt.snapshot()
        .threads
        .iter()
        .any(|t| t.name.as_deref() == Some(name) && t.state == ThreadState::Parked(reason))
}

/// Cancels `h` and checks that it unwound with `Cancelled::Requested`.
fn cancel_and_check<T>(h: JoinHandle<T>) {
    h.cancel();
    let payload: Box<dyn Any + Send> = h.join().err().expect("a cancelled thread returns Err");
    assert_eq!(
        payload.downcast_ref::<Cancelled>(),
        Some(&Cancelled::Requested),
        "the payload is Cancelled::Requested"
    );
}

/// Which kind of thread runs one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Green,
    Os,
}

/// A green or an OS thread's handle.
enum Handle<T> {
    Green(JoinHandle<T>),
    Os(std::thread::JoinHandle<T>),
}

impl<T> Handle<T> {
    fn join(self) -> T {
        match self {
            Handle::Green(h) => h.join().unwrap(),
            Handle::Os(h) => h.join().unwrap(),
        }
    }
}

fn start<T: Send + 'static>(
    rt: &Runtime,
    side: Side,
    f: impl FnOnce() -> T + Send + 'static,
) -> Handle<T> {
    match side {
        Side::Green => Handle::Green(rt.spawn(f)),
        Side::Os => Handle::Os(std::thread::spawn(f)),
    }
}

/// Runs `f` on a thread of kind `side` and waits for it.
fn run_on<T: Send + 'static>(
    rt: &Runtime,
    side: Side,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    start(rt, side, f).join()
}

// ---------------------------------------------------------------------------------------
// 1, 2. Timeouts in the slot.
// ---------------------------------------------------------------------------------------

/// `send_timeout` on a rendezvous channel without a receiver (it waits in the slot) times
/// out with the very message, dropped once by whoever gets it back; a send and receive on
/// the same channel work afterwards.
fn send_timeout_returns_the_message<M: Val>() {
    let rt = rt(2);
    let drops = counter();
    for side in [Side::Green, Side::Os] {
        let (tx, rx) = bounded::<M>(0);
        let base = count(&drops);
        let d = drops.clone();
        let (tx, back) = run_on(&rt, side, move || {
            let t = Duration::from_millis(10);
            let start = Instant::now();
            let r = tx.send_timeout(M::make(7, &d), t);
            assert!(
                start.elapsed() >= t,
                "{side:?}: returned before the timeout"
            );
            let err = r.expect_err("no receiver: the send times out");
            assert!(err.is_timeout(), "{side:?}: {err:?}");
            (tx, err.into_inner())
        });
        assert_eq!(back.n(), 7);
        assert_eq!(
            count(&drops),
            base,
            "{side:?}: the message handed back is alive"
        );
        drop(back);
        assert_eq!(count(&drops), base + M::DROPS, "{side:?}: dropped once");
        // A try_send finds no receiver either: the timed-out send left the slot empty.
        let again = tx.try_send(M::make(8, &drops)).unwrap_err();
        assert!(again.is_full());
        drop(again);
        // The channel works on: a receiver parked in the slot gets the next message.
        let h = spawn_named(&rt, "rx", move || rx.recv().map(|m| m.n()));
        until_parked(&rt, "rx", WaitReason::ChannelRecv);
        let d = drops.clone();
        run_on(&rt, side, move || tx.send(M::make(9, &d)).unwrap());
        assert_eq!(h.join().unwrap(), Ok(9));
    }
    assert_eq!(count(&drops), 6 * M::DROPS);
}

#[test]
fn a_rendezvous_send_timeout_hands_back_the_very_message() {
    within(30, send_timeout_returns_the_message::<Msg>);
}

#[test]
fn a_rendezvous_send_timeout_hands_back_the_very_u64() {
    within(30, send_timeout_returns_the_message::<u64>);
}

/// `recv_timeout` on a rendezvous channel without a sender times out (from a green thread
/// and from an OS thread), and takes nothing with it: the next message goes to the next
/// receiver.
#[test]
fn a_rendezvous_recv_timeout_times_out_and_the_next_receiver_gets_the_message() {
    within(30, || {
        let rt = rt(2);
        let drops = counter();
        for side in [Side::Green, Side::Os] {
            let (tx, rx) = bounded::<Msg>(0);
            let rx = run_on(&rt, side, move || {
                let t = Duration::from_millis(10);
                let start = Instant::now();
                assert_eq!(rx.recv_timeout(t).unwrap_err(), RecvTimeoutError::Timeout);
                assert!(
                    start.elapsed() >= t,
                    "{side:?}: returned before the timeout"
                );
                rx
            });
            assert_eq!(rx.try_recv().unwrap_err(), TryRecvError::Empty);
            let h = spawn_named(&rt, "next", move || rx.recv().map(|m| m.n));
            until_parked(&rt, "next", WaitReason::ChannelRecv);
            let d = drops.clone();
            run_on(&rt, side, move || tx.send(msg(1, &d)).unwrap());
            assert_eq!(h.join().unwrap(), Ok(1));
        }
        assert_eq!(count(&drops), 2);
    });
}

/// A receive that times out in the slot while a second one is queued behind it: the
/// message sent afterwards goes to the queued one, not to the receive that left.
#[test]
fn a_receive_timing_out_in_the_slot_leaves_the_message_to_the_one_queued_behind() {
    within(30, || {
        let rt = rt(2);
        let drops = counter();
        for cap in [Some(0), Some(1), None] {
            let (tx, rx) = chan::<Msg>(cap);
            let rx2 = rx.clone();
            // Long enough to be seen parked even on a loaded machine.
            let first = spawn_named(&rt, "first", move || {
                rx2.recv_timeout(Duration::from_millis(250)).map(|m| m.n)
            });
            until_parked(&rt, "first", WaitReason::ChannelRecv);
            let second = spawn_named(&rt, "second", move || rx.recv().map(|m| m.n));
            until_parked(&rt, "second", WaitReason::ChannelRecv);
            assert_eq!(first.join().unwrap(), Err(RecvTimeoutError::Timeout));
            tx.send(msg(5, &drops)).unwrap();
            assert_eq!(second.join().unwrap(), Ok(5), "cap {cap:?}");
        }
        assert_eq!(count(&drops), 3);
    });
}

// ---------------------------------------------------------------------------------------
// 3, 4. Disconnection tells the operation in the slot.
// ---------------------------------------------------------------------------------------

/// A receive parked in the slot stays parked while a sender that is not the last leaves,
/// and gets `RecvError` (or `Disconnected`) when the last sender leaves, dropped from an
/// OS thread or from a green thread.
#[test]
fn a_receive_parked_in_the_slot_sees_the_last_sender_leave() {
    within(30, || {
        let rt = rt(2);
        for cap in [Some(0), Some(1), None] {
            for (timed, dropper) in [(false, Side::Os), (true, Side::Green)] {
                let (tx, rx) = chan::<Msg>(cap);
                let h = spawn_named(&rt, "rx", move || {
                    if timed {
                        rx.recv_timeout(Duration::from_secs(60)).map(|m| m.n)
                    } else {
                        rx.recv()
                            .map(|m| m.n)
                            .map_err(|RecvError| RecvTimeoutError::Disconnected)
                    }
                });
                until_parked(&rt, "rx", WaitReason::ChannelRecv);
                drop(tx.clone()); // not the last one
                assert!(
                    !h.is_finished(),
                    "cap {cap:?}: woken by a sender that is not the last"
                );
                assert!(is_parked(&rt, "rx", WaitReason::ChannelRecv));
                run_on(&rt, dropper, move || drop(tx));
                assert_eq!(
                    h.join().unwrap(),
                    Err(RecvTimeoutError::Disconnected),
                    "cap {cap:?}, timed {timed}, dropped on {dropper:?}"
                );
            }
        }
    });
}

/// The same with a `u64` channel and a receive from an OS thread (which may or may not
/// have parked before the sender leaves: the outcome is the same).
#[test]
fn an_os_receive_sees_the_last_sender_leave() {
    within(30, || {
        for cap in [Some(0), Some(1), None] {
            for _ in 0..50 {
                let (tx, rx) = chan::<u64>(cap);
                let h = std::thread::spawn(move || rx.recv());
                drop(tx);
                assert_eq!(h.join().unwrap(), Err(RecvError), "cap {cap:?}");
            }
        }
    });
}

/// A send parked in the slot (of a rendezvous channel, or of a full `bounded(1)`) gets its
/// message back in the error when the last receiver leaves; the message is dropped once.
#[test]
fn a_send_parked_in_the_slot_gets_its_message_back_when_the_last_receiver_leaves() {
    within(30, || {
        let rt = rt(2);
        let drops = counter();
        let mut sent = 0;
        for cap in [0, 1] {
            for (timed, dropper) in [(false, Side::Os), (true, Side::Green)] {
                let (tx, rx) = bounded::<Msg>(cap);
                if cap == 1 {
                    tx.send(msg(0, &drops)).unwrap();
                    sent += 1;
                }
                let m = msg(1, &drops);
                sent += 1;
                let h = spawn_named(&rt, "tx", move || {
                    let back = if timed {
                        let e = tx.send_timeout(m, Duration::from_secs(60)).unwrap_err();
                        assert!(e.is_disconnected(), "{e:?}");
                        e.into_inner()
                    } else {
                        tx.send(m).unwrap_err().into_inner()
                    };
                    (back, tx)
                });
                until_parked(&rt, "tx", WaitReason::ChannelSend);
                drop(rx.clone()); // not the last one
                assert!(
                    !h.is_finished(),
                    "cap {cap}: woken by a receiver that is not the last"
                );
                run_on(&rt, dropper, move || drop(rx));
                let (back, tx) = h.join().unwrap();
                assert_eq!(
                    back.n, 1,
                    "cap {cap}, timed {timed}, dropped on {dropper:?}"
                );
                let before = count(&drops);
                drop(back);
                assert_eq!(count(&drops), before + 1);
                // Disconnected for good: a new send fails at once, with its message.
                let e = tx.send(msg(2, &drops)).unwrap_err();
                sent += 1;
                assert_eq!(e.into_inner().n, 2);
            }
        }
        assert_eq!(count(&drops), sent);
    });
}

// ---------------------------------------------------------------------------------------
// 5. First come, first served: the slot holds the oldest.
// ---------------------------------------------------------------------------------------

/// Receiver A parks (in the slot), then receiver B (queued behind it): two sends reach A
/// then B, sent from an OS thread or from a green thread.
#[test]
fn receivers_are_served_in_the_order_they_parked() {
    within(30, || {
        let rt = rt(2);
        let drops = counter();
        for cap in [Some(0), Some(1), None] {
            for side in [Side::Os, Side::Green] {
                let (tx, rx) = chan::<Msg>(cap);
                let rx2 = rx.clone();
                let a = spawn_named(&rt, "a", move || rx2.recv().map(|m| m.n));
                until_parked(&rt, "a", WaitReason::ChannelRecv);
                let b = spawn_named(&rt, "b", move || rx.recv().map(|m| m.n));
                until_parked(&rt, "b", WaitReason::ChannelRecv);
                let d = drops.clone();
                run_on(&rt, side, move || {
                    tx.send(msg(1, &d)).unwrap();
                    tx.send(msg(2, &d)).unwrap();
                });
                assert_eq!(a.join().unwrap(), Ok(1), "cap {cap:?}, sent from {side:?}");
                assert_eq!(b.join().unwrap(), Ok(2), "cap {cap:?}, sent from {side:?}");
            }
        }
        assert_eq!(count(&drops), 12);
    });
}

/// Sender A parks (in the slot), then sender B (queued behind it), on a rendezvous channel
/// and on a full `bounded(1)`: the receives get A's message, then B's, and both sends
/// return `Ok`.
#[test]
fn senders_are_served_in_the_order_they_parked() {
    within(30, || {
        let rt = rt(2);
        let drops = counter();
        let mut sent = 0;
        for cap in [0, 1] {
            for side in [Side::Os, Side::Green] {
                let (tx, rx) = bounded::<Msg>(cap);
                let mut want = vec![];
                if cap == 1 {
                    tx.send(msg(0, &drops)).unwrap();
                    want.push(0);
                }
                let (ma, mb) = (msg(1, &drops), msg(2, &drops));
                sent += want.len() + 2;
                want.extend([1, 2]);
                let tx2 = tx.clone();
                let a = spawn_named(&rt, "a", move || tx2.send(ma).is_ok());
                until_parked(&rt, "a", WaitReason::ChannelSend);
                let b = spawn_named(&rt, "b", move || tx.send(mb).is_ok());
                until_parked(&rt, "b", WaitReason::ChannelSend);
                let n = want.len();
                let got = run_on(&rt, side, move || {
                    (0..n).map(|_| rx.recv().unwrap().n).collect::<Vec<_>>()
                });
                assert_eq!(got, want, "cap {cap}, received on {side:?}");
                assert!(a.join().unwrap() && b.join().unwrap());
            }
        }
        assert_eq!(count(&drops), sent);
    });
}

/// Receivers A and B park (A in the slot, B queued behind it); a send serves A; then C
/// parks. The slot holds the oldest waiting operation (module docs: it "is older than every
/// queued receive"), so the next two sends reach B, then C.
#[test]
fn a_receiver_parking_after_the_slot_emptied_does_not_overtake_the_queued_one() {
    within(30, || {
        let rt = rt(2);
        let drops = counter();
        for cap in [Some(0), Some(1), None] {
            let (tx, rx) = chan::<Msg>(cap);
            let (ra, rb) = (rx.clone(), rx.clone());
            let a = spawn_named(&rt, "a", move || ra.recv().map(|m| m.n));
            until_parked(&rt, "a", WaitReason::ChannelRecv);
            let b = spawn_named(&rt, "b", move || rb.recv().map(|m| m.n));
            until_parked(&rt, "b", WaitReason::ChannelRecv);
            tx.send(msg(1, &drops)).unwrap();
            assert_eq!(a.join().unwrap(), Ok(1));
            let c = spawn_named(&rt, "c", move || rx.recv().map(|m| m.n));
            until_parked(&rt, "c", WaitReason::ChannelRecv);
            tx.send(msg(2, &drops)).unwrap();
            tx.send(msg(3, &drops)).unwrap();
            let (b, c) = (b.join().unwrap(), c.join().unwrap());
            assert_eq!((b, c), (Ok(2), Ok(3)), "cap {cap:?}: (B, C)");
        }
        assert_eq!(count(&drops), 9);
    });
}

/// The same for senders on a rendezvous channel and a full `bounded(1)`: A and B park, a
/// receive takes A's message, C parks; the next receives get B's message, then C's.
#[test]
fn a_sender_parking_after_the_slot_emptied_does_not_overtake_the_queued_one() {
    within(30, || {
        let rt = rt(2);
        let drops = counter();
        for cap in [0, 1] {
            let (tx, rx) = bounded::<Msg>(cap);
            let mut want = vec![];
            if cap == 1 {
                tx.send(msg(0, &drops)).unwrap();
                want.push(0);
            }
            let (ta, tb) = (tx.clone(), tx.clone());
            let (ma, mb, mc) = (msg(1, &drops), msg(2, &drops), msg(3, &drops));
            let a = spawn_named(&rt, "a", move || ta.send(ma).is_ok());
            until_parked(&rt, "a", WaitReason::ChannelSend);
            let b = spawn_named(&rt, "b", move || tb.send(mb).is_ok());
            until_parked(&rt, "b", WaitReason::ChannelSend);
            let mut got = vec![rx.recv().unwrap().n];
            assert!(a.join().unwrap());
            let c = spawn_named(&rt, "c", move || tx.send(mc).is_ok());
            until_parked(&rt, "c", WaitReason::ChannelSend);
            got.extend((0..2).map(|_| rx.recv().unwrap().n));
            want.extend([1, 2, 3]);
            want.truncate(3);
            assert_eq!(got, want, "cap {cap}");
            assert!(b.join().unwrap() && c.join().unwrap());
            drop(rx);
        }
        assert_eq!(count(&drops), 7);
    });
}

// ---------------------------------------------------------------------------------------
// 6. Cancellation of a green thread waiting in the slot.
// ---------------------------------------------------------------------------------------

/// Records, when dropped, how many messages had been dropped by then: declared before a
/// blocking call, it is dropped after that call's frames as the thread unwinds.
struct DropsSeenOnUnwind {
    drops: Arc<AtomicUsize>,
    seen: Arc<AtomicUsize>,
}

impl Drop for DropsSeenOnUnwind {
    fn drop(&mut self) {
        self.seen.store(count(&self.drops), Ordering::SeqCst);
    }
}

/// A green thread cancelled while its send waits in the slot (of a rendezvous channel, or
/// of a full `bounded(1)`) drops its message exactly once, with its stack (before the
/// frames that called `send` unwind); the channel still pairs sends and receives.
#[test]
fn cancelling_a_send_parked_in_the_slot_drops_its_message_once() {
    within(30, || {
        let rt = rt(2);
        let drops = counter();
        for cap in [0, 1] {
            let (tx, rx) = bounded::<Msg>(cap);
            let base = count(&drops);
            if cap == 1 {
                tx.send(msg(0, &drops)).unwrap();
            }
            let seen = Arc::new(AtomicUsize::new(usize::MAX));
            let probe = DropsSeenOnUnwind {
                drops: drops.clone(),
                seen: seen.clone(),
            };
            let (tx2, m) = (tx.clone(), msg(1, &drops));
            let h = spawn_named(&rt, "tx", move || {
                let _probe = probe;
                tx2.send(m)
            });
            until_parked(&rt, "tx", WaitReason::ChannelSend);
            cancel_and_check(h);
            assert_eq!(
                seen.load(Ordering::SeqCst),
                base + 1,
                "cap {cap}: the message was dropped as the sender's stack unwound"
            );
            assert_eq!(count(&drops), base + 1, "cap {cap}: dropped exactly once");
            // The slot is free again: nothing takes a send but a receiver.
            if cap == 0 {
                let e = tx.send_timeout(msg(2, &drops), Duration::from_millis(5));
                assert!(e.unwrap_err().is_timeout());
            } else {
                assert_eq!(rx.recv().unwrap().n, 0);
            }
            // And the channel works on.
            let h = spawn_named(&rt, "rx", move || rx.recv().map(|m| m.n));
            until_parked(&rt, "rx", WaitReason::ChannelRecv);
            tx.send(msg(3, &drops)).unwrap();
            assert_eq!(h.join().unwrap(), Ok(3));
            assert_eq!(count(&drops), base + 3, "cap {cap}");
        }
    });
}

/// Sender A waits in the slot and sender B behind it; A is cancelled: its message is
/// dropped, B's is the one received, and B's send returns `Ok`.
#[test]
fn cancelling_the_send_in_the_slot_lets_the_one_queued_behind_through() {
    within(30, || {
        let rt = rt(2);
        let drops = counter();
        for side in [Side::Os, Side::Green] {
            let (tx, rx) = bounded::<Msg>(0);
            let base = count(&drops);
            let (tx2, ma, mb) = (tx.clone(), msg(1, &drops), msg(2, &drops));
            let a = spawn_named(&rt, "a", move || tx2.send(ma));
            until_parked(&rt, "a", WaitReason::ChannelSend);
            let b = spawn_named(&rt, "b", move || tx.send(mb).is_ok());
            until_parked(&rt, "b", WaitReason::ChannelSend);
            cancel_and_check(a);
            assert_eq!(count(&drops), base + 1, "A's message is dropped once");
            let got = run_on(&rt, side, move || rx.recv().map(|m| m.n));
            assert_eq!(got, Ok(2), "received on {side:?}");
            assert!(b.join().unwrap());
            assert_eq!(count(&drops), base + 2);
        }
    });
}

/// A green thread cancelled while its receive waits in the slot leaves it: a send with
/// nobody else receiving times out (its message handed back), and the next receiver gets
/// the next message.
#[test]
fn cancelling_a_receive_parked_in_the_slot_loses_no_later_message() {
    within(30, || {
        let rt = rt(2);
        let drops = counter();
        for cap in [Some(0), Some(1), None] {
            let (tx, rx) = chan::<Msg>(cap);
            let rx2 = rx.clone();
            let h = spawn_named(&rt, "rx", move || rx2.recv().map(|m| m.n));
            until_parked(&rt, "rx", WaitReason::ChannelRecv);
            cancel_and_check(h);
            if cap == Some(0) {
                // Had the cancelled receive stayed in the slot, this would be swallowed.
                let e = tx.send_timeout(msg(1, &drops), Duration::from_millis(5));
                assert_eq!(e.unwrap_err().into_inner().n, 1);
            } else {
                // Buffered, not handed to the cancelled receive.
                tx.send(msg(1, &drops)).unwrap();
                assert_eq!(rx.try_recv().unwrap().n, 1);
            }
            assert_eq!(count(&drops), 1, "cap {cap:?}");
            drops.store(0, Ordering::SeqCst);
            let h = spawn_named(&rt, "next", move || rx.recv().map(|m| m.n));
            until_parked(&rt, "next", WaitReason::ChannelRecv);
            tx.send(msg(3, &drops)).unwrap();
            assert_eq!(h.join().unwrap(), Ok(3), "cap {cap:?}");
            assert_eq!(count(&drops), 1);
            drops.store(0, Ordering::SeqCst);
        }
    });
}

/// A cancellation races a send to a receive parked in the slot, many times: the message is
/// either returned by the receive or, if the receive was cancelled, received by the next
/// receiver (a message handed to a cancelled receive goes back into the channel); the send
/// always succeeds and each message is dropped once.
#[test]
fn a_cancel_racing_a_send_to_the_slot_loses_nothing() {
    within(60, || {
        let drops = counter();
        let mut by_first = 0;
        let mut by_next = 0;
        for workers in [1, 2] {
            let rt = rt(workers);
            for i in 0..150u64 {
                let (tx, rx) = bounded::<Msg>(if i % 3 == 2 { 1 } else { 0 });
                let rx2 = rx.clone();
                // The receiver stays with the test, so nothing runs after `recv` returns.
                let h = spawn_named(&rt, "rx", move || rx2.recv().map(|m| m.n).map(|n| (n, rx2)));
                until_parked(&rt, "rx", WaitReason::ChannelRecv);
                let m = msg(i, &drops);
                let sender = if i % 2 == 0 {
                    start(&rt, Side::Os, move || tx.send(m).is_ok())
                } else {
                    start(&rt, Side::Green, move || tx.send(m).is_ok())
                };
                if i % 4 < 2 {
                    std::thread::yield_now();
                }
                h.cancel();
                match h.join() {
                    Ok(r) => {
                        let (n, rx2) = r.unwrap();
                        assert_eq!(n, i);
                        drop(rx2);
                        by_first += 1;
                    }
                    Err(payload) => {
                        assert_eq!(
                            payload.downcast_ref::<Cancelled>(),
                            Some(&Cancelled::Requested)
                        );
                        let got = rx.recv_timeout(Duration::from_secs(10));
                        assert_eq!(got.map(|m| m.n), Ok(i), "round {i}: the message is lost");
                        by_next += 1;
                    }
                }
                assert!(sender.join(), "round {i}: the send failed");
                assert_eq!(count(&drops), (i + 1) as usize + 150 * (workers - 1));
            }
        }
        assert_eq!(by_first + by_next, 300);
    });
}

/// One producer X hands message 1 to a receive parked in the slot (`try_send` succeeds),
/// cancels that receive before it runs, then sends message 2 (which waits in the slot).
/// The cancelled receive puts message 1 back "first in line" (channel docs), so the next
/// receiver, once the cancelled one has run out, gets 1, then 2: X's order. On a one-worker
/// runtime X runs on until it blocks, so the receive is cancelled before it takes its
/// message (rounds where it was not are skipped).
#[test]
fn a_message_reclaimed_from_a_cancelled_receive_stays_first_in_line() {
    within(30, || {
        let rt = rt(1);
        let drops = counter();
        let mut checked = 0;
        for _ in 0..20 {
            let (tx, rx) = bounded::<Msg>(0);
            let r2 = rx.clone();
            let r = spawn_named(&rt, "r", move || r2.recv().map(|m| m.n).map(|n| (n, r2)));
            until_parked(&rt, "r", WaitReason::ChannelRecv);
            let d = drops.clone();
            let x = spawn_named(&rt, "x", move || {
                tx.try_send(msg(1, &d)).unwrap();
                r.cancel();
                (tx.send(msg(2, &d)).is_ok(), r)
            });
            until_parked(&rt, "x", WaitReason::ChannelSend);
            // The receive has run out (taken 1, or been cancelled and put 1 back), so what
            // we receive next is what comes first in line now.
            support::eventually("r finishes", || {
                rt.snapshot()
                    .threads
                    .iter()
                    .all(|t| t.name.as_deref() != Some("r"))
            });
            // X's send of 2 completes only once a receive takes it: take 1 first if it is
            // in the channel (the receive was cancelled), then 2.
            let first = rx.recv().unwrap().n;
            let second = (first == 1).then(|| rx.recv().unwrap().n);
            let (sent, r) = x.join().unwrap();
            assert!(sent);
            match r.join() {
                Ok(got) => assert_eq!((got.unwrap().0, first, second), (1, 2, None)),
                Err(_) => {
                    assert_eq!((first, second), (1, Some(2)), "X's messages out of order");
                    checked += 1;
                }
            }
        }
        assert!(checked > 0, "the receive was never cancelled before it ran");
        assert_eq!(count(&drops), 40);
    });
}

// ---------------------------------------------------------------------------------------
// 7. Racing timeouts.
// ---------------------------------------------------------------------------------------

/// A tiny timeout in 0..=50 µs, varied with `k`.
fn tiny(k: u64) -> Duration {
    Duration::from_micros((k * 37 + k / 7) % 51)
}

/// Busy for a tiny while (0..=50 µs, varied with `k`), so that each side sometimes comes
/// late: load, not a synchronisation point.
fn jitter(k: u64) {
    let start = Instant::now();
    let d = tiny(k.wrapping_mul(0x9E37_79B9) >> 7);
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

/// `senders` and `receivers` (each a green or an OS thread) on one rendezvous channel, all
/// with tiny timeouts: sender `s` sends `per` messages numbered `s * per + i`, receivers
/// receive until the channel is disconnected. Every message is either received exactly
/// once or handed back in a `Timeout` error exactly once, and each is dropped once.
fn timeout_race<M: Val>(rt: &Runtime, senders: &[Side], receivers: &[Side], per: u64) {
    let drops = counter();
    let (tx, rx) = bounded::<M>(0);
    let sends: Vec<Handle<Vec<u64>>> = senders
        .iter()
        .enumerate()
        .map(|(s, &side)| {
            let (tx, d) = (tx.clone(), drops.clone());
            let s = s as u64;
            start(rt, side, move || {
                let mut back = Vec::new();
                for i in 0..per {
                    let n = s * per + i;
                    jitter(n);
                    match tx.send_timeout(M::make(n, &d), tiny(n)) {
                        Ok(()) => {}
                        Err(SendTimeoutError::Timeout(m)) => {
                            assert_eq!(m.n(), n, "a timeout hands back the very message");
                            back.push(m.n());
                        }
                        Err(SendTimeoutError::Disconnected(m)) => {
                            panic!("disconnected while receivers run: {m:?}")
                        }
                    }
                }
                back
            })
        })
        .collect();
    drop(tx);
    let recvs: Vec<Handle<Vec<u64>>> = receivers
        .iter()
        .enumerate()
        .map(|(r, &side)| {
            let rx = rx.clone();
            let r = r as u64;
            start(rt, side, move || {
                let mut got = Vec::new();
                let mut k = r * 1_000_003;
                loop {
                    k += 1;
                    jitter(k);
                    match rx.recv_timeout(tiny(k)) {
                        Ok(m) => got.push(m.n()),
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => return got,
                    }
                }
            })
        })
        .collect();
    drop(rx);
    let total = senders.len() as u64 * per;
    let mut seen = vec![0u8; total as usize];
    let mut timed_out = 0;
    for h in sends {
        for n in h.join() {
            seen[n as usize] += 1;
            timed_out += 1;
        }
    }
    let mut received = 0;
    for h in recvs {
        for n in h.join() {
            seen[n as usize] += 1;
            received += 1;
        }
    }
    for (n, &c) in seen.iter().enumerate() {
        assert_eq!(
            c, 1,
            "message {n} was received or handed back {c} times \
             ({senders:?} -> {receivers:?}, {received} received, {timed_out} timed out)"
        );
    }
    assert_eq!(count(&drops), total as usize * M::DROPS);
}

fn timeout_races<M: Val>(per: u64) {
    use Side::{Green as G, Os as O};
    for workers in [1, 2] {
        let rt = rt(workers);
        for (s, r) in [(G, G), (G, O), (O, G), (O, O)] {
            timeout_race::<M>(&rt, &[s], &[r], per);
        }
        timeout_race::<M>(&rt, &[G, O], &[O, G], per / 2);
    }
}

#[test]
fn racing_send_and_recv_timeouts_lose_and_duplicate_nothing() {
    within(60, || timeout_races::<Msg>(1_500));
}

#[test]
fn racing_send_and_recv_timeouts_of_u64s_lose_and_duplicate_nothing() {
    within(60, || timeout_races::<u64>(1_500));
}

// ---------------------------------------------------------------------------------------
// 8. The slot and selects.
// ---------------------------------------------------------------------------------------

/// A plain receive parked in the slot is found by a `Select`'s send operation, which
/// completes to it (from an OS thread and from a green thread).
#[test]
fn a_select_send_completes_to_a_receive_parked_in_the_slot() {
    within(30, || {
        let rt = rt(2);
        let drops = counter();
        for cap in [Some(0), Some(1), None] {
            for side in [Side::Os, Side::Green] {
                let (tx, rx) = chan::<Msg>(cap);
                let h = spawn_named(&rt, "rx", move || rx.recv().map(|m| m.n));
                until_parked(&rt, "rx", WaitReason::ChannelRecv);
                let d = drops.clone();
                run_on(&rt, side, move || {
                    let (_other_tx, other_rx) = unbounded::<Msg>();
                    let mut sel = Select::new();
                    let send = sel.send(&tx);
                    let _recv = sel.recv(&other_rx);
                    let op = sel.select_timeout(Duration::from_secs(10)).unwrap();
                    assert_eq!(op.index(), send);
                    op.send(&tx, msg(4, &d)).unwrap();
                });
                assert_eq!(h.join().unwrap(), Ok(4), "cap {cap:?}, select on {side:?}");
            }
        }
        assert_eq!(count(&drops), 6);
    });
}

/// A plain send parked in the slot (rendezvous, or a full `bounded(1)`) is found by a
/// `select!` receive, which takes its message; the send returns `Ok`.
#[test]
fn a_select_recv_takes_the_message_of_a_send_parked_in_the_slot() {
    within(30, || {
        let rt = rt(2);
        let drops = counter();
        for cap in [0, 1] {
            for side in [Side::Os, Side::Green] {
                let (tx, rx) = bounded::<Msg>(cap);
                if cap == 1 {
                    tx.send(msg(0, &drops)).unwrap();
                }
                let m = msg(1, &drops);
                let h = spawn_named(&rt, "tx", move || tx.send(m).is_ok());
                until_parked(&rt, "tx", WaitReason::ChannelSend);
                let got = run_on(&rt, side, move || {
                    let (_other_tx, other_rx) = unbounded::<Msg>();
                    let mut got = Vec::new();
                    for _ in 0..=cap {
                        select! {
                            recv(rx) -> m => got.push(m.unwrap().n),
                            recv(other_rx) -> _m => unreachable!(),
                            default(Duration::from_secs(10)) => panic!("nothing to receive"),
                        }
                    }
                    got
                });
                let want: Vec<u64> = if cap == 1 { vec![0, 1] } else { vec![1] };
                assert_eq!(got, want, "cap {cap}, select on {side:?}");
                assert!(h.join().unwrap());
            }
        }
        assert_eq!(count(&drops), 6);
    });
}

/// A select waiting to receive is queued (the slot's BUSY bit set): a plain send completes
/// to it; afterwards a plain receive parks in the slot again and a plain send reaches it.
#[test]
fn a_plain_send_completes_to_a_queued_select_recv() {
    within(30, || {
        let rt = rt(2);
        let drops = counter();
        for cap in [Some(0), Some(1), None] {
            for side in [Side::Os, Side::Green] {
                let (tx, rx) = chan::<Msg>(cap);
                let rx2 = rx.clone();
                let h = spawn_named(&rt, "sel", move || {
                    let (_other_tx, other_rx) = unbounded::<Msg>();
                    select! {
                        recv(rx2) -> m => m.map(|m| m.n),
                        recv(other_rx) -> _m => unreachable!(),
                    }
                });
                until_parked(&rt, "sel", WaitReason::Select);
                let d = drops.clone();
                let tx = run_on(&rt, side, move || {
                    tx.send(msg(1, &d)).unwrap();
                    tx
                });
                assert_eq!(h.join().unwrap(), Ok(1), "cap {cap:?}, sent from {side:?}");
                let h = spawn_named(&rt, "rx", move || rx.recv().map(|m| m.n));
                until_parked(&rt, "rx", WaitReason::ChannelRecv);
                let d = drops.clone();
                run_on(&rt, side, move || tx.send(msg(2, &d)).unwrap());
                assert_eq!(h.join().unwrap(), Ok(2), "cap {cap:?}, sent from {side:?}");
            }
        }
        assert_eq!(count(&drops), 12);
    });
}

/// A select waiting to send on a rendezvous channel is queued: a plain receive (which
/// then waits in the slot) wakes it, and the select completes its send to it.
#[test]
fn a_queued_select_send_completes_to_a_plain_receive() {
    within(30, || {
        let rt = rt(2);
        let drops = counter();
        for side in [Side::Os, Side::Green] {
            let (tx, rx) = bounded::<Msg>(0);
            let m = msg(1, &drops);
            let h = spawn_named(&rt, "sel", move || {
                let (_other_tx, other_rx) = unbounded::<Msg>();
                select! {
                    send(tx, m) -> r => r.is_ok(),
                    recv(other_rx) -> _m => unreachable!(),
                }
            });
            until_parked(&rt, "sel", WaitReason::Select);
            let got = run_on(&rt, side, move || rx.recv().map(|m| m.n));
            assert_eq!(got, Ok(1), "received on {side:?}");
            assert!(h.join().unwrap());
        }
        assert_eq!(count(&drops), 2);
    });
}

// ---------------------------------------------------------------------------------------
// 9. Many producers and consumers.
// ---------------------------------------------------------------------------------------

/// `senders` and `receivers` (green or OS threads) on one rendezvous channel of a
/// `workers`-worker runtime, plain blocking operations: every message is received exactly
/// once (counted per value) and dropped once.
fn producers_consumers<M: Val>(workers: usize, senders: &[Side], receivers: &[Side], per: u64) {
    let rt = rt(workers);
    let drops = counter();
    let (tx, rx) = bounded::<M>(0);
    let sends: Vec<Handle<()>> = senders
        .iter()
        .enumerate()
        .map(|(s, &side)| {
            let (tx, d) = (tx.clone(), drops.clone());
            let s = s as u64;
            start(&rt, side, move || {
                for i in 0..per {
                    tx.send(M::make(s * per + i, &d)).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let recvs: Vec<Handle<Vec<u64>>> = receivers
        .iter()
        .map(|&side| {
            let rx = rx.clone();
            start(&rt, side, move || rx.iter().map(|m| m.n()).collect())
        })
        .collect();
    drop(rx);
    sends.into_iter().for_each(Handle::join);
    let total = senders.len() as u64 * per;
    let mut seen = vec![0u8; total as usize];
    for h in recvs {
        for n in h.join() {
            seen[n as usize] += 1;
        }
    }
    for (n, &c) in seen.iter().enumerate() {
        assert_eq!(
            c, 1,
            "message {n} was received {c} times ({senders:?} -> {receivers:?})"
        );
    }
    assert_eq!(count(&drops), total as usize * M::DROPS);
}

/// 8 green and 2 OS senders, 8 green and 2 OS receivers.
fn many_to_many<M: Val>(per: u64) {
    let sides: Vec<Side> = (0..10)
        .map(|i| if i < 8 { Side::Green } else { Side::Os })
        .collect();
    producers_consumers::<M>(2, &sides, &sides, per);
}

#[test]
fn many_producers_and_consumers_on_a_rendezvous_receive_each_message_once() {
    within(60, || many_to_many::<Msg>(2_000));
}

#[test]
fn many_producers_and_consumers_of_u64s_on_a_rendezvous_receive_each_message_once() {
    within(60, || many_to_many::<u64>(2_000));
}

/// Two producers and one consumer, and one producer and two consumers, in every mix of
/// green and OS threads: with so few on a side, one left queued behind the slot while its
/// counterpart parks in the slot would hang (each run is bounded by `within`).
#[test]
fn two_to_one_and_one_to_two_on_a_rendezvous_receive_each_message_once() {
    use Side::{Green as G, Os as O};
    within(60, || {
        for workers in [1, 2] {
            for (a, b) in [(G, G), (G, O), (O, G), (O, O)] {
                for c in [G, O] {
                    producers_consumers::<Msg>(workers, &[a, b], &[c], 500);
                    producers_consumers::<u64>(workers, &[c], &[a, b], 500);
                }
            }
        }
    });
}
