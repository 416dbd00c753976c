//! Green-thread-local storage: [`thread_local!`](crate::thread_local) and [`LocalKey`].
//!
//! `std::thread_local!` values belong to the OS thread, and a green thread migrates between
//! worker OS threads at its switch points: two green threads on one worker would share one
//! value, and one green thread could see different values before and after a `sleep`. This
//! crate's `thread_local!` has the same syntax and gives each *green thread* its own value
//! (created on first use, dropped when the green thread ends); on a plain OS thread it falls
//! back to one value per OS thread, like std's.
//!
//! Values live in a small map on the green thread, keyed by the key's address; a value never
//! moves once created (it is boxed), so `with` hands out a plain reference.

use std::any::Any;
use std::cell::RefCell;
use std::error::Error;
use std::fmt;

use crate::coroutine::current_task;

/// One green thread's (or OS thread's) values, by key address.
#[derive(Default)]
pub(crate) struct LocalMap {
    entries: Vec<(usize, Box<dyn Any>)>,
}

impl LocalMap {
    fn get<T: 'static>(&self, key: usize) -> Option<*const T> {
        self.entries
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| v.downcast_ref::<T>())
            .map(|v| v as *const T)
    }

    fn insert<T: 'static>(&mut self, key: usize, value: Box<T>) -> *const T {
        if let Some(existing) = self.get::<T>(key) {
            // The initialiser of this very key used the key recursively; keep the first.
            return existing;
        }
        let p: *const T = &*value;
        self.entries.push((key, value));
        p
    }
}

impl fmt::Debug for LocalMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalMap")
            .field("len", &self.entries.len())
            .finish()
    }
}

std::thread_local! {
    /// The fallback map of a plain OS thread.
    static OS_LOCALS: RefCell<LocalMap> = RefCell::new(LocalMap::default());
}

/// A key for green-thread-local storage, declared with
/// [`greenthread::thread_local!`](crate::thread_local). The counterpart of
/// `std::thread::LocalKey`.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
///
/// greenthread::thread_local!(static ID: Cell<u32> = Cell::new(0));
///
/// ID.with(|id| id.set(1));
/// let other = greenthread::spawn(|| ID.with(Cell::get)).join().unwrap();
/// assert_eq!(other, 0); // a new green thread starts with a fresh value
/// assert_eq!(ID.with(Cell::get), 1);
/// ```
pub struct LocalKey<T: 'static> {
    init: fn() -> T,
}

/// The error of [`LocalKey::try_with`] on an OS thread whose locals are being destroyed.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
///
/// greenthread::thread_local!(static N: Cell<u32> = Cell::new(3));
/// let r: Result<u32, greenthread::AccessError> = N.try_with(Cell::get);
/// assert_eq!(r, Ok(3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccessError;

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("already destroyed")
    }
}

impl Error for AccessError {}

impl<T: 'static> LocalKey<T> {
    #[doc(hidden)]
    pub const fn new(init: fn() -> T) -> LocalKey<T> {
        LocalKey { init }
    }

    /// Runs `f` with a reference to this green thread's value, creating it on first use.
    ///
    /// # Panics
    ///
    /// On an OS thread whose thread-locals are being destroyed, like std.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::Cell;
    ///
    /// greenthread::thread_local!(static COUNT: Cell<u32> = Cell::new(0));
    ///
    /// let rt = greenthread::Runtime::builder().workers(1).build()?;
    /// let counts: Vec<u32> = rt.block_on(|| {
    ///     let hs: Vec<_> = (0..3)
    ///         .map(|_| {
    ///             greenthread::spawn(|| {
    ///                 for _ in 0..5 {
    ///                     COUNT.with(|c| c.set(c.get() + 1));
    ///                     greenthread::yield_now(); // others run on this worker meanwhile
    ///                 }
    ///                 COUNT.with(Cell::get)
    ///             })
    ///         })
    ///         .collect();
    ///     hs.into_iter().map(|h| h.join().unwrap()).collect()
    /// });
    /// assert_eq!(counts, [5, 5, 5]); // one counter per green thread, not per worker
    /// # std::io::Result::Ok(())
    /// ```
    pub fn with<F, R>(&'static self, f: F) -> R
    where
        F: FnOnce(&T) -> R,
    {
        self.try_with(f).expect(
            "cannot access a green-thread-local value during or after destruction of the \
             OS thread's locals",
        )
    }

    /// Like [`with`](LocalKey::with), but returns an error instead of panicking when the
    /// OS thread's locals are being destroyed.
    ///
    /// # Errors
    ///
    /// [`AccessError`] during the destruction of a plain OS thread's locals.
    ///
    /// # Examples
    ///
    /// ```
    /// greenthread::thread_local!(static NAME: String = String::from("local"));
    ///
    /// let len = greenthread::spawn(|| NAME.try_with(|s| s.len())).join().unwrap();
    /// assert_eq!(len, Ok(5));
    /// ```
    pub fn try_with<F, R>(&'static self, f: F) -> Result<R, AccessError>
    where
        F: FnOnce(&T) -> R,
    {
        let key = self as *const Self as usize;
        let value: *const T = match current_task() {
            Some(task) => match task.with_locals(|m| m.get::<T>(key)) {
                Some(v) => v,
                None => {
                    // Run the initialiser without the map borrowed: it may use other keys.
                    let v = Box::new((self.init)());
                    task.with_locals(|m| m.insert(key, v))
                }
            },
            None => {
                let found = OS_LOCALS
                    .try_with(|m| m.borrow().get::<T>(key))
                    .map_err(|_| AccessError)?;
                match found {
                    Some(v) => v,
                    None => {
                        let v = Box::new((self.init)());
                        OS_LOCALS
                            .try_with(|m| m.borrow_mut().insert(key, v))
                            .map_err(|_| AccessError)?
                    }
                }
            }
        };
        // SAFETY: `value` points into a `Box` owned by the current green thread's (or OS
        // thread's) map. Entries are never removed or moved while the owner runs: the map
        // only grows, and is dropped when the green thread finishes (after `f` returns, as
        // `f` runs on it) or when the OS thread's locals are destroyed (after which
        // `try_with` above fails instead). The value is only reachable from its owner.
        Ok(f(unsafe { &*value }))
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalKey").finish_non_exhaustive()
    }
}

/// Declares green-thread-local statics: the same syntax as `std::thread_local!`, one value
/// per green thread (per OS thread when used outside any runtime).
///
/// Use it instead of `std::thread_local!` in code that runs on green threads: std's values
/// belong to the worker OS thread, which several green threads share and which a green
/// thread may leave at any switch point.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
///
/// greenthread::thread_local! {
///     static NAME: RefCell<String> = RefCell::new(String::new());
/// }
///
/// let h = greenthread::spawn(|| {
///     NAME.with(|n| n.borrow_mut().push_str("green"));
///     greenthread::yield_now();
///     NAME.with(|n| n.borrow().clone())
/// });
/// assert_eq!(h.join().unwrap(), "green");
/// ```
#[macro_export]
macro_rules! thread_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = $init:expr; $($rest:tt)*) => {
        $crate::thread_local!($(#[$attr])* $vis static $name: $t = $init);
        $crate::thread_local!($($rest)*);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = $init:expr) => {
        $(#[$attr])*
        $vis static $name: $crate::LocalKey<$t> = {
            fn __greenthread_init() -> $t {
                $init
            }
            $crate::LocalKey::new(__greenthread_init)
        };
    };
}
