//! Pelmeni: concurrency vs parallelism in a kitchen.
//!
//! Cooking a pot of pelmeni is a little work with your hands (filling the pot) and a lot of
//! waiting (the boil). Three ways to cook N pots:
//!
//! 1. **Sequentially**: one cook fills a pot, stands by it while it boils, then the next.
//! 2. **One cook, green threads**: a runtime with a single worker (one cook). Each pot is a
//!    green thread; while one boils (`greenthread::sleep`), the cook turns to another pot.
//!    The waits overlap: this is *concurrency*. The filling still happens one pot at a time.
//! 3. **One cook per pot, OS threads**: every pot has its own cook (`std::thread`); they
//!    work at the same instant, as many at once as there are cores (stoves): *parallelism*.
//!
//! `cargo run --release --example pelmeni -- [POTS] [BOIL_MS]` (default 6 pots, 40 ms).

use std::time::{Duration, Instant};

/// A kitchen's job.
#[derive(Debug, Clone, Copy)]
pub struct Kitchen {
    /// How many pots.
    pub pots: u32,
    /// The cook's hands-on time per pot (real CPU work).
    pub fill: Duration,
    /// The boil: waiting, nothing to do.
    pub boil: Duration,
}

impl Default for Kitchen {
    fn default() -> Kitchen {
        Kitchen {
            pots: 6,
            fill: Duration::from_millis(4),
            boil: Duration::from_millis(40),
        }
    }
}

/// How long each way took.
#[derive(Debug, Clone, Copy)]
pub struct Timings {
    /// One cook, one pot at a time.
    pub sequential: Duration,
    /// One cook (one worker), a green thread per pot.
    pub green_one_cook: Duration,
    /// A cook (OS thread) per pot.
    pub os_cook_per_pot: Duration,
}

/// Filling a pot: busy hands, so real work on the CPU.
fn fill(d: Duration) {
    let start = Instant::now();
    let mut x = 0u64;
    while start.elapsed() < d {
        x = std::hint::black_box(x.wrapping_add(1));
    }
}

/// Cooks the pots all three ways.
///
/// # Errors
///
/// If the green-thread runtime or an OS thread cannot be started.
pub fn cook(k: Kitchen) -> std::io::Result<Timings> {
    // 1. Sequentially.
    let start = Instant::now();
    for _ in 0..k.pots {
        fill(k.fill);
        std::thread::sleep(k.boil); // standing by the pot
    }
    let sequential = start.elapsed();

    // 2. One cook: a runtime with a single worker thread.
    let cook = greenthread::Runtime::builder().workers(1).build()?;
    let start = Instant::now();
    let pots: Vec<_> = (0..k.pots)
        .map(|_| {
            cook.spawn(move || {
                fill(k.fill);
                greenthread::sleep(k.boil); // the cook turns to another pot
            })
        })
        .collect();
    for pot in pots {
        pot.join().expect("a pot boiled over");
    }
    let green_one_cook = start.elapsed();

    // 3. A cook per pot.
    let start = Instant::now();
    let cooks = (0..k.pots)
        .map(|_| {
            std::thread::Builder::new().spawn(move || {
                fill(k.fill);
                std::thread::sleep(k.boil);
            })
        })
        .collect::<std::io::Result<Vec<_>>>()?;
    for c in cooks {
        c.join().expect("a cook dropped a pot");
    }
    let os_cook_per_pot = start.elapsed();

    Ok(Timings {
        sequential,
        green_one_cook,
        os_cook_per_pot,
    })
}

/// Cooks and explains.
pub fn explain(k: Kitchen) -> std::io::Result<Timings> {
    println!(
        "Cooking {} pots of pelmeni: {:?} of filling each (hands busy), {:?} of boiling (just waiting).\n",
        k.pots, k.fill, k.boil
    );
    let t = cook(k)?;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "  sequential, one cook standing by each pot   {:>7.1} ms",
        ms(t.sequential)
    );
    println!(
        "  one cook, a green thread per pot            {:>7.1} ms   concurrency",
        ms(t.green_one_cook)
    );
    println!(
        "  a cook per pot, OS threads                  {:>7.1} ms   parallelism",
        ms(t.os_cook_per_pot)
    );
    println!(
        "\nConcurrency: one cook (one worker thread) juggles all the pots; while one boils it \
         fills the next.\nThe waits overlap, the hands-on work does not: about pots × fill + boil."
    );
    println!(
        "Parallelism: several cooks work at the same instant, as many as there are cores; it \
         costs a cook\n(an OS thread, its stack, a kernel task) per pot. Green threads make the \
         first cheap, and a runtime\nwith several workers gives both."
    );
    Ok(t)
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut k = Kitchen::default();
    if let Some(p) = args.next() {
        k.pots = p
            .parse()
            .ok()
            .filter(|p| (1..=10_000).contains(p))
            .ok_or_else(|| invalid("POTS must be a number from 1 to 10000"))?;
    }
    if let Some(b) = args.next() {
        let ms: u64 = b
            .parse()
            .ok()
            .filter(|b| *b <= 10_000)
            .ok_or_else(|| invalid("BOIL_MS must be a number of milliseconds up to 10000"))?;
        k.boil = Duration::from_millis(ms);
    }
    explain(k).map(|_| ())
}

fn invalid(msg: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, msg)
}
