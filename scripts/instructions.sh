#!/usr/bin/env bash
# Counts instructions per iteration of a small workload with valgrind's callgrind, which is
# repeatable on a shared machine where timings are not: runs the workload at N and 2N
# iterations and divides the difference by N (so setup and teardown cancel out).
#   scripts/instructions.sh chan0 [N]   # bounded(0) ping-pong round trip, one worker
#   scripts/instructions.sh park  [N]   # park/unpark ping-pong round trip, one worker
#   scripts/instructions.sh spawn [N]   # a green thread's life: spawn, park, unpark, join
# Needs valgrind (apt install valgrind). Builds a throwaway crate in a temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."
workload=${1:?usage: scripts/instructions.sh chan0|park|spawn [N]}
n=${2:-100000}
dir=$(mktemp -d /tmp/greenthread-instr.XXXXXX)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/src"
cat > "$dir/Cargo.toml" <<EOF
[package]
name = "instr"
version = "0.1.0"
edition = "2021"
[dependencies]
greenthread = { path = "$PWD" }
[profile.release]
debug = 1
EOF
cat > "$dir/src/main.rs" <<'EOF'
use std::sync::atomic::{AtomicU64, Ordering::*};
use std::sync::Arc;
fn main() {
    let mode = std::env::args().nth(1).unwrap();
    let n: u64 = std::env::args().nth(2).unwrap().parse().unwrap();
    // One worker, compact stacks (a valgrind'ed process cannot hold thousands of mappings).
    let rt = greenthread::Runtime::builder().workers(1).guard_pages(false).build().unwrap();
    rt.block_on(|| match mode.as_str() {
        "chan0" => {
            let (tx1, rx1) = greenthread::channel::bounded::<u64>(0);
            let (tx2, rx2) = greenthread::channel::bounded::<u64>(0);
            let echo = greenthread::spawn(move || rx1.iter().for_each(|v| tx2.send(v).unwrap()));
            for i in 0..n {
                tx1.send(i).unwrap();
                rx2.recv().unwrap();
            }
            drop(tx1);
            echo.join().unwrap();
        }
        "park" => {
            let flag = Arc::new(AtomicU64::new(0));
            let (me, f) = (greenthread::current(), flag.clone());
            let echo = greenthread::spawn(move || {
                for i in 0..n {
                    while f.load(Acquire) != 2 * i + 1 {
                        greenthread::park();
                    }
                    f.store(2 * i + 2, Release);
                    me.unpark();
                }
            });
            let other = echo.thread().clone();
            for i in 0..n {
                flag.store(2 * i + 1, Release);
                other.unpark();
                while flag.load(Acquire) != 2 * i + 2 {
                    greenthread::park();
                }
            }
            echo.join().unwrap();
        }
        "spawn" => {
            let hs: Vec<_> = (0..n).map(|_| greenthread::spawn(greenthread::park)).collect();
            hs.iter().for_each(|h| h.thread().unpark());
            hs.into_iter().for_each(|h| h.join().unwrap());
        }
        other => panic!("unknown workload {other}"),
    });
}
EOF
(cd "$dir" && CARGO_TARGET_DIR="$dir/target" cargo build --release -q)
count() { valgrind --tool=callgrind --callgrind-out-file="$dir/cg.$1" "$dir/target/release/instr" "$workload" "$1" 2>&1 \
  | awk '/Collected/ {gsub(",", "", $NF); print $NF}'; }
a=$(count "$n"); b=$(count $((2 * n)))
echo "$workload: $(( (b - a) / n )) instructions per iteration (callgrind, $n vs $((2 * n)) iterations)"
