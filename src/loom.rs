//! The atomics that the park state machine is written against.
//!
//! The state machine in [`crate::thread::parker`] imports its atomics from here, never from
//! `std` directly. In the crate this re-exports `std`; the loom model in
//! `tests/loom_parker.rs` compiles the same source file against a module of the same shape
//! that re-exports `loom`, so the model checks the code that ships, not a copy of it.

pub(crate) mod sync {
    pub(crate) mod atomic {
        pub(crate) use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
    }
}
