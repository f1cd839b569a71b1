#!/usr/bin/env bash
# bench/run.sh: the control-plane benchmark, in one run on this machine.
#
# Builds aifbd and aifb-bench (Release), fills a fresh state folder with 100,000 finished runs,
# starts its own aifbd on a unix socket in a temporary folder, starts the Python peer
# (bench/peer_controlplane.py) with the same runs, measures both with the same load client, stops
# everything it started and prints the table: figure, value, target, verdict, peer, ratio.
# Everything stays on this machine (unix sockets only). Takes about two to three minutes on 2
# cores. See bench/README.md for what each figure means.
#
# Environment: BENCH_BUILD_DIR (default build-release/), BENCH_RUNS (100000), BENCH_SECONDS
# (GetRun load, 5), BENCH_CMAKE_ARGS (extra cmake options).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BENCH_BUILD_DIR:-$root/build-release}
runs=${BENCH_RUNS:-100000}
seconds=${BENCH_SECONDS:-5}
py=/usr/bin/python3 # Debian's python3, which has grpcio and grpc_tools
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

# ---- build --------------------------------------------------------------------------------------
bench_build "$build" aifbd aifb-bench || exit 1
bench=$build/bin/aifb-bench
aifbd_bin=$build/bin/aifbd

# ---- processes we start, and their end ----------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/aifb-bench.XXXXXX")
aifbd_pid="" peer_pid=""
bench_on_exit peer_pid aifbd_pid

# ---- the state: 100,000 finished runs -----------------------------------------------------------
say "writing $runs runs into a fresh state folder"
pop=$(measure populate "$tmp/state" "$runs")
sample_id=$(val "$pop" sample_id)

say "starting aifbd"
aifbd_addr=unix:$tmp/aifbd.sock
"$aifbd_bin" --listen "$aifbd_addr" --state-dir "$tmp/state" --recipes "$root/bench/recipes" \
  --log-level warn >"$tmp/aifbd.log" 2>&1 &
aifbd_pid=$!
wait_for 20 test -S "$tmp/aifbd.sock" || { cat "$tmp/aifbd.log" >&2; say "aifbd did not start"; exit 1; }
sleep 1 # settle: what is resident once it has started and is waiting
rss_idle=$(measure rss "$aifbd_pid")
svc=$(measure service "$aifbd_addr" bench-idle)
service_id=$(val "$svc" id)

say "starting the Python peer (it reads the same runs from aifbd)"
peer_addr=unix:$tmp/peer.sock
"$py" "$root/bench/peer_controlplane.py" --listen "$peer_addr" --seed-from "$aifbd_addr" \
  >"$tmp/peer.out" 2>"$tmp/peer.err" &
peer_pid=$!
wait_for 120 grep -q '^ready' "$tmp/peer.out" || { cat "$tmp/peer.err" >&2; say "the peer did not start"; exit 1; }
sleep 1
peer_rss=$(measure rss "$peer_pid")

# ---- the loads ----------------------------------------------------------------------------------
load=(--procs 2 --threads 8 --seconds "$seconds")
say "GetRun: 16 calls in flight for $seconds s, aifbd then the peer"
get_a=$(measure getrun "$aifbd_addr" --id "$sample_id" "${load[@]}" --pid "$aifbd_pid")
get_p=$(measure getrun "$peer_addr" --id "$sample_id" "${load[@]}" --pid "$peer_pid")

say "ListRuns: the first page 200 times, then all pages; aifbd then the peer"
list_a=$(measure listruns "$aifbd_addr" --pages 200)
list_p=$(measure listruns "$peer_addr" --pages 200)
listf_a=$(measure listruns "$aifbd_addr" --pages 100 --walk 100 --state FAILED --recipe redis)
listf_p=$(measure listruns "$peer_addr" --pages 100 --walk 100 --state FAILED --recipe redis)

say "StartRun: 300 runs, 16 calls in flight"
start_a=$(measure startrun "$aifbd_addr" --recipe bench-noop --service "$service_id" --count 300 \
  --threads 16 --pid "$aifbd_pid")

# 20 runs a second stays below StartRun's own limit, so the latency is Watch's, not a backlog's.
say "Watch: 100 subscribers, about 600 events"
watch_a=$(measure watch "$aifbd_addr" --recipe bench-noop --service "$service_id" \
  --subscribers 100 --events 600 --rate 20)
sleep 1
rss_after=$(measure rss "$aifbd_pid")

# ---- the table ----------------------------------------------------------------------------------
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

g_rate=$(val "$get_a" rate) gp_rate=$(val "$get_p" rate)
f50=$(val "$list_a" first_p50_ms) fp50=$(val "$list_p" first_p50_ms)
f99=$(val "$list_a" first_p99_ms) fp99=$(val "$list_p" first_p99_ms)
d50=$(val "$list_a" deep_p50_ms) dp50=$(val "$list_p" deep_p50_ms)
d99=$(val "$list_a" deep_p99_ms) dp99=$(val "$list_p" deep_p99_ms)
s50=$(val "$listf_a" deep_p50_ms) sp50=$(val "$listf_p" deep_p50_ms)
s99=$(val "$listf_a" deep_p99_ms) sp99=$(val "$listf_p" deep_p99_ms)
idle_kb=$(val "$rss_idle" rss_kb) peer_kb=$(val "$peer_rss" rss_kb)
w_subs=$(val "$watch_a" subscribers) w_ok=$(val "$watch_a" complete)

echo
echo "aifb control-plane benchmark: $(nproc) cores, $runs runs stored, unix sockets;" \
     "peer: Python grpcio + sqlite3 (same runs, same load client)"
row "figure" "value" "target" "verdict" "peer" "ratio"
row "GetRun throughput, 16 in flight (calls/s)" "$g_rate" ">= 15000" "$(verdict "$g_rate" '>=' 15000)" "$gp_rate" "$(ratio "$g_rate" "$gp_rate")"
row "GetRun latency p50 / p99 (ms)" "$(val "$get_a" p50_ms)/$(val "$get_a" p99_ms)" "-" "-" "$(val "$get_p" p50_ms)/$(val "$get_p" p99_ms)" "$(ratio "$(val "$get_a" p50_ms)" "$(val "$get_p" p50_ms)")"
row "GetRun CPU: server / client / others (cores)" "$(val "$get_a" server_cpu)/$(val "$get_a" client_cpu)/$(val "$get_a" other_cpu)" "-" "-" "$(val "$get_p" server_cpu)/$(val "$get_p" client_cpu)/$(val "$get_p" other_cpu)" "-"
row "ListRuns first page of 100, p50 (ms)" "$f50" "< 5" "$(verdict "$f50" '<' 5)" "$fp50" "$(ratio "$f50" "$fp50")"
row "ListRuns first page of 100, p99 (ms)" "$f99" "< 5" "$(verdict "$f99" '<' 5)" "$fp99" "$(ratio "$f99" "$fp99")"
row "ListRuns every page to the end, p50 (ms)" "$d50" "< 5" "$(verdict "$d50" '<' 5)" "$dp50" "$(ratio "$d50" "$dp50")"
row "ListRuns every page to the end, p99 (ms)" "$d99" "< 5" "$(verdict "$d99" '<' 5)" "$dp99" "$(ratio "$d99" "$dp99")"
row "ListRuns state+recipe filter, p50 / p99 (ms)" "$s50/$s99" "-" "-" "$sp50/$sp99" "$(ratio "$s99" "$sp99")"
row "ListRuns pages walked / runs seen" "$(val "$list_a" pages_walked)/$(val "$list_a" runs_seen)" "-" "-" "$(val "$list_p" pages_walked)/$(val "$list_p" runs_seen)" "-"
row "StartRun throughput, 16 in flight (runs/s)" "$(val "$start_a" rate)" "-" "-" "-" "-"
row "StartRun latency p50 / p99 (ms)" "$(val "$start_a" p50_ms)/$(val "$start_a" p99_ms)" "-" "-" "-" "-"
row "StartRun CPU: aifbd / its runs / others (cores)" "$(val "$start_a" server_cpu)/$(val "$start_a" children_cpu)/$(val "$start_a" other_cpu)" "-" "-" "-" "-"
row "Watch subscribers that got every event" "$w_ok/$w_subs" "all" "$(verdict "$w_ok" '==' "$w_subs")" "-" "-"
row "Watch events / deliveries" "$(val "$watch_a" events)/$(val "$watch_a" delivered)" "-" "-" "-" "-"
row "Watch delivery latency p50 / p99 (ms)" "$(val "$watch_a" p50_ms)/$(val "$watch_a" p99_ms)" "-" "-" "-" "-"
row "Watch runs started, 20 a second" "$(val "$watch_a" runs)" "-" "-" "-" "-"
row "aifbd idle RSS after start (MB)" "$(mb "$idle_kb")" "< 20" "$(verdict "$(mb "$idle_kb")" '<' 20)" "$(mb "$peer_kb")" "$(ratio "$idle_kb" "$peer_kb")"
row "aifbd RSS after the loads / anon (MB)" "$(mb "$(val "$rss_after" rss_kb)")/$(mb "$(val "$rss_after" anon_kb)")" "-" "-" "-" "-"
row "aifbd peak RSS, VmHWM (MB)" "$(mb "$(val "$rss_after" hwm_kb)")" "-" "-" "-" "-"
echo "ratio = aifbd / peer: above 1 is better for throughput, below 1 for latency and memory."
echo "The peer's RSS is with its 100,000 runs loaded. Populating took $(val "$pop" seconds) s;" \
     "runs drained $(val "$(grep '^startrun_drain' <<<"$start_a")" drain_s) s after the StartRun burst."
if [ -s "$notes" ]; then
  echo
  sed 's/^note: /note: /' "$notes"
fi
