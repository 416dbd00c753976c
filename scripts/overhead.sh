#!/usr/bin/env bash
# Runs the same criterion benches from two builds of the crate side by side, alternating,
# to measure what a change costs: `scripts/overhead.sh <base-rev> [rounds]`.
# The base revision is checked out in a temporary git worktree with its own target dir.
# Prints one line per bench and build per round; compare medians, not single runs.
set -euo pipefail
cd "$(dirname "$0")/.."
base_rev=${1:?usage: scripts/overhead.sh <base-rev> [rounds]}
rounds=${2:-3}
base_dir=$(mktemp -d /tmp/greenthread-base.XXXXXX)
trap 'git worktree remove --force "$base_dir" >/dev/null 2>&1 || true' EXIT
git worktree add --detach "$base_dir" "$base_rev" >/dev/null
bench_bin() { # newest criterion binary of bench $2 in target dir $1
  ls -t "$1"/release/deps/"$2"-* | grep -v '\.d$' | head -1
}
(cd "$base_dir" && CARGO_TARGET_DIR="$base_dir/target" cargo bench --no-run --bench thread --bench channel)
cargo bench --no-run --bench thread --bench channel
args=(--warm-up-time 2 --measurement-time 4 --noplot)
for round in $(seq "$rounds"); do
  for which in base new; do
    if [ "$which" = base ]; then dir=$base_dir; target=$base_dir/target; else dir=$PWD; target=${CARGO_TARGET_DIR:-$PWD/target}; fi
    (cd "$dir" \
      && "$(bench_bin "$target" thread)" --bench "${args[@]}" 'yield/green_yield_now|park_unpark_ping_pong/green' \
      && "$(bench_bin "$target" channel)" --bench "${args[@]}" 'ping_pong_round_trip/green_.w_bounded0') 2>/dev/null \
      | awk -v w="$which" -v r="$round" '/^[a-z_]+\/[a-z0-9_]+/ {name=$1} /time:/ {print w, "round", r, name, $(NF-3), $(NF-2)}'
  done
done
