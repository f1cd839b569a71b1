#!/usr/bin/env bash
# The Grafana app's frontend tests, as the project's test script runs them: install the npm
# dependencies when they are missing or package-lock.json changed since, then the type check,
# the production build and the unit tests (jest; src/dist.test.ts loads the build's AMD modules
# as Grafana would). Exit status non-zero on any failure; the last line is always
# "frontend: N passed, M failed" (jest's test counts; a failed step counts as one failure more).
set -u
cd "$(dirname "$0")"

passed=0
failed=0
finish() {
  echo "frontend: ${passed} passed, ${failed} failed"
  [ "$failed" -eq 0 ]
  exit
}

step() {
  echo "== $*"
  if ! "$@"; then
    echo "FAILED: $*" >&2
    failed=$((failed + 1))
    return 1
  fi
}

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  step npm ci --no-audit --no-fund || finish
  touch node_modules
fi

step npx tsc --noEmit

# The build comes before the unit tests: src/dist.test.ts loads what it wrote, as Grafana would.
step npm run build --silent

results=$(mktemp)
trap 'rm -f "$results"' EXIT
if ! npx jest --ci --maxWorkers 2 --json --outputFile "$results"; then
  echo "FAILED: jest" >&2
fi
if [ -s "$results" ]; then
  read -r p f < <(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(r.numPassedTests, r.numFailedTests + r.numRuntimeErrorTestSuites)' "$results")
  passed=$((passed + p))
  failed=$((failed + f))
else
  failed=$((failed + 1))
fi

finish
