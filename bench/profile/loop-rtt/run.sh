#!/usr/bin/env bash
# Instructions per asyncpg round trip (pool.fetch of the fortunes query),
# with no HTTP: on prebake's loop, on stock asyncio and on uvloop.
#
#   cargo xtask postgres -- bench/profile/loop-rtt/run.sh PYTHON [N]
#
# PYTHON has asyncpg and uvloop (the bench peers' environment,
# bench/.venv after `cargo xtask bench --suite io`). prebake's side is
# this folder's app.py, built against examples/tfb's environment (which
# has asyncpg; build examples/tfb first). Each count is callgrind's total
# for N fetches (default 4,000) less the same run with 0, over N.
set -euo pipefail
PY=$1 N=${2:-4000}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$HERE/../../..
OUT=$ROOT/target/bench/profile/loop-rtt
mkdir -p "$OUT"
total() { grep -m1 '^summary:' "$1" | awk '{print $2}'; }
for loop in asyncio uvloop; do
  for n in 0 "$N"; do
    taskset -c 1 valgrind --tool=callgrind --callgrind-out-file="$OUT/$loop.$n.cg" \
      "$PY" "$HERE/rtt.py" "$loop" "$n" 2>"$OUT/$loop.$n.log"
  done
  echo "$loop: $(( ($(total "$OUT/$loop.$N.cg") - $(total "$OUT/$loop.0.cg")) / N )) instructions per fetch"
done
BIN=$OUT/prebake-loop-rtt
(cd "$ROOT" && VIRTUAL_ENV=$ROOT/examples/tfb/.venv cargo xtask build "$HERE/app.py" --out "$BIN" >"$OUT/build.log" 2>&1)
PORT=$((20000 + RANDOM % 10000))
taskset -c 1 valgrind --tool=callgrind --callgrind-out-file="$OUT/prebake.cg.%p" \
  "$BIN" --host 127.0.0.1 --port $PORT >"$OUT/prebake.log" 2>&1 &
VPID=$!
trap 'kill $VPID 2>/dev/null || true' EXIT
for _ in $(seq 1 1200); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/rtt?n=64" && break
  sleep 0.1
done
callgrind_control -z $VPID >/dev/null
curl -sf -o /dev/null "http://127.0.0.1:$PORT/rtt?n=$N"
callgrind_control -d prebake $VPID >/dev/null
dump=$(ls -t "$OUT"/prebake.cg.*.[0-9]* | head -1)
echo "prebake: $(( $(total "$dump") / N )) instructions per fetch"
