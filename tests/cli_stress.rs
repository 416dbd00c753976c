//! `greenthread stress`: every available scenario briefly, its invariants and exit code.

mod support;

use std::process::{Command, Output};

use serde_json::Value;

fn greenthread(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_greenthread"));
    cmd.args(args);
    support::output_within(cmd, 120)
}

/// Runs a scenario for 1 s with --json and returns the parsed summary.
fn run_json(scenario: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "stress",
        scenario,
        "--duration",
        "1s",
        "--json",
        "--seed",
        "7",
    ];
    args.extend_from_slice(extra);
    let out = greenthread(&args);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let json: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(json["scenario"], scenario);
    assert_eq!(json["ok"], true);
    assert_eq!(json["seed"], 7);
    assert!(json["rounds"].as_u64() > Some(0), "{json}");
    assert!(json["operations"].as_u64() > Some(0), "{json}");
    assert!(json["throughput_per_sec"].as_f64() > Some(0.0), "{json}");
    let l = &json["latency"];
    let p = |k: &str| l[k].as_u64().expect(k);
    assert!(p("count") > 0, "{json}");
    assert!(p("p50_ns") <= p("p99_ns"), "{json}");
    assert!(p("p99_ns") <= p("p999_ns"), "{json}");
    assert!(p("p999_ns") <= p("max_ns"), "{json}");
    assert!(
        !json["invariants"]
            .as_array()
            .expect("invariants")
            .is_empty()
    );
    json
}

#[test]
fn spawn_storm_joins_every_thread_as_expected() {
    let json = run_json("spawn-storm", &[]);
    let c = &json["counts"];
    let ok = c["returned Ok"].as_u64().unwrap();
    let panicked = c["panicked on purpose"].as_u64().unwrap();
    assert_eq!(
        ok + panicked,
        json["operations"].as_u64().unwrap(),
        "{json}"
    );
    assert!(
        panicked > 0,
        "no deliberate panic in a whole second: {json}"
    );
    assert_eq!(json["latency"]["count"].as_u64().unwrap(), ok, "{json}");
}

#[test]
fn timer_storm_never_wakes_early() {
    let json = run_json("timer-storm", &["--concurrency", "2000"]);
    let c = &json["counts"];
    let by_deadline = c["woken by deadline"].as_u64().unwrap();
    let by_unpark = c["woken by unpark"].as_u64().unwrap();
    assert_eq!(
        by_deadline + by_unpark,
        json["operations"].as_u64().unwrap()
    );
    let kinds: u64 = [
        "sleep",
        "sleep_until",
        "park_timeout",
        "park_timeout+unpark",
    ]
    .iter()
    .map(|k| c[k].as_u64().unwrap())
    .sum();
    assert_eq!(kinds, json["operations"].as_u64().unwrap(), "{json}");
}

#[test]
fn ping_pong_ring_receives_every_pass_exactly_once() {
    let json = run_json("ping-pong-ring", &["--concurrency", "200"]);
    let c = &json["counts"];
    assert_eq!(c["ring size"], 200, "{json}");
    assert!(c["tokens"].as_u64() > Some(0), "{json}");
    // Every pass was received once and timed once.
    let passes = json["operations"].as_u64().unwrap();
    assert_eq!(json["latency"]["count"].as_u64().unwrap(), passes, "{json}");
    // Each token goes round 1 to 3 whole laps of the ring.
    assert_eq!(passes % 200, 0, "{json}");
    let tokens = c["tokens"].as_u64().unwrap();
    assert!(passes >= tokens * 200 && passes <= tokens * 600, "{json}");
}

#[test]
fn echo_flood_echoes_every_byte_and_leaks_no_descriptor() {
    let json = run_json("echo-flood", &["--concurrency", "50"]);
    let c = &json["counts"];
    let clients: u64 = [
        "normal clients",
        "half-closing clients",
        "resetting clients",
    ]
    .iter()
    .map(|k| c[k].as_u64().unwrap())
    .sum();
    assert_eq!(clients, 50 * json["rounds"].as_u64().unwrap(), "{json}");
    assert!(c["resetting clients"].as_u64() > Some(0), "{json}");
    assert!(c["half-closing clients"].as_u64() > Some(0), "{json}");
    assert!(c["bytes echoed intact"].as_u64() > Some(0), "{json}");
    assert_eq!(c["open fds at start"], c["open fds at end"], "{json}");
    let inv = json["invariants"].to_string();
    assert!(inv.contains("no descriptor leak"), "{json}");
}

#[test]
fn mutex_convoy_counts_every_turn() {
    let json = run_json("mutex-convoy", &["--concurrency", "40"]);
    let c = &json["counts"];
    assert_eq!(c["locks"], 4, "{json}");
    let turns = json["operations"].as_u64().unwrap();
    assert_eq!(json["latency"]["count"].as_u64().unwrap(), turns, "{json}");
    // 40 green threads, 5 to 20 turns each, every round.
    let rounds = json["rounds"].as_u64().unwrap();
    assert!(
        turns >= rounds * 40 * 5 && turns <= rounds * 40 * 20,
        "{json}"
    );
    assert!(
        json["invariants"]
            .to_string()
            .contains("no lost notification")
    );
}

#[test]
fn chaos_runs_every_scenario_and_keeps_each_invariant() {
    let json = run_json("chaos", &["--concurrency", "50"]);
    let c = json["counts"].as_object().expect("counts");
    let inv = json["invariants"].to_string();
    for s in [
        "spawn-storm",
        "ping-pong-ring",
        "echo-flood",
        "timer-storm",
        "mutex-convoy",
    ] {
        assert!(c.keys().any(|k| k.starts_with(s)), "{s} missing: {json}");
        assert!(inv.contains(s), "{s} missing: {json}");
    }
    assert_eq!(
        c["echo-flood: open fds at start"], c["echo-flood: open fds at end"],
        "{json}"
    );
    assert!(
        inv.contains("no descriptor leak over the whole run"),
        "{json}"
    );
}

#[test]
fn iterations_bound_the_rounds_and_the_text_summary_has_percentiles() {
    let out = greenthread(&[
        "stress",
        "spawn-storm",
        "--iterations",
        "3",
        "--concurrency",
        "50",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("spawn-storm: OK"), "{text}");
    assert!(text.contains("rounds                 3"), "{text}");
    assert!(text.contains("150"), "{text}");
    for p in ["p50", "p99", "p99.9", "max"] {
        assert!(text.contains(p), "{text}");
    }
}

#[test]
fn a_broken_invariant_exits_non_zero_with_a_clear_message() {
    for scenario in [
        "spawn-storm",
        "ping-pong-ring",
        "echo-flood",
        "timer-storm",
        "mutex-convoy",
        "chaos",
    ] {
        let out = greenthread(&[
            "stress",
            scenario,
            "--iterations",
            "1",
            "--concurrency",
            "20",
            "--seed",
            "1",
            "--inject-fault",
        ]);
        assert_eq!(out.status.code(), Some(1), "{scenario}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("INVARIANT BROKEN"), "{scenario}: {err}");
        assert!(err.contains("--seed 1"), "{scenario}: {err}");
        assert!(err.contains("green thread #0"), "{scenario}: {err}");
    }
}

#[test]
fn unknown_scenarios_are_usage_errors() {
    let out = greenthread(&["stress", "no-such-thing"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown scenario"));
}

#[test]
fn bad_sizes_are_usage_errors() {
    for args in [
        &["stress", "spawn-storm", "--duration", "0s"][..],
        &["stress", "spawn-storm", "--duration", "soon"],
        &["stress", "spawn-storm", "--concurrency", "0"],
        &["stress", "timer-storm", "--workers", "0"],
        &["stress", "timer-storm", "--iterations", "0"],
    ] {
        let out = greenthread(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
    }
}

#[test]
fn stats_prints_the_runtime_counters_after_the_run() {
    let out = greenthread(&[
        "stress",
        "ping-pong-ring",
        "--duration",
        "300ms",
        "--seed",
        "3",
        "--stats",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("runtime counters:"), "{err}");
    let switches: u64 = err
        .split_whitespace()
        .zip(err.split_whitespace().skip(1))
        .find(|(_, next)| *next == "context")
        .and_then(|(n, _)| n.trim_end_matches(',').parse().ok())
        .expect("a context switch count");
    assert!(switches > 1000, "a ping-pong ring switches a lot: {err}");
    assert!(err.contains("reports: "), "{err}");
    assert!(err.contains(" deadlock"), "{err}");
}
