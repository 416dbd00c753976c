//! A worker's LIFO slot: the green thread it woke last, run next, and taken away by the
//! monitor when the worker is held by a green thread that does not switch.
//!
//! The worker that owns the slot fills and empties it at almost every switch (a ping-pong
//! wakes its partner into it, then parks and runs it from there), so the owner's side must
//! cost no locked instruction. The slot is not stealable by idle workers (that would undo
//! the locality it exists for), but work in it must not be stranded either: a green thread
//! that computes without reaching a switch point would keep the one it woke waiting for as
//! long as it computes. So the monitor, and only it, can take the slot's green thread away
//! from a worker it finds held ([`Thief::steal`], rarely: at most once per monitor tick and
//! worker).
//!
//! # The protocol: an asymmetric Dekker handshake
//!
//! ```text
//!  owner (every fill and take)               thief (the monitor, rarely)
//!  ───────────────────────────               ────────────────────────────
//!  busy = true                               thief = true        (CAS: one thief at once)
//!  light barrier (compiler only)             heavy barrier       (membarrier(2))
//!  if thief { wait until !thief }            if !busy { move the slot's pointer out }
//!  read / write the slot (plain)             thief = false       (Release)
//!  busy = false          (Release)
//! ```
//!
//! The heavy barrier makes every thread of the process run a full memory barrier before it
//! returns, as if a signal handler with `fence(SeqCst)` ran on each; the light barrier is
//! the compiler fence that orders the owner's own accesses around such a handler. Together
//! they give the two sides of a Dekker handshake the ordering of `SeqCst` fences on both
//! (the loom model in `tests/loom_lifo.rs` checks the protocol with exactly that), while the
//! owner pays only plain stores and loads. Either the owner's `busy = true` is ordered
//! before the thief's barrier, and the thief sees it and leaves the slot alone; or it is
//! ordered after, and the owner sees `thief` and waits until the thief is done with the
//! slot. A thief never writes anything but a null pointer into the slot, so an owner that
//! reads it empty needs no handshake at all, to find it empty or to fill it: a worker that
//! wakes a green thread and then runs it from the slot (the ping-pong) does the handshake
//! once, to take it.
//!
//! Where the kernel has no `membarrier(2)` (Linux before 4.14), [`Thief::steal`] never
//! takes anything, and a held worker's slot waits for its owner.
//!
//! # Closing
//!
//! A thief that found the owner held also *closes* the slot ([`Thief::close`]): until the
//! owner reopens it ([`Owner::reopen`], at the held green thread's next switch),
//! [`Owner::replace`] refuses what it is given, so the worker queues it where idle workers
//! can steal it instead of stranding it again. `closed` is a hint, not part of the
//! handshake: a stale read only sends one green thread the other way.

use std::cell::Cell;
use std::marker::PhantomData;
use std::ptr;
use std::sync::Arc;

use crate::loom::barrier;
use crate::loom::hint;
use crate::loom::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

/// What the owner and the thief share.
#[derive(Debug)]
struct Inner<T> {
    /// The green thread in the slot: null, or a pointer from `Arc::into_raw` whose
    /// reference the slot owns. Only the owner stores non-null pointers.
    slot: AtomicPtr<T>,
    /// The owner is reading or writing `slot` (set around each access).
    busy: AtomicBool,
    /// A thief is at work (set by the one thief that won it); the owner waits it out.
    thief: AtomicBool,
    /// The owner is held by a green thread that does not switch: it must not fill the
    /// slot (module docs, "Closing").
    closed: AtomicBool,
}

impl<T> Drop for Inner<T> {
    fn drop(&mut self) {
        let p = self.slot.load(Ordering::Relaxed);
        if !p.is_null() {
            // SAFETY: a non-null `slot` came from `Arc::into_raw` and owns that reference;
            // `&mut self` means no one else can take it.
            drop(unsafe { Arc::from_raw(p) });
        }
    }
}

/// The owning worker's side: fills and empties the slot. One per slot, used from one OS
/// thread (it is `Send` so the worker can take it to its thread, not `Sync`).
#[derive(Debug)]
pub(crate) struct Owner<T> {
    inner: Arc<Inner<T>>,
    _not_sync: PhantomData<Cell<()>>,
}

/// The monitor's side: looks at the slot and takes its green thread away.
#[derive(Debug)]
pub(crate) struct Thief<T> {
    inner: Arc<Inner<T>>,
}

/// An empty slot, its owner's side and its thief's side.
pub(crate) fn new<T>() -> (Owner<T>, Thief<T>) {
    let inner = Arc::new(Inner {
        slot: AtomicPtr::new(ptr::null_mut()),
        busy: AtomicBool::new(false),
        thief: AtomicBool::new(false),
        closed: AtomicBool::new(false),
    });
    let thief = Thief {
        inner: inner.clone(),
    };
    (
        Owner {
            inner,
            _not_sync: PhantomData,
        },
        thief,
    )
}

fn into_ptr<T>(value: Option<Arc<T>>) -> *mut T {
    value.map_or(ptr::null_mut(), |v| Arc::into_raw(v).cast_mut())
}

/// # Safety
///
/// `p` is null or came from `Arc::into_raw` and carries a reference the caller now owns.
unsafe fn from_ptr<T>(p: *mut T) -> Option<Arc<T>> {
    // SAFETY: the caller's contract: a non-null `p` is an `into_raw` pointer whose
    // reference is handed to us.
    (!p.is_null()).then(|| unsafe { Arc::from_raw(p) })
}

impl<T> Owner<T> {
    /// Puts `value` in the slot and returns what was there, or hands `value` back if the
    /// slot is closed.
    #[inline]
    pub(crate) fn replace(&self, value: Arc<T>) -> Result<Option<Arc<T>>, Arc<T>> {
        if self.inner.closed.load(Ordering::Relaxed) {
            return Err(value);
        }
        let new = into_ptr(Some(value));
        if self.inner.slot.load(Ordering::Relaxed).is_null() {
            // Only the owner fills the slot: an empty one is ours to fill without the
            // handshake (a thief that takes it at once is welcome to).
            self.inner.slot.store(new, Ordering::Release);
            return Ok(None);
        }
        self.enter();
        let old = self.inner.slot.load(Ordering::Relaxed);
        self.inner.slot.store(new, Ordering::Release);
        self.leave();
        // SAFETY: `old` was in the slot, which owned its reference; between `enter` and
        // `leave` no thief touches the slot (module docs), so we moved it out alone.
        Ok(unsafe { from_ptr(old) })
    }

    /// Opens the slot again if a thief closed it (the held green thread has switched).
    #[inline]
    pub(crate) fn reopen(&self) {
        if self.inner.closed.load(Ordering::Relaxed) {
            self.inner.closed.store(false, Ordering::Relaxed);
        }
    }

    /// Empties the slot; returns what was there.
    #[inline]
    pub(crate) fn take(&self) -> Option<Arc<T>> {
        // Only the owner fills the slot, so an empty one stays empty until it does.
        if self.inner.slot.load(Ordering::Relaxed).is_null() {
            return None;
        }
        self.enter();
        let old = self.inner.slot.load(Ordering::Relaxed);
        self.inner.slot.store(ptr::null_mut(), Ordering::Relaxed);
        self.leave();
        // SAFETY: as in `replace`: the slot's reference, moved out with no thief at work.
        unsafe { from_ptr(old) }
    }

    /// Whether the slot is empty.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.inner.slot.load(Ordering::Relaxed).is_null()
    }

    #[inline]
    fn enter(&self) {
        self.inner.busy.store(true, Ordering::Relaxed);
        barrier::light();
        if self.inner.thief.load(Ordering::Acquire) {
            self.wait_for_thief();
        }
    }

    #[inline]
    fn leave(&self) {
        self.inner.busy.store(false, Ordering::Release);
    }

    /// A thief is at work: it either saw `busy` and leaves at once, or takes the slot's
    /// pointer first. Either way it is a few instructions from done (the `Acquire` pairs
    /// with its `Release`, so a pointer it moved out reads as null here).
    #[cold]
    fn wait_for_thief(&self) {
        let mut step = 0;
        while self.inner.thief.load(Ordering::Acquire) {
            hint::backoff(&mut step);
        }
    }
}

impl<T> Thief<T> {
    /// Whether the slot looks empty (a hint: the owner may be filling or emptying it).
    pub(crate) fn is_empty(&self) -> bool {
        self.inner.slot.load(Ordering::Relaxed).is_null()
    }

    /// Whether the slot is closed (a hint, as [`Thief::close`]).
    pub(crate) fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Relaxed)
    }

    /// Closes the slot until its owner reopens it (module docs, "Closing").
    pub(crate) fn close(&self) {
        self.inner.closed.store(true, Ordering::Relaxed);
    }

    /// Takes the slot's green thread, unless the owner is using the slot right now, another
    /// thief is at work, or the process cannot run the heavy barrier. Costs a system call
    /// that interrupts every running thread of the process: call it rarely.
    pub(crate) fn steal(&self) -> Option<Arc<T>> {
        let inner = &*self.inner;
        if inner.slot.load(Ordering::Relaxed).is_null()
            || inner
                .thief
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
        {
            return None;
        }
        let mut taken = ptr::null_mut();
        if barrier::heavy() && !inner.busy.load(Ordering::Acquire) {
            taken = inner.slot.load(Ordering::Acquire);
            inner.slot.store(ptr::null_mut(), Ordering::Relaxed);
        }
        inner.thief.store(false, Ordering::Release);
        // SAFETY: the owner was not in the slot and waits for `thief` to clear before it
        // enters again (module docs), so we moved the slot's reference out alone.
        unsafe { from_ptr(taken) }
    }
}
