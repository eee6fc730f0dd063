#!/usr/bin/env bash
# The blocking-handler rows (issue 12), by hand: `cargo xtask bench` does not
# run them.
#
#   bench/blocking.sh [SECONDS] [SERVER...]   (servers: prebake fastapi litestar)
#
# Each server runs pinned to CPU 1, wrk on CPU 0, as in `cargo xtask bench`:
#   1. /blocking (a 1 ms time.sleep in a `def` handler) under 64 connections:
#      requests/s, p50 and p99;
#   2. a mixed load: one connection hammering /blocking?ms=50 while 63 hit
#      /json: /json's requests/s and p99, and the blocking route's requests/s.
# Needs target/bench/bin/prebake-blocking (`cargo xtask build
# bench/apps/blocking/app.py --out target/bench/bin/prebake-blocking`) and
# the peers' environment target/bench-venv (`cargo xtask bench` makes it).
set -euo pipefail
SECS=${1:-10}
shift || true
SERVERS=${*:-prebake fastapi litestar}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=$ROOT/target/bench-venv/bin
LOGS=$ROOT/target/bench/logs
mkdir -p "$LOGS"

start() { # server port
  case $1 in
    prebake) taskset -c 1 "$ROOT/target/bench/bin/prebake-blocking" --host 127.0.0.1 --port "$2" ;;
    fastapi) cd "$ROOT/bench/peers" && taskset -c 1 "$VENV/python" -m uvicorn fastapi_app:app \
      --host 127.0.0.1 --port "$2" --loop uvloop --http httptools --no-access-log --log-level warning ;;
    litestar) cd "$ROOT/bench/peers" && taskset -c 1 "$VENV/granian" --interface asgi \
      --host 127.0.0.1 --port "$2" --workers 1 --loop uvloop --http 1 --no-ws --no-access-log \
      --log-level warning litestar_app:app ;;
    *) echo "unknown server $1" >&2; exit 2 ;;
  esac
}

# "requests/s p50 p99" of a wrk --latency report.
figures() {
  awk '/^Requests\/sec/ {rps=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} END {print rps, p50, p99}' "$1"
}

for server in $SERVERS; do
  port=$((20000 + RANDOM % 10000))
  (start "$server" "$port" >"$LOGS/blocking-$server.log" 2>&1) &
  pid=$!
  for _ in $(seq 1 300); do
    curl -s -o /dev/null "http://127.0.0.1:$port/json" && break
    sleep 0.1
  done
  url=http://127.0.0.1:$port
  out=$LOGS/blocking-$server
  # Warm-up, then the 64-connection row.
  taskset -c 0 wrk -t1 -c64 -d2s "$url/blocking" >/dev/null
  taskset -c 0 wrk -t1 -c64 -d"${SECS}s" --latency "$url/blocking" >"$out.c64.wrk"
  read -r rps p50 p99 < <(figures "$out.c64.wrk")
  echo "$server /blocking (1 ms) x64: $rps req/s, p50 $p50, p99 $p99"
  # The mixed load.
  taskset -c 0 wrk -t1 -c1 -d"${SECS}s" --latency "$url/blocking?ms=50" >"$out.mixed-blocking.wrk" &
  hammer=$!
  taskset -c 0 wrk -t1 -c63 -d"${SECS}s" --latency "$url/json" >"$out.mixed-json.wrk"
  wait "$hammer"
  read -r jrps jp50 jp99 < <(figures "$out.mixed-json.wrk")
  read -r brps _ bp99 < <(figures "$out.mixed-blocking.wrk")
  echo "$server mixed: /json x63 $jrps req/s, p50 $jp50, p99 $jp99; /blocking?ms=50 x1 $brps req/s, p99 $bp99"
  pkill -TERM -P "$pid" 2>/dev/null || true
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
done
