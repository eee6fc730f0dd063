#!/usr/bin/env bash
# The `/fortunes` rows: the TechEmpower fortunes page without a database
# (13 rows sorted and escaped per request) on prebake (an askama template
# compiled into the binary) and on FastAPI and Litestar rendering the same
# template with Jinja2; one core for each server (CPU 1), wrk on CPU 0,
# 64 connections, best of 3 x 5 s. Every server's page is checked first
# (13 rows, the script escaped).
#
#   bench/fortunes.sh    (after `cargo xtask bench` made target/bench-venv;
#                         the Jinja2 of bench/requirements.txt is needed)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$HERE/..
V=$ROOT/target/bench-venv/bin
BIN=$ROOT/target/bench/bin/fortunes
DURATION=${DURATION:-5s}
cargo xtask build "$HERE/apps/fortunes/app.py" --out "$BIN"
check() { # name port
  local page
  page=$(curl -s "http://127.0.0.1:$2/fortunes")
  local rows
  rows=$(grep -o '<tr><td>' <<<"$page" | wc -l)
  if [ "$rows" != 13 ] || grep -q '<script>' <<<"$page"; then
    echo "$1: wrong page ($rows rows)" >&2; exit 1
  fi
}
row() { # name port
  local best=0
  for _ in 1 2 3; do
    r=$(taskset -c 0 wrk -t1 -c64 -d"$DURATION" "http://127.0.0.1:$2/fortunes" | awk '/Requests\/sec/ {print int($2)}')
    [ "$r" -gt "$best" ] && best=$r
  done
  echo "$1: $best requests/s"
}
PID=
serve() { # port cmd...
  local port=$1; shift
  (cd "$HERE/peers" && exec taskset -c 1 "$@" >/dev/null 2>&1) &
  PID=$!
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/fortunes" && return; sleep 0.1; done
}
stop() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
trap stop EXIT
serve 18823 "$BIN" --port 18823; check prebake 18823; row prebake 18823; stop
serve 18821 "$V/python" -m uvicorn fortunes_fastapi:app --port 18821 --loop uvloop --http httptools --no-access-log --log-level warning
check fastapi 18821; row fastapi 18821; stop
serve 18822 "$V/python" -m uvicorn fortunes_litestar:app --port 18822 --loop uvloop --http httptools --no-access-log --log-level warning
check litestar 18822; row litestar 18822; stop
