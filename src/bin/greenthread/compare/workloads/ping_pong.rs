//! park/unpark ping-pong: two threads pass a turn back and forth, each parking until the
//! other unparks it. Green threads use `greenthread::park`, OS threads `std::thread::park`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::compare::workload::{Ctx, Measured, SideResult, Sizes, Unit, Workload};
use crate::units::count;

/// Two threads hand a turn to each other with park/unpark.
#[derive(Debug)]
pub struct ParkPingPong;

const BASE: u64 = 100_000;

impl Workload for ParkPingPong {
    fn id(&self) -> &'static str {
        "park-ping-pong"
    }

    fn title(&self, sizes: &Sizes) -> String {
        format!(
            "park/unpark ping-pong ({} round trips)",
            count(sizes.iterations(BASE))
        )
    }

    fn unit(&self) -> Unit {
        Unit::NanosPer("round trip")
    }

    fn run_green(&self, ctx: &Ctx<'_>) -> SideResult {
        let n = ctx.sizes.iterations(BASE);
        let game = Game::new(n);
        let a = ctx.rt.spawn(game.player(0, Kind::Green));
        let b = ctx.rt.spawn(game.player(1, Kind::Green));
        let (ra, rb) = (a.join(), b.join());
        if ra.is_err() || rb.is_err() {
            return Err("a green player panicked".into());
        }
        game.result()
    }

    fn run_os(&self, ctx: &Ctx<'_>) -> SideResult {
        let n = ctx.sizes.iterations(BASE);
        let game = Game::new(n);
        let a = std::thread::Builder::new()
            .spawn(game.player(0, Kind::Os))
            .map_err(|e| format!("the OS refused a thread: {e}"))?;
        let b = match std::thread::Builder::new().spawn(game.player(1, Kind::Os)) {
            Ok(b) => b,
            Err(e) => {
                game.abandon();
                let _ = a.join();
                return Err(format!("the OS refused a thread: {e}"));
            }
        };
        let (ra, rb) = (a.join(), b.join());
        if ra.is_err() || rb.is_err() {
            return Err("an OS player panicked".into());
        }
        game.result()
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Green,
    Os,
}

/// A handle to unpark a player.
#[derive(Clone)]
enum Handle {
    Green(greenthread::Thread),
    Os(std::thread::Thread),
}

impl Handle {
    fn current(kind: Kind) -> Handle {
        match kind {
            Kind::Green => Handle::Green(greenthread::current()),
            Kind::Os => Handle::Os(std::thread::current()),
        }
    }

    fn unpark(&self) {
        match self {
            Handle::Green(t) => t.unpark(),
            Handle::Os(t) => t.unpark(),
        }
    }
}

/// Locks, ignoring poisoning (a panicking player is reported by its join).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn park(kind: Kind) {
    match kind {
        Kind::Green => greenthread::park(),
        Kind::Os => std::thread::park(),
    }
}

/// Shared state of one game.
#[derive(Clone)]
struct Game {
    rounds: u64,
    /// Whose turn: even for player 0, odd for player 1; `u64::MAX` when abandoned.
    turn: Arc<AtomicU64>,
    handles: Arc<Mutex<[Option<Handle>; 2]>>,
    /// Set by player 0 once both are ready, read after both are joined.
    timing: Arc<Mutex<(Option<Instant>, Option<Duration>)>>,
}

impl Game {
    fn new(rounds: u64) -> Game {
        Game {
            rounds,
            turn: Arc::new(AtomicU64::new(0)),
            handles: Arc::new(Mutex::new([None, None])),
            timing: Arc::new(Mutex::new((None, None))),
        }
    }

    fn player(&self, me: usize, kind: Kind) -> impl FnOnce() + Send + 'static {
        let game = self.clone();
        move || game.play(me, kind)
    }

    fn play(&self, me: usize, kind: Kind) {
        lock(&self.handles)[me] = Some(Handle::current(kind));
        // Wait for the other player to publish its handle.
        let other = loop {
            if let Some(h) = lock(&self.handles)[1 - me].clone() {
                break h;
            }
            if self.turn.load(Ordering::Acquire) == u64::MAX {
                return;
            }
            match kind {
                Kind::Green => greenthread::yield_now(),
                Kind::Os => std::thread::yield_now(),
            }
        };
        if me == 0 {
            lock(&self.timing).0 = Some(Instant::now());
        }
        let me = me as u64;
        for i in 0..self.rounds {
            while self.turn.load(Ordering::Acquire) != 2 * i + me {
                park(kind);
            }
            self.turn.store(2 * i + me + 1, Ordering::Release);
            other.unpark();
        }
        if me == 1 {
            let mut t = lock(&self.timing);
            t.1 = t.0.map(|s| s.elapsed());
        }
    }

    fn abandon(&self) {
        self.turn.store(u64::MAX, Ordering::Release);
    }

    fn result(&self) -> SideResult {
        let t = lock(&self.timing);
        let elapsed = t.1.ok_or("the game did not finish")?;
        Ok(Measured {
            value: elapsed.as_nanos() as f64 / self.rounds as f64,
            size: self.rounds,
        })
    }
}
