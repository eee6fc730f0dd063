#!/usr/bin/env bash
# Instructions a template route spends reading the returned model and
# rendering its page, per row (issue 17): the fortunes bench app under
# `valgrind --tool=callgrind`, N requests of the 13-row page and N of the
# 130-row one (`/fortunes/10`), and the inclusive cost of the generated
# render function (`render_fortunes_html`) and of the whole request.
#
#   bench/profile/render.sh [REQUESTS]      (default 300)
set -euo pipefail
N=${1:-300}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$HERE/../..
OUT=$ROOT/target/bench/profile
BIN=$ROOT/target/bench/bin/fortunes
mkdir -p "$OUT"
rm -f "$OUT"/render.cg.*
cargo xtask build "$ROOT/bench/apps/fortunes/app.py" --out "$BIN" >/dev/null 2>&1
PORT=$((20000 + RANDOM % 10000))
valgrind --tool=callgrind --callgrind-out-file="$OUT/render.cg.%p" "$BIN" --port $PORT >"$OUT/render.log" 2>&1 &
VPID=$!
trap 'kill $VPID 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -s -o /dev/null "http://127.0.0.1:$PORT/fortunes" && break; sleep 0.1; done
measure() { # label target
  for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT$2"; done
  callgrind_control -z "$VPID" >/dev/null
  for _ in $(seq 1 "$N"); do curl -s -o /dev/null "http://127.0.0.1:$PORT$2"; done
  callgrind_control -d "$1" "$VPID" >/dev/null
  sleep 1
  local f
  f=$(ls -t "$OUT"/render.cg.* | head -1)
  local total render
  total=$(callgrind_annotate "$f" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",","",$1); print $1}')
  render=$(callgrind_annotate --inclusive=yes "$f" 2>/dev/null | awk '/render_fortunes_html/ {gsub(",","",$1); print $1; exit}')
  echo "$1 $((total / N)) $((render / N))"
}
a=$(measure rows13 /fortunes)
b=$(measure rows130 /fortunes/10)
echo "page        instr/request  render+read/request"
echo "$a" | awk '{printf "13 rows     %13d  %19d\n", $2, $3}'
echo "$b" | awk '{printf "130 rows    %13d  %19d\n", $2, $3}'
paste <(echo "$a") <(echo "$b") | awk '{printf "per row: %.0f instructions rendering (%.0f for the whole request)\n", ($6-$3)/117, ($5-$2)/117}'
