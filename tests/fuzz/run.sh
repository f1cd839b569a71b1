#!/bin/sh
# run.sh [SECONDS]: builds the libFuzzer targets (clang, -DAIFB_FUZZ=ON) in build-fuzz at the top
# of the tree and runs each for SECONDS (default 20). Exits non-zero when a target crashes, leaks
# or times out; the input that did it is kept in build-fuzz/fuzz-artifacts/<target>/.
#
# Seeds: tests/fuzz/corpus/<target>/, plus the shipped recipes for fuzz_recipe and the captured
# tool outputs (tests/unit/fixtures/) for fuzz_summary, read in place so they never go stale.
# New inputs libFuzzer finds go to a scratch folder, so the tree's corpus stays as shipped.
# Environment: AIFB_FUZZ_BUILD (build folder), AIFB_FUZZ_JOBS (parallel compile jobs, default 1).
set -eu

seconds=${1:-20}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${AIFB_FUZZ_BUILD:-$root/build-fuzz}
targets="fuzz_recipe fuzz_request fuzz_summary fuzz_slurm_api"

cmake -S "$root" -B "$build" -DAIFB_FUZZ=ON -DAIFB_TESTS=OFF -DCMAKE_C_COMPILER=clang \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# shellcheck disable=SC2086 # targets is a list
cmake --build "$build" --target $targets -j "${AIFB_FUZZ_JOBS:-1}" >"$build/build.log" 2>&1 || {
    tail -n 40 "$build/build.log" >&2
    exit 1
}

extra_seeds() {
    case $1 in
    fuzz_recipe) echo "$root/recipes" ;;
    fuzz_summary) echo "$root/tests/unit/fixtures" ;;
    fuzz_slurm_api) echo "$root/tests/unit/fixtures/slurm" ;;
    *) echo "" ;;
    esac
}

status=0
for t in $targets; do
    scratch=$(mktemp -d)
    artifacts=$build/fuzz-artifacts/$t
    mkdir -p "$artifacts"
    dict=""
    [ "$t" = fuzz_recipe ] && dict="-dict=$root/tests/fuzz/recipe.dict"
    echo "== $t for ${seconds}s"
    # shellcheck disable=SC2046,SC2086 # optional arguments expand to nothing
    log=$build/fuzz-artifacts/$t.log
    # libFuzzer narrates every new input; keep that in a log and show its closing figures.
    if "$build/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=1 -artifact_prefix="$artifacts/" $dict \
            "$scratch" "$root/tests/fuzz/corpus/$t" $(extra_seeds "$t") >"$log" 2>&1; then
        grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)' "$log" || true
    else
        tail -n 40 "$log" >&2
        echo "$t FAILED: the input is in $artifacts/, the whole output in $log" >&2
        status=1
    fi
    rm -rf "$scratch"
done
exit $status
