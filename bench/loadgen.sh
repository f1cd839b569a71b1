#!/usr/bin/env bash
# bench/loadgen.sh: aifb-loadgen's benchmark, in one run on this machine: is the load client ever
# the bottleneck? Each figure is measured beside a peer in the same run.
#
# 1. Plain HTTP keep-alive: aifb-loadgen (--workload http, GET, closed loop, 64 connections) and
#    wrk (-t1 -c64) in turn against a local nginx serving a 32-byte body. Figure: requests per
#    client CPU-second (each client's whole-process CPU, from the rusage of the child the script
#    reaped); also requests/s.
# 2. Streaming: aifb-loadgen (--workload chat --stream, 32 in flight, a fixed count of requests)
#    and bench/peer_llmclient.py (Python asyncio + aiohttp, doing per request what vLLM's bench
#    serve does) in turn against aifb-llmsim with no delays. Figures: requests and content chunks
#    per client CPU-second (each client's own CPU over its measured requests).
# 3. Pacing: aifb-loadgen alone, open loop with constant arrivals at each BENCH_PACE_RATES rate,
#    one-token chat answers (not streamed) from aifb-llmsim. Figures from result.json:
#    achieved_rate / target_rate and p99_lag_ms; the rates up to 10k again with --spin-us
#    (BENCH_PACE_SPIN_US, default 1000: the gap at 1,000 req/s, so the thread never sleeps; 0
#    leaves it out).
# Both comparisons run in two halves in the order A B B A (aifb-loadgen, peer, peer, aifb-loadgen),
# so that a machine getting faster or slower meanwhile weighs on both sides alike.
# Every client runs on core 0 and every server on core 1 (taskset), so a client never takes CPU
# from the server it measures. Server CPU (/proc/PID/stat) and the rest of the machine's
# (/proc/stat) are read over every load and shown beside the client's. Everything started here is
# stopped at the end; temporary files live in one mktemp folder. Exits 0 when every measurement
# ran, whatever the verdicts; non-zero when something could not run. About a minute.
#
# Environment: BENCH_BUILD_DIR (build-release/), BENCH_HTTP_SECONDS (10 per client, in two halves),
# BENCH_STREAM_REQUESTS (20000, aifb-loadgen), BENCH_PEER_REQUESTS (3000, the Python peer), BENCH_PACE_RATES
# ("1000 10000 30000"), BENCH_PACE_SECONDS (5), BENCH_CMAKE_ARGS.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BENCH_BUILD_DIR:-$root/build-release}
http_s=${BENCH_HTTP_SECONDS:-10}
stream_n=${BENCH_STREAM_REQUESTS:-20000}
peer_n=${BENCH_PEER_REQUESTS:-3000}
pace_rates=${BENCH_PACE_RATES:-1000 10000 30000}
pace_s=${BENCH_PACE_SECONDS:-5}
pace_spin_us=${BENCH_PACE_SPIN_US:-1000} # the rates of the lag target again with --spin-us (0: not)
py=/usr/bin/python3 # Debian's python3, which has aiohttp (python3-aiohttp)
client_cpu=0 server_cpu=1
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

[ "$(nproc)" -ge 2 ] || { say "bench/loadgen.sh pins client and server to two cores; this machine has $(nproc)"; exit 1; }
"$root/scripts/install-deps.sh" --bench >&2 || { say "could not install wrk, nginx and aiohttp"; exit 1; }
bench_build "$build" aifb-loadgen aifb-llmsim || exit 1
loadgen=$build/bin/aifb-loadgen
llmsim=$build/bin/aifb-llmsim

# ---- processes we start, and their end ----------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/aifb-bench-loadgen.XXXXXX")
nginx_pid="" llmsim_pid="" client_pid=""
bench_on_exit client_pid nginx_pid llmsim_pid

free_port() {
  "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- measuring CPU without disturbing it --------------------------------------------------------
# Between the two snapshots nothing is forked but the client, so the rusage of the children this
# shell reaped (bash's `times`) grows by the client's CPU alone; the servers' and the machine's
# come from /proc, read with builtins.
hz=$(getconf CLK_TCK)
proc_ticks() { # proc_ticks PID VAR: VAR = utime + stime of a running process, in ticks
  local line f
  read -r line <"/proc/$1/stat"
  read -ra f <<<"${line##*) }" # fields from the 3rd on; comm may hold spaces
  printf -v "$2" '%s' $((f[11] + f[12]))
}
snap() { # snap NAME: the moment, the reaped children's CPU, the servers' and the machine's
  local cu cs all nginx_t llmsim_t
  times >"$tmp/times"
  { read -r _ _; read -r cu cs; } <"$tmp/times"
  proc_ticks "$nginx_pid" nginx_t
  proc_ticks "$llmsim_pid" llmsim_t
  read -ra all </proc/stat # cpu user nice system idle iowait irq softirq steal ...
  printf -v "snap_$1" '%s %s %s %s %s %s' "$EPOCHREALTIME" "$cu" "$cs" "$nginx_t" "$llmsim_t" \
    $((all[1] + all[2] + all[3] + all[6] + all[7]))
}
# cpu_between A B: wall_s client_cpu_s server_cpu_s(nginx or llmsim, by SERVER) busy_s
cpu_between() {
  awk -v a="${!1}" -v b="${!2}" -v hz="$hz" -v srv="$3" 'function secs(x,  p) {
      split(x, p, /[ms]/); return p[1] * 60 + p[2] }
    BEGIN { split(a, x, " "); split(b, y, " ")
      client = secs(y[2]) + secs(y[3]) - secs(x[2]) - secs(x[3])
      server = (srv == "nginx" ? y[4] - x[4] : y[5] - x[5]) / hz
      busy = (y[6] - x[6]) / hz
      printf "%.3f %.3f %.3f %.3f\n", y[1] - x[1], client, server, busy }'
}
# run_client NAME SERVER CMD...: the client on its core, waited for (a signal stops it through
# cleanup); sets cpu_NAME="wall client server busy" and leaves its output in $tmp/NAME.out
run_client() {
  local name=$1 server=$2 rc=0
  shift 2
  snap a
  taskset -c "$client_cpu" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  client_pid=$!
  wait "$client_pid" || rc=$?
  snap b
  client_pid=""
  if [ "$rc" != 0 ]; then
    tail -n 20 "$tmp/$name.err" >&2
    say "$name failed (exit $rc): $*"
    exit 1
  fi
  printf -v "cpu_$name" '%s' "$(cpu_between snap_a snap_b "$server")"
}
cpu_add() { # cpu_add TOTAL NAME...: cpu_TOTAL = the field-wise sum of the named runs' records
  local total=$1 n sum="0 0 0 0" v
  shift
  for n in "$@"; do
    v="cpu_$n"
    sum=$(awk -v a="$sum" -v b="${!v}" 'BEGIN { split(a, x, " "); split(b, y, " ")
      printf "%.3f %.3f %.3f %.3f\n", x[1] + y[1], x[2] + y[2], x[3] + y[3], x[4] + y[4] }')
  done
  printf -v "cpu_$total" '%s' "$sum"
}
cpu_field() { # cpu_field NAME INDEX: 1 wall, 2 client, 3 server, 4 busy (the machine)
  local v="cpu_$1"
  awk -v s="${!v}" -v i="$2" 'BEGIN { split(s, f, " "); print f[i] }'
}
cores() { awk -v c="$1" -v w="$2" 'BEGIN { printf "%.2f", (w > 0 ? c / w : 0) }'; }
# cpu_split NAME: client/server/others in cores over the load ("others": the machine's busy time
# less the client's and the server's)
cpu_split() {
  local w c s b
  w=$(cpu_field "$1" 1) c=$(cpu_field "$1" 2) s=$(cpu_field "$1" 3) b=$(cpu_field "$1" 4)
  awk -v w="$w" -v c="$c" -v s="$s" -v b="$b" 'BEGIN { o = b - c - s; if (o < 0) o = 0
    printf "%.2f/%.2f/%.2f", c / w, s / w, o / w }'
}
# json FILE EXPR...: "json k=v ..." for result lines; EXPR is a top-level key, or phase.KEY for
# the last phase's
json() {
  "$py" - "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
out = []
for k in sys.argv[2:]:
    v = d["phases"][-1].get(k[6:]) if k.startswith("phase.") else d.get(k)
    out.append("%s=%s" % (k, v))
print("json " + " ".join(out))
PY
}
per() { awk -v n="$1" -v d="$2" 'BEGIN { if (d > 0) printf "%.0f", n / d; else print "-" }'; }

# ---- the servers --------------------------------------------------------------------------------
say "starting nginx (one process, core $server_cpu) and aifb-llmsim (core $server_cpu)"
mkdir -p "$tmp/nginx/www" "$tmp/nginx/logs" "$tmp/nginx/temp"
printf '%s\n' 'aifb-loadgen benchmark body 32B' >"$tmp/nginx/www/small" # 32 bytes
nginx_port=$(free_port)
cat >"$tmp/nginx/nginx.conf" <<EOF
# One process that is its own worker, so that it can be pinned and measured by one PID.
daemon off;
master_process off;
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  default_type text/plain;
  keepalive_requests 100000000;
  keepalive_timeout 60s;
  client_body_temp_path $tmp/nginx/temp/body;
  proxy_temp_path $tmp/nginx/temp/proxy;
  fastcgi_temp_path $tmp/nginx/temp/fastcgi;
  uwsgi_temp_path $tmp/nginx/temp/uwsgi;
  scgi_temp_path $tmp/nginx/temp/scgi;
  server {
    listen 127.0.0.1:$nginx_port;
    root $tmp/nginx/www;
  }
}
EOF
taskset -c "$server_cpu" nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/logs/error.log" \
  >"$tmp/nginx.out" 2>&1 &
nginx_pid=$!
small=http://127.0.0.1:$nginx_port/small
wait_for 10 "$py" -c "import urllib.request as u; u.urlopen('$small').read()" ||
  { cat "$tmp/nginx.out" "$tmp/nginx/logs/error.log" >&2; say "nginx did not start"; exit 1; }

taskset -c "$server_cpu" "$llmsim" --listen 127.0.0.1:0 --ttft-ms 0 --itl-ms 0 --output-tokens 64 \
  --log-level warn 2>"$tmp/llmsim.err" &
llmsim_pid=$!
wait_for 10 grep -q 'listening on' "$tmp/llmsim.err" || { cat "$tmp/llmsim.err" >&2; say "aifb-llmsim did not start"; exit 1; }
sim=http://$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$tmp/llmsim.err")

# ---- 1. plain HTTP keep-alive: aifb-loadgen and wrk ---------------------------------------------
# Two halves each, in the order A B B A, so that a machine getting faster or slower over the
# minute weighs on both alike; the figures add both halves up.
half=$(awk -v s="$http_s" 'BEGIN { printf "%g", s / 2 }')
lg_http_run() {
  run_client "lg_http$1" nginx "$loadgen" --workload http --method GET --url "$small" \
    --concurrency 64 --duration "${half}s" --result "$tmp/lg_http$1.json" --progress off --quiet
}
wrk_http_run() { run_client "wrk_http$1" nginx wrk -t1 -c64 -d"${half}s" "$small"; }
say "HTTP: aifb-loadgen and wrk in turn, 64 connections, 2 x $half s each, against nginx"
lg_http_run 1
wrk_http_run 1
wrk_http_run 2
lg_http_run 2
cpu_add lg_http lg_http1 lg_http2
cpu_add wrk_http wrk_http1 wrk_http2
h_n_lg=0 h_dur_lg=0 h_n_wrk=0 h_dur_wrk=0
for i in 1 2; do
  r=$(json "$tmp/lg_http$i.json" completed failed duration)
  [ "$(val "$r" failed)" = 0 ] || note "aifb-loadgen: $(val "$r" failed) HTTP requests failed"
  h_n_lg=$((h_n_lg + $(val "$r" completed)))
  h_dur_lg=$(awk -v a="$h_dur_lg" -v b="$(val "$r" duration)" 'BEGIN { print a + b }')
  n=$(sed -n 's/^ *\([0-9]*\) requests in \([0-9.]*\)s.*/\1 \2/p' "$tmp/wrk_http$i.out")
  if [ -z "$n" ]; then
    cat "$tmp/wrk_http$i.out" >&2
    say "could not read wrk's output"
    exit 1
  fi
  errors=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p; s/^ *Socket errors: \(.*\)/\1/p' "$tmp/wrk_http$i.out")
  [ -z "$errors" ] || note "wrk reported errors: $errors"
  h_n_wrk=$((h_n_wrk + ${n% *}))
  h_dur_wrk=$(awk -v a="$h_dur_wrk" -v b="${n#* }" 'BEGIN { print a + b }')
done
h_per_lg=$(per "$h_n_lg" "$(cpu_field lg_http 2)")
h_per_wrk=$(per "$h_n_wrk" "$(cpu_field wrk_http 2)")
h_rate_lg=$(per "$h_n_lg" "$h_dur_lg")
h_rate_wrk=$(per "$h_n_wrk" "$h_dur_wrk")
h_ratio=$(ratio "$h_per_lg" "$h_per_wrk")

# ---- 2. streaming chat: aifb-loadgen and the Python peer ----------------------------------------
lg_stream_run() {
  run_client "lg_stream$1" llmsim "$loadgen" --workload chat --stream --url "$sim" --model aifb-sim \
    --concurrency 32 --requests $((stream_n / 2)) --output-tokens 64 --input-tokens 128 \
    --result "$tmp/lg_stream$1.json" --progress off --quiet
}
peer_stream_run() {
  run_client "peer_stream$1" llmsim "$py" "$root/bench/peer_llmclient.py" --url "$sim" \
    --model aifb-sim --concurrency 32 --requests $((peer_n / 2)) --output-tokens 64 --input-tokens 128
}
say "streaming: aifb-loadgen (2 x $((stream_n / 2)) requests) and the Python peer (2 x $((peer_n / 2))) in turn, 32 in flight, 64 tokens"
lg_stream_run 1
peer_stream_run 1
peer_stream_run 2
lg_stream_run 2
cpu_add lg_stream lg_stream1 lg_stream2
cpu_add peer_stream peer_stream1 peer_stream2
s_n_lg=0 s_chunks_lg=0 s_cpu_lg=0 s_dur_lg=0 s_n_peer=0 s_chunks_peer=0 s_cpu_peer=0 s_dur_peer=0
sum() { awk -v a="$1" -v b="$2" 'BEGIN { print a + b }'; }
for i in 1 2; do
  r=$(json "$tmp/lg_stream$i.json" completed failed duration client_cpu_seconds count_icl)
  [ "$(val "$r" failed)" = 0 ] || note "aifb-loadgen: $(val "$r" failed) streamed requests failed"
  s_n_lg=$((s_n_lg + $(val "$r" completed)))
  # content chunks: the first of each request, then one per gap between two of them
  s_chunks_lg=$((s_chunks_lg + $(val "$r" completed) + $(val "$r" count_icl)))
  s_cpu_lg=$(sum "$s_cpu_lg" "$(val "$r" client_cpu_seconds)")
  s_dur_lg=$(sum "$s_dur_lg" "$(val "$r" duration)")
  r=$(grep '^peer_llmclient ' "$tmp/peer_stream$i.out") || {
    cat "$tmp/peer_stream$i.out" "$tmp/peer_stream$i.err" >&2
    say "no result line from the peer"
    exit 1
  }
  [ "$(val "$r" failed)" = 0 ] || note "the peer: $(val "$r" failed) streamed requests failed"
  s_n_peer=$((s_n_peer + $(val "$r" completed)))
  s_chunks_peer=$((s_chunks_peer + $(val "$r" chunks)))
  s_cpu_peer=$(sum "$s_cpu_peer" "$(val "$r" cpu_s)")
  s_dur_peer=$(sum "$s_dur_peer" "$(val "$r" duration_s)")
done
s_req_lg=$(per "$s_n_lg" "$s_cpu_lg") s_req_peer=$(per "$s_n_peer" "$s_cpu_peer")
s_chk_lg=$(per "$s_chunks_lg" "$s_cpu_lg") s_chk_peer=$(per "$s_chunks_peer" "$s_cpu_peer")
s_rate_lg=$(per "$s_n_lg" "$s_dur_lg") s_rate_peer=$(per "$s_n_peer" "$s_dur_peer")
s_ratio=$(ratio "$s_req_lg" "$s_req_peer")

# ---- 3. pacing: open loop, constant arrivals ----------------------------------------------------
declare -A pace
for r in $pace_rates; do
  say "pacing: $r req/s for $pace_s s (after 1 s of warm-up on the same connections)"
  # --concurrency 64 caps what is in flight: should the client fall behind, requests wait in it
  # (and show as lag) instead of opening ever more connections.
  run_client "pace_$r" llmsim "$loadgen" --workload chat --url "$sim" --model aifb-sim \
    --output-tokens 1 --input-tokens 16 --rate "$r" --arrival constant --concurrency 64 \
    --warmup 1s --duration "${pace_s}s" --result "$tmp/pace_$r.json" --progress off --quiet
  pace[$r]=$(json "$tmp/pace_$r.json" completed failed target_rate achieved_rate p99_lag_ms \
    median_lag_ms phase.max_backlog)
  [ "$(val "${pace[$r]}" failed)" = 0 ] || note "pacing $r req/s: $(val "${pace[$r]}" failed) requests failed"
  if [ "$pace_spin_us" -gt 0 ] && [ "$r" -le 10000 ]; then
    say "pacing: $r req/s with --spin-us $pace_spin_us"
    run_client "pace_spin_$r" llmsim "$loadgen" --workload chat --url "$sim" --model aifb-sim \
      --output-tokens 1 --input-tokens 16 --rate "$r" --arrival constant --concurrency 64 \
      --warmup 1s --duration "${pace_s}s" --spin-us "$pace_spin_us" \
      --result "$tmp/pace_spin_$r.json" --progress off --quiet
    pace[spin_$r]=$(json "$tmp/pace_spin_$r.json" completed failed target_rate achieved_rate \
      p99_lag_ms median_lag_ms phase.max_backlog)
  fi
done

# ---- the table ----------------------------------------------------------------------------------
within() { # within VALUE TOLERANCE: |VALUE - 1| <= TOLERANCE
  awk -v v="$1" -v t="$2" 'BEGIN { d = v - 1; if (d < 0) d = -d; print (d <= t ? "meets" : "misses") }'
}
echo
echo "aifb-loadgen benchmark: $(nproc) cores; clients on core $client_cpu, servers on core $server_cpu;" \
     "peers: wrk $(wrk --version 2>&1 | awk 'NR == 1 { print $2 }') (HTTP), Python aiohttp $("$py" -c 'import aiohttp; print(aiohttp.__version__)') (streaming)"
row "figure" "value" "target" "verdict" "peer" "ratio"
row "HTTP GET, 64 conns: requests per CPU-second" "$h_per_lg" ">= 0.7x" "$(verdict "$h_ratio" '>=' 0.7)" "$h_per_wrk" "$h_ratio"
row "HTTP GET, 64 conns: requests/s" "$h_rate_lg" "-" "-" "$h_rate_wrk" "$(ratio "$h_rate_lg" "$h_rate_wrk")"
row "HTTP CPU: client/nginx/others (cores)" "$(cpu_split lg_http)" "-" "-" "$(cpu_split wrk_http)" "-"
row "stream, 32 in flight: requests per CPU-second" "$s_req_lg" ">= 10x" "$(verdict "$s_ratio" '>=' 10)" "$s_req_peer" "$s_ratio"
row "stream, 32 in flight: chunks per CPU-second" "$s_chk_lg" "-" "-" "$s_chk_peer" "$(ratio "$s_chk_lg" "$s_chk_peer")"
row "stream, 32 in flight: requests/s" "$s_rate_lg" "-" "-" "$s_rate_peer" "$(ratio "$s_rate_lg" "$s_rate_peer")"
row "stream CPU: client/llmsim/others (cores)" "$(cpu_split lg_stream)" "-" "-" "$(cpu_split peer_stream)" "-"
for r in $pace_rates; do
  p=${pace[$r]}
  ach=$(awk -v a="$(val "$p" achieved_rate)" -v t="$r" 'BEGIN { printf "%.4f", a / t }')
  lag=$(printf '%.3f' "$(val "$p" p99_lag_ms)")
  # The targets (rate within 1%, p99 lag < 0.2 ms) hold up to 10,000/s; above, both are reported.
  if [ "$r" -le 10000 ]; then
    lag_t="< 0.2" lag_v=$(verdict "$lag" '<' 0.2) ach_t="1 +- 1%" ach_v=$(within "$ach" 0.01)
  else
    lag_t="-" lag_v="-" ach_t="-" ach_v="-"
  fi
  row "pace $r/s: achieved / target rate" "$ach" "$ach_t" "$ach_v" "-" "-"
  row "pace $r/s: p99 / p50 lag (ms)" "$lag/$(printf '%.3f' "$(val "$p" median_lag_ms)")" "$lag_t" "$lag_v" "-" "-"
  row "pace $r/s: CPU client/llmsim/others (cores)" "$(cpu_split "pace_$r")" "-" "-" "-" "-"
  backlog=$(val "$p" phase.max_backlog)
  [ "$backlog" = 0 ] || [ "$backlog" = None ] ||
    note "pace $r/s: up to $backlog requests waited in the client for one of the 64 connections (max_backlog)"
  p=${pace[spin_$r]:-}
  [ -n "$p" ] || continue
  ach=$(awk -v a="$(val "$p" achieved_rate)" -v t="$r" 'BEGIN { printf "%.4f", a / t }')
  lag=$(printf '%.3f' "$(val "$p" p99_lag_ms)")
  row "pace $r/s --spin-us $pace_spin_us: achieved / target" "$ach" "1 +- 1%" "$(within "$ach" 0.01)" "-" "-"
  row "pace $r/s --spin-us $pace_spin_us: p99 / p50 lag (ms)" "$lag/$(printf '%.3f' "$(val "$p" median_lag_ms)")" "< 0.2" "$(verdict "$lag" '<' 0.2)" "-" "-"
  row "pace $r/s --spin-us $pace_spin_us: CPU client/llmsim/others" "$(cpu_split "pace_spin_$r")" "-" "-" "-" "-"
done
echo "ratio = aifb-loadgen / peer. HTTP CPU is each client's whole process (rusage at exit);"
echo "streaming CPU each client's own over its measured requests. Chunks are content chunks."

# What the CPU splits say about who limited each rate.
for n in lg_http wrk_http lg_stream peer_stream $(for r in $pace_rates; do echo "pace_$r"; done); do
  w=$(cpu_field "$n" 1)
  c=$(cores "$(cpu_field "$n" 2)" "$w") s=$(cores "$(cpu_field "$n" 3)" "$w")
  o=$(awk -v b="$(cpu_field "$n" 4)" -v c="$(cpu_field "$n" 2)" -v s="$(cpu_field "$n" 3)" -v w="$w" \
    'BEGIN { o = (b - c - s) / w; printf "%.2f", (o < 0 ? 0 : o) }')
  if awk -v c="$c" 'BEGIN { exit !(c >= 0.9) }'; then
    case $n in
      pace_*) note "$n: the client used $c of its core: at most a little more could be paced" ;;
      *) note "$n: the client used $c of its core: the client was the limit" ;;
    esac
  fi
  if awk -v s="$s" 'BEGIN { exit !(s >= 0.9) }'; then
    note "$n: the server used $s of its core: the server was the limit"
  fi
  if awk -v o="$o" 'BEGIN { exit !(o >= 0.3) }'; then
    note "$n: other processes used $o cores meanwhile: figures are lower than on a quiet machine"
  fi
done
if [ -s "$notes" ]; then
  echo
  cat "$notes"
fi
