#!/usr/bin/env bash
# Runs the ports of crossbeam-channel's test suite (tests/crossbeam_*.rs) against
# crossbeam-channel itself, on OS threads: proof that each port is faithful, so that a
# failure of the same test against greenthread::channel is greenthread's.
#   scripts/crossbeam-reference.sh [--release] [name...]   # names: array, list, select, ...
# Builds each test binary with `--cfg crossbeam_reference` (cargo rustc: only the test
# target gets the flag, the dependencies stay built), runs it, and prints a summary.
# The next plain `cargo test` rebuilds those binaries without the flag.
set -uo pipefail
cd "$(dirname "$0")/.."
profile=()
if [[ ${1:-} == --release ]]; then
    profile=(--release)
    shift
fi
if [[ $# -eq 0 ]]; then
    set -- $(ls tests/crossbeam_*.rs | sed 's|tests/crossbeam_||; s|\.rs$||')
fi
failed=()
for name in "$@"; do
    exe=$(cargo rustc "${profile[@]}" --test "crossbeam_$name" --message-format=json \
        -- --cfg crossbeam_reference |
        jq -r --arg t "crossbeam_$name" 'select(.reason == "compiler-artifact" and .target.name == $t and .executable != null) | .executable' |
        tail -n 1)
    if [[ -z $exe ]]; then
        echo "crossbeam_$name: build failed"
        failed+=("$name")
        continue
    fi
    echo "== crossbeam_$name (reference: crossbeam_channel)"
    if ! "$exe" -q; then
        failed+=("$name")
    fi
done
if [[ ${#failed[@]} -ne 0 ]]; then
    echo "failed: ${failed[*]}"
    exit 1
fi
echo "all passed"
