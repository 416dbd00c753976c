//! Loom model of a worker's LIFO slot (`src/scheduler/lifo.rs`, compiled here as is).
//!
//! The property: every green thread put in the slot comes out exactly once, to the owner or
//! to the thief, whatever the interleaving. A broken handshake shows as one coming out twice
//! (both sides moved the same pointer out) or not at all.
//!
//! The slot's barriers are asymmetric in the crate (a compiler fence on the owner's side,
//! `membarrier(2)` on the thief's); together they order the two sides as a `SeqCst` fence on
//! each would, which is what the model gives them.
//!
//! Run: `cargo test --release --test loom_lifo` (exhaustive within loom's bounds).

#![allow(dead_code)]

/// What `lifo.rs` imports as `crate::loom`, from loom.
mod loom {
    pub(crate) mod sync {
        pub(crate) mod atomic {
            pub(crate) use ::loom::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
        }
    }

    pub(crate) mod barrier {
        pub(crate) fn light() {
            ::loom::sync::atomic::fence(::loom::sync::atomic::Ordering::SeqCst);
        }

        pub(crate) fn heavy() -> bool {
            ::loom::sync::atomic::fence(::loom::sync::atomic::Ordering::SeqCst);
            true
        }
    }

    pub(crate) mod hint {
        pub(crate) fn backoff(_step: &mut u32) {
            ::loom::thread::yield_now();
        }
    }
}

#[path = "../src/scheduler/lifo.rs"]
mod lifo;

use std::sync::Arc;

use ::loom::thread;

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = ::loom::model::Builder::new();
    b.preemption_bound = Some(3);
    b.check(f);
}

/// The id of what came out. The value is leaked, not dropped: a broken handshake moves one
/// reference out twice, and dropping both would free it twice before the assertion speaks.
fn id(v: Arc<usize>) -> usize {
    let id = *v;
    std::mem::forget(v);
    id
}

/// Ids of what came out, checked against what went in.
fn assert_each_once(mut out: Vec<usize>, put: &[usize]) {
    out.sort_unstable();
    assert_eq!(out, put, "each green thread must come out exactly once");
}

#[test]
fn a_steal_racing_a_take_moves_it_out_once() {
    model(|| {
        let (owner, thief) = lifo::new::<usize>();
        assert!(owner.replace(Arc::new(1)).unwrap().is_none());
        let t = thread::spawn(move || thief.steal().map(id));
        let mine = owner.take().map(id);
        let stolen = t.join().unwrap();
        assert_each_once(mine.into_iter().chain(stolen).collect(), &[1]);
    });
}

#[test]
fn a_steal_racing_a_replace_moves_each_out_once() {
    model(|| {
        let (owner, thief) = lifo::new::<usize>();
        assert!(owner.replace(Arc::new(1)).unwrap().is_none());
        let t = thread::spawn(move || thief.steal().map(id));
        let mut out: Vec<usize> = owner
            .replace(Arc::new(2))
            .unwrap()
            .map(id)
            .into_iter()
            .collect();
        out.extend(owner.take().map(id));
        out.extend(t.join().unwrap());
        assert_each_once(out, &[1, 2]);
    });
}

#[test]
fn two_thieves_and_the_owner_move_it_out_once() {
    model(|| {
        let (owner, thief) = lifo::new::<usize>();
        assert!(owner.replace(Arc::new(1)).unwrap().is_none());
        let thief = Arc::new(thief);
        let other = thief.clone();
        let t = thread::spawn(move || other.steal().map(id));
        let mut out: Vec<usize> = thief.steal().map(id).into_iter().collect();
        out.extend(owner.take().map(id));
        out.extend(t.join().unwrap());
        assert_each_once(out, &[1]);
    });
}

/// The monitor's retake: close the slot, then steal. Whatever the owner puts in meanwhile is
/// either in the slot (taken by one side) or handed back to it (closed).
#[test]
fn a_retake_racing_a_replace_loses_nothing() {
    model(|| {
        let (owner, thief) = lifo::new::<usize>();
        assert!(owner.replace(Arc::new(1)).unwrap().is_none());
        let t = thread::spawn(move || {
            thief.close();
            thief.steal().map(id)
        });
        let mut out: Vec<usize> = match owner.replace(Arc::new(2)) {
            Ok(prev) => prev.map(id).into_iter().collect(),
            Err(back) => vec![id(back)],
        };
        out.extend(owner.take().map(id));
        out.extend(t.join().unwrap());
        assert_each_once(out, &[1, 2]);
    });
}
