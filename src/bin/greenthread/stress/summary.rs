//! The end of a stress run: a short text summary, or JSON.

use std::time::Duration;

use serde::Serialize;

use super::Outcome;
use crate::units::{count, nanos};

/// What every summary starts with.
#[derive(Debug)]
pub struct Head {
    /// Scenario name.
    pub scenario: &'static str,
    /// The seed, to replay the run.
    pub seed: u64,
    /// Runtime workers.
    pub workers: usize,
    /// Green threads per round.
    pub concurrency: u64,
    /// Wall time of the run.
    pub elapsed: Duration,
}

/// Latency percentiles in nanoseconds.
#[derive(Debug, Serialize)]
struct Latency {
    measures: &'static str,
    count: u64,
    p50_ns: u64,
    p99_ns: u64,
    p999_ns: u64,
    max_ns: u64,
}

#[derive(Debug, Serialize)]
struct Json<'a> {
    scenario: &'static str,
    ok: bool,
    error: Option<&'a str>,
    seed: u64,
    workers: usize,
    concurrency: u64,
    elapsed_secs: f64,
    rounds: u64,
    operations: u64,
    operation_name: &'static str,
    throughput_per_sec: f64,
    latency: Option<Latency>,
    counts: serde_json::Map<String, serde_json::Value>,
    invariants: Vec<&'static str>,
}

/// Prints the summary of a run whose invariants all held.
pub fn print_ok(head: &Head, o: &Outcome, json: bool) -> Result<(), String> {
    let secs = head.elapsed.as_secs_f64().max(1e-9);
    let throughput = o.operations as f64 / secs;
    let h = &o.latency;
    let latency = Latency {
        measures: o.latency_name,
        count: h.len(),
        p50_ns: h.value_at_quantile(0.5),
        p99_ns: h.value_at_quantile(0.99),
        p999_ns: h.value_at_quantile(0.999),
        max_ns: h.max(),
    };
    if json {
        let out = Json {
            scenario: head.scenario,
            ok: true,
            error: None,
            seed: head.seed,
            workers: head.workers,
            concurrency: head.concurrency,
            elapsed_secs: secs,
            rounds: o.rounds,
            operations: o.operations,
            operation_name: o.operation_name,
            throughput_per_sec: throughput,
            latency: Some(latency),
            counts: o
                .counts
                .iter()
                .map(|(k, v)| (k.to_string(), (*v).into()))
                .collect(),
            invariants: o.invariants.clone(),
        };
        let text = serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?;
        println!("{text}");
        return Ok(());
    }
    println!(
        "{}: OK in {:.2} s (seed {}, {} workers, {} green threads per round)",
        head.scenario,
        secs,
        head.seed,
        head.workers,
        count(head.concurrency)
    );
    println!("  {:<22} {}", "rounds", count(o.rounds));
    println!(
        "  {:<22} {} ({}/s)",
        o.operation_name,
        count(o.operations),
        count(throughput as u64)
    );
    for (name, value) in &o.counts {
        println!("  {name:<22} {}", count(*value));
    }
    if latency.count > 0 {
        println!(
            "  {:<22} p50 {}  p99 {}  p99.9 {}  max {}  (n = {})",
            o.latency_name,
            nanos(latency.p50_ns as f64),
            nanos(latency.p99_ns as f64),
            nanos(latency.p999_ns as f64),
            nanos(latency.max_ns as f64),
            count(latency.count)
        );
    }
    println!("  invariants held:");
    for inv in &o.invariants {
        println!("    - {inv}");
    }
    Ok(())
}

/// Prints the JSON of a run that broke an invariant (the message also goes to stderr).
pub fn print_broken_json(head: &Head, error: &str) -> Result<(), String> {
    let out = Json {
        scenario: head.scenario,
        ok: false,
        error: Some(error),
        seed: head.seed,
        workers: head.workers,
        concurrency: head.concurrency,
        elapsed_secs: head.elapsed.as_secs_f64(),
        rounds: 0,
        operations: 0,
        operation_name: "",
        throughput_per_sec: 0.0,
        latency: None,
        counts: serde_json::Map::new(),
        invariants: Vec::new(),
    };
    let text = serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}
