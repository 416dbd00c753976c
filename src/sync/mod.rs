//! Locks and other synchronisation primitives that park the waiting *green thread*, not
//! its worker.
//!
//! A green thread that blocks on `std::sync::Mutex` stops its whole worker OS thread, and
//! with it every green thread queued there. The primitives here wait with the runtime's one
//! wait primitive instead: on a green thread they park it (the worker runs others), on a
//! plain OS thread they block it. So they work between any mix of the two.
//!
//! | type | like |
//! | --- | --- |
//! | [`Mutex`], [`MutexGuard`] | `parking_lot::Mutex` (no poisoning; eventually fair) |
//! | [`RwLock`], [`RwLockReadGuard`], [`RwLockWriteGuard`] | `parking_lot::RwLock` |
//! | [`Condvar`], [`WaitTimeoutResult`] | `parking_lot::Condvar` |
//! | [`Semaphore`], [`SemaphoreGuard`] | a counting semaphore with FIFO hand-off |
//! | [`Barrier`], [`BarrierWaitResult`] | `std::sync::Barrier` |
//! | [`WaitGroup`] | `crossbeam_utils::sync::WaitGroup` |
//!
//! # How they wait
//!
//! Each is a state plus a queue of parked `Waiter`s (parking_lot_core's shape):
//! a waiter queues itself and re-checks the condition before it blocks, a waker *chooses* a
//! waiter with a compare-and-swap on its state before waking it, and a waiter that times
//! out aborts with a compare-and-swap too, so exactly one of the two decides and a lock,
//! permit or notification is never lost between them. The waiter module documents the
//! protocol.
//!
//! # Cancellation
//!
//! A green thread cancelled ([`JoinHandle::cancel`](crate::JoinHandle::cancel)) while it
//! waits in `lock`, `read`, `write`, `acquire`, a condvar or barrier `wait` unwinds from the
//! wait without what it waited for, and leaves the primitive consistent for everyone else:
//! it leaves the queue, and a lock, permit or notification handed to it at that moment is
//! passed on. A condvar wait re-acquires the mutex first (the guard always holds it), and a
//! barrier arrival is withdrawn. Guards held by the cancelled green thread are released by
//! its unwind like by any panic.
//!
//! # At runtime shutdown
//!
//! When a runtime is dropped it unwinds its parked green threads. A green thread unwound
//! while it waits leaves its queue cleanly (a lock or permit it was just handed is passed
//! on). A destructor that waits during the unwind blocks the OS thread doing the shutdown
//! until it can go on.

mod barrier;
mod condvar;
pub(crate) mod mailbox;
mod mutex;
mod rwlock;
mod semaphore;
mod wait_group;
pub(crate) mod waiter;

pub use barrier::{Barrier, BarrierWaitResult};
pub use condvar::{Condvar, WaitTimeoutResult};
pub use mutex::{Mutex, MutexGuard};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use semaphore::{Semaphore, SemaphoreGuard};
pub use wait_group::WaitGroup;
