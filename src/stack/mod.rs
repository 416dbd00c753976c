//! Stacks for green threads: where they come from, and how an overflow is caught.
//!
//! # Two kinds of stack
//!
//! ```text
//!  guarded (default)                    compact (past the mapping budget, or guard_pages(false))
//!
//!  top  +------------------+            slab: +------------------+
//!       |  usable, RW      |                  | 64 reserved      | <- canary of the stack above
//!       |  (grows down)    |                  |  stack 1         |
//!  lo   +------------------+                  +------------------+ lo of stack 1
//!       |  guard, PROT_NONE|                  | 64 zero bytes    | <- canary of stack 1
//!       +------------------+                  |  stack 0         |
//!   two kernel mappings each                  +------------------+ lo of stack 0
//!                                             |  guard, PROT_NONE|  one guard per slab
//!                                             +------------------+
//! ```
//!
//! A guarded stack is its own `mmap` with a `PROT_NONE` page below it, so an overflow faults
//! at once; the runtime's fault handler ([`overflow`]) names the green thread and aborts.
//! But Linux caps a process at `vm.max_map_count` mappings (65,530 by default), and a
//! guarded stack takes two of them, so guarded stacks stop near 32,000.
//!
//! Past a budget of three eighths of `vm.max_map_count` guarded stacks (24,573 on a stock
//! kernel, leaving room for everything else the process maps), new stacks are **compact**:
//! carved side by side from 128 MiB slabs, two mappings per slab whatever its count. A
//! compact stack has no guard page of its own. Instead the 64 bytes just below it (reserved at
//! the top of the neighbour below, a page that neighbour uses anyway, so the check costs no
//! page fault and no memory) are a canary that must stay zero, checked by the worker every time
//! the green thread switches out; and the green thread's stack pointer is checked against its
//! limit at every switch point. The lowest stack of a slab has the slab's guard page below it. Either check failing reports the green
//! thread like a guard-page hit and aborts. The trade: detection is after the fact and
//! best-effort. An overflow that writes past the canary lands in the neighbouring stack before
//! the next switch catches it, and one that leaves the canary zero goes unseen. Give deep code
//! a larger `stack_size`; keep guard pages for code you do not trust.
//!
//! # The pool
//!
//! Mapping a fresh stack costs about as much as creating an OS thread, so stacks are pooled:
//! a small per-OS-thread cache (no lock) in front of a process-wide free list keyed by size
//! and kind. A finished green thread's stack goes back to the pool, so spawn costs no
//! system call in steady state. The pool is process-wide because the mapping budget is.

pub(crate) mod overflow;
mod sanitizer;

use std::cell::RefCell;
use std::io;
use std::num::NonZeroUsize;
use std::ptr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;

/// The stack size of a green thread unless its `Builder` or runtime says otherwise.
///
/// # Examples
///
/// ```
/// let big = greenthread::Builder::new().stack_size(4 * greenthread::DEFAULT_STACK_SIZE);
/// assert_eq!(big.spawn(|| 1)?.join().unwrap(), 1);
/// # std::io::Result::Ok(())
/// ```
pub const DEFAULT_STACK_SIZE: usize = 256 * 1024;

/// The smallest stack handed out; smaller requests are rounded up (as std does with
/// `PTHREAD_STACK_MIN`). The runtime's own frames, a panic message and a formatted write
/// need a few KiB.
///
/// # Examples
///
/// ```
/// assert!(greenthread::MIN_STACK_SIZE <= greenthread::DEFAULT_STACK_SIZE);
/// // Smaller requests are rounded up to MIN_STACK_SIZE.
/// let h = greenthread::Builder::new().stack_size(1).spawn(|| 2 + 2)?;
/// assert_eq!(h.join().unwrap(), 4);
/// # std::io::Result::Ok(())
/// ```
pub const MIN_STACK_SIZE: usize = 16 * 1024;

/// Bytes at the bottom of a compact stack that must stay zero.
pub(crate) const CANARY_LEN: usize = 64;

/// Bytes a compact stack keeps free below the stack pointer at every switch point.
const RED_ZONE: usize = 1024;

/// Size of one compact slab.
const SLAB_BYTES: usize = 128 << 20;

/// Stacks kept per OS thread before they go to the shared free list.
const CACHE_LEN: usize = 16;

/// Guarded stacks kept in the shared free list per size; more are unmapped. As many as the
/// budget allows: a burst of green threads is likely to come again, and mapping stacks anew
/// costs three system calls each. What stays reserved is what the burst touched.
const FREE_GUARDED_LEN: usize = 1 << 15;

/// A region of memory a green thread runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StackMem {
    /// Lowest usable byte; the guard page (if any) is just below.
    lo: usize,
    /// Usable bytes, a multiple of the page size.
    size: usize,
    /// Whether this stack has its own guard page.
    guarded: bool,
    /// Compact stacks: where the 64 zero bytes just below `lo` are (0 when a guard page is
    /// below instead).
    canary: usize,
}

impl StackMem {
    /// Highest address (exclusive) of the region.
    pub(crate) fn top(&self) -> usize {
        self.lo + self.size
    }

    /// Where the green thread's stack pointer starts: the top, less the canary reserved for
    /// the compact stack above.
    fn base(&self) -> usize {
        if self.guarded {
            self.top()
        } else {
            self.top() - CANARY_LEN
        }
    }

    /// Lowest usable address.
    pub(crate) fn lo(&self) -> usize {
        self.lo
    }

    /// Usable bytes.
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// Whether an overflow faults on a guard page right away (else the canary catches it).
    pub(crate) fn guarded(&self) -> bool {
        self.guarded
    }

    /// For compact stacks: whether the canary below it is still zero. Always true when a
    /// guard page is below instead.
    #[inline]
    pub(crate) fn canary_intact(&self) -> bool {
        if self.canary == 0 {
            return true;
        }
        let words = self.canary as *const u64;
        (0..CANARY_LEN / 8).all(|i| {
            // The bytes are the reserved top of the compact stack just below in the same slab,
            // mapped read-write for the life of the process (slabs are never unmapped), used
            // by nothing else, 64-byte aligned. Volatile: an overflow writes them unseen.
            // SAFETY: a valid, aligned, readable u64 per the above.
            unsafe { ptr::read_volatile(words.add(i)) == 0 }
        })
    }

    /// How far down the stack has ever been touched: the bytes from the top to the lowest
    /// page the kernel has backed (`mincore`). A stack from the pool keeps the pages of the
    /// green threads that ran on it before, so this is the high-water mark of everything
    /// that used this memory since it was mapped. `None` if the kernel will not say.
    pub(crate) fn touched(&self) -> Option<usize> {
        let page = page_size();
        let start = self.lo & !(page - 1);
        let pages = (self.top() - start).div_ceil(page);
        let mut resident = vec![0u8; pages];
        // SAFETY: mincore reads only the kernel's page tables, never the memory, so any
        // range is fine (an unmapped one fails with ENOMEM); `resident` has the one byte per
        // page of the range that it writes.
        let r = unsafe { libc::mincore(start as *mut _, pages * page, resident.as_mut_ptr()) };
        if r != 0 {
            return None;
        }
        let lowest = resident.iter().position(|b| b & 1 != 0)?;
        Some(self.top() - (start + lowest * page))
    }

    /// For compact stacks: whether the stack pointer `sp` has come too close to the limit.
    #[inline]
    pub(crate) fn sp_too_low(&self, sp: usize) -> bool {
        !self.guarded && sp < self.lo + RED_ZONE
    }
}

/// A pooled stack owned by one coroutine; it returns to the pool when dropped.
#[derive(Debug)]
pub(crate) struct Stack {
    mem: StackMem,
}

impl Stack {
    /// Takes a stack of at least `size` bytes from the pool, mapping one if none is free.
    /// With `guard` false, or once the guarded budget is spent, the stack is compact.
    ///
    /// # Errors
    ///
    /// `InvalidInput` if `size` cannot be rounded to pages without overflowing, and the
    /// error of `mmap` if the kernel refuses the memory.
    pub(crate) fn new(size: usize, guard: bool) -> io::Result<Stack> {
        let size = round_size(size)?;
        let mem = pool().take(size, guard)?;
        sanitizer::own(&mem);
        Ok(Stack { mem })
    }

    pub(crate) fn mem(&self) -> StackMem {
        self.mem
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // SAFETY: `Stack::new` passed this `mem` to `own`, and only this drop releases it.
        unsafe { sanitizer::release(&self.mem) };
        pool().give(self.mem);
    }
}

// SAFETY: [1] `base` (top) and `limit` are page-aligned, hence aligned to STACK_ALIGNMENT,
// and the memory between them stays mapped read-write for as long as this `Stack` lives
// (pooled memory is only reused after the `Stack` is dropped; compact slabs are never
// unmapped). [2] `size >= MIN_STACK_SIZE > corosensei::stack::MIN_STACK_SIZE`.
// [3] corosensei asks for a guard page below `limit`. Guarded stacks have one. Compact
// stacks do not; that is the documented trade of compact mode (module docs): an overflow is
// caught by the canary and stack-pointer checks at the next switch instead of at once.
unsafe impl corosensei::stack::Stack for Stack {
    #[inline]
    fn base(&self) -> corosensei::stack::StackPointer {
        NonZeroUsize::new(self.mem.base()).expect("stack top is not null")
    }

    #[inline]
    fn limit(&self) -> corosensei::stack::StackPointer {
        NonZeroUsize::new(self.mem.lo).expect("stack limit is not null")
    }
}

/// The system page size.
pub(crate) fn page_size() -> usize {
    static PAGE: OnceLock<usize> = OnceLock::new();
    *PAGE.get_or_init(|| {
        // SAFETY: sysconf has no preconditions.
        let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if n > 0 { n as usize } else { 4096 }
    })
}

/// Rounds a requested size up to whole pages and at least [`MIN_STACK_SIZE`].
pub(crate) fn round_size(size: usize) -> io::Result<usize> {
    let page = page_size();
    size.max(MIN_STACK_SIZE)
        .checked_add(page - 1)
        .map(|s| s & !(page - 1))
        .filter(|&s| s <= isize::MAX as usize / 2)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("green thread stack size of {size} bytes is too large"),
            )
        })
}

struct Pool {
    inner: Mutex<PoolInner>,
    /// Guarded stacks mapped and not yet unmapped (in use or pooled).
    guarded_live: AtomicUsize,
    /// Compact stacks carved (they are never unmapped, only pooled).
    compact: AtomicUsize,
    /// How many guarded stacks may be live before new ones are compact.
    budget: usize,
}

/// Keyed by stack size (and kind): a program uses one or two sizes, so a short list searched
/// in order beats a hash map (whose hashing was a seventh of a spawn's instructions). A
/// size gets an entry once a stack of it is freed or carved; a program that asks for many
/// different sizes makes the lists as long as its count of sizes.
#[derive(Default)]
struct PoolInner {
    /// Free stacks by (size, guarded).
    free: Vec<((usize, bool), Vec<StackMem>)>,
    /// The slab compact stacks of a size are carved from: (size, (next lo, stacks left)).
    slabs: Vec<(usize, (usize, usize))>,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        inner: Mutex::new(PoolInner::default()),
        guarded_live: AtomicUsize::new(0),
        compact: AtomicUsize::new(0),
        budget: max_map_count() / 8 * 3,
    })
}

/// The process-wide stack pool, for `Runtime::stats`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct PoolStats {
    /// Guarded stacks mapped (in use or pooled).
    pub(crate) guarded: usize,
    /// How many guarded stacks may be mapped before new stacks are compact.
    pub(crate) guarded_budget: usize,
    /// Compact stacks carved (in use or pooled).
    pub(crate) compact: usize,
    /// Stacks in the shared free list (not counting the small per-thread caches).
    pub(crate) pooled: usize,
}

/// A reading of the pool's counters.
pub(crate) fn pool_stats() -> PoolStats {
    let pool = pool();
    PoolStats {
        guarded: pool.guarded_live.load(Ordering::Relaxed),
        guarded_budget: pool.budget,
        compact: pool.compact.load(Ordering::Relaxed),
        pooled: pool.inner.lock().free.iter().map(|(_, v)| v.len()).sum(),
    }
}

fn max_map_count() -> usize {
    std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(65_530)
}

/// Free stacks cached by one OS thread; given back to the shared pool when the thread ends.
struct Cache(RefCell<Vec<StackMem>>);

impl Drop for Cache {
    fn drop(&mut self) {
        for mem in self.0.get_mut().drain(..) {
            pool().give_shared(mem);
        }
    }
}

std::thread_local! {
    /// Free stacks cached by this OS thread, any size and kind.
    static CACHE: Cache = const { Cache(RefCell::new(Vec::new())) };
}

/// Takes a matching stack from this OS thread's cache. Never inlined: a green thread can
/// migrate between workers, and a thread-local's address must be read fresh (crate docs).
#[inline(never)]
fn cache_take(size: usize, guarded: bool) -> Option<StackMem> {
    CACHE
        .try_with(|c| {
            let mut c = c.0.borrow_mut();
            let i = c
                .iter()
                .rposition(|m| m.size == size && m.guarded == guarded)?;
            Some(c.swap_remove(i))
        })
        .ok()
        .flatten()
}

/// Puts a stack in this OS thread's cache; gives it back if the cache is full or gone.
#[inline(never)]
fn cache_give(mem: StackMem) -> Option<StackMem> {
    CACHE
        .try_with(|c| {
            let mut c = c.0.borrow_mut();
            if c.len() < CACHE_LEN {
                c.push(mem);
                None
            } else {
                Some(mem)
            }
        })
        .unwrap_or(Some(mem))
}

impl Pool {
    fn take(&self, size: usize, guard: bool) -> io::Result<StackMem> {
        let guarded = guard && self.guarded_live.load(Ordering::Relaxed) < self.budget;
        if let Some(mem) = cache_take(size, guarded) {
            return Ok(mem);
        }
        let mut inner = self.inner.lock();
        let free = inner.free.iter_mut().find(|(k, _)| *k == (size, guarded));
        if let Some(mem) = free.and_then(|(_, v)| v.pop()) {
            return Ok(mem);
        }
        if guarded {
            drop(inner);
            let mem = map_guarded(size)?;
            self.guarded_live.fetch_add(1, Ordering::Relaxed);
            Ok(mem)
        } else {
            self.compact.fetch_add(1, Ordering::Relaxed);
            inner.carve(size)
        }
    }

    fn give(&self, mem: StackMem) {
        if let Some(mem) = cache_give(mem) {
            self.give_shared(mem);
        }
    }

    fn give_shared(&self, mem: StackMem) {
        let mut inner = self.inner.lock();
        let free = inner.free_list(mem.size, mem.guarded);
        if mem.guarded && free.len() >= FREE_GUARDED_LEN {
            drop(inner);
            unmap_guarded(mem);
            self.guarded_live.fetch_sub(1, Ordering::Relaxed);
        } else {
            free.push(mem);
        }
    }
}

/// The value for `key` in a short list of pairs, added (as its default) if missing.
fn entry<K: PartialEq, V: Default>(list: &mut Vec<(K, V)>, key: K) -> &mut V {
    let i = match list.iter().position(|(k, _)| *k == key) {
        Some(i) => i,
        None => {
            list.push((key, V::default()));
            list.len() - 1
        }
    };
    &mut list[i].1
}

impl PoolInner {
    /// The free list of stacks of `size` and kind.
    fn free_list(&mut self, size: usize, guarded: bool) -> &mut Vec<StackMem> {
        entry(&mut self.free, (size, guarded))
    }

    /// Carves one compact stack of `size` bytes, mapping a new slab when the current is used up.
    fn carve(&mut self, size: usize) -> io::Result<StackMem> {
        let slab = entry(&mut self.slabs, size);
        let (lo, left, first) = match *slab {
            (lo, left) if left > 0 => (lo, left, false),
            _ => {
                let count = (SLAB_BYTES / size).max(1);
                (map_slab(size, count)?, count, true)
            }
        };
        *slab = (lo + size, left - 1);
        Ok(StackMem {
            lo,
            size,
            guarded: false,
            canary: if first { 0 } else { lo - CANARY_LEN },
        })
    }
}

/// Maps `PROT_NONE` memory of `len` bytes, reserving no swap.
fn map_none(len: usize) -> io::Result<usize> {
    // SAFETY: an anonymous private mapping at an address of the kernel's choosing touches no
    // existing memory.
    let p = unsafe {
        libc::mmap(
            ptr::null_mut(),
            len,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        Err(io::Error::last_os_error())
    } else {
        Ok(p as usize)
    }
}

/// Makes `[at, at + len)` of a mapping of ours read-write; unmaps `[base, base + total)` on
/// failure.
fn make_rw(base: usize, total: usize, at: usize, len: usize) -> io::Result<()> {
    // SAFETY: [at, at + len) lies inside the mapping [base, base + total) we just created and
    // nothing else refers to yet.
    if unsafe { libc::mprotect(at as *mut _, len, libc::PROT_READ | libc::PROT_WRITE) } != 0 {
        let err = io::Error::last_os_error();
        // SAFETY: as above; the mapping is ours and unused.
        unsafe { libc::munmap(base as *mut _, total) };
        return Err(err);
    }
    Ok(())
}

fn map_guarded(size: usize) -> io::Result<StackMem> {
    let page = page_size();
    let base = map_none(size + page)?;
    make_rw(base, size + page, base + page, size)?;
    Ok(StackMem {
        lo: base + page,
        size,
        guarded: true,
        canary: 0,
    })
}

fn unmap_guarded(mem: StackMem) {
    let page = page_size();
    // SAFETY: `mem` came from `map_guarded`, which mapped exactly [lo - page, top), and it is
    // in no pool and owned by no `Stack` any more.
    unsafe { libc::munmap((mem.lo - page) as *mut _, mem.size + page) };
}

/// Maps a slab of `count` stacks of `size` bytes above one guard page; returns the lowest
/// stack's `lo`.
fn map_slab(size: usize, count: usize) -> io::Result<usize> {
    let page = page_size();
    let bytes = size.checked_mul(count).and_then(|b| b.checked_add(page));
    let bytes = bytes.ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
    let base = map_none(bytes)?;
    make_rw(base, bytes, base + page, bytes - page)?;
    // Never back stacks with huge pages: a parked green thread must cost one small page.
    // SAFETY: advice on our own fresh mapping; failure is harmless and ignored.
    unsafe { libc::madvise(base as *mut _, bytes, libc::MADV_NOHUGEPAGE) };
    Ok(base + page)
}
