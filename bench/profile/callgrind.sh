#!/usr/bin/env bash
# Instruction counts per request, stable on a noisy machine (issue 5, part 3).
#
#   bench/profile/callgrind.sh NAME BINARY [REQUESTS] [-- SERVER ARGS..]
#
# Starts BINARY (a server taking --host/--port: prebake's hello binary or
# benches/plain-hyper, e.g. from target/bench/bin/ after `cargo xtask bench`)
# under `valgrind --tool=callgrind` on CPU 1, then for each endpoint of the
# hello app: a warm-up of 2,000 requests, zeroes the counters, sends exactly
# REQUESTS requests (default 20,000; wrk on CPU 0, 8 connections, a Lua
# script stops the thread at the count) and dumps the counters to
# target/bench/profile/NAME.cg.PID.N (N = 1 plaintext, 2 json, 3 user,
# 4 validate). Under valgrind on a loaded machine fewer requests than asked
# may complete in wrk's 15 s: per-request figures divide by the count wrk
# reports (NAME.LABEL.wrk), as compare.py and table.py do.
# Compare two dumps with compare.py; table.py prints the four endpoints.
# With PIPELINE=N in the environment, wrk sends N requests per write as
# `cargo xtask bench --pipeline N` does (pipe.lua), to profile the
# pipelined case.
set -euo pipefail
NAME=$1 BIN=$2 N=${3:-20000}
shift $(( $# < 3 ? $# : 3 ))
[ "${1:-}" = "--" ] && shift
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$HERE/../../target/bench/profile
mkdir -p "$OUT"
rm -f "$OUT/$NAME".*
PORT=$((20000 + RANDOM % 10000))
taskset -c 1 valgrind --tool=callgrind --callgrind-out-file="$OUT/$NAME.cg.%p" \
  "$BIN" --host 127.0.0.1 --port $PORT "$@" >"$OUT/$NAME.log" 2>&1 &
VPID=$!
trap 'kill $VPID 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  curl -s -o /dev/null "http://127.0.0.1:$PORT/plaintext" && break
  sleep 0.1
done
PIPELINE=${PIPELINE:-}
run() { # label script target
  local script=$2 args=()
  if [ -n "$PIPELINE" ]; then
    script=pipe.lua args=(-- "$PIPELINE")
    [ "$2" = post.lua ] && args+=(POST)
  fi
  REQUESTS=2000 taskset -c 0 wrk -t1 -c8 -d3s -s "$HERE/$script" "http://127.0.0.1:$PORT$3" "${args[@]}" >/dev/null
  callgrind_control -z $VPID >/dev/null
  # wrk runs for its whole duration; the script stops sending at the count.
  REQUESTS=$N taskset -c 0 wrk -t1 -c8 -d15s -s "$HERE/$script" "http://127.0.0.1:$PORT$3" "${args[@]}" >"$OUT/$NAME.$1.wrk"
  callgrind_control -d "$1" $VPID >/dev/null
  echo "$NAME $1: $(grep 'requests in' "$OUT/$NAME.$1.wrk")"
}
run plaintext get.lua /plaintext
run json get.lua /json
run user get.lua /user/42
run validate post.lua /validate
ls "$OUT/$NAME".cg.*.[1-4]
