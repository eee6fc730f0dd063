#!/usr/bin/env bash
# The `/deps` rows: three dependencies (one `yield`, one reading a header,
# one nested) returning a small model, on prebake and on FastAPI and
# Litestar with their own dependency injection; one core for each server
# (CPU 1), wrk on CPU 0, 64 connections, best of 3 x 5 s. The app also
# serves /nodeps, the same answer without dependencies, for an instruction
# count comparison under callgrind (see bench/profile/callgrind.sh).
#
#   bench/deps.sh        (after `cargo xtask bench` made target/bench-venv)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$HERE/..
V=$ROOT/target/bench-venv/bin
BIN=$ROOT/target/bench/bin/deps
cargo xtask build "$HERE/apps/deps/app.py" --out "$BIN"
row() { # name port
  local best=0
  for _ in 1 2 3; do
    r=$(taskset -c 0 wrk -t1 -c64 -d5s -H 'x-token: ann' "http://127.0.0.1:$2/deps" | awk '/Requests\/sec/ {print int($2)}')
    [ "$r" -gt "$best" ] && best=$r
  done
  echo "$1: $best requests/s"
}
serve() { # port cmd...
  local port=$1; shift
  (cd "$HERE/peers" && taskset -c 1 "$@" >/dev/null 2>&1) &
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/deps" && return; sleep 0.1; done
}
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
serve 18813 "$BIN" --port 18813; row prebake 18813; kill %1; wait %1 2>/dev/null || true
serve 18811 "$V/python" -m uvicorn deps_fastapi:app --port 18811 --loop uvloop --http httptools --no-access-log --log-level warning
row fastapi 18811; kill %2; wait %2 2>/dev/null || true
serve 18812 "$V/python" -m uvicorn deps_litestar:app --port 18812 --loop uvloop --http httptools --no-access-log --log-level warning
row litestar 18812
