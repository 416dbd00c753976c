//! `greenthread compare`: run the built binary and check what it prints.

mod support;

use std::process::{Command, Output};

use serde_json::Value;

const WORKLOADS: &[&str] = &[
    "spawn-join",
    "yield",
    "park-ping-pong",
    "channel-ping-pong",
    "mutex-contended",
    "tcp-echo",
    "sleepers",
    "memory",
];

fn greenthread(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_greenthread"));
    cmd.args(args);
    support::output_within(cmd, 120)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn quick_json_has_every_workload_with_both_sides_and_a_consistent_ratio() {
    let plot = std::env::temp_dir().join(format!("greenthread-cli-{}.svg", std::process::id()));
    let plot_arg = plot.to_str().expect("utf-8 temp path");
    let out = greenthread(&["compare", "--quick", "--json", "--plot", plot_arg]);
    assert!(out.status.success(), "{out:?}");
    let json: Value = serde_json::from_str(&stdout(&out)).expect("stdout is JSON");
    assert_eq!(json["version"], 1);
    assert_eq!(json["quick"], true);
    let rows = json["workloads"].as_array().expect("workloads array");
    let ids: Vec<&str> = rows.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, WORKLOADS);
    for row in rows {
        let id = &row["id"];
        let green = row["green"]["value"].as_f64().expect("green value");
        let os = row["os"]["value"].as_f64().expect("os value");
        assert!(green > 0.0 && os > 0.0, "{id}: {row}");
        assert!(row["green"]["size"].as_u64() > Some(0), "{id}: {row}");
        assert!(row["os"]["size"].as_u64() > Some(0), "{id}: {row}");
        let ratio = row["ratio"].as_f64().expect("ratio");
        assert!(
            (ratio - os / green).abs() <= 1e-9 * ratio.max(1.0),
            "{id}: ratio {ratio} vs {os} / {green}"
        );
        assert!(row["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(row["unit"].is_object(), "{id}: {row}");
    }
    let svg = std::fs::read_to_string(&plot).expect("the plot was written");
    let _ = std::fs::remove_file(&plot);
    assert!(svg.contains("<svg"), "not an SVG");
    for id in WORKLOADS {
        assert!(svg.contains(id), "the plot lacks a bar label for {id}");
    }
}

#[test]
fn table_lists_the_chosen_workload_and_explains_the_ratio() {
    let out = greenthread(&["--quick", "--only", "spawn-join", "--quiet"]);
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    assert!(text.contains("workload"), "{text}");
    assert!(text.contains("OS threads"), "{text}");
    assert!(text.contains("spawn+join"), "{text}");
    assert!(!text.contains("sleepers"), "{text}");
    assert!(
        text.contains("ratio = OS threads / green threads"),
        "{text}"
    );
    assert!(out.stderr.is_empty(), "--quiet printed progress");
}

#[test]
fn os_threads_above_the_cap_are_capped_with_a_note() {
    let out = greenthread(&[
        "compare",
        "--quick",
        "--json",
        "--only",
        "sleepers",
        "--threads",
        "300",
        "--os-threads-max",
        "100",
    ]);
    assert!(out.status.success(), "{out:?}");
    let json: Value = serde_json::from_str(&stdout(&out)).expect("stdout is JSON");
    let row = &json["workloads"][0];
    assert_eq!(row["green"]["size"], 300);
    assert_eq!(row["os"]["size"], 100);
    let notes = row["notes"].to_string();
    assert!(notes.contains("capped"), "{notes}");
}

#[test]
fn bad_flags_are_usage_errors() {
    for args in [
        &["compare", "--threads", "0"][..],
        &["compare", "--scale", "-1"],
        &["compare", "--only", "nonsense"],
        &["compare", "--bogus"],
    ] {
        let out = greenthread(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
}
