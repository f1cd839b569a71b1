#!/usr/bin/env bash
# The main job, for a fresh Debian 12 machine (as root) or any machine that has the packages:
# installs what is missing, builds, starts aifbd with its embedded defaults (local executor, state
# in /var/lib/aifb as root or ~/.local/state/aifb otherwise, listening on 127.0.0.1:50051), runs
# the default benchmark end to end and prints its summary. aifbd keeps running afterwards so you
# can go on with the aifb CLI; the script tells how to stop it.
#
#   scripts/quickstart.sh [RECIPE] [-p key=value]...     (default recipe: llm-sim)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
recipe=${1:-llm-sim}
shift || true

step() { printf '\n==> %s\n' "$*"; }

step "Installing missing packages"
"$root/scripts/install-deps.sh"

step "Building (build/bin)"
"$root/scripts/build.sh" "$root/build" -DAIFB_TESTS=OFF

bin=$root/build/bin
export AIFB_SERVER=${AIFB_SERVER:-127.0.0.1:50051}
if "$bin/aifb" info >/dev/null 2>&1; then
  step "aifbd already answers on $AIFB_SERVER: using it"
else
  if [[ $(id -u) -eq 0 ]]; then state=/var/lib/aifb; else state=${XDG_STATE_HOME:-$HOME/.local/state}/aifb; fi
  mkdir -p "$state"
  step "Starting aifbd (state in $state, log in $state/aifbd.log)"
  nohup "$bin/aifbd" >>"$state/aifbd.log" 2>&1 &
  echo $! >"$state/aifbd.pid"
  for _ in $(seq 1 100); do
    "$bin/aifb" info >/dev/null 2>&1 && break
    if ! kill -0 "$(cat "$state/aifbd.pid")" 2>/dev/null; then
      echo "aifbd exited at start; its log:" >&2
      tail -n 20 "$state/aifbd.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  "$bin/aifb" info
fi

step "Running the '$recipe' benchmark"
if [[ $recipe == llm-sim ]]; then
  echo "aifb-llmsim serves chat completions with a 50 ms time to first token and 10 ms per token;"
  echo "aifb-loadgen streams 200 requests to it, 16 at a time, and measures what a user sees."
fi
"$bin/aifb" run start "$recipe" "$@" --wait

cat <<MSG

Done. aifbd is still running on $AIFB_SERVER. Next:
  $bin/aifb run list            the runs so far
  $bin/aifb recipes list        what else can run
  $bin/aifb run start llm-sim -p rate=30 -p slo=ttft=100,tpot=15 --wait   an open loop, with goodput
  $bin/aifb run start redis --wait
  kill \$(cat ${state:-/var/lib/aifb}/aifbd.pid)     stop aifbd (and everything it started)
MSG
