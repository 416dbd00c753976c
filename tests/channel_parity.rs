//! crossbeam-channel parity: timer channels (`after`, `at`, `tick`, `never`), `Select::ready`
//! and friends, `select!`/`select_biased!` syntax, auto traits, `thread::panicking`, dropping
//! unreceived messages with the last receiver, and fairness among ready operations.

mod support;

use std::ops::Deref;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use greenthread::channel::{
    ReadyTimeoutError, Receiver, RecvError, RecvTimeoutError, Select, SendError, Sender,
    TryReadyError, TryRecvError, after, at, bounded, never, select, select_biased, tick, unbounded,
};
use greenthread::runtime::WaitReason;
use support::{CountDrop, until_parked, within};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn one_worker() -> greenthread::Runtime {
    greenthread::Runtime::builder().workers(1).build().unwrap()
}

/// Spawns a green thread named `name` on `rt` (so `until_parked` can find it).
fn spawn_named<T: Send + 'static>(
    rt: &greenthread::Runtime,
    name: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> greenthread::JoinHandle<T> {
    let b = greenthread::Builder::new().name(name.to_string());
    rt.block_on(move || b.spawn(f).unwrap())
}

// ---- auto traits ----

const _: () = {
    fn send_sync<T: Send + Sync>() {}
    fn unwind_safe<T: UnwindSafe + RefUnwindSafe>() {}
    fn clone<T: Clone>() {}
    fn check() {
        // Not `Send` messages either: crossbeam's handles are unwind-safe for every `T`.
        unwind_safe::<Sender<std::rc::Rc<i32>>>();
        unwind_safe::<Receiver<std::rc::Rc<i32>>>();
        unwind_safe::<Sender<std::cell::Cell<i32>>>();
        unwind_safe::<Receiver<std::cell::Cell<i32>>>();
        send_sync::<Sender<i32>>();
        send_sync::<Receiver<Instant>>();
        send_sync::<Select<'static>>();
        clone::<Select<'static>>();
    }
    let _ = check;
};

#[test]
fn a_select_moves_to_another_thread_and_is_cloned() {
    let (tx, rx) = unbounded::<Box<dyn std::any::Any>>(); // not `Send` messages
    tx.send(Box::new(5)).unwrap();
    let mut sel = Select::new();
    let op = sel.recv(&rx);
    let copy = sel.clone();
    // Another thread may look through it...
    let ready = std::thread::scope(|s| s.spawn(move || copy.clone().try_ready()).join().unwrap());
    assert_eq!(ready, Ok(op));
    // ... and the message is still there for this one.
    let oper = sel.select();
    assert_eq!(*oper.recv(&rx).unwrap().downcast::<i32>().unwrap(), 5);
}

// ---- timer channels ----

#[test]
fn after_delivers_once() {
    within(20, || {
        let start = Instant::now();
        let r = after(ms(30));
        assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
        assert!(r.is_empty() && !r.is_full());
        assert_eq!(r.len(), 0);
        assert_eq!(r.capacity(), Some(1));
        let when = r.recv().unwrap();
        assert!(when >= start + ms(30) && Instant::now() >= when);
        // Once only: later receives find nothing, and never disconnect.
        assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
        assert_eq!(r.recv_timeout(ms(20)), Err(RecvTimeoutError::Timeout));
        assert!(r.is_empty());
    });
}

#[test]
fn after_is_due_without_a_receive_and_shared_by_clones() {
    within(20, || {
        let r = after(ms(10));
        let r2 = r.clone();
        assert!(r.same_channel(&r2));
        assert!(!r.same_channel(&after(ms(10))));
        std::thread::sleep(ms(30));
        assert!(r.is_full() && r.len() == 1 && !r2.is_empty());
        // Exactly one clone gets it.
        let got = [r.try_recv().is_ok(), r2.try_recv().is_ok()];
        assert_eq!(got.iter().filter(|&&g| g).count(), 1);
        assert_eq!(r2.len(), 0);
    });
}

#[test]
fn at_delivers_its_instant() {
    within(20, || {
        let when = Instant::now() + ms(20);
        let r = at(when);
        assert_eq!(
            r.recv_deadline(when - ms(10)),
            Err(RecvTimeoutError::Timeout)
        );
        assert_eq!(r.recv_timeout(ms(1000)), Ok(when));
        // In the past: due at once.
        let past = Instant::now() - ms(5);
        assert_eq!(at(past).try_recv(), Ok(past));
    });
}

#[test]
fn after_too_long_is_never() {
    let r = after(Duration::MAX);
    assert_eq!(r.capacity(), Some(0)); // `never`'s
    assert!(r.same_channel(&never()));
    assert_eq!(tick(Duration::MAX).capacity(), Some(0));
}

#[test]
fn tick_delivers_periodically_and_drops_missed_ticks() {
    within(20, || {
        let start = Instant::now();
        let r = tick(ms(50));
        assert_eq!(r.capacity(), Some(1));
        let t1 = r.recv().unwrap();
        let t2 = r.recv().unwrap();
        assert!(t1 >= start + ms(50));
        assert!(t2 >= t1 + ms(50));
        // Miss several periods: one tick is due, not a burst of them.
        std::thread::sleep(ms(250));
        assert!(r.is_full() && r.len() == 1);
        let before = Instant::now();
        let late = r.try_recv().unwrap();
        assert!(late >= t2 + ms(50) && late < before);
        assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
        // The next one is a period after it was received, not after it was due.
        let t4 = r.recv().unwrap();
        assert!(t4 >= before + ms(50), "{:?}", t4 - before);
    });
}

#[test]
fn never_never_delivers() {
    within(20, || {
        let r = never::<i32>();
        assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
        let start = Instant::now();
        assert_eq!(r.recv_timeout(ms(20)), Err(RecvTimeoutError::Timeout));
        assert!(start.elapsed() >= ms(20));
        assert!(r.is_empty() && r.is_full());
        assert_eq!((r.len(), r.capacity()), (0, Some(0)));
        assert!(r.same_channel(&r.clone()));
        assert!(r.same_channel(&never()));
        let (_tx, other) = unbounded::<i32>();
        assert!(!r.same_channel(&other));
        // In a select, it is never ready.
        let mut sel = Select::new();
        sel.recv(&r);
        assert!(sel.try_select().is_err());
        assert_eq!(sel.ready_timeout(ms(10)), Err(ReadyTimeoutError));
    });
}

#[test]
fn never_is_const() {
    static NEVER: Receiver<i32> = never();
    assert_eq!(NEVER.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn timers_in_select_and_select_macro() {
    within(20, || {
        let (_tx, rx) = unbounded::<i32>();
        let start = Instant::now();
        let timeout = after(ms(30));
        let got = select! {
            recv(rx) -> _ => None,
            recv(timeout) -> t => Some(t.unwrap()),
        };
        assert!(got.unwrap() >= start + ms(30));

        let ticker = tick(ms(10));
        let mut sel = Select::new();
        let op_rx = sel.recv(&rx);
        let op_tick = sel.recv(&ticker);
        for _ in 0..3 {
            let oper = sel.select_timeout(ms(1000)).unwrap();
            assert_eq!(oper.index(), op_tick);
            assert!(oper.recv(&ticker).is_ok());
        }
        let _ = op_rx;
        assert_eq!(sel.ready(), op_tick);
        assert!(ticker.try_recv().is_ok());
    });
}

#[test]
fn timer_waits_park_the_green_thread_not_its_worker() {
    within(30, || {
        let rt = one_worker();
        let woke = Arc::new(Mutex::new(None));
        let w = woke.clone();
        let sleeper = spawn_named(&rt, "timer", move || {
            let t = after(ms(300));
            t.recv().unwrap();
            *w.lock().unwrap() = Some(Instant::now());
            tick(ms(10)).recv().unwrap();
            select! { recv(never::<()>()) -> _ => {}, recv(after(ms(10))) -> _ => {} }
        });
        until_parked(&rt, "timer", WaitReason::Sleep);
        // The only worker runs this one while the other waits for its timer.
        let ran = rt.spawn(Instant::now).join().unwrap();
        sleeper.join().unwrap();
        assert!(ran < woke.lock().unwrap().unwrap());
    });
}

#[test]
fn ticks_from_green_threads() {
    within(30, || {
        let rt = one_worker();
        let counts: Vec<_> = (0..4)
            .map(|_| {
                rt.spawn(|| {
                    let t = tick(ms(5));
                    (0..5).map(|_| t.recv().unwrap()).collect::<Vec<_>>()
                })
            })
            .collect();
        for h in counts {
            let ticks = h.join().unwrap();
            assert!(ticks.windows(2).all(|w| w[1] >= w[0] + ms(5)));
        }
    });
}

// ---- Select::ready ----

#[test]
fn ready_does_not_take_the_message() {
    within(20, || {
        let (tx, rx) = unbounded();
        let mut sel = Select::new();
        let op = sel.recv(&rx);
        assert_eq!(sel.try_ready(), Err(TryReadyError));
        tx.send(1).unwrap();
        assert_eq!(sel.try_ready(), Ok(op));
        assert_eq!(sel.ready(), op);
        assert_eq!(rx.len(), 1);
        assert_eq!(rx.try_recv(), Ok(1));
    });
}

#[test]
fn ready_while_a_sender_waits_keeps_the_order() {
    within(20, || {
        let rt = support::rt();
        let (tx, rx) = bounded(0);
        let h = rt.spawn(move || {
            for i in 0..100 {
                tx.send(i).unwrap();
            }
        });
        let mut got = Vec::new();
        while got.len() < 100 {
            let mut sel = Select::new();
            sel.recv(&rx);
            let deadline = Instant::now() + Duration::from_secs(10);
            assert_eq!(sel.ready_deadline(deadline), Ok(0));
            if let Ok(m) = rx.try_recv() {
                got.push(m);
            }
        }
        h.join().unwrap();
        assert_eq!(got, (0..100).collect::<Vec<_>>());
    });
}

#[test]
fn remove_keeps_the_other_indexes() {
    let (tx1, rx1) = unbounded::<i32>();
    let (tx2, rx2) = unbounded::<i32>();
    let mut sel = Select::new();
    let op1 = sel.recv(&rx1);
    let op2 = sel.recv(&rx2);
    sel.remove(op1);
    tx1.send(1).unwrap();
    assert!(sel.try_select().is_err());
    tx2.send(2).unwrap();
    let oper = sel.try_select().unwrap();
    assert_eq!(oper.index(), op2);
    assert_eq!(oper.recv(&rx2), Ok(2));
}

#[test]
fn a_receive_that_does_not_wait_takes_from_a_select_waiting_to_send() {
    within(30, || {
        let rt = support::rt();
        for round in 0..3 {
            let (s, r) = bounded::<i32>(0);
            let sender = spawn_named(&rt, "select-send", move || {
                select! {
                    send(s, 7) -> res => res.unwrap(),
                }
            });
            until_parked(&rt, "select-send", WaitReason::Select);
            // As crossbeam's zero-capacity channel: the waiting select is a counterpart.
            match round {
                0 => assert_eq!(r.try_recv(), Ok(7)),
                1 => select! {
                    recv(r) -> v => assert_eq!(v, Ok(7)),
                    default => panic!("the select waiting to send was not taken"),
                },
                _ => {
                    let mut sel = Select::new();
                    sel.recv(&r);
                    let oper = sel.try_select().unwrap();
                    assert_eq!(oper.recv(&r), Ok(7));
                }
            }
            sender.join().unwrap();
        }
    });
}

#[test]
fn a_select_that_gives_its_send_up_leaves_the_receive_empty() {
    within(30, || {
        let rt = support::rt();
        let (s, r) = bounded::<i32>(0);
        // `ready` waits to send, is chosen by the receive, and completes nothing.
        let looker = spawn_named(&rt, "ready-send", move || {
            let mut sel = Select::new();
            sel.send(&s);
            sel.ready()
        });
        until_parked(&rt, "ready-send", WaitReason::Select);
        assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
        // Had a spurious wake-up made the select look again before the receive chose it,
        // it would still wait: disconnecting makes its send ready either way.
        drop(r);
        assert_eq!(looker.join().unwrap(), 0);
    });
}

// ---- select! syntax ----

struct Holder {
    tx: Sender<i32>,
    rx: Receiver<i32>,
}

impl Holder {
    fn tx(&self) -> Sender<i32> {
        self.tx.clone()
    }
    fn rx(&self) -> &Receiver<i32> {
        &self.rx
    }
    fn rx_owned(&self) -> Receiver<i32> {
        self.rx.clone()
    }
}

// The forms crossbeam's tests use on purpose.
#[allow(clippy::redundant_closure_call, clippy::unnecessary_literal_unwrap)]
#[test]
fn select_macro_temporaries_live_long_enough() {
    let (tx, rx) = unbounded();
    let c = Holder { tx, rx };
    c.tx.send(1).unwrap();
    select! {
        recv(c.rx()) -> r => assert_eq!(r, Ok(1)),
    }
    select! {
        send(c.tx(), 2) -> r => r.unwrap(),
        recv(never::<()>()) -> _ => unreachable!(),
    }
    select! {
        recv(c.rx_owned()) -> r => assert_eq!(r, Ok(2)),
        recv(c.rx_owned()) -> r => assert_eq!(r, Ok(2)),
    }
    let get = || c.tx();
    select! {
        send(get(), 5) -> r => r.unwrap(),
    }
    let r = c.rx_owned();
    select! {
        recv((move || r)()) -> m => assert_eq!(m, Ok(5)),
    }
    select! {
        recv(Some(&c.rx).unwrap_or(&never())) -> _ => unreachable!(),
        default => {}
    }
}

#[test]
fn select_macro_accepts_crossbeams_forms() {
    let (s, r) = unbounded::<usize>();
    // Trailing commas inside operations; `default()`; a timeout with a trailing comma.
    select! {
        send(s, 1,) -> _ => {},
        recv(r,) -> _ => {},
        default(ms(1000),) => {},
    }
    assert_eq!(r.try_recv(), Ok(1));
    select! {
        recv(r) -> _ => panic!(),
        default() => {}
    }
    // Blocks without commas; references of any depth; a `Deref` wrapper.
    struct Wrap(Receiver<usize>);
    impl Deref for Wrap {
        type Target = Receiver<usize>;
        fn deref(&self) -> &Receiver<usize> {
            &self.0
        }
    }
    let w = Wrap(r.clone());
    s.send(2).unwrap();
    let v = select! {
        recv(&&&&r) -> m => { m.unwrap() }
        recv(w) -> m => { m.unwrap() }
    };
    assert_eq!(v, 2);
    // Handles on the heap, `default` alone, a value from every kind of case.
    let (bs, br) = (Box::new(s), Box::new(r));
    let v = select! {
        send(*bs, 3) -> _ => "sent",
        recv(*br) -> _ => "received",
        default => "default",
    };
    assert!(v == "sent" || v == "received");
    assert_eq!(select! { default => 7 }, 7);
    assert_eq!(select! { default() => 8, }, 8);
}

#[test]
fn select_macro_message_is_evaluated_only_when_sent() {
    let (s, _r) = bounded::<i32>(0);
    let evaluated = AtomicBool::new(false);
    select! {
        send(s, { evaluated.store(true, Ordering::SeqCst); 1 }) -> _ => panic!(),
        default => {}
    }
    assert!(!evaluated.load(Ordering::SeqCst));
}

#[test]
fn select_macro_bodies_may_break_and_continue() {
    let (s, r) = unbounded();
    for i in 0..3 {
        s.send(i).unwrap();
    }
    let mut seen = Vec::new();
    loop {
        select! {
            recv(r) -> m => {
                let m = m.unwrap();
                if m == 1 {
                    continue;
                }
                seen.push(m);
            }
            default => break,
        }
    }
    assert_eq!(seen, [0, 2]);
}

// ---- thread::panicking ----

#[test]
fn panicking_answers_for_the_green_thread() {
    within(30, || {
        let rt = one_worker();
        let (to_other, other_rx) = bounded::<()>(0);
        let (done_tx, done_rx) = bounded::<bool>(1);
        struct WaitInDrop(Receiver<()>, Sender<bool>);
        impl Drop for WaitInDrop {
            fn drop(&mut self) {
                let before = greenthread::thread::panicking();
                // Parks while unwinding: the other green thread runs on this worker.
                self.0.recv().unwrap();
                let after = greenthread::thread::panicking();
                self.1.send(before && after).unwrap();
            }
        }
        let unwinding = spawn_named(&rt, "unwinding", move || {
            let _guard = WaitInDrop(other_rx, done_tx);
            assert!(!greenthread::thread::panicking());
            panic!("on purpose");
        });
        until_parked(&rt, "unwinding", WaitReason::ChannelRecv);
        let other = rt.spawn(move || {
            // Same worker, std's per-OS-thread count says a panic is in progress ...
            let std_says = std::thread::panicking();
            // ... but this green thread is not unwinding.
            let ours = greenthread::thread::panicking();
            to_other.send(()).unwrap();
            (std_says, ours)
        });
        assert_eq!(other.join().unwrap(), (true, false));
        assert!(unwinding.join().is_err());
        assert_eq!(done_rx.recv(), Ok(true));
        // On an OS thread: std's answer.
        assert!(!greenthread::thread::panicking());
    });
}

#[test]
fn panicking_after_a_caught_panic_is_false() {
    let rt = one_worker();
    let r = rt.block_on(|| {
        let caught = std::panic::catch_unwind(|| panic!("caught"));
        assert!(caught.is_err());
        greenthread::thread::panicking()
    });
    assert!(!r);
}

// ---- unreceived messages go with the last receiver ----

fn drops_when_last_receiver_goes(s: Sender<CountDrop>, r: Receiver<CountDrop>, n: usize) {
    let dropped = Arc::new(AtomicUsize::new(0));
    for _ in 0..n {
        s.send(CountDrop(dropped.clone())).unwrap();
    }
    let r2 = r.clone();
    drop(r);
    assert_eq!(dropped.load(Ordering::SeqCst), 0, "a receiver is left");
    drop(r2);
    assert_eq!(
        dropped.load(Ordering::SeqCst),
        n,
        "the sender is still alive"
    );
    // A send after that hands the message back.
    let back = s.send(CountDrop(dropped.clone())).unwrap_err();
    assert!(matches!(back, SendError(CountDrop(_))));
    drop(back);
    assert_eq!(dropped.load(Ordering::SeqCst), n + 1);
}

#[test]
fn unreceived_messages_are_dropped_bounded() {
    let (s, r) = bounded(4);
    drops_when_last_receiver_goes(s, r, 3);
}

#[test]
fn unreceived_messages_are_dropped_unbounded() {
    let (s, r) = unbounded();
    drops_when_last_receiver_goes(s, r, 100);
}

#[test]
fn a_blocked_send_gets_its_message_back_when_the_last_receiver_goes() {
    within(20, || {
        let rt = support::rt();
        let (s, r) = bounded::<CountDrop>(0);
        let dropped = Arc::new(AtomicUsize::new(0));
        let d = dropped.clone();
        let h = spawn_named(&rt, "sender", move || s.send(CountDrop(d)).map_err(|e| e.0));
        until_parked(&rt, "sender", WaitReason::ChannelSend);
        drop(r);
        let back = h.join().unwrap().unwrap_err();
        assert_eq!(dropped.load(Ordering::SeqCst), 0);
        drop(back);
        assert_eq!(dropped.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn a_message_put_back_by_ready_is_dropped_with_the_last_receiver() {
    within(20, || {
        // A send that finds `ready` waiting hands its message over (and returns); `ready`
        // puts it back, first in line: it is the channel's now, and goes with its last
        // receiver.
        let rt = support::rt();
        let (s, r) = bounded::<CountDrop>(0);
        let looker = spawn_named(&rt, "ready", move || {
            let mut sel = Select::new();
            sel.recv(&r);
            assert_eq!(sel.ready(), 0);
            drop(sel);
            r
        });
        until_parked(&rt, "ready", WaitReason::Select);
        let dropped = Arc::new(AtomicUsize::new(0));
        s.send(CountDrop(dropped.clone())).map_err(|_| ()).unwrap();
        let r = looker.join().unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(dropped.load(Ordering::SeqCst), 0);
        drop(r);
        assert_eq!(
            dropped.load(Ordering::SeqCst),
            1,
            "dropped with the last receiver"
        );
        assert!(s.send(CountDrop(dropped.clone())).is_err());
    });
}

#[test]
fn unreceived_messages_after_a_select_are_dropped() {
    within(20, || {
        let (s, r) = bounded(2);
        let dropped = Arc::new(AtomicUsize::new(0));
        let mut sel = Select::new();
        sel.send(&s);
        sel.select().send(&s, CountDrop(dropped.clone())).unwrap();
        s.send(CountDrop(dropped.clone())).unwrap();
        drop(r);
        assert_eq!(dropped.load(Ordering::SeqCst), 2);
        let mut sel = Select::new();
        sel.send(&s);
        let oper = sel.try_select().unwrap(); // a disconnected send is ready
        let back = oper.send(&s, CountDrop(dropped.clone())).unwrap_err();
        drop(back);
        assert_eq!(dropped.load(Ordering::SeqCst), 3);
    });
}

#[test]
fn a_message_holding_its_own_channel_is_dropped_without_deadlock() {
    // Dropping the message drops a sender of the channel, which takes the channel's lock:
    // the last receiver must drop it after releasing that lock.
    struct Holds(
        #[allow(dead_code)] Sender<Holds>,
        #[allow(dead_code)] CountDrop,
    );
    for cap in [Some(1), Some(8), None] {
        within(20, move || {
            let dropped = Arc::new(AtomicUsize::new(0));
            let (s, r) = cap.map_or_else(unbounded, bounded);
            s.send(Holds(s.clone(), CountDrop(dropped.clone())))
                .unwrap();
            drop(r);
            assert_eq!(dropped.load(Ordering::SeqCst), 1);
            assert!(
                s.send(Holds(s.clone(), CountDrop(dropped.clone())))
                    .is_err()
            );
        });
    }
}

// ---- fairness ----

const COUNT: usize = 10_000;

fn fair(hits: &[usize]) -> bool {
    hits.iter().all(|&h| h >= COUNT / hits.len() / 2)
}

#[test]
fn fairness_duplicates_recv_and_send_rendezvous() {
    within(120, || {
        let (s, r) = bounded::<()>(0);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let mut hits = [0usize; 5];
                for _ in 0..COUNT {
                    select! {
                        recv(r) -> _ => hits[0] += 1,
                        recv(r) -> _ => hits[1] += 1,
                        recv(r) -> _ => hits[2] += 1,
                        recv(r) -> _ => hits[3] += 1,
                        recv(r) -> _ => hits[4] += 1,
                    }
                }
                assert!(fair(&hits), "{hits:?}");
            });
            let mut hits = [0usize; 5];
            for _ in 0..COUNT {
                select! {
                    send(s, ()) -> _ => hits[0] += 1,
                    send(s, ()) -> _ => hits[1] += 1,
                    send(s, ()) -> _ => hits[2] += 1,
                    send(s, ()) -> _ => hits[3] += 1,
                    send(s, ()) -> _ => hits[4] += 1,
                }
            }
            assert!(fair(&hits), "{hits:?}");
        });
    });
}

#[test]
fn fairness_duplicates_with_a_plain_counterpart() {
    within(120, || {
        let (s, r) = bounded::<()>(0);
        std::thread::scope(|scope| {
            scope.spawn(|| (0..COUNT).for_each(|_| s.send(()).unwrap()));
            let mut hits = [0usize; 5];
            let mut sel = Select::new();
            for _ in 0..5 {
                sel.recv(&r);
            }
            for _ in 0..COUNT {
                let oper = sel.select();
                hits[oper.index()] += 1;
                oper.recv(&r).unwrap();
            }
            assert!(fair(&hits), "{hits:?}");
        });
    });
}

#[test]
fn fairness_of_ready_operations_in_every_select() {
    let (s1, r1) = unbounded::<()>();
    let (s2, r2) = unbounded::<()>();
    let (_s3, r3) = unbounded::<()>();
    for _ in 0..4 * COUNT {
        s1.send(()).unwrap();
        s2.send(()).unwrap();
    }
    let mut hits = [0usize; 2];
    for _ in 0..COUNT {
        select! {
            recv(r1) -> _ => hits[0] += 1,
            recv(r3) -> _ => unreachable!(),
            recv(r3) -> _ => unreachable!(),
            recv(r3) -> _ => unreachable!(),
            recv(r2) -> _ => hits[1] += 1,
        }
    }
    assert!(fair(&hits), "select: {hits:?}");
    let mut hits = [0usize; 2];
    for _ in 0..COUNT {
        select! {
            recv(r1) -> _ => hits[0] += 1,
            recv(r3) -> _ => unreachable!(),
            recv(r3) -> _ => unreachable!(),
            recv(r3) -> _ => unreachable!(),
            recv(r2) -> _ => hits[1] += 1,
            default => unreachable!(),
        }
    }
    assert!(fair(&hits), "try_select: {hits:?}");
    let mut hits = [0usize; 2];
    for _ in 0..COUNT {
        select! {
            recv(r1) -> _ => hits[0] += 1,
            recv(r3) -> _ => unreachable!(),
            recv(r3) -> _ => unreachable!(),
            recv(r3) -> _ => unreachable!(),
            recv(r2) -> _ => hits[1] += 1,
            default(ms(1000)) => unreachable!(),
        }
    }
    assert!(fair(&hits), "select_timeout: {hits:?}");
    let mut hits = [0usize; 2];
    let mut sel = Select::new();
    sel.recv(&r3);
    let i1 = sel.recv(&r1);
    sel.recv(&r3);
    sel.recv(&r3);
    sel.recv(&r2);
    for _ in 0..COUNT {
        let i = sel.ready();
        hits[usize::from(i != i1)] += 1;
    }
    assert!(fair(&hits), "ready: {hits:?}");
}

#[test]
fn select_biased_keeps_the_order() {
    let (s1, r1) = unbounded::<()>();
    let (s2, r2) = unbounded::<()>();
    for _ in 0..100 {
        s1.send(()).unwrap();
        s2.send(()).unwrap();
    }
    let mut hits = [0usize; 2];
    for _ in 0..100 {
        select_biased! {
            recv(r1) -> _ => hits[0] += 1,
            recv(r2) -> _ => hits[1] += 1,
            default => unreachable!(),
        }
    }
    assert_eq!(hits, [100, 0]);
    let mut sel = Select::new_biased();
    sel.recv(&r1);
    let i2 = sel.recv(&r2);
    assert_eq!(sel.ready(), i2); // `r1` is empty now
    assert_eq!(sel.select().recv(&r2), Ok(()));
    assert_eq!(r1.try_recv(), Err(TryRecvError::Empty));
    drop(s1);
    // A disconnected receive is ready, and first.
    assert_eq!(sel.select().recv(&r1), Err(RecvError));
}
