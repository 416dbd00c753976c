//! `JoinHandle::cancel`: a green thread blocked in any wait of the crate (or at its next
//! switch point) unwinds with `Cancelled::Requested`, its destructors run, `join` returns the
//! payload, and what it was blocked on stays consistent for everyone else.
//!
//! Most tests run on a one-worker runtime with the canceller itself a green thread: the
//! target sets a flag right before its blocking call, and the canceller yields until it sees
//! the flag. With one worker the canceller runs again only once the target has switched
//! out, i.e. blocked in that call, so "cancelled while blocked" is certain, not a matter of
//! timing. The tests that race a cancel against a normal wake-up assert what must hold
//! whichever side wins.

mod support;

use std::any::Any;
use std::collections::HashSet;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use greenthread::channel::{self, Select};
use greenthread::net::{TcpListener, TcpStream};
use greenthread::sync::{Barrier, Condvar, Mutex, RwLock, Semaphore};
use greenthread::{Cancelled, JoinHandle, Runtime};
use support::{CountDrop, within};

/// Sets its flag when dropped: proof that the unwind ran the destructors.
struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

fn rt1() -> Runtime {
    Runtime::builder().workers(1).build().unwrap()
}

fn is_requested(payload: &(dyn Any + Send)) -> bool {
    payload.downcast_ref::<Cancelled>() == Some(&Cancelled::Requested)
}

/// Yields until `flag` is set (bounded, so a bug fails instead of hanging).
fn yield_until(flag: &AtomicBool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !flag.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "the flag was never set");
        greenthread::yield_now();
    }
}

/// A green thread blocked in `block`, with the flag its destructors set.
struct Blocked<T> {
    handle: JoinHandle<T>,
    dropped: Arc<AtomicBool>,
}

/// Spawns `block` on the calling green thread's (one-worker) runtime and returns once it is
/// blocked in it (module docs).
fn spawn_blocked<T: Send + 'static>(block: impl FnOnce() -> T + Send + 'static) -> Blocked<T> {
    assert!(greenthread::is_green());
    let dropped = Arc::new(AtomicBool::new(false));
    let ready = Arc::new(AtomicBool::new(false));
    let (d, r) = (dropped.clone(), ready.clone());
    let handle = greenthread::spawn(move || {
        let _guard = SetOnDrop(d);
        r.store(true, Ordering::SeqCst);
        block()
    });
    yield_until(&ready);
    assert!(!handle.is_finished(), "the target did not block");
    Blocked { handle, dropped }
}

impl<T> Blocked<T> {
    /// Cancels it and checks it unwound with `Cancelled::Requested`, destructors run.
    fn cancel_and_check(self) {
        assert!(!self.dropped.load(Ordering::SeqCst));
        self.handle.cancel();
        let payload = self
            .handle
            .join()
            .err()
            .expect("a cancelled thread returns Err");
        assert!(is_requested(&*payload), "payload is Cancelled::Requested");
        assert!(self.dropped.load(Ordering::SeqCst), "destructors ran");
    }
}

/// Runs `f` as a green thread of a fresh one-worker runtime, failing after 20 s.
fn on_rt1(f: impl FnOnce() + Send + 'static) {
    within(20, move || rt1().block_on(f));
}

#[test]
fn cancel_while_blocked_in_read_leaves_the_socket_usable() {
    on_rt1(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let server = Arc::new(listener.accept().unwrap().0);
        let s = server.clone();
        spawn_blocked(move || {
            let mut buf = [0u8; 16];
            (&*s).read(&mut buf).map(|n| buf[..n].to_vec())
        })
        .cancel_and_check();
        // The socket is intact: the next reader gets exactly what the peer sends.
        client.write_all(b"after").unwrap();
        let s = server.clone();
        let got = greenthread::spawn(move || {
            let mut buf = [0u8; 5];
            (&*s).read_exact(&mut buf).unwrap();
            buf
        })
        .join()
        .unwrap();
        assert_eq!(&got, b"after");
        (&*server).write_all(b"back").unwrap();
        let mut buf = [0u8; 4];
        client.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"back");
    });
}

#[test]
fn cancel_while_blocked_in_recv_loses_no_later_message() {
    on_rt1(|| {
        let (tx, rx) = channel::unbounded::<u32>();
        let rx2 = rx.clone();
        spawn_blocked(move || rx2.recv()).cancel_and_check();
        for i in 0..1000 {
            tx.send(i).unwrap();
        }
        drop(tx);
        let got: Vec<u32> = greenthread::spawn(move || rx.iter().collect())
            .join()
            .unwrap();
        assert_eq!(got, (0..1000).collect::<Vec<_>>());
    });
}

#[test]
fn cancel_while_blocked_in_select_loses_no_later_message() {
    on_rt1(|| {
        let (tx1, rx1) = channel::bounded::<u32>(0);
        let (tx2, rx2) = channel::unbounded::<u32>();
        let (r1, r2) = (rx1.clone(), rx2.clone());
        spawn_blocked(move || {
            let mut sel = Select::new();
            let a = sel.recv(&r1);
            let op = sel.select();
            if op.index() == a {
                op.recv(&r1)
            } else {
                op.recv(&r2)
            }
        })
        .cancel_and_check();
        let reader = greenthread::spawn(move || {
            let a: Vec<u32> = (0..100).map(|_| rx1.recv().unwrap()).collect();
            let b: Vec<u32> = (0..100).map(|_| rx2.recv().unwrap()).collect();
            (a, b)
        });
        for i in 0..100 {
            tx1.send(i).unwrap();
            tx2.send(i).unwrap();
        }
        let (a, b) = reader.join().unwrap();
        assert_eq!(a, (0..100).collect::<Vec<_>>());
        assert_eq!(b, (0..100).collect::<Vec<_>>());
    });
}

#[test]
fn cancel_while_blocked_in_lock_leaves_the_mutex_usable() {
    on_rt1(|| {
        let m = Arc::new(Mutex::new(0u32));
        let held = m.lock();
        let m2 = m.clone();
        spawn_blocked(move || *m2.lock() += 1).cancel_and_check();
        drop(held);
        // Everyone else still gets the lock, and the cancelled locker never did.
        let hs: Vec<_> = (0..10)
            .map(|_| {
                let m = m.clone();
                greenthread::spawn(move || *m.lock() += 10)
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(*m.lock(), 100);
        assert!(!m.is_locked());
    });
}

#[test]
fn a_guard_held_by_a_cancelled_thread_is_released() {
    on_rt1(|| {
        let m = Arc::new(Mutex::new(Vec::new()));
        let m2 = m.clone();
        spawn_blocked(move || {
            let mut g = m2.lock();
            g.push(1);
            loop {
                greenthread::park(); // holds the lock across a switch point
            }
        })
        .cancel_and_check();
        assert!(!m.is_locked());
        m.lock().push(2);
        assert_eq!(*m.lock(), [1, 2]);
    });
}

#[test]
fn cancel_while_sleeping_returns_promptly() {
    on_rt1(|| {
        let start = Instant::now();
        spawn_blocked(|| greenthread::sleep(Duration::from_secs(3600))).cancel_and_check();
        assert!(start.elapsed() < Duration::from_secs(10));
        // The runtime's timers still work.
        let t = Instant::now();
        greenthread::sleep(Duration::from_millis(5));
        assert!(t.elapsed() >= Duration::from_millis(5));
    });
}

#[test]
fn cancel_while_parked_and_in_park_timeout() {
    on_rt1(|| {
        spawn_blocked(|| {
            loop {
                greenthread::park();
            }
        })
        .cancel_and_check();
        spawn_blocked(|| {
            loop {
                greenthread::park_timeout(Duration::from_secs(3600));
            }
        })
        .cancel_and_check();
    });
}

#[test]
fn cancel_while_waiting_on_a_condvar_relocks_then_releases() {
    on_rt1(|| {
        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        let p = pair.clone();
        spawn_blocked(move || {
            let mut ready = p.0.lock();
            p.1.wait_while(&mut ready, |r| !*r);
        })
        .cancel_and_check();
        // It left the queue and its guard released the mutex.
        assert!(!pair.0.is_locked());
        assert!(!pair.1.notify_one(), "no waiter left");
        *pair.0.lock() = true;
    });
}

#[test]
fn cancel_while_acquiring_a_semaphore() {
    on_rt1(|| {
        let sem = Arc::new(Semaphore::new(0));
        let s = sem.clone();
        spawn_blocked(move || s.acquire().forget()).cancel_and_check();
        sem.add_permits(1);
        assert_eq!(sem.available_permits(), 1, "nobody took the permit");
        let s = sem.clone();
        greenthread::spawn(move || s.acquire().forget())
            .join()
            .unwrap();
        assert_eq!(sem.available_permits(), 0);
    });
}

#[test]
fn cancel_while_joining_leaves_the_joined_thread_alone() {
    on_rt1(|| {
        let (tx, rx) = channel::bounded::<()>(0);
        let worker = greenthread::spawn(move || {
            rx.recv().unwrap();
            7
        });
        let w = worker.thread().clone();
        spawn_blocked(move || worker.join()).cancel_and_check();
        // The joined thread was detached, not cancelled: it finishes normally.
        tx.send(()).unwrap();
        drop(w);
    });
}

#[test]
fn cancel_while_in_unblock_lets_the_job_finish() {
    on_rt1(|| {
        struct Result(Arc<AtomicBool>);
        impl Drop for Result {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let result_dropped = Arc::new(AtomicBool::new(false));
        let rd = result_dropped.clone();
        spawn_blocked(move || {
            greenthread::unblock(move || {
                go_rx.recv().unwrap(); // an OS-thread block, on the pool
                Result(rd)
            })
        })
        .cancel_and_check();
        // The job runs on; once it returns, its result is dropped on the pool thread.
        go_tx.send(()).unwrap();
        yield_until(&result_dropped);
    });
}

#[test]
fn cancel_while_waiting_at_a_barrier_withdraws_the_arrival() {
    on_rt1(|| {
        let barrier = Arc::new(Barrier::new(2));
        let b = barrier.clone();
        spawn_blocked(move || b.wait()).cancel_and_check();
        // Two more arrivals are needed: had the cancelled one counted, the first of these
        // would pass alone and the second would wait for ever.
        let hs: Vec<_> = (0..2)
            .map(|_| {
                let b = barrier.clone();
                greenthread::spawn(move || b.wait().is_leader())
            })
            .collect();
        let leaders = hs.into_iter().map(|h| h.join().unwrap());
        assert_eq!(leaders.filter(|&l| l).count(), 1);
    });
}

#[test]
fn a_cancelled_waiting_writer_lets_the_readers_behind_it_in() {
    on_rt1(|| {
        let lock = Arc::new(RwLock::new(0));
        let r1 = lock.read();
        let l = lock.clone();
        let writer = spawn_blocked(move || *l.write() += 1);
        // A reader now waits behind the waiting writer (writers are preferred).
        let l = lock.clone();
        let reader = spawn_blocked(move || *l.read());
        writer.cancel_and_check();
        assert_eq!(reader.handle.join().unwrap(), 0);
        drop(r1);
        *lock.write() += 1;
        assert_eq!(*lock.read(), 1);
    });
}

#[test]
fn cancel_before_start_never_runs_the_function() {
    on_rt1(|| {
        let ran = Arc::new(AtomicBool::new(false));
        let dropped = Arc::new(AtomicBool::new(false));
        let (r, d) = (ran.clone(), SetOnDrop(dropped.clone()));
        // One worker, and no switch point before `cancel`: it has not started.
        let h = greenthread::spawn(move || {
            let _d = d;
            r.store(true, Ordering::SeqCst);
        });
        h.cancel();
        let payload = h.join().unwrap_err();
        assert!(is_requested(&*payload));
        assert!(!ran.load(Ordering::SeqCst), "the function never ran");
        assert!(dropped.load(Ordering::SeqCst), "the function was dropped");
    });
}

#[test]
fn cancel_after_finish_is_a_no_op() {
    on_rt1(|| {
        let h = greenthread::spawn(|| 5);
        while !h.is_finished() {
            greenthread::yield_now();
        }
        h.cancel();
        h.cancel();
        assert_eq!(h.join().unwrap(), 5);
    });
}

#[test]
fn cancel_of_a_yield_loop() {
    on_rt1(|| {
        let spins = Arc::new(AtomicUsize::new(0));
        let s = spins.clone();
        let b = spawn_blocked(move || {
            loop {
                s.fetch_add(1, Ordering::Relaxed);
                greenthread::yield_now();
            }
        });
        b.cancel_and_check();
        let n = spins.load(Ordering::Relaxed);
        greenthread::yield_now();
        assert_eq!(spins.load(Ordering::Relaxed), n, "it stopped");
    });
}

#[test]
fn cancel_from_an_os_thread_and_from_another_green_thread() {
    within(20, || {
        let rt = support::rt();
        for from_green in [false, true] {
            let dropped = Arc::new(AtomicBool::new(false));
            let (started_tx, started_rx) = mpsc::channel();
            let guard = SetOnDrop(dropped.clone());
            let target = rt.spawn(move || {
                let _g = guard;
                started_tx.send(()).unwrap();
                loop {
                    greenthread::park();
                }
            });
            started_rx.recv().unwrap();
            // Cancel it while it is parked (the stats see it), from the other side.
            let deadline = Instant::now() + Duration::from_secs(10);
            while rt.stats().parked_by.park == 0 {
                assert!(Instant::now() < deadline, "the target never parked");
                std::thread::yield_now();
            }
            let h = if from_green {
                rt.spawn(move || {
                    target.cancel();
                    target.join()
                })
                .join()
                .unwrap()
            } else {
                target.cancel();
                target.join()
            };
            assert!(is_requested(&*h.unwrap_err()));
            assert!(dropped.load(Ordering::SeqCst));
        }
    });
}

#[test]
fn catching_the_cancellation_lets_the_thread_carry_on() {
    on_rt1(|| {
        let b = spawn_blocked(|| {
            let caught = std::panic::catch_unwind(|| {
                loop {
                    greenthread::park();
                }
            });
            let payload = caught.unwrap_err();
            assert!(is_requested(&*payload));
            // Raised once: waiting works normally again.
            greenthread::sleep(Duration::from_millis(1));
            greenthread::yield_now();
            42
        });
        b.handle.cancel();
        assert_eq!(b.handle.join().unwrap(), 42);
        assert!(b.dropped.load(Ordering::SeqCst));
    });
}

#[test]
fn destructors_may_block_during_the_unwind() {
    on_rt1(|| {
        struct LockOnDrop(Arc<Mutex<u32>>);
        impl Drop for LockOnDrop {
            fn drop(&mut self) {
                *self.0.lock() += 1; // waits: the lock is held below
            }
        }
        let m = Arc::new(Mutex::new(0));
        let held = m.lock();
        let m2 = m.clone();
        let b = spawn_blocked(move || {
            let _l = LockOnDrop(m2);
            loop {
                greenthread::park();
            }
        });
        b.handle.cancel();
        // Let it start unwinding and block in the destructor, then release the lock.
        for _ in 0..10 {
            greenthread::yield_now();
        }
        drop(held);
        assert!(is_requested(&*b.handle.join().unwrap_err()));
        assert_eq!(*m.lock(), 1);
    });
}

#[test]
fn scoped_threads_can_be_cancelled() {
    on_rt1(|| {
        let dropped = AtomicBool::new(false);
        greenthread::scope(|s| {
            let g = SetOnDropRef(&dropped); // dropped with the closure if it never starts
            let h = s.spawn(move || {
                let _g = g;
                loop {
                    greenthread::park();
                }
            });
            h.cancel();
            assert!(is_requested(&*h.join().unwrap_err()));
        });
        assert!(dropped.load(Ordering::SeqCst));
    });
}

struct SetOnDropRef<'a>(&'a AtomicBool);

impl Drop for SetOnDropRef<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn a_cancelled_thread_waiting_for_its_scope_waits_for_the_scoped_threads() {
    on_rt1(|| {
        let (tx, rx) = channel::bounded::<()>(0);
        let finished = Arc::new(AtomicBool::new(false));
        let f = finished.clone();
        let b = spawn_blocked(move || {
            greenthread::scope(|s| {
                s.spawn(|| {
                    rx.recv().unwrap();
                    f.store(true, Ordering::SeqCst);
                });
            });
            loop {
                greenthread::park(); // the next switch point raises the cancellation
            }
        });
        b.handle.cancel();
        for _ in 0..10 {
            greenthread::yield_now();
        }
        assert!(!b.handle.is_finished(), "it waits for its scoped thread");
        tx.send(()).unwrap();
        let payload = b.handle.join().unwrap_err();
        assert!(is_requested(&*payload));
        assert!(finished.load(Ordering::SeqCst));
    });
}

/// A message tracked by a shared count of drops, to see it neither lost nor duplicated.
struct Msg(u32, #[allow(dead_code)] CountDrop);

#[test]
fn stress_cancel_racing_a_send_to_a_blocked_receiver() {
    within(120, || {
        let rt = support::rt();
        let drops = Arc::new(AtomicUsize::new(0));
        let (mut received_by_target, mut put_back) = (0, 0);
        for i in 0..2000u32 {
            let (tx, rx) = channel::bounded::<Msg>(if i % 2 == 0 { 0 } else { 4 });
            let rx_target = rx.clone();
            let (_idle_tx, idle_rx) = channel::bounded::<Msg>(0);
            // Half of the targets block in a select (over this channel and an idle one).
            let target = if i % 4 < 2 {
                rt.spawn(move || rx_target.recv().map(|m| m.0))
            } else {
                rt.spawn(move || {
                    let mut sel = Select::new();
                    sel.recv(&rx_target);
                    sel.recv(&idle_rx);
                    let op = sel.select();
                    assert_eq!(op.index(), 0, "the idle channel gets nothing");
                    op.recv(&rx_target).map(|m| m.0)
                })
            };
            if i % 3 == 0 {
                std::thread::yield_now();
            }
            // Race: the message goes to the blocked target, or into the buffer, or to the
            // target just as it is cancelled, which must put it back.
            let sent = tx.send_timeout(Msg(i, CountDrop(drops.clone())), Duration::from_millis(1));
            target.cancel();
            match target.join() {
                Ok(v) => {
                    assert_eq!(v.unwrap(), i);
                    assert!(sent.is_ok());
                    received_by_target += 1;
                }
                Err(p) => {
                    assert!(is_requested(&*p));
                    match sent {
                        // Sent, not received by the target: it is still in the channel.
                        Ok(()) => {
                            let back = rx.try_recv().map(|m| m.0);
                            assert_eq!(back.ok(), Some(i), "iteration {i}: message lost");
                            put_back += 1;
                        }
                        Err(e) => drop(e),
                    }
                }
            }
            assert!(rx.try_recv().is_err(), "iteration {i}: message duplicated");
            assert_eq!(drops.load(Ordering::SeqCst), i as usize + 1, "dropped once");
        }
        eprintln!(
            "of 2000: {received_by_target} received by the target, {put_back} left in the channel"
        );
    });
}

#[test]
fn stress_cancel_racing_a_rendezvous_send() {
    within(120, || {
        let rt = support::rt();
        let drops = Arc::new(AtomicUsize::new(0));
        let mut received = HashSet::new();
        for i in 0..2000u32 {
            let (tx, rx) = channel::bounded::<Msg>(0);
            let msg = Msg(i, CountDrop(drops.clone())); // dropped with the closure if it never starts
            let sender = rt.spawn(move || tx.send(msg).is_ok());
            let receiver = rt.spawn(move || rx.recv().ok().map(|m| m.0));
            if i % 2 == 0 {
                std::thread::yield_now();
            }
            sender.cancel();
            // The receiver ends either with the message or disconnected (the sender's
            // unwind dropped the only Sender), never waiting for ever.
            let sent = sender.join();
            let got = receiver.join().unwrap();
            if let Ok(ok) = sent {
                assert!(ok);
                assert_eq!(got, Some(i), "a completed send was received");
            }
            if let Some(v) = got {
                assert_eq!(v, i);
                assert!(received.insert(v), "received twice");
            }
            assert_eq!(drops.load(Ordering::SeqCst), i as usize + 1, "dropped once");
        }
        eprintln!("{} of 2000 rendezvous completed", received.len());
    });
}

#[test]
fn stress_cancel_racing_an_unlock() {
    within(120, || {
        let rt = support::rt();
        let m = Arc::new(Mutex::new(0u32));
        let mut ok = 0;
        for i in 0..2000 {
            let held = m.lock();
            let m2 = m.clone();
            let target = rt.spawn(move || *m2.lock() += 1);
            if i % 2 == 0 {
                std::thread::yield_now();
            }
            drop(held);
            target.cancel();
            match target.join() {
                Ok(()) => ok += 1,
                Err(p) => assert!(is_requested(&*p)),
            }
        }
        assert_eq!(
            *m.lock(),
            ok,
            "every successful locker counted, no one else"
        );
        assert!(!m.is_locked());
    });
}

#[test]
fn stress_cancel_racing_a_notify() {
    within(120, || {
        let rt = support::rt();
        for _ in 0..500 {
            let pair = Arc::new((Mutex::new(0u32), Condvar::new()));
            let (ready_tx, ready_rx) = mpsc::channel();
            let mut waiters = Vec::new();
            for _ in 0..2 {
                let p = pair.clone();
                let ready = ready_tx.clone();
                waiters.push(rt.spawn(move || {
                    let mut tokens = p.0.lock();
                    ready.send(()).unwrap();
                    // Consume one token, waiting for it.
                    let r =
                        p.1.wait_while_for(&mut tokens, |t| *t == 0, Duration::from_secs(20));
                    assert!(!r.timed_out(), "a notification was lost");
                    *tokens -= 1;
                }));
            }
            ready_rx.recv().unwrap();
            ready_rx.recv().unwrap();
            // Both are waiting (they released the mutex to wait) or about to.
            *pair.0.lock() += 1;
            pair.1.notify_one();
            waiters[0].cancel();
            let first = waiters.remove(0).join();
            // If the first took the token, the second must not need one; else the second
            // must get it even if the notification went to the cancelled first.
            match first {
                Ok(()) => {
                    *pair.0.lock() += 1;
                    pair.1.notify_one();
                }
                Err(p) => assert!(is_requested(&*p)),
            }
            waiters.remove(0).join().unwrap();
            assert_eq!(*pair.0.lock(), 0);
        }
    });
}

/// Runs `f` when dropped.
struct OnDrop<F: FnMut()>(F);

impl<F: FnMut()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}

#[test]
fn a_cancel_raised_before_a_timed_wait_leaves_no_timer_behind() {
    within(30, || {
        let rt = Runtime::builder().workers(1).build().unwrap();
        let started = Arc::new(AtomicBool::new(false));
        let go = Arc::new(AtomicBool::new(false));
        let (s, g) = (started.clone(), go.clone());
        let h = rt.spawn(move || {
            s.store(true, Ordering::SeqCst);
            while !g.load(Ordering::SeqCst) {
                std::hint::spin_loop(); // running, not at a switch point
            }
            greenthread::sleep(Duration::from_secs(3600));
        });
        while !started.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        h.cancel(); // while it runs: its next wait is the timed one
        go.store(true, Ordering::SeqCst);
        assert!(is_requested(&*h.join().unwrap_err()));
        assert_eq!(rt.stats().timers, 0, "the sleep's timer was left behind");
    });
}

#[test]
fn unwinds_that_wait_in_destructors_keep_panicking_per_worker_exact() {
    within(60, || {
        // Green threads unwind (a panic, or a cancel) and wait in a destructor meanwhile; the
        // unwind must end on the OS thread it began on, or std's per-thread panic count
        // goes wrong there for good (seen by every later green thread on that worker).
        let rt = Runtime::builder().workers(2).build().unwrap();
        let lost = Arc::new(AtomicUsize::new(0));
        for round in 0..200 {
            let (tx, rx) = channel::bounded::<()>(0);
            let lost = lost.clone();
            let unwinder = rt.spawn(move || {
                let _wait = OnDrop(move || {
                    let _ = rx.recv(); // parks while the unwind is in progress
                    // Still unwinding: std must still say so wherever we resumed.
                    if !std::thread::panicking() {
                        lost.fetch_add(1, Ordering::SeqCst);
                    }
                });
                if round % 2 == 0 {
                    panic!("on purpose");
                }
                greenthread::park(); // cancelled below
            });
            if round % 2 == 1 {
                while rt.stats().parked_by.park == 0 {
                    std::thread::yield_now();
                }
                unwinder.cancel();
            }
            // Let the unwinding thread wait in its destructor, then free it from a green
            // thread that may well run on the other worker.
            rt.spawn(move || {
                for _ in 0..10 {
                    greenthread::yield_now();
                }
                tx.send(()).unwrap();
            })
            .join()
            .unwrap();
            assert!(unwinder.join().is_err());
        }
        assert_eq!(
            lost.load(Ordering::SeqCst),
            0,
            "an unwind resumed on an OS thread that did not know it was unwinding"
        );
        // Every worker's count is back to zero: no green thread sees a panic in progress.
        let hs: Vec<_> = (0..64)
            .map(|_| rt.spawn(|| (std::thread::panicking(), greenthread::yield_now()).0))
            .collect();
        for h in hs {
            assert!(
                !h.join().unwrap(),
                "std::thread::panicking() stuck on a worker"
            );
        }
    });
}

#[test]
fn a_cancel_is_raised_while_another_green_thread_unwinds_on_the_same_worker() {
    within(30, || {
        let rt = rt1();
        let (tx, rx) = channel::bounded::<()>(0);
        // A unwinds and waits in a destructor on the only worker.
        let a = rt.spawn(move || {
            let _wait = OnDrop(move || {
                let _ = rx.recv();
            });
            panic!("on purpose");
        });
        let b = rt.spawn(greenthread::park);
        while rt.stats().parked_by.channel == 0 || rt.stats().parked_by.park == 0 {
            std::thread::yield_now();
        }
        b.cancel(); // B is not unwinding: it must unwind now, not wait for A
        assert!(is_requested(&*b.join().unwrap_err()));
        tx.send(()).unwrap();
        assert!(a.join().is_err());
    });
}

/// A send cancelled while blocked drops its message after releasing the channel's lock, so
/// a message that holds an end of the same channel (a channel of channels) can be dropped.
#[test]
fn a_cancelled_send_of_a_message_holding_its_own_channel_does_not_deadlock() {
    enum Msg {
        Reply(#[allow(dead_code)] channel::Sender<Msg>),
    }
    within(30, || {
        let rt = support::rt();
        let (tx, rx) = channel::bounded::<Msg>(0);
        let own = tx.clone();
        let b = greenthread::Builder::new().name("sender".into());
        let h = rt.block_on(|| {
            b.spawn(move || {
                let _ = own.send(Msg::Reply(own.clone()));
            })
            .unwrap()
        });
        support::until_parked(&rt, "sender", greenthread::runtime::WaitReason::ChannelSend);
        h.cancel();
        assert!(is_requested(&*h.join().unwrap_err()));
        // The channel is still usable: its lock was released.
        let (tx2, rx2) = (tx.clone(), rx.clone());
        let r = rt.spawn(move || matches!(rx2.recv(), Ok(Msg::Reply(_))));
        tx2.send(Msg::Reply(tx.clone())).unwrap();
        assert!(r.join().unwrap());
    });
}
