//! `ping-pong-ring`: `--concurrency` green threads in a ring of channels pass tokens around.
//!
//! Each round builds a ring: green thread #i receives on its own channel (a random capacity
//! of 0, 1 or 2) and forwards to #i+1. The scenario injects up to 16 tokens at #0, each to go
//! around a random 1 to 3 laps (ending at #n-1), and waits (bounded) for each to come back. Invariants:
//! - a token always arrives at the green thread it was sent to (no pass lost, duplicated
//!   or misrouted), and comes back after exactly its number of passes;
//! - every green thread received exactly the passes the tokens' laps imply (counts exact).
//!
//! Latency: one pass, from the send to the receive.

use std::time::{Duration, Instant};

use greenthread::channel::{Receiver, Sender, bounded};
use hdrhistogram::Histogram;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::{Ctx, Outcome, Scenario, latency_histogram};

/// Tokens around a ring of channels.
#[derive(Debug)]
pub struct PingPongRing;

/// How long a member waits for its next message, and the scenario for every token to come
/// back, before a pass counts as lost: this, plus [`PASS_ALLOWANCE`] per pass the wait may
/// cover (so a huge `--concurrency` is slow, not broken).
const TOKEN_TIMEOUT: Duration = Duration::from_secs(30);
const PASS_ALLOWANCE: Duration = Duration::from_micros(20);

enum Msg {
    Token {
        id: u64,
        /// The ring position it was sent to.
        to: u64,
        /// Passes left; the holder at 0 hands it back to the scenario.
        left: u64,
        sent: Instant,
    },
    /// Go around once more, then exit.
    Stop,
}

/// What a ring member reports: passes received and their latencies.
type Member = Result<(u64, Histogram<u64>), String>;

impl Scenario for PingPongRing {
    fn name(&self) -> &'static str {
        "ping-pong-ring"
    }

    fn about(&self) -> &'static str {
        "green threads pass tokens around a ring of channels; every pass received exactly \
         once, counts exact"
    }

    fn default_concurrency(&self) -> u64 {
        1_000
    }

    fn run(&self, ctx: &Ctx<'_>) -> Result<Outcome, String> {
        let mut rng = SmallRng::seed_from_u64(ctx.seed);
        let mut latency = latency_histogram();
        let n = ctx.concurrency.max(2);
        let (mut rounds, mut passes, mut tokens_total) = (0u64, 0u64, 0u64);
        while ctx.keep_going(rounds, passes) {
            let tokens = (n / 2).clamp(1, 16);
            let laps: Vec<u64> = (0..tokens).map(|_| rng.random_range(1..=3)).collect();
            let (done_tx, done_rx) = bounded::<(u64, u64)>(tokens as usize);
            let (txs, rxs): (Vec<Sender<Msg>>, Vec<Receiver<Msg>>) =
                (0..n).map(|_| bounded(rng.random_range(0..=2))).unzip();
            let mut members = Vec::with_capacity(n as usize);
            for (i, rx) in rxs.into_iter().enumerate() {
                let next = txs[(i + 1) % n as usize].clone();
                let done = done_tx.clone();
                let yields = ctx.random_yields.then_some(ctx.seed ^ i as u64);
                let h = greenthread::Builder::new()
                    .spawn(move || member(i as u64, n, rx, next, done, yields))
                    .map_err(|e| format!("spawning green thread #{i} failed: {e}"))?;
                members.push(h);
            }
            drop(done_tx);
            let entry = txs[0].clone();
            drop(txs);
            for (id, &l) in laps.iter().enumerate() {
                let msg = Msg::Token {
                    id: id as u64,
                    to: 0,
                    left: l * n,
                    sent: Instant::now(),
                };
                entry
                    .send(msg)
                    .map_err(|_| "green thread #0 hung up before the tokens went in")?;
            }
            // Every token's passes, as if one at a time.
            let passes_left = laps.iter().sum::<u64>() * n;
            let deadline = Instant::now() + allowance(passes_left);
            let mut back = vec![false; tokens as usize];
            for _ in 0..tokens {
                match done_rx.recv_deadline(deadline) {
                    Ok((id, at)) if at == n - 1 && !back[id as usize] => back[id as usize] = true,
                    Ok((id, at)) => {
                        return Err(format!(
                            "token {id} came back twice or from green thread #{at} instead of #{}",
                            n - 1
                        ));
                    }
                    Err(e) => {
                        let lost: Vec<_> = (0..tokens).filter(|&t| !back[t as usize]).collect();
                        return Err(format!(
                            "tokens {lost:?} not back within {:?}: {e}",
                            allowance(passes_left)
                        ));
                    }
                }
            }
            entry
                .send(Msg::Stop)
                .map_err(|_| "green thread #0 hung up early")?;
            drop(entry);
            let per_member: u64 = laps.iter().sum();
            for (i, h) in members.into_iter().enumerate() {
                let (got, hist) = h
                    .join()
                    .map_err(|_| format!("green thread #{i} panicked"))??;
                let want = per_member + u64::from(ctx.inject_fault && i == 0);
                if got != want {
                    return Err(format!(
                        "green thread #{i} received {got} passes, expected {want}"
                    ));
                }
                latency.add(&hist).map_err(|e| format!("histogram: {e}"))?;
                passes += got;
            }
            tokens_total += tokens;
            rounds += 1;
        }
        Ok(Outcome {
            rounds,
            operations: passes,
            operation_name: "token passes",
            latency_name: "pass latency",
            latency,
            counts: vec![("ring size", n), ("tokens", tokens_total)],
            invariants: vec![
                "every token arrived at the green thread it was sent to (none lost, duplicated or misrouted)",
                "every token came back after exactly its laps × ring size passes",
                "every green thread received exactly the passes the laps imply (counts exact)",
            ],
        })
    }
}

/// Ring member #`me`: forwards tokens to `next` until the stop message has gone by.
fn member(
    me: u64,
    n: u64,
    rx: Receiver<Msg>,
    next: Sender<Msg>,
    done: Sender<(u64, u64)>,
    yields: Option<u64>,
) -> Member {
    let mut hist = latency_histogram();
    let mut rng = yields.map(SmallRng::seed_from_u64);
    let mut got = 0u64;
    // Between two visits a token goes round the ring, and up to 16 tokens × 3 laps pass.
    let wait = allowance(n * 16 * 3);
    loop {
        let msg = rx
            .recv_timeout(wait)
            .map_err(|e| format!("green thread #{me}: no token or stop within {wait:?}: {e}"))?;
        match msg {
            Msg::Stop => {
                // #0 has exited when the stop comes round to it: nobody to tell.
                let _ = next.send(Msg::Stop);
                return Ok((got, hist));
            }
            Msg::Token { id, to, left, sent } => {
                hist.saturating_record((sent.elapsed().as_nanos() as u64).max(1));
                if to != me {
                    return Err(format!(
                        "green thread #{me} received token {id}, which was sent to #{to}"
                    ));
                }
                got += 1;
                if let Some(rng) = rng.as_mut() {
                    if rng.random_range(0..4) == 0 {
                        greenthread::yield_now();
                    }
                }
                if left == 1 {
                    // Its last pass (at #n-1 after its laps): hand it back.
                    done.send((id, me)).map_err(|_| "the scenario hung up")?;
                    continue;
                }
                let msg = Msg::Token {
                    id,
                    to: (me + 1) % n,
                    left: left - 1,
                    sent: Instant::now(),
                };
                next.send(msg)
                    .map_err(|_| format!("green thread #{me}: the next one hung up"))?;
            }
        }
    }
}

/// [`TOKEN_TIMEOUT`] plus the allowance for `passes` passes.
fn allowance(passes: u64) -> Duration {
    TOKEN_TIMEOUT + PASS_ALLOWANCE * u32::try_from(passes).unwrap_or(u32::MAX)
}
