#!/usr/bin/env bash
# Instruction counts per request of examples/tfb's database endpoints (the
# asyncio loop, its transports and asyncpg), stable on a noisy machine.
#
#   cargo xtask postgres -- bench/profile/io-callgrind.sh NAME BINARY [REQUESTS]
#
# BINARY is examples/tfb built (`cargo xtask build examples/tfb/app.py --out
# PATH`, or target/bench/bin/prebake-tfb after `cargo xtask bench --suite
# io`); `cargo xtask postgres --` gives it a throw-away PostgreSQL with
# TechEmpower's tables. As callgrind.sh: the server under callgrind on CPU 1
# (pool of 16 connections, as the io suite), for each endpoint a warm-up,
# counters zeroed, exactly REQUESTS requests (default 5,000; wrk on CPU 0,
# 8 connections, no timeout), counters dumped to target/bench/profile/NAME.cg.PID.N
# (N = 1 /db, 2 /queries?queries=20, 3 /fortunes). Per request: the dump's total over
# the count in NAME.LABEL.wrk (the line this prints).
set -euo pipefail
NAME=$1 BIN=$2 N=${3:-5000}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$HERE/../../target/bench/profile
mkdir -p "$OUT"
rm -f "$OUT/$NAME".*
PORT=$((20000 + RANDOM % 10000))
TFB_POOL_SIZE=16 taskset -c 1 valgrind --tool=callgrind --callgrind-out-file="$OUT/$NAME.cg.%p" \
  "$BIN" --host 127.0.0.1 --port $PORT >"$OUT/$NAME.log" 2>&1 &
VPID=$!
trap 'kill $VPID 2>/dev/null || true' EXIT
for _ in $(seq 1 1200); do
  curl -s -o /dev/null "http://127.0.0.1:$PORT/db" && break
  sleep 0.1
done
run() { # label target
  REQUESTS=1000 taskset -c 0 wrk -t1 -c8 -d5s --timeout 60s -s "$HERE/get.lua" "http://127.0.0.1:$PORT$2" >/dev/null
  callgrind_control -z $VPID >/dev/null
  REQUESTS=$N taskset -c 0 wrk -t1 -c8 -d40s --timeout 60s -s "$HERE/get.lua" "http://127.0.0.1:$PORT$2" >"$OUT/$NAME.$1.wrk"
  callgrind_control -d "$1" $VPID >/dev/null
  local dump total count
  dump=$(ls -t "$OUT/$NAME".cg.*.[0-9]* | head -1)
  total=$(grep -m1 '^summary:' "$dump" | awk '{print $2}')
  count=$(grep -o '[0-9]* requests in' "$OUT/$NAME.$1.wrk" | awk '{print $1}')
  echo "$NAME $1: $count requests, $((total / count)) instructions per request"
}
run db /db
run queries '/queries?queries=20'
run fortunes /fortunes
