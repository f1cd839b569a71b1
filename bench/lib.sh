# bench/lib.sh: what the benchmark scripts share (sourced by run.sh and slurm.sh).
#
# bench_build DIR TARGET...   Release build of the targets in DIR (log in DIR/bench-build.log)
# stop_pid PID                TERM, then KILL after 10 s; only a process the script started
# measure CMD ARGS...         one aifb-bench command ($bench) with a time bound; prints its result
#                             line and keeps its "note:" lines in $notes ($tmp must exist)
# val LINE KEY                the value of key=value in a result line
# wait_for SECONDS CMD...     until CMD succeeds, or fails after SECONDS
# row, ratio, verdict         the table: FIGURE VALUE TARGET VERDICT PEER RATIO
# bench_on_exit VAR...        at exit (or INT/TERM): stop the processes whose pids the named
#                             variables hold, run bench_cleanup_extra if the script defines it,
#                             remove $tmp; and start the notes file ($tmp/notes, note TEXT)
# shellcheck shell=bash

say() { printf '%s\n' "$*" >&2; }

bench_build() { # bench_build DIR TARGET...
  local dir=$1
  shift
  say "building $* (Release) in $dir"
  mkdir -p "$dir"
  # shellcheck disable=SC2086 # BENCH_CMAKE_ARGS is a list of options
  if ! { cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DAIFB_TESTS=OFF ${BENCH_CMAKE_ARGS:-} &&
         cmake --build "$dir" --target "$@" -j"$(nproc)"; } >"$dir/bench-build.log" 2>&1; then
    grep -E 'error|Error' "$dir/bench-build.log" | head -n 20 >&2 || tail -n 20 "$dir/bench-build.log" >&2
    say "build failed; the log is $dir/bench-build.log"
    return 1
  fi
}

stop_pid() {
  local pid=$1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

measure() {
  local out
  [ -f "${notes:-}" ] || { notes=$tmp/notes; : >"$notes"; }
  if ! out=$(timeout "${BENCH_MEASURE_TIMEOUT:-300}" "$bench" "$@" 2>"$tmp/err"); then
    cat "$tmp/err" >&2
    say "aifb-bench $1 failed"
    exit 1
  fi
  grep '^note: ' <<<"$out" >>"$notes" || true
  grep -v '^note: ' <<<"$out"
}

val() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

wait_for() {
  local end=$((SECONDS + $1))
  shift
  until "$@" 2>/dev/null; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.1
  done
}

row() { printf '%-46s %12s %10s %8s %12s %7s\n' "$@"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }
verdict() { # verdict VALUE OP LIMIT
  awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
    ok = (op == ">=") ? v + 0 >= l + 0 : (op == "<") ? v + 0 < l + 0 : v == l
    print ok ? "meets" : "misses" }'
}

bench_cleanup_vars=()
bench_cleanup() {
  local v
  for v in "${bench_cleanup_vars[@]}"; do stop_pid "${!v:-}"; done
  if declare -F bench_cleanup_extra >/dev/null; then bench_cleanup_extra || true; fi
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
bench_on_exit() { # bench_on_exit VAR...
  bench_cleanup_vars=("$@")
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  notes=$tmp/notes
  : >"$notes"
}
note() { echo "note: $*" >>"$notes"; }
