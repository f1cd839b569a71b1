#!/usr/bin/env bash
# Runs every test of aifb: a source format check, unit tests (Criterion), integration tests against real processes
# (aifbd, redis-server, PostgreSQL), contract tests with an independent gRPC implementation
# (python3-grpcio), the Grafana app's frontend tests (jest, grafana-plugin/run-tests.sh), its
# pages clicked in headless Chromium against the real backend (tests/browser), and a short
# fuzzing run. Everything is built once with AddressSanitizer and
# UndefinedBehaviorSanitizer (build-asan/) and the integration and contract tests drive those
# binaries. Every server a test needs is started by the tests themselves on loopback or a unix
# socket, and stopped afterwards.
#
#   scripts/test.sh                 everything
#   scripts/test.sh format|unit|integration|contract|frontend|browser|fuzz ...   some suites
#   AIFB_FUZZ_SECONDS=20            how long each fuzz target runs
#   AIFB_TEST_OUTPUT=DIR            where tests keep what they leave for people to look at (the
#                                   browser test's screenshots); default build-asan/test-output
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
suites=("$@")
((${#suites[@]})) || suites=(format unit integration contract frontend browser fuzz)

"$root/scripts/install-deps.sh" --test || exit 1
echo "==> building build-asan (AddressSanitizer + UndefinedBehaviorSanitizer)"
"$root/scripts/build.sh" "$root/build-asan" -DAIFB_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug || exit 1

# The accuracy tests of the load client measure the instrument as it ships: an optimised build of
# the two agents (sanitizers add their own latency to every event).
echo "==> building build-agents (aifb-loadgen and aifb-llmsim, optimised)"
mkdir -p "$root/build-agents"
if ! { cmake -S "$root" -B "$root/build-agents" -DAIFB_TESTS=OFF -DCMAKE_BUILD_TYPE=Release &&
       cmake --build "$root/build-agents" -j"$(nproc)" --target aifb-loadgen aifb-llmsim; } \
       >"$root/build-agents/build.log" 2>&1; then
  tail -n 30 "$root/build-agents/build.log"; exit 1
fi
export AIFB_BIN_DIR=$root/build-asan/bin
export AIFB_RELEASE_BIN_DIR=$root/build-agents/bin
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
py=/usr/bin/python3 # Debian's, which has grpcio; another python3 may come first on PATH

passed=0 failed=0 skipped=0
failed_suites=()
add() { passed=$((passed + $1)); failed=$((failed + $2)); skipped=$((skipped + ${3:-0})); }

run_unit() {
  local t out p f c
  for t in "$root"/build-asan/tests/test_*; do
    [[ -x $t ]] || continue
    echo "--- $(basename "$t")"
    out=$("$t" --jobs 2 2>&1)
    echo "$out" | grep -vE '^\[----\]|^\[RUN \]|^\[PASS\]' | tail -n 40
    read -r p f c < <(echo "$out" | sed -n 's/.*Passing: \([0-9]*\) | Failing: \([0-9]*\) | Crashing: \([0-9]*\).*/\1 \2 \3/p' | tail -n 1)
    if [[ -z ${p:-} ]]; then
      echo "$(basename "$t"): no Criterion summary (crashed?)"
      add 0 1
      failed_suites+=("unit:$(basename "$t")")
      continue
    fi
    add "$p" $((f + c))
    ((f + c == 0)) || failed_suites+=("unit:$(basename "$t")")
  done
}

run_pytest() { # suite folder
  local dir=$1 log rc line p f s
  log=$(mktemp)
  (cd "$root" && timeout 1500 "$py" -m pytest -q -p no:cacheprovider "$dir" 2>&1) | tee "$log"
  rc=${PIPESTATUS[0]}
  line=$(grep -E '^[=]* ?[0-9]+ (passed|failed)|^[=]* ?no tests ran' "$log" | tail -n 1)
  p=$(sed -n 's/.* \?\([0-9]\+\) passed.*/\1/p' <<<"$line"); p=${p:-0}
  f=$(sed -n 's/.* \([0-9]\+\) failed.*/\1/p; s/^\([0-9]\+\) failed.*/\1/p' <<<"$line" | head -n 1); f=${f:-0}
  s=$(sed -n 's/.* \([0-9]\+\) skipped.*/\1/p' <<<"$line"); s=${s:-0}
  e=$(sed -n 's/.* \([0-9]\+\) error.*/\1/p' <<<"$line"); e=${e:-0}
  if ((rc != 0 && f + e == 0)); then f=1; fi
  add "$p" $((f + e)) "$s"
  ((rc == 0)) || failed_suites+=("$dir")
  rm -f "$log"
}

run_format() {
  # The source checker: every C file as clang-format (.clang-format) would write it.
  local files bad
  mapfile -t files < <(git -C "$root" ls-files '*.c' '*.h' 2>/dev/null || find controlplane tests bench -name '*.[ch]')
  if bad=$(cd "$root" && clang-format --dry-run --Werror "${files[@]}" 2>&1 | grep -o '^[^:]*\.[ch]' | sort -u) && [[ -n $bad ]]; then
    echo "not formatted (run clang-format -i on them):"; echo "$bad"
    add 0 1; failed_suites+=(format)
  else
    echo "${#files[@]} files formatted"; add 1 0
  fi
}

node_major() {
  node -e 'console.log(process.versions.node.split(".")[0])' 2>/dev/null || echo 0
}

run_frontend() {
  # Its last line is "frontend: N passed, M failed".
  local major out line p f
  major=$(node_major)
  if ((major < 20)); then
    echo "frontend: Node.js $major is older than the 20 the plugin's toolchain needs: skipped"
    add 0 0 1
    return
  fi
  out=$(mktemp)
  timeout 900 bash "$root/grafana-plugin/run-tests.sh" 2>&1 | tee "$out" | tail -n 60
  line=$(grep -E '^frontend: [0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
  rm -f "$out"
  p=$(sed -n 's/^frontend: \([0-9]*\) passed.*/\1/p' <<<"$line"); p=${p:-0}
  f=$(sed -n 's/.* \([0-9]*\) failed$/\1/p' <<<"$line"); f=${f:-1}
  add "$p" "$f"
  ((f == 0)) || failed_suites+=(frontend)
}

run_browser() {
  # The built plugin in Chromium, through gpx_aifb, against a real aifbd (tests/browser).
  if (($(node_major) < 20)); then
    echo "browser: Node.js $(node_major) is older than the 20 the plugin's toolchain needs: skipped"
    add 0 0 1
    return
  fi
  if [ ! -d "$root/grafana-plugin/node_modules" ]; then
    (cd "$root/grafana-plugin" && npm ci --no-audit --no-fund) || { add 0 1; failed_suites+=(browser); return; }
  fi
  run_pytest tests/browser
  echo "browser: screenshots in ${AIFB_TEST_OUTPUT:-$root/build-asan/test-output}/browser"
}

run_fuzz() {
  if "$root/tests/fuzz/run.sh" "${AIFB_FUZZ_SECONDS:-20}"; then add 1 0; else add 0 1; failed_suites+=(fuzz); fi
}

for s in "${suites[@]}"; do
  echo
  echo "==> suite: $s"
  case $s in
    unit) run_unit ;;
    integration) run_pytest tests/integration ;;
    contract) run_pytest tests/contract ;;
    frontend) run_frontend ;;
    browser) run_browser ;;
    fuzz) run_fuzz ;;
    format) run_format ;;
    *) echo "unknown suite '$s' (format, unit, integration, contract, frontend, browser, fuzz)"; exit 2 ;;
  esac
done

echo
((${#failed_suites[@]})) && echo "failing: ${failed_suites[*]}"
echo "tests: $passed passed, $failed failed, $skipped skipped"
((failed == 0))
