#!/usr/bin/env bash
# System calls, context switches and page faults per request, for what
# instruction counts do not show (a read that finds nothing, an extra
# wake-up, a buffer given back to the kernel and faulted in again).
#
#   bench/profile/syscalls.sh NAME BINARY [REQUESTS] [-- SERVER ARGS..]
#
# Starts BINARY (taking --host/--port, as callgrind.sh) on CPU 1 and, for
# each hello endpoint, after a warm-up, counts with `perf stat -p` (the
# kernel's tracepoints: no ptrace, so the server runs at full speed and
# batches as it does under wrk) while wrk -t1 -c64 on CPU 0 sends exactly
# REQUESTS requests (default 50,000; stop_after.lua). Prints one line per
# endpoint and event: the count divided by the requests, and the user and
# kernel CPU time per request from /proc/PID/stat over the same window. With PIPELINE=N
# wrk sends N requests per write (pipe.lua). Raw output:
# target/bench/profile/NAME.LABEL.perf.
set -euo pipefail
NAME=$1 BIN=$2 N=${3:-200000}
shift $(( $# < 3 ? $# : 3 ))
[ "${1:-}" = "--" ] && shift
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$HERE/../../target/bench/profile
mkdir -p "$OUT"
PORT=$((20000 + RANDOM % 10000))
taskset -c 1 "$BIN" --host 127.0.0.1 --port $PORT "$@" >"$OUT/$NAME.sys.log" 2>&1 &
SPID=$!
trap 'kill $SPID 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  curl -s -o /dev/null "http://127.0.0.1:$PORT/plaintext" && break
  sleep 0.05
done
EVENTS=raw_syscalls:sys_enter,syscalls:sys_enter_read,syscalls:sys_enter_recvfrom,syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_sendto,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_pwait,syscalls:sys_enter_futex,syscalls:sys_enter_mmap,syscalls:sys_enter_munmap,syscalls:sys_enter_madvise,syscalls:sys_enter_brk,context-switches,page-faults,task-clock
PIPELINE=${PIPELINE:-}
run() { # label script target
  local script=$2 args=()
  if [ -n "$PIPELINE" ]; then
    script=pipe.lua args=(-- "$PIPELINE")
    [ "$2" = post.lua ] && args+=(POST)
  fi
  REQUESTS=5000 taskset -c 0 wrk -t1 -c64 -d3s -s "$HERE/$script" "http://127.0.0.1:$PORT$3" "${args[@]}" >/dev/null
  local before after
  before=$(cut -d' ' -f14,15 /proc/$SPID/stat)
  perf stat -x, -e "$EVENTS" -p $SPID -o "$OUT/$NAME.$1.perf" &
  local ppid=$!
  sleep 0.3
  REQUESTS=$N taskset -c 0 wrk -t1 -c64 -d${SECONDS_PER_RUN:-5}s -s "$HERE/$script" "http://127.0.0.1:$PORT$3" "${args[@]}" >"$OUT/$NAME.$1.syswrk"
  kill -INT $ppid
  wait $ppid || true
  after=$(cut -d' ' -f14,15 /proc/$SPID/stat)
  local reqs tck
  reqs=$(awk '/requests in/ {print $1}' "$OUT/$NAME.$1.syswrk")
  tck=$(getconf CLK_TCK)
  echo "$before $after" | awk -v n="$reqs" -v t="$tck" -v name="$NAME" -v label="$1" \
    '{ printf "%s %-9s %-28s %8.3f µs per request (/proc, %d requests)\n%s %-9s %-28s %8.3f µs per request\n", name, label, "user", ($3-$1)/t*1e6/n, n, name, label, "kernel", ($4-$2)/t*1e6/n }'
  awk -F, -v n="$reqs" -v name="$NAME" -v label="$1" \
    '$1 ~ /^[0-9.]+$/ && $3 != "" { printf "%s %-9s %-28s %8.3f per request\n", name, label, $3, $1 / n }' \
    "$OUT/$NAME.$1.perf"
}
run plaintext get.lua /plaintext
run json get.lua /json
run user get.lua /user/42
run validate post.lua /validate
