//! What the sanitizers must be told about green-thread stacks, in builds with
//! AddressSanitizer (`cfg(asan)`, set by `build.rs`; `scripts/sanitize.sh`). Without it the
//! functions here are empty.
//!
//! # Protocol
//!
//! 1. Every stack switch is announced to ASan (`__sanitizer_start_switch_fiber` before,
//!    `__sanitizer_finish_switch_fiber` after), so it knows which stack is current: an unwind
//!    (`__asan_handle_no_return`) then clears the poison of the stack it runs on, and the
//!    fake stacks of use-after-return detection follow the green thread. corosensei does
//!    this, with its `sanitizer` feature (switched on by `Cargo.toml` in these builds).
//! 2. When a coroutine ends (returns, or is unwound and dropped) corosensei clears the
//!    poison of its whole stack (`__asan_unpoison_memory_region`), before the [`Stack`]
//!    goes back to the pool. Without this the next green thread on that memory would run
//!    into the redzones of the previous one's frames: frames that ended by switching away or
//!    by unwinding never unpoison themselves.
//! 3. While a [`Stack`] is owned by a green thread it is a LeakSanitizer root region
//!    ([`own`] / [`release`]). LSan looks for pointers in threads' stacks, thread-locals,
//!    registers and globals; a parked green thread's stack is none of these, so whatever only
//!    a parked green thread refers to (a server's connection table, a `JoinHandle` it holds)
//!    would be reported as leaked at exit. A pooled stack is not a root, so its stale frames
//!    hide no leak.
//! 4. Run with `ASAN_OPTIONS=detect_stack_use_after_return=0` (the script does). With
//!    stack-use-after-return detection on, ASan moves locals to "fake stacks", one per
//!    context; LSan scans only the fake stack of the context each OS thread is running, so
//!    locals of a parked green thread would be missed, and what they own reported leaked.
//!
//! [`Stack`]: super::Stack

use super::StackMem;

#[cfg(asan)]
unsafe extern "C" {
    /// LSan scans `[p, p + size)` for pointers at its leak check, as it scans a thread's
    /// stack. Safe to call with any range: LSan reads only what is mapped when it scans.
    safe fn __lsan_register_root_region(p: *const libc::c_void, size: usize);
    /// Forgets a region registered with exactly these bounds. Unsafe: LSan aborts the
    /// process if no such region is registered.
    fn __lsan_unregister_root_region(p: *const libc::c_void, size: usize);
}

/// Step 3: `mem` is now a green thread's stack; LSan scans it until [`release`].
#[inline]
pub(super) fn own(mem: &StackMem) {
    #[cfg(asan)]
    __lsan_register_root_region(mem.lo as *const _, mem.size);
    #[cfg(not(asan))]
    let _ = mem;
}

/// Step 3: `mem` goes back to the pool and is no longer scanned.
///
/// # Safety
///
/// `mem` was passed to [`own`] and not to `release` since.
#[inline]
pub(super) unsafe fn release(mem: &StackMem) {
    // SAFETY: registered by `own` with these same bounds (StackMem is a copy of immutable
    // bounds) and not unregistered since, per this function's contract.
    #[cfg(asan)]
    unsafe {
        __lsan_unregister_root_region(mem.lo as *const _, mem.size)
    };
    #[cfg(not(asan))]
    let _ = mem;
}
