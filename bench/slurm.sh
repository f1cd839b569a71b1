#!/usr/bin/env bash
# bench/slurm.sh: the Slurm executor's benchmark, on the real single-node Slurm cluster of
# tests/slurm/cluster.sh (munge, slurmctld, slurmd, slurmrestd on a unix socket), in one run.
#
# 1. StartRun-to-SUBMITTED latency: aifbd (Release, slurm-rest executor over slurmrestd's unix
#    socket) is sent BENCH_SLURM_RUNS StartRuns of bench-slurm-pair one after the other; StartRun
#    answers once both jobs (service, client) are submitted, so its latency is the time to
#    SUBMITTED. The peer: the same two submissions POSTed straight to the same slurmrestd with
#    libcurl (aifb-bench restsubmit), with the very scripts aifbd generated for one of its runs
#    (read back with `scontrol write batch_script`; an `exit 0` after the first line makes the
#    peer's jobs end at once). The two take turns, one call each per iteration, so both see the
#    same machine and cluster, and the node is drained meanwhile so that no job starts (their
#    jobs are cancelled, pending, afterwards). "added" = aifbd's figure minus the peer's.
# 2. CPU of one reconcile tick with 1,000 tracked jobs: 500 runs of bench-slurm-hold (two jobs
#    that wait an hour) are started, then aifbd's CPU time (/proc/PID/stat, all its threads:
#    the reconciler and the lister that parses the whole job list) is read over BENCH_SLURM_WINDOW
#    seconds with nothing asked of it, and divided by the ticks in that window.
# Everything it starts is stopped at the end (the cluster with every job). About two to three
# minutes on 2 cores.
#
# Environment: BENCH_BUILD_DIR (build-release/), BENCH_SLURM_RUNS (300), BENCH_SLURM_HOLD_RUNS
# (500), BENCH_SLURM_WINDOW (20 s), BENCH_SLURM_CPUS (CPUs declared on the node, 64).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BENCH_BUILD_DIR:-$root/build-release}
runs=${BENCH_SLURM_RUNS:-300}
hold=${BENCH_SLURM_HOLD_RUNS:-500}
window=${BENCH_SLURM_WINDOW:-20}
py=/usr/bin/python3
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

[ "$(id -u)" = 0 ] || { say "bench/slurm.sh runs slurmctld, slurmd and munged: run it as root"; exit 1; }
bench_build "$build" aifbd aifb-bench || exit 1
bench=$build/bin/aifb-bench
aifbd_bin=$build/bin/aifbd

tmp=$(mktemp -d "${TMPDIR:-/tmp}/aifb-bench-slurm.XXXXXX")
chmod 755 "$tmp" # munged and the jobs need to reach into it
cluster=$tmp/cluster
aifbd_pid=""
bench_cleanup_extra() {
  [ -d "$cluster" ] && bash "$root/tests/slurm/cluster.sh" stop "$cluster" >/dev/null 2>&1
}
bench_on_exit aifbd_pid

say "starting the Slurm cluster"
AIFB_TEST_SLURM_CPUS=${BENCH_SLURM_CPUS:-64} bash "$root/tests/slurm/cluster.sh" start "$cluster" >&2
set -a
# shellcheck disable=SC1091 # written by cluster.sh start
. "$cluster/env"
set +a
rest=$AIFB_TEST_SLURM_REST_UNIX
submit_path=/slurm/$AIFB_TEST_SLURM_REST_VERSION/job/submit

say "starting aifbd (slurm-rest over $rest)"
addr=unix:$tmp/aifbd.sock
env AIFB_EXECUTOR=slurm-rest AIFB_SLURM_REST_URL="$rest" SLURM_JWT= AIFB_SLURM_JWT_KEY= \
  "$aifbd_bin" --listen "$addr" --state-dir "$tmp/state" --recipes "$root/bench/recipes" \
  --log-level warn >"$tmp/aifbd.log" 2>&1 &
aifbd_pid=$!
wait_for 20 test -S "$tmp/aifbd.sock" || { cat "$tmp/aifbd.log" >&2; say "aifbd did not start"; exit 1; }

# ---- 1. StartRun to SUBMITTED, and the peer ----------------------------------------------------
say "StartRun: 5 runs to warm up (their scripts become the peer's)"
measure startrun "$addr" --recipe bench-slurm-pair --count 5 --threads 1 >/dev/null

# The scripts aifbd submitted for its last run, as slurmctld keeps them.
last=$(squeue --noheader --states=all --format='%i|%k' | sed -n 's/^\([0-9]*\)|aifb:\(r-[0-9a-f]*\):service$/\2/p' | tail -n 1)
[ -n "$last" ] || { say "no aifb job found in squeue"; exit 1; }
mkdir -p "$tmp/peer" "$REMOTE_BASE_PATH/peer"
for role in service client; do
  id=$(squeue --noheader --states=all --format='%i|%k' | sed -n "s/^\([0-9]*\)|aifb:$last:$role\$/\1/p")
  scontrol write batch_script "$id" "$tmp/peer/$role.sh" >/dev/null
  "$py" - "$tmp/peer/$role.sh" "$role" "$REMOTE_BASE_PATH/peer" "$AIFB_SLURM_PARTITION" \
    >"$tmp/peer/$role.json" <<'PY'
import json, os, sys
script, role, folder, partition = sys.argv[1:]
lines = open(script).read().split("\n")
body = "\n".join(lines[:1] + ["exit 0"] + lines[1:])  # same size and shape, ends at once
job = {"name": "aifb-bench-peer-" + role, "comment": "aifb-bench-peer", "partition": partition,
       "current_working_directory": folder, "standard_output": folder + "/%j.out",
       "standard_error": folder + "/%j.err",
       "environment": {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}}
print(json.dumps({"job": job, "script": body}))
PY
done
# The node is drained while both series submit: their jobs stay pending, so what is timed is
# the submission alone, not slurmd launching hundreds of jobs on the same two cores.
say "$runs StartRuns and $runs pairs of direct POSTs, taking turns (node drained)"
scontrol update NodeName="$AIFB_TEST_SLURM_NODE" State=DRAIN Reason=aifb-bench
paired=$(measure restsubmit "$rest" --path "$submit_path" --count "$runs" \
  --bodies "$tmp/peer/service.json,$tmp/peer/client.json" --aifbd "$addr" --recipe bench-slurm-pair)
start=$(grep '^startrun_paired' <<<"$paired")
peer=$(grep '^restsubmit' <<<"$paired")
scancel --state=PENDING --partition="$AIFB_SLURM_PARTITION"
scontrol update NodeName="$AIFB_TEST_SLURM_NODE" State=RESUME
say "waiting for those runs to end"
none_active() { # squeue answered, and lists no aifb job
  local out
  out=$(squeue --noheader --format=%k) || return 1
  ! grep -q '^aifb:' <<<"$out"
}
wait_for 300 none_active || say "some runs still going after 300 s; measuring anyway"

# ---- 2. one reconcile tick with 1,000 tracked jobs ----------------------------------------------
say "starting $hold runs that hold two jobs each"
measure startrun "$addr" --recipe bench-slurm-hold --count "$hold" --threads 4 --drain 0 >/dev/null
tracked=$(squeue --noheader --format='%k' | grep -c '^aifb:r-' || true)
sleep 5 # the first listings and polls after the burst settle
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$aifbd_pid/stat"; }
say "aifbd's CPU over $window s with $tracked jobs tracked"
c0=$(cpu_ticks)
sleep "$window"
c1=$(cpu_ticks)
tick_ms=200 # aifbd's default reconcile interval
cpu_ms=$(awk -v d=$((c1 - c0)) -v hz="$hz" 'BEGIN { printf "%.1f", d * 1000 / hz }')
per_tick=$(awk -v c="$cpu_ms" -v w="$window" -v t="$tick_ms" 'BEGIN { printf "%.2f", c / (w * 1000 / t) }')

# ---- the table ----------------------------------------------------------------------------------
a50=$(val "$start" p50_ms) a99=$(val "$start" p99_ms)
p50=$(val "$peer" p50_ms) p99=$(val "$peer" p99_ms)
add() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }
echo
echo "aifb Slurm benchmark: $(nproc) cores, Slurm $(sinfo --version | awk '{ print $2 }'), slurmrestd" \
     "$AIFB_TEST_SLURM_REST_VERSION on a unix socket; peer: libcurl POSTs of the same job scripts"
row "figure" "aifbd" "target" "verdict" "peer" "added"
row "StartRun to SUBMITTED, p50 (ms)" "$a50" "-" "-" "$p50" "$(add "$a50" "$p50")"
row "StartRun to SUBMITTED, p99 (ms)" "$a99" "adds < 10" "$(verdict "$(add "$a99" "$p99")" '<' 10)" "$p99" "$(add "$a99" "$p99")"
row "jobs tracked while measuring the tick" "$tracked" "1000" "-" "-" "-"
row "aifbd CPU over $window s (ms)" "$cpu_ms" "-" "-" "-" "-"
row "CPU per reconcile tick of $tick_ms ms (ms)" "$per_tick" "< 50" "$(verdict "$per_tick" '<' 50)" "-" "-"
echo "added = aifbd - peer (what aifbd costs on top of the two submissions). The tick's CPU is"
echo "all of aifbd's threads over the window (reconciler, job lister, SQLite) divided by its ticks."
if [ -s "$notes" ]; then
  echo
  cat "$notes"
fi
