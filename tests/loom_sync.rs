//! Loom models of the wait queues of `sync::Mutex` and of the channels, and of the
//! oneshot channel's state word.
//!
//! Like `tests/loom_parker.rs`, this compiles the shipped source files (`src/sync/waiter.rs`,
//! `src/sync/mutex.rs`, `src/channel/chan.rs`, `src/channel/slot.rs`,
//! `src/channel/oneshot.rs`) against a `crate::loom` module that hands them loom's atomics and
//! lock, plus minimal stand-ins for the runtime they call into:
//! `thread::block` is `loom::thread::park` and `Thread::wake` is `unpark` (the same
//! "a wake-up before the wait is not lost" contract as the real parker, which
//! `loom_parker.rs` checks). Loom then explores the interleavings: a lost wake-up shows up
//! as a deadlock, a lost or duplicated lock/message as a failed assertion.
//!
//! The clock is fake and deterministic (loom replays executions): `FAIR` chooses whether
//! every waiter counts as having waited "long" (so unlock hands the lock over) or never.
//!
//! Run: `cargo test --release --test loom_sync` (a few seconds). A debug build explores
//! fewer interleavings ([`PREEMPTIONS`]); `LOOM_MAX_PREEMPTIONS=3` restores them.

#![allow(dead_code, unused_imports, clippy::all)]
// Not under AddressSanitizer (scripts/sanitize.sh): loom runs each modelled thread on a
// stack of its own (the `generator` crate) without telling the sanitizer, which then cannot
// follow its switches, and the thousands of interleavings it explores take many minutes at
// the sanitizer's speed. The model checks orderings, not memory; the code it compiles runs
// under the sanitizer in the rest of the suite.
#![cfg(not(asan))]

use std::sync::atomic::AtomicBool;

/// Fairness mode of the fake clock for the current model.
static FAIR: AtomicBool = AtomicBool::new(false);

mod loom {
    pub(crate) const SPINS: u32 = 0;

    pub(crate) mod sync {
        use std::fmt;
        use std::sync::OnceLock;

        /// `parking_lot::Mutex`'s shape over loom's mutex, constructible in a `const fn`
        /// (created lazily on first use).
        pub(crate) struct Mutex<T> {
            init: std::cell::Cell<Option<T>>,
            inner: OnceLock<::loom::sync::Mutex<T>>,
        }

        // SAFETY (test shim): `init` is only taken inside `OnceLock::get_or_init`, which
        // runs once.
        unsafe impl<T: Send> Sync for Mutex<T> {}
        unsafe impl<T: Send> Send for Mutex<T> {}

        impl<T> Mutex<T> {
            pub(crate) const fn new(v: T) -> Self {
                Mutex {
                    init: std::cell::Cell::new(Some(v)),
                    inner: OnceLock::new(),
                }
            }

            pub(crate) fn lock(&self) -> ::loom::sync::MutexGuard<'_, T> {
                self.inner
                    .get_or_init(|| ::loom::sync::Mutex::new(self.init.take().unwrap()))
                    .lock()
                    .unwrap()
            }
        }

        pub(crate) use ::loom::sync::MutexGuard;

        impl<T> fmt::Debug for Mutex<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("Mutex")
            }
        }

        pub(crate) mod atomic {
            use std::sync::OnceLock;

            pub(crate) use ::loom::sync::atomic::{AtomicUsize, Ordering};

            /// loom's `AtomicU8`, constructible in a `const fn` (created on first use).
            pub(crate) struct AtomicU8 {
                init: u8,
                inner: OnceLock<::loom::sync::atomic::AtomicU8>,
            }

            impl AtomicU8 {
                pub(crate) const fn new(v: u8) -> Self {
                    AtomicU8 {
                        init: v,
                        inner: OnceLock::new(),
                    }
                }
                fn get(&self) -> &::loom::sync::atomic::AtomicU8 {
                    self.inner
                        .get_or_init(|| ::loom::sync::atomic::AtomicU8::new(self.init))
                }
                pub(crate) fn load(&self, o: Ordering) -> u8 {
                    self.get().load(o)
                }
                pub(crate) fn store(&self, v: u8, o: Ordering) {
                    self.get().store(v, o)
                }
                pub(crate) fn fetch_or(&self, v: u8, o: Ordering) -> u8 {
                    self.get().fetch_or(v, o)
                }
                pub(crate) fn fetch_and(&self, v: u8, o: Ordering) -> u8 {
                    self.get().fetch_and(v, o)
                }
                pub(crate) fn compare_exchange(
                    &self,
                    a: u8,
                    b: u8,
                    s: Ordering,
                    f: Ordering,
                ) -> Result<u8, u8> {
                    self.get().compare_exchange(a, b, s, f)
                }
                pub(crate) fn compare_exchange_weak(
                    &self,
                    a: u8,
                    b: u8,
                    s: Ordering,
                    f: Ordering,
                ) -> Result<u8, u8> {
                    // Loom's weak CAS may fail spuriously, which multiplies the states
                    // explored; the code handles both, the strong one keeps the model small.
                    self.get().compare_exchange(a, b, s, f)
                }
            }
        }
    }

    /// A spin waiting for another thread yields to loom's scheduler instead.
    pub(crate) mod hint {
        pub(crate) fn backoff(_step: &mut u32) {
            ::loom::thread::yield_now();
        }
    }

    /// loom's cells, so the models check every access to the mailbox and the oneshot.
    pub(crate) mod cell {
        pub(crate) use ::loom::cell::UnsafeCell;
    }

    pub(crate) mod time {
        use std::time::Duration;

        /// A clock that never moves; `elapsed` follows the model's fairness mode.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
        pub(crate) struct Instant(u64);

        impl Instant {
            pub(crate) fn now() -> Instant {
                Instant(0)
            }
            pub(crate) fn elapsed(&self) -> Duration {
                if crate::FAIR.load(std::sync::atomic::Ordering::Relaxed) {
                    Duration::from_secs(1)
                } else {
                    Duration::ZERO
                }
            }
            pub(crate) fn checked_add(&self, d: Duration) -> Option<Instant> {
                Some(Instant(self.0 + d.as_nanos() as u64))
            }
        }
    }
}

mod coroutine {
    pub(crate) struct Task;
    impl Task {
        pub(crate) fn is_cancelling(&self) -> bool {
            false
        }
    }
    pub(crate) fn current_task() -> Option<&'static Task> {
        None
    }
}

/// The wait reasons the shipped files name (recorded for the dump; unused in the model).
mod runtime {
    #[derive(Debug, Clone, Copy)]
    pub(crate) enum WaitReason {
        Mutex,
        Condvar,
        ChannelSend,
        ChannelRecv,
    }
}

mod thread {
    use crate::loom::time::Instant;

    #[derive(Debug)]
    pub(crate) struct Thread(::loom::thread::Thread);

    impl Thread {
        pub(crate) fn wake(&self) {
            self.0.unpark();
        }
    }

    pub(crate) fn current() -> Thread {
        Thread(::loom::thread::current())
    }

    pub(crate) fn current_os() -> Thread {
        current()
    }

    pub(crate) fn block(_reason: crate::runtime::WaitReason, deadline: Option<Instant>) {
        assert!(deadline.is_none(), "the models use no timeouts");
        ::loom::thread::park();
    }

    pub(crate) fn block_no_cancel(reason: crate::runtime::WaitReason, deadline: Option<Instant>) {
        block(reason, deadline)
    }

    pub(crate) mod os {
        pub(crate) struct Os {
            pub(crate) parker: Parker,
        }
        pub(crate) struct Parker;
        impl Parker {
            pub(crate) fn park(&self, d: Option<crate::loom::time::Instant>) {
                super::block(crate::runtime::WaitReason::Mutex, d)
            }
        }
        pub(crate) fn current_os_thread() -> Os {
            Os { parker: Parker }
        }
    }
}

#[path = "../src/channel/chan.rs"]
mod chan;
#[path = "../src/sync/condvar.rs"]
mod condvar;
#[path = "../src/channel/error.rs"]
mod error;
#[path = "../src/sync/mailbox.rs"]
mod mailbox;
#[path = "../src/sync/mutex.rs"]
mod mutex;
#[path = "../src/channel/oneshot.rs"]
mod oneshot;
#[path = "../src/channel/settle.rs"]
mod settle;
#[path = "../src/channel/slot.rs"]
mod slot;
#[path = "../src/sync/waiter.rs"]
mod waiter;

/// The channels' per-thread spare waiters, on a loom thread-local (the shipped
/// `src/channel/spare.rs` keeps a green thread's in its record, which the model has not):
/// taken for an operation and given back after it, as there.
mod spare {
    use crate::waiter::{Waiter, WaiterCache};
    use std::ops::Deref;
    use std::sync::Arc;

    ::loom::thread_local! {
        static SPARE: WaiterCache = WaiterCache::default();
    }

    pub(crate) struct Spare(Option<Arc<Waiter>>);

    impl Deref for Spare {
        type Target = Arc<Waiter>;
        fn deref(&self) -> &Arc<Waiter> {
            self.0.as_ref().unwrap()
        }
    }

    impl Drop for Spare {
        fn drop(&mut self) {
            let w = self.0.take().unwrap();
            SPARE.with(|c| c.give_back(w));
        }
    }

    pub(crate) fn waiter() -> Spare {
        let w = SPARE.with(WaiterCache::take);
        // Create the mailbox's lazily-made loom atomic in its owner, before a sender may
        // touch it (the shim's `OnceLock` is not modelled).
        let _ = w.mailbox.delivery();
        Spare(Some(w))
    }
}

/// Where the shipped files look for each other (`crate::sync::waiter`, ...).
mod sync {
    pub(crate) use crate::{mailbox, mutex, waiter};
}

use std::sync::Arc;
use std::sync::atomic::Ordering;

use chan::Chan;
use condvar::Condvar;
use error::RecvTimeoutError;
use mutex::Mutex;

/// Loom's preemption bound for these models: 3 in an optimised build; 2 in a debug build
/// (plain `cargo test`), where loom runs some thirty times slower and the two slowest models
/// took minutes each at 3. The bugs they guard against (a lost wake-up, a slot waiter
/// overtaken by the queue) need one or two preemptions, so 2 still finds them; 3 adds the
/// margin. `LOOM_MAX_PREEMPTIONS` overrides either.
const PREEMPTIONS: usize = if cfg!(debug_assertions) { 2 } else { 3 };

fn builder() -> ::loom::model::Builder {
    let mut b = ::loom::model::Builder::new();
    b.preemption_bound = b.preemption_bound.or(Some(PREEMPTIONS));
    b
}

/// Three threads lock and unlock (two can be queued at once); every increment is kept, no
/// one sleeps forever.
fn mutex_model(fair: bool) {
    FAIR.store(fair, Ordering::Relaxed);
    builder().check(|| {
        let m = Arc::new(Mutex::new(0usize));
        // Create the lazily-made loom atomic before the threads share it (the shim's
        // `OnceLock` is not modelled).
        drop(m.try_lock());
        let ths: Vec<_> = (0..2)
            .map(|_| {
                let m = m.clone();
                ::loom::thread::spawn(move || {
                    *m.lock() += 1;
                })
            })
            .collect();
        *m.lock() += 1;
        for t in ths {
            t.join().unwrap();
        }
        assert_eq!(*m.lock(), 3);
        assert!(!m.is_locked());
    });
}

/// Both unlock policies, in one test: `FAIR` is process-wide, and loom needs the model to
/// be deterministic, so they must not run in parallel.
#[test]
fn mutex_barging_and_hand_off_unlocks() {
    mutex_model(false);
    mutex_model(true);
}

/// A rendezvous: a blocked sender and a blocked receiver always meet, the message arrives
/// once, and disconnection wakes a blocked receiver.
#[test]
fn rendezvous_channel() {
    builder().check(|| {
        let chan = Arc::new(Chan::<u32>::new(Some(0)));
        let c = chan.clone();
        let sender = ::loom::thread::spawn(move || {
            c.send(7, None).unwrap();
            c.drop_sender();
        });
        assert_eq!(chan.recv(None).unwrap(), 7);
        assert!(matches!(
            chan.recv(None),
            Err(RecvTimeoutError::Disconnected)
        ));
        sender.join().unwrap();
    });
}

/// Ping-pong over two rendezvous channels, two round trips: each thread's second blocking
/// operation reuses its spare waiter, which must not be chosen or woken for the first.
#[test]
fn rendezvous_ping_pong_reuses_waiters() {
    builder().check(|| {
        let there = Arc::new(Chan::<u32>::new(Some(0)));
        let back = Arc::new(Chan::<u32>::new(Some(0)));
        let (t, b) = (there.clone(), back.clone());
        let echo = ::loom::thread::spawn(move || {
            while let Ok(v) = t.recv(None) {
                b.send(v + 1, None).unwrap();
            }
        });
        for i in 0..2 {
            there.send(i * 10, None).unwrap();
            assert_eq!(back.recv(None).unwrap(), i * 10 + 1);
        }
        there.drop_sender();
        echo.join().unwrap();
    });
}

/// Two senders and one receiver on a channel of capacity `cap`, each sender dropping its
/// end after its send: both messages arrive exactly once, then the receiver sees the
/// disconnection.
fn two_senders_one_receiver(cap: usize) {
    builder().check(move || {
        let chan = Arc::new(Chan::<u32>::new(Some(cap)));
        chan.state.lock().senders = 2;
        let ths: Vec<_> = [1u32, 2]
            .into_iter()
            .map(|v| {
                let c = chan.clone();
                ::loom::thread::spawn(move || {
                    c.send(v, None).unwrap();
                    c.drop_sender();
                })
            })
            .collect();
        let a = chan.recv(None).unwrap();
        let b = chan.recv(None).unwrap();
        assert_eq!(a + b, 3);
        assert!(matches!(
            chan.recv(None),
            Err(RecvTimeoutError::Disconnected)
        ));
        for t in ths {
            t.join().unwrap();
        }
    });
}

/// Two senders on a rendezvous channel: one send may wait in the slot without the lock
/// while the other queues behind it (and marks the slot BUSY, so that no operation waits
/// there without the lock while a queue is in use).
#[test]
fn rendezvous_slot_and_queue_two_senders() {
    two_senders_one_receiver(0);
}

/// Two receivers and one sender on a rendezvous channel: one receive may wait in the slot
/// without the lock while the other queues behind it (marking the slot BUSY, so that the
/// second send does not wait in the slot while a receive is queued); each gets one message.
#[test]
fn rendezvous_slot_and_queue_two_receivers() {
    builder().check(|| {
        let chan = Arc::new(Chan::<u32>::new(Some(0)));
        chan.state.lock().receivers = 2;
        let ths: Vec<_> = (0..2)
            .map(|_| {
                let c = chan.clone();
                ::loom::thread::spawn(move || c.recv(None).unwrap())
            })
            .collect();
        chan.send(1, None).unwrap();
        chan.send(2, None).unwrap();
        let got: u32 = ths.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(got, 3);
    });
}

/// The last receiver leaves while a send waits (in the slot or about to): the send gets its
/// message back as a disconnection, never lost and never delivered.
#[test]
fn rendezvous_send_sees_the_last_receiver_leave() {
    builder().check(|| {
        let chan = Arc::new(Chan::<u32>::new(Some(0)));
        let c = chan.clone();
        let sender = ::loom::thread::spawn(move || c.send(9, None));
        chan.drop_receiver();
        match sender.join().unwrap() {
            Err(e) => assert_eq!(e.into_inner(), 9),
            Ok(()) => panic!("sent to no receiver"),
        }
    });
}

/// A message handed back to a rendezvous channel (a select's released receive) races a
/// receive parking in the slot without the lock: the receive gets it (the hand-back marks
/// the slot BUSY before it looks for a receive, so none parks unseen).
#[test]
fn rendezvous_hand_back_races_a_receive_parking_in_the_slot() {
    builder().check(|| {
        let chan = Arc::new(Chan::<u32>::new(Some(0)));
        let key = 1u64 << 62;
        chan.state.lock().stash.push((key, chan::Stashed::Msg(5)));
        let c = chan.clone();
        let t = ::loom::thread::spawn(move || c.reclaim(key, None, false));
        assert_eq!(chan.recv(None).unwrap(), 5);
        t.join().unwrap();
    });
}

/// A bounded(1) channel with two senders: one of them blocks on the full buffer and is
/// refilled into it by the receiver.
#[test]
fn bounded_channel_blocked_sender() {
    two_senders_one_receiver(1);
}

/// A condition handed over with `notify_one`, in both orders relative to the wait: the
/// waiter queues itself before it unlocks, so the notification cannot fall in between.
#[test]
fn condvar_notify_is_not_lost() {
    FAIR.store(false, Ordering::Relaxed);
    builder().check(|| {
        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        drop(pair.0.try_lock());
        let p = pair.clone();
        let notifier = ::loom::thread::spawn(move || {
            *p.0.lock() = true;
            p.1.notify_one();
        });
        let mut g = pair.0.lock();
        while !*g {
            pair.1.wait(&mut g);
        }
        drop(g);
        notifier.join().unwrap();
    });
}

/// A oneshot's send races a blocking receive: the receive always ends with the message, and
/// it is dropped once.
#[test]
fn oneshot_send_wakes_a_blocking_receive() {
    builder().check(|| {
        let drops = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (tx, rx) = oneshot::channel::<Counted>();
        // Create the lazily-made loom atomic before the threads share it.
        let _ = tx.is_closed();
        let d = drops.clone();
        let sender = ::loom::thread::spawn(move || {
            tx.send(Counted(d)).map_err(drop).unwrap();
        });
        let got = rx.recv().map_err(drop).unwrap();
        drop(got);
        sender.join().unwrap();
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}

/// A oneshot's sender is dropped while the receiver blocks: the receive fails, no wake-up
/// is lost.
#[test]
fn oneshot_dropped_sender_wakes_a_blocking_receive() {
    builder().check(|| {
        let (tx, rx) = oneshot::channel::<u32>();
        let _ = tx.is_closed();
        let sender = ::loom::thread::spawn(move || drop(tx));
        assert!(rx.recv().is_err());
        sender.join().unwrap();
    });
}

/// A oneshot's receiver leaves while the send happens: the message is handed back or
/// dropped with the channel, exactly once either way.
#[test]
fn oneshot_send_races_the_receivers_drop() {
    builder().check(|| {
        let drops = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (tx, rx) = oneshot::channel::<Counted>();
        // Create the lazily-made loom atomic before the threads share it.
        let _ = tx.is_closed();
        let d = drops.clone();
        let sender = ::loom::thread::spawn(move || {
            // Handed back (dropped here) or left in the channel.
            let _ = tx.send(Counted(d));
        });
        drop(rx);
        sender.join().unwrap();
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}

/// Counts its drops (the loom models' messages).
struct Counted(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}
