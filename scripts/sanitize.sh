#!/usr/bin/env bash
# The whole test suite under AddressSanitizer (and LeakSanitizer, which ASan runs at exit on
# Linux): `scripts/sanitize.sh [extra cargo test arguments]`, e.g. `-- --test-threads 1`.
# Needs the nightly toolchain (`-Zsanitizer` is unstable). Only the crate and its
# dependencies are instrumented: std comes precompiled, and build scripts and proc macros are
# built for the host without the flag because the target is named explicitly.
# Its own target dir (target-asan/, or $CARGO_TARGET_DIR), so it never rebuilds the normal one.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "sanitize.sh: the nightly toolchain is missing (cargo +nightly failed);" \
    "install it with: rustup toolchain install nightly --profile minimal" >&2
  exit 2
fi
host=$(rustc +nightly -vV | sed -n 's/^host: //p')

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target-asan}
export RUSTFLAGS="-Zsanitizer=address"
export RUSTDOCFLAGS="-Zsanitizer=address"
# No fake stacks (stack-use-after-return detection): LeakSanitizer scans the fake frames of
# the stack each OS thread runs on, never those of a parked green thread, so what a parked
# green thread keeps in them would be reported as leaked. Options given in ASAN_OPTIONS
# come after these and win.
export ASAN_OPTIONS="detect_stack_use_after_return=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
cargo +nightly test --release --target "$host" "$@"
