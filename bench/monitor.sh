#!/usr/bin/env bash
# bench/monitor.sh: aifb-monitor beside prometheus-node-exporter, in one run on this machine: what
# does each cost to keep one Prometheus fed every second?
#
# A Prometheus on loopback (remote write receiver on, 1 s scrape interval) scrapes Debian's
# prometheus-node-exporter (default collectors) every second, and aifb-monitor pushes to the same
# Prometheus every second: the node's series and the process tree of Prometheus itself (a real
# tree to walk), as aifbd starts it beside a service. All three run for BENCH_MONITOR_SECONDS
# (60) after a 5 s warm-up; the CPU of each (utime + stime from /proc/PID/stat, all threads) is
# read at both ends of the window, the peak RSS (VmHWM) and the anonymous part of RSS (RssAnon,
# without the shared libraries' pages) at its end. Figures: CPU in % of one
# core, peak RSS in MB, the series each ships per second (the monitor's samples per batch, the
# exporter's scrape_samples_scraped), and ratios monitor / exporter. Then a second, shorter window
# (BENCH_MONITOR_SCRAPE_SECONDS, 20) runs another aifb-monitor that also scrapes the exporter's
# /metrics, relabels it and pushes it: the cost of --scrape with about a thousand series.
# Everything started here listens on 127.0.0.1 only and is stopped at the end; temporary files
# live in one mktemp folder. Exits 0 when every measurement ran, whatever the verdicts.
#
# Environment: BENCH_BUILD_DIR (build-release/), BENCH_MONITOR_SECONDS (60),
# BENCH_MONITOR_SCRAPE_SECONDS (20; 0 skips that window), BENCH_CMAKE_ARGS.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BENCH_BUILD_DIR:-$root/build-release}
secs=${BENCH_MONITOR_SECONDS:-60}
scrape_secs=${BENCH_MONITOR_SCRAPE_SECONDS:-20}
warmup=5
py=/usr/bin/python3
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

"$root/scripts/install-deps.sh" --bench >&2 || { say "could not install prometheus-node-exporter"; exit 1; }
command -v prometheus >/dev/null ||
  { say "prometheus is not installed (scripts/install-deps.sh --test installs it)"; exit 1; }
exporter=$(command -v prometheus-node-exporter)
bench_build "$build" aifb-monitor || exit 1
monitor=$build/bin/aifb-monitor

tmp=$(mktemp -d "${TMPDIR:-/tmp}/aifb-bench-monitor.XXXXXX")
prom_pid="" exporter_pid="" monitor_pid="" scraper_pid=""
bench_on_exit scraper_pid monitor_pid exporter_pid prom_pid

free_port() {
  "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# query EXPR: the value of an instant query returning one series ("" when none)
query() {
  "$py" - "$prom_url" "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
url = sys.argv[1] + "/api/v1/query?" + urllib.parse.urlencode({"query": sys.argv[2]})
r = json.load(urllib.request.urlopen(url, timeout=10))["data"]["result"]
print(r[0]["value"][1] if r else "")
PY
}
ticks() { # ticks PID: utime + stime of the whole process, in clock ticks
  local line f
  read -r line <"/proc/$1/stat"
  read -ra f <<<"${line##*) }"
  echo $((f[11] + f[12]))
}
hwm_mb() { awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
anon_mb() { awk '/^RssAnon:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)
pct() { awk -v t="$1" -v s="$2" -v hz="$hz" 'BEGIN { printf "%.3f", t / hz / s * 100 }'; }

# ---- the processes --------------------------------------------------------------------------------
exporter_port=$(free_port)
"$exporter" --web.listen-address="127.0.0.1:$exporter_port" >"$tmp/exporter.log" 2>&1 &
exporter_pid=$!
wait_for 10 "$py" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$exporter_port/metrics').read()" ||
  { cat "$tmp/exporter.log" >&2; say "prometheus-node-exporter did not start"; exit 1; }

prom_port=$(free_port)
prom_url=http://127.0.0.1:$prom_port
cat >"$tmp/prometheus.yml" <<EOF2
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1m
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ["127.0.0.1:$exporter_port"]
EOF2
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
  --web.listen-address="127.0.0.1:$prom_port" --web.enable-remote-write-receiver \
  --log.level=warn >"$tmp/prometheus.log" 2>&1 &
prom_pid=$!
wait_for 30 "$py" -c "import urllib.request as u; u.urlopen('$prom_url/-/ready').read()" ||
  { tail -n 20 "$tmp/prometheus.log" >&2; say "prometheus did not start"; exit 1; }

"$monitor" --remote-write "$prom_url/api/v1/write" --pid "$prom_pid" --interval 1s \
  --label run_id=bench --label role=service 2>"$tmp/monitor.err" &
monitor_pid=$!

# ---- the window -----------------------------------------------------------------------------------
say "prometheus scrapes prometheus-node-exporter every 1 s and aifb-monitor pushes every 1 s: $warmup s warm-up, then $secs s measured"
sleep "$warmup"
kill -0 "$monitor_pid" 2>/dev/null || { cat "$tmp/monitor.err" >&2; say "aifb-monitor ended early"; exit 1; }
m0=$(ticks "$monitor_pid") e0=$(ticks "$exporter_pid") p0=$(ticks "$prom_pid") t0=$EPOCHREALTIME
sleep "$secs"
m1=$(ticks "$monitor_pid") e1=$(ticks "$exporter_pid") p1=$(ticks "$prom_pid") t1=$EPOCHREALTIME
wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
m_cpu=$(pct $((m1 - m0)) "$wall") e_cpu=$(pct $((e1 - e0)) "$wall") p_cpu=$(pct $((p1 - p0)) "$wall")
m_rss=$(hwm_mb "$monitor_pid") e_rss=$(hwm_mb "$exporter_pid")
m_anon=$(anon_mb "$monitor_pid") e_anon=$(anon_mb "$exporter_pid")
m_series=$(query "count({run_id=\"bench\"})")
e_series=$(query "scrape_samples_scraped{job=\"node\"}")
m_up=$(query "count_over_time(aifb_node_load1{run_id=\"bench\"}[${secs}s])")
e_up=$(query "count_over_time(up{job=\"node\"}[${secs}s])")
stop_pid "$monitor_pid"
wait "$monitor_pid" 2>/dev/null || note "aifb-monitor did not exit 0 on SIGTERM: $(tail -n 3 "$tmp/monitor.err")"
monitor_pid=""
grep -q '0 samples dropped' "$tmp/monitor.err" || note "aifb-monitor dropped samples: $(tail -n 1 "$tmp/monitor.err")"

# ---- the --scrape window --------------------------------------------------------------------------
s_cpu="-" s_rss="-" s_series="-"
if [ "$scrape_secs" != 0 ]; then
  say "aifb-monitor with --scrape of the exporter's /metrics: $warmup s warm-up, then $scrape_secs s measured"
  "$monitor" --remote-write "$prom_url/api/v1/write" --pid "$prom_pid" --interval 1s \
    --label run_id=bench-scrape --scrape "http://127.0.0.1:$exporter_port/metrics" \
    2>"$tmp/scraper.err" &
  scraper_pid=$!
  sleep "$warmup"
  s0=$(ticks "$scraper_pid") t0=$EPOCHREALTIME
  sleep "$scrape_secs"
  s1=$(ticks "$scraper_pid") t1=$EPOCHREALTIME
  s_cpu=$(pct $((s1 - s0)) "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
  s_rss=$(hwm_mb "$scraper_pid")
  s_series=$(query "count({run_id=\"bench-scrape\"})")
  stop_pid "$scraper_pid"
  scraper_pid=""
fi

# ---- the table ------------------------------------------------------------------------------------
echo
echo "aifb-monitor benchmark: $(nproc) cores, ${secs} s window, 1 s interval;" \
     "peer: $("$exporter" --version 2>&1 | awk 'NR == 1 { print $1, $3 }'), scraped every 1 s by" \
     "$(prometheus --version 2>&1 | awk 'NR == 1 { print $1, $3 }')"
row "figure" "value" "target" "verdict" "peer" "ratio"
row "CPU, % of one core" "$m_cpu" "< 0.5" "$(verdict "$m_cpu" '<' 0.5)" "$e_cpu" "$(ratio "$m_cpu" "$e_cpu")"
row "RSS, peak (MB)" "$m_rss" "< 10" "$(verdict "$m_rss" '<' 10)" "$e_rss" "$(ratio "$m_rss" "$e_rss")"
row "RSS of its own (RssAnon, MB)" "$m_anon" "-" "-" "$e_anon" "$(ratio "$m_anon" "$e_anon")"
row "below the exporter on CPU and RSS" \
  "$(awk -v a="$m_cpu" -v b="$e_cpu" -v c="$m_rss" -v d="$e_rss" 'BEGIN { print (a < b && c < d) ? "yes" : "no" }')" \
  "yes" "$(awk -v a="$m_cpu" -v b="$e_cpu" -v c="$m_rss" -v d="$e_rss" 'BEGIN { print (a < b && c < d) ? "meets" : "misses" }')" "-" "-"
row "series shipped each second" "$m_series" "-" "-" "$e_series" "$(ratio "$m_series" "$e_series")"
row "samples stored in the window (one series)" "$m_up" "-" "-" "$e_up" "-"
row "with --scrape of the exporter: CPU %" "$s_cpu" "-" "-" "-" "-"
row "with --scrape of the exporter: RSS peak (MB)" "$s_rss" "-" "-" "-" "-"
row "with --scrape of the exporter: series" "$s_series" "-" "-" "-" "-"
echo "value = aifb-monitor (node + the process tree of prometheus, pushed by remote write);"
echo "peer = prometheus-node-exporter (its default collectors, scraped); ratio = value / peer."
echo "RSS counts the pages of shared libraries the process touched (shared with every process"
echo "that maps them; plain http:// loads no TLS library); RssAnon is the process' own memory."
note "prometheus itself used $p_cpu% of one core meanwhile (scraping, receiving, storing)"
if [ -s "$notes" ]; then
  echo
  cat "$notes"
fi
