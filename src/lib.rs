//! Stackful green threads for Rust: write plain blocking code, get the scaling of async.
//!
//! A green thread is a function running on its own small stack (a [corosensei] coroutine).
//! Where it would block (`join`, `park`, `sleep`, a socket `read`, a channel `recv`, a mutex
//! `lock`) it hands its worker OS thread back to the scheduler, which runs another green
//! thread; the reactor (socket ready), a timer, or another thread makes it runnable again. A runtime runs many
//! green threads on a few worker OS threads (M:N), balancing them with work-stealing queues.
//!
//! The API mirrors `std::thread`, `std::net` and `crossbeam-channel` ([`thread`], [`net`],
//! [`sync`], [`channel`]), so code moves over by changing imports:
//!
//! ```
//! use std::time::Duration;
//!
//! let handles: Vec<_> = (0..10_000)
//!     .map(|i| {
//!         greenthread::spawn(move || {
//!             greenthread::sleep(Duration::from_millis(10)); // parks only this green thread
//!             i * 2
//!         })
//!     })
//!     .collect();
//! let sum: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
//! assert_eq!(sum, 9_999 * 10_000);
//! ```
//!
//! # Concepts
//!
//! - **Green thread**: a thread of control the runtime schedules, not the kernel. Switching
//!   between two is a function call's worth of register saving (nanoseconds), and one costs
//!   a few KiB of memory, so a program can have hundreds of thousands.
//! - **Switch point**: a call where a green thread may hand over its worker: [`park`],
//!   [`sleep`], [`yield_now`], [`JoinHandle::join`], socket calls of [`net`], and the waits of
//!   [`sync`] and [`channel`], when they would block. Between switch points a green thread runs undisturbed (cooperative scheduling).
//! - **Reactor**: where the runtime learns that a socket is ready. Sockets of [`net`] and
//!   [`os::unix::net`] (and any descriptor wrapped in [`io::Async`]) are non-blocking and
//!   registered once; a call that would block parks the green thread until the reactor sees
//!   the descriptor ready. [`unblock`] runs what cannot be made cooperative (files, DNS,
//!   CPU-heavy work) on a pool of OS threads.
//! - **Runtime**: worker OS threads (one per core by default) plus timers. [`spawn`] uses a
//!   global one started on first use; [`Runtime`] gives isolated ones with
//!   [`block_on`](Runtime::block_on).
//! - **Concurrency vs parallelism**: one worker interleaves many green threads (concurrency);
//!   several workers run green threads at the same instant (parallelism).
//!
//! Everything works from plain OS threads too: [`current`], [`park`] and friends do what std
//! does there, and a green thread and an OS thread can [`Thread::unpark`] each other.
//!
//! # Cancellation
//!
//! [`JoinHandle::cancel`] (and [`ScopedJoinHandle::cancel`]) stops a green thread from
//! outside: it unwinds from its current switch point if it is blocked, or from its next one,
//! as if it panicked there with the payload [`Cancelled::Requested`]. The switch points are
//! [`yield_now`] and every call that can wait: [`park`], [`park_timeout`], [`sleep`],
//! [`sleep_until`], [`JoinHandle::join`], socket calls of [`net`] and [`io::Async`], channel
//! sends, receives and selects, the locks and waits of [`sync`], and [`unblock`]. Code
//! between switch points is never interrupted.
//!
//! The unwind runs the destructors on the green thread's stack (guards unlock, buffers are
//! freed), and [`JoinHandle::join`] returns `Err` with the payload. Whatever the green thread
//! was blocked on stays consistent for everyone else: it leaves the wait queue, and a lock,
//! permit, notification or message it was handed at that moment is passed on; no message is
//! lost. Like any panic, the unwind can be observed with `std::panic::catch_unwind`, which
//! gets the payload; the green thread may then carry on (it is raised once). A green thread
//! waiting in [`scope`] or [`Runtime::block_on`] for green threads that borrow its stack
//! waits for them first.
//!
//! ```
//! use greenthread::Cancelled;
//!
//! let (tx, rx) = greenthread::channel::unbounded::<u32>();
//! let consumer = greenthread::spawn(move || rx.iter().sum::<u32>());
//! tx.send(1).unwrap();
//! consumer.cancel(); // instead of closing the channel
//! let payload = consumer.join().unwrap_err();
//! assert_eq!(payload.downcast_ref(), Some(&Cancelled::Requested));
//! ```
//!
//! # Seeing inside
//!
//! The bugs of a cooperative runtime are a green thread that blocks its worker, a deadlock
//! that just hangs, and not knowing what thousands of green threads wait for. Each runtime
//! has a monitor thread that watches for the first two, and can tell you the third:
//!
//! - [`Runtime::stats`]: counters (spawned, alive, running, parked by what they wait for,
//!   context switches, steals, reactor polls and events, timers, the stack pool). The
//!   workers keep them with no locked instruction, so they are always on.
//! - [`Runtime::dump`] / [`Runtime::snapshot`]: every live green thread with its id, name,
//!   state, what it waits for (`read fd 7`, `sleep`, `channel recv`, `mutex`, `join #42`),
//!   for how long, time left to its timeout, and its stack size and use.
//! - **Blocking watchdog**: a green thread that holds its worker for longer than a threshold
//!   (100 ms by default, [`runtime::Builder::watchdog`]) without reaching a switch point is
//!   reported by name with a hint to use [`unblock`]; with
//!   [`runtime::Builder::handoff`] a replacement worker runs the other green threads
//!   meanwhile.
//! - **Deadlock report**: when every green thread is parked on something only another green
//!   thread could end (no I/O, no timer, no blocking-pool call), the runtime says so once,
//!   with the dump ([`runtime::Builder::deadlock`]: report, panic or ignore). It cannot see
//!   plain OS threads: one that still holds a channel end or a lock it will use makes such a
//!   report a false alarm, which the report says.
//! - Reports go to stderr, or to [`runtime::Builder::on_report`]; with the `tracing` cargo
//!   feature they are also `tracing` events, as are spawns and parks (with their reason), and
//!   each green thread runs inside a `green_thread{id, name}` span.
//!
//! ```
//! use std::time::Duration;
//!
//! let rt = greenthread::Runtime::builder().workers(1).build()?;
//! let h = rt.spawn(|| greenthread::sleep(Duration::from_secs(30)));
//! while rt.stats().parked_by.sleep == 0 {
//!     std::thread::yield_now();
//! }
//! let dump = rt.dump();
//! assert!(dump.contains("parked: sleep"), "{dump}");
//! drop(rt); // unwinds the sleeper
//! assert!(h.join().is_err());
//! # std::io::Result::Ok(())
//! ```
//!
//! # Caveats
//!
//! - **Blocking std calls block the worker.** `std::thread::sleep`, `std::sync::Mutex::lock`
//!   on a contended lock, blocking file or socket I/O: they stop the whole worker OS thread,
//!   and with it every green thread queued there. Use this crate's versions ([`net`],
//!   [`sync`], [`channel`]), or [`unblock`] for files and other calls with no cooperative
//!   version.
//! - **`std::thread_local!` is per worker, not per green thread.** Green threads share their
//!   worker's thread-locals and migrate between workers at switch points. Worse, the compiler
//!   may cache a thread-local's address across a call within one function, so after a switch
//!   that resumed on another worker it would read the old worker's value
//!   (rust-lang/unsafe-code-guidelines#602). Use [`thread_local!`](crate::thread_local) from
//!   this crate (one value per green thread), or spawn with
//!   [`Builder::stay_on_worker`] for code that must use std's. The runtime itself reads its
//!   thread-locals only through `#[inline(never)]` accessors, fresh after every switch.
//! - **OS-thread-bound state across a switch point.** A `std::sync::MutexGuard` held across
//!   a switch point may be released by another OS thread, and can deadlock the worker.
//!   Don't, or use `stay_on_worker`.
//! - **Stack size.** Each green thread has a fixed stack (256 KiB by default, committed only as
//!   used). Deep recursion or large arrays on the stack need
//!   [`Builder::stack_size`]. An overflow never corrupts silently: it prints the green
//!   thread's name, id and stack size with the fix, then aborts.
//! - **`vm.max_map_count`.** Linux allows a process 65,530 memory mappings by default, and a
//!   stack with a guard page takes two. Past about 24,500 guarded stacks (three eighths of the
//!   limit) new stacks are *compact*: carved from large slabs, with overflow caught by a
//!   canary checked at every switch instead of a guard page. A million parked green threads
//!   work on a stock kernel this way. [`runtime::Builder::guard_pages`] chooses compact
//!   stacks from the start. Raising the sysctl keeps guard pages for more stacks.
//! - **Cooperative.** A green thread that computes for a long time without a switch point
//!   holds its worker; call [`yield_now`] in long loops.
//! - **Waiting while unwinding.** std counts panics in progress per OS thread. A green
//!   thread that waits in a destructor while it unwinds (from `panic!`, a cancellation, or
//!   a panic the crate passes on) therefore stays on its worker until the unwind ends, and
//!   meanwhile `std::thread::panicking()` is also true for the other green threads that run
//!   on that worker ([`thread::panicking`] answers for the calling green thread). An unwind started by your own `std::panic::resume_unwind` is not seen
//!   by the runtime: don't wait in destructors during one.
//! - **Panics** unwind only the green thread that panicked; its [`JoinHandle::join`] returns
//!   the payload. The runtime installs a panic hook that names green threads; one installed
//!   after it replaces it.
//!
//! [corosensei]: https://docs.rs/corosensei

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(
    missing_docs,
    missing_debug_implementations,
    clippy::undocumented_unsafe_blocks
)]

mod blocking;
pub mod channel;
mod coroutine;
pub mod io;
mod loom;
pub mod net;
pub mod os;
mod reactor;
pub mod runtime;
mod scheduler;
mod stack;
pub mod sync;
mod sys;
pub mod thread;
mod time;

pub use blocking::unblock;

pub use runtime::Runtime;
pub use stack::{DEFAULT_STACK_SIZE, MIN_STACK_SIZE};
pub use thread::{
    AccessError, Builder, Cancelled, JoinHandle, LocalKey, Scope, ScopedJoinHandle, Thread,
    ThreadId, current, is_green, park, park_timeout, scope, sleep, sleep_until, spawn, yield_now,
};
