#!/usr/bin/env bash
# bench/logship.sh: aifb-logship's benchmark, in one run on this machine: how many lines it ships
# per CPU-second, and how long a line waits between its write and its arrival at the receiver.
#
# 1. Throughput: aifb-logship (Release, default options: protobuf, 1 s / 1 MiB batches, a
#    positions file saved after every push, a spool folder) follows two files; a writer appends
#    BENCH_LINES lines of about 100 bytes to them as fast as it can; the figure is the lines
#    divided by aifb-logship's CPU time (utime + stime from /proc/PID/stat) from just before the
#    first write until the receiver has the last line. Lines per second of wall time too.
# 2. Latency: the writer appends BENCH_RATE lines a second for BENCH_SECONDS, each stamped with
#    the time it was written (CLOCK_REALTIME ns); the receiver takes the time each push arrives
#    and reports the p50 and p99 of arrival - write over every line. At the default rate the
#    batches are cut by --batch-wait (1 s), not by size, so this is the latency "with 1 s
#    batches"; aifb-logship's CPU at that rate is shown beside it.
# The receiver is bench/logship_sink.py (Python, answers 204 at once). aifb-logship runs on core 0,
# the writer and the receiver on core 1 (taskset). Promtail, the natural peer, is neither in
# Debian's archive nor in the registries this machine reaches, so there is no peer column.
# Everything started here is stopped at the end; files live in one mktemp folder. Exits 0 when
# every measurement ran, whatever the verdicts. About 40 seconds.
#
# Environment: BENCH_BUILD_DIR (build-release/), BENCH_LINES (2000000), BENCH_RATE (5000),
# BENCH_SECONDS (10), BENCH_CMAKE_ARGS.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BENCH_BUILD_DIR:-$root/build-release}
lines=${BENCH_LINES:-2000000}
rate=${BENCH_RATE:-5000}
seconds=${BENCH_SECONDS:-10}
py=/usr/bin/python3 # Debian's python3, which has python3-snappy
ship_cpu=0 other_cpu=1
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

[ "$(nproc)" -ge 2 ] || { say "bench/logship.sh pins the shipper and the rest to two cores; this machine has $(nproc)"; exit 1; }
"$py" -c 'import snappy' 2>/dev/null || "$root/scripts/install-deps.sh" --test >&2 ||
  { say "python3-snappy is missing"; exit 1; }
bench_build "$build" aifb-logship || exit 1
logship=$build/bin/aifb-logship
sink_py=$root/bench/logship_sink.py

tmp=$(mktemp -d "${TMPDIR:-/tmp}/aifb-bench-logship.XXXXXX")
sink_pid="" ship_pid=""
bench_on_exit ship_pid sink_pid

port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
taskset -c "$other_cpu" "$py" "$sink_py" serve "$port" 2>"$tmp/sink.log" &
sink_pid=$!
sink=http://127.0.0.1:$port
wait_for 10 curl -sf "$sink/stats" -o /dev/null || { say "the receiver did not start"; cat "$tmp/sink.log" >&2; exit 1; }

hz=$(getconf CLK_TCK)
ticks() { # ticks PID: utime + stime of a running process, in clock ticks
  local line f
  read -r line <"/proc/$1/stat"
  read -ra f <<<"${line##*) }"
  echo $((f[11] + f[12]))
}
sink_lines() { curl -sf "$sink/stats" | "$py" -c 'import json, sys; print(json.load(sys.stdin)["lines"])'; }
sink_stat() { curl -sf "$sink/stats" | "$py" -c "import json, sys; v = json.load(sys.stdin)['$1']; print('%.3f' % v if v is not None else '-')"; }
wait_lines() { # wait_lines N SECONDS
  local end=$((SECONDS + $2))
  until [ "$(sink_lines)" -ge "$1" ]; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.1
  done
}

start_shipper() { # start_shipper NAME
  mkdir -p "$tmp/$1"
  : >"$tmp/$1/service.out"
  : >"$tmp/$1/service.err"
  taskset -c "$ship_cpu" "$logship" --loki-url "$sink/loki/api/v1/push" \
    --file "$tmp/$1/service.out" --file "$tmp/$1/service.err" --label run_id=r-bench \
    --label role=service --positions "$tmp/$1/positions" --spool "$tmp/$1/spool" \
    --stats-file "$tmp/$1/stats.json" 2>"$tmp/$1/logship.log" &
  ship_pid=$!
  wait_for 10 test -s "$tmp/$1/positions" || { say "aifb-logship did not start"; cat "$tmp/$1/logship.log" >&2; exit 1; }
}
stop_shipper() { # stop_shipper NAME: SIGTERM, and its exit status must be 0
  kill -TERM "$ship_pid"
  wait "$ship_pid" || { say "aifb-logship exited $?"; tail -n 20 "$tmp/$1/logship.log" >&2; exit 1; }
  ship_pid=""
  grep -q '"lines_dropped":0' "$tmp/$1/stats.json" || note "$1: aifb-logship dropped lines: $(cat "$tmp/$1/stats.json")"
}
rss_mb() { awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# ---- 1. throughput ---------------------------------------------------------------------------------
say "throughput: $lines lines as fast as the writer goes"
start_shipper tput
curl -sf -X POST "$sink/reset" -o /dev/null
t0=$(ticks "$ship_pid")
w0=$EPOCHREALTIME
taskset -c "$other_cpu" "$py" "$sink_py" write "$tmp/tput/service.out" "$tmp/tput/service.err" --lines "$lines"
wait_lines "$lines" 300 || { say "only $(sink_lines) of $lines lines arrived"; exit 1; }
t1=$(ticks "$ship_pid")
w1=$EPOCHREALTIME
tput_rss=$(rss_mb "$ship_pid")
stop_shipper tput
cpu_s=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" 'BEGIN { printf "%.3f", (b - a) / hz }')
per_cpu=$(awk -v n="$lines" -v c="$cpu_s" 'BEGIN { if (c > 0) printf "%.0f", n / c; else print "-" }')
per_wall=$(awk -v n="$lines" -v a="$w0" -v b="$w1" 'BEGIN { printf "%.0f", n / (b - a) }')

# ---- 2. latency --------------------------------------------------------------------------------
n_lat=$((rate * seconds))
say "latency: $rate lines/s for $seconds s"
start_shipper lat
curl -sf -X POST "$sink/reset" -o /dev/null
t0=$(ticks "$ship_pid")
taskset -c "$other_cpu" "$py" "$sink_py" write "$tmp/lat/service.out" "$tmp/lat/service.err" --lines "$n_lat" --rate "$rate"
wait_lines "$n_lat" 30 || { say "only $(sink_lines) of $n_lat lines arrived"; exit 1; }
t1=$(ticks "$ship_pid")
p50=$(sink_stat p50_s)
p99=$(sink_stat p99_s)
pmax=$(sink_stat max_s)
lat_cores=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$seconds" 'BEGIN { printf "%.3f", (b - a) / hz / s }')
lat_rss=$(rss_mb "$ship_pid")
stop_shipper lat

echo
echo "aifb-logship benchmark: $(nproc) cores; aifb-logship on core $ship_cpu, writer and receiver on core $other_cpu"
row "figure" "value" "target" "verdict" "peer" "ratio"
row "lines per CPU-second ($lines lines, 2 files)" "$per_cpu" ">= 200000" "$(verdict "$per_cpu" '>=' 200000)" "-" "-"
row "lines per second (wall)" "$per_wall" "-" "-" "-" "-"
row "CPU for the $lines lines (s)" "$cpu_s" "-" "-" "-" "-"
row "write-to-push latency p50 / p99 (s), $rate/s" "$p50/$p99" "p99 < 1.5" "$(verdict "$p99" '<' 1.5)" "-" "-"
row "write-to-push latency max (s)" "$pmax" "-" "-" "-" "-"
row "CPU at $rate lines/s (cores)" "$lat_cores" "-" "-" "-" "-"
row "peak RSS, throughput / latency run (MB)" "$tput_rss/$lat_rss" "-" "-" "-" "-"
echo "No peer: Promtail is not available on this machine (neither Debian's archive nor the"
echo "registries it reaches ship it). Latency is from the line's write to the push's arrival."
if [ -s "$notes" ]; then
  echo
  sed 's/^note: /note: /' "$notes"
fi
