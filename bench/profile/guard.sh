#!/usr/bin/env bash
# The zero-cost guard: instructions per request of prebake's hello binary
# against the plain hyper ceiling on the four hello endpoints (bench/README.md).
#
#   bench/profile/guard.sh [--no-build] [REQUESTS]
#
# Builds target/bench/bin/prebake-hello (`cargo xtask build`, release) and
# target/bench/bin/plain-hyper unless --no-build, profiles both with
# callgrind.sh (REQUESTS per endpoint, default 5,000) and prints table.py's
# comparison. Instruction counts do not depend on other load.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=1
if [ "${1:-}" = "--no-build" ]; then BUILD=0; shift; fi
N=${1:-5000}
BIN=$ROOT/target/bench/bin
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
cd "$ROOT"
if [ $BUILD = 1 ]; then
  mkdir -p "$BIN"
  cargo xtask build examples/hello/app.py --out "$BIN/prebake-hello"
  cargo build --release -p plain-hyper
  cp "$TARGET/release/plain-hyper" "$BIN/plain-hyper"
fi
"$HERE/callgrind.sh" hyper "$BIN/plain-hyper" "$N" >/dev/null 2>&1
"$HERE/callgrind.sh" prebake "$BIN/prebake-hello" "$N" >/dev/null 2>&1
python3 "$HERE/table.py" hyper prebake
