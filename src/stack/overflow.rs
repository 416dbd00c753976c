//! Turning a green thread's stack overflow into a clear message instead of corruption.
//!
//! std's "has overflowed its stack" handler only knows the guard pages of std's own threads.
//! A green thread runs on a stack of ours, so the runtime installs its own `SIGSEGV`/`SIGBUS`
//! handler, running on an alternate signal stack (the faulting stack is exhausted by
//! definition). On a fault it looks up the green thread running on this worker; if the
//! faulting address is in the page just below that green thread's stack, it prints which green
//! thread overflowed, its stack size and how to raise it, and aborts. Any other fault is
//! passed on to the handler that was installed before (std's, or the default action).
//!
//! Compact stacks (see [`super`]) have no guard page of their own; the worker checks their
//! canary and stack pointer at every switch and reports through [`report`] in the same words.

use std::mem;
use std::ptr;
use std::sync::Once;
use std::sync::OnceLock;

use super::page_size;
use crate::coroutine::Task;

/// How far below a compact stack a fault still counts as that stack's overflow: the slab
/// it was carved from is at most this large.
const COMPACT_REACH: usize = super::SLAB_BYTES;

/// The handlers in place before ours, for faults that are not a green thread's overflow.
static PREVIOUS: OnceLock<[libc::sigaction; 2]> = OnceLock::new();

/// Installs the fault handler, once per process.
pub(crate) fn install_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let mut previous = [empty_sigaction(), empty_sigaction()];
        for (sig, prev) in [libc::SIGSEGV, libc::SIGBUS].into_iter().zip(&mut previous) {
            let mut action = empty_sigaction();
            action.sa_sigaction = handler as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            // SAFETY: `action` is a fully initialised sigaction whose handler is an
            // `extern "C" fn(c_int, *mut siginfo_t, *mut c_void)`, as SA_SIGINFO requires;
            // `prev` is valid for writes.
            unsafe {
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(sig, &action, prev);
            }
        }
        let _ = PREVIOUS.set(previous);
    });
}

fn empty_sigaction() -> libc::sigaction {
    // SAFETY: sigaction is a plain C struct for which all-zero bytes is a valid value
    // (SIG_DFL, empty mask, no flags).
    unsafe { mem::zeroed() }
}

/// The alternate signal stack of one worker thread, removed again on drop.
#[derive(Debug)]
pub(crate) struct AltStack {
    /// Our mapping, if we installed one (a thread std created may already have its own).
    mapping: Option<(usize, usize)>,
}

impl AltStack {
    /// Makes sure the calling thread has an alternate signal stack.
    pub(crate) fn ensure() -> AltStack {
        // SAFETY: querying the current alternate stack; `old` is valid for writes.
        let mut old: libc::stack_t = unsafe { mem::zeroed() };
        // SAFETY: as above.
        unsafe { libc::sigaltstack(ptr::null(), &mut old) };
        if old.ss_flags & libc::SS_DISABLE == 0 {
            return AltStack { mapping: None };
        }
        let page = page_size();
        let size = (64 * 1024).max(libc::SIGSTKSZ);
        let Ok(base) = super::map_none(size + page) else {
            return AltStack { mapping: None };
        };
        if super::make_rw(base, size + page, base + page, size).is_err() {
            return AltStack { mapping: None };
        }
        let stack = libc::stack_t {
            ss_sp: (base + page) as *mut _,
            ss_flags: 0,
            ss_size: size,
        };
        // SAFETY: `stack` describes a mapping of ours that stays mapped until this AltStack
        // is dropped, which disables it first.
        unsafe { libc::sigaltstack(&stack, ptr::null_mut()) };
        AltStack {
            mapping: Some((base, size + page)),
        }
    }
}

impl Drop for AltStack {
    fn drop(&mut self) {
        if let Some((base, len)) = self.mapping {
            let disable = libc::stack_t {
                ss_sp: ptr::null_mut(),
                ss_flags: libc::SS_DISABLE,
                ss_size: 0,
            };
            // SAFETY: we installed this alternate stack on this thread (AltStack is created
            // and dropped on the worker thread it belongs to); it is disabled before its
            // memory is unmapped.
            unsafe {
                libc::sigaltstack(&disable, ptr::null_mut());
                libc::munmap(base as *mut _, len);
            }
        }
    }
}

extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo_t for SIGSEGV/SIGBUS with SA_SIGINFO.
    let addr = unsafe { (*info).si_addr() } as usize;
    if let Some(task) = crate::coroutine::current_task_in_signal() {
        let mem = task.stack();
        // A guarded stack faults on the page right below it. A compact one runs through its
        // neighbours first and may fault further down, on its slab's guard page.
        let reach = if mem.guarded() {
            page_size()
        } else {
            COMPACT_REACH
        };
        if addr < mem.lo() && addr >= mem.lo().saturating_sub(reach) {
            report(task, "hit a guard page");
        }
    }
    chain(sig, info, ctx);
}

/// Passes a fault that is not ours to the handler installed before.
fn chain(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    let Some(previous) = PREVIOUS.get() else {
        return;
    };
    let prev = &previous[usize::from(sig != libc::SIGSEGV)];
    if prev.sa_sigaction == libc::SIG_DFL || prev.sa_sigaction == libc::SIG_IGN {
        // Restore it and return: the faulting instruction runs again and takes the default
        // action, so the process dies of the signal as it would have without us.
        // SAFETY: `prev` is the valid sigaction the kernel gave us at install time.
        unsafe { libc::sigaction(sig, prev, ptr::null_mut()) };
    } else if prev.sa_flags & libc::SA_SIGINFO != 0 {
        // SAFETY: with SA_SIGINFO the previous handler has this signature, and we pass it the
        // arguments the kernel gave us.
        let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
            unsafe { mem::transmute(prev.sa_sigaction) };
        f(sig, info, ctx);
    } else {
        // SAFETY: without SA_SIGINFO the previous handler takes only the signal number.
        let f: extern "C" fn(libc::c_int) = unsafe { mem::transmute(prev.sa_sigaction) };
        f(sig);
    }
}

/// Reports that `task` overflowed its stack and aborts the process. Async-signal-safe: it
/// formats into a buffer on the stack and writes with `write(2)`.
pub(crate) fn report(task: &Task, how: &str) -> ! {
    let mut out = Buf::new();
    out.push("\ngreenthread: green thread '");
    out.push(task.name().unwrap_or("<unnamed>"));
    out.push("' (id ");
    out.push_u64(task.id().as_u64());
    out.push(") has overflowed its stack of ");
    out.push_u64(task.stack().size() as u64);
    out.push(" bytes (");
    out.push(how);
    out.push(
        ")\nhelp: give it a bigger stack with greenthread::Builder::new().stack_size(bytes), \
              or raise the default with greenthread::Runtime::builder().stack_size(bytes)\n\
              fatal runtime error: stack overflow, aborting\n",
    );
    out.write_stderr();
    // SAFETY: abort has no preconditions and is async-signal-safe.
    unsafe { libc::abort() }
}

/// A fixed buffer for formatting without allocating (inside a signal handler).
struct Buf {
    bytes: [u8; 768],
    len: usize,
}

impl Buf {
    fn new() -> Buf {
        Buf {
            bytes: [0; 768],
            len: 0,
        }
    }

    fn push(&mut self, s: &str) {
        let n = s.len().min(self.bytes.len() - self.len);
        self.bytes[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
    }

    fn push_u64(&mut self, mut v: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        for &d in &digits[i..] {
            if self.len < self.bytes.len() {
                self.bytes[self.len] = d;
                self.len += 1;
            }
        }
    }

    fn write_stderr(&self) {
        let mut done = 0;
        while done < self.len {
            // SAFETY: the pointer and length describe initialised bytes of `self.bytes`.
            let n = unsafe { libc::write(2, self.bytes[done..].as_ptr().cast(), self.len - done) };
            if n <= 0 {
                break;
            }
            done += n as usize;
        }
    }
}
