//! [`select!`](crate::select) and [`select_biased!`](crate::select_biased): crossbeam-channel's
//! syntax over a [`Select`](super::Select).
//!
//! Three stages, each its own macro. `__select_parse!` reads the cases one at a time into a
//! uniform list (`[recv (r) (pat) (body)]`, `[send (s) (m) (pat) (body)]`) and the optional
//! `default` (which must come last), whatever the commas. `__select_run!` makes the
//! `Select`. `__select_case!` nests one `match` per case: its channel expression is the
//! scrutinee, so a temporary in it (`recv(get())`, `recv(c.rx())`, `&never()`) lives until
//! the whole select is over; the handle is coerced to `&Receiver<_>`/`&Sender<_>`, so
//! references and `Deref` wrappers work; the case adds its operation and passes its handle
//! and index down (as tokens: the innermost level then names this level's bindings). The
//! innermost level waits, completes the selected operation and runs its case's body, where
//! every handle is still alive: nothing that borrows them leaves a `match` arm.

#![forbid(unsafe_code)]

/// Waits on several channel operations and runs the branch of the one that completes, with
/// crossbeam-channel's syntax.
///
/// ```text
/// select! {
///     recv(receiver) -> result => body,        // result: Result<T, RecvError>
///     send(sender, message) -> result => body, // result: Result<(), SendError<T>>
///     default => body,                         // optional: when nothing is ready now
///     default(timeout) => body,                // or: when nothing is ready in time
/// }
/// ```
///
/// Exactly one branch runs. When several operations are ready, one is chosen at random
/// ([`select_biased!`](crate::select_biased) takes the first). `default` (also written
/// `default()`) must be the last case. Each channel expression is evaluated once, in order,
/// and lives until the select is over; a message expression is evaluated only if its send is
/// the one selected. A body that is a block needs no comma after it; trailing commas are
/// accepted inside the operations too (`send(s, 1,)`).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenthread::channel::{bounded, select};
///
/// let rt = greenthread::Runtime::new()?;
/// let (tx, rx) = bounded::<&str>(0);
/// rt.spawn(move || tx.send("hello").unwrap());
/// let got = rt.block_on(|| {
///     select! {
///         recv(rx) -> msg => msg.unwrap(),
///         default(Duration::from_secs(5)) => "timed out",
///     }
/// });
/// assert_eq!(got, "hello");
/// # std::io::Result::Ok(())
/// ```
#[macro_export]
macro_rules! select {
    ($($tokens:tt)*) => {
        $crate::__select_parse!((new) () $($tokens)*)
    };
}

/// [`select!`](crate::select) that, when several operations are ready, runs the first of
/// them in the order written (crossbeam-channel's `select_biased!`).
///
/// # Examples
///
/// ```
/// use greenthread::channel::{select_biased, unbounded};
///
/// let (tx1, rx1) = unbounded();
/// let (tx2, rx2) = unbounded();
/// tx1.send(1).unwrap();
/// tx2.send(2).unwrap();
/// let first = select_biased! {
///     recv(rx1) -> msg => msg.unwrap(),
///     recv(rx2) -> msg => msg.unwrap(),
/// };
/// assert_eq!(first, 1); // both were ready: the first case wins
/// ```
#[macro_export]
macro_rules! select_biased {
    ($($tokens:tt)*) => {
        $crate::__select_parse!((new_biased) () $($tokens)*)
    };
}

/// [`select!`](crate::select) biased or not as the caller's `const _IS_BIASED: bool` says:
/// the entry point crossbeam-channel's own `select!` and `select_biased!` go through, under
/// the name its tests use to build a `select!` of their own (`tests/mpsc.rs`).
#[doc(hidden)]
#[macro_export]
macro_rules! crossbeam_channel_internal {
    () => {
        ::core::compile_error!("empty `select!` block")
    };
    ($($tokens:tt)*) => {
        $crate::__select_parse!((_IS_BIASED) () $($tokens)*)
    };
}

/// Implementation detail of [`select!`]: reads the cases into a uniform list.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_parse {
    // All read, no default.
    (($ctor:ident) ($($cases:tt)*)) => {
        $crate::__select_run!(($ctor) ($($cases)*) ())
    };
    // A default, last.
    (($ctor:ident) ($($cases:tt)*) default $(())? => $body:expr $(,)?) => {
        $crate::__select_run!(($ctor) ($($cases)*) ((now) $body))
    };
    (($ctor:ident) ($($cases:tt)*) default($timeout:expr $(,)?) => $body:expr $(,)?) => {
        $crate::__select_run!(($ctor) ($($cases)*) (($timeout) $body))
    };
    (($ctor:ident) ($($cases:tt)*) default $($rest:tt)*) => {
        ::core::compile_error!("`default` must be the last case of a select, and appear once")
    };
    // A receive: a block body needs no comma after it.
    (($ctor:ident) ($($cases:tt)*)
        recv($r:expr $(,)?) -> $res:pat => $body:block, $($rest:tt)*) => {
        $crate::__select_parse!(($ctor) ($($cases)* [recv ($r) ($res) ($body)]) $($rest)*)
    };
    (($ctor:ident) ($($cases:tt)*)
        recv($r:expr $(,)?) -> $res:pat => $body:block $($rest:tt)*) => {
        $crate::__select_parse!(($ctor) ($($cases)* [recv ($r) ($res) ($body)]) $($rest)*)
    };
    (($ctor:ident) ($($cases:tt)*)
        recv($r:expr $(,)?) -> $res:pat => $body:expr, $($rest:tt)*) => {
        $crate::__select_parse!(($ctor) ($($cases)* [recv ($r) ($res) ($body)]) $($rest)*)
    };
    (($ctor:ident) ($($cases:tt)*) recv($r:expr $(,)?) -> $res:pat => $body:expr) => {
        $crate::__select_parse!(($ctor) ($($cases)* [recv ($r) ($res) ($body)]))
    };
    // A send.
    (($ctor:ident) ($($cases:tt)*)
        send($s:expr, $m:expr $(,)?) -> $res:pat => $body:block, $($rest:tt)*) => {
        $crate::__select_parse!(($ctor) ($($cases)* [send ($s) ($m) ($res) ($body)]) $($rest)*)
    };
    (($ctor:ident) ($($cases:tt)*)
        send($s:expr, $m:expr $(,)?) -> $res:pat => $body:block $($rest:tt)*) => {
        $crate::__select_parse!(($ctor) ($($cases)* [send ($s) ($m) ($res) ($body)]) $($rest)*)
    };
    (($ctor:ident) ($($cases:tt)*)
        send($s:expr, $m:expr $(,)?) -> $res:pat => $body:expr, $($rest:tt)*) => {
        $crate::__select_parse!(($ctor) ($($cases)* [send ($s) ($m) ($res) ($body)]) $($rest)*)
    };
    (($ctor:ident) ($($cases:tt)*) send($s:expr, $m:expr $(,)?) -> $res:pat => $body:expr) => {
        $crate::__select_parse!(($ctor) ($($cases)* [send ($s) ($m) ($res) ($body)]))
    };
    (($ctor:ident) ($($cases:tt)*) $($rest:tt)*) => {
        ::core::compile_error!(
            "expected a case: `recv(r) -> res => body`, `send(s, msg) -> res => body`, \
             `default => body` or `default(timeout) => body`"
        )
    };
}

/// Implementation detail of [`select!`]: the `Select`.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_run {
    ((_IS_BIASED) ($($cases:tt)*) $default:tt) => {{
        #[allow(unused_mut)]
        let mut __greenthread_sel = if _IS_BIASED {
            $crate::channel::Select::new_biased()
        } else {
            $crate::channel::Select::new()
        };
        $crate::__select_case!(__greenthread_sel; $default () $($cases)*)
    }};
    (($ctor:ident) ($($cases:tt)*) $default:tt) => {{
        #[allow(unused_mut)]
        let mut __greenthread_sel = $crate::channel::Select::$ctor();
        $crate::__select_case!(__greenthread_sel; $default () $($cases)*)
    }};
}

/// Implementation detail of [`select!`]: one `match` per case, then the wait and the
/// chosen case's body, innermost, where every case's handle is still in scope.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_case {
    // Every operation added: wait until one is ready...
    ($sel:ident; () ($($done:tt)*)) => {{
        let __greenthread_oper = $sel.select();
        $crate::__select_case!(@complete __greenthread_oper; $($done)*)
    }};
    // ... or take one ready now ...
    ($sel:ident; ((now) $body:expr) ($($done:tt)*)) => {
        match $sel.try_select() {
            ::core::result::Result::Ok(__greenthread_oper) => {
                $crate::__select_case!(@complete __greenthread_oper; $($done)*)
            }
            ::core::result::Result::Err(_) => $body,
        }
    };
    // ... or wait until the timeout.
    ($sel:ident; (($timeout:expr) $body:expr) ($($done:tt)*)) => {
        match $sel.select_timeout($timeout) {
            ::core::result::Result::Ok(__greenthread_oper) => {
                $crate::__select_case!(@complete __greenthread_oper; $($done)*)
            }
            ::core::result::Result::Err(_) => $body,
        }
    };
    // Adds a receive; its handle and index go down with the case (as tokens, so that the
    // innermost level names this level's bindings).
    ($sel:ident; $default:tt ($($done:tt)*) [recv ($r:expr) ($res:pat) ($body:expr)] $($rest:tt)*) => {
        match $r {
            ref __greenthread_r => {
                let __greenthread_r: &$crate::channel::Receiver<_> = __greenthread_r;
                let __greenthread_i = $sel.recv(__greenthread_r);
                $crate::__select_case!(
                    $sel; $default
                    ($($done)* [recv __greenthread_r __greenthread_i ($res) ($body)])
                    $($rest)*
                )
            }
        }
    };
    ($sel:ident; $default:tt ($($done:tt)*) [send ($s:expr) ($m:expr) ($res:pat) ($body:expr)] $($rest:tt)*) => {
        match $s {
            ref __greenthread_s => {
                let __greenthread_s: &$crate::channel::Sender<_> = __greenthread_s;
                let __greenthread_i = $sel.send(__greenthread_s);
                $crate::__select_case!(
                    $sel; $default
                    ($($done)* [send __greenthread_s __greenthread_i ($m) ($res) ($body)])
                    $($rest)*
                )
            }
        }
    };
    // Completes the selected operation and runs its case's body.
    (@complete $oper:ident;) => {
        ::core::unreachable!("select!: an operation was selected that no case handles")
    };
    (@complete $oper:ident; [recv $h:ident $i:ident ($res:pat) ($body:expr)] $($rest:tt)*) => {
        if $oper.index() == $i {
            let $res = $oper.recv($h);
            $body
        } else {
            $crate::__select_case!(@complete $oper; $($rest)*)
        }
    };
    (@complete $oper:ident; [send $h:ident $i:ident ($m:expr) ($res:pat) ($body:expr)] $($rest:tt)*) => {
        if $oper.index() == $i {
            let $res = $oper.send($h, $m);
            $body
        } else {
            $crate::__select_case!(@complete $oper; $($rest)*)
        }
    };
}
