//! The atomics that the park state machine is written against.
//!
//! The state machine in [`crate::thread::parker`] imports its atomics from here, never from
//! `std` directly. In the crate this re-exports `std`; the loom model in
//! `tests/loom_parker.rs` compiles the same source file against a module of the same shape
//! that re-exports `loom`, so the model checks the code that ships, not a copy of it.
//! Likewise `tests/loom_sync.rs` compiles the wait queues of `sync::Mutex` and of the
//! channels (their atomics and their queue lock come from here).

/// How many times a locker spins before it parks; a model sets 0 (spinning only retries the
/// CAS, and every spin would multiply the interleavings loom explores).
pub(crate) const SPINS: u32 = 64;

pub(crate) mod sync {
    /// The short lock guarding a wait queue (`sync`, `channel`); loom models swap in theirs.
    pub(crate) use parking_lot::{Mutex, MutexGuard};

    pub(crate) mod atomic {
        pub(crate) use std::sync::atomic::{
            AtomicBool, AtomicPtr, AtomicU8, AtomicUsize, Ordering,
        };
    }
}

/// The two halves of an asymmetric barrier (`scheduler::lifo`): a side that runs often pays
/// only the compiler fence, a side that runs rarely pays a system call that makes every
/// thread of the process run a full barrier. A model gives both sides `fence(SeqCst)`, the
/// ordering the pair provides.
pub(crate) mod barrier {
    /// Orders the calling thread's own accesses around the other side's heavy barrier (which
    /// acts on this thread like a signal handler running `fence(SeqCst)`).
    #[inline(always)]
    pub(crate) fn light() {
        std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
    }

    /// A full barrier on every running thread of the process (`membarrier(2)`); `false` if
    /// the kernel cannot do it.
    pub(crate) fn heavy() -> bool {
        crate::sys::process_barrier()
    }
}

/// Waiting out another thread that is a few instructions from publishing something (a
/// channel operation between taking a waiter out of the slot and choosing it): a model
/// yields instead.
pub(crate) mod hint {
    /// One step of a bounded spin, then yields the OS thread (never a green thread's switch
    /// point: callers may be unwinding, and the thread they wait for is running elsewhere).
    #[inline]
    pub(crate) fn backoff(step: &mut u32) {
        if *step < 6 {
            (0..1u32 << *step).for_each(|_| std::hint::spin_loop());
            *step += 1;
        } else {
            std::thread::yield_now();
        }
    }
}

/// The cells behind the channels' hand-over of a message (`sync::mailbox`, `channel::oneshot`),
/// with loom's closure API: in the crate a plain `UnsafeCell`; a model swaps in loom's, which
/// checks that no two threads touch a cell at once unless both only read.
pub(crate) mod cell {
    /// `std::cell::UnsafeCell` behind `with` (read) and `with_mut` (write).
    #[derive(Debug, Default)]
    pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(value: T) -> UnsafeCell<T> {
            UnsafeCell(std::cell::UnsafeCell::new(value))
        }

        /// Runs `f` with a pointer for reading.
        #[inline(always)]
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        /// Runs `f` with a pointer for writing.
        #[inline(always)]
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}

/// The clock of the wait queues' deadlines and of the mutex's fairness timer: a model
/// substitutes a deterministic one.
pub(crate) mod time {
    pub(crate) use std::time::Instant;
}
